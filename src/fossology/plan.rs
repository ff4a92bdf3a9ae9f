//! `plan fossology`: the repository paths a backup must contain, for `rsync --files-from`.
//!
//! The backup scope document gives two strategies: the entire repository, or only the gold
//! files (and the database), re-unpacking after a restore. Gold whose upload came from a
//! URL could even be left out and downloaded again (`--skip-refetchable`). Orphans are
//! never listed: nothing references them. Both strategies keep the repository's `license`
//! directory: the scope document backs up "gold, files, license directory" in the first and
//! "only repository gold and license directory" in the second. The scheduler's job logs
//! (`logs/`) are optional: a `#` line names them, no path is listed.
//!
//! Bytes are counted per path: an upload's gold and its top-level files object are separate
//! files on a healthy installation (ununpack rewrites the files object as a copy of its
//! own, `AddToRepository` in `src/ununpack/agent/utils.c` → `fo_RepImport`), so they are
//! stored twice. A pair that does share an inode (wget_agent's link before ununpack ran)
//! is counted as `hard_linked`: `rsync -H` would store it once.

use std::io::Write;
use std::path::{Path, PathBuf};

use std::io::BufWriter;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::conf::Layout;
use super::layout::{ObjectType, object_path};
use super::metadata::{self, Upload};
use super::options::Inputs;
use super::walk::Meta;
use crate::engine::product::{ProductCommand, choices};
use crate::engine::sink::Sink;
use crate::engine::tables::DbSource;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Every referenced object, gold and files.
    Full,
    /// Only each upload's gold; the files are re-unpacked after a restore.
    GoldOnly,
}

impl Strategy {
    /// Every strategy, with what it keeps.
    pub const CHOICES: &'static [(Strategy, &'static str, &'static str)] =
        &[(Strategy::Full, "full", "every referenced object, gold and files"), (Strategy::GoldOnly, "gold-only", "each upload's gold; the files are re-unpacked after a restore")];
}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub db: DbSource,
    pub db_name: String,
    pub repo: PathBuf,
    pub layout: Layout,
    pub strategy: Strategy,
    pub skip_refetchable: bool,
}

/// What the plan counted, for the operator.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    pub paths: u64,
    pub bytes: u64,
    /// Referenced objects that are not on disk (a check tells more).
    pub absent: u64,
    /// Gold left out because its upload can be downloaded again.
    pub refetchable_skipped: u64,
    /// Gold objects that share their inode with the files copy (not so on a healthy
    /// installation: see the module's note). Their bytes are in `bytes` twice.
    pub hard_linked: u64,
    /// The job logs' directories (optional), with their files and bytes.
    pub logs: Vec<(String, u64, u64)>,
}

/// Writes one path per line (relative to the repository root) to `out`.
pub fn plan(opts: &PlanOptions, sink: &Sink, out: &mut dyn Write) -> Result<PlanSummary> {
    let meta = metadata::read(&opts.db, &opts.db_name, sink)?;
    let mut summary = PlanSummary::default();
    for object in meta.objects {
        let object = object?;
        let name = object.key.name();
        let skip_gold = opts.skip_refetchable && !object.gold_of.is_empty() && object.gold_of.iter().all(|u| meta.uploads.get(u).is_some_and(Upload::refetchable));
        summary.refetchable_skipped += u64::from(skip_gold);
        let wanted_gold = !object.gold_of.is_empty() && !skip_gold;
        let gold = if wanted_gold { present(opts, ObjectType::Gold, &name) } else { None };
        let files = match opts.strategy {
            Strategy::Full => present(opts, ObjectType::Files, &name),
            Strategy::GoldOnly => None,
        };
        if let (Some((_, g)), Some((_, f))) = (&gold, &files)
            && g.dev == f.dev
            && g.ino == f.ino
        {
            summary.hard_linked += 1;
        }
        let wanted_files = opts.strategy == Strategy::Full;
        for (wanted, found) in [(wanted_gold, &gold), (wanted_files, &files)] {
            match found {
                Some((rel, m)) => {
                    writeln!(out, "{rel}")?;
                    summary.paths += 1;
                    summary.bytes += m.size;
                }
                None if wanted => summary.absent += 1,
                None => {}
            }
        }
    }
    license_dirs(opts, &mut summary, out)?;
    logs_dirs(opts, &mut summary, out)?;
    Ok(summary)
}

