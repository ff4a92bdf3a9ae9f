//! `repair fossology`: turns a report's repairs into what FOSSology itself would do.
//!
//! A re-unpack is queued exactly as the UI's re-unpack page does (`ui_reunpack::AgentAdd`
//! in `src/ununpack/ui/ui-reunpack.php`): reset `ununpack_ars.ars_success` so ununpack does
//! not exit early, reuse the latest `job` named `reunpack` of the upload's owner or insert
//! one, and add a `jobqueue` row of type `ununpack` whose argument is the upload id. An
//! upload with no `uploadtree` rows also gets the `adj2nest` job that normal scheduling
//! queues after ununpack (the re-unpack page does not, and without it the tree has no
//! nested-set values). Everything runs in one transaction.
//!
//! FOSSology may be working while the queue is applied, so each re-unpack is looked at
//! again inside the transaction that queues it, with the upload's row locked (`FOR
//! UPDATE`: delagent's update of it waits): it is skipped, saying why, when any agent's job
//! for the upload is queued or running (FOSSology already has it in hand: the UI queues
//! its own unpack after importing an upload, `UploadPageBase::postUploadAddJobs`), when the
//! upload is younger than the in-flight grace period and not yet queued, when its tree rows
//! are back for a tree repair, or when the files the report found missing are all back.
//! Running the queue twice queues nothing new.
//!
//! Moves of misplaced objects and copies of a gold from its files copy are a shell script
//! (`--shell`) or done with `--apply`; the directories they create get the project user and group and FOSSology's
//! mode 2770, whoever runs it. Refetches and restores from a backup are listed for the
//! operator.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{Repair, Rule};
use crate::engine::escape;
use crate::engine::finding::Repair as Fix;
use crate::engine::product::{Product, ProductCommand};
use crate::engine::report::{ReportFile, stream_report};
use crate::engine::rules::RuleCode;
use crate::engine::tables::redact_url;

/// One upload to re-unpack, as the report asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reunpack {
    pub upload: i64,
    /// The rules that call for it.
    pub because: Vec<String>,
    /// The upload has no uploadtree rows: adj2nest must follow ununpack.
    pub rebuild_tree: bool,
    /// The files the report found missing that this re-unpack restores (relative paths, the
    /// first [`MISSING_KEPT`]): if all are back when it is applied, it is not queued.
    pub missing: Vec<String>,
}

/// The fewest uploads whose re-unpacks restore every file: each file lists the uploads
/// that can restore it (ununpack re-imports every file of an upload from its gold). A file
/// only one upload can restore decides that one; then, greedily, the upload restoring the
/// most files still uncovered (the lowest id on a tie).
pub fn fewest_reunpacks(files: &[Vec<i64>]) -> BTreeSet<i64> {
    let mut chosen: BTreeSet<i64> = files.iter().filter(|c| c.len() == 1).map(|c| c[0]).collect();
    let mut open: Vec<&Vec<i64>> = files.iter().filter(|c| !c.is_empty() && !c.iter().any(|u| chosen.contains(u))).collect();
    while !open.is_empty() {
        let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
        for c in &open {
            for u in c.iter() {
                *counts.entry(*u).or_default() += 1;
            }
        }
        let Some((&best, _)) = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) else { break };
        chosen.insert(best);
        open.retain(|c| !c.contains(&best));
    }
    chosen
}

/// How many missing paths of one upload the queue keeps to look at again.
pub const MISSING_KEPT: usize = 1000;

/// What the database says about an upload to re-unpack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Queue it as this user (the owner, or `--user` when the owner is gone).
    Queue {
        user: i64,
        filename: String,
    },
    Skip {
        why: String,
    },
}

/// The repairs of a report, by kind.
#[derive(Debug, Default)]
pub struct Queue {
    pub reunpacks: Vec<Reunpack>,
    pub moves: Vec<(String, String)>,
    pub copies: Vec<(String, String)>,
    /// Refetches and restores: manual steps.
    pub manual: Vec<(Fix, Vec<String>)>,
}

