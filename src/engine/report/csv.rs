//! CSV: `rule,severity,subject,message`, one finding a row.

use std::io::Write;

use anyhow::Result;

use super::Report;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(["rule", "severity", "subject", "message"])?;
    report.for_each_finding(|f| {
        w.write_record([f.rule.as_str(), f.severity.as_str(), f.subject.as_str(), f.message.as_str()])?;
        Ok(())
    })?;
    w.flush()?;
    Ok(())
}
