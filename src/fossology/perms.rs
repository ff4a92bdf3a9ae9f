//! `permissions`: entries of the repository the agents cannot use.
//!
//! FOSSology's agents run as the project user and group (`[DIRECTORIES] PROJECTUSER` /
//! `PROJECTGROUP` of fossology.conf, `fossy` by default). `install/fo-postinstall` makes the
//! repository theirs (`chown --recursive <user>:<group> ${REPO%/*} $REPO`, then
//! `chmod 2770 ${REPO%/*} $REPO`); below it `_RepMkDirs` (`src/lib/c/libfossrepo.c`) makes
//! directories 0770, setgid by inheritance, and objects are 2664 (`fo_RepImport` chmods a
//! file it links into `files` `S_ISGID|0664`) or 2660 (`fo_RepFwriteTmp`, an object written
//! or copied). A restore done as root (`tar` without `--same-owner`, `rsync` without `-og`,
//! `cp -r`) leaves entries owned by root that the agents cannot write or read: every
//! re-unpack then fails with permission denied.
//!
//! What is checked: every directory the walk reads (the type trees' directories; the
//! repository root, its top-level directories and the scratch directories at the end), and
//! every object the walk stats — gold at every level, files at `--level size` and `content`
//! (at `--level exists` the walk makes no `stat` of a files object, and none is made for
//! this). A tree whose every checked entry is wrong is one finding with the counts; otherwise
//! each wrong entry is one.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use serde_json::json;

use super::Rule;
use super::fs::{EntryKind, ROOT, read_dir_sorted, report_unreadable};
use super::options::Level;
use super::walk::Meta;
use crate::details;
use crate::engine::sink::Sink;

/// Wrong entries held per tree before the rest are only counted.
const HOLD: usize = 10_000;

/// The project user and group, as far as this machine knows them.
#[derive(Debug, Clone, Default)]
struct Project {
    user: String,
    group: String,
    uid: Option<u32>,
    gid: Option<u32>,
    /// The groups the user is in (primary and supplementary).
    user_gids: Vec<u32>,
}

/// One wrong entry.
#[derive(Debug, Clone)]
struct Bad {
    rel: String,
    dir: bool,
    meta: Meta,
    why: Vec<&'static str>,
}

#[derive(Debug, Default)]
struct Tally {
    dirs: u64,
    objects: u64,
    bad_dirs: u64,
    bad_objects: u64,
    held: Vec<Bad>,
}

/// The check, fed by the walkers (from several threads).
pub struct Perms {
    project: Project,
    repo: String,
    /// Off: neither the user nor the group is known here.
    active: bool,
    trees: Mutex<BTreeMap<String, Tally>>,
}

/// The name of the group of entries outside the type trees.
const TOP: &str = "";

impl Perms {
    /// Resolves the project user and group (the configuration's names, or numbers given as
    /// the rule's `uid`/`gid` parameters) from `/etc/passwd` and `/etc/group`, and says in
    /// the report's scope what is checked.
    pub fn new(repo: &Path, names: (Option<String>, Option<String>), level: Level, shard: bool, params: &super::PermissionsParams, sink: &Sink) -> Perms {
        let user = names.0.unwrap_or_else(|| "fossy".into());
        let group = names.1.unwrap_or_else(|| "fossy".into());
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
        let entry = |text: &str, name: &str| -> Option<Vec<String>> { text.lines().map(|l| l.split(':').map(str::to_string).collect::<Vec<_>>()).find(|f| f.first().is_some_and(|n| n == name)) };
        let pw = entry(&passwd, &user);
        let uid = params.uid.or_else(|| user.parse().ok()).or_else(|| pw.as_ref().and_then(|f| f.get(2)?.parse().ok()));
        let gid = params.gid.or_else(|| group.parse().ok()).or_else(|| entry(&groups, &group).and_then(|f| f.get(2)?.parse().ok()));
        let mut user_gids: Vec<u32> = pw.as_ref().and_then(|f| f.get(3)?.parse().ok()).into_iter().collect();
        for l in groups.lines() {
            let f: Vec<&str> = l.split(':').collect();
            if f.get(3).is_some_and(|m| m.split(',').any(|m| m == user))
                && let Some(g) = f.get(2).and_then(|g| g.parse().ok())
            {
                user_gids.push(g);
            }
        }
        if params.uid.is_some() && params.gid.is_some() {
            // Numbers given for another machine: the user is taken to be in the group.
            user_gids.extend(gid);
        }
        let active = uid.is_some() || gid.is_some();
        let objects = if !active {
            "not checked".to_string()
        } else if level == Level::Exists {
            "gold only (at --level exists no files object is stat'ed)".to_string()
        } else {
            "gold and files".to_string()
        };
        let mut scope = json!({"user": user, "uid": uid, "group": group, "gid": gid, "directories": if active { "checked" } else { "not checked" }, "objects": objects});
        if !active {
            scope["skipped"] = json!(format!("neither user {user} nor group {group} exists on this machine (a copy checked elsewhere?): set the rule's uid and gid parameters to check owners"));
        } else if uid.is_none() {
            scope["note"] = json!(format!("user {user} does not exist on this machine: only the group and its mode bits are checked"));
        }
        if active && shard {
            // Each shard judges the entries it walks; merged reports keep each shard's
            // grouped finding of a tree (with that shard's counts) rather than one.
            scope["shard"] = json!("a tree's grouped finding counts this run's part of it");
        }
        sink.scope("permissions", scope);
        Perms { project: Project { user, group, uid, gid, user_gids }, repo: repo.display().to_string(), active, trees: Mutex::new(BTreeMap::new()) }
    }

