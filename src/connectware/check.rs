//! The Connectware checks: the Docker volume backup, the user database backup, the
//! maintenance status, and how the three agree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Params, Rule};
use crate::details;
use crate::engine::archive;
use crate::engine::finding::Severity;
use crate::engine::io;
use crate::engine::report::Target;
use crate::engine::sink::Sink;

/// What `check connectware` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckOptions {
    /// The volume backup: a directory like /var/lib/docker/volumes, or its tar czf archive.
    #[arg(long, value_name = "DIR|ARCHIVE", value_hint = clap::ValueHint::AnyPath)]
    pub volumes: PathBuf,
    /// The database backup file downloaded from /api/maintenance/db/backup.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub db_backup: PathBuf,
    /// The maintenance status JSON (GET /api/maintenance/db).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub status: Option<PathBuf>,
    /// The installed Connectware version.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
}

/// A database backup id: `<Connectware version>_<ISO 8601 UTC time>`, e.g.
/// `1.0.73_2022-02-16T15:37:19.242Z` (the maintenance status's `backup.id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupId {
    pub version: String,
    pub time: i64,
    pub text: String,
}

/// Finds a backup id in `text` (a status field, a file name, an archive member name).
/// The backup-restore document's status example names it `1.0.73_2022-02-16T15:37:19.242Z`:
/// the version, `_`, the time; file names may spell the time's colons as `-`.
pub fn find_backup_id(text: &str) -> Option<BackupId> {
    static ID: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)_(\d{4}-\d{2}-\d{2})T(\d{2})([:\-])(\d{2})([:\-])(\d{2}(?:\.\d+)?Z)").expect("valid regex"));
    let caps = ID.captures(text)?;
    if caps[4] != caps[6] {
        return None;
    }
    let iso = format!("{}T{}:{}:{}", &caps[2], &caps[3], &caps[5], &caps[7]);
    let t = time::OffsetDateTime::parse(&iso, &time::format_description::well_known::Rfc3339).ok()?;
    Some(BackupId { version: caps[1].to_string(), time: t.unix_timestamp(), text: caps[0].to_string() })
}

fn iso(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t).ok().and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_else(|| t.to_string())
}

fn mtime(p: &Path) -> Option<i64> {
    std::fs::metadata(p).ok()?.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs() as i64)
}

/// The volumes of the Connectware 1.10.2 docker-compose file (as Cybus's online installer,
/// `connectware-online-installer.sh`, writes it),
/// used only to recognise the compose project name in volume names.
const COMPOSE_VOLUMES: &[&str] = &["brokerData", "brokerLog", "certs", "postgresql", "service-manager", "systemControlServerData", "workbench"];

/// The project name docker compose takes from the install directory `/opt/connectware` (the
/// backup-restore document: "taken from the current working directory, such as
/// connectware"), used when the volume names show none.
const DEFAULT_PROJECT: &str = "connectware";

/// A Docker volume found in the backup: `<project>_<volume>/_data`.
#[derive(Debug, Default)]
struct Volume {
    /// Where it lies in the backup (`./` for the documented archive, or e.g.
    /// `var/lib/docker/volumes` when it was taken from `/`).
    at: String,
    /// The newest modification time of a file in it.
    newest: Option<i64>,
}

/// The volumes of a backup, by name: every path component followed by `_data` (the first
/// one, so a `_data` inside a volume is not taken for another volume).
fn volumes(listing: &archive::Listing) -> BTreeMap<String, Volume> {
    let mut found: BTreeMap<String, Volume> = BTreeMap::new();
    for (path, member) in &listing.members {
        let parts: Vec<&str> = path.split('/').collect();
        let Some(n) = parts.iter().position(|p| *p == "_data").and_then(|i| i.checked_sub(1)) else { continue };
        let volume = found.entry(parts[n].to_string()).or_insert_with(|| Volume { at: parts[..n].join("/"), newest: None });
        if !member.is_dir {
            volume.newest = volume.newest.max(Some(member.mtime));
        }
    }
    found
}

