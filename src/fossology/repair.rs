//! `repair fossology`: turns a report's repairs into what FOSSology itself would do.
//!
//! A re-unpack is queued exactly as the UI's re-unpack page does (`ui_reunpack::AgentAdd`
//! in `src/ununpack/ui/ui-reunpack.php`): reset `ununpack_ars.ars_success` so ununpack does
//! not exit early, reuse the latest `job` named `reunpack` of the upload's owner or insert
//! one, and add a `jobqueue` row of type `ununpack` whose argument is the upload id. An
//! upload with no `uploadtree` rows also gets the `adj2nest` job that normal scheduling
//! queues after ununpack (the re-unpack page does not, and without it the tree has no
//! nested-set values). Everything runs in one transaction; an upload with a re-unpack
//! still pending is skipped, so running the queue twice queues nothing new.
//!
//! Moves of misplaced objects and copies of a gold from its files copy are a shell script; refetches and restores from a
//! backup are listed for the operator.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::Repair;
use crate::engine::finding::Repair as Fix;
use crate::engine::report::ReportFile;
use crate::engine::tables::redact_url;

/// One upload to re-unpack, as the report asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reunpack {
    pub upload: i64,
    /// The rules that call for it.
    pub because: Vec<String>,
    /// The upload has no uploadtree rows: adj2nest must follow ununpack.
    pub rebuild_tree: bool,
}

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
    /// The FOSSology repairs of a report.
    pub fn from_report(report: &ReportFile) -> Queue {
        let mut queue = Queue::default();
        let mut reunpacks: BTreeMap<i64, Reunpack> = BTreeMap::new();
        for entry in report.repairs.iter().filter(|r| r.product == "fossology") {
            let because: Vec<String> = entry.because.iter().cloned().collect();
            match entry.repair.to_action::<Repair>() {
                Some(Repair::Reunpack { upload }) => {
                    let r = reunpacks.entry(upload).or_insert_with(|| Reunpack { upload, because: Vec::new(), rebuild_tree: false });
                    r.rebuild_tree |= because.iter().any(|b| b == "fossology/upload-tree-missing");
                    r.because.extend(because);
                    r.because.sort();
                    r.because.dedup();
                }
                Some(Repair::Move { from, to }) => queue.moves.push((from, to)),
                Some(Repair::Copy { from, to }) => queue.copies.push((from, to)),
                _ => queue.manual.push((entry.repair.clone(), because)),
            }
        }
        queue.reunpacks = reunpacks.into_values().collect();
        queue
    }
}

