//! `repocheck diff <before.json> <after.json>`: the findings that are new, resolved and
//! unchanged between two JSON reports; `--fail-on` applies to the new ones only.

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::DiffCmd;
use crate::engine::report::diff::Diff;

pub fn run(cmd: DiffCmd) -> Result<ExitCode> {
    if cmd.out.rules.is_some() {
        bail!("--rules: diff compares the findings the reports hold and reads no rules");
    }
    // Both reports are read and compared before anything is written: a bad one is exit 2
    // with no output.
    let diff = Diff::compute(&cmd.before, &cmd.after)?;
    let fail_on = cmd.out.fail_on;
    cmd.out.emit(|format, out| diff.write(format, out, fail_on))?;
    Ok(if diff.fails(fail_on) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