/// The job logs: `<repository>/logs` — the scheduler writes them with `fo_RepMkPath("logs",
/// "%06d")` (`job_log()` in `src/scheduler/agent/job.c`) while its own `sysconfig` global is
/// unset, so `_RepGetHost` finds no host and the path has no host part — and `<host>/logs`,
/// where an agent that loaded the `[REPOSITORY]` ranges would put them. Optional: a restore
/// without them loses the logs and nothing else (`jobqueue.jq_log` then names a missing
/// file). Named in a `#` line, which rsync skips, so a plan never copies them unasked.
fn logs_dirs(opts: &PlanOptions, summary: &mut PlanSummary, out: &mut dyn Write) -> Result<()> {
    let mut dirs = vec!["logs".to_string()];
    let mut hosts = opts.layout.host_dirs();
    hosts.sort_unstable();
    hosts.dedup();
    dirs.extend(hosts.into_iter().map(|h| format!("{h}/logs")));
    for rel in dirs {
        let dir = opts.repo.join(&rel);
        if !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let mut paths = Vec::new();
        collect(&dir, &rel, &mut paths)?;
        let files = paths.iter().filter(|(p, _)| opts.repo.join(p).is_file()).count() as u64;
        let bytes: u64 = paths.iter().map(|(_, s)| s).sum();
        writeln!(out, "# {rel} (optional, {files} files, {bytes} bytes): the scheduler's job logs (jobqueue.jq_log names them); needed only to keep job logs: add {rel}/ to the copy to keep them")?;
        summary.logs.push((rel, files, bytes));
    }
    Ok(())
}

/// `<host>/license` with everything in it, for every host that has one. `license` is one of
/// the `[REPOSITORY]` types (with `gold`, `files`, `logs` and `test`); its objects are not
/// named by the database, so the directory is listed whole. A `#` line says what it is:
/// rsync skips such lines of a `--files-from` list it reads itself (flist.c,
/// RL_DUMP_COMMENTS).
fn license_dirs(opts: &PlanOptions, summary: &mut PlanSummary, out: &mut dyn Write) -> Result<()> {
    let mut hosts: Vec<Option<&str>> = opts.layout.host_dirs().into_iter().map(Some).collect();
    hosts.sort_unstable();
    hosts.dedup();
    if hosts.is_empty() {
        hosts.push(None);
    }
    for host in hosts {
        let rel = match host {
            Some(h) => format!("{h}/license"),
            None => "license".to_string(),
        };
        let dir = opts.repo.join(&rel);
        if !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        writeln!(
            out,
            "# {rel}: the repository's license directory ([REPOSITORY] type license, like logs and test; no upload names its files). FOSSology's backup scope keeps it in both strategies: \"backup only repository gold and license directory\""
        )?;
        let mut paths = vec![(rel.clone(), 0)];
        collect(&dir, &rel, &mut paths)?;
        paths.sort();
        for (path, size) in paths {
            writeln!(out, "{path}")?;
            summary.paths += 1;
            summary.bytes += size;
        }
    }
    Ok(())
}

/// The object's path on the first host that has it.
fn present(opts: &PlanOptions, object_type: ObjectType, name: &str) -> Option<(String, Meta)> {
    let mut hosts: Vec<Option<&str>> = opts.layout.hosts_for(object_type.as_str(), name).into_iter().map(Some).collect();
    if hosts.is_empty() {
        hosts.push(None);
    }
    hosts.into_iter().find_map(|h| {
        let rel = object_path(&opts.layout, h, object_type, name);
        let meta = Meta::of(&opts.repo.join(&rel)).ok()?;
        Some((rel, meta))
    })
}

