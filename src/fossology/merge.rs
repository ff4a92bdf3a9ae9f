//! The streaming merge: the referenced objects, in name order from the database or its
//! dump, against the name-ordered walk of each type tree. What is present is checked at
//! once; what is missing or damaged waits for the decisions (`decide.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Result;
use serde_json::json;

use super::CheckOptions;
use super::Rule;
use super::conf::Layout;
use super::decide::{GoldState, Pending, Problem, Spool, damage_finding, insert_pfiles};
use super::layout::{ObjectKey, ObjectType, object_path, preferred_path};
use super::metadata::{DbObject, Upload, capped};
use super::options::Level;
use super::shards::{Foreign, SideRecord};
use super::summary::{Class, Summary, Totals};
use super::trees::{Tree, spawn_walkers};
use super::walk::{Found, Misplaced, Why};
use super::{LayoutMismatchParams, Repair};
use crate::details;
use crate::engine::hash::Which;
use crate::engine::sink::Sink;

pub(super) struct Run<'a> {
    pub(super) opts: &'a CheckOptions,
    pub(super) layout: &'a Layout,
    pub(super) sink: &'a Sink,
    pub(super) uploads: &'a BTreeMap<i64, Upload>,
    pub(super) gold_state: HashMap<i64, GoldState>,
    /// Where each upload's gold belongs (relative path).
    pub(super) gold_path: HashMap<i64, String>,
    /// Uploads whose gold name lies in this run's range: the run that reports them.
    pub(super) gold_in_scope: BTreeSet<i64>,
    /// Misplaced-object findings held until `layout-mismatch` is decided.
    summary: Summary,
    /// `layout-mismatch`'s parameters.
    layout_params: LayoutMismatchParams,
    /// The `permissions` check the walkers feed.
    perms: Option<&'a super::perms::Perms>,
}

impl<'a> Run<'a> {
    pub(super) fn new(opts: &'a CheckOptions, layout: &'a Layout, sink: &'a Sink, uploads: &'a BTreeMap<i64, Upload>, layout_params: LayoutMismatchParams) -> Run<'a> {
        Run { opts, layout, sink, uploads, gold_state: HashMap::new(), gold_path: HashMap::new(), gold_in_scope: BTreeSet::new(), summary: Summary::default(), layout_params, perms: None }
    }

    /// Feeds the walk's directories and stat'ed objects to the `permissions` check.
    pub(super) fn perms(mut self, perms: &'a super::perms::Perms) -> Run<'a> {
        self.perms = Some(perms);
        self
    }
}

