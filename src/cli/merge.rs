//! `repocheck merge <report.json>...`: one report from the reports of several shards or
//! hosts. Findings every shard makes alike (database-wide ones such as jobs-active) are
//! kept once, so the merged summary and exit code are those of a single run.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::process::ExitCode;

use anyhow::Result;

use super::MergeCmd;
use crate::engine::report::stream_report;

pub fn run(cmd: MergeCmd) -> Result<ExitCode> {
    // Every input is read once before anything is written, so a bad one fails the merge
    // (exit 2) before any output exists; the second pass streams the findings.
    for path in &cmd.reports {
        stream_report(path, &mut |_| {})?;
    }
    let catalogue = cmd.out.catalogue()?;
    cmd.out.run(catalogue, |sink| {
        // Hashes of findings already kept: shards repeat the database-wide ones.
        let mut seen = HashSet::new();
        let mut titles = Vec::new();
        for path in &cmd.reports {
            let mut failure = None;
            let report = stream_report(path, &mut |finding| {
                // Repairs follow from the findings and are rebuilt from them.
                let mut h = std::collections::hash_map::DefaultHasher::new();
                match serde_json::to_string(&finding) {
                    Ok(text) => text.hash(&mut h),
                    Err(e) => {
                        failure.get_or_insert(e);
                        return;
                    }
                }
                if seen.insert(h.finish()) {
                    sink.record(finding);
                }
            })?;
            if let Some(e) = failure {
                return Err(e.into());
            }
            for target in report.targets {
                sink.record_target(target);
            }
            sink.add_stats(&report.stats);
            // The plan is rebuilt from the findings; its titles come from the shards.
            titles.extend(report.plan.into_iter().map(|u| (u.product, u.unit, u.key, u.title, u.owner)));
        }
        for (product, unit, key, title, owner) in titles {
            sink.describe_unit(&product, &unit, &key, title, owner);
        }
        Ok(())
    })
}
