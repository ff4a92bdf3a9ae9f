//! The JSON report (`repocheck-report/1`), written streaming and read back for `merge`
//! and `repair`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::{RepairEntry, Report, SCHEMA, StatsOut, Summary, Target, rfc3339};
use crate::engine::finding::Finding;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// A report as read from a JSON file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportFile {
    pub schema: String,
    pub tool: Tool,
    pub started_at: String,
    pub finished_at: String,
    pub targets: Vec<Target>,
    pub stats: StatsOut,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub repairs: Vec<RepairEntry>,
}

/// Reads a JSON report, checking its schema id.
pub fn read_report(path: &Path) -> Result<ReportFile> {
    let file = std::fs::File::open(path).with_context(|| format!("{}: cannot open the report", path.display()))?;
    let report: ReportFile = serde_json::from_reader(std::io::BufReader::new(file))
        .with_context(|| format!("{}: not a repocheck JSON report", path.display()))?;
    if report.schema != SCHEMA {
        bail!("{}: report schema is '{}', this repocheck reads '{SCHEMA}'", path.display(), report.schema);
    }
    Ok(report)
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    let tool = Tool { name: "repocheck".into(), version: env!("CARGO_PKG_VERSION").into() };
    write!(out, "{{\n  \"schema\": \"{SCHEMA}\",\n  \"tool\": {},\n", serde_json::to_string(&tool)?)?;
    write!(out, "  \"started_at\": \"{}\",\n  \"finished_at\": \"{}\",\n", rfc3339(report.started_at), rfc3339(report.finished_at))?;
    writeln!(out, "  \"targets\": {},", serde_json::to_string(&report.targets)?)?;
    writeln!(out, "  \"stats\": {},", serde_json::to_string(&report.stats)?)?;
    writeln!(out, "  \"summary\": {},", serde_json::to_string(&report.summary)?)?;
    out.write_all(b"  \"findings\": [")?;
    let mut first = true;
    report.for_each_finding(|f| {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut *out, &f)?;
        Ok(())
    })?;
    out.write_all(if first { b"],\n" } else { b"\n  ],\n" })?;
    out.write_all(b"  \"repairs\": [")?;
    for (i, r) in report.repairs.iter().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, r)?;
    }
    out.write_all(if report.repairs.is_empty() { b"]\n}\n" } else { b"\n  ]\n}\n" })?;
    Ok(())
}
