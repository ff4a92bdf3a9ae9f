//! The FOSSology check: a streaming merge of the referenced objects (in name order, from
//! the database or its dump) with the sorted walk of each type tree.
//!
//! Decisions that depend on something found later wait in order-preserving spools: an
//! object absent from its place may turn up misplaced (then it is a move, not a missing
//! file), and a missing file's repair depends on whether one of its uploads still has a
//! usable gold — known only once the gold tree is done.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Rule;
use super::conf::{HostRange, Layout, read_conf};
use super::layout::{ObjectKey, ObjectType, object_path, preferred_path};
use super::metadata::{self, DbObject, MODE_UNPACKED, Upload, capped};
use super::walk::{Batch, Found, Level, Meta, Misplaced, NameRange, TreeWalk, read_dir_sorted};
use crate::details;
use crate::engine::finding::Repair;
use crate::engine::report::Target;
use crate::engine::rules::RuleCode;
use crate::engine::sink::Sink;
use crate::engine::tables::DbSource;

/// What `check fossology` was asked to do.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub db: DbSource,
    /// The database of a `pg_dumpall` file.
    pub db_name: String,
    pub repo: PathBuf,
    pub conf: Option<PathBuf>,
    pub level: Level,
    /// Only objects whose names start in this range (one shard).
    pub range: Option<NameRange>,
    /// Only this `[REPOSITORY]` host's share.
    pub host: Option<String>,
}

/// Runs every FOSSology rule on one installation.
pub fn check(opts: &CheckOptions, sink: &Sink) -> Result<()> {
    let repo = &opts.repo;
    match std::fs::metadata(repo) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => bail!("--repo {}: not a directory", repo.display()),
        Err(e) => bail!("--repo {}: {}", repo.display(), e),
    }
    std::fs::read_dir(repo).with_context(|| format!("--repo {}: cannot read the repository root", repo.display()))?;
    if let DbSource::Dump(path) = &opts.db
        && !path.is_file()
    {
        bail!("--db {}: no such dump file (give a postgres:// URL or a pg_dump/pg_dumpall file)", path.display());
    }

    let conf = opts.conf.as_deref().map(read_conf).transpose()?;
    let layout = match conf.as_ref().and_then(|c| c.layout.clone()) {
        Some(layout) => layout,
        None => infer_layout(repo),
    };
    if let Some(host) = &opts.host
        && !layout.hosts.iter().any(|h| &h.host == host)
    {
        bail!("--host {host}: not a [REPOSITORY] host of {} (hosts: {})", layout.origin, layout.host_dirs().join(", "));
    }

    let mut target = Target::new("fossology").input("db", opts.db.display()).input("repo", repo.display().to_string());
    if let Some(c) = &opts.conf {
        target = target.input("conf", c.display().to_string());
    }
    if matches!(opts.db, DbSource::Dump(_)) {
        target = target.input("db_name", opts.db_name.clone());
    }
    target.level = Some(opts.level.as_str().to_string());
    let mut scope = serde_json::Map::new();
    scope.insert("layout".into(), json!({"depth": layout.depth, "hosts": layout.hosts.iter().map(describe_host).collect::<Vec<_>>(), "from": layout.origin}));
    if let Some(r) = &opts.range {
        scope.insert("range".into(), json!(r.to_string()));
    }
    if let Some(h) = &opts.host {
        scope.insert("host".into(), json!(h));
    }
    target.scope = Some(scope);
    let rules: Vec<&'static str> = Rule::ALL
        .iter()
        .filter(|r| match r {
            Rule::SizeMismatch => opts.level >= Level::Size,
            Rule::ContentMismatch => opts.level == Level::Content,
            Rule::ConfigMissing => opts.conf.is_some(),
            _ => true,
        })
        .map(|r| r.id())
        .collect();
    sink.begin_target(target, &rules);

    if let Some(conf) = &conf {
        for (path, why) in &conf.problems {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            sink.emit(
                Rule::ConfigMissing,
                path.display().to_string(),
                format!("{name} is {why}: a restore needs it{}", if name == "fossology.conf" { " (the layout was inferred from the repository instead)" } else { "" }),
                details! { "file" => name, "problem" => why },
                Some(Repair::RestoreFromBackup { path: path.display().to_string() }),
            );
        }
    }

    let meta = metadata::read(&opts.db, &opts.db_name, sink)?;
    report_active_jobs(&meta.active_jobs, sink);

    let mut run = Run { opts, layout: &layout, sink, uploads: &meta.uploads, gold_state: HashMap::new(), gold_path: HashMap::new(), gold_in_scope: BTreeSet::new() };
    run.merge(meta.objects)?;
    report_scratch(repo, &layout, sink)?;
    Ok(())
}

fn describe_host(h: &HostRange) -> String {
    format!("{}[] = {} {} {}", h.host, h.object_type.as_deref().unwrap_or("*"), h.start, h.end)
}

