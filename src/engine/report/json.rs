//! JSON: the report (`repocheck-report/2`) and the diff (`repocheck-diff/1`), written
//! streaming (`reports/repocheck-report.schema.json`, `reports/repocheck-diff.schema.json`).

use std::io::Write;

use anyhow::Result;

use super::diff::{self, Change, Diff};
use super::{Report, SCHEMA, Tool, rfc3339};

/// `{"schema", "tool", "started_at", "finished_at", "targets", "stats", "summary", "plan": [...],
/// "findings": [...], "repairs": [...]}`, and `"side": [...]` when a shard left records for
/// `merge`; an element of an array a line.
pub(super) fn write_report(report: &Report, out: &mut dyn Write) -> Result<()> {
    write!(out, "{{\n  \"schema\": \"{SCHEMA}\",\n  \"tool\": {},\n", serde_json::to_string(&Tool::current())?)?;
    write!(out, "  \"started_at\": \"{}\",\n  \"finished_at\": \"{}\",\n", rfc3339(report.started_at), rfc3339(report.finished_at))?;
    writeln!(out, "  \"targets\": {},", serde_json::to_string(&report.targets)?)?;
    writeln!(out, "  \"stats\": {},", serde_json::to_string(&report.stats)?)?;
    writeln!(out, "  \"summary\": {},", serde_json::to_string(&report.summary)?)?;
    out.write_all(b"  \"plan\": [")?;
    for (i, u) in report.plan.iter().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, u)?;
    }
    out.write_all(if report.plan.is_empty() { b"],\n" } else { b"\n  ],\n" })?;
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
    let mut first = true;
    report.repairs.for_each(|r| {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut *out, &r)?;
        Ok(())
    })?;
    out.write_all(if report.repairs.is_empty() { b"]" } else { b"\n  ]" })?;
    // What a shard leaves for merge: only when there is something.
    if report.side_records > 0 {
        out.write_all(b",\n  \"side\": [")?;
        let mut first = true;
        report.for_each_side(|v| {
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            first = false;
            serde_json::to_writer(&mut *out, &v)?;
            Ok(())
        })?;
        out.write_all(b"\n  ]")?;
    }
    out.write_all(b"\n}\n")?;
    Ok(())
}

/// `{"schema", "tool", "before", "after", "summary", "rules", "new": [...], "resolved": [...]}`,
/// a finding a line.
pub(super) fn write_diff(diff: &Diff, out: &mut dyn Write) -> Result<()> {
    write!(out, "{{\n  \"schema\": \"{}\",\n  \"tool\": {},\n", diff::SCHEMA, serde_json::to_string(&Tool::current())?)?;
    writeln!(out, "  \"before\": {},", serde_json::to_string(&diff.before)?)?;
    writeln!(out, "  \"after\": {},", serde_json::to_string(&diff.after)?)?;
    writeln!(out, "  \"summary\": {},", serde_json::to_string(&diff.summary)?)?;
    writeln!(out, "  \"rules\": {},", serde_json::to_string(&diff.rules)?)?;
    for (i, change) in Change::LISTED.into_iter().enumerate() {
        write!(out, "  \"{}\": [", change.as_str())?;
        let mut first = true;
        diff.for_each(change, |f| {
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            first = false;
            serde_json::to_writer(&mut *out, &f)?;
            Ok(())
        })?;
        let close = if first { "]" } else { "\n  ]" };
        let last = i + 1 == Change::LISTED.len();
        write!(out, "{close}{}", if last { "\n}\n" } else { ",\n" })?;
    }
    Ok(())
}