/// Every entry under `dir` (named `rel`), directories included so that empty ones are kept,
/// with the size of each file.
fn collect(dir: &Path, rel: &str, paths: &mut Vec<(String, u64)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        let child = format!("{rel}/{}", entry.file_name().to_string_lossy());
        if meta.is_dir() {
            paths.push((child.clone(), 0));
            collect(&entry.path(), &child, paths)?;
        } else {
            paths.push((child, meta.len()));
        }
    }
    Ok(())
}

/// The configuration files a restore needs besides the repository.
pub fn config_files(conf: Option<&Path>) -> Vec<PathBuf> {
    let Some(conf) = conf else { return Vec::new() };
    let dir = if conf.is_dir() { conf.to_path_buf() } else { conf.parent().map(Path::to_path_buf).unwrap_or_default() };
    vec![dir.join("fossology.conf"), dir.join("Db.conf")]
}

/// `repocheck plan fossology`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// What the backup keeps.
    #[arg(long, value_parser = choices(Strategy::CHOICES))]
    pub strategy: Strategy,
    /// Leave out gold whose upload came from a URL (it can be downloaded again).
    #[arg(long)]
    pub skip_refetchable: bool,
    /// Write the list here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl ProductCommand for PlanArgs {
    const ABOUT: &'static str = "The FOSSology repository paths a backup must contain";

    /// Writes the list, and says on stderr what it holds and what else a backup needs.
    fn run(self) -> Result<ExitCode> {
        let a = self;
        let i = a.inputs;
        if !i.repo.is_dir() {
            bail!("--repo {}: not a directory", i.repo.display());
        }
        let (conf, layout, root_unreadable) = super::check::resolve_layout(&i)?;
        // The plan has no findings: a layout it could not infer is an error.
        if let Some(e) = root_unreadable {
            bail!("--repo {}: cannot read the repository root to infer its layout: {e}", i.repo.display());
        }
        if let Some((path, why)) = conf.as_ref().and_then(|c| c.problems.first()) {
            bail!("--conf: {} is {why}", path.display());
        }
        let opts = PlanOptions { db: i.db.clone(), db_name: i.db_name.clone(), repo: i.repo.clone(), layout, strategy: a.strategy, skip_refetchable: a.skip_refetchable };
        // The plan reads the same tables as the check; what the check would report is not its business.
        let sink = Sink::new(Arc::new(crate::products::catalogue(None)?), Vec::new())?;
        let mut out: Box<dyn Write> = match &a.output {
            Some(path) => Box::new(BufWriter::new(std::fs::File::create(path).with_context(|| format!("--output {}: cannot create", path.display()))?)),
            None => Box::new(BufWriter::new(std::io::stdout().lock())),
        };
        let summary = plan(&opts, &sink, &mut out)?;
        out.flush()?;
        eprintln!("{} paths, {} bytes, relative to {} (rsync --files-from)", summary.paths, summary.bytes, i.repo.display());
        if summary.absent > 0 {
            eprintln!("{} referenced objects are not in the repository: run repocheck check fossology first", summary.absent);
        }
        if summary.refetchable_skipped > 0 {
            eprintln!("{} gold objects left out: their uploads can be downloaded again from their URL", summary.refetchable_skipped);
        }
        if a.strategy == Strategy::Full {
            if summary.hard_linked > 0 {
                eprintln!(
                    "hard links: {} gold objects share their inode with the files copy (as wget_agent leaves them before ununpack runs); the bytes above count them twice, rsync -H stores them once",
                    summary.hard_linked
                );
            } else {
                eprintln!("hard links: none; gold and files are separate files, as ununpack leaves them, and the bytes above count both; -H is not needed");
            }
        }
        for (rel, files, bytes) in &summary.logs {
            eprintln!("optional: {rel}/ ({files} files, {bytes} bytes), the scheduler's job logs: needed only to keep them");
        }
        for file in config_files(i.conf.as_deref()) {
            eprintln!("also back up: {}", file.display());
        }
        eprintln!("and the database: pg_dumpall | gzip > backup.gz, with the scheduler stopped");
        Ok(ExitCode::SUCCESS)
    }
}
