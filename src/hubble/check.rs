//! The Hubble checks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::Value;

use super::Rule;
use super::copydb;
use crate::details;
use crate::engine::archive;
use crate::engine::finding::Severity;
use crate::engine::report::Target;
use crate::engine::rules::RuleCode;
use crate::engine::sink::Sink;

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub archive: PathBuf,
    pub restore_log: Option<PathBuf>,
    pub backup_dir: Option<PathBuf>,
}

const DEFINITION: &str = "AttunityBackup/Replication_Definition.json";

/// The members the check reads: the definition and the two scripts, wherever the archive
/// puts its two folders.
fn wanted(name: &str) -> bool {
    name.ends_with(DEFINITION) || name.ends_with("DatabaseBackup/copy.in") || name.ends_with("DatabaseBackup/copy.out")
}

pub fn check(opts: &CheckOptions, sink: &Sink) -> Result<()> {
    if !opts.archive.exists() {
        bail!("--archive {}: no such archive or directory", opts.archive.display());
    }
    if let Some(log) = &opts.restore_log
        && !log.is_file()
    {
        bail!("--restore-log {}: no such file", log.display());
    }
    let mut target = Target::new("hubble").input("archive", opts.archive.display().to_string());
    if let Some(l) = &opts.restore_log {
        target = target.input("restore_log", l.display().to_string());
    }
    if let Some(d) = &opts.backup_dir {
        target = target.input("backup_dir", d.display().to_string());
    }
    let rules: Vec<&'static str> = Rule::ALL
        .iter()
        .filter(|r| match r {
            Rule::RestoreErrors => opts.restore_log.is_some(),
            Rule::BackupDirUnfit => opts.backup_dir.is_some(),
            _ => true,
        })
        .map(|r| r.id())
        .collect();
    sink.begin_target(target, &rules);

    let listing = match archive::list(&opts.archive, &wanted) {
        Ok(l) => l,
        Err(e) => {
            sink.emit(Rule::ArchiveUnreadable, opts.archive.display().to_string(), format!("the archive cannot be opened: {e:#}"), details! {}, None);
            return Ok(());
        }
    };
    sink.stats.add_entries(listing.members.len() as u64);
    if let Some(d) = &listing.damage {
        sink.emit(
            Rule::ArchiveUnreadable,
            opts.archive.display().to_string(),
            format!("the archive cannot be read to its end ({d}): it is damaged or was cut off in transfer; what follows describes only its readable part"),
            details! { "error" => d, "members_read" => listing.members.len() },
            None,
        );
    }
    // Where the two folders are (the archive may wrap them in a directory of its own).
    let prefix = listing
        .members
        .keys()
        .find_map(|k| k.find("AttunityBackup").or_else(|| k.find("DatabaseBackup")).map(|i| k[..i].to_string()))
        .unwrap_or_default();
    check_definition(sink, &listing, &prefix);
    let created = check_scripts(sink, &listing, &prefix);
    if let Some(log) = &opts.restore_log {
        check_restore_log(sink, log, &created)?;
    }
    if let Some(dir) = &opts.backup_dir {
        check_backup_dir(sink, dir)?;
    }
    Ok(())
}

