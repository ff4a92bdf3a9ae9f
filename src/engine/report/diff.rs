//! `repocheck diff`: what changed between two JSON reports. This is the model — what is
//! new, resolved and unchanged, the counts, the verdict; the format modules print it.
//!
//! A finding is identified by its rule and subject; a finding of the same rule and subject
//! in both reports is unchanged even when its message, details or severity differ. A
//! report may name one (rule, subject) several times: the k-th of the before report pairs
//! with the k-th of the after report, and the surplus of either side is resolved or new.
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

use super::read::stream_report;
use super::{FailOn, Summary};
use crate::engine::extsort::{ExternalSorter, SortRecord, codec};
use crate::engine::finding::{Finding, Severity};

/// The JSON schema id of a diff.
pub const SCHEMA: &str = "repocheck-diff/1";

/// Memory for sorting each report's findings before runs are spilled to disk.
const SORT_BUDGET: usize = 32 << 20;

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

impl Changes {
    /// The counts of the findings that are `change`.
    pub fn of(&self, change: Change) -> &Summary {
        match change {
            Change::New => &self.new,
            Change::Resolved => &self.resolved,
        }
    }
}

/// The findings of a diff that it keeps, and its printers list: the unchanged ones are
/// only counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    Resolved,
}

impl Change {
    /// In the order the printers list them.
    pub const LISTED: [Change; 2] = [Change::New, Change::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Resolved => "resolved",
        }
    }
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
        self.for_each(Change::New, f)
    }

    /// Streams the resolved findings (as the before report had them), in (rule, subject) order.
    pub fn for_each_resolved(&self, f: impl FnMut(Finding) -> Result<()>) -> Result<()> {
        self.for_each(Change::Resolved, f)
    }

    /// Streams the findings that are `change`, in (rule, subject) order.
    pub fn for_each(&self, change: Change, f: impl FnMut(Finding) -> Result<()>) -> Result<()> {
        read_spool(
            match change {
                Change::New => &self.new,
                Change::Resolved => &self.resolved,
            },
            f,
        )
    }

    /// The first `limit` findings of each rule that are `change`, for the printers that
    /// list some and count the rest.
    pub fn first_of_each_rule(&self, change: Change, limit: usize) -> Result<BTreeMap<String, Vec<Finding>>> {
        let mut listed: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        self.for_each(change, |f| {
            let list = listed.entry(f.rule.clone()).or_default();
            if list.len() < limit {
                list.push(f);
            }
            Ok(())
        })?;
        Ok(listed)
    }
}

fn read_spool(spool: &File, mut f: impl FnMut(Finding) -> Result<()>) -> Result<()> {
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
    use serde_json::Map;
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