/// The compose project: the prefix of the most volume names `<project>_<compose volume>`;
/// ties go to the default name, then to the first in name order.
fn project_of(names: &BTreeMap<String, Volume>, required: &[String]) -> String {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for name in names.keys() {
        for v in COMPOSE_VOLUMES.iter().copied().chain(required.iter().map(String::as_str)) {
            if let Some(p) = name.strip_suffix(v).and_then(|p| p.strip_suffix('_')).filter(|p| !p.is_empty()) {
                *count.entry(p).or_default() += 1;
                break;
            }
        }
    }
    let best = count.values().copied().max().unwrap_or(0);
    if best == 0 || count.get(DEFAULT_PROJECT) == Some(&best) {
        return DEFAULT_PROJECT.to_string();
    }
    count.into_iter().find(|(_, n)| *n == best).map(|(p, _)| p.to_string()).unwrap_or_else(|| DEFAULT_PROJECT.to_string())
}

/// What a restore loses without the volume (the volumes' mounts in the 1.10.2 docker-compose
/// file; the certificate files named by docs.cybus.io, security/tls-certificates).
fn role(volume: &str) -> &'static str {
    match volume {
        "service-manager" => "the service commissioning files",
        "postgresql" => "the database server's files",
        "certs" => {
            "the certificates and keys it holds (the CA, server and client certificates with their keys: cybus_ca.crt, cybus_server.crt, cybus_server.key, cybus_client.crt, cybus_client.key, shared_yearly_*), which must then be installed again"
        }
        _ => "its data",
    }
}

/// The database backup as far as it could be read: its members (when it is an archive)
/// and their newest time.
#[derive(Debug, Default)]
struct DbBackup {
    members: Vec<String>,
    newest_member: Option<i64>,
}

/// How strictly the database backup's format is judged (rule parameter `format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbFormat {
    /// A gzip-compressed tar read to its end (the documents download it as
    /// `connectware-db-backup.tgz`; its inside is not documented).
    Tgz,
    /// A gzip stream read to its end, whatever it holds.
    Gzip,
    /// Any non-empty file.
    Any,
}

impl DbFormat {
    fn name(self) -> &'static str {
        match self {
            DbFormat::Tgz => "tgz",
            DbFormat::Gzip => "gzip",
            DbFormat::Any => "any",
        }
    }
}

/// Reads the database backup; `Err` is the problem a finding reports.
fn read_db_backup(path: &Path, format: DbFormat) -> Result<DbBackup, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err("there is no database backup: the user, role and permission data cannot be restored".into()),
        Err(e) => return Err(format!("the database backup cannot be read: {e}")),
    };
    if !meta.is_file() {
        return Err("the database backup is not a file".into());
    }
    if meta.len() == 0 {
        return Err("the database backup file is empty".into());
    }
    match format {
        DbFormat::Any => Ok(DbBackup::default()),
        DbFormat::Gzip => {
            use std::io::{Read, Seek};
            let cannot = |e: std::io::Error| format!("the database backup cannot be read: {e}");
            let mut file = io::open_regular(path).map_err(cannot)?;
            let mut magic = [0u8; 2];
            if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
                return Err("the database backup is not gzip-compressed".into());
            }
            file.rewind().map_err(cannot)?;
            let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
            std::io::copy(&mut gz, &mut std::io::sink()).map_err(|e| format!("the database backup cannot be read to its end (gzip stream: {e}): it is damaged or incomplete"))?;
            Ok(DbBackup::default())
        }
        DbFormat::Tgz => {
            let listing = archive::list(path, &|_| false).map_err(|e| format!("the database backup cannot be read: {e:#}"))?;
            if let Some(d) = listing.damage {
                return Err(format!("the database backup cannot be read to its end ({d}): it is damaged or incomplete"));
            }
            let files: Vec<(&String, &archive::Member)> = listing.members.iter().filter(|(_, m)| !m.is_dir).collect();
            if files.is_empty() {
                return Err("the database backup archive holds no file".into());
            }
            Ok(DbBackup { newest_member: files.iter().map(|(_, m)| m.mtime).filter(|t| *t > 0).max(), members: files.into_iter().map(|(k, _)| k.clone()).collect() })
        }
    }
}

/// `1.10.2` → [1, 10, 2] (a pre-release suffix is ignored); `None` when not a version.
fn version_numbers(v: &str) -> Option<Vec<u64>> {
    v.split('-').next()?.split('.').map(|n| n.parse().ok()).collect()
}