impl Queue {
    /// The FOSSology repairs of a report. `restorers` lists, per missing or damaged file,
    /// the uploads whose re-unpack restores it: a re-unpack asked only for files another
    /// queued one restores anyway is left out (see [`fewest_reunpacks`]).
    pub fn from_report(report: &ReportFile, missing: &BTreeMap<i64, Vec<String>>, restorers: &[Vec<i64>]) -> Queue {
        let mut queue = Queue::default();
        let mut reunpacks: BTreeMap<i64, Reunpack> = BTreeMap::new();
        for entry in report.repairs.iter().filter(|r| r.product == super::Fossology::NAME) {
            let because: Vec<String> = entry.because.iter().cloned().collect();
            match entry.repair.to_action::<Repair>() {
                Some(Repair::Reunpack { upload }) => {
                    let r = reunpacks.entry(upload).or_insert_with(|| Reunpack { upload, because: Vec::new(), rebuild_tree: false, missing: missing.get(&upload).cloned().unwrap_or_default() });
                    r.rebuild_tree |= because.iter().any(|b| Rule::from_id(b) == Some(Rule::UploadTreeMissing));
                    r.because.extend(because);
                    r.because.sort();
                    r.because.dedup();
                }
                Some(Repair::Move { from, to }) => queue.moves.push((from, to)),
                Some(Repair::Copy { from, to }) => queue.copies.push((from, to)),
                _ => queue.manual.push((entry.repair.clone(), because)),
            }
        }
        // Only the files whose own repair is in the report's list (the first of each list).
        let restorers: Vec<Vec<i64>> = restorers.iter().filter(|c| c.first().is_some_and(|u| reunpacks.contains_key(u))).cloned().collect();
        let needed = fewest_reunpacks(&restorers);
        reunpacks.retain(|upload, r| needed.contains(upload) || r.because.iter().any(|b| !Rule::from_id(b).is_some_and(Rule::restored_by_reunpack)) || restorers.is_empty());
        // A chosen upload no finding named first restores files other findings named.
        for &upload in &needed {
            reunpacks.entry(upload).or_insert_with(|| Reunpack {
                upload,
                because: vec![Rule::FileMissing.id().into()],
                rebuild_tree: false,
                missing: missing.get(&upload).cloned().unwrap_or_default(),
            });
        }
        queue.reunpacks = reunpacks.into_values().collect();
        queue
    }
}

/// The SQL that queues one re-unpack. Every statement is guarded, so the script is safe to
/// run twice.
pub fn reunpack_sql(r: &Reunpack, user: i64) -> String {
    let u = r.upload;
    // Any agent's unfinished job on the upload (the same test as `recheck`): FOSSology has
    // it in hand, and a second unpack of an upload without tree rows would build its tree twice.
    let pending = format!(
        "SELECT 1 FROM jobqueue q JOIN job j ON j.job_pk = q.jq_job_fk WHERE q.jq_endtime IS NULL AND coalesce(q.jq_end_bits, 0) < 2 AND (j.job_upload_fk = {u} OR q.jq_args = '{u}' OR q.jq_args = 'DELETE UPLOAD {u}')"
    );
    let job = format!("(SELECT job_pk FROM job WHERE job_upload_fk = {u} AND job_name = 'reunpack' AND job_user_fk = {user} ORDER BY job_pk DESC LIMIT 1)");
    let mut sql = String::new();
    let _ = writeln!(sql, "UPDATE ununpack_ars SET ars_success = FALSE WHERE upload_fk = {u};");
    let _ = writeln!(
        sql,
        "INSERT INTO job (job_queued, job_priority, job_name, job_upload_fk, job_user_fk)\n  SELECT now(), 0, 'reunpack', {u}, {user}\n  WHERE NOT EXISTS (SELECT 1 FROM job WHERE job_upload_fk = {u} AND job_name = 'reunpack' AND job_user_fk = {user}) AND NOT EXISTS ({pending});"
    );
    let columns = "jq_job_fk, jq_type, jq_args, jq_runonpfile, jq_starttime, jq_endtime, jq_end_bits, jq_host, jq_cmd_args";
    if r.rebuild_tree {
        let _ = writeln!(
            sql,
            "WITH unpack AS (\n  INSERT INTO jobqueue ({columns})\n  SELECT {job}, 'ununpack', '{u}', NULL, NULL, NULL, 0, NULL, NULL\n  WHERE NOT EXISTS ({pending})\n  RETURNING jq_pk, jq_job_fk\n), nest AS (\n  INSERT INTO jobqueue ({columns})\n  SELECT jq_job_fk, 'adj2nest', '{u}', NULL, NULL, NULL, 0, NULL, NULL FROM unpack\n  RETURNING jq_pk\n)\nINSERT INTO jobdepends (jdep_jq_fk, jdep_jq_depends_fk) SELECT nest.jq_pk, unpack.jq_pk FROM nest, unpack;"
        );
    } else {
        let _ = writeln!(sql, "INSERT INTO jobqueue ({columns})\n  SELECT {job}, 'ununpack', '{u}', NULL, NULL, NULL, 0, NULL, NULL\n  WHERE NOT EXISTS ({pending});");
    }
    sql
}

