//! The host/tree merge: each `<host>/<type>` tree is walked by its own thread in name
//! order (`walk.rs`); a [`Tree`] merges one type's host streams into one name-ordered
//! stream, and collects what the walkers put on the side (misplaced objects, unreadable
//! directories).

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read, Write};
#[cfg(test)]
use std::sync::mpsc::Sender;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::CheckOptions;
use super::conf::Layout;
use super::fs::{ROOT, read_dir_sorted, report_unreadable};
use super::layout::{ObjectKey, ObjectType};
use super::walk::{Batch, Found, Misplaced, ShareOf, TreeWalk, Why};
use crate::engine::extsort::{ExternalSorter, SortRecord, codec};
use crate::engine::hash::Which;
use crate::engine::sink::Sink;

/// Bytes of misplaced objects a tree holds in memory before it spills them.
const MISPLACED_BUDGET: usize = 16 << 20;

/// One host's stream of objects of one tree, from its walker thread.
pub(super) struct HostStream {
    pub(super) host: Option<String>,
    rx: Receiver<Batch>,
    buffer: VecDeque<Found>,
    done: bool,
}

/// The k-way merge of one type's host streams, with what came out on the side.
pub(super) struct Tree {
    pub(super) object_type: ObjectType,
    pub(super) streams: Vec<HostStream>,
    /// Misplaced objects, in name order at the end: spilled to disk, since a tree at the
    /// wrong depth has as many as it has objects.
    misplaced: ExternalSorter<MisplacedRec>,
    /// (host, name prefix) below directories that could not be read.
    pub(super) unreadable: Vec<(Option<String>, String)>,
    /// Objects found in their place, and misplaced ones by the depth of the layout they
    /// lie in (for `layout-mismatch`).
    pub(super) in_place: u64,
    pub(super) misplaced_count: u64,
    pub(super) other_depths: BTreeMap<u32, u64>,
    /// The depth the configuration says.
    depth: u32,
    error: Option<anyhow::Error>,
}

/// A misplaced object in the spill: ordered by name, then path.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct MisplacedRec {
    key: ObjectKey,
    rel: String,
    why: u8,
}

impl MisplacedRec {
    pub(super) fn misplaced(self) -> Misplaced {
        Misplaced { key: self.key, rel: self.rel, why: Why::ALL.get(self.why as usize).copied().unwrap_or(Why::WrongDirectory) }
    }
}

impl SortRecord for MisplacedRec {
    fn mem_size(&self) -> usize {
        self.rel.capacity()
    }
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        // The key first, so a clean end of the run is a clean end of a record.
        out.write_all(&self.key.size.to_le_bytes())?;
        out.write_all(&self.key.sha1)?;
        out.write_all(&self.key.md5)?;
        codec::put_bytes(out, self.rel.as_bytes())?;
        out.write_all(&[self.why])
    }
    fn read_from(input: &mut impl Read) -> io::Result<Option<Self>> {
        let Some(size) = codec::first_u64(input)? else { return Ok(None) };
        let mut key = ObjectKey { sha1: [0; 20], md5: [0; 16], size };
        input.read_exact(&mut key.sha1)?;
        input.read_exact(&mut key.md5)?;
        let rel = String::from_utf8(codec::get_bytes(input)?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let mut why = [0u8];
        input.read_exact(&mut why)?;
        Ok(Some(MisplacedRec { key, rel, why: why[0] }))
    }
}

impl Tree {
    /// A tree fed by the given host streams (a walker thread each, or batches made in
    /// memory by a test).
    pub(super) fn new(object_type: ObjectType, depth: u32, streams: Vec<(Option<String>, Receiver<Batch>)>) -> Tree {
        let streams = streams.into_iter().map(|(host, rx)| HostStream { host, rx, buffer: VecDeque::new(), done: false }).collect();
        Tree { object_type, streams, misplaced: ExternalSorter::new(MISPLACED_BUDGET), unreadable: Vec::new(), in_place: 0, misplaced_count: 0, other_depths: BTreeMap::new(), depth, error: None }
    }

    /// Adds an object found out of its place.
    pub(super) fn push_misplaced(&mut self, m: Misplaced) {
        self.misplaced_count += 1;
        if let Some(d) = m.other_depth(self.object_type.as_str(), self.depth) {
            *self.other_depths.entry(d).or_default() += 1;
        }
        let why = Why::ALL.iter().position(|w| *w == m.why).unwrap_or(1) as u8;
        if let Err(e) = self.misplaced.push(MisplacedRec { key: m.key, rel: m.rel, why }) {
            self.error.get_or_insert(e);
        }
    }

    /// An object the walk found in a place of its layout that turns out not to be its own
    /// (on a host the ranges do not give it): misplaced, and no longer counted in place.
    pub(super) fn found_misplaced(&mut self, m: Misplaced) {
        self.in_place = self.in_place.saturating_sub(1);
        self.push_misplaced(m);
    }

