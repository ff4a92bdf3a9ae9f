//! JUnit XML for CI dashboards: one test suite per product, one test case per rule. A
//! run's rule fails when it has findings at or above `--fail-on`; a diff's when it has new
//! ones at or above it. Everything from the data is escaped as XML (`engine::escape::xml`).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;

use super::diff::{Change, Changes, Diff};
use super::{FailOn, Report, product_of};
use crate::engine::escape::xml as esc;
use crate::engine::finding::{Finding, Severity};

/// How many findings of a failed rule the failure text lists.
const LISTED: usize = 50;

/// The rules by the product (the suite) they belong to, in rule order.
fn suites<'a, T>(rules: impl IntoIterator<Item = (&'a String, T)>) -> BTreeMap<&'a str, Vec<(&'a String, T)>> {
    let mut suites: BTreeMap<&str, Vec<(&String, T)>> = BTreeMap::new();
    for (rule, item) in rules {
        suites.entry(product_of(rule)).or_default().push((rule, item));
    }
    suites
}

/// The listed findings of a failure, one a line, and how many more there are.
fn failure_lines(out: &mut dyn Write, shown: &[Finding], total: u64) -> Result<()> {
    for f in shown {
        writeln!(out, "{}: {}: {}", f.severity, esc(&f.subject), esc(&f.message))?;
    }
    if total as usize > shown.len() {
        writeln!(out, "… and {} more", total as usize - shown.len())?;
    }
    Ok(())
}

pub(super) fn write_report(report: &Report, out: &mut dyn Write, fail_on: FailOn) -> Result<()> {
    let rules = report.rules_run();
    let mut listed: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    report.for_each_finding(|f| {
        let list = listed.entry(f.rule.clone()).or_default();
        if list.len() < LISTED {
            list.push(f);
        }
        Ok(())
    })?;
    let failed = |rule: &str| report.rule_counts.get(rule).is_some_and(|c| c.fails(fail_on));
    let total_failures = rules.iter().filter(|r| failed(r)).count();
    let secs = report.stats.elapsed_ms as f64 / 1000.0;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="repocheck" tests="{}" failures="{total_failures}" time="{secs:.3}">"#, rules.len())?;
    for (product, rules) in suites(rules.iter().map(|r| (r, ()))) {
        let failures = rules.iter().filter(|(r, _)| failed(r)).count();
        writeln!(out, r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="0">"#, esc(product), rules.len())?;
        for (rule, ()) in rules {
            write!(out, r#"    <testcase classname="repocheck.{}" name="{}""#, esc(product), esc(rule))?;
            let counts = report.rule_counts.get(rule.as_str()).copied().unwrap_or_default();
            if failed(rule) {
                let worst = Severity::ALL.into_iter().find(|&s| counts.count(s) > 0).unwrap_or(Severity::Error);
                writeln!(out, ">")?;
                writeln!(out, r#"      <failure type="{worst}" message="{} finding(s): {} error, {} warning, {} info">"#, counts.total(), counts.error, counts.warning, counts.info)?;
                failure_lines(out, listed.get(rule.as_str()).map(Vec::as_slice).unwrap_or_default(), counts.total())?;
                writeln!(out, "      </failure>\n    </testcase>")?;
            } else if counts.total() > 0 {
                writeln!(out, ">\n      <system-out>{} finding(s) below the failure threshold</system-out>\n    </testcase>", counts.total())?;
            } else {
                writeln!(out, "/>")?;
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")?;
    Ok(())
}

pub(super) fn write_diff(diff: &Diff, out: &mut dyn Write, fail_on: FailOn) -> Result<()> {
    let listed = diff.first_of_each_rule(Change::New, LISTED)?;
    let failed = |c: &Changes| c.new.fails(fail_on);
    let failures = diff.rules.values().filter(|c| failed(c)).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="repocheck diff" tests="{}" failures="{failures}">"#, diff.rules.len())?;
    for (product, rules) in suites(&diff.rules) {
        let failures = rules.iter().filter(|(_, c)| failed(c)).count();
        writeln!(out, r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="0">"#, esc(product), rules.len())?;
        for (rule, c) in rules {
            write!(out, r#"    <testcase classname="repocheck.{}" name="{}""#, esc(product), esc(rule))?;
            let other = format!("{} resolved, {} unchanged", c.resolved.total(), c.unchanged.total());
            if failed(c) {
                writeln!(out, ">")?;
                writeln!(out, r#"      <failure message="{} new finding(s): {} error, {} warning, {} info">"#, c.new.total(), c.new.error, c.new.warning, c.new.info)?;
                failure_lines(out, listed.get(rule.as_str()).map(Vec::as_slice).unwrap_or_default(), c.new.total())?;
                writeln!(out, "      </failure>\n      <system-out>{other}</system-out>\n    </testcase>")?;
            } else if *c == Changes::default() {
                writeln!(out, "/>")?;
            } else {
                writeln!(out, ">\n      <system-out>{} new finding(s) below the failure threshold, {other}</system-out>\n    </testcase>", c.new.total())?;
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(dir: &std::path::Path, name: &str, subjects: &[&str]) -> std::path::PathBuf {
        let findings: Vec<_> = subjects.iter().map(|s| serde_json::json!({"rule": "p/a", "severity": "error", "subject": s, "message": "m'\u{1b}", "details": {}})).collect();
        let value = serde_json::json!({
            "schema": "repocheck-report/2", "tool": {"name": "repocheck", "version": "0"},
            "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
            "targets": [{"product": "p", "inputs": {}, "rules": ["p/a"]}],
            "stats": {"db_rows": 0, "entries_walked": 0, "bytes_hashed": 0, "elapsed_ms": 0},
            "summary": {"error": subjects.len(), "warning": 0, "info": 0}, "findings": findings, "repairs": []
        });
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
        path
    }

    /// The diff's JUnit escapes as XML, as the run's does (it used the HTML escaper).
    #[test]
    fn the_diff_escapes_as_xml() {
        let dir = tempfile::tempdir().unwrap();
        let diff = Diff::compute(&report(dir.path(), "b.json", &[]), &report(dir.path(), "a.json", &["<x> 'y'\u{7}"])).unwrap();
        let mut out = Vec::new();
        write_diff(&diff, &mut out, FailOn::At(Severity::Error)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("error: &lt;x&gt; &apos;y&apos;\u{FFFD}: m&apos;\u{FFFD}\n"), "{text}");
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), 1);
    }
}