/// Without `--conf`: the hosts are the repository's directories that hold a `gold` or
/// `files` tree, and the depth is the one its objects are found at (the shipped layout
/// when the repository is empty).
pub fn infer_layout(repo: &Path) -> Layout {
    let mut layout = Layout::shipped();
    let hosts: Vec<String> = read_dir_sorted(repo)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| ["gold", "files"].iter().any(|t| repo.join(name).join(t).is_dir()))
        .collect();
    if !hosts.is_empty() {
        layout.hosts = hosts.iter().map(|h| HostRange { host: h.clone(), object_type: None, start: "00".into(), end: "ff".into() }).collect();
    }
    'probe: for host in &hosts {
        for t in ["files", "gold"] {
            if let Some(depth) = first_object_depth(&repo.join(host).join(t), 0) {
                layout.depth = depth;
                break 'probe;
            }
        }
    }
    layout.origin = format!("inferred from the repository (no --conf): depth {}, hosts {}", layout.depth, layout.host_dirs().join(", "));
    layout
}

fn first_object_depth(dir: &Path, level: u32) -> Option<u32> {
    if level > 8 {
        return None;
    }
    for (name, kind) in read_dir_sorted(dir).ok()? {
        match kind {
            super::walk::EntryKind::File if name.to_str().and_then(ObjectKey::parse_name).is_some() => return Some(level),
            super::walk::EntryKind::Dir if name.to_str().is_some_and(super::layout::is_pair) => {
                if let Some(d) = first_object_depth(&dir.join(&name), level + 1) {
                    return Some(d);
                }
            }
            _ => {}
        }
    }
    None
}

fn report_active_jobs(jobs: &[metadata::ActiveJob], sink: &Sink) {
    for j in jobs {
        let upload = j.upload.map(|u| format!(" of upload {u}")).unwrap_or_default();
        sink.emit(
            Rule::JobsActive,
            format!("jobqueue {}", j.jq_pk),
            format!("{} job {}{upload} started {} and has not ended: the scheduler is not quiesced", j.jq_type, j.job, j.started),
            details! { "jq_pk" => j.jq_pk, "job" => j.job, "jq_type" => j.jq_type, "jq_args" => j.args, "upload" => j.upload, "started" => j.started },
            None,
        );
    }
}

/// What is known of an upload's gold once the gold tree has been merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoldState {
    /// Present and (at the level checked) intact.
    Usable,
    /// Present only in the wrong place: usable once moved.
    Misplaced,
    /// Present, but its size or content is wrong.
    Corrupt,
    Missing,
    /// Missing, but the files copy of the same object is there: ununpack unpacks from
    /// `files` first and only falls back to `gold` (facts §4.3), so a re-unpack works.
    FilesCopyOnly,
    /// On a host outside this run's scope (`--host`): not checked.
    NotChecked,
}

impl GoldState {
    fn usable(self) -> bool {
        matches!(self, GoldState::Usable | GoldState::Misplaced | GoldState::FilesCopyOnly | GoldState::NotChecked)
    }

    fn as_str(self) -> &'static str {
        match self {
            GoldState::Usable => "present",
            GoldState::Misplaced => "misplaced",
            GoldState::Corrupt => "corrupt",
            GoldState::Missing => "missing",
            GoldState::FilesCopyOnly => "missing (files copy present)",
            GoldState::NotChecked => "not checked",
        }
    }
}

/// One object that is not where it should be, or not what it should be; decided at the end.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    name: String,
    pfiles: Vec<i64>,
    uploads: Vec<i64>,
    gold_of: Vec<i64>,
    /// Where it should be (relative path).
    path: String,
    problem: Problem,
}

#[derive(Debug, Serialize, Deserialize)]
enum Problem {
    Missing,
    Size { found: u64 },
    Content { sha1: String, md5: String },
}

/// A spool of pending decisions, in name order.
struct Spool {
    file: BufWriter<std::fs::File>,
    len: u64,
}

impl Spool {
    fn new() -> Result<Spool> {
        Ok(Spool { file: BufWriter::new(tempfile::tempfile().context("cannot create a temporary file")?), len: 0 })
    }

    fn push(&mut self, p: &Pending) -> Result<()> {
        serde_json::to_writer(&mut self.file, p)?;
        self.file.write_all(b"\n")?;
        self.len += 1;
        Ok(())
    }

    fn drain(self) -> Result<impl Iterator<Item = Result<Pending>>> {
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        Ok(BufReader::new(file).lines().map(|line| Ok(serde_json::from_str(&line?)?)))
    }
}

/// One host's stream of objects of one tree, from its walker thread.
struct HostStream {
    host: Option<String>,
    rx: Receiver<Batch>,
    buffer: VecDeque<Found>,
    done: bool,
}

/// The k-way merge of one type's host streams, with what came out on the side.
struct Tree {
    object_type: ObjectType,
    streams: Vec<HostStream>,
    misplaced: Vec<(Option<String>, Misplaced)>,
    /// (host, name prefix) below directories that could not be read.
    unreadable: Vec<(Option<String>, String)>,
}

