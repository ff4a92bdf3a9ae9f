//! `repocheck check --site <site.toml>`: several targets in one run, one report.
//!
//! ```toml
//! [[target]]
//! product = "fossology"
//! db = "backup/fossology.sql.gz"      # the same options as on the command line
//! repo = "/srv/fossology/repository"
//! level = "size"
//! [target.rules]                       # overrides for this target only
//! "fossology/file-orphaned" = { severity = "error" }
//! "fossology/scratch-leftover" = { enabled = false }
//! ```
//! A target's keys are its product's command-line options (`db-name` or `db_name`), so a
//! site file accepts exactly what the command line does. Relative paths are relative to the
//! site file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::Deserialize;

use super::{CheckProduct, OutputArgs};
use crate::engine::finding::Severity;
use crate::engine::sink::Sink;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    /// A name for the site (informational).
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "target", default)]
    targets: Vec<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleOverride {
    severity: Option<Severity>,
    enabled: Option<bool>,
}

/// Parses one target's options as the command line would.
#[derive(Debug, Parser)]
#[command(name = "target", no_binary_name = true)]
struct TargetArgs {
    #[command(subcommand)]
    product: CheckProduct,
}

/// Option values that are not paths.
const NOT_PATHS: &[&str] = &["db-name", "level", "range", "host", "version", "strategy"];

pub fn run(site: &Path, out: &OutputArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(site).with_context(|| format!("--site {}: cannot read", site.display()))?;
    let file: SiteFile = toml::from_str(&text).with_context(|| format!("--site {}: not a valid site file", site.display()))?;
    if file.targets.is_empty() {
        bail!("--site {}: no [[target]] tables", site.display());
    }
    let base = site.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut targets = Vec::new();
    for (i, table) in file.targets.into_iter().enumerate() {
        let what = format!("--site {}: target {}", site.display(), i + 1);
        targets.push(parse_target(table, &base).with_context(|| what.clone())?);
    }
    let _ = file.name;
    let catalogue = out.catalogue()?;
    out.run(catalogue.clone(), |sink| {
        for (product, overrides) in targets {
            if overrides.is_empty() {
                super::check::run_product(product, sink)?;
                continue;
            }
            // A target with its own rule overrides runs into a sink of its own, whose
            // findings (severities already applied) join the site's report.
            let mut own = catalogue.clone();
            for (id, o) in &overrides {
                own.override_rule(id, o.severity, o.enabled)?;
            }
            let inner = Sink::new(Arc::new(own), Vec::new())?;
            super::check::run_product(product, &inner)?;
            let report = inner.finish()?;
            for target in report.targets.clone() {
                sink.record_target(target);
            }
            sink.add_stats(&report.stats);
            report.for_each_finding(|f| {
                sink.record(f);
                Ok(())
            })?;
        }
        Ok(())
    })
}

fn parse_target(mut table: toml::Table, base: &Path) -> Result<(CheckProduct, Vec<(String, RuleOverride)>)> {
    let product = match table.remove("product") {
        Some(toml::Value::String(p)) => p,
        _ => bail!("needs product = \"<fossology|js7|fiorano|connectware|hubble>\""),
    };
    let mut overrides = Vec::new();
    if let Some(rules) = table.remove("rules") {
        let rules: toml::Table = rules.try_into().context("rules must be a table of rule ids")?;
        for (id, value) in rules {
            let o: RuleOverride = value.try_into().with_context(|| format!("rules.\"{id}\": expected {{ severity = \"…\", enabled = … }}"))?;
            overrides.push((id, o));
        }
    }
    let mut args: Vec<String> = vec![product];
    for (key, value) in table {
        let flag = key.replace('_', "-");
        let values = match value {
            toml::Value::Array(items) => items,
            v => vec![v],
        };
        for v in values {
            let s = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Boolean(true) => {
                    args.push(format!("--{flag}"));
                    continue;
                }
                toml::Value::Boolean(false) => continue,
                other => bail!("{key}: unsupported value {other}"),
            };
            args.push(format!("--{flag}"));
            args.push(if NOT_PATHS.contains(&flag.as_str()) { s } else { resolve(base, &s) });
        }
    }
    let parsed = TargetArgs::try_parse_from(&args).map_err(|e| anyhow::anyhow!("{}", clap_error_line(&e.to_string())))?;
    Ok((parsed.product, overrides))
}

/// clap's multi-line error as one line, without the usage and help hints.
fn clap_error_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("error: "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A relative path is relative to the site file; URLs and `name=path` values keep their
/// form (the path part of `name=path` is resolved).
fn resolve(base: &Path, value: &str) -> String {
    if value.contains("://") {
        return value.to_string();
    }
    if let Some((name, path)) = value.split_once('=') {
        return format!("{name}={}", resolve(base, path));
    }
    let p = PathBuf::from(value);
    if p.is_absolute() { value.to_string() } else { base.join(p).display().to_string() }
}
