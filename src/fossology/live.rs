//! A moving FOSSology: findings that know what its agents are doing.
//!
//! A FOSSology checked at night is often working, and each of its agents leaves a moment
//! where the repository and the tables disagree on purpose:
//! - the UI's "upload from file" makes the upload row, runs `wget_agent -C` to import the
//!   file into gold, and only then adds the job and its `ununpack`/`adj2nest` queue rows
//!   (`UploadPageBase::postUploadAddJobs`, `src/www/ui/page/UploadPageBase.php`): for a
//!   while the upload has its gold and no tree rows, and no job at all;
//! - ununpack imports each file into `files` (`fo_RepImport` writes `<name>.I`, then renames
//!   it, `src/lib/c/libfossrepo.c`) before the rows naming it commit
//!   (`src/ununpack/agent/utils.c`): objects no row names yet;
//! - delagent removes an upload's objects from `files` and `gold` and only then, in its
//!   transaction, the rows (`deleteUpload`, `src/delagent/agent/util.c`; fossology#3811):
//!   rows naming objects that are gone.
//!
//! So the findings these moments can cause are held back while the check runs, and looked
//! at again at the end: a fresh stat of their files, and on a live server a fresh snapshot
//! of their rows and of every unfinished job. What resolved itself is dropped (and counted
//! in `stats`); what an upload-writing job of the upload is doing, or an upload too young
//! to have been queued, or an object written while an unpack ran, is one `in-flight` finding
//! (info, no repair); the rest stands as it was found.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::layout::ObjectKey;
use super::metadata::{OpenJob, Upload, format_epoch, upload_of_args};
use super::{InFlightParams, Rule};
use crate::details;
use crate::engine::finding::Finding;
use crate::engine::rules::RuleCode;
use crate::engine::sink::{Hold, Sink};
use crate::engine::tables::DbSource;

/// The rules whose findings a moving FOSSology can cause: held for the second look.
pub(super) const HELD: &[Rule] =
    &[Rule::FileMissing, Rule::GoldMissing, Rule::UploadUnrecoverable, Rule::UploadTreeMissing, Rule::FileOrphaned, Rule::SizeMismatch, Rule::ContentMismatch, Rule::UnexpectedEntry];

/// The held rules' ids, for [`Sink::holding`].
pub(super) fn held_ids() -> Vec<&'static str> {
    HELD.iter().map(|r| r.id()).collect()
}

/// What the database says now (a live server's second snapshot).
#[derive(Debug, Default)]
pub(super) struct Fresh {
    /// The server's `now()`, seconds since the epoch.
    pub now: i64,
    pub open_jobs: Vec<OpenJob>,
    /// The uploads asked about that still exist: `(pfile_fk, upload_ts)`.
    pub uploads: HashMap<i64, (Option<i64>, Option<i64>)>,
    /// Their `uploadtree` rows.
    pub tree_rows: HashMap<i64, u64>,
    /// Those of them that FOSSology has unpacked once (an `ununpack` row of theirs ended).
    pub unpacked: HashSet<i64>,
    /// The pfile ids asked about that some uploadtree or upload row still references.
    pub referenced_pfiles: HashSet<i64>,
    /// The object names asked about that a referenced pfile row now names.
    pub named_objects: HashSet<String>,
    /// Those of them that are an upload's gold (`upload.pfile_fk`).
    pub named_golds: HashSet<String>,
}

/// How many held findings are decided at once (their pfiles and names asked together).
const BATCH: usize = 20_000;

/// What the held findings ask the database again.
#[derive(Debug, Default)]
struct Questions {
    uploads: BTreeSet<i64>,
    pfiles: BTreeSet<i64>,
    orphans: BTreeSet<String>,
}

