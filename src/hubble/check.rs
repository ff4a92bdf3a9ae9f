//! The Hubble checks.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::Value;

use super::copydb::{self, LogEvent};
use super::{Params, Rule};
use crate::details;
use crate::engine::archive;
use crate::engine::io;
use crate::engine::report::Target;
use crate::engine::sink::Sink;

/// What `check hubble` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckOptions {
    /// The backup archive (.tar.gz) or the directory it was unpacked into.
    #[arg(long, value_name = "ARCHIVE|DIR", value_hint = clap::ValueHint::AnyPath)]
    pub archive: PathBuf,
    /// The restore log (output.txt of `sql db -uhubble < copy.in > output.txt`).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub restore_log: Option<PathBuf>,
    /// The backup target directory to vet (e.g. /import/dbbackup).
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub backup_dir: Option<PathBuf>,
}

const DEFINITION: &str = "AttunityBackup/Replication_Definition.json";

/// The members the check reads: the definition and the two scripts, wherever the archive
/// puts its two folders.
fn wanted(name: &str) -> bool {
    name.ends_with(DEFINITION) || name.ends_with("DatabaseBackup/copy.in") || name.ends_with("DatabaseBackup/copy.out")
}

/// The report's target; the archive and the restore log must exist.
pub fn target(opts: &CheckOptions) -> Result<Target> {
    match io::check_regular_or_dir(&opts.archive) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("--archive {}: no such archive or directory", opts.archive.display()),
        Err(e) => bail!("--archive {}: {e}", opts.archive.display()),
    }
    if let Some(log) = &opts.restore_log {
        match io::check_regular(log) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("--restore-log {}: no such file", log.display()),
            Err(e) => bail!("--restore-log {}: {e}", log.display()),
        }
    }
    let mut target = Target::new("hubble").input("archive", opts.archive.display().to_string());
    if let Some(l) = &opts.restore_log {
        target = target.input("restore_log", l.display().to_string());
    }
    if let Some(d) = &opts.backup_dir {
        target = target.input("backup_dir", d.display().to_string());
    }
    Ok(target)
}

pub fn check(opts: &CheckOptions, params: &Params, sink: &Sink) -> Result<()> {
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
    let prefix = listing.members.keys().find_map(|k| k.find("AttunityBackup").or_else(|| k.find("DatabaseBackup")).map(|i| k[..i].to_string())).unwrap_or_default();
    check_definition(sink, &listing, &prefix);
    // Files given as inputs are no part of the backup's data: the restore log lies in
    // DatabaseBackup/ when the restore ran as the vendor's document says.
    let inputs: Vec<String> = opts.restore_log.iter().filter_map(|log| member_key(&opts.archive, log)).collect();
    let created = check_scripts(sink, params, &listing, &prefix, &inputs)?;
    if let Some(log) = &opts.restore_log {
        check_restore_log(sink, params, log, created.as_ref())?;
    }
    if let Some(dir) = &opts.backup_dir {
        check_backup_dir(sink, params, dir)?;
    }
    Ok(())
}

/// A member the check reads, as far as the listing holds it.
fn member<'a>(sink: &Sink, listing: &'a archive::Listing, path: &str) -> Option<&'a [u8]> {
    if let Some(bytes) = listing.contents.get(path) {
        return Some(bytes);
    }
    if let Some(m) = listing.members.get(path).filter(|m| !m.is_dir) {
        sink.emit(
            Rule::ArchiveUnreadable,
            path,
            format!("{path} is {} bytes, more than the {} repocheck reads into memory: it was not checked", m.size, archive::MAX_CONTENT),
            details! { "size" => m.size, "limit" => archive::MAX_CONTENT },
            None,
        );
    }
    None
}