/// What a re-unpack is checked against when it is queued.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// The repository, to see whether the missing files are back.
    pub repo: Option<PathBuf>,
    /// An upload younger than this (seconds) with no job is still being made.
    pub grace_seconds: i64,
    /// Why FOSSology's agents could not write what a re-unpack writes, if they could not.
    pub unwritable: Option<String>,
}

/// Whether the project user can write where ununpack imports files: the repository root
/// and each host's `gold` and `files` directory (`fo_RepImport`, `src/lib/c/libfossrepo.c`,
/// creates directories and files there as the agent's user). `None` when it can, or when
/// the project user is not known (no `--conf`).
pub fn agents_cannot_write(repo: &Path, owner: &Owner) -> Result<Option<String>> {
    use std::os::unix::fs::MetadataExt;
    let Some((user, group)) = &owner.names else { return Ok(None) };
    let (uid, gid) = owner.ids(repo)?;
    let mut dirs = vec![repo.to_path_buf()];
    for entry in std::fs::read_dir(repo).with_context(|| format!("--repo {}", repo.display()))? {
        // An entry that cannot be read may be a host whose trees the agents cannot write.
        let entry = entry.with_context(|| format!("--repo {}: cannot read the repository root", repo.display()))?;
        for t in ["gold", "files"] {
            let d = entry.path().join(t);
            if d.is_dir() {
                dirs.push(d);
            }
        }
    }
    for d in dirs {
        let m = std::fs::metadata(&d).with_context(|| format!("cannot stat {}", d.display()))?;
        let mode = m.mode();
        let can = if m.uid() == uid {
            mode & 0o300 == 0o300
        } else if m.gid() == gid {
            mode & 0o030 == 0o030
        } else {
            mode & 0o003 == 0o003
        };
        if !can {
            return Ok(Some(format!(
                "FOSSology's agents (project user {user}, group {group}) cannot write {} (owner {}:{}, mode {:o}): the re-unpack would fail with permission denied; give the repository back to them first (chown -R {user}:{group} {}, then chmod 2770 on its directories, as install/fo-postinstall does)",
                d.display(),
                m.uid(),
                m.gid(),
                mode & 0o7777,
                repo.display()
            )));
        }
    }
    Ok(None)
}