impl Tree {
    fn fill(&mut self, i: usize) {
        let s = &mut self.streams[i];
        while s.buffer.is_empty() && !s.done {
            match s.rx.recv() {
                Ok(batch) => {
                    s.buffer.extend(batch.found);
                    self.misplaced.extend(batch.misplaced.into_iter().map(|m| (s.host.clone(), m)));
                    self.unreadable.extend(batch.unreadable_prefixes.into_iter().map(|p| (s.host.clone(), p)));
                }
                Err(_) => s.done = true,
            }
        }
    }

    /// The smallest key any host has next.
    fn peek_key(&mut self) -> Option<ObjectKey> {
        (0..self.streams.len())
            .filter_map(|i| {
                self.fill(i);
                self.streams[i].buffer.front().map(|f| f.key)
            })
            .min()
    }

    /// Every host's copy of `key` (removed from the streams).
    fn take(&mut self, key: &ObjectKey) -> Vec<(Option<String>, Found)> {
        let mut copies = Vec::new();
        for i in 0..self.streams.len() {
            self.fill(i);
            while self.streams[i].buffer.front().is_some_and(|f| &f.key == key) {
                let found = self.streams[i].buffer.pop_front().expect("peeked");
                copies.push((self.streams[i].host.clone(), found));
                self.fill(i);
            }
        }
        copies
    }

    /// Drains the rest of the streams (so the walkers finish and their side outputs arrive).
    fn finish(&mut self) {
        for i in 0..self.streams.len() {
            while !self.streams[i].done {
                self.streams[i].buffer.clear();
                self.fill(i);
            }
        }
    }

    fn under_unreadable(&self, hosts: &[&str], name: &str) -> bool {
        self.unreadable.iter().any(|(h, prefix)| name.starts_with(prefix.as_str()) && (hosts.is_empty() || h.as_deref().is_some_and(|h| hosts.contains(&h))))
    }
}

struct Run<'a> {
    opts: &'a CheckOptions,
    layout: &'a Layout,
    sink: &'a Sink,
    uploads: &'a BTreeMap<i64, Upload>,
    gold_state: HashMap<i64, GoldState>,
    /// Where each upload's gold belongs (relative path).
    gold_path: HashMap<i64, String>,
    /// Uploads whose gold name lies in this run's range: the run that reports them.
    gold_in_scope: BTreeSet<i64>,
}