/// Qlik Replicate's repository export: `cmd.replication_definition` with `tasks` and
/// `databases`; every task's source and targets must be databases of the export
/// (Qlik Replicate's `repctl exportrepository` output; the key is the literal dotted string).
fn check_definition(sink: &Sink, listing: &archive::Listing, prefix: &str) {
    let path = format!("{prefix}{DEFINITION}");
    let Some(bytes) = member(sink, listing, &path) else {
        if listing.damage.is_none() && !listing.members.contains_key(&path) {
            sink.emit(Rule::ReplicationDefinitionMissing, path.clone(), "the archive has no Replication_Definition.json: the Qlik Replicate tasks cannot be imported".to_string(), details! {}, None);
        }
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    // Exports handled by public parsers may start with a "Host name: …" line before the JSON.
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
    // The key is the literal dotted string.
    let Some(def) = json.get("cmd.replication_definition") else {
        sink.emit(Rule::ReplicationDefinitionInvalid, path, "Replication_Definition.json has no \"cmd.replication_definition\" object".to_string(), details! {}, None);
        return;
    };
    let (Some(tasks), Some(databases)) = (def.get("tasks").and_then(Value::as_array), def.get("databases").and_then(Value::as_array)) else {
        sink.emit(Rule::ReplicationDefinitionInvalid, path, "cmd.replication_definition lacks its tasks or databases array".to_string(), details! {}, None);
        return;
    };
    let names: BTreeSet<&str> = databases.iter().filter_map(|d| d.get("name").and_then(Value::as_str)).collect();
    for (i, task) in tasks.iter().enumerate() {
        let name = task.pointer("/task/name").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("#{}", i + 1));
        let subject = format!("{path}#{name}");
        let source = task.pointer("/task/source_name").and_then(Value::as_str);
        let targets: Vec<&str> = task.pointer("/task/target_names").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if source.is_none() || targets.is_empty() {
            let lacks = if source.is_none() { "source_name" } else { "target_names" };
            sink.emit(Rule::ReplicationDefinitionInvalid, &subject, format!("task {name} has no {lacks}: it replicates nothing after import"), details! { "task" => name, "lacks" => lacks }, None);
        }
        for db in source.into_iter().chain(targets) {
            if !names.contains(db) {
                sink.emit(
                    Rule::ReplicationDefinitionInvalid,
                    &subject,
                    format!("task {name} uses database '{db}', which the export does not define: the task cannot run after import"),
                    details! { "task" => name, "database" => db, "databases" => names.iter().collect::<Vec<_>>() },
                    None,
                );
            }
        }
    }
}