/// Why a re-unpack must not be queued now, if it must not; `rebuild_tree` is cleared when
/// the tree rows came back but files are still missing. `lock` takes the upload's row.
async fn recheck(conn: &mut sqlx::PgConnection, r: &mut Reunpack, guard: &Guard, lock: bool) -> Result<Result<(Option<i32>, String), String>> {
    // upload_pk is an integer column: an id beyond it names no upload (a cast would read
    // another one).
    let Ok(upload) = i32::try_from(r.upload) else {
        return Ok(Err(format!("no upload can have the id {} (upload_pk is a 32-bit integer)", r.upload)));
    };
    let sql = if lock {
        "SELECT user_fk, upload_filename, extract(epoch FROM now() - upload_ts)::float8 FROM upload WHERE upload_pk = $1 FOR UPDATE"
    } else {
        "SELECT user_fk, upload_filename, extract(epoch FROM now() - upload_ts)::float8 FROM upload WHERE upload_pk = $1"
    };
    let row: Option<(Option<i32>, String, Option<f64>)> = sqlx::query_as(sql).bind(upload).fetch_optional(&mut *conn).await.context("reading upload")?;
    let Some((owner, filename, age)) = row else {
        return Ok(Err("the upload no longer exists".into()));
    };
    if let Some(why) = &guard.unwritable {
        return Ok(Err(why.clone()));
    }
    // Any agent's unfinished job on the upload: FOSSology has it in hand (its own unpack
    // after an upload, a delete, a re-unpack already queued).
    let open: Option<(i32, i32, String, bool)> = sqlx::query_as(
        "SELECT q.jq_pk, j.job_pk, q.jq_type::text, q.jq_starttime IS NOT NULL FROM jobqueue q JOIN job j ON j.job_pk = q.jq_job_fk \
         WHERE q.jq_endtime IS NULL AND coalesce(q.jq_end_bits, 0) < 2 AND (j.job_upload_fk = $1 OR q.jq_args = $2 OR q.jq_args = 'DELETE UPLOAD ' || $2) ORDER BY q.jq_pk LIMIT 1",
    )
    .bind(upload)
    .bind(upload.to_string())
    .fetch_optional(&mut *conn)
    .await
    .context("reading jobqueue")?;
    if let Some((jq, job, agent, running)) = open {
        let state = if running { "running" } else { "queued" };
        return Ok(Err(format!("FOSSology already has {agent} job {job} (jobqueue {jq}, {state}) for it; nothing is queued twice")));
    }
    if age.is_some_and(|a| (a as i64) < guard.grace_seconds) {
        return Ok(Err(format!("it was made {}s ago and FOSSology may not have queued its own unpack yet (in-flight grace {}s)", age.unwrap_or(0.0) as i64, guard.grace_seconds)));
    }
    let files_back = match &guard.repo {
        Some(repo) if !r.missing.is_empty() => r.missing.iter().all(|p| safe_join(repo, p).is_ok_and(|p| p.is_file())),
        _ => false,
    };
    if r.rebuild_tree {
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM uploadtree WHERE upload_fk = $1").bind(upload).fetch_one(&mut *conn).await.context("reading uploadtree")?;
        if rows > 0 {
            if r.missing.is_empty() || files_back {
                return Ok(Err(format!("its uploadtree rows are there now ({rows})")));
            }
            // The tree is back, files are still missing: a plain re-unpack.
            r.rebuild_tree = false;
        }
    } else if files_back {
        return Ok(Err(format!("the {} missing file(s) the report names are back in the repository", r.missing.len())));
    }
    Ok(Ok((owner, filename)))
}

/// Asks the database about each upload: still there, owner still a user, no job of
/// FOSSology's on it, still needing the repair.
pub async fn decide(conn: &mut sqlx::PgConnection, reunpacks: &mut [Reunpack], fallback_user: Option<i64>, guard: &Guard) -> Result<Vec<Decision>> {
    let mut out = Vec::new();
    for r in reunpacks.iter_mut() {
        let (owner, filename) = match recheck(conn, r, guard, false).await? {
            Ok(found) => found,
            Err(why) => {
                out.push(Decision::Skip { why });
                continue;
            }
        };
        // The scheduler's checkout joins users on job_user_fk and skips jobs without one.
        let owner_exists = match owner {
            Some(o) => sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM users WHERE user_pk = $1)").bind(o).fetch_one(&mut *conn).await.context("reading users")?,
            None => false,
        };
        match (owner.filter(|_| owner_exists), fallback_user) {
            (Some(o), _) => out.push(Decision::Queue { user: i64::from(o), filename }),
            (None, Some(user)) => out.push(Decision::Queue { user, filename }),
            (None, None) => out.push(Decision::Skip {
                why: format!(
                    "its owner (user {}) is not in users, so the scheduler would skip the job; pass --user <user_pk> of an administrator to queue it",
                    owner.map(|o| o.to_string()).unwrap_or_else(|| "NULL".into())
                ),
            }),
        }
    }
    Ok(out)
}

/// The whole SQL script: one transaction.
pub fn render_sql(reunpacks: &[Reunpack], decisions: &[Decision]) -> String {
    let mut sql = String::from("BEGIN;\n");
    for (r, d) in reunpacks.iter().zip(decisions) {
        match d {
            Decision::Queue { user, filename } => {
                let _ = writeln!(sql, "\n-- upload {} ({}), job owner {user}: {}", r.upload, filename.replace('\n', " "), r.because.join(", "));
                sql.push_str(&reunpack_sql(r, *user));
            }
            Decision::Skip { why } => {
                let _ = writeln!(sql, "\n-- upload {} skipped: {why}", r.upload);
            }
        }
    }
    sql.push_str("\nCOMMIT;\n");
    sql
}

