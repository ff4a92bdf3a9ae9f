//! `repocheck merge <report.json>...`: one report from the reports of several shards or
//! hosts, equal to what one whole run says.
//!
//! Every finding of every report goes through an external sort, so findings that shards
//! make alike (database-wide ones such as jobs-active, or a whole-tree layout-mismatch)
//! are kept once — exactly, by their full text, not by a hash that may drop a real one —
//! with memory flat however many there are. Then the products say what the shards could
//! not see alone (`fossology::shards`).

use std::process::ExitCode;

use anyhow::Result;

use super::MergeCmd;
use crate::engine::extsort::ExternalSorter;
use crate::engine::report::stream_report_with;
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
            for target in report.targets {
                sink.record_target(target);
            }
            sink.add_stats(&report.stats);
            // The plan is rebuilt from the findings; its titles come from the shards.
            titles.extend(report.plan.into_iter().map(|u| (u.product, u.unit, u.key, u.title, u.owner)));
        }
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
        crate::fossology::shards::merge(&mut unique, &mut side, sink)?;
        for (product, unit, key, title, owner) in titles {
            sink.describe_unit(&product, &unit, &key, title, owner);
        }
        Ok(())
    })
}