/// The file name a script's path ends in (the scripts hold the path the backup was written
/// to, e.g. /import/dbbackup/…, not the archive's).
fn base(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The member key `file` has in the unpacked backup directory `archive`, if it lies in it.
fn member_key(archive: &Path, file: &Path) -> Option<String> {
    let root = std::fs::canonicalize(archive).ok().filter(|r| r.is_dir())?;
    let file = std::fs::canonicalize(file).ok()?;
    file.strip_prefix(&root).ok().map(|r| r.to_string_lossy().replace('\\', "/"))
}

/// The copydb scripts and the data files they name. Returns the tables copy.in creates
/// (lower case), when copy.in could be read. `inputs` are members given to the check as
/// files of their own (the restore log), which are not data files.
fn check_scripts(sink: &Sink, params: &Params, listing: &archive::Listing, prefix: &str, inputs: &[String]) -> Result<Option<BTreeSet<String>>> {
    // What the restore writes into DatabaseBackup: the vendor's restore is
    // "cd <backup>/DatabaseBackup; sql <database> -uhubble < copy.in > output.txt", so the
    // terminal monitor's output lies next to the data files.
    let restore_outputs = &params.data_file_unreferenced.restore_outputs;
    Ok(check_scripts_with(sink, listing, prefix, inputs, restore_outputs))
}

fn check_scripts_with(sink: &Sink, listing: &archive::Listing, prefix: &str, inputs: &[String], restore_outputs: &[String]) -> Option<BTreeSet<String>> {
    let dir = format!("{prefix}DatabaseBackup/");
    let damaged = listing.damage.is_some();
    let mut scripts = BTreeMap::new();
    for name in ["copy.in", "copy.out"] {
        let path = format!("{dir}{name}");
        match member(sink, listing, &path) {
            Some(bytes) => {
                scripts.insert(name, copydb::parse(&String::from_utf8_lossy(bytes)));
            }
            None if !damaged && !listing.members.contains_key(&path) => sink.emit(
                Rule::CopyScriptMissing,
                path,
                format!("DatabaseBackup has no {name}: {}", if name == "copy.in" { "the hubble schema cannot be restored from this backup" } else { "the unload cannot be repeated the same way" }),
                details! { "script" => name },
                None,
            ),
            None => {}
        }
    }
    // Data files: the members of DatabaseBackup other than the scripts, by base name.
    let data: BTreeMap<&str, &str> =
        listing.members.iter().filter(|(k, m)| !m.is_dir && k.starts_with(&dir) && !k.ends_with("/copy.in") && !k.ends_with("/copy.out")).map(|(k, _)| (base(k), &k[dir.len()..])).collect();
    // What the restore loads is what copy.in names; without copy.in, copy.out tells what
    // the unload wrote.
    let (script, loader) = scripts.get("copy.in").map(|s| ("copy.in", s)).or_else(|| scripts.get("copy.out").map(|s| ("copy.out", s)))?;
    let does = |c: &copydb::Copy| if script == "copy.in" { format!("loads table {} from", c.table) } else { format!("unloads table {} into", c.table) };
    let named: BTreeSet<&str> = loader.copies.iter().map(|c| base(&c.file)).collect();
    // A file after the damage may be missing only from what could be read.
    if !damaged {
        for c in loader.copies.iter().filter(|c| !data.contains_key(base(&c.file))) {
            sink.emit(
                Rule::DataFileMissing,
                format!("{dir}{}", base(&c.file)),
                format!("{script} line {} {} '{}', which is not in the backup: that table's data cannot be restored", c.line, does(c), c.file),
                details! { "table" => c.table, "file" => c.file, "script" => script, "line" => c.line },
                None,
            );
        }
    }
    let unloaded: BTreeSet<&str> = scripts.get("copy.out").filter(|_| script == "copy.in").map(|s| s.copies.iter().map(|c| base(&c.file)).collect()).unwrap_or_default();
    // Neither the restore's own output nor a file given as an input is a data file.
    let not_data = |f: &str| restore_outputs.iter().any(|o| o == f) || inputs.iter().any(|i| *i == format!("{dir}{f}"));
    for (b, f) in data.iter().filter(|(b, f)| !named.contains(*b) && !not_data(f)) {
        let why = if unloaded.contains(b) { "copy.out unloads it but copy.in does not load it" } else { "no copy statement names it" };
        sink.emit(
            Rule::DataFileUnreferenced,
            format!("{dir}{f}"),
            format!("{f} is in DatabaseBackup but {why}: it will not be restored"),
            details! { "file" => f, "named_by_copy_out" => unloaded.contains(b), "script" => script },
            None,
        );
    }
    let copy_in = scripts.get("copy.in")?;
    if let Some(line) = copy_in.nocontinue {
        // The hubble-backup-api document, "Copy.in Script".
        sink.emit(
            Rule::Nocontinue,
            format!("{dir}copy.in"),
            format!("copy.in line {line} says \\nocontinue: the restore stops at the first error; if the backup has synonyms to tables no longer replicated, change it to \\continue and check output.txt with grep ^E_ afterwards (vendor advice)"),
            details! { "line" => line },
            None,
        );
    }
    Some(copy_in.tables.iter().map(|t| t.to_lowercase()).collect())
}

/// The restore log (`sql db -uhubble < copy.in > output.txt`): `E_` errors grouped by code
/// and table, and whether `\nocontinue` ended the restore early.
fn check_restore_log(sink: &Sink, params: &Params, log: &Path, created: Option<&BTreeSet<String>>) -> Result<()> {
    let benign = &params.restore_errors.benign_codes;
    let benign_severity = params.restore_errors.benign_severity;
    let file = io::open_regular(log).map_err(|e| anyhow::anyhow!("--restore-log {}: cannot read ({e})", log.display()))?;
    /// One code on one table: how often, its first message, its first lines.
    struct Group {
        count: usize,
        message: String,
        lines: Vec<usize>,
    }
    let mut groups: BTreeMap<(String, Option<String>), Group> = BTreeMap::new();
    let mut terminated = None;
    copydb::scan_restore_log(BufReader::new(file), |event| match event {
        LogEvent::Error(e) => {
            let g = groups.entry((e.code, e.table)).or_insert_with(|| Group { count: 0, message: e.message, lines: Vec::new() });
            g.count += 1;
            if g.lines.len() < 20 {
                g.lines.push(e.line);
            }
        }
        LogEvent::Terminated { line } => terminated = terminated.or(Some(line)),
    })
    .map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => anyhow::anyhow!("--restore-log {}: {e}", log.display()),
        _ => anyhow::anyhow!("--restore-log {}: cannot read ({e})", log.display()),
    })?;
    let shown = log.display().to_string();
    for ((code, table), g) in groups {
        // A table that does not exist, and that the backup did not create either: a synonym
        // to a table no longer replicated — the case the vendor describes as expected.
        let synonym = benign.contains(&code) && table.as_ref().zip(created).is_some_and(|(t, created)| !created.contains(t));
        let subject = format!("{shown}#{code}{}", table.as_ref().map(|t| format!(":{t}")).unwrap_or_default());
        let d = details! { "code" => code, "table" => table, "count" => g.count, "lines" => g.lines, "message" => g.message, "known_synonym_case" => synonym };
        let text = format!("{} × {code} {}{}", g.count, g.message, if synonym { " (a synonym to a table not in the backup: expected)" } else { "" });
        if synonym {
            sink.emit_capped(Rule::RestoreErrors, benign_severity, subject, text, d, None);
        } else {
            sink.emit(Rule::RestoreErrors, subject, text, d, None);
        }
    }
    if let Some(line) = terminated {
        sink.emit(
            Rule::RestoreErrors,
            format!("{shown}#terminated"),
            format!("line {line}: the restore was terminated by errors (\\nocontinue): nothing after the failing statement was restored; change copy.in to \\continue, empty the hubble schema and restore again"),
            details! { "line" => line, "terminated" => true },
            None,
        );
    }
    Ok(())
}