/// The report's target; `--volumes` must exist.
pub fn target(opts: &CheckOptions) -> Result<Target> {
    match io::check_regular_or_dir(&opts.volumes) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("--volumes {}: no such directory or archive", opts.volumes.display()),
        Err(e) => bail!("--volumes {}: {e}", opts.volumes.display()),
    }
    // A missing backup, or a directory in its place, is a finding; a FIFO, device or symlink
    // loop is refused before anything opens it.
    if let Err(e) = io::check_regular_or_dir(&opts.db_backup)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        bail!("--db-backup {}: {e}", opts.db_backup.display());
    }
    if let Some(s) = &opts.status {
        io::check_regular(s).map_err(|e| anyhow::anyhow!("--status {}: {e}", s.display()))?;
    }
    let mut target = Target::new("connectware").input("volumes", opts.volumes.display().to_string()).input("db_backup", opts.db_backup.display().to_string());
    if let Some(s) = &opts.status {
        target = target.input("status", s.display().to_string());
    }
    if let Some(v) = &opts.version {
        target = target.input("version", v.clone());
    }
    Ok(target)
}

pub fn check(opts: &CheckOptions, params: &Params, sink: &Sink) -> Result<()> {
    let status = read_status(opts)?;
    let listing = archive::list(&opts.volumes, &|_| false).with_context(|| format!("--volumes {}", opts.volumes.display()))?;
    sink.stats.add_entries(listing.members.len() as u64);

    if let Some(s) = &status {
        check_status(sink, s);
    }

    // The volume backup.
    let shown = opts.volumes.display().to_string();
    if let Some(d) = &listing.damage {
        sink.emit(Rule::VolumeMissing, &shown, format!("the volume archive cannot be read to its end ({d}): volumes after that point are lost to a restore"), details! { "error" => d }, None);
    }
    let volume_time = check_volumes(sink, params, &listing);

    // The database backup.
    let db = read_db(sink, &opts.db_backup, params.db_backup_missing.format);
    let id = backup_id(status.as_ref(), &opts.db_backup, db.as_ref());
    let db_time = db.as_ref().and_then(|db| db_time(&opts.db_backup, db, id.as_ref()));
    // The archive's own time: written when the volume backup was taken (see check_skew).
    let archive_time = if opts.volumes.is_dir() { None } else { listing.mtime };
    if let Some(db_time) = db_time {
        check_skew(sink, &shown, params.backup_skew.tolerance_minutes, db_time, volume_time, archive_time);
    }

    if let (Some(installed), Some(id)) = (&opts.version, &id) {
        check_version(sink, &opts.db_backup, installed, id);
    }
    Ok(())
}