impl Run<'_> {
    /// The hosts whose `object_type` tree this run walks. `None` stands for "no host
    /// component" (a `[REPOSITORY]` without entries).
    fn tree_hosts(&self, object_type: ObjectType) -> Vec<Option<String>> {
        let mut hosts: Vec<Option<String>> = if self.layout.hosts.is_empty() {
            vec![None]
        } else {
            let mut h: Vec<Option<String>> = self.layout.host_dirs().into_iter().map(|h| Some(h.to_string())).collect();
            // Host directories that hold objects but are not configured: their objects are misplaced.
            for (name, _) in read_dir_sorted(&self.opts.repo).unwrap_or_default() {
                if let Some(name) = name.to_str()
                    && !h.iter().any(|x| x.as_deref() == Some(name))
                    && self.opts.repo.join(name).join(object_type.as_str()).is_dir()
                {
                    h.push(Some(name.to_string()));
                }
            }
            h
        };
        // The gold tree is small and every shard needs the state of every gold to decide
        // repairs, so it is walked whole; `--host` limits the files tree.
        if object_type == ObjectType::Files
            && let Some(only) = &self.opts.host
        {
            hosts.retain(|h| h.as_deref() == Some(only.as_str()));
        }
        hosts
    }

    fn merge(&mut self, objects: metadata::DbObjects) -> Result<()> {
        let opts = self.opts;
        let sink = self.sink;
        let digests = content_digests(sink)?;
        std::thread::scope(|scope| -> Result<()> {
            let mut trees = Vec::new();
            for object_type in [ObjectType::Gold, ObjectType::Files] {
                let mut streams = Vec::new();
                for host in self.tree_hosts(object_type) {
                    let (tx, rx) = sync_channel::<Batch>(4);
                    let tree = match &host {
                        Some(h) => format!("{h}/{object_type}"),
                        None => object_type.to_string(),
                    };
                    let walk = TreeWalk {
                        repo: &opts.repo,
                        tree,
                        depth: self.layout.depth,
                        level: opts.level,
                        want_meta: object_type == ObjectType::Gold,
                        range: if object_type == ObjectType::Files { opts.range.as_ref() } else { None },
                        digests,
                        sink,
                    };
                    scope.spawn(move || walk.run(&tx));
                    streams.push(HostStream { host, rx, buffer: VecDeque::new(), done: false });
                }
                trees.push(Tree { object_type, streams, misplaced: Vec::new(), unreadable: Vec::new() });
            }
            let [mut gold, mut files] = <[Tree; 2]>::try_from(trees).map_err(|_| anyhow::anyhow!("two trees"))?;
            sink.stats.set_phase("walking the repository");
            let mut gold_pending = Spool::new()?;
            let mut files_pending = Spool::new()?;
            for object in objects {
                let object = object?;
                self.orphans_before(&mut gold, &object.key)?;
                self.orphans_before(&mut files, &object.key)?;
                if !object.gold_of.is_empty() {
                    self.gold_object(&mut gold, &object, &mut gold_pending)?;
                } else {
                    // Not anyone's gold: a copy in the gold tree is an orphan.
                    for (host, found) in gold.take(&object.key) {
                        self.orphan(&gold, host, found, true);
                    }
                }
                self.files_object(&mut files, &object, &mut files_pending)?;
            }
            self.orphans_rest(&mut gold);
            self.orphans_rest(&mut files);
            gold.finish();
            files.finish();
            sink.stats.set_phase("deciding repairs");
            self.resolve(&mut gold, gold_pending)?;
            let unrecoverable = self.resolve(&mut files, files_pending)?;
            self.report_uploads(&unrecoverable);
            Ok(())
        })
    }

    /// Objects of a tree that come before `key` in name order are referenced by nothing.
    fn orphans_before(&self, tree: &mut Tree, key: &ObjectKey) -> Result<()> {
        while let Some(next) = tree.peek_key() {
            if next >= *key {
                break;
            }
            for (host, found) in tree.take(&next) {
                self.orphan(tree, host, found, false);
            }
        }
        Ok(())
    }

    fn orphans_rest(&self, tree: &mut Tree) {
        while let Some(next) = tree.peek_key() {
            for (host, found) in tree.take(&next) {
                self.orphan(tree, host, found, false);
            }
        }
    }

    fn in_scope(&self, name: &str) -> bool {
        self.opts.range.as_ref().is_none_or(|r| r.contains(name))
    }

    fn orphan(&self, tree: &Tree, host: Option<String>, found: Found, referenced_elsewhere: bool) {
        let name = found.key.name();
        if !self.in_scope(&name) {
            return;
        }
        let allowed = self.layout.hosts_for(tree.object_type.as_str(), &name);
        if let Some(h) = &host
            && !allowed.is_empty()
            && !allowed.contains(&h.as_str())
        {
            self.misplaced(tree.object_type, &Misplaced { key: found.key, rel: found.rel, why: "on the wrong host" }, false, None);
            return;
        }
        let size = found.meta.map(|m| m.size).unwrap_or(found.key.size);
        let message = if referenced_elsewhere {
            format!("no upload has this object as its gold (it is referenced as a file): unreferenced {} copy", tree.object_type)
        } else {
            "no pfile row references this object".to_string()
        };
        self.sink.emit(Rule::FileOrphaned, &found.rel, message, details! { "type" => tree.object_type.as_str(), "name" => name, "size" => size }, None);
    }

    /// Checks a present copy at level size/content; `Some(problem)` when it is damaged.
    fn verify(&self, found: &Found) -> Option<Problem> {
        if self.opts.level >= Level::Size
            && let Some(meta) = found.meta
            && meta.size != found.key.size
        {
            return Some(Problem::Size { found: meta.size });
        }
        if let Some(Ok(d)) = &found.content {
            if d.size != found.key.size {
                return Some(Problem::Size { found: d.size });
            }
            if d.sha1.is_some_and(|h| h != found.key.sha1) || d.md5.is_some_and(|h| h != found.key.md5) {
                return Some(Problem::Content { sha1: d.sha1_hex(), md5: d.md5_hex() });
            }
        }
        None
    }

    fn unreadable_copy(&self, found: &Found) -> bool {
        if let Some(Err(e)) = &found.content {
            self.sink.emit(
                Rule::EntryUnreadable,
                &found.rel,
                format!("cannot be read ({e}); its content was not checked"),
                details! { "error" => e },
                None,
            );
            return true;
        }
        false
    }

    /// Splits copies into those on an allowed host and the rest.
    fn split_copies(&self, object_type: ObjectType, name: &str, copies: Vec<(Option<String>, Found)>) -> (Vec<Found>, Vec<(Option<String>, Found)>) {
        let allowed = self.layout.hosts_for(object_type.as_str(), name);
        let mut good = Vec::new();
        let mut wrong = Vec::new();
        for (host, found) in copies {
            let ok = match &host {
                None => allowed.is_empty(),
                Some(h) => allowed.contains(&h.as_str()) || (allowed.is_empty() && self.layout.hosts.is_empty()),
            };
            if ok { good.push(found) } else { wrong.push((host, found)) }
        }
        (good, wrong)
    }

    fn gold_object(&mut self, tree: &mut Tree, object: &DbObject, pending: &mut Spool) -> Result<()> {
        let name = object.key.name();
        let copies = tree.take(&object.key);
        let in_scope = self.in_scope(&name) && self.host_in_scope(ObjectType::Gold, &name);
        let (good, wrong) = self.split_copies(ObjectType::Gold, &name, copies);
        let path = preferred_path(self.layout, ObjectType::Gold, &name);
        let mut state = if good.is_empty() { GoldState::Missing } else { GoldState::Corrupt };
        for found in &good {
            if self.unreadable_copy(found) {
                state = GoldState::NotChecked;
                continue;
            }
            match self.verify(found) {
                None => {
                    state = GoldState::Usable;
                    if in_scope {
                        self.check_linked(object, found);
                    }
                }
                Some(problem) if in_scope => self.report_damaged_gold(object, found, &problem),
                Some(_) => {}
            }
        }
        for (i, (_, found)) in wrong.into_iter().enumerate() {
            let duplicate = !good.is_empty() || i > 0;
            if in_scope {
                self.misplaced(ObjectType::Gold, &Misplaced { key: found.key, rel: found.rel, why: "on the wrong host" }, true, duplicate.then_some(path.as_str()));
            }
            if state == GoldState::Missing {
                state = GoldState::Misplaced;
            }
        }
        if state == GoldState::Missing {
            let allowed = self.layout.hosts_for("gold", &name);
            if self.opts.host.is_some() && tree.streams.iter().all(|s| s.host.as_deref().is_none_or(|h| !allowed.contains(&h))) {
                state = GoldState::NotChecked;
            } else {
                // Decided at the end: it may turn up misplaced.
                pending.push(&Pending {
                    name: name.clone(),
                    pfiles: object.pfiles.clone(),
                    uploads: object.gold_of.clone(),
                    gold_of: object.gold_of.clone(),
                    path,
                    problem: Problem::Missing,
                })?;
            }
        }
        for upload in &object.gold_of {
            self.gold_state.insert(*upload, state);
            self.gold_path.insert(*upload, preferred_path(self.layout, ObjectType::Gold, &name));
            if in_scope {
                self.gold_in_scope.insert(*upload);
            }
        }
        Ok(())
    }

    fn host_in_scope(&self, object_type: ObjectType, name: &str) -> bool {
        match &self.opts.host {
            None => true,
            Some(h) => self.layout.hosts_for(object_type.as_str(), name).first().is_some_and(|first| first == h),
        }
    }

    fn files_object(&mut self, tree: &mut Tree, object: &DbObject, pending: &mut Spool) -> Result<()> {
        let name = object.key.name();
        if !self.in_scope(&name) || !self.host_in_scope(ObjectType::Files, &name) {
            // Another shard's object; its copies (if walked) are not this run's business.
            tree.take(&object.key);
            return Ok(());
        }
        let copies = tree.take(&object.key);
        let (good, wrong) = self.split_copies(ObjectType::Files, &name, copies);
        let path = preferred_path(self.layout, ObjectType::Files, &name);
        let uploads = object.all_uploads();
        let mut intact = false;
        let mut damage = None;
        for found in &good {
            if self.unreadable_copy(found) {
                intact = true;
                continue;
            }
            match self.verify(found) {
                None => intact = true,
                Some(problem) => damage = Some((found.rel.clone(), problem)),
            }
        }
        for (i, (_, found)) in wrong.into_iter().enumerate() {
            let duplicate = !good.is_empty() || i > 0;
            self.misplaced(ObjectType::Files, &Misplaced { key: found.key, rel: found.rel, why: "on the wrong host" }, true, duplicate.then_some(path.as_str()));
            intact |= !duplicate;
        }
        if !intact {
            let (path, problem) = damage.unwrap_or((path, Problem::Missing));
            pending.push(&Pending { name, pfiles: object.pfiles.clone(), uploads, gold_of: object.gold_of.clone(), path, problem })?;
        }
        Ok(())
    }

    fn report_damaged_gold(&self, object: &DbObject, found: &Found, problem: &Problem) {
        let repair = self.gold_repair(object, &found.rel);
        let (rule, message, mut details) = damage_finding(problem, found.key.size);
        details.insert("type".into(), json!("gold"));
        insert_pfiles(&mut details, &object.pfiles);
        details.insert("uploads".into(), json!(capped(&object.gold_of)));
        self.sink.emit(rule, &found.rel, format!("gold {message}"), details, repair);
    }

    /// How a gold comes back: by download, or only from a backup.
    fn gold_repair(&self, object: &DbObject, path: &str) -> Option<Repair> {
        let refetch = object.gold_of.iter().find_map(|u| {
            let upload = self.uploads.get(u)?;
            upload.refetchable().then(|| Repair::Refetch { upload: *u, origin: upload.origin.clone().unwrap_or_default() })
        });
        Some(refetch.unwrap_or(Repair::RestoreFromBackup { path: path.to_string() }))
    }

    /// `gold-files-not-linked`: wget_agent imports the upload into `gold` and hard-links the
    /// same file into `files`; a copy that did not preserve hard links has two inodes.
    fn check_linked(&self, object: &DbObject, gold: &Found) {
        let Some(gold_meta) = gold.meta else { return };
        let name = object.key.name();
        for host in self.layout.hosts_for("files", &name).into_iter().map(Some).chain(self.layout.hosts.is_empty().then_some(None)) {
            let rel = object_path(self.layout, host, ObjectType::Files, &name);
            if let Ok(files_meta) = Meta::of(&self.opts.repo.join(&rel)) {
                if files_meta.dev == gold_meta.dev && files_meta.ino != gold_meta.ino {
                    self.sink.emit(
                        Rule::GoldFilesNotLinked,
                        &gold.rel,
                        format!("the gold and files copies are separate files ({} bytes stored twice); FOSSology hard-links them", gold_meta.size),
                        details! { "files_copy" => rel, "size" => gold_meta.size, "uploads" => capped(&object.gold_of) },
                        None,
                    );
                }
                return;
            }
        }
    }

    fn misplaced(&self, object_type: ObjectType, m: &Misplaced, referenced: bool, duplicate_of: Option<&str>) {
        let name = m.key.name();
        if !self.in_scope(&name) {
            return;
        }
        let to = preferred_path(self.layout, object_type, &name);
        let (message, repair) = match (referenced, duplicate_of) {
            (true, None) => (format!("{} object {}: FOSSology looks for it at {to}", object_type, m.why), Some(Repair::Move { from: m.rel.clone(), to: to.clone() })),
            (true, Some(d)) => (format!("{} object {}, and a copy is also at {d}: this one can be removed", object_type, m.why), None),
            (false, _) => (format!("{} object {}; no database row references it", object_type, m.why), None),
        };
        self.sink.emit(
            Rule::MisplacedFile,
            &m.rel,
            message,
            details! { "type" => object_type.as_str(), "name" => name, "why" => m.why, "expected" => to, "referenced" => referenced, "duplicate_of" => duplicate_of },
            repair,
        );
    }

    /// Ends a tree: pending objects that turned up misplaced are moves; the rest are
    /// missing or damaged, and get their repair. Returns, for the files tree, the uploads
    /// with content no gold can restore.
    fn resolve(&mut self, tree: &mut Tree, pending: Spool) -> Result<BTreeSet<i64>> {
        let object_type = tree.object_type;
        let mut misplaced = std::mem::take(&mut tree.misplaced);
        misplaced.sort_by(|a, b| a.1.key.cmp(&b.1.key).then_with(|| a.1.rel.cmp(&b.1.rel)));
        let mut misplaced = misplaced.into_iter().peekable();
        let mut unrecoverable = BTreeSet::new();
        for p in pending.drain()? {
            let p = p?;
            let key = ObjectKey::parse_name(&p.name).context("pending spool holds a bad name")?;
            // Misplaced objects before this one are duplicates or unreferenced.
            while let Some((_, m)) = misplaced.next_if(|(_, m)| m.key < key) {
                self.misplaced_alone(object_type, &m);
            }
            let mut moved = false;
            while let Some((_, m)) = misplaced.next_if(|(_, m)| m.key == key) {
                let missing = matches!(p.problem, Problem::Missing);
                if missing && !moved {
                    self.misplaced(object_type, &m, true, None);
                    moved = true;
                } else {
                    self.misplaced(object_type, &m, true, Some(&p.path));
                }
            }
            if moved {
                if object_type == ObjectType::Gold {
                    for u in &p.gold_of {
                        self.gold_state.insert(*u, GoldState::Misplaced);
                    }
                }
                continue;
            }
            let hosts = self.layout.hosts_for(object_type.as_str(), &p.name);
            if matches!(p.problem, Problem::Missing) && tree.under_unreadable(&hosts, &p.name) {
                if object_type == ObjectType::Gold {
                    for u in &p.gold_of {
                        self.gold_state.insert(*u, GoldState::NotChecked);
                    }
                }
                continue;
            }
            match object_type {
                ObjectType::Gold => self.report_gold_missing(&p),
                ObjectType::Files => {
                    if self.report_file(&p) {
                        unrecoverable.extend(p.uploads.iter().copied());
                    }
                }
            }
        }
        for (_, m) in misplaced {
            self.misplaced_alone(object_type, &m);
        }
        Ok(unrecoverable)
    }

    /// A misplaced object whose name is not pending: its right place holds a copy, or
    /// nothing references it.
    fn misplaced_alone(&self, object_type: ObjectType, m: &Misplaced) {
        let name = m.key.name();
        let mut hosts: Vec<Option<&str>> = self.layout.hosts_for(object_type.as_str(), &name).into_iter().map(Some).collect();
        if hosts.is_empty() {
            hosts.push(None);
        }
        let copy = hosts.into_iter().map(|h| object_path(self.layout, h, object_type, &name)).find(|rel| self.opts.repo.join(rel).is_file());
        match copy {
            Some(rel) => self.misplaced(object_type, m, true, Some(&rel)),
            None => self.misplaced(object_type, m, false, None),
        }
    }

    fn report_gold_missing(&mut self, p: &Pending) {
        let name = &p.name;
        // The files copy of the archive is the same object: linking it back restores the gold.
        let files_copy = self
            .layout
            .hosts_for("files", name)
            .into_iter()
            .map(Some)
            .chain(self.layout.hosts.is_empty().then_some(None))
            .map(|h| object_path(self.layout, h, ObjectType::Files, name))
            .find(|rel| self.opts.repo.join(rel).is_file());
        let state = if files_copy.is_some() { GoldState::FilesCopyOnly } else { GoldState::Missing };
        for u in &p.gold_of {
            self.gold_state.insert(*u, state);
        }
        if !self.in_scope(name) || !self.host_in_scope(ObjectType::Gold, name) {
            return;
        }
        let first = p.gold_of.first().and_then(|u| self.uploads.get(u));
        let refetchable = first.is_some_and(Upload::refetchable);
        let origin = first.and_then(|u| u.origin.clone());
        let repair = match &files_copy {
            Some(from) => Some(Repair::Link { from: from.clone(), to: p.path.clone() }),
            None => {
                let object = DbObject { key: ObjectKey::parse_name(name).expect("spooled names are valid"), pfiles: p.pfiles.clone(), tree_uploads: Vec::new(), gold_of: p.gold_of.clone() };
                self.gold_repair(&object, &p.path)
            }
        };
        let how = match (&files_copy, refetchable) {
            (Some(_), _) => "its files copy is intact and can be linked back".to_string(),
            (None, true) => format!("it can be downloaded again from {}", origin.as_deref().unwrap_or_default()),
            (None, false) => "only a backup has it".to_string(),
        };
        let uploads: Vec<String> = p.gold_of.iter().map(|u| u.to_string()).collect();
        self.sink.emit(
            Rule::GoldMissing,
            &p.path,
            format!("gold of upload {} is missing; {how}", uploads.join(", ")),
            {
                let mut d = details! { "uploads" => capped(&p.gold_of), "origin" => origin, "refetchable" => refetchable, "files_copy" => files_copy };
                insert_pfiles(&mut d, &p.pfiles);
                d
            },
            repair,
        );
    }

    /// Reports a missing or damaged `files` object with its repair; true when no upload
    /// has a gold to restore it from.
    fn report_file(&self, p: &Pending) -> bool {
        let reunpack = p.uploads.iter().copied().find(|u| self.gold_state.get(u).is_some_and(|s| s.usable()));
        let repair = match reunpack {
            Some(upload) => Repair::Reunpack { upload },
            None => Repair::RestoreFromBackup { path: p.path.clone() },
        };
        let (rule, message, mut details) = match &p.problem {
            Problem::Missing => (Rule::FileMissing, "no object in the repository".to_string(), serde_json::Map::new()),
            problem => {
                let key = ObjectKey::parse_name(&p.name).expect("spooled names are valid");
                damage_finding(problem, key.size)
            }
        };
        let upload_note = match reunpack {
            Some(u) => format!("re-unpack upload {u}"),
            None => "no upload has a usable gold".to_string(),
        };
        insert_pfiles(&mut details, &p.pfiles);
        details.insert("uploads".into(), json!(capped(&p.uploads)));
        details.insert("upload_count".into(), json!(p.uploads.len()));
        self.sink.emit(rule, &p.path, format!("{message} (referenced by {} upload(s); {upload_note})", p.uploads.len()), details, Some(repair));
        reunpack.is_none()
    }

    /// Upload-level findings, once every object is decided.
    fn report_uploads(&self, unrecoverable: &BTreeSet<i64>) {
        for (&id, upload) in self.uploads {
            let state = self.gold_state.get(&id).copied();
            let gold_name_in_scope = upload.pfile_fk.is_some() && state.is_some();
            if unrecoverable.contains(&id) {
                let gold = state.map(GoldState::as_str).unwrap_or("none");
                let repair = if upload.refetchable() {
                    Repair::Refetch { upload: id, origin: upload.origin.clone().unwrap_or_default() }
                } else {
                    Repair::RestoreFromBackup { path: self.gold_path.get(&id).cloned().unwrap_or_else(|| format!("upload {id}")) }
                };
                self.sink.emit(
                    Rule::UploadUnrecoverable,
                    format!("upload {id}"),
                    format!("upload {id} ({}) has files missing or damaged and no gold to re-unpack them from (gold {gold})", upload.filename),
                    details! { "upload" => id, "filename" => upload.filename, "gold" => gold, "origin" => upload.origin, "refetchable" => upload.refetchable() },
                    Some(repair),
                );
            }
            // Shards: the shard that holds the gold's name reports the upload.
            let gold_present = matches!(state, Some(GoldState::Usable | GoldState::Misplaced));
            if gold_name_in_scope && gold_present && upload.tree_rows == 0 && (upload.mode & MODE_UNPACKED != 0 || !upload.unpack_pending) && self.gold_in_scope.contains(&id) {
                let why = if upload.mode & MODE_UNPACKED != 0 { "upload_mode says it was unpacked" } else { "no unpack job is pending" };
                self.sink.emit(
                    Rule::UploadTreeMissing,
                    format!("upload {id}"),
                    format!("upload {id} ({}) has its gold but no uploadtree rows ({why})", upload.filename),
                    details! { "upload" => id, "filename" => upload.filename, "upload_mode" => upload.mode, "unpack_pending" => upload.unpack_pending, "pfile" => upload.pfile_fk },
                    Some(Repair::Reunpack { upload: id }),
                );
            }
        }
    }
}

