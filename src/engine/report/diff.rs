//! `repocheck diff`: what changed between two JSON reports. A finding is identified by its
//! rule and subject; a finding of the same rule and subject in both reports is unchanged
//! even when its message, details or severity differ. A report may name one (rule,
//! subject) several times: the k-th of the before report pairs with the k-th of the after
//! report, and the surplus of either side is resolved or new.
//!
//! Reports may hold millions of findings, so neither is held in memory: each report's
//! findings are streamed into an external sort by (rule, subject), the two sorted streams
//! are merged, and the new and resolved findings are spooled to temporary files that the
//! printers stream. Only counters per rule stay in memory.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{Map, Value};

use super::json::{Tool, stream_report};
use super::{FailOn, Format, Summary};
use crate::engine::escape;
use crate::engine::extsort::{ExternalSorter, SortRecord, codec};
use crate::engine::finding::{Finding, Severity};

/// The JSON schema id of a diff.
pub const SCHEMA: &str = "repocheck-diff/1";

/// Memory for sorting each report's findings before runs are spilled to disk.
const SORT_BUDGET: usize = 32 << 20;

/// How many new (and resolved) findings of each rule the table and JUnit list.
const LISTED: usize = 50;

/// One of the two reports compared.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The report's path as given.
    pub file: String,
    pub schema: String,
    pub started_at: String,
    pub finished_at: String,
    /// The report's own summary.
    pub summary: Summary,
    /// The products of its targets, in order.
    pub products: Vec<String>,
}

/// New, resolved and unchanged findings by severity (new and unchanged by the severity in
/// the after report, resolved by the one in the before report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub new: Summary,
    pub resolved: Summary,
    pub unchanged: Summary,
}

/// The comparison of two reports. The new and resolved findings stay in spool files, in
/// (rule, subject) order, and are streamed by each printer.
pub struct Diff {
    pub before: Side,
    pub after: Side,
    pub summary: Changes,
    /// Per rule: every rule that ran in either report, and every rule with findings.
    pub rules: BTreeMap<String, Changes>,
    new: File,
    resolved: File,
}

/// A finding keyed for the sort: (rule, subject, position in its report), then its JSON.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Keyed {
    rule: String,
    subject: String,
    seq: u64,
    json: Vec<u8>,
}

impl SortRecord for Keyed {
    fn mem_size(&self) -> usize {
        self.rule.len() + self.subject.len() + self.json.len() + 8
    }

    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        codec::put_bytes(out, self.rule.as_bytes())?;
        codec::put_bytes(out, self.subject.as_bytes())?;
        codec::put_u64(out, self.seq)?;
        codec::put_bytes(out, &self.json)
    }

    fn read_from(input: &mut impl Read) -> io::Result<Option<Self>> {
        let Some(len) = codec::first_u64(input)? else { return Ok(None) };
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e));
        let rule = text(codec::get_bytes_len(input, len)?)?;
        let subject = text(codec::get_bytes(input)?)?;
        let seq = codec::get_u64(input)?;
        let json = codec::get_bytes(input)?;
        Ok(Some(Keyed { rule, subject, seq, json }))
    }
}

impl Keyed {
    fn severity(&self) -> Result<Severity> {
        #[derive(serde::Deserialize)]
        struct Sev {
            severity: Severity,
        }
        Ok(serde_json::from_slice::<Sev>(&self.json).context("a sorted finding is corrupt")?.severity)
    }
}

/// Reads one report into a sorter; a bad report is an error naming its file.
fn sort_report(path: &Path, budget: usize) -> Result<(Side, Vec<String>, ExternalSorter<Keyed>)> {
    let mut sorter = ExternalSorter::new(budget);
    let mut seq = 0u64;
    let mut failure: Option<anyhow::Error> = None;
    let report = stream_report(path, &mut |f| {
        if failure.is_some() {
            return;
        }
        let keyed = serde_json::to_vec(&f).map_err(anyhow::Error::from).and_then(|json| sorter.push(Keyed { rule: f.rule, subject: f.subject, seq, json }));
        seq += 1;
        if let Err(e) = keyed {
            failure = Some(e);
        }
    })?;
    if let Some(e) = failure {
        return Err(e.context(format!("{}: cannot sort the findings", path.display())));
    }
    let mut products: Vec<String> = Vec::new();
    for t in &report.targets {
        if !products.contains(&t.product) {
            products.push(t.product.clone());
        }
    }
    let rules = report.targets.iter().flat_map(|t| t.rules.iter().cloned()).collect();
    let side = Side { file: path.display().to_string(), schema: report.schema, started_at: report.started_at, finished_at: report.finished_at, summary: report.summary, products };
    Ok((side, rules, sorter))
}