/// The status JSON, when given, names the backup and says whether it succeeded.
fn read_status(opts: &CheckOptions) -> Result<Option<Value>> {
    let Some(p) = &opts.status else { return Ok(None) };
    let text = io::read_text_file(p, io::CONFIG).map_err(|e| anyhow::anyhow!("--status {}: cannot read ({e})", p.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("--status {}: not the maintenance status JSON ({e})", p.display()))?;
    if !value.is_object() {
        bail!("--status {}: not the maintenance status JSON (not an object)", p.display());
    }
    Ok(Some(value))
}

/// `connectware/volume-missing` for each required or recommended volume the backup lacks;
/// the newest file time in the required volumes.
fn check_volumes(sink: &Sink, params: &Params, listing: &archive::Listing) -> Option<i64> {
    let required = &params.volume_missing.required;
    let forced_project = params.volume_missing.project.clone();
    // The documents require the service-manager volume and the user database (backed up
    // through the REST API, which covers the postgresql volume); backing up every volume is
    // "the most reliable way", not a requirement. Volumes a restore is poorer without (certs:
    // the certificates and keys) are recommended: a missing one is at most a warning.
    let recommended = &params.volume_missing.recommended;
    let found = volumes(listing);
    let known: Vec<String> = required.iter().chain(recommended).cloned().collect();
    let project = if forced_project.is_empty() { project_of(&found, &known) } else { forced_project };
    let mut volume_time: Option<i64> = None;
    for (r, is_required) in required.iter().map(|r| (r, true)).chain(recommended.iter().filter(|r| !required.contains(r)).map(|r| (r, false))) {
        let name = format!("{project}_{r}");
        // Kubernetes: "the name of the volume is starting with service-manager and may have
        // certain suffixes" (the backup-restore document).
        let volume = found.get(&name).or_else(|| found.iter().find(|(n, _)| n.starts_with(r.as_str())).map(|(_, v)| v));
        match volume {
            Some(v) if is_required => volume_time = volume_time.max(v.newest),
            Some(_) => {}
            None => {
                let subject = format!("{name}/_data");
                let d = details! {
                    "volume" => name, "project" => project, "required" => is_required,
                    "volumes_found" => found.iter().map(|(n, v)| if v.at.is_empty() { n.clone() } else { format!("{}/{n}", v.at) }).collect::<Vec<_>>(),
                };
                if is_required {
                    sink.emit(Rule::VolumeMissing, subject, format!("the volume backup has no {name}/_data: a restore would lack {} ({r} volume)", role(r)), d, None);
                } else {
                    sink.emit_capped(
                        Rule::VolumeMissing,
                        Severity::Warning,
                        subject,
                        format!("the volume backup has no {name}/_data ({r} volume; the documents require only service-manager, backing up every volume is \"the most reliable way\"): a restore without it loses {}", role(r)),
                        d,
                        None,
                    );
                }
            }
        }
    }
    volume_time
}

/// The database backup as far as it could be read; `None` when it cannot be (reported).
fn read_db(sink: &Sink, path: &Path, format: DbFormat) -> Option<DbBackup> {
    match read_db_backup(path, format) {
        Ok(db) => Some(db),
        Err(problem) => {
            sink.emit(Rule::DbBackupMissing, path.display().to_string(), problem, details! { "format" => format.name() }, None);
            None
        }
    }
}

/// The database backup's id: from the status, else its name, else its members.
fn backup_id(status: Option<&Value>, path: &Path, db: Option<&DbBackup>) -> Option<BackupId> {
    status
        .and_then(|s| s.pointer("/backup/id").and_then(Value::as_str).and_then(find_backup_id))
        .or_else(|| path.file_name().and_then(|n| find_backup_id(&n.to_string_lossy())))
        .or_else(|| db.and_then(|d| d.members.iter().find_map(|m| find_backup_id(m))))
}

/// When the database backup was taken, and from what: its id, else the newest member of the
/// archive, else the file's own time (the download's, which is later than the backup).
fn db_time(path: &Path, db: &DbBackup, id: Option<&BackupId>) -> Option<(i64, &'static str)> {
    match id {
        Some(id) => Some((id.time, "backup id")),
        None => db.newest_member.map(|t| (t, "member times")).or_else(|| mtime(path).map(|t| (t, "file time"))),
    }
}

/// `connectware/backup-skew` when the database backup (`db_time`: when, and from what) and
/// the volume backup are further apart than `tolerance` minutes.
fn check_skew(sink: &Sink, shown: &str, tolerance: i64, (d, from): (i64, &str), volume_time: Option<i64>, archive_time: Option<i64>) {
    // Two clocks, neither of them trusted alone: the newest file in the required volumes (a
    // file changed after the database backup makes the two inconsistent), and the archive's
    // own time (written when the volume backup was taken — unless it was copied since, which
    // only makes it later, so it is used only to see a database backup taken long after it).
    let changed_after = volume_time.map(|v| v - d).unwrap_or(0);
    let db_after = archive_time.map(|a| d - a).unwrap_or(0);
    let (apart, what, v) = if changed_after >= db_after {
        (changed_after, "volume files changed after the database backup", volume_time)
    } else {
        (db_after, "the database backup was taken after the volume backup", archive_time)
    };
    if apart > tolerance * 60
        && let Some(v) = v
    {
        sink.emit(
            Rule::BackupSkew,
            shown,
            format!("{what}: {} vs {} is {} minutes (tolerance {tolerance}); services changed in between are inconsistent after a restore", iso(v), iso(d), apart / 60),
            details! { "volume_time" => iso(v), "db_time" => iso(d), "minutes_apart" => apart / 60, "tolerance_minutes" => tolerance, "db_time_from" => from },
            None,
        );
    }
}

/// The maintenance status (GET /api/maintenance/db): the last backup and restore.
fn check_status(sink: &Sink, s: &Value) {
    for op in ["backup", "restore"] {
        // The API spells it "succeded" (the backup-restore document); accept the dictionary
        // spelling too, in case a later version corrects it.
        let ok = s.pointer(&format!("/{op}/succeded")).or_else(|| s.pointer(&format!("/{op}/succeeded"))).and_then(Value::as_bool);
        if ok == Some(false) {
            let message = s.pointer(&format!("/{op}/statusMessage")).and_then(Value::as_str).unwrap_or_default();
            sink.emit(
                Rule::BackupFailed,
                format!("status/{op}"),
                format!("the maintenance status reports the last database {op} failed: {message}"),
                details! { "operation" => op, "id" => s.pointer(&format!("/{op}/id")), "status_message" => message },
                None,
            );
        }
    }
    if s.get("running").and_then(Value::as_bool) == Some(true) {
        sink.emit(Rule::BackupFailed, "status", "a database maintenance operation is still running: the backup file may be incomplete".to_string(), details! { "running" => true }, None);
    }
}

/// The backup's version against the installed one, with what the documents say to do.
fn check_version(sink: &Sink, db_backup: &Path, installed: &str, id: &BackupId) {
    let installed = installed.trim().trim_start_matches(['v', 'V']);
    if installed == id.version {
        return;
    }
    let order = version_numbers(&id.version).zip(version_numbers(installed)).map(|(b, i)| b.cmp(&i));
    let (direction, advice) = match order {
        Some(std::cmp::Ordering::Greater) => (
            "backup-newer",
            format!("the documents describe restores from an older version into a newer one only, so install {} (or later) before restoring", id.version),
        ),
        // The backup-restore document, "Limitations of restore across versions". Versions
        // that do not compare as numbers get the same advice: it is the documented path.
        o => (
            if o == Some(std::cmp::Ordering::Less) { "backup-older" } else { "unknown" },
            "the restore may be refused when the database structure changed; the status message then names the last version that can restore it, and the documented path is: back up everything again, shut down, remove the postgresql volume (older documents: also service-manager), install that version, restore, then upgrade and back up again".to_string(),
        ),
    };
    sink.emit(
        Rule::VersionMismatch,
        db_backup.display().to_string(),
        format!("the database backup {} is from Connectware {}, the installation runs {installed}: {advice}", id.text, id.version),
        details! { "backup_id" => id.text, "backup_version" => id.version, "installed_version" => installed, "direction" => direction },
        None,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn backup_ids() {
        let id = find_backup_id("1.0.73_2022-02-16T15:37:19.242Z").unwrap();
        assert_eq!(id.version, "1.0.73");
        assert_eq!(iso(id.time), "2022-02-16T15:37:19Z");
        let id = find_backup_id("/backups/connectware-db-1.10.2_2026-11-01T02-00-05.100Z.tgz").unwrap();
        assert_eq!(id.version, "1.10.2");
        assert_eq!(iso(id.time), "2026-11-01T02:00:05Z");
        assert!(find_backup_id("connectware-db-backup.tgz").is_none());
        assert!(find_backup_id("1.10.2_2026-11-01T02:00-05Z").is_none(), "mixed separators are no time");
        assert!(find_backup_id("1.10.2_2026-13-01T02:00:05Z").is_none(), "no 13th month");
    }

    #[test]
    fn versions_order_numerically() {
        assert!(version_numbers("1.10.2") > version_numbers("1.9.0"));
        assert_eq!(version_numbers("1.10.2-rc.1"), Some(vec![1, 10, 2]));
        assert_eq!(version_numbers("latest"), None);
    }

    fn listing(paths: &[&str]) -> archive::Listing {
        let mut l = archive::Listing::default();
        for p in paths {
            l.members.insert(p.to_string(), archive::Member { size: 1, mtime: 7, is_dir: p.ends_with("_data") });
        }
        l
    }

    #[test]
    fn volumes_are_found_at_any_depth_and_the_project_from_their_names() {
        let l =
            listing(&["var/lib/docker/volumes/plant7_certs/_data", "var/lib/docker/volumes/plant7_certs/_data/cybus_ca.crt", "var/lib/docker/volumes/plant7_brokerData/_data/x", "plant7_workbench"]);
        let v = volumes(&l);
        assert_eq!(v.keys().collect::<Vec<_>>(), vec!["plant7_brokerData", "plant7_certs"]);
        assert_eq!(v["plant7_certs"].at, "var/lib/docker/volumes");
        assert_eq!(v["plant7_certs"].newest, Some(7));
        assert_eq!(project_of(&v, &["certs".into()]), "plant7");
        // A `_data` inside a volume is not another volume.
        let v = volumes(&listing(&["connectware_service-manager/_data/services/_data/x"]));
        assert_eq!(v.keys().collect::<Vec<_>>(), vec!["connectware_service-manager"]);
        // Nothing to go by: the default project; an underscore in the project is kept.
        assert_eq!(project_of(&volumes(&listing(&[])), &[]), "connectware");
        assert_eq!(project_of(&volumes(&listing(&["my_site_postgresql/_data/PG_VERSION"])), &["postgresql".into()]), "my_site");
    }

    proptest! {
        #[test]
        fn any_text_is_no_backup_id_or_a_valid_one(text in ".{0,80}") {
            if let Some(id) = find_backup_id(&text) {
                prop_assert!(text.contains(&id.text));
            }
        }
    }
}
