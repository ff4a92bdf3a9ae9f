//! The table for people: for a run, a summary per rule, then the first findings of each
//! rule; for a diff, the counts per rule, then the first new and resolved findings of each.
//! What comes from the data (subjects, messages, inputs, the plan's titles) is printed with
//! its control characters escaped (`engine::escape`).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::Report;
use super::diff::{Change, Diff};
use crate::engine::escape;
use crate::engine::finding::{Finding, Severity};

/// How many findings of each rule the table of a run shows.
const SHOWN: usize = 10;
/// How many new (and resolved) findings of each rule the table of a diff shows.
const DIFF_SHOWN: usize = 50;
/// How many units of the repair plan the table shows.
const PLAN_SHOWN: usize = 50;

pub(super) fn write_report(report: &Report, out: &mut dyn Write) -> Result<()> {
    let mut first: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    report.for_each_finding(|f| {
        let list = first.entry(f.rule.clone()).or_default();
        if list.len() < SHOWN {
            list.push(f);
        }
        Ok(())
    })?;
    targets(report, out)?;
    plan(report, out)?;
    let mut summary = new_table();
    summary.set_header(["rule", "error", "warning", "info"]);
    for (rule, counts) in &report.rule_counts {
        summary.add_row([escape::text(rule).into_owned(), counts.error.to_string(), counts.warning.to_string(), counts.info.to_string()]);
    }
    writeln!(out, "{summary}")?;
    for (rule, findings) in &first {
        let total = report.rule_counts.get(rule).map(|c| c.total()).unwrap_or(0);
        writeln!(out, "\n{} ({total})", escape::text(rule))?;
        findings_table(out, findings, total)?;
    }
    repairs(report, out)?;
    let s = &report.summary;
    writeln!(
        out,
        "\n{} error(s), {} warning(s), {} info; {} database rows, {} entries walked, {} bytes hashed in {:.1}s",
        s.error,
        s.warning,
        s.info,
        report.stats.db_rows,
        report.stats.entries_walked,
        report.stats.bytes_hashed,
        report.stats.elapsed_ms as f64 / 1000.0
    )?;
    Ok(())
}

/// A line per target: its product, level and inputs.
fn targets(report: &Report, out: &mut dyn Write) -> Result<()> {
    for target in &report.targets {
        let inputs: Vec<String> = target.inputs.iter().map(|(k, v)| format!("{k}={}", escape::text(&v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))).collect();
        let level = target.level.as_deref().map(|l| format!(" (level {l})")).unwrap_or_default();
        writeln!(out, "{}{level}: {}", target.product, inputs.join("  "))?;
    }
    Ok(())
}

/// What to do first: one row per upload, Agent, event process.
fn plan(report: &Report, out: &mut dyn Write) -> Result<()> {
    let to_act: Vec<_> = report.plan.iter().filter(|u| u.severity > Severity::Info || !u.repairs.is_empty()).collect();
    if to_act.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nwhat to do ({}):", to_act.len())?;
    let mut plan = new_table();
    plan.set_header(["severity", "what", "findings", "to do"]);
    for u in to_act.iter().take(PLAN_SHOWN) {
        let owner = u.owner.as_deref().map(|o| format!("\nowner {}", escape::text(o))).unwrap_or_default();
        let counts: Vec<String> = u.findings.iter().map(|(rule, n)| format!("{n} {}", rule.split_once('/').map(|(_, r)| r).unwrap_or(rule))).collect();
        plan.add_row([u.severity.to_string(), format!("{}{owner}", escape::text(&u.title)), counts.join("\n"), escape::text(&u.action).into_owned()]);
    }
    writeln!(out, "{plan}")?;
    if to_act.len() > PLAN_SHOWN {
        writeln!(out, "… and {} more (the JSON report's plan has all)", to_act.len() - PLAN_SHOWN)?;
    }
    writeln!(out)?;
    Ok(())
}

/// The repairs proposed, counted by action.
fn repairs(report: &Report, out: &mut dyn Write) -> Result<()> {
    if report.repairs.is_empty() {
        return Ok(());
    }
    let mut by_action: BTreeMap<&str, u64> = BTreeMap::new();
    for ((_, action), n) in &report.repairs.by_action {
        *by_action.entry(action.as_str()).or_default() += n;
    }
    let list: Vec<String> = by_action.iter().map(|(a, n)| format!("{n} {a}")).collect();
    writeln!(out, "\nrepairs: {}", list.join(", "))?;
    Ok(())
}

/// The first findings of a rule, and how many more of its `total` there are.
fn findings_table(out: &mut dyn Write, findings: &[Finding], total: u64) -> Result<()> {
    let mut t = new_table();
    t.set_header(["severity", "subject", "message"]);
    for f in findings {
        t.add_row([f.severity.to_string(), escape::text(&f.subject).into_owned(), escape::text(&f.message).into_owned()]);
    }
    writeln!(out, "{t}")?;
    if total as usize > findings.len() {
        writeln!(out, "… and {} more (use --format json or csv for all)", total as usize - findings.len())?;
    }
    Ok(())
}

/// Both reports, counts per rule (new, resolved, unchanged), then the first new and
/// resolved findings of each rule.
pub(super) fn write_diff(diff: &Diff, out: &mut dyn Write) -> Result<()> {
    for (name, side) in [("before", &diff.before), ("after", &diff.after)] {
        let s = &side.summary;
        writeln!(out, "{name}: {} ({}): {} error(s), {} warning(s), {} info", escape::text(&side.file), escape::text(&side.started_at), s.error, s.warning, s.info)?;
    }
    let mut t = new_table();
    t.set_header(["rule", "new", "resolved", "unchanged"]);
    for (rule, c) in &diff.rules {
        t.add_row([escape::text(rule).into_owned(), c.new.total().to_string(), c.resolved.total().to_string(), c.unchanged.total().to_string()]);
    }
    writeln!(out, "{t}")?;
    for change in Change::LISTED {
        for (rule, findings) in diff.first_of_each_rule(change, DIFF_SHOWN)? {
            let total = diff.rules.get(&rule).map(|c| c.of(change).total()).unwrap_or(0);
            writeln!(out, "\n{}: {} ({total})", change.as_str(), escape::text(&rule))?;
            findings_table(out, &findings, total)?;
        }
    }
    let (n, r, u) = (&diff.summary.new, &diff.summary.resolved, &diff.summary.unchanged);
    writeln!(out, "\n{} new ({} error, {} warning, {} info), {} resolved, {} unchanged", n.total(), n.error, n.warning, n.info, r.total(), u.total())?;
    Ok(())
}

/// A table that wraps to the terminal's width — when there is a terminal of a usable width
/// (a pseudo-terminal may report none, or 0 columns).
pub fn new_table() -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    let arrangement = if t.width().is_some_and(|w| w >= 60) { ContentArrangement::Dynamic } else { ContentArrangement::Disabled };
    t.set_content_arrangement(arrangement);
    t
}