/// The SQL that queues one re-unpack. Every statement is guarded, so the script is safe to
/// run twice.
pub fn reunpack_sql(r: &Reunpack, user: i64) -> String {
    let u = r.upload;
    let pending = format!(
        "SELECT 1 FROM job j JOIN jobqueue q ON q.jq_job_fk = j.job_pk WHERE j.job_upload_fk = {u} AND j.job_name = 'reunpack' AND q.jq_type = 'ununpack' AND q.jq_endtime IS NULL AND q.jq_end_bits < 2"
    );
    let job = format!("(SELECT job_pk FROM job WHERE job_upload_fk = {u} AND job_name = 'reunpack' AND job_user_fk = {user} ORDER BY job_pk DESC LIMIT 1)");
    let mut sql = String::new();
    let _ = writeln!(sql, "UPDATE ununpack_ars SET ars_success = FALSE WHERE upload_fk = {u};");
    let _ = writeln!(
        sql,
        "INSERT INTO job (job_queued, job_priority, job_name, job_upload_fk, job_user_fk)\n  SELECT now(), 0, 'reunpack', {u}, {user}\n  WHERE NOT EXISTS (SELECT 1 FROM job WHERE job_upload_fk = {u} AND job_name = 'reunpack' AND job_user_fk = {user});"
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

/// Asks the database about each upload: still there, owner still a user, a re-unpack
/// already pending.
pub async fn decide(conn: &mut sqlx::PgConnection, reunpacks: &[Reunpack], fallback_user: Option<i64>) -> Result<Vec<Decision>> {
    let mut out = Vec::new();
    for r in reunpacks {
        // upload_pk is an integer column: an id beyond it names no upload (a cast would
        // read another one).
        let Ok(upload) = i32::try_from(r.upload) else {
            out.push(Decision::Skip { why: format!("no upload can have the id {} (upload_pk is a 32-bit integer)", r.upload) });
            continue;
        };
        let row: Option<(Option<i32>, String)> =
            sqlx::query_as("SELECT user_fk, upload_filename FROM upload WHERE upload_pk = $1").bind(upload).fetch_optional(&mut *conn).await.context("reading upload")?;
        let Some((owner, filename)) = row else {
            out.push(Decision::Skip { why: "the upload no longer exists".into() });
            continue;
        };
        let pending: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM job j JOIN jobqueue q ON q.jq_job_fk = j.job_pk WHERE j.job_upload_fk = $1 AND j.job_name = 'reunpack' AND q.jq_type = 'ununpack' AND q.jq_endtime IS NULL AND q.jq_end_bits < 2)",
        )
        .bind(upload)
        .fetch_one(&mut *conn)
        .await
        .context("reading jobqueue")?;
        if pending {
            out.push(Decision::Skip { why: "a re-unpack is already pending".into() });
            continue;
        }
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

/// Shell commands for moves and copies, run from the repository root (`cp -p` keeps the
/// owner and mode, as the agents need them).
pub fn render_script(queue: &Queue) -> String {
    let mut s = String::from("#!/bin/sh\n# Run in the repository root. Never overwrites an existing object.\nset -eu\n");
    for (from, to) in &queue.moves {
        let _ = writeln!(s, "mkdir -p {} && mv -n -- {} {}", sh(parent(to)), sh(from), sh(to));
    }
    for (from, to) in &queue.copies {
        let _ = writeln!(s, "mkdir -p {} && cp -np -- {} {}", sh(parent(to)), sh(from), sh(to));
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

/// Performs the moves and copies in `repo`, never replacing an existing file.
pub fn apply_files(queue: &Queue, repo: &Path) -> Result<Vec<String>> {
    let mut done = Vec::new();
    for (from, to, copy) in queue.moves.iter().map(|(f, t)| (f, t, false)).chain(queue.copies.iter().map(|(f, t)| (f, t, true))) {
        let (src, dst) = (safe_join(repo, from)?, safe_join(repo, to)?);
        if dst.symlink_metadata().is_ok() {
            done.push(format!("{to}: already there, left alone"));
            continue;
        }
        if let Some(dir) = dst.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
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

/// A report's relative path inside the repository; refuses paths that leave it.
fn safe_join(repo: &Path, rel: &str) -> Result<PathBuf> {
    let p = Path::new(rel);
    if p.is_absolute() || p.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        bail!("refusing path '{rel}' from the report: not a plain path inside the repository");
    }
    Ok(repo.join(p))
}

/// Runs the re-unpack SQL in one transaction; returns `(upload, job_pk, jq_pk)`.
pub async fn apply_sql(conn: &mut sqlx::PgConnection, reunpacks: &[Reunpack], decisions: &[Decision]) -> Result<Vec<(i64, i64, i64)>> {
    use sqlx::Connection;
    let mut tx = conn.begin().await.context("cannot start a transaction")?;
    for (r, d) in reunpacks.iter().zip(decisions) {
        if let Decision::Queue { user, .. } = d {
            sqlx::raw_sql(sqlx::AssertSqlSafe(reunpack_sql(r, *user))).execute(&mut *tx).await.with_context(|| format!("queueing the re-unpack of upload {}", r.upload))?;
        }
    }
    tx.commit().await.context("cannot commit")?;
    let mut queued = Vec::new();
    for (r, d) in reunpacks.iter().zip(decisions) {
        if let (Decision::Queue { .. }, Ok(upload)) = (d, i32::try_from(r.upload)) {
            let row: Option<(i32, i32)> = sqlx::query_as(
                "SELECT j.job_pk, q.jq_pk FROM job j JOIN jobqueue q ON q.jq_job_fk = j.job_pk WHERE j.job_upload_fk = $1 AND j.job_name = 'reunpack' AND q.jq_type = 'ununpack' ORDER BY q.jq_pk DESC LIMIT 1",
            )
            .bind(upload)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((job, jq)) = row {
                queued.push((r.upload, i64::from(job), i64::from(jq)));
            }
        }
    }
    Ok(queued)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_and_never_overwrites() {
        let q = Queue { moves: vec![("localhost/files/40/403c.x".into(), "localhost/files/40/3c/2b/it's".into())], ..Queue::default() };
        let s = render_script(&q);
        assert!(s.contains("mv -n -- 'localhost/files/40/403c.x' 'localhost/files/40/3c/2b/it'\\''s'"), "{s}");
    }

    #[test]
    fn paths_may_not_leave_the_repository() {
        assert!(safe_join(Path::new("/r"), "../etc/passwd").is_err());
        assert!(safe_join(Path::new("/r"), "/etc/passwd").is_err());
        assert!(safe_join(Path::new("/r"), "localhost/gold/aa/x").is_ok());
    }
}