/// The backup target: it must exist, be a directory, not be on the root file system (the
/// vendor: not on the accelerator's own disk), and have the minimum free space (the
/// vendor's default 2GB, taken as 2 GiB: its log message counts in MB).
fn check_backup_dir(sink: &Sink, params: &Params, dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    const GIB: f64 = (1u64 << 30) as f64;
    let shown = dir.display().to_string();
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            sink.emit(
                Rule::BackupDirUnfit,
                &shown,
                "the backup directory does not exist: every backup fails (the accelerator writes to /import/dbbackup, usually an NFS mount)".to_string(),
                details! { "problem" => "missing" },
                None,
            );
            return Ok(());
        }
        Err(e) => {
            sink.emit(Rule::BackupDirUnfit, &shown, format!("the backup directory cannot be examined: {e}"), details! { "problem" => "unreadable", "error" => e.to_string() }, None);
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
        sink.emit(
            Rule::BackupDirUnfit,
            &shown,
            "the backup directory is on the same file system as / : a backup on the accelerator's own disk is lost with it (mount a separate or network volume)".to_string(),
            details! { "problem" => "same filesystem as /" },
            None,
        );
    }
    let min_gb = params.backup_dir_unfit.min_free_gb;
    let min = (min_gb * GIB) as u64;
    match free_bytes(dir) {
        Some(free) if free < min => sink.emit(
            Rule::BackupDirUnfit,
            &shown,
            format!("{:.2} GiB free, a backup needs at least {min_gb} GiB (the accelerator's \"Not enough space is left\")", free as f64 / GIB),
            details! { "problem" => "free space", "free_bytes" => free, "min_bytes" => min },
            None,
        ),
        Some(_) => {}
        None => {
            sink.emit(Rule::BackupDirUnfit, &shown, "the free space of the backup directory cannot be determined (statvfs failed)".to_string(), details! { "problem" => "free space unknown" }, None)
        }
    }
    Ok(())
}

/// Space a writer that is not root may use (`f_bavail`, not `f_bfree`, which counts the
/// blocks reserved for root).
fn free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}
