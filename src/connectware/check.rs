//! The Connectware checks.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::Value;

use super::Rule;
use crate::details;
use crate::engine::archive;
use crate::engine::report::Target;
use crate::engine::rules::RuleCode;
use crate::engine::sink::Sink;

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub volumes: PathBuf,
    pub db_backup: PathBuf,
    pub status: Option<PathBuf>,
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
pub fn find_backup_id(text: &str) -> Option<BackupId> {
    static ID: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)_(\d{4}-\d{2}-\d{2}T\d{2}[:\-]\d{2}[:\-]\d{2}(?:\.\d+)?Z)").expect("valid regex"));
    let caps = ID.captures(text)?;
    let iso = caps[2].to_string();
    // File names cannot hold ':' everywhere; accept '-' in the time part.
    let fixed = if iso.matches(':').count() == 0 { format!("{}:{}:{}", &iso[..13], &iso[14..16], &iso[17..]) } else { iso.clone() };
    let t = time::OffsetDateTime::parse(&fixed, &time::format_description::well_known::Rfc3339).ok()?;
    Some(BackupId { version: caps[1].to_string(), time: t.unix_timestamp(), text: caps[0].to_string() })
}

fn iso(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t).ok().and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_else(|| t.to_string())
}

fn mtime(p: &Path) -> Option<i64> {
    std::fs::metadata(p).ok()?.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs() as i64)
}