/// The digests `content-mismatch` compares (its `digests` parameter): both by default, as
/// the name holds both; SHA-1 alone detects any corruption at three times the speed.
fn content_digests(sink: &Sink) -> Result<crate::engine::hash::Which> {
    let names: Vec<String> = sink.catalogue().param(Rule::ContentMismatch.id(), "digests", vec!["sha1".to_string(), "md5".to_string()])?;
    if let Some(bad) = names.iter().find(|n| *n != "sha1" && *n != "md5") {
        bail!("rule fossology/content-mismatch: digests has '{bad}' (use \"sha1\" and/or \"md5\")");
    }
    if names.is_empty() {
        bail!("rule fossology/content-mismatch: digests must name sha1, md5 or both");
    }
    Ok(crate::engine::hash::Which { sha1: names.iter().any(|n| n == "sha1"), md5: names.iter().any(|n| n == "md5") })
}

/// `pfile`: the pfile id of the object; `pfiles` as well when several rows name it (they
/// differ only in SHA-256).
fn insert_pfiles(details: &mut serde_json::Map<String, serde_json::Value>, pfiles: &[i64]) {
    if let Some(first) = pfiles.first() {
        details.insert("pfile".into(), json!(first));
    }
    if pfiles.len() > 1 {
        details.insert("pfiles".into(), json!(pfiles));
    }
}