    /// The misplaced objects in name order (then path), once the walk is done.
    pub(super) fn misplaced(&mut self) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Misplaced>> + use<>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let sorter = std::mem::replace(&mut self.misplaced, ExternalSorter::new(MISPLACED_BUDGET));
        Ok(sorter.finish()?.map(|r| r.map(MisplacedRec::misplaced)))
    }

    fn fill(&mut self, i: usize) {
        while self.streams[i].buffer.is_empty() && !self.streams[i].done {
            match self.streams[i].rx.recv() {
                Ok(batch) => {
                    self.in_place += batch.found.len() as u64;
                    let s = &mut self.streams[i];
                    s.buffer.extend(batch.found);
                    let host = s.host.clone();
                    self.unreadable.extend(batch.unreadable_prefixes.into_iter().map(|p| (host.clone(), p)));
                    for m in batch.misplaced {
                        self.push_misplaced(m);
                    }
                }
                Err(_) => self.streams[i].done = true,
            }
        }
    }

    /// The smallest key any host has next.
    pub(super) fn peek_key(&mut self) -> Option<ObjectKey> {
        (0..self.streams.len())
            .filter_map(|i| {
                self.fill(i);
                self.streams[i].buffer.front().map(|f| f.key)
            })
            .min()
    }

    /// Every host's copy of `key` (removed from the streams).
    pub(super) fn take(&mut self, key: &ObjectKey) -> Vec<(Option<String>, Found)> {
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
    pub(super) fn finish(&mut self) {
        for i in 0..self.streams.len() {
            while !self.streams[i].done {
                self.streams[i].buffer.clear();
                self.fill(i);
            }
        }
    }

    pub(super) fn under_unreadable(&self, hosts: &[&str], name: &str) -> bool {
        self.unreadable.iter().any(|(h, prefix)| name.starts_with(prefix.as_str()) && (hosts.is_empty() || h.as_deref().is_some_and(|h| hosts.contains(&h))))
    }
}

/// The repository's top-level directory names, listed once for both trees when the layout
/// has hosts (to find host directories the configuration does not name); `Err` with why
/// the root could not be listed.
fn top_dirs(opts: &CheckOptions, layout: &Layout) -> Result<Vec<String>, String> {
    if layout.hosts.is_empty() {
        return Ok(Vec::new());
    }
    let listing = read_dir_sorted(&opts.inputs.repo).map_err(|e| e.to_string())?;
    Ok(listing.into_iter().filter_map(|(name, _)| name.into_string().ok()).collect())
}

/// The hosts whose `object_type` tree this run walks, given the top-level directories.
/// `None` stands for "no host component" (a `[REPOSITORY]` without entries).
pub(super) fn tree_hosts(opts: &CheckOptions, layout: &Layout, object_type: ObjectType, top: &[String]) -> Vec<Option<String>> {
    let mut hosts: Vec<Option<String>> = if layout.hosts.is_empty() {
        vec![None]
    } else {
        let mut h: Vec<Option<String>> = layout.host_dirs().into_iter().map(|h| Some(h.to_string())).collect();
        // Host directories that hold objects but are not configured: their objects are misplaced.
        for name in top {
            if !h.iter().any(|x| x.as_deref() == Some(name.as_str())) && opts.inputs.repo.join(name).join(object_type.as_str()).is_dir() {
                h.push(Some(name.clone()));
            }
        }
        h
    };
    // The gold tree is small and every shard needs the state of every gold to decide
    // repairs, so it is walked whole; `--host` limits the files tree.
    if object_type == ObjectType::Files
        && let Some(only) = &opts.host
    {
        hosts.retain(|h| h.as_deref() == Some(only.as_str()));
    }
    hosts
}

/// In a shard, which part of a tree's walk is its share of a whole run's counts: what its
/// range holds, and of a tree every `--host` run walks (gold), only its own host's (a host
/// the layout does not name goes to the layout's first host); of a `--subset` run, what it
/// hashes (its listings only for the first subset).
fn share_of<'a>(opts: &'a CheckOptions, layout: &Layout, tree_host: Option<&str>) -> Option<ShareOf<'a>> {
    if opts.range.is_none() && opts.host.is_none() && opts.subset.is_none() {
        return None;
    }
    let tree = match (&opts.host, tree_host) {
        (None, _) => true,
        (Some(only), Some(h)) if h == only => true,
        (Some(only), h) => !h.is_some_and(|h| layout.hosts.iter().any(|x| x.host == h)) && layout.hosts.first().is_some_and(|first| &first.host == only),
    };
    Some(ShareOf { tree, range: opts.range.as_ref(), lists: opts.subset.is_none_or(|s| s.k == 1) })
}

