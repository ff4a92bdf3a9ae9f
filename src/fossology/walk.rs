//! The repository walk: one type tree (`<host>/gold` or `<host>/files`) read in name order.
//!
//! Directories are name prefixes, so visiting each directory's entries sorted visits the
//! objects in name order, which is what lets the check merge them with the database rows
//! without holding either side in memory. The walk is cut into units (the directories two
//! levels down); a window of units is walked in parallel, stat'ed or hashed in parallel
//! (a bounded number of reads in flight, in directory order: [`IN_FLIGHT`]), and handed
//! over in order.
//!
//! It is its own walk, not `walkdir` or `ignore`: the merge needs name order across the
//! whole tree while units are read in parallel (an ordered window), directories outside a
//! shard's range are pruned before they are read, and the layout (depth, hex pairs) decides
//! what a directory may hold.
//!
//! Well-named objects in the wrong directory are "misplaced" and come out on the side;
//! entries that are not repository objects (bad names, symlinks, devices, …) are reported
//! as they are found, as are entries that cannot be read.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;

use rayon::prelude::*;

use super::Rule;
use super::fs::{EntryKind, gone, is_pair, read_dir_sorted, report_unreadable};
use super::layout::ObjectKey;
use super::options::{Level, NameRange, Subset};
use crate::details;
use crate::engine::hash::{Digests, Which, hash_open, open_nofollow};
use crate::engine::manifest::walk as manifest_walk;
use crate::engine::manifest::{FileEntry, Recorder};
use crate::engine::sink::Sink;

/// An object found where the layout puts it.
#[derive(Debug)]
pub struct Found {
    pub key: ObjectKey,
    /// Relative to the repository root.
    pub rel: String,
    /// `(dev, ino)`, size, owner and mode, from `lstat` at level size and above, and for gold.
    pub meta: Option<Meta>,
    /// At level content: the digests, or why the file could not be read.
    pub content: Option<Result<Digests, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Owner, group and mode bits (for `permissions`).
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

impl Meta {
    pub fn of(path: &Path) -> std::io::Result<Meta> {
        Ok(Meta::from(&fs::symlink_metadata(path)?))
    }
}

impl From<&fs::Metadata> for Meta {
    fn from(m: &fs::Metadata) -> Meta {
        use std::os::unix::fs::MetadataExt;
        Meta { dev: m.dev(), ino: m.ino(), size: m.size(), uid: m.uid(), gid: m.gid(), mode: m.mode() }
    }
}

/// A well-named object in the wrong directory (wrong depth, wrong prefix, wrong host, or
/// upper case that FOSSology would not find).
#[derive(Debug, Clone)]
pub struct Misplaced {
    pub key: ObjectKey,
    pub rel: String,
    pub why: Why,
}

/// Why a well-named object is not where FOSSology looks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// More or fewer directory levels than the layout's depth.
    WrongDepth,
    /// The directories do not spell the name's first characters.
    WrongDirectory,
    /// An upper-case name (FOSSology names objects in lower case: `fo_RepMkPathTmp`).
    UpperCase,
    /// A host directory the `[REPOSITORY]` ranges do not give it.
    WrongHost,
}

impl Why {
    /// Every reason, in the order of their codes on disk (`MisplacedRec`).
    pub const ALL: [Why; 4] = [Why::WrongDepth, Why::WrongDirectory, Why::UpperCase, Why::WrongHost];