/// The second look: decides every held finding and records what stands.
pub(super) fn second_look(db: &DbSource, repo: &Path, uploads: &BTreeMap<i64, Upload>, first_jobs: &[OpenJob], params: &InFlightParams, hold: &Hold, sink: &Sink) -> Result<()> {
    sink.stats.set_phase("looking again at what may be in flight");
    // The uploads asked about again (bounded by the uploads); pfiles and object names are
    // asked batch by batch, so a restore that lost millions of files holds none in memory.
    let mut questions = Questions::default();
    if matches!(db, DbSource::Url(_)) {
        hold.for_each(|f| {
            questions.uploads.extend(uploads_of(&f).0);
            Ok(())
        })?;
    }
    let fresh = match db {
        DbSource::Url(url) if !hold.is_empty() => Some(read_fresh(url, &questions)?),
        _ => None,
    };
    // The database's clock for upload_ts: the server's now, or when the dump was written.
    let db_now = match (&fresh, db) {
        (Some(f), _) => f.now,
        (None, DbSource::Dump(path)) => dump_time(path).unwrap_or_else(local_now),
        (None, DbSource::Url(_)) => local_now(),
    };
    let open_jobs: Vec<&OpenJob> = first_jobs.iter().chain(fresh.iter().flat_map(|f| &f.open_jobs)).collect();
    let busy = busy_uploads(&open_jobs, params);
    let window = Window::of(&open_jobs, uploads, fresh.as_ref(), db_now, !busy.is_empty(), params);
    let writers_since = window.since;
    let fresh_ts: HashMap<i64, i64> = fresh.iter().flat_map(|f| f.uploads.iter().filter_map(|(u, x)| Some((*u, x.1?)))).collect();
    let unpacked: HashSet<i64> = fresh.iter().flat_map(|f| f.unpacked.iter().copied()).collect();
    // Made less than the grace period ago and never unpacked yet: the UI is still importing
    // it or queueing its unpack (a job row comes before its queue rows, JobAddJob then
    // JobQueueAdd). Once an unpack of it has ended, its age excuses nothing.
    let young = |u: i64| -> bool {
        let ts = fresh_ts.get(&u).copied().or_else(|| uploads.get(&u).and_then(|x| x.ts));
        let done = unpacked.contains(&u) || uploads.get(&u).is_some_and(|x| x.unpack_ended);
        !done && ts.is_some_and(|ts| db_now - ts < params.grace_seconds)
    };
    let mut state = Decisions { flights: BTreeMap::new(), writes: BTreeMap::new(), standing_damage: BTreeSet::new(), resolved: 0 };
    let mut fresh = fresh;
    let mut batch: Vec<Finding> = Vec::with_capacity(BATCH);
    let mut decide_batch = |batch: &mut Vec<Finding>, fresh: &mut Option<Fresh>| -> Result<()> {
        if let (Some(fr), DbSource::Url(url)) = (fresh.as_mut(), db) {
            refresh_batch(url, batch, fr)?;
        }
        for f in batch.drain(..) {
            match decide(&f, repo, uploads, fresh.as_ref(), &busy, &young, writers_since, &state.standing_damage) {
                Verdict::Stands => {
                    if !matches!(Rule::from_id(&f.rule), Some(Rule::UploadUnrecoverable | Rule::UploadTreeMissing)) {
                        state.standing_damage.extend(uploads_of(&f).0);
                    }
                    sink.record(f);
                }
                Verdict::Resolved => state.resolved += 1,
                Verdict::Upload(u) => *state.flights.entry(u).or_default().entry(f.rule.clone()).or_default() += 1,
                Verdict::Write(tree) => {
                    let w = state.writes.entry(tree).or_default();
                    w.0 += 1;
                    w.1.get_or_insert(f.subject);
                }
            }
        }
        Ok(())
    };
    hold.for_each(|f| {
        batch.push(f);
        if batch.len() == BATCH { decide_batch(&mut batch, &mut fresh) } else { Ok(()) }
    })?;
    decide_batch(&mut batch, &mut fresh)?;
    sink.stats.add_resolved(state.resolved);
    report_in_flight(&state, uploads, &busy, &window, params, sink);
    Ok(())
}

/// The uploads an open job of one of the in-flight agents works on, with those jobs.
fn busy_uploads(open_jobs: &[&OpenJob], params: &InFlightParams) -> BTreeMap<i64, Vec<OpenJob>> {
    let agents: HashSet<&str> = params.agents.iter().map(String::as_str).collect();
    let mut busy: BTreeMap<i64, Vec<OpenJob>> = BTreeMap::new();
    for job in open_jobs {
        if let Some(u) = job.upload.filter(|_| agents.contains(job.agent.as_str())) {
            let jobs = busy.entry(u).or_default();
            if !jobs.iter().any(|j| j.jq_pk == job.jq_pk) {
                jobs.push((*job).clone());
            }
        }
    }
    busy
}

/// Since when entries no row names yet may be FOSSology's writes in progress.
struct Window {
    /// The start of the window (seconds since the epoch); `None`: no write is in progress.
    since: Option<i64>,
    /// The window is the grace period alone (jobs are open, none of them writing yet).
    by_age: bool,
}

