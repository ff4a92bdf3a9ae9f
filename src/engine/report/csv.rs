//! CSV, one finding a row, quoted as CSV: the report's `rule,severity,subject,message`, the
//! diff's `change,rule,severity,subject,message`. CSV is read by people in terminals too, so
//! control characters in a subject or message are escaped (`\x1b`, `\n`, as
//! `engine::escape::text` does); JSON keeps them exact.

use std::io::Write;

use anyhow::Result;

use super::Report;
use super::diff::{Change, Diff};
use crate::engine::escape;

pub(super) fn write_report(report: &Report, out: &mut dyn Write) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(["rule", "severity", "subject", "message"])?;
    report.for_each_finding(|f| {
        w.write_record([f.rule.as_str(), f.severity.as_str(), &escape::text(&f.subject), &escape::text(&f.message)])?;
        Ok(())
    })?;
    w.flush()?;
    Ok(())
}

/// The new findings, then the resolved ones.
pub(super) fn write_diff(diff: &Diff, out: &mut dyn Write) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(["change", "rule", "severity", "subject", "message"])?;
    for change in Change::LISTED {
        diff.for_each(change, |f| {
            w.write_record([change.as_str(), &escape::text(&f.rule), f.severity.as_str(), &escape::text(&f.subject), &escape::text(&f.message)])?;
            Ok(())
        })?;
    }
    w.flush()?;
    Ok(())
}