    /// As the findings say it (`misplaced-file`'s message and `why` detail).
    pub fn as_str(self) -> &'static str {
        match self {
            Why::WrongDepth => "at the wrong depth",
            Why::WrongDirectory => "in the wrong directory",
            Why::UpperCase => "with an upper-case name",
            Why::WrongHost => "on the wrong host",
        }
    }

    /// The reason a finding or side record names.
    pub fn parse(s: &str) -> Option<Why> {
        Why::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

impl serde::Serialize for Why {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Why {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Why, D::Error> {
        let s = String::deserialize(d)?;
        Why::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a reason an object is misplaced: {s:?}")))
    }
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Misplaced {
    /// The depth of a consistent layout the object lies in — its directories are hex
    /// pairs spelling the start of its name, below the `type_dir` (`files`, `gold`) — when
    /// that is not `depth`, the configured one.
    pub fn other_depth(&self, type_dir: &str, depth: u32) -> Option<u32> {
        let parts: Vec<&str> = self.rel.split('/').collect();
        let at = parts.iter().rposition(|p| *p == type_dir)?;
        let dirs = &parts[at + 1..parts.len().checked_sub(1)?];
        let name = self.key.name();
        let spelled: String = dirs.concat();
        let consistent = dirs.iter().all(|d| is_pair(d)) && name.starts_with(&spelled);
        let found = dirs.len() as u32;
        (consistent && found != depth && parts.last() == Some(&name.as_str())).then_some(found)
    }
}

/// What one window of the walk hands over.
#[derive(Debug, Default)]
pub struct Batch {
    /// Sorted by key.
    pub found: Vec<Found>,
    pub misplaced: Vec<Misplaced>,
    /// Prefixes of names below a directory that could not be read: their objects were not
    /// seen, so they must not be called missing.
    pub unreadable_prefixes: Vec<String>,
    /// Every file met (and directory that could not be read), for a manifest being
    /// recorded: the manifest's walk leaves this tree to this one.
    pub files: Vec<Met>,
}

/// A file the walk met, for a manifest.
#[derive(Debug)]
pub struct Met {
    pub rel: String,
    pub kind: EntryKind,
    /// Why a directory could not be read.
    pub error: Option<String>,
}

impl Batch {
    /// Takes in what a sub-walk found on the side (its found objects go their own way).
    fn absorb(&mut self, other: Batch) {
        self.misplaced.extend(other.misplaced);
        self.unreadable_prefixes.extend(other.unreadable_prefixes);
        self.files.extend(other.files);
    }
}

/// What the walk of one tree needs to know.
pub struct TreeWalk<'a> {
    pub repo: &'a Path,
    /// Relative path of the tree, e.g. `localhost/files`.
    pub tree: String,
    pub depth: u32,
    pub level: Level,
    /// Also `lstat` every object at level exists (gold: a small tree, so its owners and
    /// modes are checked at every level).
    pub want_meta: bool,
    /// The `permissions` check, fed with the directories read and the objects stat'ed.
    pub perms: Option<&'a super::perms::Perms>,
    pub range: Option<&'a NameRange>,
    /// At level content, only these objects are hashed (the others are stat'ed).
    pub subset: Option<Subset>,
    /// The digests `--level content` computes.
    pub digests: Which,
    pub sink: &'a Sink,
    /// Hand every file met to this manifest, as the files of the input named here.
    pub manifest: Option<(&'a Recorder, &'a str)>,
    /// In a shard: which listings and hashes of this walk are the shard's share.
    pub share: Option<ShareOf<'a>>,
}

/// Which of a walk's listings and hashes are its shard's part of a whole run's counts.
/// Shards of a partition list some directories alike (the tree's top, a directory their
/// ranges split, the gold every shard walks); each listing is counted by the one shard whose
/// range holds the lowest name the directory stands for, and a tree every host's run walks
/// by the run of its host. Runs of a `--subset` cycle hash disjoint objects but all list
/// every directory: the listings are the first subset's.
#[derive(Debug, Clone, Copy)]
pub struct ShareOf<'a> {
    /// Whether this tree is the run's to count at all.
    pub tree: bool,
    pub range: Option<&'a NameRange>,
    /// Whether this run counts its listings (not a subset's but the first).
    pub lists: bool,
}

impl ShareOf<'_> {
    /// Whether the object so named, or the directory standing for names starting with
    /// `prefix`, is counted by this run.
    fn holds(&self, prefix: &str) -> bool {
        self.tree && self.range.is_none_or(|r| r.contains(&format!("{prefix:0<40}")))
    }
}

/// How many units are walked together.
const WINDOW: usize = 64;

/// Reads of the repository in flight at once: the directories of a window are read, and
/// their objects stat'ed or hashed, by this many threads, each taking the next few entries
/// in name (directory) order. On a cold cache the walk waits for the disk, and a deeper
/// queue is what makes it faster: at 100,000 objects, 16 in flight took a cold
/// `--level content` from 79 s to 17 s and a cold `--level exists` from 54 s to 16 s
/// against one per core, with warm runs unchanged (`reports/bench/README.md`).
const IN_FLIGHT: usize = 16;

/// Objects a reader takes at a time (consecutive, so reads stay in directory order).
const READ_PIECE: usize = 8;

/// The threads that read the repository (see [`IN_FLIGHT`]).
fn readers() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(IN_FLIGHT.max(rayon::current_num_threads())).thread_name(|i| format!("reader-{i}")).build().expect("reader threads"))
}

