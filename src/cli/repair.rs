//! `repocheck repair <product> …`: dry run by default; `--apply` changes things.

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::{RepairCmd, RepairProduct};
use crate::engine::escape;
use crate::engine::report::stream_report;
use crate::fossology::repair::{self, Decision, Queue};

pub fn run(cmd: RepairCmd) -> Result<ExitCode> {
    match cmd.product {
        RepairProduct::Fossology(a) => {
            // Only the repairs matter here: the findings are read past, not kept.
            let report = stream_report(&a.queue, &mut |_| {})?;
            let queue = Queue::from_report(&report);
            if a.apply && (!queue.moves.is_empty() || !queue.links.is_empty()) && a.repo.is_none() {
                bail!("--apply with moves or links in the queue needs --repo <repository root>");
            }
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (decisions, queued) = runtime.block_on(async {
                let mut conn = repair::connect(&a.db).await?;
                let decisions = repair::decide(&mut conn, &queue.reunpacks, a.user).await?;
                let queued = if a.apply { repair::apply_sql(&mut conn, &queue.reunpacks, &decisions).await? } else { Vec::new() };
                anyhow::Ok((decisions, queued))
            })?;
            for (r, d) in queue.reunpacks.iter().zip(&decisions) {
                if let Decision::Skip { why } = d {
                    eprintln!("upload {}: not queued: {}", r.upload, escape::text(why));
                }
            }
            if a.apply {
                for (upload, job, jq) in &queued {
                    println!("upload {upload}: re-unpack queued (job {job}, jobqueue {jq})");
                }
                if let Some(repo) = &a.repo {
                    for line in repair::apply_files(&queue, repo)? {
                        println!("{}", escape::text(&line));
                    }
                }
                if let Some(address) = &a.notify {
                    // The jobs are committed either way; the scheduler also polls on its own.
                    match repair::notify_scheduler(address) {
                        Ok(answer) => println!("scheduler: {}", escape::text(&answer)),
                        Err(e) => eprintln!("warning: {e:#}; the jobs are queued and the scheduler picks them up at its next poll"),
                    }
                }
            } else {
                print!("{}", repair::render_sql(&queue.reunpacks, &decisions));
                if !queue.moves.is_empty() || !queue.links.is_empty() {
                    println!("\n-- moves and links (shell, in the repository root):");
                    for line in repair::render_script(&queue).lines() {
                        println!("-- {}", escape::text(line));
                    }
                }
            }
            let manual = repair::render_manual(&queue);
            if !manual.is_empty() {
                // For a person: each line with its control characters escaped.
                let lines: Vec<_> = manual.lines().map(escape::text).collect();
                eprintln!("manual steps:\n{}", lines.join("\n"));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