impl Run<'_> {
    /// Walks the repository and merges it with `objects`.
    pub(super) fn merge(&mut self, objects: impl Iterator<Item = Result<DbObject>>, digests: Which) -> Result<()> {
        let (opts, layout, sink) = (self.opts, self.layout, self.sink);
        std::thread::scope(|scope| {
            let (gold, files) = spawn_walkers(scope, opts, layout, digests, sink, self.perms);
            self.merge_trees(objects, gold, files)
        })
    }

    /// The streaming merge of the referenced objects (in name order) with the two trees,
    /// then the decisions that had to wait.
    pub(super) fn merge_trees(&mut self, objects: impl Iterator<Item = Result<DbObject>>, mut gold: Tree, mut files: Tree) -> Result<()> {
        self.sink.stats.set_phase("walking the repository");
        let mut gold_pending = Spool::new()?;
        let mut files_pending = Spool::new()?;
        for object in objects {
            let object = object?;
            self.orphans_before(&mut gold, &object.key);
            self.orphans_before(&mut files, &object.key);
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
        self.sink.stats.set_phase("deciding repairs");
        self.resolve(&mut gold, gold_pending)?;
        let unrecoverable = self.resolve(&mut files, files_pending)?;
        self.report_uploads(&unrecoverable);
        let mut totals = Totals { objects: BTreeMap::new(), depths: BTreeMap::new() };
        for tree in [&gold, &files] {
            let t = tree.object_type;
            totals.objects.insert(t, tree.in_place + tree.misplaced_count);
            for (d, n) in &tree.other_depths {
                totals.depths.insert((t, *d), *n);
            }
        }
        let summary = std::mem::take(&mut self.summary);
        summary.finish(&totals, self.layout.depth, &self.layout.origin, self.layout_params.min_objects, self.layout_params.share, self.sink)
    }

    /// Objects of a tree that come before `key` in name order are referenced by nothing.
    fn orphans_before(&self, tree: &mut Tree, key: &ObjectKey) {
        while let Some(next) = tree.peek_key() {
            if next >= *key {
                break;
            }
            for (host, found) in tree.take(&next) {
                self.orphan(tree, host, found, false);
            }
        }
    }

    fn orphans_rest(&self, tree: &mut Tree) {
        while let Some(next) = tree.peek_key() {
            for (host, found) in tree.take(&next) {
                self.orphan(tree, host, found, false);
            }
        }
    }

    pub(super) fn in_scope(&self, name: &str) -> bool {
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
            self.misplaced(tree.object_type, &Misplaced { key: found.key, rel: found.rel, why: Why::WrongHost }, false, None);
            return;
        }
        let size = found.meta.map(|m| m.size).unwrap_or(found.key.size);
        let message = if referenced_elsewhere {
            format!("no upload has this object as its gold (it is referenced as a file): unreferenced {} copy", tree.object_type)
        } else {
            "no uploadtree or upload row references this object".to_string()
        };
        self.sink.emit(Rule::FileOrphaned, &found.rel, message, details! { "type" => tree.object_type.as_str(), "name" => name, "size" => size }, None);
    }

    /// Checks a present copy at level size/content; `Some(problem)` when it is damaged.
    /// SHA-256 (when computed) is compared with the `pfile_sha256` of the object's rows: a
    /// name several rows share (they differ only in SHA-256, or one is NULL) is intact
    /// when any filled one matches; rows that leave it NULL ask nothing.
    fn verify(&self, found: &Found, object: &DbObject) -> Option<Problem> {
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
            let mut differ = Vec::new();
            if d.sha1.is_some_and(|h| h != found.key.sha1) {
                differ.push("sha1".to_string());
            }
            if d.md5.is_some_and(|h| h != found.key.md5) {
                differ.push("md5".to_string());
            }
            let mut sha256_rows = Vec::new();
            if let Some(h) = d.sha256 {
                let filled: Vec<(i64, [u8; 32])> = object.pfiles.iter().zip(&object.sha256).filter_map(|(pk, s)| s.map(|s| (*pk, s))).collect();
                if !filled.is_empty() && !filled.iter().any(|(_, s)| *s == h) {
                    differ.push("sha256".to_string());
                    sha256_rows = filled.iter().map(|(pk, s)| (*pk, hex::encode(s))).collect();
                }
            }
            if !differ.is_empty() {
                let found = |on: bool, hex: String| on.then_some(hex);
                return Some(Problem::Content {
                    sha1: found(d.sha1.is_some(), d.sha1_hex()),
                    md5: found(d.md5.is_some(), d.md5_hex()),
                    sha256: found(d.sha256.is_some(), d.sha256_hex()),
                    differ,
                    sha256_rows,
                });
            }
        }
        None
    }

    fn unreadable_copy(&self, found: &Found) -> bool {
        if let Some(Err(e)) = &found.content {
            self.sink.emit(Rule::EntryUnreadable, &found.rel, format!("cannot be read ({e}); its content was not checked"), details! { "error" => e }, None);
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
            match self.verify(found, object) {
                None => state = GoldState::Usable,
                Some(problem) if in_scope => self.report_damaged_gold(object, found, &problem),
                Some(_) => {}
            }
        }
        for (i, (_, found)) in wrong.into_iter().enumerate() {
            let duplicate = !good.is_empty() || i > 0;
            if in_scope {
                self.misplaced(ObjectType::Gold, &Misplaced { key: found.key, rel: found.rel, why: Why::WrongHost }, true, duplicate.then_some(path.as_str()));
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
                pending.push(&Pending { name: name.clone(), pfiles: object.pfiles.clone(), uploads: object.gold_of.clone(), gold_of: object.gold_of.clone(), path, problem: Problem::Missing })?;
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

    pub(super) fn host_in_scope(&self, object_type: ObjectType, name: &str) -> bool {
        match &self.opts.host {
            None => true,
            Some(h) => self.layout.hosts_for(object_type.as_str(), name).first().is_some_and(|first| first == h),
        }
    }

    fn files_object(&mut self, tree: &mut Tree, object: &DbObject, pending: &mut Spool) -> Result<()> {
        let name = object.key.name();
        if !self.in_scope(&name) {
            // Another shard's name: its directories were not walked.
            tree.take(&object.key);
            return Ok(());
        }
        if !self.host_in_scope(ObjectType::Files, &name) {
            // Another host's object, found on this run's host: the run of its host decides
            // with what this one saw.
            let allowed = self.layout.hosts_for(ObjectType::Files.as_str(), &name);
            for (host, found) in tree.take(&object.key) {
                let ok = host.as_deref().is_some_and(|h| allowed.contains(&h));
                self.foreign(ObjectType::Files, &Misplaced { key: found.key, rel: found.rel, why: Why::WrongHost }, ok, Some(true));
            }
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
            match self.verify(found, object) {
                None => intact = true,
                Some(problem) => damage = Some((found.rel.clone(), problem)),
            }
        }
        // Copies on a host the ranges do not give it are misplaced like any other: decided
        // at the end with the rest (the first, by path, of a missing object is its move).
        for (_, found) in wrong {
            tree.found_misplaced(Misplaced { key: found.key, rel: found.rel, why: Why::WrongHost });
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

    pub(super) fn misplaced(&self, object_type: ObjectType, m: &Misplaced, referenced: bool, duplicate_of: Option<&str>) {
        let name = m.key.name();
        if !self.in_scope(&name) {
            return;
        }
        let to = preferred_path(self.layout, object_type, &name);
        let (message, details, repair) = misplaced_finding(object_type, &m.rel, &name, m.why, &to, referenced, duplicate_of);
        // Held when it may belong to a layout found other than the one configured.
        let class = if m.why == Why::WrongHost && self.opts.host.is_none() {
            m.rel.split('/').next().filter(|_| !self.layout.hosts.is_empty()).map(|h| Class::Host(object_type, h.to_string()))
        } else {
            m.other_depth(object_type.as_str(), self.layout.depth).map(|d| Class::Depth(object_type, d))
        };
        match class {
            Some(class) => self.summary.hold(class, &m.rel, message, details, repair, referenced, object_type, &name, m.key.size),
            None => self.sink.emit(Rule::MisplacedFile, &m.rel, message, details, repair),
        }
    }

    /// An object this run found whose name is another run's to report (`--range`,
    /// `--host`): what it saw goes to `merge` on the side, which decides with the other
    /// run's findings what a whole run would have said.
    pub(super) fn foreign(&self, object_type: ObjectType, m: &Misplaced, allowed: bool, referenced: Option<bool>) {
        let name = m.key.name();
        let mut hosts: Vec<Option<&str>> = self.layout.hosts_for(object_type.as_str(), &name).into_iter().map(Some).collect();
        if hosts.is_empty() {
            hosts.push(None);
        }
        let copy_at = hosts.into_iter().map(|h| object_path(self.layout, h, object_type, &name)).find(|rel| *rel != m.rel && self.opts.inputs.repo.join(rel).is_file());
        let expected = preferred_path(self.layout, object_type, &name);
        let object = Foreign { object_type, name, rel: m.rel.clone(), why: m.why, expected, allowed, copy_at, referenced };
        self.sink.side(SideRecord::new(object).to_value());
    }
}

/// The `misplaced-file` finding of an object found at `rel` whose place is `to`:
/// referenced and alone it is a move; with a copy elsewhere it can be removed; referenced
/// by nothing it is only reported. (`merge` makes the same findings from shards' records.)
pub fn misplaced_finding(
    object_type: ObjectType,
    rel: &str,
    name: &str,
    why: Why,
    to: &str,
    referenced: bool,
    duplicate_of: Option<&str>,
) -> (String, serde_json::Map<String, serde_json::Value>, Option<crate::engine::finding::Repair>) {
    let (message, repair) = match (referenced, duplicate_of) {
        (true, None) => (format!("{object_type} object {why}: FOSSology looks for it at {to}"), Some(Repair::Move { from: rel.to_string(), to: to.to_string() }.into())),
        (true, Some(d)) => (format!("{object_type} object {why}, and a copy is also at {d}: this one can be removed"), None),
        (false, _) => (format!("{object_type} object {why}; no database row references it"), None),
    };
    (message, details! { "type" => object_type.as_str(), "name" => name, "why" => why.as_str(), "expected" => to, "referenced" => referenced, "duplicate_of" => duplicate_of }, repair)
}

/// The merge and its decisions on in-memory streams: no walk, no database.
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::finding::Finding;
    use crate::engine::tables::DbSource;
    use crate::fossology::options::Inputs;
    use crate::fossology::trees::tree_of;
    use crate::fossology::walk::Batch;

    /// An object name of the given size whose first characters are `prefix`.
    fn key(prefix: &str, size: u64) -> ObjectKey {
        let sha1 = format!("{prefix:0<40}");
        ObjectKey::parse_name(&format!("{sha1}.{:032x}.{size}", 7)).unwrap()
    }

    fn found(layout: &Layout, object_type: ObjectType, key: ObjectKey) -> Found {
        Found { key, rel: object_path(layout, Some("localhost"), object_type, &key.name()), meta: None, content: None }
    }

    struct Case {
        repo: tempfile::TempDir,
        layout: Layout,
        uploads: BTreeMap<i64, Upload>,
        objects: Vec<DbObject>,
        gold: Vec<Found>,
        files: Vec<Found>,
        files_misplaced: Vec<Misplaced>,
    }

    impl Case {
        fn new() -> Case {
            Case { repo: tempfile::tempdir().unwrap(), layout: Layout::shipped(), uploads: BTreeMap::new(), objects: Vec::new(), gold: Vec::new(), files: Vec::new(), files_misplaced: Vec::new() }
        }

        /// An upload whose gold is `gold` and whose tree references `files`.
        fn upload(&mut self, id: i64, gold: ObjectKey, files: &[ObjectKey]) {
            self.uploads.insert(id, Upload { pfile_fk: Some(id), filename: format!("upload-{id}.tar"), tree_rows: 1 + files.len() as u64, mode: 1 << 5, ..Upload::default() });
            self.objects.push(DbObject { key: gold, pfiles: vec![id], sha256: vec![None], tree_uploads: vec![id], gold_of: vec![id] });
            for (i, f) in files.iter().enumerate() {
                self.objects.push(DbObject { key: *f, pfiles: vec![id * 100 + i as i64], sha256: vec![None], tree_uploads: vec![id], gold_of: vec![] });
            }
        }

        fn run(mut self) -> Vec<Finding> {
            self.objects.sort_by_key(|o| o.key);
            self.gold.sort_by_key(|f| f.key);
            self.files.sort_by_key(|f| f.key);
            let opts = CheckOptions {
                inputs: Inputs { db: DbSource::Dump("in-memory".into()), db_name: "fossology".into(), repo: self.repo.path().to_path_buf(), conf: None },
                level: Level::Exists,
                range: None,
                shard: None,
                host: None,
                subset: None,
            };
            let sink = Sink::new(Arc::new(crate::products::catalogue(None).unwrap()), Vec::new()).unwrap();
            let host = Some("localhost".to_string());
            let gold = tree_of(ObjectType::Gold, self.layout.depth, vec![(host.clone(), vec![Batch { found: self.gold, ..Batch::default() }])]);
            let files = tree_of(ObjectType::Files, self.layout.depth, vec![(host, vec![Batch { found: self.files, misplaced: self.files_misplaced, ..Batch::default() }])]);
            // The shipped rule parameters (layout-mismatch's floor).
            let params: crate::fossology::Params = sink.catalogue().params("fossology").unwrap();
            Run::new(&opts, &self.layout, &sink, &self.uploads, params.layout_mismatch).merge_trees(self.objects.into_iter().map(Ok), gold, files).unwrap();
            let report = sink.finish().unwrap();
            let mut findings = Vec::new();
            report
                .for_each_finding(|f| {
                    findings.push(f);
                    Ok(())
                })
                .unwrap();
            findings
        }
    }

    fn rules(findings: &[Finding]) -> Vec<(&str, &str)> {
        findings.iter().map(|f| (f.rule.as_str(), f.repair.as_ref().map(|r| r.action.as_str()).unwrap_or("-"))).collect()
    }

    /// Objects a configuration gives to one host, all lying on another: one finding per
    /// tree with the fix, not a move per object (the shipped min_objects is 3).
    #[test]
    fn a_tree_mostly_on_another_host_is_one_layout_mismatch() {
        use crate::fossology::conf::HostRange;
        let mut c = Case::new();
        c.layout.hosts = vec![
            HostRange { host: "localhost".into(), object_type: None, start: "00".into(), end: "7f".into() },
            HostRange { host: "hostb".into(), object_type: None, start: "80".into(), end: "ff".into() },
        ];
        for (i, g) in ["90", "a0", "b0"].iter().enumerate() {
            let (gold, file) = (key(g, 5), key(&format!("{}1", &g[..1]), 6 + i as u64));
            c.upload(i as i64 + 1, gold, &[file]);
            // `found` puts them under localhost/, where hostb's objects do not belong.
            c.gold.push(found(&c.layout, ObjectType::Gold, gold));
            c.files.extend([found(&c.layout, ObjectType::Files, gold), found(&c.layout, ObjectType::Files, file)]);
        }
        let findings = c.run();
        assert_eq!(rules(&findings), [("fossology/layout-mismatch", "-"), ("fossology/layout-mismatch", "-")], "{findings:#?}");
        let files = findings.iter().find(|f| f.details["type"] == "files").unwrap();
        assert_eq!(files.subject, "localhost/files");
        assert_eq!(files.details["objects"], 6);
        assert!(files.message.contains("[REPOSITORY]"), "{}", files.message);
    }

    /// `n` uploads of one gold and no member: 2n objects in `files`, `misplaced` of them at
    /// depth 3 (in a consistent layout) while the layout says 2.
    fn depth_case(n: usize, misplaced: usize) -> Vec<Finding> {
        let mut c = Case::new();
        c.layout.depth = 2;
        let mut placed = 0;
        for i in 0..n {
            let g = key(&format!("{:06x}", i * 0x10101), 100 + i as u64);
            c.upload(i as i64 + 1, g, &[]);
            c.gold.push(found(&c.layout, ObjectType::Gold, g));
            if placed < misplaced {
                let name = g.name();
                c.files_misplaced.push(Misplaced { key: g, rel: format!("localhost/files/{}/{}/{}/{name}", &name[0..2], &name[2..4], &name[4..6]), why: Why::WrongDepth });
                placed += 1;
            } else {
                c.files.push(found(&c.layout, ObjectType::Files, g));
            }
        }
        c.run()
    }

    /// A small installation whose files tree lies at depth 3 with depth 2 configured: 257 of
    /// 258 objects in that one other layout are one layout-mismatch, not 257 moves.
    #[test]
    fn a_small_tree_mostly_at_another_depth_is_one_layout_mismatch() {
        let findings = depth_case(258, 257);
        assert_eq!(rules(&findings), [("fossology/layout-mismatch", "-")], "{:?}", rules(&findings));
        assert_eq!(findings[0].details["found_depth"], 3);
        assert_eq!(findings[0].details["configured_depth"], 2);
        assert_eq!(findings[0].details["objects"], 257);
    }

    /// A tree of three objects with one at another depth: that one is a move.
    #[test]
    fn one_of_three_objects_at_another_depth_is_a_move() {
        let findings = depth_case(3, 1);
        assert_eq!(rules(&findings), [("fossology/misplaced-file", "move")], "{:?}", rules(&findings));
        // Two of three (below the floor of three objects) are still moves.
        assert_eq!(rules(&depth_case(3, 2)), [("fossology/misplaced-file", "move"), ("fossology/misplaced-file", "move")]);
    }

    #[test]
    fn everything_in_place_is_silent() {
        let mut c = Case::new();
        let (g, f1, f2) = (key("10", 5), key("20", 6), key("30", 7));
        c.upload(1, g, &[f1, f2]);
        for k in [g, f1, f2] {
            c.files.push(found(&c.layout, ObjectType::Files, k));
        }
        c.gold.push(found(&c.layout, ObjectType::Gold, g));
        assert_eq!(rules(&c.run()), []);
    }

    #[test]
    fn a_missing_file_is_a_reunpack_from_the_gold_or_from_the_files_copy_of_the_gold() {
        let mut c = Case::new();
        let (g1, g2, f1, f2) = (key("10", 5), key("11", 5), key("20", 6), key("30", 7));
        c.upload(1, g1, &[f1]);
        c.upload(2, g2, &[f2]);
        c.files.extend([found(&c.layout, ObjectType::Files, g1), found(&c.layout, ObjectType::Files, g2)]);
        c.gold.push(found(&c.layout, ObjectType::Gold, g1));
        // Whether a gold can be copied back is asked of the repository itself.
        let copy = c.repo.path().join(object_path(&c.layout, Some("localhost"), ObjectType::Files, &g2.name()));
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::write(&copy, "12345").unwrap();
        let findings = c.run();
        let by_rule = rules(&findings);
        assert!(by_rule.contains(&("fossology/file-missing", "reunpack")), "{by_rule:?}");
        assert!(by_rule.contains(&("fossology/gold-missing", "copy")), "the files copy of gold 2 can be copied back: {by_rule:?}");
        // Gold 2's files copy survives, so ununpack can re-unpack upload 2 from it.
        let f2_finding = findings.iter().find(|f| f.rule == "fossology/file-missing" && f.subject.contains(&f2.name())).unwrap();
        assert_eq!(f2_finding.repair.as_ref().unwrap().fields["upload"], 2);
        assert!(!by_rule.iter().any(|(r, _)| *r == "fossology/upload-unrecoverable"), "{by_rule:?}");
    }

    #[test]
    fn no_gold_and_no_files_copy_leaves_the_upload_unrecoverable() {
        let mut c = Case::new();
        let (g, f) = (key("10", 5), key("20", 6));
        c.upload(1, g, &[f]);
        let findings = c.run();
        let by_rule = rules(&findings);
        assert!(by_rule.contains(&("fossology/gold-missing", "restore-from-backup")), "{by_rule:?}");
        assert!(by_rule.contains(&("fossology/file-missing", "restore-from-backup")), "{by_rule:?}");
        assert!(by_rule.contains(&("fossology/upload-unrecoverable", "restore-from-backup")), "{by_rule:?}");
    }

    #[test]
    fn a_missing_object_found_misplaced_is_one_move_and_not_missing() {
        let mut c = Case::new();
        let (g, f) = (key("10", 5), key("20", 6));
        c.upload(1, g, &[f]);
        c.gold.push(found(&c.layout, ObjectType::Gold, g));
        c.files.push(found(&c.layout, ObjectType::Files, g));
        c.files_misplaced.push(Misplaced { key: f, rel: format!("localhost/files/ff/ff/ff/{}", f.name()), why: Why::WrongDirectory });
        let findings = c.run();
        assert_eq!(rules(&findings), [("fossology/misplaced-file", "move")]);
        assert_eq!(findings[0].repair.as_ref().unwrap().field_str("to"), Some(object_path(&Layout::shipped(), Some("localhost"), ObjectType::Files, &f.name()).as_str()));
    }

    #[test]
    fn an_unreferenced_object_is_an_orphan_and_a_misplaced_one_says_so() {
        let mut c = Case::new();
        let (g, stray, stray2) = (key("10", 5), key("05", 1), key("99", 2));
        c.upload(1, g, &[]);
        c.gold.push(found(&c.layout, ObjectType::Gold, g));
        c.files.extend([found(&c.layout, ObjectType::Files, g), found(&c.layout, ObjectType::Files, stray)]);
        c.files_misplaced.push(Misplaced { key: stray2, rel: format!("localhost/files/00/{}", stray2.name()), why: Why::WrongDepth });
        let findings = c.run();
        assert_eq!(rules(&findings), [("fossology/file-orphaned", "-"), ("fossology/misplaced-file", "-")]);
        assert!(findings[1].message.contains("no database row references it"), "{}", findings[1].message);
    }
}