/// Who owns what a repair creates in the repository: FOSSology's agents run as the project
/// user and group (fossology.conf `[DIRECTORIES] PROJECTUSER`/`PROJECTGROUP`) and need its
/// directories writable by them (`install/fo-postinstall`: `chmod 2770`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    /// `user:group` names from fossology.conf; `None`: each new directory takes its parent's.
    pub names: Option<(String, String)>,
}

/// FOSSology's mode for repository directories (`install/fo-postinstall`; what the agents
/// leave: setgid, rwx for user and group).
pub const DIR_MODE: u32 = 0o2770;

impl Owner {
    /// `[DIRECTORIES] PROJECTUSER` and `PROJECTGROUP` of a fossology.conf (or its directory).
    pub fn from_conf(conf: &Path) -> Result<Owner> {
        let file = if conf.is_dir() { conf.join("fossology.conf") } else { conf.to_path_buf() };
        let text = std::fs::read_to_string(&file).with_context(|| format!("--conf {}", file.display()))?;
        let (mut user, mut group, mut section) = (None, None, String::new());
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_string();
            } else if section == "DIRECTORIES"
                && let Some((k, v)) = line.split_once('=')
            {
                match k.trim() {
                    "PROJECTUSER" => user = Some(v.trim().to_string()),
                    "PROJECTGROUP" => group = Some(v.trim().to_string()),
                    _ => {}
                }
            }
        }
        // FOSSology's defaults when the keys are absent: fossy:fossy (install/defconf).
        let user = user.unwrap_or_else(|| "fossy".into());
        let group = group.unwrap_or_else(|| user.clone());
        Ok(Owner { names: Some((user, group)) })
    }

    /// Numeric ids for `dir`'s new child: the named user and group, or the parent's.
    fn ids(&self, parent: &Path) -> Result<(u32, u32)> {
        match &self.names {
            Some((user, group)) => Ok((
                id_of("/etc/passwd", user).with_context(|| format!("project user {user} is not in /etc/passwd"))?,
                id_of("/etc/group", group).with_context(|| format!("project group {group} is not in /etc/group"))?,
            )),
            None => {
                use std::os::unix::fs::MetadataExt;
                let m = std::fs::metadata(parent).with_context(|| format!("cannot stat {}", parent.display()))?;
                Ok((m.uid(), m.gid()))
            }
        }
    }
}

/// The id of a name in `/etc/passwd` or `/etc/group` (`name:x:id:…`), or the name itself if numeric.
fn id_of(file: &str, name: &str) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    std::fs::read_to_string(file).ok()?.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then(|| f.nth(1)?.parse().ok()).flatten()
    })
}

/// Shell commands for moves and copies, run from the repository root: every directory they
/// create is given the project user and group (or its parent's) and mode 2770; `cp -p`
/// keeps a copy's owner and mode, as the agents need them.
pub fn render_script(queue: &Queue, owner: &Owner) -> String {
    let mut s = String::from("#!/bin/sh\n# repocheck repair fossology --shell: run in the repository root. Never overwrites an existing object.\nset -eu\n");
    let chown = |dir: &str| match &owner.names {
        Some((u, g)) => format!("chown {} {}", sh(&format!("{u}:{g}")), sh(dir)),
        None => format!("chown --reference={} {}", sh(parent(dir)), sh(dir)),
    };
    let mut made = std::collections::BTreeSet::new();
    for (from, to, verb) in queue.moves.iter().map(|(f, t)| (f, t, "mv -n --")).chain(queue.copies.iter().map(|(f, t)| (f, t, "cp -np --"))) {
        let mut dir = String::new();
        for part in parent(to).split('/') {
            dir = if dir.is_empty() { part.to_string() } else { format!("{dir}/{part}") };
            if made.insert(dir.clone()) {
                let _ = writeln!(s, "[ -d {d} ] || {{ mkdir {d} && {} && chmod {DIR_MODE:o} {d}; }}", chown(&dir), d = sh(&dir));
            }
        }
        let _ = writeln!(s, "{verb} {} {}", sh(from), sh(to));
    }
    s
}

