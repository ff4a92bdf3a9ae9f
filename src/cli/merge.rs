//! `repocheck merge <report.json>...`: one report from the reports of several shards or
//! hosts. Findings every shard makes alike (database-wide ones such as jobs-active) are
//! kept once, so the merged summary and exit code are those of a single run.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::process::ExitCode;

use anyhow::Result;

use super::MergeCmd;
use crate::engine::report::read_report;

pub fn run(cmd: MergeCmd) -> Result<ExitCode> {
    let reports = cmd.reports.iter().map(|p| read_report(p)).collect::<Result<Vec<_>>>()?;
    let catalogue = cmd.out.catalogue()?;
    cmd.out.run(catalogue, |sink| {
        let mut seen = HashSet::new();
        for report in reports {
            for target in report.targets {
                sink.record_target(target);
            }
            sink.add_stats(&report.stats);
            // Repairs follow from the findings and are rebuilt from them.
            for finding in report.findings {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                serde_json::to_string(&finding)?.hash(&mut h);
                if seen.insert(h.finish()) {
                    sink.record(finding);
                }
            }
        }
        Ok(())
    })
}