impl Window {
    fn of(open_jobs: &[&OpenJob], uploads: &BTreeMap<i64, Upload>, fresh: Option<&Fresh>, db_now: i64, busy: bool, params: &InFlightParams) -> Window {
        // Objects written since the first of the running unpacks or downloads started may
        // be theirs before their rows commit.
        let writers_since = open_jobs.iter().filter(|j| matches!(j.agent.as_str(), "ununpack" | "wget_agent")).filter_map(|j| j.started).min();
        // The UI imports a file upload itself (`wget_agent -C`, no queue row) after making
        // the upload row and before setting its pfile_fk: a young upload without one is
        // importing.
        let importing_since = uploads
            .iter()
            .filter(|(id, u)| u.pfile_fk.is_none() && fresh.is_none_or(|f| f.uploads.get(id).is_none_or(|x| x.0.is_none())))
            .filter_map(|(_, u)| u.ts)
            .filter(|ts| db_now - ts < params.grace_seconds)
            .min();
        let writers_since = match (writers_since, importing_since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // While any upload-writing job is open, an entry younger than the grace period may
        // be its write too (a job queued now ran a moment ago). On a quiet system a file's
        // age alone proves nothing: a restore with `cp -r` makes every file new.
        let by_age = writers_since.is_none() && busy;
        let since = match writers_since {
            Some(t) => Some(t),
            None if by_age => Some(local_now() - params.grace_seconds),
            None => None,
        };
        Window { since, by_age }
    }
}

/// Asks the live database again about the pfiles and objects of one batch of held
/// findings: which are referenced and named now.
fn refresh_batch(url: &str, batch: &[Finding], fresh: &mut Fresh) -> Result<()> {
    let mut q = Questions::default();
    for f in batch {
        match Rule::from_id(&f.rule) {
            Some(Rule::FileMissing) => q.pfiles.extend(pfiles_of(f)),
            Some(Rule::FileOrphaned) => q.orphans.extend(f.details.get("name").and_then(Value::as_str).map(str::to_string)),
            _ => {}
        }
    }
    if !q.pfiles.is_empty() || !q.orphans.is_empty() {
        let answers = read_fresh(url, &q)?;
        (fresh.referenced_pfiles, fresh.named_objects, fresh.named_golds) = (answers.referenced_pfiles, answers.named_objects, answers.named_golds);
    }
    Ok(())
}

/// One `in-flight` finding per upload being worked on and per tree being written.
fn report_in_flight(state: &Decisions, uploads: &BTreeMap<i64, Upload>, busy: &BTreeMap<i64, Vec<OpenJob>>, window: &Window, params: &InFlightParams, sink: &Sink) {
    let mut in_flight = 0;
    for (upload, rules) in &state.flights {
        let held: u64 = rules.values().sum();
        in_flight += held;
        let what = describe_held(rules);
        let filename = uploads.get(upload).map(|u| u.filename.clone()).unwrap_or_default();
        let (message, jobs) = match busy.get(upload) {
            Some(jobs) => {
                let names: Vec<String> = jobs.iter().map(OpenJob::describe).collect();
                (format!("upload {upload} ({filename}) is being worked on by {}: {what} are its work in progress, not damage; check again when it has ended", names.join(", ")), jobs.clone())
            }
            None => (
                format!("upload {upload} ({filename}) was made less than {}s ago and FOSSology has not queued its unpack yet: {what} are an upload in progress, not damage", params.grace_seconds),
                Vec::new(),
            ),
        };
        let jobs: Vec<Value> = jobs
            .iter()
            .map(|j| json!({"job": j.job, "jq_pk": j.jq_pk, "agent": j.agent, "state": if j.started.is_some() { "running" } else { "queued" }, "started": j.started.map(format_epoch)}))
            .collect();
        sink.emit(Rule::InFlight, format!("upload {upload}"), message, details! { "upload" => upload, "filename" => filename, "jobs" => jobs, "held" => rules }, None);
    }
    for (tree, (n, first)) in &state.writes {
        in_flight += n;
        let since = match window.since {
            _ if window.by_age => format!("younger than {}s while FOSSology has jobs open", params.grace_seconds),
            Some(t) => format!("written since {} while FOSSology's jobs ran", format_epoch(t)),
            None => String::new(),
        };
        sink.emit(
            Rule::InFlight,
            tree.clone(),
            format!("{n} entr{} in {tree} that no row names yet, {since}: FOSSology's writes in progress, not orphans", if *n == 1 { "y" } else { "ies" }),
            details! { "entries" => n, "first" => first },
            None,
        );
    }
    sink.stats.add_in_flight(in_flight);
}

struct Decisions {
    /// Per upload in flight: the held findings by rule.
    flights: BTreeMap<i64, BTreeMap<String, u64>>,
    /// Per type tree: in-flight writes, and the first of them.
    writes: BTreeMap<String, (u64, Option<String>)>,
    /// Uploads with a file finding that stands: their upload-level findings stand too.
    standing_damage: BTreeSet<i64>,
    resolved: u64,
}

enum Verdict {
    Stands,
    Resolved,
    /// In flight: the work of this upload's jobs, or of an upload not yet queued.
    Upload(i64),
    /// In flight: an object being written (the type tree it is in).
    Write(String),
}

/// The uploads a finding concerns, and whether the list is whole (details cap lists).
fn uploads_of(f: &Finding) -> (Vec<i64>, bool) {
    let mut list: Vec<i64> = f.details.get("uploads").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default();
    if let Some(u) = f.details.get("upload").and_then(Value::as_i64) {
        list.push(u);
    }
    let whole = f.details.get("upload_count").and_then(Value::as_u64).is_none_or(|n| n as usize <= list.len());
    (list, whole)
}

fn pfiles_of(f: &Finding) -> Vec<i64> {
    match f.details.get("pfiles").and_then(Value::as_array) {
        Some(all) => all.iter().filter_map(Value::as_i64).collect(),
        None => f.details.get("pfile").and_then(Value::as_i64).into_iter().collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn decide(
    f: &Finding,
    repo: &Path,
    uploads: &BTreeMap<i64, Upload>,
    fresh: Option<&Fresh>,
    busy: &BTreeMap<i64, Vec<OpenJob>>,
    young: &dyn Fn(i64) -> bool,
    writers_since: Option<i64>,
    standing_damage: &BTreeSet<i64>,
) -> Verdict {
    let Some(rule) = Rule::from_id(&f.rule) else { return Verdict::Stands };
    let path = repo.join(&f.subject);
    let (list, whole) = uploads_of(f);
    // Every upload it concerns is at work (or too young to be queued): in flight.
    let in_flight = || -> Option<i64> {
        if list.is_empty() || !whole {
            return None;
        }
        list.iter().all(|u| busy.contains_key(u) || young(*u)).then(|| list.iter().copied().find(|u| busy.contains_key(u)).unwrap_or(list[0]))
    };
    let gone = |u: &i64| fresh.is_some_and(|fr| !fr.uploads.contains_key(u));
    match rule {
        Rule::FileMissing | Rule::GoldMissing => {
            if !f.subject.starts_with("pfile ") && path.is_file() {
                return Verdict::Resolved;
            }
            if let Some(fr) = fresh {
                let still = if rule == Rule::FileMissing {
                    pfiles_of(f).iter().any(|p| fr.referenced_pfiles.contains(p))
                } else {
                    list.iter().any(|u| fr.uploads.get(u).is_some_and(|x| x.0.is_some() && x.0 == uploads.get(u).and_then(|o| o.pfile_fk)))
                };
                if !still {
                    return Verdict::Resolved;
                }
            }
        }
        Rule::SizeMismatch => {
            let expected = f.details.get("expected_size").and_then(Value::as_u64);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if Some(m.len()) == expected => return Verdict::Resolved,
                Err(_) => return Verdict::Resolved,
                Ok(_) => {}
            }
        }
        Rule::UploadTreeMissing | Rule::UploadUnrecoverable => {
            if list.iter().any(gone) {
                return Verdict::Resolved;
            }
            if rule == Rule::UploadTreeMissing && list.iter().any(|u| fresh.is_some_and(|fr| fr.tree_rows.get(u).copied().unwrap_or(0) > 0)) {
                return Verdict::Resolved;
            }
            if rule == Rule::UploadUnrecoverable && !list.iter().any(|u| standing_damage.contains(u)) && in_flight().is_none() {
                // Every missing or damaged file of it resolved itself on the second look.
                return Verdict::Resolved;
            }
        }
        Rule::FileOrphaned | Rule::UnexpectedEntry => {
            if rule == Rule::UnexpectedEntry && f.details.get("kind").and_then(Value::as_str) != Some("interrupted import") {
                return Verdict::Stands;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else { return Verdict::Resolved };
            if rule == Rule::FileOrphaned
                && let (Some(fr), Some(name)) = (fresh, f.details.get("name").and_then(Value::as_str))
                && (if f.details.get("type").and_then(Value::as_str) == Some("gold") { fr.named_golds.contains(name) } else { fr.named_objects.contains(name) })
            {
                return Verdict::Resolved;
            }
            let mtime = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs() as i64).unwrap_or(0);
            // Written while an unpack, a download or an import ran: FOSSology's, before its rows.
            if writers_since.is_some_and(|since| mtime >= since - 2) {
                let tree = f.subject.split('/').take(2).collect::<Vec<_>>().join("/");
                return Verdict::Write(tree);
            }
            return Verdict::Stands;
        }
        _ => {}
    }
    match in_flight() {
        Some(u) => Verdict::Upload(u),
        None => Verdict::Stands,
    }
}

/// "3 files missing, its gold missing" from the held findings' counts.
fn describe_held(rules: &BTreeMap<String, u64>) -> String {
    let mut parts = Vec::new();
    for (rule, n) in rules {
        let what = match Rule::from_id(rule) {
            Some(Rule::FileMissing) => format!("{n} missing file{}", if *n == 1 { "" } else { "s" }),
            Some(Rule::GoldMissing) => "its missing gold".to_string(),
            Some(Rule::UploadUnrecoverable) => "its unrecoverable state".to_string(),
            Some(Rule::UploadTreeMissing) => "its missing uploadtree rows".to_string(),
            Some(Rule::SizeMismatch | Rule::ContentMismatch) => format!("{n} damaged file{}", if *n == 1 { "" } else { "s" }),
            _ => format!("{n} {rule}"),
        };
        parts.push(what);
    }
    parts.join(", ")
}

fn local_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// When a dump was written: its file's modification time (a directory dump's `toc.dat`).
fn dump_time(path: &Path) -> Option<i64> {
    let file = if path.is_dir() { path.join("toc.dat") } else { path.to_path_buf() };
    let t = std::fs::metadata(file).ok()?.modified().ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64)
}

/// `jq_pk, jq_job_fk, jq_type, jq_args, jq_starttime (epoch), job_upload_fk`.
type JobRow = (i32, i32, String, Option<String>, Option<f64>, Option<i32>);

/// The second snapshot of a live server: one read-only transaction.
fn read_fresh(url: &str, q: &Questions) -> Result<Fresh> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        use sqlx::Connection;
        let shown = crate::engine::tables::redact_url(url);
        let mut conn = super::repair::connect(url).await?;
        let mut tx = conn.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await.with_context(|| format!("{shown}: second look"))?;
        let fail = |e: sqlx::Error| anyhow::anyhow!("{shown}: second look: {}", e.to_string().split_whitespace().collect::<Vec<_>>().join(" "));
        let mut fresh = Fresh { now: sqlx::query_scalar::<_, f64>("SELECT extract(epoch FROM now())::float8").fetch_one(&mut *tx).await.map_err(fail)? as i64, ..Fresh::default() };
        let jobs: Vec<JobRow> = sqlx::query_as(
            "SELECT q.jq_pk, q.jq_job_fk, q.jq_type::text, q.jq_args::text, extract(epoch FROM q.jq_starttime)::float8, j.job_upload_fk FROM jobqueue q LEFT JOIN job j ON j.job_pk = q.jq_job_fk WHERE q.jq_endtime IS NULL AND coalesce(q.jq_end_bits, 0) < 2",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?;
        for (jq_pk, job, agent, args, started, upload) in jobs {
            let upload = upload.map(i64::from).filter(|&u| u > 0).or_else(|| args.as_deref().and_then(upload_of_args));
            fresh.open_jobs.push(OpenJob { jq_pk: i64::from(jq_pk), job: i64::from(job), agent, started: started.map(|s| s as i64), upload });
        }
        let ids = |set: &BTreeSet<i64>| -> Vec<Vec<i32>> { set.iter().filter_map(|&u| i32::try_from(u).ok()).collect::<Vec<_>>().chunks(10_000).map(<[i32]>::to_vec).collect() };
        for chunk in ids(&q.uploads) {
            let rows: Vec<(i32, Option<i32>, Option<f64>)> =
                sqlx::query_as("SELECT upload_pk, pfile_fk, extract(epoch FROM upload_ts)::float8 FROM upload WHERE upload_pk = ANY($1)").bind(&chunk).fetch_all(&mut *tx).await.map_err(fail)?;
            for (u, pfile, ts) in rows {
                fresh.uploads.insert(i64::from(u), (pfile.map(i64::from), ts.map(|t| t as i64)));
            }
            let rows: Vec<(i32, i64)> = sqlx::query_as("SELECT upload_fk, count(*) FROM uploadtree WHERE upload_fk = ANY($1) GROUP BY upload_fk").bind(&chunk).fetch_all(&mut *tx).await.map_err(fail)?;
            for (u, n) in rows {
                fresh.tree_rows.insert(i64::from(u), n as u64);
            }
            let rows: Vec<i32> = sqlx::query_scalar(
                "SELECT DISTINCT j.job_upload_fk FROM jobqueue q JOIN job j ON j.job_pk = q.jq_job_fk WHERE q.jq_type = 'ununpack' AND q.jq_endtime IS NOT NULL AND j.job_upload_fk = ANY($1)",
            )
            .bind(&chunk)
            .fetch_all(&mut *tx)
            .await
            .map_err(fail)?;
            fresh.unpacked.extend(rows.into_iter().map(i64::from));
        }
        for chunk in ids(&q.pfiles) {
            let rows: Vec<i32> = sqlx::query_scalar(
                "SELECT DISTINCT pfile_fk FROM uploadtree WHERE pfile_fk = ANY($1) UNION SELECT DISTINCT pfile_fk FROM upload WHERE pfile_fk = ANY($1) AND pfile_fk IS NOT NULL",
            )
            .bind(&chunk)
            .fetch_all(&mut *tx)
            .await
            .map_err(fail)?;
            fresh.referenced_pfiles.extend(rows.into_iter().map(i64::from));
        }
        let names: Vec<&String> = q.orphans.iter().collect();
        for chunk in names.chunks(5_000) {
            let mut sha1 = Vec::new();
            let mut md5 = Vec::new();
            let mut size = Vec::new();
            for name in chunk {
                if let Some(key) = ObjectKey::parse_name(name) {
                    sha1.push(hex::encode_upper(key.sha1));
                    md5.push(hex::encode_upper(key.md5));
                    size.push(key.size as i64);
                }
            }
            let rows: Vec<(String, String, i64, bool)> = sqlx::query_as(
                "SELECT sha1, md5, size, gold FROM (SELECT lower(p.pfile_sha1::text) AS sha1, lower(p.pfile_md5::text) AS md5, p.pfile_size AS size, EXISTS (SELECT 1 FROM upload u WHERE u.pfile_fk = p.pfile_pk) AS gold, EXISTS (SELECT 1 FROM uploadtree t WHERE t.pfile_fk = p.pfile_pk) AS tree \
                 FROM pfile p JOIN unnest($1::text[], $2::text[], $3::int8[]) AS c(sha1, md5, size) ON p.pfile_sha1 = c.sha1 AND p.pfile_md5 = c.md5 AND p.pfile_size = c.size) x WHERE gold OR tree",
            )
            .bind(&sha1)
            .bind(&md5)
            .bind(&size)
            .fetch_all(&mut *tx)
            .await
            .map_err(fail)?;
            for (s, m, n, gold) in rows {
                let name = format!("{}.{}.{n}", s.trim(), m.trim());
                if gold {
                    fresh.named_golds.insert(name.clone());
                }
                fresh.named_objects.insert(name);
            }
        }
        tx.rollback().await.ok();
        Ok(fresh)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fossology::metadata::parse_pg_timestamp;

    #[test]
    fn timestamps_in_postgres_text_form() {
        assert_eq!(parse_pg_timestamp("1970-01-01 00:00:10+00"), Some(10));
        assert_eq!(parse_pg_timestamp("1970-01-01 01:00:10.123456+01"), Some(10));
        assert_eq!(parse_pg_timestamp("1970-01-01 00:00:10-00:30"), Some(10 + 1800));
        assert_eq!(parse_pg_timestamp("2026-11-01 10:00:02"), Some(1_793_527_202));
        assert_eq!(parse_pg_timestamp("not a time"), None);
    }

    #[test]
    fn job_arguments_name_the_upload() {
        assert_eq!(upload_of_args("12"), Some(12));
        assert_eq!(upload_of_args("DELETE UPLOAD 10"), Some(10));
        assert_eq!(upload_of_args("3 - https://example.org/x.tar.gz -l 1 -R index.html*"), Some(3));
        assert_eq!(upload_of_args("-I"), None);
    }
}