fn parent(p: &str) -> &str {
    p.rsplit_once('/').map(|(d, _)| d).unwrap_or(".")
}

fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The manual steps, as text for the operator.
pub fn render_manual(queue: &Queue) -> String {
    let mut s = String::new();
    for (repair, because) in &queue.manual {
        let line = match (repair.to_action::<Repair>(), repair.action.as_str(), repair.field_str("path")) {
            (Some(Repair::Refetch { upload, origin }), _, _) => format!("refetch upload {upload} from {origin}"),
            (_, "restore-from-backup", Some(path)) => format!("restore {path} from a backup"),
            _ => format!("{}: {}", repair.action, serde_json::to_string(&repair.fields).unwrap_or_default()),
        };
        let _ = writeln!(s, "{line}  ({})", because.join(", "));
    }
    s
}

/// Performs the moves and copies in `repo`, never replacing an existing file; directories
/// it creates get `owner` and mode 2770.
pub fn apply_files(queue: &Queue, repo: &Path, owner: &Owner) -> Result<Vec<String>> {
    let mut done = Vec::new();
    for (from, to, copy) in queue.moves.iter().map(|(f, t)| (f, t, false)).chain(queue.copies.iter().map(|(f, t)| (f, t, true))) {
        let (src, dst) = (safe_join(repo, from)?, safe_join(repo, to)?);
        if dst.symlink_metadata().is_ok() {
            done.push(format!("{to}: already there, left alone"));
            continue;
        }
        if let Some(dir) = dst.parent() {
            create_dirs(repo, dir, owner)?;
        }
        if copy {
            copy_object(&src, &dst).with_context(|| format!("cannot copy {from} to {to}"))?;
            done.push(format!("copied {from} -> {to}"));
        } else {
            std::fs::rename(&src, &dst).with_context(|| format!("cannot move {from} to {to}"))?;
            done.push(format!("moved {from} -> {to}"));
        }
    }
    Ok(done)
}

/// Copies an object as `fo_RepImport` does (`<name>.I`, then renamed), with the source's
/// mode and, where permitted, its owner and group.
fn copy_object(src: &Path, dst: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut tmp = dst.as_os_str().to_owned();
    tmp.push(".I");
    let tmp = PathBuf::from(tmp);
    std::fs::copy(src, &tmp)?;
    let meta = std::fs::metadata(src)?;
    // Not root: the copy stays the runner's (the permissions rule then says so).
    let _ = std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()));
    std::fs::set_permissions(&tmp, meta.permissions())?;
    std::fs::rename(&tmp, dst)?;
    Ok(())
}

/// Creates `dir` and the missing directories above it (inside `repo`), each owned as
/// FOSSology's agents need, whoever runs this.
fn create_dirs(repo: &Path, dir: &Path, owner: &Owner) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if dir.is_dir() || dir == repo {
        return Ok(());
    }
    let parent = dir.parent().unwrap_or(repo);
    create_dirs(repo, parent, owner)?;
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
    let (uid, gid) = owner.ids(parent)?;
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).with_context(|| format!("cannot give {} to {uid}:{gid}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE)).with_context(|| format!("cannot chmod {}", dir.display()))
}

/// A report's relative path inside the repository; refuses paths that leave it.
fn safe_join(repo: &Path, rel: &str) -> Result<PathBuf> {
    let p = Path::new(rel);
    if p.is_absolute() || p.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        bail!("refusing path '{rel}' from the report: not a plain path inside the repository");
    }
    Ok(repo.join(p))
}

