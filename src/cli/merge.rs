//! `repocheck merge <report.json>...`: one report from the reports of several shards or
//! hosts, equal to what one whole run says.
//!
//! Every finding of every report goes through an external sort, so findings that shards
//! make alike (database-wide ones such as jobs-active, or a whole-tree layout-mismatch)
//! are kept once — exactly, by their full text, not by a hash that may drop a real one —
//! with memory flat however many there are. Then the products say what the shards could
//! not see alone (`fossology::shards`).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::{Map, Value};

use super::MergeCmd;
use crate::engine::extsort::ExternalSorter;
use crate::engine::report::{Share, StatsOut, Target, stream_report_with};
use crate::engine::spool::{Line, LineSpool};

/// Bytes of findings the deduplicating sort holds in memory.
const SORT_BUDGET: usize = 64 << 20;

pub fn run(cmd: MergeCmd) -> Result<ExitCode> {
    // Every input is read once before anything is written, so a bad one fails the merge
    // (exit 2) before any output exists; the second pass streams the findings.
    for path in &cmd.reports {
        stream_report_with(path, &mut |_| {}, &mut |_| {})?;
    }
    let catalogue = cmd.out.catalogue()?;
    cmd.out.run(catalogue, |sink| {
        let mut sorter = ExternalSorter::new(SORT_BUDGET);
        let mut parts = Parts::default();
        let mut titles = Vec::new();
        let mut targets = Vec::new();
        let mut stats = Vec::new();
        for path in &cmd.reports {
            let (mut failure, mut side_failure) = (None, None);
            let report = stream_report_with(
                path,
                &mut |finding| {
                    if let Err(e) = serde_json::to_vec(&finding).map_err(anyhow::Error::from).and_then(|line| sorter.push(Line(line))) {
                        failure.get_or_insert(e);
                    }
                },
                &mut |record| {
                    if let Err(e) = parts.side(&record) {
                        side_failure.get_or_insert(e);
                    }
                },
            )?;
            if let Some(e) = failure.or(side_failure) {
                return Err(e);
            }
            stats.push((database_key(&report.targets), report.stats));
            targets.extend(report.targets);
            // The plan is rebuilt from the findings; its titles come from the shards.
            titles.extend(report.plan.into_iter().map(|u| (u.product, u.unit, u.key, u.title, u.owner)));
        }
        for target in merge_targets(targets) {
            sink.record_target(target);
        }
        sink.add_stats(&merge_stats(&stats));
        // Exactly equal findings are one.
        let mut previous: Option<Vec<u8>> = None;
        for line in sorter.finish()? {
            let line = line?.0;
            if previous.as_ref() != Some(&line) {
                parts.finding(&line)?;
                previous = Some(line);
            }
        }
        parts.merge(sink)?;
        for (product, unit, key, title, owner) in titles {
            sink.describe_unit(&product, &unit, &key, title, owner);
        }
        Ok(())
    })
}

/// The deduplicated findings and the side records of every report, each product's in
/// spools of its own, as `merge` hands them to the product.
#[derive(Default)]
struct Parts(BTreeMap<String, (LineSpool, LineSpool)>);

impl Parts {
    fn of(&mut self, product: &str) -> Result<&mut (LineSpool, LineSpool)> {
        if !self.0.contains_key(product) {
            self.0.insert(product.to_string(), (LineSpool::new()?, LineSpool::new()?));
        }
        Ok(self.0.get_mut(product).expect("inserted"))
    }

    /// A finding, as its JSON line; its product is its rule id's prefix.
    fn finding(&mut self, line: &[u8]) -> Result<()> {
        #[derive(serde::Deserialize)]
        struct Rule {
            rule: String,
        }
        let rule: Rule = serde_json::from_slice(line)?;
        let product = rule.rule.split('/').next().unwrap_or_default().to_string();
        self.of(&product)?.0.push_raw(line)
    }

    /// A side record; its product is its `product` key.
    fn side(&mut self, record: &serde_json::Value) -> Result<()> {
        let product = record.get("product").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
        self.of(&product)?.1.push(record)
    }

    /// Hands each product its findings and side records (in the order of the product
    /// names, as the sorted findings come), and its `merge` makes what its shards could not
    /// see alone; findings of no product (the manifest comparison's) go as they are.
    fn merge(mut self, sink: &crate::engine::sink::Sink) -> Result<()> {
        for (name, (findings, records)) in &mut self.0 {
            match crate::products::find(name) {
                Some(p) => (p.merge)(findings, records, sink)?,
                None => {
                    for f in findings.read::<crate::engine::finding::Finding>()? {
                        sink.record(f?);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The targets of the reports, those that are one installation checked in parts (the same
/// product, inputs, level and rules: shards, hosts, subsets) made one, with the scope of
/// their union; others are kept as they are, in the order they came.
fn merge_targets(targets: Vec<Target>) -> Vec<Target> {
    let mut groups: Vec<(String, Vec<Target>)> = Vec::new();
    for t in targets {
        let key = serde_json::to_string(&(&t.product, &t.inputs, &t.level, &t.rules)).unwrap_or_default();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, parts)) => parts.push(t),
            None => groups.push((key, vec![t])),
        }
    }
    groups
        .into_iter()
        .map(|(_, parts)| {
            let scopes: Vec<Map<String, Value>> = parts.iter().map(|t| t.scope.clone().unwrap_or_default()).collect();
            let mut target = parts.into_iter().next().expect("a group has a target");
            let scope = match crate::products::find(&target.product) {
                Some(p) => (p.merge_scope)(&scopes),
                None => scopes.into_iter().next().unwrap_or_default(),
            };
            target.scope = (!scope.is_empty()).then_some(scope);
            target
        })
        .collect()
}

/// What says which database a report read: its targets' products and inputs.
fn database_key(targets: &[Target]) -> String {
    serde_json::to_string(&targets.iter().map(|t| (&t.product, &t.inputs)).collect::<Vec<_>>()).unwrap_or_default()
}

/// The counters of a whole run from its parts' reports: every part of one installation
/// reads its whole database, so its rows count once (the most any part read); what a
/// shard walked and hashed counts by its share (`stats.share`), so directories every shard
/// lists count once; a report without a share (a whole run, a merged report) counts whole.
fn merge_stats(parts: &[(String, StatsOut)]) -> StatsOut {
    let mut out = StatsOut::default();
    let mut rows: BTreeMap<&str, u64> = BTreeMap::new();
    for (key, s) in parts {
        let r = rows.entry(key.as_str()).or_default();
        *r = (*r).max(s.db_rows);
        let share = s.share.unwrap_or(Share { entries_walked: s.entries_walked, bytes_hashed: s.bytes_hashed, objects_hashed: s.objects_hashed });
        out.entries_walked += share.entries_walked;
        out.bytes_hashed += share.bytes_hashed;
        out.objects_hashed += share.objects_hashed;
        out.elapsed_ms = out.elapsed_ms.max(s.elapsed_ms);
    }
    out.db_rows = rows.values().sum();
    out
}
