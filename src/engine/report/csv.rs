//! CSV: `rule,severity,subject,message`, one finding a row, quoted as CSV. CSV is read by
//! people in terminals too, so control characters in a subject or message are escaped
//! (`\x1b`, `\n`, as `engine::escape` does); JSON keeps them exact.

use std::io::Write;

use anyhow::Result;

use super::Report;
use crate::engine::escape;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(["rule", "severity", "subject", "message"])?;
    report.for_each_finding(|f| {
        w.write_record([f.rule.as_str(), f.severity.as_str(), &escape::text(&f.subject), &escape::text(&f.message)])?;
        Ok(())
    })?;
    w.flush()?;
    Ok(())
}