/// Runs the re-unpack SQL in one transaction, each upload looked at again with its row
/// locked; returns `(upload, job_pk, jq_pk)` of what was queued and `(upload, why)` of what
/// was skipped at the last moment.
pub async fn apply_sql(conn: &mut sqlx::PgConnection, reunpacks: &mut [Reunpack], decisions: &[Decision], guard: &Guard) -> Result<(Vec<(i64, i64, i64)>, Vec<(i64, String)>)> {
    use sqlx::Connection;
    let mut tx = conn.begin().await.context("cannot start a transaction")?;
    let mut queued_uploads = Vec::new();
    let mut skipped = Vec::new();
    for (r, d) in reunpacks.iter_mut().zip(decisions) {
        if let Decision::Queue { user, .. } = d {
            if let Err(why) = recheck(&mut tx, r, guard, true).await? {
                skipped.push((r.upload, why));
                continue;
            }
            sqlx::raw_sql(sqlx::AssertSqlSafe(reunpack_sql(r, *user))).execute(&mut *tx).await.with_context(|| format!("queueing the re-unpack of upload {}", r.upload))?;
            queued_uploads.push(r.upload);
        }
    }
    tx.commit().await.context("cannot commit")?;
    let mut queued = Vec::new();
    for upload in queued_uploads {
        let Ok(id) = i32::try_from(upload) else { continue };
        let row: Option<(i32, i32)> = sqlx::query_as(
            "SELECT j.job_pk, q.jq_pk FROM job j JOIN jobqueue q ON q.jq_job_fk = j.job_pk WHERE j.job_upload_fk = $1 AND j.job_name = 'reunpack' AND q.jq_type = 'ununpack' ORDER BY q.jq_pk DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((job, jq)) = row {
            queued.push((upload, i64::from(job), i64::from(jq)));
        }
    }
    Ok((queued, skipped))
}

/// Tells FOSSology's scheduler to look at the job queue now (what the UI does after queueing:
/// `fo_communicate_with_scheduler("database")`); otherwise it polls every two minutes.
pub fn notify_scheduler(address: &str) -> Result<String> {
    use std::net::ToSocketAddrs;
    let addr = address.to_socket_addrs().with_context(|| format!("--notify {address}: not host:port"))?.next().with_context(|| format!("--notify {address}: no address"))?;
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).with_context(|| format!("--notify {address}: cannot connect to the scheduler"))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"database").with_context(|| format!("--notify {address}"))?;
    let mut buf = [0u8; 256];
    let n = stream.read(&mut buf).with_context(|| format!("--notify {address}: no answer"))?;
    Ok(String::from_utf8_lossy(&buf[..n]).trim().to_string())
}

/// Connects for a repair: a live server only.
pub async fn connect(url: &str) -> Result<sqlx::PgConnection> {
    use sqlx::Connection;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("--db {url}: repair needs a live database (a postgres:// URL), not a dump file");
    }
    let shown = redact_url(url);
    let options: sqlx::postgres::PgConnectOptions = url.parse().with_context(|| format!("{shown}: not a valid PostgreSQL URL"))?;
    sqlx::PgConnection::connect_with(&options).await.map_err(|e| anyhow::anyhow!("{shown}: cannot connect: {}", e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")))
}

/// `repocheck repair fossology`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// A JSON report of `repocheck check fossology` (or of `repocheck merge`).
    #[arg(long, value_name = "REPORT.json")]
    pub queue: PathBuf,
    /// The live FOSSology database (postgres:// URL).
    #[arg(long, value_name = "URL")]
    pub db: String,
    /// The repository root, for moving misplaced objects and linking gold back (with --apply).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Queue the jobs of uploads whose owner is no longer in `users` as this user (an administrator's user_pk).
    #[arg(long, value_name = "USER_PK")]
    pub user: Option<i64>,
    /// Tell the scheduler to look at the queue now (host:port of [FOSSOLOGY] address/port, e.g. localhost:24693).
    #[arg(long, value_name = "HOST:PORT")]
    pub notify: Option<String>,
    /// fossology.conf (or its directory): directories a move or link creates get its
    /// `[DIRECTORIES] PROJECTUSER`/`PROJECTGROUP` (without it, their parent's owner).
    #[arg(long, value_name = "FILE|DIR")]
    pub conf: Option<PathBuf>,
    /// Print the moves and links as a shell script to run in the repository root (`| sh`)
    /// instead of the SQL.
    #[arg(long, conflicts_with = "apply")]
    pub shell: bool,
    /// Rule files overriding the bundled ones (the in-flight grace period is read from them).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Make the changes. Without it, nothing is changed: the SQL (or with --shell the shell
    /// script) is printed.
    #[arg(long)]
    pub apply: bool,
}

impl ProductCommand for RepairArgs {
    const ABOUT: &'static str = "Queue FOSSology re-unpack jobs (printed as SQL unless --apply), move misplaced objects";

