//! Prometheus text exposition, for node_exporter's textfile collector: a run's counts, or a
//! diff's new, resolved and unchanged counts.

use std::io::Write;

use anyhow::Result;

use super::diff::{Changes, Diff};
use super::{Report, Summary, product_of};
use crate::engine::escape::prometheus_label as label;
use crate::engine::finding::Severity;

pub(super) fn write_report(report: &Report, out: &mut dyn Write) -> Result<()> {
    let products: Vec<&str> = {
        let mut p: Vec<&str> = report.targets.iter().map(|t| t.product.as_str()).collect();
        p.sort();
        p.dedup();
        p
    };
    writeln!(out, "# HELP repocheck_findings Findings of the last run, by rule and severity.")?;
    writeln!(out, "# TYPE repocheck_findings gauge")?;
    for (rule, counts) in &report.rule_counts {
        let product = product_of(rule);
        for severity in Severity::ALL {
            writeln!(out, "repocheck_findings{{product=\"{}\",rule=\"{}\",severity=\"{severity}\"}} {}", label(product), label(rule), counts.count(severity))?;
        }
    }
    writeln!(out, "# HELP repocheck_findings_total Findings of the last run, by severity.")?;
    writeln!(out, "# TYPE repocheck_findings_total gauge")?;
    for severity in Severity::ALL {
        writeln!(out, "repocheck_findings_total{{severity=\"{severity}\"}} {}", report.summary.count(severity))?;
    }
    writeln!(out, "# HELP repocheck_targets Targets checked in the last run, by product.")?;
    writeln!(out, "# TYPE repocheck_targets gauge")?;
    for product in &products {
        let n = report.targets.iter().filter(|t| t.product == *product).count();
        writeln!(out, "repocheck_targets{{product=\"{}\"}} {n}", label(product))?;
    }
    let s = &report.stats;
    writeln!(out, "# HELP repocheck_db_rows Database rows read.\n# TYPE repocheck_db_rows gauge\nrepocheck_db_rows {}", s.db_rows)?;
    writeln!(out, "# HELP repocheck_entries_walked Repository entries walked.\n# TYPE repocheck_entries_walked gauge\nrepocheck_entries_walked {}", s.entries_walked)?;
    writeln!(out, "# HELP repocheck_bytes_hashed Bytes read and hashed.\n# TYPE repocheck_bytes_hashed gauge\nrepocheck_bytes_hashed {}", s.bytes_hashed)?;
    writeln!(out, "# HELP repocheck_duration_seconds Duration of the last run.\n# TYPE repocheck_duration_seconds gauge\nrepocheck_duration_seconds {:.3}", s.elapsed_ms as f64 / 1000.0)?;
    let finished = report.finished_at.unix_timestamp();
    writeln!(out, "# HELP repocheck_last_run_timestamp_seconds When the last run finished.\n# TYPE repocheck_last_run_timestamp_seconds gauge\nrepocheck_last_run_timestamp_seconds {finished}")?;
    // A run is a success when it found no error; alert on `time() - this` growing.
    if report.summary.error == 0 {
        writeln!(
            out,
            "# HELP repocheck_last_success_timestamp_seconds When the last run without errors finished.\n# TYPE repocheck_last_success_timestamp_seconds gauge\nrepocheck_last_success_timestamp_seconds {finished}"
        )?;
    }
    writeln!(out, "# HELP repocheck_success Whether the last run found no error (1) or some (0).\n# TYPE repocheck_success gauge\nrepocheck_success {}", u8::from(report.summary.error == 0))?;
    Ok(())
}

/// `repocheck_findings_{new,resolved,unchanged}{severity}` and per rule
/// `repocheck_rule_findings_{new,resolved}{product,rule,severity}`.
pub(super) fn write_diff(diff: &Diff, out: &mut dyn Write) -> Result<()> {
    type Part = fn(&Changes) -> &Summary;
    let kinds: [(&str, &str, Part); 3] = [
        ("new", "Findings of the after report that the before report did not have", |c| &c.new),
        ("resolved", "Findings of the before report that the after report no longer has", |c| &c.resolved),
        ("unchanged", "Findings both reports have (same rule and subject)", |c| &c.unchanged),
    ];
    for (kind, help, get) in kinds {
        writeln!(out, "# HELP repocheck_findings_{kind} {help}, by severity.\n# TYPE repocheck_findings_{kind} gauge")?;
        for severity in Severity::ALL {
            writeln!(out, "repocheck_findings_{kind}{{severity=\"{severity}\"}} {}", get(&diff.summary).count(severity))?;
        }
    }
    for (kind, help, get) in &kinds[..2] {
        writeln!(out, "# HELP repocheck_rule_findings_{kind} {help}, by rule and severity.\n# TYPE repocheck_rule_findings_{kind} gauge")?;
        for (rule, c) in &diff.rules {
            let product = product_of(rule);
            for severity in Severity::ALL {
                writeln!(out, "repocheck_rule_findings_{kind}{{product=\"{}\",rule=\"{}\",severity=\"{severity}\"}} {}", label(product), label(rule), get(c).count(severity))?;
            }
        }
    }
    Ok(())
}
