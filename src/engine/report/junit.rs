//! JUnit XML for CI dashboards: one test case per rule that ran, failed when it has
//! findings at or above `--fail-on`.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;

use super::Report;
use crate::engine::finding::Finding;

/// How many findings of a failed rule the failure text lists.
const LISTED: usize = 50;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    write_with(report, out, super::FailOn::At(crate::engine::finding::Severity::Error))
}

pub fn write_with(report: &Report, out: &mut dyn Write, fail_on: super::FailOn) -> Result<()> {
    let rules = report.rules_run();
    let mut listed: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    report.for_each_finding(|f| {
        let list = listed.entry(f.rule.clone()).or_default();
        if list.len() < LISTED {
            list.push(f);
        }
        Ok(())
    })?;
    // One suite per product, in rule order.
    let mut suites: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for rule in &rules {
        suites.entry(rule.split('/').next().unwrap_or_default()).or_default().push(rule);
    }
    let failed = |rule: &str| report.rule_counts.get(rule).is_some_and(|c| c.fails(fail_on));
    let total_failures = rules.iter().filter(|r| failed(r)).count();
    let secs = report.stats.elapsed_ms as f64 / 1000.0;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="repocheck" tests="{}" failures="{total_failures}" time="{secs:.3}">"#, rules.len())?;
    for (product, rules) in suites {
        let failures = rules.iter().filter(|r| failed(r)).count();
        writeln!(out, r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="0">"#, esc(product), rules.len())?;
        for rule in rules {
            write!(out, r#"    <testcase classname="repocheck.{}" name="{}""#, esc(product), esc(rule))?;
            let counts = report.rule_counts.get(rule.as_str()).copied().unwrap_or_default();
            if failed(rule) {
                let worst = crate::engine::finding::Severity::ALL.into_iter().find(|&s| counts.count(s) > 0).unwrap_or(crate::engine::finding::Severity::Error);
                writeln!(out, ">")?;
                writeln!(out, r#"      <failure type="{worst}" message="{} finding(s): {} error, {} warning, {} info">"#, counts.total(), counts.error, counts.warning, counts.info)?;
                let shown = listed.get(rule.as_str()).map(Vec::as_slice).unwrap_or_default();
                for f in shown {
                    writeln!(out, "{}: {}: {}", f.severity, esc(&f.subject), esc(&f.message))?;
                }
                if counts.total() as usize > shown.len() {
                    writeln!(out, "… and {} more", counts.total() as usize - shown.len())?;
                }
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

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even as references.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