    /// The report's repairs, each looked at again on the live system: printed (SQL, or a
    /// shell script), or with `--apply` queued and carried out.
    fn run(self) -> Result<ExitCode> {
        let a = self;
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
                if paths.len() < MISSING_KEPT {
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
            print!("{}", render_script(&queue, &owner));
            return Ok(ExitCode::SUCCESS);
        }
        let params: crate::fossology::Params = crate::products::catalogue(a.rules.as_deref())?.params(super::Fossology::NAME)?;
        let unwritable = match &a.repo {
            Some(repo) if !queue.reunpacks.is_empty() => agents_cannot_write(repo, &owner)?,
            _ => None,
        };
        let guard = Guard { repo: a.repo.clone(), grace_seconds: params.in_flight.grace_seconds, unwritable };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (decisions, queued, late) = runtime.block_on(async {
            let mut conn = connect(&a.db).await?;
            let decisions = decide(&mut conn, &mut queue.reunpacks, a.user, &guard).await?;
            let (queued, late) = if a.apply { apply_sql(&mut conn, &mut queue.reunpacks, &decisions, &guard).await? } else { (Vec::new(), Vec::new()) };
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
                for line in apply_files(&queue, repo, &owner)? {
                    println!("{}", escape::text(&line));
                }
            }
            if let Some(address) = &a.notify {
                // The jobs are committed either way; the scheduler also polls on its own.
                match notify_scheduler(address) {
                    Ok(answer) => println!("scheduler: {}", escape::text(&answer)),
                    Err(e) => eprintln!("warning: {e:#}; the jobs are queued and the scheduler picks them up at its next poll"),
                }
            }
        } else {
            print!("{}", render_sql(&queue.reunpacks, &decisions));
            if !queue.moves.is_empty() || !queue.copies.is_empty() {
                eprintln!(
                    "{} move(s) and {} copies are not in this SQL: `repocheck repair fossology --queue {} --db … --shell | (cd <repository> && sh)` prints them as a shell script",
                    queue.moves.len(),
                    queue.copies.len(),
                    a.queue.display()
                );
            }
        }
        let manual = render_manual(&queue);
        if !manual.is_empty() {
            // For a person: each line with its control characters escaped.
            let lines: Vec<_> = manual.lines().map(escape::text).collect();
            eprintln!("manual steps:\n{}", lines.join("\n"));
        }
        Ok(ExitCode::SUCCESS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_and_never_overwrites() {
        let q = Queue { moves: vec![("localhost/files/40/403c.x".into(), "localhost/files/40/3c/2b/it's".into())], ..Queue::default() };
        let s = render_script(&q, &Owner::default());
        assert!(s.contains("mv -n -- 'localhost/files/40/403c.x' 'localhost/files/40/3c/2b/it'\\''s'"), "{s}");
        assert!(
            s.contains("[ -d 'localhost/files/40/3c' ] || { mkdir 'localhost/files/40/3c' && chown --reference='localhost/files/40' 'localhost/files/40/3c' && chmod 2770 'localhost/files/40/3c'; }"),
            "{s}"
        );
    }

    #[test]
    fn the_fewest_reunpacks_restore_every_file() {
        // Upload 6 alone restores two files; the file 2 and 6 share needs no re-unpack of 2.
        assert_eq!(fewest_reunpacks(&[vec![6], vec![6], vec![2, 6]]), BTreeSet::from([6]));
        // No file decides: the upload restoring the most, then what is left.
        assert_eq!(fewest_reunpacks(&[vec![1, 2], vec![2, 3], vec![3, 4], vec![4]]), BTreeSet::from([2, 4]));
        assert_eq!(fewest_reunpacks(&[vec![5, 7], vec![5, 7]]), BTreeSet::from([5]));
        assert!(fewest_reunpacks(&[]).is_empty());
    }

    #[test]
    fn paths_may_not_leave_the_repository() {
        assert!(safe_join(Path::new("/r"), "../etc/passwd").is_err());
        assert!(safe_join(Path::new("/r"), "/etc/passwd").is_err());
        assert!(safe_join(Path::new("/r"), "localhost/gold/aa/x").is_ok());
    }
}