/// Starts a walker thread per host of each type tree in `scope`; returns the gold and
/// files trees fed by them.
pub(super) fn spawn_walkers<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    opts: &'env CheckOptions,
    layout: &'env Layout,
    digests: Which,
    sink: &'env Sink,
    perms: Option<&'env super::perms::Perms>,
) -> (Tree, Tree) {
    // A root that cannot be listed hides the host directories the configuration does not
    // name: an object missing from the configured hosts may lie on one of them, so no object
    // of either tree is called missing.
    let (top, root_unreadable) = match top_dirs(opts, layout) {
        Ok(top) => (top, false),
        Err(e) => {
            report_unreadable(sink, ROOT, &e);
            (Vec::new(), true)
        }
    };
    let walk = |object_type: ObjectType| {
        let mut streams = Vec::new();
        let hosts = tree_hosts(opts, layout, object_type, &top);
        let unseen: Vec<(Option<String>, String)> = if root_unreadable { hosts.iter().map(|h| (h.clone(), String::new())).collect() } else { Vec::new() };
        for host in hosts {
            let (tx, rx): (SyncSender<Batch>, Receiver<Batch>) = sync_channel(4);
            let tree = match &host {
                Some(h) => format!("{h}/{object_type}"),
                None => object_type.to_string(),
            };
            let walk = TreeWalk {
                repo: &opts.inputs.repo,
                tree,
                depth: layout.depth,
                level: opts.level,
                want_meta: object_type == ObjectType::Gold,
                perms,
                range: if object_type == ObjectType::Files { opts.range.as_ref() } else { None },
                subset: opts.subset,
                // A manifest being recorded takes this tree's files from this walk (when it
                // walks all of it: not for a shard).
                manifest: sink.manifest().filter(|_| opts.range.is_none() && opts.host.is_none()).map(|r| (r, super::REPO_INPUT)),
                digests,
                sink,
                share: share_of(opts, layout, host.as_deref()),
            };
            scope.spawn(move || walk.run(&tx));
            streams.push((host, rx));
        }
        let mut tree = Tree::new(object_type, layout.depth, streams);
        tree.unreadable.extend(unseen);
        tree
    };
    (walk(ObjectType::Gold), walk(ObjectType::Files))
}

/// A tree fed from batches made in memory (tests of the decisions).
#[cfg(test)]
pub(super) fn tree_of(object_type: ObjectType, depth: u32, hosts: Vec<(Option<String>, Vec<Batch>)>) -> Tree {
    let streams = hosts
        .into_iter()
        .map(|(host, batches)| {
            let (tx, rx): (Sender<Batch>, Receiver<Batch>) = std::sync::mpsc::channel();
            for b in batches {
                let _ = tx.send(b);
            }
            (host, rx)
        })
        .collect();
    Tree::new(object_type, depth, streams)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::tables::DbSource;
    use crate::fossology::options::{Inputs, Level};

    /// The repository root is listed to find unconfigured host directories. `check`
    /// lists the root before anything else (and stops if it cannot), so this listing fails
    /// only when the root goes away during the run: here it is a dangling symlink (a mount
    /// moved away; ENOENT, for root too). The walk of each tree then finds no tree and says
    /// nothing, so it is this listing that must report the root and keep every object
    /// from being called missing.
    #[test]
    fn a_root_that_cannot_be_listed_is_unreadable_and_hides_nothing_as_missing() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::os::unix::fs::symlink(dir.path().join("unmounted"), &repo).unwrap();
        let opts = CheckOptions {
            inputs: Inputs { db: DbSource::Dump("in-memory".into()), db_name: "fossology".into(), repo, conf: None },
            level: Level::Exists,
            range: None,
            shard: None,
            host: None,
            subset: None,
        };
        let layout = Layout::shipped();
        let sink = Sink::new(Arc::new(crate::products::catalogue(None).unwrap()), Vec::new()).unwrap();
        let name = format!("{}.{}.7", "ab".repeat(20), "cd".repeat(16));
        std::thread::scope(|scope| {
            let (mut gold, mut files) = spawn_walkers(scope, &opts, &layout, Which::SHA1, &sink, None);
            for tree in [&mut gold, &mut files] {
                tree.finish();
                assert!(tree.under_unreadable(&["localhost"], &name), "{:?}: {:?}", tree.object_type, tree.unreadable);
            }
        });
        let mut findings = Vec::new();
        sink.finish()
            .unwrap()
            .for_each_finding(|f| {
                findings.push((f.rule, f.subject, f.details));
                Ok(())
            })
            .unwrap();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!((findings[0].0.as_str(), findings[0].1.as_str()), ("fossology/entry-unreadable", "."));
        assert!(findings[0].2["error"].as_str().unwrap().contains("No such file"), "{findings:?}");
    }
}