pub fn check(opts: &CheckOptions, sink: &Sink) -> Result<()> {
    if !opts.volumes.exists() {
        bail!("--volumes {}: no such directory or archive", opts.volumes.display());
    }
    let mut target = Target::new("connectware").input("volumes", opts.volumes.display().to_string()).input("db_backup", opts.db_backup.display().to_string());
    if let Some(s) = &opts.status {
        target = target.input("status", s.display().to_string());
    }
    if let Some(v) = &opts.version {
        target = target.input("version", v.clone());
    }
    let rules: Vec<&'static str> = Rule::ALL
        .iter()
        .filter(|r| match r {
            Rule::BackupFailed => opts.status.is_some(),
            _ => true,
        })
        .map(|r| r.id())
        .collect();
    sink.begin_target(target, &rules);

    // The status JSON, when given, names the backup and says whether it succeeded.
    let status: Option<Value> = match &opts.status {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("--status {}: cannot read ({e})", p.display()))?;
            Some(serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("--status {}: not the maintenance status JSON ({e})", p.display()))?)
        }
    };
    if let Some(s) = &status {
        for op in ["backup", "restore"] {
            // The API spells it "succeded".
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

    // The volume backup.
    let listing = archive::list(&opts.volumes, &|_| false)?;
    sink.stats.add_entries(listing.members.len() as u64);
    if let Some(d) = &listing.damage {
        sink.emit(Rule::VolumeMissing, opts.volumes.display().to_string(), format!("the volume archive cannot be read to its end ({d}): volumes in it may be missing"), details! { "error" => d }, None);
    }
    let required: Vec<String> = sink.catalogue().param(Rule::VolumeMissing.id(), "required", vec!["service-manager".to_string(), "postgresql".to_string(), "certs".to_string()])?;
    let forced_project: String = sink.catalogue().param(Rule::VolumeMissing.id(), "project", String::new())?;
    // Volume directories: "<project>_<volume>" holding "_data".
    let volume_names: Vec<String> = {
        let mut v: Vec<String> = listing.members.keys().filter_map(|k| k.split('/').next().map(str::to_string)).collect();
        v.dedup();
        v
    };
    let project = if !forced_project.is_empty() {
        Some(forced_project)
    } else {
        // The compose project is the prefix shared by the most required volumes.
        let mut best: Option<(usize, String)> = None;
        for name in &volume_names {
            for r in &required {
                if let Some(p) = name.strip_suffix(&format!("_{r}")) {
                    let n = required.iter().filter(|q| volume_names.contains(&format!("{p}_{q}"))).count();
                    if best.as_ref().is_none_or(|(m, _)| n > *m) {
                        best = Some((n, p.to_string()));
                    }
                }
            }
        }
        best.map(|(_, p)| p)
    };
    let has_data = |vol: &str| listing.members.keys().any(|k| k == &format!("{vol}/_data") || k.starts_with(&format!("{vol}/_data/")));
    let mut volume_time: Option<i64> = None;
    for r in &required {
        let name = match &project {
            Some(p) => format!("{p}_{r}"),
            None => r.clone(),
        };
        // Kubernetes volumes start with the volume name and carry suffixes.
        let found = has_data(&name) || volume_names.iter().any(|v| v.starts_with(r.as_str()) && has_data(v));
        if !found {
            sink.emit(
                Rule::VolumeMissing,
                format!("{name}/_data"),
                format!("the volume backup has no {name}/_data: a restore would lack the {r} volume"),
                details! { "volume" => name, "project" => project, "volumes_found" => volume_names },
                None,
            );
        } else {
            let newest = listing.members.iter().filter(|(k, m)| !m.is_dir && k.starts_with(&format!("{name}/"))).map(|(_, m)| m.mtime).max();
            volume_time = volume_time.max(newest);
        }
    }
    // Two clocks, neither of them trusted alone: the newest file in the volumes (a file
    // changed after the database backup makes the two inconsistent), and the archive's own
    // time (written when the volume backup was taken — unless it was copied since, which only
    // makes it later, so it is used only to see a database backup taken long after it).
    let archive_time = if opts.volumes.is_dir() { None } else { listing.mtime };
    // The database backup.
    let db_meta = std::fs::metadata(&opts.db_backup);
    let db_ok = match &db_meta {
        Ok(m) if m.is_file() && m.len() > 0 => {
            let listing = archive::list(&opts.db_backup, &|_| false);
            match listing {
                Ok(l) if l.damage.is_none() => true,
                Ok(l) => {
                    sink.emit(Rule::DbBackupMissing, opts.db_backup.display().to_string(), format!("the database backup cannot be read ({}): it is damaged or incomplete", l.damage.unwrap_or_default()), details! {}, None);
                    false
                }
                Err(e) => {
                    sink.emit(Rule::DbBackupMissing, opts.db_backup.display().to_string(), format!("the database backup cannot be read: {e:#}"), details! {}, None);
                    false
                }
            }
        }
        Ok(m) if m.is_file() => {
            sink.emit(Rule::DbBackupMissing, opts.db_backup.display().to_string(), "the database backup file is empty".to_string(), details! { "size" => 0 }, None);
            false
        }
        _ => {
            sink.emit(Rule::DbBackupMissing, opts.db_backup.display().to_string(), "there is no database backup: the user, role and permission data cannot be restored".to_string(), details! {}, None);
            false
        }
    };
    // Its id: from the status, else from its name, else its members.
    let id = status
        .as_ref()
        .and_then(|s| s.pointer("/backup/id").and_then(Value::as_str).and_then(find_backup_id))
        .or_else(|| opts.db_backup.file_name().and_then(|n| find_backup_id(&n.to_string_lossy())))
        .or_else(|| if db_ok { archive::list(&opts.db_backup, &|_| false).ok().and_then(|l| l.members.keys().find_map(|k| find_backup_id(k))) } else { None });
    let db_time = id.as_ref().map(|i| i.time).or_else(|| if db_ok { mtime(&opts.db_backup) } else { None });

    if db_ok && let Some(d) = db_time {
        let tolerance: i64 = sink.catalogue().param(Rule::BackupSkew.id(), "tolerance_minutes", 10i64)?;
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
                opts.volumes.display().to_string(),
                format!("{what}: {} vs {} is {} minutes (tolerance {tolerance}); services changed in between are inconsistent after a restore", iso(v), iso(d), apart / 60),
                details! { "volume_time" => iso(v), "db_time" => iso(d), "minutes_apart" => apart / 60, "tolerance_minutes" => tolerance, "db_time_from" => if id.is_some() { "backup id" } else { "file time" } },
                None,
            );
        }
    }
    if let (Some(installed), Some(id)) = (&opts.version, &id)
        && installed != &id.version
    {
        sink.emit(
            Rule::VersionMismatch,
            opts.db_backup.display().to_string(),
            format!(
                "the database backup {} is from Connectware {}, the installation runs {installed}: if the restore is refused, the documented path is to back up again, shut down, remove the postgresql volume (and service-manager up to 1.9), install {}, restore, then upgrade",
                id.text, id.version, id.version
            ),
            details! { "backup_id" => id.text, "backup_version" => id.version, "installed_version" => installed },
            None,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_ids() {
        let id = find_backup_id("1.0.73_2022-02-16T15:37:19.242Z").unwrap();
        assert_eq!(id.version, "1.0.73");
        assert_eq!(iso(id.time), "2022-02-16T15:37:19Z");
        let id = find_backup_id("/backups/connectware-db-1.10.2_2026-11-01T02-00-05.100Z.tgz").unwrap();
        assert_eq!(id.version, "1.10.2");
        assert_eq!(iso(id.time), "2026-11-01T02:00:05Z");
        assert!(find_backup_id("connectware-db-backup.tgz").is_none());
    }
}