    /// Whether the project user can do `need` (4 read, 2 write, 1 search) on an entry: the
    /// owner's bits if it owns it, else the group's if it is in the group, else the others'.
    /// With the user unknown, as a member of the project group.
    fn can(&self, m: &Meta, need: u32) -> bool {
        let p = &self.project;
        let bits = if p.uid == Some(m.uid) {
            m.mode >> 6
        } else if p.gid == Some(m.gid) || p.user_gids.contains(&m.gid) {
            m.mode >> 3
        } else {
            m.mode
        };
        bits & need == need
    }

    fn judge(&self, m: &Meta, dir: bool) -> Vec<&'static str> {
        let mut why = Vec::new();
        if self.project.gid.is_some_and(|g| g != m.gid) {
            why.push("not owned by the project group");
        }
        if dir && !self.can(m, 7) {
            why.push("the project user cannot write it");
        }
        if !dir && !self.can(m, 4) {
            why.push("the project user cannot read it");
        }
        why
    }

    fn note(&self, tree: &str, rel: &str, m: &Meta, dir: bool) {
        if !self.active {
            return;
        }
        let why = self.judge(m, dir);
        let mut trees = self.trees.lock().unwrap_or_else(|e| e.into_inner());
        let t = trees.entry(tree.to_string()).or_default();
        if dir {
            t.dirs += 1
        } else {
            t.objects += 1
        }
        if why.is_empty() {
            return;
        }
        if dir {
            t.bad_dirs += 1
        } else {
            t.bad_objects += 1
        }
        if t.held.len() < HOLD {
            t.held.push(Bad { rel: rel.to_string(), dir, meta: *m, why });
        }
    }

    /// A directory of `tree` the walk read.
    pub fn dir(&self, tree: &str, rel: &str, m: &Meta) {
        self.note(tree, rel, m, true);
    }

    /// An object of `tree` the walk stat'ed.
    pub fn object(&self, tree: &str, rel: &str, m: &Meta) {
        self.note(tree, rel, m, false);
    }

    /// Checks the directories outside the type trees — the root, the top-level directories
    /// that are FOSSology's (`logs`, the hosts', and those holding a type tree or a scratch
    /// directory: not `lost+found` or other neighbours), their scratch directories and
    /// `logs` — then reports.
    pub fn finish(&self, repo: &Path, hosts: &[&str], scratch: &[String], sink: &Sink) {
        if !self.active {
            return;
        }
        let mut tops = vec![(ROOT.to_string(), repo.to_path_buf())];
        let subdirs: Vec<&str> = scratch.iter().map(String::as_str).chain(["logs", "gold", "files", "license"]).collect();
        // A root that cannot be listed leaves its top-level directories unchecked.
        let top = read_dir_sorted(repo).unwrap_or_else(|e| {
            report_unreadable(sink, ROOT, &e.to_string());
            Vec::new()
        });
        for (name, kind) in top {
            if kind != EntryKind::Dir {
                continue;
            }
            let name = name.to_string_lossy().into_owned();
            let held: Vec<&str> = subdirs.iter().copied().filter(|d| repo.join(&name).join(d).is_dir()).collect();
            if name != "logs" && !hosts.contains(&name.as_str()) && held.is_empty() {
                continue;
            }
            tops.push((name.clone(), repo.join(&name)));
            for d in held.into_iter().filter(|d| scratch.iter().any(|s| s == d) || *d == "logs") {
                let p = repo.join(&name).join(d);
                if !p.is_symlink() {
                    tops.push((format!("{name}/{d}"), p));
                }
            }
        }
        for (rel, path) in &tops {
            if let Ok(m) = std::fs::symlink_metadata(path) {
                self.dir(TOP, rel, &Meta::from(&m));
            }
        }
        let trees = std::mem::take(&mut *self.trees.lock().unwrap_or_else(|e| e.into_inner()));
        for (tree, t) in trees {
            let bad = t.bad_dirs + t.bad_objects;
            if bad == 0 {
                continue;
            }
            let whole = bad == t.dirs + t.objects && bad > 1;
            if whole || t.held.len() as u64 != bad {
                self.grouped(&tree, &t, whole, sink);
            }
            if !whole {
                for b in &t.held {
                    self.entry(b, sink);
                }
            }
        }
    }

    fn owner(&self, m: &Meta) -> String {
        format!("{}:{} mode {:04o}", m.uid, m.gid, m.mode & 0o7777)
    }

    /// `fo-postinstall`'s repair of the whole repository.
    fn fix(&self) -> Vec<String> {
        let (u, g, r) = (&self.project.user, &self.project.group, sh(&self.repo));
        vec![format!("chown -R {u}:{g} {r}"), format!("find {r} -type d -exec chmod 2770 {{}} +")]
    }

    fn grouped(&self, tree: &str, t: &Tally, whole: bool, sink: &Sink) {
        let subject = if tree == TOP { "repository root and top-level directories".to_string() } else { tree.to_string() };
        let first = t.held.first();
        let what = first.map(|b| format!(" (e.g. {}: {}, {})", b.rel, self.owner(&b.meta), b.why.join(", "))).unwrap_or_default();
        let (u, g) = (&self.project.user, &self.project.group);
        let message = if whole {
            format!(
                "every entry of {subject} ({} directories, {} objects) is wrong for the agents, who run as {u}:{g}{what}: a re-unpack into it fails with permission denied; the repair is install/fo-postinstall's: {}",
                t.bad_dirs,
                t.bad_objects,
                self.fix().join(" && ")
            )
        } else {
            format!(
                "{} more entries of {subject} are wrong for the agents ({u}:{g}) than are listed one by one{what}; the repair: {}",
                (t.bad_dirs + t.bad_objects) - t.held.len() as u64,
                self.fix().join(" && ")
            )
        };
        sink.emit(
            Rule::Permissions,
            subject,
            message,
            details! { "tree" => tree, "directories" => t.dirs, "objects" => t.objects, "wrong_directories" => t.bad_dirs, "wrong_objects" => t.bad_objects, "user" => u, "group" => g, "fix" => self.fix() },
            None,
        );
    }

    fn entry(&self, b: &Bad, sink: &Sink) {
        let (u, g) = (&self.project.user, &self.project.group);
        let path = sh(&format!("{}/{}", self.repo.trim_end_matches('/'), b.rel));
        let fix = vec![format!("chown {u}:{g} {path}"), format!("chmod {} {path}", if b.dir { "2770" } else { "2660" })];
        let kind = if b.dir { "directory" } else { "object" };
        sink.emit(
            Rule::Permissions,
            &b.rel,
            format!("{kind} {} for the agents ({u}:{g}): {}; the repair: {}", b.why.join(", "), self.owner(&b.meta), fix.join(" && ")),
            details! { "kind" => kind, "uid" => b.meta.uid, "gid" => b.meta.gid, "mode" => format!("{:04o}", b.meta.mode & 0o7777), "why" => b.why, "user" => u, "group" => g, "fix" => fix },
            None,
        );
    }
}

fn sh(s: &str) -> String {
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+=@%".contains(&b)) { s.to_string() } else { format!("'{}'", s.replace('\'', "'\\''")) }
}
