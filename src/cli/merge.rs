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
        let mut side = LineSpool::new()?;
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
                    if let Err(e) = side.push(&record) {
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
        let mut unique = LineSpool::new()?;
        let mut previous: Option<Vec<u8>> = None;
        for line in sorter.finish()? {
            let line = line?.0;
            if previous.as_ref() != Some(&line) {
                unique.push_raw(&line)?;
                previous = Some(line);
            }
        }
        merge_products(&mut unique, &mut side, sink)?;
        for (product, unit, key, title, owner) in titles {
            sink.describe_unit(&product, &unit, &key, title, owner);
        }
        Ok(())
    })
}

/// Hands each product's findings and side records to the product's `merge` (in the order
/// of the product names, as the sorted findings come), which makes what its shards could
/// not see alone; findings of no product (the manifest comparison's) go as they are.
fn merge_products(unique: &mut LineSpool, side: &mut LineSpool, sink: &crate::engine::sink::Sink) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Rule {
        rule: String,
    }
    #[derive(serde::Deserialize)]
    struct Product {
        product: Option<String>,
    }
    type Parts = BTreeMap<String, (LineSpool, LineSpool)>;
    fn part<'a>(parts: &'a mut Parts, name: &str) -> Result<&'a mut (LineSpool, LineSpool)> {
        if !parts.contains_key(name) {
            parts.insert(name.to_string(), (LineSpool::new()?, LineSpool::new()?));
        }
        Ok(parts.get_mut(name).expect("inserted"))
    }
    let mut parts = Parts::new();
    for line in unique.lines()? {
        let line = line?;
        let rule: Rule = serde_json::from_str(&line)?;
        let product = rule.rule.split('/').next().unwrap_or_default();
        part(&mut parts, product)?.0.push_raw(line.as_bytes())?;
    }
    for line in side.lines()? {
        let line = line?;
        let record: Product = serde_json::from_str(&line)?;
        part(&mut parts, record.product.as_deref().unwrap_or_default())?.1.push_raw(line.as_bytes())?;
    }
    for (name, (findings, records)) in &mut parts {
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