/// Qlik Replicate's repository export: `cmd.replication_definition` with `tasks` and
/// `databases`; every task's source and targets must be databases of the export.
fn check_definition(sink: &Sink, listing: &archive::Listing, prefix: &str) {
    let path = format!("{prefix}{DEFINITION}");
    let Some(bytes) = listing.contents.get(&path) else {
        if listing.damage.is_none() {
            sink.emit(Rule::ReplicationDefinitionMissing, path.clone(), "the archive has no Replication_Definition.json: the Qlik Replicate tasks cannot be imported".to_string(), details! {}, None);
        }
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    // Some exports start with a "Host name: …" line before the JSON.
    let parsed: Result<Value, _> = serde_json::from_str(&text).or_else(|e| match text.split_once('\n') {
        Some((_, rest)) => serde_json::from_str(rest).map_err(|_| e),
        None => Err(e),
    });
    let json = match parsed {
        Ok(j) => j,
        Err(e) => {
            sink.emit(Rule::ReplicationDefinitionInvalid, path, format!("Replication_Definition.json is not JSON: {e}"), details! { "error" => e.to_string() }, None);
            return;
        }
    };
    let Some(def) = json.get("cmd.replication_definition") else {
        sink.emit(Rule::ReplicationDefinitionInvalid, path, "Replication_Definition.json has no \"cmd.replication_definition\" object".to_string(), details! {}, None);
        return;
    };
    let (Some(tasks), Some(databases)) = (def.get("tasks").and_then(Value::as_array), def.get("databases").and_then(Value::as_array)) else {
        sink.emit(Rule::ReplicationDefinitionInvalid, path, "cmd.replication_definition lacks its tasks or databases array".to_string(), details! {}, None);
        return;
    };
    let names: BTreeSet<&str> = databases.iter().filter_map(|d| d.get("name").and_then(Value::as_str)).collect();
    for task in tasks {
        let name = task.pointer("/task/name").and_then(Value::as_str).unwrap_or("(unnamed)");
        let source = task.pointer("/task/source_name").and_then(Value::as_str);
        let targets: Vec<&str> = task.pointer("/task/target_names").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        for db in source.into_iter().chain(targets) {
            if !names.contains(db) {
                sink.emit(
                    Rule::ReplicationDefinitionInvalid,
                    format!("{path}#{name}"),
                    format!("task {name} uses database '{db}', which the export does not define: the task cannot run after import"),
                    details! { "task" => name, "database" => db, "databases" => names.iter().collect::<Vec<_>>() },
                    None,
                );
            }
        }
    }
}

/// The copydb scripts and the data files they name. Returns the tables copy.in creates.
fn check_scripts(sink: &Sink, listing: &archive::Listing, prefix: &str) -> BTreeSet<String> {
    let dir = format!("{prefix}DatabaseBackup/");
    let mut scripts = BTreeMap::new();
    for name in ["copy.in", "copy.out"] {
        let path = format!("{dir}{name}");
        match listing.contents.get(&path) {
            Some(bytes) => {
                scripts.insert(name, copydb::parse(&String::from_utf8_lossy(bytes)));
            }
            None if listing.damage.is_none() => sink.emit(
                Rule::CopyScriptMissing,
                path,
                format!("DatabaseBackup has no {name}: the hubble schema cannot be {}", if name == "copy.in" { "restored" } else { "unloaded again the same way" }),
                details! { "script" => name },
                None,
            ),
            None => {}
        }
    }
    // Data files: the members of DatabaseBackup other than the scripts, by base name
    // (the scripts hold the path the backup was written to, not the archive's).
    let data: BTreeSet<String> = listing
        .members
        .iter()
        .filter(|(k, m)| !m.is_dir && k.starts_with(&dir) && !k.ends_with("/copy.in") && !k.ends_with("/copy.out"))
        .map(|(k, _)| k[dir.len()..].to_string())
        .collect();
    let base = |p: &str| p.rsplit(['/', '\\']).next().unwrap_or(p).to_string();
    let mut named = BTreeSet::new();
    if let Some(copy_in) = scripts.get("copy.in") {
        for (table, file, line) in &copy_in.copies {
            let b = base(file);
            named.insert(b.clone());
            if !data.contains(&b) && listing.damage.is_none() {
                sink.emit(
                    Rule::DataFileMissing,
                    format!("{dir}{b}"),
                    format!("copy.in line {line} loads table {table} from '{file}', which is not in the backup"),
                    details! { "table" => table, "file" => file, "line" => line },
                    None,
                );
            }
        }
        if let Some(line) = copy_in.nocontinue.first() {
            sink.emit(
                Rule::Nocontinue,
                format!("{dir}copy.in"),
                format!("copy.in line {line} says \\nocontinue: the restore stops at the first error; if the backup has synonyms to tables no longer replicated, change it to \\continue and check output.txt for E_ lines afterwards (vendor advice)"),
                details! { "line" => line },
                None,
            );
        }
    }
    if let Some(copy_out) = scripts.get("copy.out") {
        named.extend(copy_out.copies.iter().map(|(_, f, _)| base(f)));
    }
    if !scripts.is_empty() {
        for f in data.iter().filter(|f| !named.contains(*f)) {
            sink.emit(Rule::DataFileUnreferenced, format!("{dir}{f}"), format!("{f} is in DatabaseBackup but no copy statement names it: it will not be restored"), details! { "file" => f }, None);
        }
    }
    scripts.get("copy.in").map(|s| s.tables.iter().cloned().collect()).unwrap_or_default()
}

fn check_restore_log(sink: &Sink, log: &Path, created: &BTreeSet<String>) -> Result<()> {
    let bytes = std::fs::read(log).map_err(|e| anyhow::anyhow!("--restore-log {}: cannot read ({e})", log.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let benign: Vec<String> = sink.catalogue().param(Rule::RestoreErrors.id(), "benign_codes", vec!["E_US0845".to_string()])?;
    let benign_severity: Severity = sink.catalogue().param(Rule::RestoreErrors.id(), "benign_severity", "warning".to_string())?.parse().map_err(|e: String| anyhow::anyhow!("rule hubble/restore-errors: benign_severity: {e}"))?;
    // Grouped by code and table.
    // (code, table) → (count, first message, first lines).
    type Groups = BTreeMap<(String, Option<String>), (usize, String, Vec<usize>)>;
    let mut groups: Groups = BTreeMap::new();
    for (code, message, table, line) in copydb::restore_errors(&text) {
        let g = groups.entry((code, table)).or_insert((0, message, Vec::new()));
        g.0 += 1;
        if g.2.len() < 20 {
            g.2.push(line);
        }
    }
    let shown = log.display().to_string();
    for ((code, table), (count, message, lines)) in groups {
        // A table that does not exist, and that the backup did not create either: a synonym
        // to a table no longer replicated — the case the vendor describes as expected.
        let synonym = benign.contains(&code) && table.as_ref().is_some_and(|t| !created.contains(t));
        let subject = format!("{shown}#{code}{}", table.as_ref().map(|t| format!(":{t}")).unwrap_or_default());
        let d = details! { "code" => code, "table" => table, "count" => count, "lines" => lines, "message" => message, "known_synonym_case" => synonym };
        let text = format!("{count} × {code} {message}{}", if synonym { " (a synonym to a table not in the backup: expected)" } else { "" });
        if synonym {
            sink.emit_capped(Rule::RestoreErrors, benign_severity, subject, text, d, None);
        } else {
            sink.emit(Rule::RestoreErrors, subject, text, d, None);
        }
    }
    Ok(())
}

/// The backup target: it must exist, be a directory, not be on the root file system (the
/// vendor: not on the accelerator's own disk), and have the minimum free space (2 GB).
fn check_backup_dir(sink: &Sink, dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let shown = dir.display().to_string();
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(_) => {
            sink.emit(Rule::BackupDirUnfit, &shown, "the backup directory does not exist: the backup fails (the accelerator writes to /import/dbbackup, usually an NFS mount)".to_string(), details! { "problem" => "missing" }, None);
            return Ok(());
        }
    };
    if !meta.is_dir() {
        sink.emit(Rule::BackupDirUnfit, &shown, "the backup target is not a directory".to_string(), details! { "problem" => "not a directory" }, None);
        return Ok(());
    }
    if let Ok(root) = std::fs::metadata("/")
        && root.dev() == meta.dev()
    {
        sink.emit(Rule::BackupDirUnfit, &shown, "the backup directory is on the same file system as / : a backup on the accelerator's own disk is lost with it (mount a separate or network volume)".to_string(), details! { "problem" => "same filesystem as /" }, None);
    }
    let min_gb: f64 = sink.catalogue().param(Rule::BackupDirUnfit.id(), "min_free_gb", 2.0f64)?;
    if let Some(free) = free_bytes(dir) {
        let min = (min_gb * 1e9) as u64;
        if free < min {
            sink.emit(
                Rule::BackupDirUnfit,
                &shown,
                format!("{:.2} GB free, the backup needs at least {min_gb} GB (\"Not enough space is left\")", free as f64 / 1e9),
                details! { "problem" => "free space", "free_bytes" => free, "min_bytes" => min },
                None,
            );
        }
    }
    Ok(())
}

fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero statvfs is valid; statvfs fills it for a valid C path.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a NUL-terminated path, s a valid out-parameter.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some(s.f_bavail as u64 * s.f_frsize as u64)
}
