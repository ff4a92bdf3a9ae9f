//! The decisions that wait for the end of a tree: an object absent from its place may
//! turn up misplaced (then it is a move, not a missing file), and a missing file's repair
//! depends on whether one of its uploads still has a usable gold, known only once the gold
//! tree is done. Pending objects wait in a spool in name order, so memory stays flat.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Repair;
use super::Rule;
use super::layout::{ObjectKey, ObjectType, object_path};
use super::merge::Run;
use super::metadata::{DbObject, MODE_UNPACKED, Upload, capped};
use super::trees::Tree;
use super::walk::Misplaced;
use crate::details;
use crate::engine::finding::Repair as Fix;

/// What is known of an upload's gold once the gold tree has been merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GoldState {
    /// Present and (at the level checked) intact.
    Usable,
    /// Present only in the wrong place: usable once moved.
    Misplaced,
    /// Present, but its size or content is wrong.
    Corrupt,
    Missing,
    /// Missing, but the files copy of the same object is there: ununpack unpacks from
    /// `files` first and only falls back to `gold` (`src/ununpack/agent/ununpack.c`), so a re-unpack works.
    FilesCopyOnly,
    /// On a host outside this run's scope (`--host`): not checked.
    NotChecked,
}

impl GoldState {
    pub(super) fn usable(self) -> bool {
        matches!(self, GoldState::Usable | GoldState::Misplaced | GoldState::FilesCopyOnly | GoldState::NotChecked)
    }