/// The rule, message and details of a damaged object.
fn damage_finding(problem: &Problem, expected_size: u64) -> (Rule, String, serde_json::Map<String, serde_json::Value>) {
    match problem {
        Problem::Size { found } => (
            Rule::SizeMismatch,
            format!("is {found} bytes, its name says {expected_size}"),
            details! { "expected_size" => expected_size, "found_size" => found },
        ),
        Problem::Content { sha1, md5 } => (
            Rule::ContentMismatch,
            "content does not match its name (SHA-1/MD5 differ)".to_string(),
            details! { "found_sha1" => sha1, "found_md5" => md5 },
        ),
        Problem::Missing => (Rule::FileMissing, "no object in the repository".to_string(), serde_json::Map::new()),
    }
}

/// `scratch-leftover`: ununpack and wget_agent work in `<repo>/<hostname>/ununpack/…` and
/// `<repo>/<hostname>/wget/…` (`%R/%H/ununpack/%U` in ununpack.conf, where `%H` is the
/// machine's hostname) and remove their directories when done; what is left is from
/// interrupted jobs.
fn report_scratch(repo: &Path, layout: &Layout, sink: &Sink) -> Result<()> {
    let dirs: Vec<String> = sink.catalogue().param(Rule::ScratchLeftover.id(), "dirs", vec!["ununpack".to_string(), "wget".to_string()])?;
    let _ = layout;
    for (host, kind) in read_dir_sorted(repo).unwrap_or_default() {
        if kind != super::walk::EntryKind::Dir {
            continue;
        }
        for d in &dirs {
            let scratch = repo.join(&host).join(d);
            if !scratch.is_dir() || scratch.is_symlink() {
                continue;
            }
            let entries = read_dir_sorted(&scratch).unwrap_or_default();
            if entries.is_empty() {
                continue;
            }
            let (files, bytes) = tree_size(&scratch);
            let rel = format!("{}/{d}", host.to_string_lossy());
            sink.emit(
                Rule::ScratchLeftover,
                &rel,
                format!("{} leftover scratch entr{} ({files} files, {bytes} bytes) from interrupted {d} jobs", entries.len(), if entries.len() == 1 { "y" } else { "ies" }),
                details! { "entries" => entries.len(), "files" => files, "bytes" => bytes },
                None,
            );
        }
    }
    Ok(())
}

fn tree_size(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    for (name, kind) in read_dir_sorted(dir).unwrap_or_default() {
        let path = dir.join(name);
        match kind {
            super::walk::EntryKind::Dir => {
                let (f, b) = tree_size(&path);
                files += f;
                bytes += b;
            }
            _ => {
                files += 1;
                bytes += std::fs::symlink_metadata(&path).map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    (files, bytes)
}
