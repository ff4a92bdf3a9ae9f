//! `repocheck plan fossology …`: the list of repository paths a backup must contain.

use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use super::{PlanCmd, PlanProduct};
use crate::engine::sink::Sink;
use crate::engine::tables::DbSource;
use crate::fossology::conf::read_conf;
use crate::fossology::plan::{self, PlanOptions, Strategy};

pub fn run(cmd: PlanCmd) -> Result<ExitCode> {
    let PlanProduct::Fossology(a) = cmd.product;
    let i = a.inputs;
    if !i.repo.is_dir() {
        bail!("--repo {}: not a directory", i.repo.display());
    }
    let conf = i.conf.as_deref().map(read_conf).transpose()?;
    if let Some((path, why)) = conf.as_ref().and_then(|c| c.problems.first()) {
        bail!("--conf: {} is {why}", path.display());
    }
    let layout = match conf.and_then(|c| c.layout) {
        Some(l) => l,
        None => {
            // The plan has no findings: a layout it could not infer is an error.
            let inferred = crate::fossology::layout::infer_layout(&i.repo);
            if let Some(e) = inferred.root_unreadable {
                bail!("--repo {}: cannot read the repository root to infer its layout: {e}", i.repo.display());
            }
            inferred.layout
        }
    };
    let opts = PlanOptions { db: DbSource::parse(&i.db), db_name: i.db_name, repo: i.repo.clone(), layout, strategy: a.strategy, skip_refetchable: a.skip_refetchable };
    // The plan reads the same tables as the check; what the check would report is not its business.
    let sink = Sink::new(Arc::new(crate::products::catalogue(None)?), Vec::new())?;
    let mut out: Box<dyn Write> = match &a.output {
        Some(path) => Box::new(BufWriter::new(std::fs::File::create(path).with_context(|| format!("--output {}: cannot create", path.display()))?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let summary = plan::plan(&opts, &sink, &mut out)?;
    out.flush()?;
    eprintln!("{} paths, {} bytes, relative to {} (rsync --files-from)", summary.paths, summary.bytes, i.repo.display());
    if summary.absent > 0 {
        eprintln!("{} referenced objects are not in the repository: run repocheck check fossology first", summary.absent);
    }
    if summary.refetchable_skipped > 0 {
        eprintln!("{} gold objects left out: their uploads can be downloaded again from their URL", summary.refetchable_skipped);
    }
    if a.strategy == Strategy::Full {
        if summary.hard_linked > 0 {
            eprintln!(
                "hard links: {} gold objects share their inode with the files copy (as wget_agent leaves them before ununpack runs); the bytes above count them twice, rsync -H stores them once",
                summary.hard_linked
            );
        } else {
            eprintln!("hard links: none; gold and files are separate files, as ununpack leaves them, and the bytes above count both; -H is not needed");
        }
    }
    for (rel, files, bytes) in &summary.logs {
        eprintln!("optional: {rel}/ ({files} files, {bytes} bytes), the scheduler's job logs: needed only to keep them");
    }
    for file in plan::config_files(i.conf.as_deref()) {
        eprintln!("also back up: {}", file.display());
    }
    eprintln!("and the database: pg_dumpall | gzip > backup.gz, with the scheduler stopped");
    Ok(ExitCode::SUCCESS)
}