/// A spool of findings as JSON Lines.
struct Spool {
    out: BufWriter<File>,
}

impl Spool {
    fn new() -> Result<Spool> {
        Ok(Spool { out: BufWriter::with_capacity(1 << 16, tempfile::tempfile().context("cannot create a temporary file for the diff")?) })
    }

    fn push(&mut self, k: &Keyed) -> Result<()> {
        self.out.write_all(&k.json).and_then(|_| self.out.write_all(b"\n")).context("cannot write the diff's spool (is the temporary directory full?)")
    }

    fn finish(self) -> Result<File> {
        self.out.into_inner().map_err(|e| e.into_error()).context("cannot write the diff's spool")
    }
}

impl Diff {
    /// Compares two JSON reports (`repocheck-report/1` or `/2`).
    pub fn compute(before: &Path, after: &Path) -> Result<Diff> {
        Diff::compute_with_budget(before, after, SORT_BUDGET)
    }

    /// As [`Diff::compute`], sorting in at most about `budget` bytes of memory per report.
    pub fn compute_with_budget(before: &Path, after: &Path, budget: usize) -> Result<Diff> {
        let (before_side, before_rules, before_sorted) = sort_report(before, budget)?;
        let (after_side, after_rules, after_sorted) = sort_report(after, budget)?;
        let mut rules: BTreeMap<String, Changes> = before_rules.into_iter().chain(after_rules).map(|r| (r, Changes::default())).collect();
        let mut summary = Changes::default();
        let (mut new, mut resolved) = (Spool::new()?, Spool::new()?);
        let mut a = before_sorted.finish()?;
        let mut b = after_sorted.finish()?;
        let (mut x, mut y) = (a.next().transpose()?, b.next().transpose()?);
        loop {
            // Ordered by (rule, subject) only, so the k-th finding of a (rule, subject) in
            // one report pairs with the k-th in the other.
            let order = match (&x, &y) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(p), Some(q)) => (&p.rule, &p.subject).cmp(&(&q.rule, &q.subject)),
            };
            match (order, x.take(), y.take()) {
                (Ordering::Less, Some(k), rest) => {
                    let severity = k.severity()?;
                    summary.resolved.add(severity);
                    rules.entry(k.rule.clone()).or_default().resolved.add(severity);
                    resolved.push(&k)?;
                    (x, y) = (a.next().transpose()?, rest);
                }
                (Ordering::Greater, rest, Some(k)) => {
                    let severity = k.severity()?;
                    summary.new.add(severity);
                    rules.entry(k.rule.clone()).or_default().new.add(severity);
                    new.push(&k)?;
                    (x, y) = (rest, b.next().transpose()?);
                }
                (_, _, Some(k)) => {
                    let severity = k.severity()?;
                    summary.unchanged.add(severity);
                    rules.entry(k.rule).or_default().unchanged.add(severity);
                    (x, y) = (a.next().transpose()?, b.next().transpose()?);
                }
                (_, _, None) => unreachable!("a finding is behind only when its side has one"),
            }
        }
        Ok(Diff { before: before_side, after: after_side, summary, rules, new: new.finish()?, resolved: resolved.finish()? })
    }

    /// Whether a new finding is at or above `fail_on` (the exit status of `diff`).
    pub fn fails(&self, fail_on: FailOn) -> bool {
        self.summary.new.fails(fail_on)
    }

    /// Streams the new findings, in (rule, subject) order.
    pub fn for_each_new(&self, f: impl FnMut(Finding) -> Result<()>) -> Result<()> {
        for_each(&self.new, f)
    }

    /// Streams the resolved findings (as the before report had them), in (rule, subject) order.
    pub fn for_each_resolved(&self, f: impl FnMut(Finding) -> Result<()>) -> Result<()> {
        for_each(&self.resolved, f)
    }

    /// Writes the diff in `format`; `fail_on` decides the verdict (HTML) and which rules
    /// fail (JUnit).
    pub fn write(&self, format: Format, out: &mut dyn Write, fail_on: FailOn) -> Result<()> {
        match format {
            Format::Json => self.write_json(out),
            Format::Jsonl => self.write_jsonl(out),
            Format::Csv => self.write_csv(out),
            Format::Table => self.write_table(out),
            Format::Junit => self.write_junit(out, fail_on),
            Format::Prometheus => self.write_prometheus(out),
            Format::Html => super::html::write_diff(self, out, fail_on),
        }
    }

    /// `{"schema", "tool", "before", "after", "summary", "rules", "new": [...], "resolved": [...]}`.
    fn write_json(&self, out: &mut dyn Write) -> Result<()> {
        let tool = Tool { name: "repocheck".into(), version: env!("CARGO_PKG_VERSION").into() };
        write!(out, "{{\n  \"schema\": \"{SCHEMA}\",\n  \"tool\": {},\n", serde_json::to_string(&tool)?)?;
        writeln!(out, "  \"before\": {},", serde_json::to_string(&self.before)?)?;
        writeln!(out, "  \"after\": {},", serde_json::to_string(&self.after)?)?;
        writeln!(out, "  \"summary\": {},", serde_json::to_string(&self.summary)?)?;
        writeln!(out, "  \"rules\": {},", serde_json::to_string(&self.rules)?)?;
        for (name, last) in [("new", false), ("resolved", true)] {
            write!(out, "  \"{name}\": [")?;
            let mut first = true;
            let each = |f: Finding| -> Result<()> {
                out.write_all(if first { b"\n    " } else { b",\n    " })?;
                first = false;
                serde_json::to_writer(&mut *out, &f)?;
                Ok(())
            };
            if name == "new" {
                self.for_each_new(each)?
            } else {
                self.for_each_resolved(each)?
            }
            let close = if first { "]" } else { "\n  ]" };
            write!(out, "{close}{}", if last { "\n}\n" } else { ",\n" })?;
        }
        Ok(())
    }

    /// One line per new or resolved finding: `{"change": "new"|"resolved", ...finding}`.
    fn write_jsonl(&self, out: &mut dyn Write) -> Result<()> {
        for change in ["new", "resolved"] {
            let each = |f: Finding| -> Result<()> {
                let mut line = Map::new();
                line.insert("change".into(), Value::String(change.into()));
                if let Value::Object(fields) = serde_json::to_value(&f)? {
                    line.extend(fields);
                }
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
                Ok(())
            };
            if change == "new" { self.for_each_new(each)? } else { self.for_each_resolved(each)? }
        }
        Ok(())
    }

    /// `change,rule,severity,subject,message`, the new findings then the resolved ones.
    fn write_csv(&self, out: &mut dyn Write) -> Result<()> {
        let mut w = ::csv::Writer::from_writer(out);
        w.write_record(["change", "rule", "severity", "subject", "message"])?;
        for change in ["new", "resolved"] {
            let each = |f: Finding| -> Result<()> {
                w.write_record([change, &escape::text(&f.rule), f.severity.as_str(), &escape::text(&f.subject), &escape::text(&f.message)])?;
                Ok(())
            };
            if change == "new" { self.for_each_new(each)? } else { self.for_each_resolved(each)? }
        }
        w.flush()?;
        Ok(())
    }

    /// The first findings of each rule, for the table and JUnit.
    fn listed(&self, new: bool, limit: usize) -> Result<BTreeMap<String, Vec<Finding>>> {
        let mut listed: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        let each = |f: Finding| -> Result<()> {
            let list = listed.entry(f.rule.clone()).or_default();
            if list.len() < limit {
                list.push(f);
            }
            Ok(())
        };
        if new {
            self.for_each_new(each)?
        } else {
            self.for_each_resolved(each)?
        }
        Ok(listed)
    }

    /// Counts per rule (new, resolved, unchanged), then the first new and resolved
    /// findings of each rule.
    fn write_table(&self, out: &mut dyn Write) -> Result<()> {
        for (name, side) in [("before", &self.before), ("after", &self.after)] {
            let s = &side.summary;
            writeln!(out, "{name}: {} ({}): {} error(s), {} warning(s), {} info", escape::text(&side.file), escape::text(&side.started_at), s.error, s.warning, s.info)?;
        }
        let mut t = super::table::new_table();
        t.set_header(["rule", "new", "resolved", "unchanged"]);
        for (rule, c) in &self.rules {
            t.add_row([escape::text(rule).into_owned(), c.new.total().to_string(), c.resolved.total().to_string(), c.unchanged.total().to_string()]);
        }
        writeln!(out, "{t}")?;
        for (change, new) in [("new", true), ("resolved", false)] {
            for (rule, findings) in self.listed(new, LISTED)? {
                let total = self.rules.get(&rule).map(|c| if new { c.new.total() } else { c.resolved.total() }).unwrap_or(0);
                writeln!(out, "\n{change}: {} ({total})", escape::text(&rule))?;
                let mut t = super::table::new_table();
                t.set_header(["severity", "subject", "message"]);
                for f in &findings {
                    t.add_row([f.severity.to_string(), escape::text(&f.subject).into_owned(), escape::text(&f.message).into_owned()]);
                }
                writeln!(out, "{t}")?;
                if total as usize > findings.len() {
                    writeln!(out, "… and {} more (use --format json or csv for all)", total as usize - findings.len())?;
                }
            }
        }
        let (n, r, u) = (&self.summary.new, &self.summary.resolved, &self.summary.unchanged);
        writeln!(out, "\n{} new ({} error, {} warning, {} info), {} resolved, {} unchanged", n.total(), n.error, n.warning, n.info, r.total(), u.total())?;
        Ok(())
    }

    /// A test case per rule, failed when it has new findings at or above `fail_on`.
    fn write_junit(&self, out: &mut dyn Write, fail_on: FailOn) -> Result<()> {
        use super::html::esc;
        let listed = self.listed(true, LISTED)?;
        let failed = |c: &Changes| c.new.fails(fail_on);
        let failures = self.rules.values().filter(|c| failed(c)).count();
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(out, r#"<testsuites name="repocheck diff" tests="{}" failures="{failures}">"#, self.rules.len())?;
        let mut suites: BTreeMap<&str, Vec<(&String, &Changes)>> = BTreeMap::new();
        for (rule, c) in &self.rules {
            suites.entry(rule.split('/').next().unwrap_or_default()).or_default().push((rule, c));
        }
        for (product, rules) in suites {
            let failures = rules.iter().filter(|(_, c)| failed(c)).count();
            writeln!(out, r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="0">"#, esc(product), rules.len())?;
            for (rule, c) in rules {
                write!(out, r#"    <testcase classname="repocheck.{}" name="{}""#, esc(product), esc(rule))?;
                let other = format!("{} resolved, {} unchanged", c.resolved.total(), c.unchanged.total());
                if failed(c) {
                    writeln!(out, ">")?;
                    writeln!(out, r#"      <failure message="{} new finding(s): {} error, {} warning, {} info">"#, c.new.total(), c.new.error, c.new.warning, c.new.info)?;
                    let shown = listed.get(rule.as_str()).map(Vec::as_slice).unwrap_or_default();
                    for f in shown {
                        writeln!(out, "{}: {}: {}", f.severity, esc(&f.subject), esc(&f.message))?;
                    }
                    if c.new.total() as usize > shown.len() {
                        writeln!(out, "… and {} more", c.new.total() as usize - shown.len())?;
                    }
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

    /// `repocheck_findings_{new,resolved,unchanged}{severity}` and per rule
    /// `repocheck_rule_findings_{new,resolved}{product,rule,severity}`.
    fn write_prometheus(&self, out: &mut dyn Write) -> Result<()> {
        let label = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        type Part = fn(&Changes) -> &Summary;
        let kinds: [(&str, &str, Part); 3] = [
            ("new", "Findings of the after report that the before report did not have", |c| &c.new),
            ("resolved", "Findings of the before report that the after report no longer has", |c| &c.resolved),
            ("unchanged", "Findings both reports have (same rule and subject)", |c| &c.unchanged),
        ];
        for (kind, help, get) in kinds {
            writeln!(out, "# HELP repocheck_findings_{kind} {help}, by severity.\n# TYPE repocheck_findings_{kind} gauge")?;
            for severity in Severity::ALL {
                writeln!(out, "repocheck_findings_{kind}{{severity=\"{severity}\"}} {}", get(&self.summary).count(severity))?;
            }
        }
        for (kind, help, get) in &kinds[..2] {
            writeln!(out, "# HELP repocheck_rule_findings_{kind} {help}, by rule and severity.\n# TYPE repocheck_rule_findings_{kind} gauge")?;
            for (rule, c) in &self.rules {
                let product = rule.split('/').next().unwrap_or_default();
                for severity in Severity::ALL {
                    writeln!(out, "repocheck_rule_findings_{kind}{{product=\"{}\",rule=\"{}\",severity=\"{severity}\"}} {}", label(product), label(rule), get(c).count(severity))?;
                }
            }
        }
        Ok(())
    }
}

fn for_each(spool: &File, mut f: impl FnMut(Finding) -> Result<()>) -> Result<()> {
    let mut file = spool;
    file.seek(SeekFrom::Start(0)).context("cannot rewind the diff's spool")?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).context("cannot read the diff's spool")? == 0 {
            return Ok(());
        }
        f(serde_json::from_str(&line).context("the diff's spool is corrupt")?)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn finding(rule: &str, subject: &str, severity: Severity, message: &str) -> Finding {
        Finding { rule: rule.into(), severity, subject: subject.into(), message: message.into(), details: Map::new(), repair: None }
    }

    fn report(dir: &Path, name: &str, findings: &[Finding]) -> std::path::PathBuf {
        let path = dir.join(name);
        let mut summary = Summary::default();
        findings.iter().for_each(|f| summary.add(f.severity));
        let value = serde_json::json!({
            "schema": "repocheck-report/1", "tool": {"name": "repocheck", "version": "0"},
            "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
            "targets": [{"product": "p", "inputs": {}, "rules": ["p/a", "p/b", "p/quiet"]}],
            "stats": {"db_rows": 0, "entries_walked": 0, "bytes_hashed": 0, "elapsed_ms": 0},
            "summary": summary, "findings": findings, "repairs": []
        });
        std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
        path
    }

    type Keys = Vec<(String, String)>;

    fn collect(diff: &Diff) -> (Keys, Keys) {
        let (mut new, mut resolved) = (Keys::new(), Keys::new());
        diff.for_each_new(|f| {
            new.push((f.rule, f.subject));
            Ok(())
        })
        .unwrap();
        diff.for_each_resolved(|f| {
            resolved.push((f.rule, f.subject));
            Ok(())
        })
        .unwrap();
        (new, resolved)
    }

    #[test]
    fn a_changed_message_is_unchanged_and_duplicates_pair_one_to_one() {
        let dir = tempfile::tempdir().unwrap();
        let before = report(dir.path(), "b.json", &[finding("p/a", "x", Severity::Error, "old words"), finding("p/a", "gone", Severity::Warning, ""), finding("p/b", "dup", Severity::Info, "1")]);
        let after = report(
            dir.path(),
            "a.json",
            &[finding("p/b", "dup", Severity::Info, "1"), finding("p/a", "x", Severity::Error, "new words"), finding("p/b", "dup", Severity::Info, "2"), finding("p/a", "fresh", Severity::Error, "")],
        );
        let diff = Diff::compute(&before, &after).unwrap();
        let (new, resolved) = collect(&diff);
        assert_eq!(new, [("p/a".to_string(), "fresh".to_string()), ("p/b".into(), "dup".into())]);
        assert_eq!(resolved, [("p/a".to_string(), "gone".to_string())]);
        assert_eq!(diff.summary.unchanged, Summary { error: 1, warning: 0, info: 1 });
        assert_eq!(diff.summary.new, Summary { error: 1, warning: 0, info: 1 });
        assert_eq!(diff.rules["p/quiet"], Changes::default());
        assert!(diff.fails(FailOn::At(Severity::Error)));
        assert!(!diff.fails(FailOn::Never));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn spilled_sorts_count_like_a_multiset(
            before in proptest::collection::vec(("[ab]", "[a-e]{1,3}"), 0..300),
            after in proptest::collection::vec(("[ab]", "[a-e]{1,3}"), 0..300),
        ) {
            let dir = tempfile::tempdir().unwrap();
            // Long messages: the sorter's smallest budget (64 KiB) spills many runs.
            let padding = "m".repeat(1000);
            let to = |v: &[(String, String)]| v.iter().map(|(r, s)| finding(&format!("p/{r}"), s, Severity::Error, &padding)).collect::<Vec<_>>();
            let b = report(dir.path(), "b.json", &to(&before));
            let a = report(dir.path(), "a.json", &to(&after));
            let diff = Diff::compute_with_budget(&b, &a, 0).unwrap();
            let mut count: HashMap<(String, String), i64> = HashMap::new();
            for (r, s) in &after { *count.entry((format!("p/{r}"), s.clone())).or_default() += 1; }
            for (r, s) in &before { *count.entry((format!("p/{r}"), s.clone())).or_default() -= 1; }
            let expect_new: i64 = count.values().filter(|&&n| n > 0).sum();
            let expect_resolved: i64 = -count.values().filter(|&&n| n < 0).sum::<i64>();
            prop_assert_eq!(diff.summary.new.total() as i64, expect_new);
            prop_assert_eq!(diff.summary.resolved.total() as i64, expect_resolved);
            prop_assert_eq!(diff.summary.unchanged.total() as i64, after.len() as i64 - expect_new);
            let (new, _) = collect(&diff);
            let mut sorted = new.clone();
            sorted.sort();
            prop_assert_eq!(new, sorted);
        }
    }
}
