//! `repocheck repair <product> …`: dry run by default; `--apply` changes things.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::{RepairCmd, RepairProduct};
use crate::engine::escape;
use crate::engine::report::stream_report;
use crate::fossology::Rule;
use crate::fossology::repair::{self, Decision, Guard, Owner, Queue};

pub fn run(cmd: RepairCmd) -> Result<ExitCode> {
    match cmd.product {
        RepairProduct::Fossology(a) => {
            // Only the repairs matter here, and the paths of the missing files each re-unpack
            // restores (looked at again before it is queued).
            let mut missing: BTreeMap<i64, Vec<String>> = BTreeMap::new();
            // Per missing or damaged file, the uploads whose re-unpack restores it.
            let mut restorers: Vec<Vec<i64>> = Vec::new();
            let report = stream_report(&a.queue, &mut |f| {
                let upload = f.repair.as_ref().filter(|r| r.action == "reunpack").and_then(|r| r.fields.get("upload")).and_then(serde_json::Value::as_i64);
                let rule = Rule::from_id(&f.rule);
                if let Some(upload) = upload.filter(|_| rule.is_some_and(Rule::restored_by_reunpack)) {
                    let from: Vec<i64> = f.details.get("reunpack_from").and_then(serde_json::Value::as_array).map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect()).unwrap_or_default();
                    restorers.push(if from.is_empty() { vec![upload] } else { from });
                }
                if rule == Some(Rule::FileMissing)
                    && let Some(upload) = upload
                {
                    let paths = missing.entry(upload).or_default();
                    if paths.len() < repair::MISSING_KEPT {
                        paths.push(f.subject);
                    }
                }
            })?;
            let mut queue = Queue::from_report(&report, &missing, &restorers);
            if a.apply && (!queue.moves.is_empty() || !queue.copies.is_empty()) && a.repo.is_none() {
                bail!("--apply with moves or copies in the queue needs --repo <repository root>");
            }
            let owner = match &a.conf {
                Some(conf) => Owner::from_conf(conf)?,
                None => Owner::default(),
            };
            if a.shell {
                print!("{}", repair::render_script(&queue, &owner));
                return Ok(ExitCode::SUCCESS);
            }
            let params: crate::fossology::Params = crate::products::catalogue(a.rules.as_deref())?.params("fossology")?;
            let unwritable = match &a.repo {
                Some(repo) if !queue.reunpacks.is_empty() => repair::agents_cannot_write(repo, &owner)?,
                _ => None,
            };
            let guard = Guard { repo: a.repo.clone(), grace_seconds: params.in_flight.grace_seconds, unwritable };
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (decisions, queued, late) = runtime.block_on(async {
                let mut conn = repair::connect(&a.db).await?;
                let decisions = repair::decide(&mut conn, &mut queue.reunpacks, a.user, &guard).await?;
                let (queued, late) = if a.apply { repair::apply_sql(&mut conn, &mut queue.reunpacks, &decisions, &guard).await? } else { (Vec::new(), Vec::new()) };
                anyhow::Ok((decisions, queued, late))
            })?;
            for (r, d) in queue.reunpacks.iter().zip(&decisions) {
                if let Decision::Skip { why } = d {
                    eprintln!("upload {}: not queued: {}", r.upload, escape::text(why));
                }
            }
            for (upload, why) in &late {
                eprintln!("upload {upload}: not queued: {}", escape::text(why));
            }
            if a.apply {
                for (upload, job, jq) in &queued {
                    println!("upload {upload}: re-unpack queued (job {job}, jobqueue {jq})");
                }
                if let Some(repo) = &a.repo {
                    for line in repair::apply_files(&queue, repo, &owner)? {
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
                if !queue.moves.is_empty() || !queue.copies.is_empty() {
                    eprintln!(
                        "{} move(s) and {} copies are not in this SQL: `repocheck repair fossology --queue {} --db … --shell | (cd <repository> && sh)` prints them as a shell script",
                        queue.moves.len(),
                        queue.copies.len(),
                        a.queue.display()
                    );
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
