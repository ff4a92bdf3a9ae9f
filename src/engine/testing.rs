//! Running a check in tests: the bundled catalogue, a sink, and the findings back.

use std::sync::Arc;

use anyhow::Result;

use super::finding::Finding;
use super::report::Report;
use super::sink::Sink;

/// Runs `check` with the bundled rules and returns the finished report.
pub fn run_check(check: impl FnOnce(&Sink) -> Result<()>) -> Result<Report> {
    let catalogue = crate::products::catalogue(None)?;
    let sink = Sink::new(Arc::new(catalogue), Vec::new())?;
    check(&sink)?;
    sink.finish()
}

/// The findings of `rule` in `findings`.
pub fn of_rule<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}