struct Unit {
    dir: PathBuf,
    rel: String,
    level: u32,
    prefix: String,
}

impl TreeWalk<'_> {
    /// Walks the tree, sending batches in name order. Returns when done or when the
    /// receiver hung up.
    pub fn run(&self, tx: &SyncSender<Batch>) {
        let root = self.repo.join(&self.tree);
        match fs::symlink_metadata(&root) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.unreadable(&self.tree, &e.to_string());
                let _ = tx.send(Batch { unreadable_prefixes: vec![String::new()], ..Batch::default() });
                return;
            }
            // Not walked: what lies below is not checked, so nothing below is called missing.
            Ok(m) if m.file_type().is_symlink() => {
                self.unexpected(&self.tree, "symlink", "a symlink where the type directory should be: never followed, so no object below it was checked");
                let _ = tx.send(Batch { unreadable_prefixes: vec![String::new()], ..Batch::default() });
                return;
            }
            Ok(m) if !m.is_dir() => {
                self.unexpected(&self.tree, "not a directory", "not a directory where the type directory should be");
                return;
            }
            Ok(_) => {}
        }
        if let Some((recorder, input)) = self.manifest {
            recorder.cover(input, &self.tree);
        }
        // Units are the directories this many levels down (objects themselves when depth is 0).
        let split = self.depth.min(2);
        let mut units = Vec::new();
        let mut side = Batch::default();
        self.enumerate(root, self.tree.clone(), 0, String::new(), split, &mut units, &mut side, tx);
        self.flush(&mut units, &mut side, tx);
    }

    #[allow(clippy::too_many_arguments)]
    fn enumerate(&self, dir: PathBuf, rel: String, level: u32, prefix: String, split: u32, units: &mut Vec<Unit>, side: &mut Batch, tx: &SyncSender<Batch>) {
        if level == split {
            units.push(Unit { dir, rel, level, prefix });
            if units.len() >= WINDOW {
                self.flush(units, side, tx);
            }
            return;
        }
        let Some(entries) = self.read_sorted(&dir, &rel, Some(&prefix), side) else { return };
        for (name, kind) in entries {
            let child_rel = format!("{rel}/{}", name.to_string_lossy());
            match (kind, name.to_str()) {
                (EntryKind::Dir, Some(n)) if is_pair(n) => {
                    let child_prefix = format!("{prefix}{n}");
                    if self.range.is_none_or(|r| r.may_contain_prefix(&child_prefix)) {
                        self.enumerate(dir.join(&name), child_rel, level + 1, child_prefix, split, units, side, tx);
                    }
                }
                _ => {
                    // Off the layout at this level: examined on its own, in place.
                    let out = self.walk_entry(&dir.join(&name), child_rel, kind, name.to_str(), level, false, &prefix);
                    side.absorb(out);
                }
            }
        }
    }

    fn flush(&self, units: &mut Vec<Unit>, side: &mut Batch, tx: &SyncSender<Batch>) {
        let outs: Vec<Batch> = readers().install(|| units.par_iter().with_max_len(1).map(|u| self.walk_unit(u)).collect());
        units.clear();
        let mut batch = std::mem::take(side);
        for mut out in outs {
            batch.found.append(&mut out.found);
            batch.absorb(out);
        }
        if self.level > Level::Exists || self.want_meta {
            let present: Vec<bool> = readers().install(|| batch.found.par_iter_mut().with_max_len(READ_PIECE).map(|f| self.verify(f)).collect());
            // Listed, then gone before it was read: on a working FOSSology a file delagent
            // removed or a copy the agents renamed away; it is absent, as if never listed.
            let mut present = present.into_iter();
            batch.found.retain(|_| present.next().unwrap_or(true));
        }
        if let Some((recorder, input)) = self.manifest {
            let met = std::mem::take(&mut batch.files);
            let entries: Vec<FileEntry> = met.into_par_iter().filter_map(|m| self.manifest_entry(input, m)).collect();
            recorder.add_files(entries);
        }
        let _ = tx.send(batch);
    }

    /// The manifest's entry of a file met: an object by its name (no stat: the name is its
    /// content address and says its size), anything else as the manifest's walk makes it.
    fn manifest_entry(&self, input: &str, m: Met) -> Option<FileEntry> {
        if let Some(error) = m.error {
            return Some(FileEntry::unreadable(input, m.rel, error));
        }
        if m.kind == EntryKind::File
            && let Some(size) = super::layout::object_path_size(&m.rel)
        {
            return Some(FileEntry::addressed(input, m.rel, size));
        }
        manifest_walk::file_entry(input, Some(super::layout::object_path_size), &self.repo.join(&m.rel), m.rel, &self.sink.stats)
    }

    /// Notes a file met, when a manifest is recorded.
    fn met(&self, out: &mut Batch, rel: &str, kind: EntryKind) {
        if self.manifest.is_some() {
            out.files.push(Met { rel: rel.to_string(), kind, error: None });
        }
    }

    /// Notes a directory that could not be read, when a manifest is recorded.
    fn met_unreadable(&self, out: &mut Batch, rel: &str, error: &str) {
        if self.manifest.is_some() {
            out.files.push(Met { rel: rel.to_string(), kind: EntryKind::Dir, error: Some(error.to_string()) });
        }
    }

    /// Stats or hashes one object, as the level asks. A file hashed is opened once: its
    /// `fstat` (the same as `lstat` of a regular file, opened without following a link)
    /// gives the size and inode, its descriptor the bytes. `false` when the file is no
    /// longer there (it was removed or renamed after its directory was listed).
    fn verify(&self, found: &mut Found) -> bool {
        let path = self.repo.join(&found.rel);
        let hash = self.level == Level::Content && self.subset.is_none_or(|s| s.contains(&found.key.name()));
        if hash {
            self.sink.stats.add_objects_hashed(1);
            let counted = self.share.is_some_and(|s| s.holds(&found.key.name()));
            if counted {
                self.sink.stats.add_share(0, 0, 1);
            }
            // Opened once: its metadata from the open file, then its bytes.
            let digests = open_nofollow(&path).and_then(|file| {
                let m = Meta::from(&file.metadata()?);
                if let Some(p) = self.perms {
                    p.object(&self.tree, &found.rel, &m);
                }
                found.meta = Some(m);
                hash_open(file, self.digests)
            });
            match digests {
                Ok(d) => {
                    self.sink.stats.add_hashed(d.size);
                    if counted {
                        self.sink.stats.add_share(0, d.size, 0);
                    }
                    found.content = Some(Ok(d));
                }
                Err(e) if gone(&e) => return false,
                Err(e) => found.content = Some(Err(e.to_string())),
            }
        }
        if found.meta.is_none() && (self.level >= Level::Size || self.want_meta) {
            match Meta::of(&path) {
                Ok(m) => {
                    if let Some(p) = self.perms {
                        p.object(&self.tree, &found.rel, &m);
                    }
                    found.meta = Some(m)
                }
                Err(e) if gone(&e) => return false,
                Err(e) => {
                    if found.content.is_none() {
                        found.content = Some(Err(e.to_string()));
                    }
                }
            }
        }
        true
    }

    fn walk_unit(&self, unit: &Unit) -> Batch {
        let mut out = Batch::default();
        self.walk_dir(&unit.dir, &unit.rel, unit.level, Some(&unit.prefix), &mut out);
        out
    }

    /// Walks a directory at `level` (0 = the type directory). `prefix` is the name prefix
    /// its path stands for, or `None` off the layout.
    fn walk_dir(&self, dir: &Path, rel: &str, level: u32, prefix: Option<&str>, out: &mut Batch) {
        let Some(entries) = self.read_sorted(dir, rel, prefix, out) else { return };
        for (name, kind) in entries {
            let child_rel = format!("{rel}/{}", name.to_string_lossy());
            let child = dir.join(&name);
            match (kind, name.to_str()) {
                (EntryKind::Dir, Some(n)) if is_pair(n) && level < self.depth => {
                    let child_prefix = prefix.map(|p| format!("{p}{n}"));
                    if let (Some(range), Some(p)) = (self.range, &child_prefix)
                        && !range.may_contain_prefix(p)
                    {
                        continue;
                    }
                    self.walk_dir(&child, &child_rel, level + 1, child_prefix.as_deref(), out);
                }
                (EntryKind::File, Some(n)) if level == self.depth && prefix.is_some_and(|p| n.starts_with(p)) => {
                    if let Some(key) = ObjectKey::parse_name(n) {
                        self.met(out, &child_rel, kind);
                        if self.range.is_none_or(|r| r.contains(n)) {
                            out.found.push(Found { key, rel: child_rel, meta: None, content: None });
                        }
                    } else {
                        let sub = self.walk_entry(&child, child_rel, kind, Some(n), level, true, prefix.unwrap_or_default());
                        out.absorb(sub);
                    }
                }
                _ => {
                    let sub = self.walk_entry(&child, child_rel, kind, name.to_str(), level, true, prefix.unwrap_or_default());
                    out.absorb(sub);
                }
            }
        }
    }

    /// An entry that is not an object in its right place: a misplaced object, or something
    /// that is not a repository object at all. `owned`: the entry lies in a directory only
    /// this run walks (one of its range), so every misplaced object in it is this run's to
    /// report, whatever its name — one named outside the range goes to another shard, and
    /// `merge` pairs it with that shard's missing object. Off the layout near the top of a
    /// tree every shard looks, and each takes the names of its own range.
    /// `at`: the name prefix of the layout directory it lies in (for the shard's share).
    #[allow(clippy::too_many_arguments)]
    fn walk_entry(&self, path: &Path, rel: String, kind: EntryKind, name: Option<&str>, level: u32, owned: bool, at: &str) -> Batch {
        let take = |name: &str| owned || self.range.is_none_or(|r| r.contains(name));
        let mut out = Batch::default();
        if kind != EntryKind::Dir {
            self.met(&mut out, &rel, kind);
        }
        match kind {
            EntryKind::Symlink => self.unexpected(&rel, "symlink", "a symlink in the repository (never followed)"),
            EntryKind::Other(what) => self.unexpected(&rel, what, &format!("a {what} in the repository, not a regular file")),
            EntryKind::File => match name {
                None => self.unexpected(&rel, "bad name", "a file whose name is not UTF-8, so not a repository object"),
                Some(n) => {
                    if let Some(key) = ObjectKey::parse_name(n) {
                        if take(n) {
                            let why = if level != self.depth { Why::WrongDepth } else { Why::WrongDirectory };
                            out.misplaced.push(Misplaced { key, rel, why });
                        }
                    } else if let Some(key) = ObjectKey::parse_name_any_case(n) {
                        if take(&n.to_ascii_lowercase()) {
                            out.misplaced.push(Misplaced { key, rel, why: Why::UpperCase });
                        }
                    } else if n.ends_with(".I") && ObjectKey::parse_name(&n[..n.len() - 2]).is_some() {
                        self.unexpected(&rel, "interrupted import", "an unfinished import (fo_RepImport writes <name>.I, then renames it); safe to remove");
                    } else {
                        self.unexpected(&rel, "bad name", "a file whose name is not sha1.md5.size, so not a repository object");
                    }
                }
            },
            EntryKind::Dir => {
                let layout_dir = name.is_some_and(is_pair);
                if !layout_dir {
                    self.unexpected(&rel, "bad directory", "a directory that is not part of the repository layout");
                }
                // Look inside for objects that belong elsewhere; other entries below an
                // off-layout directory are covered by the finding above.
                self.collect_misplaced(path, &rel, level + 1, layout_dir, owned, at, &mut out);
            }
        }
        out
    }

    /// Walks an off-layout directory for well-named objects (misplaced); reports entries
    /// individually only inside hex-pair directories (a layout of another depth).
    #[allow(clippy::too_many_arguments)]
    fn collect_misplaced(&self, dir: &Path, rel: &str, level: u32, report_entries: bool, owned: bool, at: &str, out: &mut Batch) {
        let entries = match read_dir_sorted(dir) {
            Ok(e) => e,
            // Listed in its parent a moment ago and removed since: nothing below to check.
            Err(e) if gone(&e) => return,
            Err(e) => {
                self.unreadable(rel, &e.to_string());
                self.met_unreadable(out, rel, &e.to_string());
                return;
            }
        };
        self.count_entries(entries.len(), at);
        for (name, kind) in entries {
            let child_rel = format!("{rel}/{}", name.to_string_lossy());
            let child = dir.join(&name);
            match kind {
                EntryKind::Dir => {
                    let pair = name.to_str().is_some_and(is_pair);
                    if report_entries && !pair {
                        self.unexpected(&child_rel, "bad directory", "a directory that is not part of the repository layout");
                    }
                    self.collect_misplaced(&child, &child_rel, level + 1, report_entries && pair, owned, at, out);
                }
                EntryKind::File => {
                    let n = name.to_str();
                    match n.and_then(ObjectKey::parse_name_any_case) {
                        Some(key) => {
                            let lower = n.unwrap_or_default().to_ascii_lowercase();
                            self.met(out, &child_rel, kind);
                            if owned || self.range.is_none_or(|r| r.contains(&lower)) {
                                let why = if n.is_some_and(|n| n != lower) { Why::UpperCase } else { Why::WrongDirectory };
                                out.misplaced.push(Misplaced { key, rel: child_rel, why });
                            }
                        }
                        None if report_entries => {
                            let sub = self.walk_entry(&child, child_rel, kind, n, level, owned, at);
                            out.absorb(sub);
                        }
                        None => self.met(out, &child_rel, kind),
                    }
                }
                _ if report_entries => {
                    let sub = self.walk_entry(&child, child_rel, kind, name.to_str(), level, owned, at);
                    out.absorb(sub);
                }
                _ => self.met(out, &child_rel, kind),
            }
        }
    }

    fn read_sorted(&self, dir: &Path, rel: &str, prefix: Option<&str>, out: &mut Batch) -> Option<Vec<(std::ffi::OsString, EntryKind)>> {
        match read_dir_sorted(dir) {
            Ok(entries) => {
                self.count_entries(entries.len(), prefix.unwrap_or_default());
                if let Some(p) = self.perms
                    && let Ok(m) = fs::symlink_metadata(dir)
                {
                    p.dir(&self.tree, rel, &Meta::from(&m));
                }
                Some(entries)
            }
            // Removed since its parent was listed: what was below it is gone, not hidden.
            Err(e) if gone(&e) => None,
            Err(e) => {
                self.unreadable(rel, &e.to_string());
                self.met_unreadable(out, rel, &e.to_string());
                if let Some(p) = prefix {
                    out.unreadable_prefixes.push(p.to_string());
                }
                None
            }
        }
    }

    /// Counts a directory listing standing for names starting with `at`.
    fn count_entries(&self, n: usize, at: &str) {
        self.sink.stats.add_entries(n as u64);
        if self.share.is_some_and(|s| s.lists && s.holds(at)) {
            self.sink.stats.add_share(n as u64, 0, 0);
        }
    }

    fn unexpected(&self, rel: &str, what: &str, message: &str) {
        self.sink.emit(Rule::UnexpectedEntry, rel, message, details! { "kind" => what }, None);
    }

    fn unreadable(&self, rel: &str, error: &str) {
        report_unreadable(self.sink, rel, error);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A file listed and then removed before it is read (delagent at work, or an agent's
    /// `.I` renamed away) is absent, not unreadable; one still there is hashed.
    #[test]
    fn an_object_gone_before_it_is_read_is_absent_not_unreadable() {
        let repo = tempfile::tempdir().unwrap();
        let sink = Sink::new(Arc::new(crate::products::catalogue(None).unwrap()), Vec::new()).unwrap();
        let walk = TreeWalk {
            repo: repo.path(),
            tree: "localhost/gold".into(),
            depth: 0,
            level: Level::Content,
            want_meta: true,
            perms: None,
            range: None,
            subset: None,
            digests: Which::SHA1,
            sink: &sink,
            manifest: None,
            share: None,
        };
        let bytes = b"gold";
        let name = format!("{}.{}.{}", crate::engine::hash::hash_reader(&bytes[..]).unwrap().sha1_hex(), "0".repeat(32), bytes.len());
        let key = ObjectKey::parse_name(&name).unwrap();
        std::fs::create_dir_all(repo.path().join("localhost/gold")).unwrap();
        let mut kept = Found { key, rel: format!("localhost/gold/{name}"), meta: None, content: None };
        std::fs::write(repo.path().join(&kept.rel), bytes).unwrap();
        assert!(walk.verify(&mut kept));
        assert!(matches!(&kept.content, Some(Ok(d)) if d.size == 4), "{:?}", kept.content);
        let mut gone = Found { key, rel: format!("localhost/gold/{name}.gone"), meta: None, content: None };
        assert!(!walk.verify(&mut gone));
        drop(walk);
        let mut rules = Vec::new();
        sink.finish()
            .unwrap()
            .for_each_finding(|f| {
                rules.push(f.rule);
                Ok(())
            })
            .unwrap();
        assert!(rules.is_empty(), "{rules:?}");
    }
}
