//! The two documents repocheck prints — the [`Report`] of a run and the [`Diff`] of two
//! reports — and their printers. The checks know no printer and the models know no format:
//! each format module writes both documents it can (`write_report`, `write_diff`), and
//! [`Report::write`] and [`Diff::write`] below are the one place that picks the printer of
//! a [`Format`].
//!
//! JSON Lines of a run are the exception: the sink writes each finding as it is found
//! (`Sink::new`'s writers), so no printer writes them from a finished report.

mod csv;
pub mod diff;
pub mod html;
mod json;
mod jsonl;
mod junit;
mod prometheus;
mod read;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::str::FromStr;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::finding::{Finding, Repair, Severity};
pub use diff::Diff;
pub use read::{ReportFile, read_report, stream_report, stream_report_with};

/// The JSON schema id of the report.
pub const SCHEMA: &str = "repocheck-report/2";

/// Report schemas this version reads: /1 had no `plan`.
pub const SCHEMAS_READ: &[&str] = &["repocheck-report/1", SCHEMA];

/// The program that wrote a report, a diff or a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    /// This repocheck.
    pub fn current() -> Tool {
        Tool { name: "repocheck".into(), version: env!("CARGO_PKG_VERSION").into() }
    }
}

/// One checked installation (or backup set) and how it was checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub product: String,
    /// The inputs as given (URLs redacted).
    pub inputs: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The part of the installation checked, when not all of it (`--range`, `--host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Map<String, Value>>,
    /// The rules that ran on it.
    #[serde(default)]
    pub rules: Vec<String>,
}

impl Target {
    pub fn new(product: &str) -> Target {
        Target { product: product.to_string(), inputs: Map::new(), level: None, scope: None, rules: Vec::new() }
    }

    pub fn input(mut self, key: &str, value: impl Into<Value>) -> Target {
        self.inputs.insert(key.to_string(), value.into());
        self
    }
}

/// Findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub error: u64,
    pub warning: u64,
    pub info: u64,
}

impl Summary {
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Error => self.error += 1,
            Severity::Warning => self.warning += 1,
            Severity::Info => self.info += 1,
        }
    }

    pub fn count(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }

    pub fn total(&self) -> u64 {
        self.error + self.warning + self.info
    }

    /// Whether any finding is at or above `fail_on`.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        match fail_on {
            FailOn::Never => false,
            FailOn::At(level) => Severity::ALL.iter().any(|&s| s >= level && self.count(s) > 0),
        }
    }
}

/// Counts of one rule.
pub type RuleCount = Summary;

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    At(Severity),
    Never,
}

impl FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "never" => Ok(FailOn::Never),
            "error" | "warning" | "info" => Ok(FailOn::At(s.parse()?)),
            other => Err(format!("unknown --fail-on '{other}' (expected error, warning, info or never)")),
        }
    }
}

/// One deduplicated repair, with the rules that call for it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairEntry {
    pub repair: Repair,
    pub product: String,
    pub because: BTreeSet<String>,
}

impl Serialize for RepairEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(&self.repair).map_err(serde::ser::Error::custom)?;
        if let Value::Object(map) = &mut value {
            // "action" first, then the product, then the action's fields.
            let mut out = Map::new();
            out.insert("action".into(), map.shift_remove("action").unwrap_or(Value::Null));
            out.insert("product".into(), Value::String(self.product.clone()));
            out.append(map);
            out.insert("because".into(), serde_json::to_value(&self.because).map_err(serde::ser::Error::custom)?);
            value = Value::Object(out);
        }
        value.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RepairEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        let product = match map.shift_remove("product") {
            Some(Value::String(p)) => p,
            _ => return Err(serde::de::Error::custom("repair without a product")),
        };
        let because = match map.shift_remove("because") {
            Some(v) => serde_json::from_value(v).map_err(serde::de::Error::custom)?,
            None => BTreeSet::new(),
        };
        let repair = serde_json::from_value(Value::Object(map)).map_err(serde::de::Error::custom)?;
        Ok(RepairEntry { repair, product, because })
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The `stats` object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsOut {
    pub db_rows: u64,
    pub entries_walked: u64,
    pub bytes_hashed: u64,
    /// Objects whose content was hashed (all of them at `--level content`, or one
    /// `--subset`'s).
    #[serde(default)]
    pub objects_hashed: u64,
    /// Candidate findings a second look found resolved (a live system moved on).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resolved_on_second_look: u64,
    /// Candidate findings reported as in flight (the product's own jobs were at work).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub in_flight: u64,
    pub elapsed_ms: u64,
    /// In the report of a shard (`--range`, `--shard`, `--host`): its part of a whole
    /// run's counts, which `merge` adds up. Every shard reads the whole database and walks
    /// some directories every shard walks; each directory listing and each hashed object
    /// is in the share of exactly one shard of a partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<Share>,
}

/// A shard's part of a whole run's `stats` (see [`StatsOut::share`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub entries_walked: u64,
    pub bytes_hashed: u64,
    pub objects_hashed: u64,
}

/// The distinct repairs of a run, on disk: a run of a million moves keeps none in memory.
#[derive(Default)]
pub struct Repairs {
    file: Option<Mutex<File>>,
    total: u64,
    /// How many per (product, action).
    pub by_action: BTreeMap<(String, String), u64>,
}

impl Repairs {
    /// Groups `sorted` — lines of `key \0 product \0 rule \0 repair`, in key order — into
    /// one entry per key with every rule that calls for it.
    pub(crate) fn collect(sorted: impl Iterator<Item = Result<Vec<u8>>>) -> Result<Repairs> {
        let mut out = std::io::BufWriter::new(tempfile::tempfile().context("cannot create a temporary file for the repairs")?);
        let mut repairs = Repairs::default();
        let mut current: Option<(Vec<u8>, RepairEntry)> = None;
        let mut flush = |entry: RepairEntry, repairs: &mut Repairs| -> Result<()> {
            *repairs.by_action.entry((entry.product.clone(), entry.repair.action.clone())).or_default() += 1;
            repairs.total += 1;
            serde_json::to_writer(&mut out, &entry)?;
            out.write_all(b"\n")?;
            Ok(())
        };
        for line in sorted {
            let line = line?;
            let mut parts = line.splitn(4, |b| *b == 0);
            let (key, product, rule, json) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let rule = String::from_utf8_lossy(rule).into_owned();
            match &mut current {
                Some((k, entry)) if k.as_slice() == key => {
                    entry.because.insert(rule);
                }
                _ => {
                    if let Some((_, done)) = current.take() {
                        flush(done, &mut repairs)?;
                    }
                    let repair: Repair = serde_json::from_slice(json).context("the repairs spool is corrupt")?;
                    current = Some((key.to_vec(), RepairEntry { repair, product: String::from_utf8_lossy(product).into_owned(), because: BTreeSet::from([rule]) }));
                }
            }
        }
        if let Some((_, done)) = current {
            flush(done, &mut repairs)?;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error()).context("cannot write the repairs")?;
        file.seek(SeekFrom::Start(0)).context("cannot rewind the repairs")?;
        repairs.file = Some(Mutex::new(file));
        Ok(repairs)
    }

    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Streams the repairs in key order.
    pub fn for_each(&self, mut f: impl FnMut(RepairEntry) -> Result<()>) -> Result<()> {
        let Some(file) = &self.file else { return Ok(()) };
        let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(0)).context("cannot rewind the repairs")?;
        for line in BufReader::with_capacity(1 << 16, &mut *file).lines() {
            f(serde_json::from_str(&line.context("cannot read the repairs")?).context("the repairs file is corrupt")?)?;
        }
        Ok(())
    }
}

/// A finished run. The findings stay in a spool file and are streamed by each printer.
pub struct Report {
    /// The repair plan: findings grouped by what a person acts on, worst first.
    pub plan: Vec<crate::engine::plan::PlanUnit>,
    pub started_at: time::OffsetDateTime,
    pub finished_at: time::OffsetDateTime,
    pub targets: Vec<Target>,
    pub stats: StatsOut,
    pub summary: Summary,
    /// Counts per rule, including rules that ran and found nothing.
    pub rule_counts: BTreeMap<String, RuleCount>,
    /// The distinct repairs, each with the rules that call for it, on disk in key order.
    pub repairs: Repairs,
    pub findings_total: u64,
    pub(crate) spool: Mutex<File>,
    /// Records for `merge` (`Sink::side`), if any.
    pub(crate) side: Option<Mutex<File>>,
    pub side_records: u64,
}

impl Report {
    /// Streams the findings in the order they were found.
    pub fn for_each_finding(&self, mut f: impl FnMut(Finding) -> Result<()>) -> Result<()> {
        let mut file = self.spool.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(0)).context("cannot rewind the findings spool")?;
        let mut reader = BufReader::with_capacity(1 << 16, &mut *file);
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).context("cannot read the findings spool")? == 0 {
                return Ok(());
            }
            let finding: Finding = serde_json::from_str(&line).context("findings spool is corrupt")?;
            f(finding)?;
        }
    }

    /// Streams the records left for `merge`.
    pub fn for_each_side(&self, mut f: impl FnMut(Value) -> Result<()>) -> Result<()> {
        let Some(side) = &self.side else { return Ok(()) };
        let mut file = side.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(0)).context("cannot rewind the merge records")?;
        let reader = BufReader::with_capacity(1 << 16, &mut *file);
        for line in reader.lines() {
            f(serde_json::from_str(&line.context("cannot read the merge records")?).context("merge records are corrupt")?)?;
        }
        Ok(())
    }

    /// The rules that ran, across targets, in catalogue order.
    pub fn rules_run(&self) -> Vec<String> {
        let mut rules: BTreeSet<String> = self.targets.iter().flat_map(|t| t.rules.iter().cloned()).collect();
        rules.extend(self.rule_counts.keys().cloned());
        rules.into_iter().collect()
    }

    /// Writes the report in `format`; `fail_on` decides the verdict (HTML) and which rules
    /// fail (JUnit), as it decides the exit status.
    pub fn write(&self, format: Format, out: &mut dyn Write, fail_on: FailOn) -> Result<()> {
        match format {
            Format::Table => table::write_report(self, out),
            Format::Json => json::write_report(self, out),
            Format::Jsonl => bail!("JSON Lines of a run are written as the findings are found, not from the finished report"),
            Format::Csv => csv::write_report(self, out),
            Format::Junit => junit::write_report(self, out, fail_on),
            Format::Prometheus => prometheus::write_report(self, out),
            Format::Html => html::write_report(self, out, fail_on),
        }
    }
}

impl Diff {
    /// Writes the diff in `format`; `fail_on` decides the verdict (HTML) and which rules
    /// fail (JUnit), as it decides the exit status of `diff`.
    pub fn write(&self, format: Format, out: &mut dyn Write, fail_on: FailOn) -> Result<()> {
        match format {
            Format::Table => table::write_diff(self, out),
            Format::Json => json::write_diff(self, out),
            Format::Jsonl => jsonl::write_diff(self, out),
            Format::Csv => csv::write_diff(self, out),
            Format::Junit => junit::write_diff(self, out, fail_on),
            Format::Prometheus => prometheus::write_diff(self, out),
            Format::Html => html::write_diff(self, out, fail_on),
        }
    }
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Csv,
    Junit,
    Prometheus,
    Html,
}

impl Format {
    /// Every format, by the name `--format` takes.
    pub const CHOICES: &'static [(Format, &'static str, &'static str)] = &[
        (Format::Table, "table", "a summary per rule and the first findings of each, for people"),
        (Format::Json, "json", "the whole report (repocheck-report/2)"),
        (Format::Jsonl, "jsonl", "one finding per line, as found"),
        (Format::Csv, "csv", "rule, severity, subject, message"),
        (Format::Junit, "junit", "a test case per rule, for CI dashboards"),
        (Format::Prometheus, "prometheus", "metrics for node_exporter's textfile collector"),
        (Format::Html, "html", "one self-contained page: verdict, chart, repair plan, filterable findings"),
    ];

    /// The format an output file's name asks for.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let ext = name.rsplit('.').next()?;
        Some(match ext {
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::Jsonl,
            "csv" => Format::Csv,
            "xml" => Format::Junit,
            "prom" => Format::Prometheus,
            "txt" | "table" => Format::Table,
            "html" | "htm" => Format::Html,
            _ => return None,
        })
    }
}

/// The product a rule belongs to: the part of its id before the `/`.
fn product_of(rule: &str) -> &str {
    rule.split('/').next().unwrap_or_default()
}

/// RFC 3339 time for reports.
pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