    pub(super) fn as_str(self) -> &'static str {
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
pub(super) struct Pending {
    pub(super) name: String,
    pub(super) pfiles: Vec<i64>,
    pub(super) uploads: Vec<i64>,
    pub(super) gold_of: Vec<i64>,
    /// Where it should be (relative path).
    pub(super) path: String,
    pub(super) problem: Problem,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) enum Problem {
    Missing,
    Size {
        found: u64,
    },
    /// The digests computed (hex; `None` when not computed), which of them differ
    /// (`sha1`, `md5`: from the name; `sha256`: from every filled `pfile_sha256`), and the
    /// rows whose SHA-256 it is not (pfile id, hex).
    Content {
        sha1: Option<String>,
        md5: Option<String>,
        sha256: Option<String>,
        differ: Vec<String>,
        sha256_rows: Vec<(i64, String)>,
    },
}

/// Pending decisions wait in a spool on disk, in name order.
pub(super) type Spool = crate::engine::spool::LineSpool;

impl Run<'_> {
    pub(super) fn resolve(&mut self, tree: &mut Tree, mut pending: Spool) -> Result<BTreeSet<i64>> {
        let object_type = tree.object_type;
        let mut misplaced = tree.misplaced()?.peekable();
        let mut unrecoverable = BTreeSet::new();
        for p in pending.read::<Pending>()? {
            let p = p?;
            let key = ObjectKey::parse_name(&p.name).context("pending spool holds a bad name")?;
            // Misplaced objects before this one are duplicates or unreferenced.
            while let Some(m) = misplaced.next_if(|m| m.as_ref().is_ok_and(|m| m.key < key)) {
                self.misplaced_alone(object_type, &m?);
            }
            let mut moved = false;
            while let Some(m) = misplaced.next_if(|m| m.as_ref().is_ok_and(|m| m.key == key)) {
                let m = m?;
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
        for m in misplaced {
            self.misplaced_alone(object_type, &m?);
        }
        Ok(unrecoverable)
    }

    /// A misplaced object whose name is not pending: its right place holds a copy, or
    /// nothing references it.
    fn misplaced_alone(&self, object_type: ObjectType, m: &Misplaced) {
        let name = m.key.name();
        if object_type == ObjectType::Files && (!self.in_scope(&name) || !self.host_in_scope(ObjectType::Files, &name)) {
            // In this run's directories, named in another shard's range or another host's:
            // the run that owns the name decides with what this one saw.
            self.foreign(object_type, m, false, None);
            return;
        }
        if !self.in_scope(&name) {
            // The gold tree is walked whole by every shard: its objects are their owner's.
            return;
        }
        let mut hosts: Vec<Option<&str>> = self.layout.hosts_for(object_type.as_str(), &name).into_iter().map(Some).collect();
        if hosts.is_empty() {
            hosts.push(None);
        }
        let copy = hosts.into_iter().map(|h| object_path(self.layout, h, object_type, &name)).find(|rel| self.opts.inputs.repo.join(rel).is_file());
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
            .find(|rel| self.opts.inputs.repo.join(rel).is_file());
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
            Some(from) => Some(Repair::Copy { from: from.clone(), to: p.path.clone() }.into()),
            None => {
                let object =
                    DbObject { key: ObjectKey::parse_name(name).expect("spooled names are valid"), pfiles: p.pfiles.clone(), sha256: Vec::new(), tree_uploads: Vec::new(), gold_of: p.gold_of.clone() };
                self.gold_repair(&object, &p.path)
            }
        };
        let how = match (&files_copy, refetchable) {
            (Some(_), _) => "its files copy is intact and can be copied back".to_string(),
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
        let usable: Vec<i64> = p.uploads.iter().copied().filter(|u| self.gold_state.get(u).is_some_and(|s| s.usable())).collect();
        let reunpack = usable.first().copied();
        let repair = match reunpack {
            Some(upload) => Repair::Reunpack { upload }.into(),
            None => Fix::restore_from_backup(p.path.clone()),
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
        if usable.len() > 1 {
            // Any of these re-unpacks restores it: `repair` queues the fewest that cover all.
            details.insert("reunpack_from".into(), json!(capped(&usable)));
        }
        self.sink.emit(rule, &p.path, format!("{message} (referenced by {} upload(s); {upload_note})", p.uploads.len()), details, Some(repair));
        reunpack.is_none()
    }

    /// Upload-level findings, once every object is decided.
    pub(super) fn report_uploads(&self, unrecoverable: &BTreeSet<i64>) {
        for (&id, upload) in self.uploads {
            let state = self.gold_state.get(&id).copied();
            let gold_name_in_scope = upload.pfile_fk.is_some() && state.is_some();
            if unrecoverable.contains(&id) {
                let gold = state.map(GoldState::as_str).unwrap_or("none");
                let repair = if upload.refetchable() {
                    Repair::Refetch { upload: id, origin: upload.origin.clone().unwrap_or_default() }.into()
                } else {
                    Fix::restore_from_backup(self.gold_path.get(&id).cloned().unwrap_or_else(|| format!("upload {id}")))
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
                    Some(Repair::Reunpack { upload: id }.into()),
                );
            }
        }
    }

    /// How a gold comes back: by download, or only from a backup.
    pub(super) fn gold_repair(&self, object: &DbObject, path: &str) -> Option<Fix> {
        let refetch = object.gold_of.iter().find_map(|u| {
            let upload = self.uploads.get(u)?;
            upload.refetchable().then(|| Repair::Refetch { upload: *u, origin: upload.origin.clone().unwrap_or_default() }.into())
        });
        Some(refetch.unwrap_or(Fix::restore_from_backup(path)))
    }
}

/// `pfile`: the pfile id of the object; `pfiles` as well when several rows name it (they
/// differ only in SHA-256).
pub(super) fn insert_pfiles(details: &mut serde_json::Map<String, serde_json::Value>, pfiles: &[i64]) {
    if let Some(first) = pfiles.first() {
        details.insert("pfile".into(), json!(first));
    }
    if pfiles.len() > 1 {
        details.insert("pfiles".into(), json!(pfiles));
    }
}

/// The rule, message and details of a damaged object.
pub(super) fn damage_finding(problem: &Problem, expected_size: u64) -> (Rule, String, serde_json::Map<String, serde_json::Value>) {
    match problem {
        Problem::Size { found } => (Rule::SizeMismatch, format!("is {found} bytes, its name says {expected_size}"), details! { "expected_size" => expected_size, "found_size" => found }),
        Problem::Content { sha1, md5, sha256, differ, sha256_rows } => {
            let label = |d: &str| match d {
                "sha1" => "SHA-1",
                "md5" => "MD5",
                _ => "SHA-256",
            };
            let of_name: Vec<&str> = differ.iter().map(String::as_str).filter(|d| *d != "sha256").map(label).collect();
            let mut what = Vec::new();
            if !of_name.is_empty() {
                what.push(format!("its {} {} from its name", of_name.join(" and "), if of_name.len() > 1 { "differ" } else { "differs" }));
            }
            if differ.iter().any(|d| d == "sha256") {
                let rows: Vec<String> = sha256_rows.iter().map(|(pk, _)| pk.to_string()).collect();
                what.push(format!("its SHA-256 differs from pfile_sha256 of pfile {}", rows.join(", ")));
            }
            let mut details = serde_json::Map::new();
            for (key, value) in [("found_sha1", sha1), ("found_md5", md5), ("found_sha256", sha256)] {
                if let Some(v) = value {
                    details.insert(key.into(), json!(v));
                }
            }
            details.insert("differ".into(), json!(differ));
            if !sha256_rows.is_empty() {
                details.insert("pfile_sha256".into(), sha256_rows.iter().map(|(pk, h)| (pk.to_string(), json!(h))).collect::<serde_json::Map<_, _>>().into());
            }
            (Rule::ContentMismatch, format!("content does not match: {}", what.join("; ")), details)
        }
        Problem::Missing => (Rule::FileMissing, "no object in the repository".to_string(), serde_json::Map::new()),
    }
}
