//! FOSSology installations for tests, built from real archives as FOSSology builds them
//! (facts/fossology.md §1–§4): the upload's archive is its gold and, hard-linked, a `files`
//! object; every regular file of the unpacked archive (the archive itself, the decompressed
//! tar of a `.tar.gz`, each member) is a `pfile` row and a `files` object named
//! `sha1.md5.size`; `uploadtree_a` rows form a nested set; jobs are ended.
//!
//! The path arithmetic here is written independently of `crate::fossology::layout`, so
//! the fixture is an oracle for it, not a copy.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use md5::Md5;
use sha1::{Digest, Sha1};

/// `upload_mode` of a web file upload that unpacked (8|32|64).
pub const MODE_FILE: i64 = 104;
/// `upload_mode` of a URL upload that unpacked (4|32|64).
pub const MODE_URL: i64 = 100;

/// One `[REPOSITORY]` entry.
#[derive(Debug, Clone)]
pub struct HostEntry {
    pub host: String,
    pub object_type: String,
    pub start: String,
    pub end: String,
}

/// How an upload is added.
#[derive(Debug, Clone)]
pub struct UploadOpts {
    /// `upload_origin`; a URL makes the upload a URL upload.
    pub origin: Option<String>,
    pub user: i64,
    /// Put the upload's rows in its own `uploadtree_<upload_pk>` table (FOSSology does so
    /// for gold files over 500 MB).
    pub own_table: bool,
}

impl Default for UploadOpts {
    fn default() -> Self {
        UploadOpts { origin: None, user: 2, own_table: false }
    }
}

/// An object as FOSSology names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub sha1: String,
    pub md5: String,
    pub size: u64,
}

impl Object {
    pub fn of(bytes: &[u8]) -> Object {
        Object { sha1: hex::encode(Sha1::digest(bytes)), md5: hex::encode(Md5::digest(bytes)), size: bytes.len() as u64 }
    }

    pub fn name(&self) -> String {
        format!("{}.{}.{}", self.sha1, self.md5, self.size)
    }
}

struct Node {
    name: String,
    object: Option<usize>,
    mode: i64,
    children: Vec<Node>,
}

/// One upload of the built installation.
#[derive(Debug, Clone)]
pub struct UploadInfo {
    pub id: i64,
    pub filename: String,
    pub origin: String,
    pub mode: i64,
    /// The gold object's name.
    pub gold: String,
    /// Every `files` object name of the upload (the archive first).
    pub files: Vec<String>,
    /// Names of member files (not the archive and not the decompressed tar).
    pub members: Vec<String>,
}

struct Upload {
    info: UploadInfo,
    root: Node,
    own_table: bool,
    user: i64,
    bytes: Vec<u8>,
}

/// Builds an installation.
pub struct FossologyFixture {
    depth: u32,
    hosts: Vec<HostEntry>,
    /// Whether to write `depth = …` in fossology.conf (absent: FOSSology's code default 2).
    write_depth: bool,
    objects: Vec<(Object, Vec<u8>)>,
    index: BTreeMap<String, usize>,
    uploads: Vec<Upload>,
}

impl Default for FossologyFixture {
    fn default() -> Self {
        Self::new()
    }
}

impl FossologyFixture {
    /// Depth 3, `localhost[] = * 00 ff`: the shipped configuration.
    pub fn new() -> Self {
        FossologyFixture {
            depth: 3,
            hosts: vec![HostEntry { host: "localhost".into(), object_type: "*".into(), start: "00".into(), end: "ff".into() }],
            write_depth: true,
            objects: Vec::new(),
            index: BTreeMap::new(),
            uploads: Vec::new(),
        }
    }

    pub fn layout(mut self, depth: u32, hosts: Vec<HostEntry>) -> Self {
        self.depth = depth;
        self.hosts = hosts;
        self
    }

    /// Leaves `depth` out of fossology.conf (the reader must then use 2).
    pub fn without_depth_key(mut self) -> Self {
        self.write_depth = false;
        self.depth = 2;
        self
    }

    fn object(&mut self, bytes: &[u8]) -> usize {
        let o = Object::of(bytes);
        let name = o.name();
        if let Some(&i) = self.index.get(&name) {
            return i;
        }
        self.objects.push((o, bytes.to_vec()));
        self.index.insert(name, self.objects.len() - 1);
        self.objects.len() - 1
    }

    /// Adds an upload of the archive at `path`.
    pub fn add_upload_archive(&mut self, path: &Path, opts: UploadOpts) -> Result<UploadInfo> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("upload").to_string();
        self.add_upload_bytes(&name, bytes, opts)
    }

    /// Adds an upload of `bytes` named `filename` (`.tar.gz`, `.tgz`, `.crate`, `.tar`, or
    /// any other file, which is not unpacked).
    pub fn add_upload_bytes(&mut self, filename: &str, bytes: Vec<u8>, opts: UploadOpts) -> Result<UploadInfo> {
        let id = self.uploads.len() as i64 + 1;
        let archive = self.object(&bytes);
        const CONTAINER: i64 = 1 << 29;
        const ARTIFACT: i64 = 1 << 28;
        let mut root = Node { name: filename.to_string(), object: Some(archive), mode: CONTAINER | 0o100644, children: Vec::new() };
        let gzip = [".tar.gz", ".tgz", ".crate"].iter().any(|e| filename.ends_with(e));
        let tar_bytes = if gzip {
            let mut raw = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut raw).with_context(|| format!("{filename}: not gzip"))?;
            Some(raw)
        } else if filename.ends_with(".tar") {
            Some(bytes.clone())
        } else {
            root.mode = 0o100644;
            None
        };
        if let Some(tar_bytes) = tar_bytes {
            let mut container = if gzip {
                let tar_object = self.object(&tar_bytes);
                let tar_name = filename.trim_end_matches(".gz").trim_end_matches(".tgz").trim_end_matches(".crate");
                Node { name: format!("{tar_name}.tar"), object: Some(tar_object), mode: CONTAINER | ARTIFACT | 0o100644, children: Vec::new() }
            } else {
                Node { name: "artifact.dir".into(), object: None, mode: CONTAINER | ARTIFACT | 0o040755, children: Vec::new() }
            };
            let mut archive_reader = tar::Archive::new(&tar_bytes[..]);
            for entry in archive_reader.entries().context("not a tar")? {
                let mut entry = entry.context("bad tar entry")?;
                let path = entry.path().context("bad tar path")?.to_string_lossy().into_owned();
                let kind = entry.header().entry_type();
                let parts: Vec<String> = path.split('/').filter(|p| !p.is_empty() && *p != ".").map(str::to_string).collect();
                if parts.is_empty() {
                    continue;
                }
                let (dirs, leaf) = parts.split_at(parts.len() - 1);
                let mut node = &mut container;
                for d in dirs {
                    let pos = match node.children.iter().position(|c| &c.name == d && c.object.is_none()) {
                        Some(p) => p,
                        None => {
                            node.children.push(Node { name: d.clone(), object: None, mode: CONTAINER | 0o040755, children: Vec::new() });
                            node.children.len() - 1
                        }
                    };
                    node = &mut node.children[pos];
                }
                if kind.is_dir() {
                    if !node.children.iter().any(|c| c.name == leaf[0]) {
                        node.children.push(Node { name: leaf[0].clone(), object: None, mode: CONTAINER | 0o040755, children: Vec::new() });
                    }
                } else if kind.is_file() {
                    let mut content = Vec::new();
                    entry.read_to_end(&mut content)?;
                    let object = self.object(&content);
                    node.children.push(Node { name: leaf[0].clone(), object: Some(object), mode: 0o100644, children: Vec::new() });
                }
                // Symlinks and devices get no pfile (ununpack leaves pfile_fk 0): skipped here.
            }
            root.children.push(container);
        }
        let origin = opts.origin.clone().unwrap_or_else(|| filename.to_string());
        let mode = if origin.contains("://") { MODE_URL } else { MODE_FILE };
        let mut files = Vec::new();
        collect(&root, &self.objects, &mut files);
        let members: Vec<String> = files.iter().skip(if gzip { 2 } else { 1 }).cloned().collect();
        let info = UploadInfo { id, filename: filename.to_string(), origin, mode, gold: self.objects[archive].0.name(), files, members };
        self.uploads.push(Upload { info: info.clone(), root, own_table: opts.own_table, user: opts.user, bytes });
        Ok(info)
    }

    /// Writes the installation under `dir`: `repository/`, `etc/fossology.conf`,
    /// `etc/Db.conf`, `fossology.sql`.
    pub fn write(&self, dir: &Path) -> Result<Installation> {
        let repo = dir.join("repository");
        std::fs::create_dir_all(&repo)?;
        let inst = Installation { dir: dir.to_path_buf(), repo: repo.clone(), depth: self.depth, hosts: self.hosts.clone(), uploads: self.uploads.iter().map(|u| u.info.clone()).collect() };
        for (object, bytes) in &self.objects {
            let path = inst.path_of("files", &object.name());
            std::fs::create_dir_all(path.parent().expect("has parent"))?;
            if !path.exists() {
                std::fs::write(&path, bytes)?;
            }
        }
        for upload in &self.uploads {
            let gold = inst.path_of("gold", &upload.info.gold);
            std::fs::create_dir_all(gold.parent().expect("has parent"))?;
            let files = inst.path_of("files", &upload.info.gold);
            if !gold.exists() {
                // wget_agent imports the gold, then hard-links it into files.
                if std::fs::hard_link(&files, &gold).is_err() {
                    std::fs::write(&gold, &upload.bytes)?;
                }
            }
        }
        std::fs::create_dir_all(dir.join("etc"))?;
        let mut conf = String::from("; fossology.conf written by the repocheck test kit\n[FOSSOLOGY]\nport = 24693\naddress = localhost\n");
        if self.write_depth {
            let _ = writeln!(conf, "depth = {}", self.depth);
        }
        conf.push_str("path = /srv/fossology/repository\n\n[HOSTS]\nlocalhost = localhost AGENT_DIR 10\n\n[REPOSITORY]\n");
        for h in &self.hosts {
            let _ = writeln!(conf, "{}[] = {} {} {}", h.host, h.object_type, h.start, h.end);
        }
        std::fs::write(dir.join("etc/fossology.conf"), conf)?;
        std::fs::write(dir.join("etc/Db.conf"), "dbname=fossology;\nhost=localhost;\nuser=fossy;\npassword=fossy;\nclient_encoding=utf8;\n")?;
        std::fs::write(dir.join("fossology.sql"), self.sql())?;
        Ok(inst)
    }

    /// DDL with FOSSology's table and column names (`core-schema.dat`) and the data.
    pub fn sql(&self) -> String {
        let mut s = String::from(SCHEMA);
        s.push_str("\nCOPY pfile (pfile_pk, pfile_md5, pfile_sha1, pfile_sha256, pfile_size, pfile_mimetypefk) FROM stdin;\n");
        for (i, (o, bytes)) in self.objects.iter().enumerate() {
            let sha256 = hex::encode_upper(sha2_256(bytes));
            let _ = writeln!(s, "{}\t{}\t{}\t{sha256}\t{}\t\\N", i + 1, o.md5.to_uppercase(), o.sha1.to_uppercase(), o.size);
        }
        s.push_str("\\.\n");
        let mut tree_pk = 0i64;
        let mut main_rows = String::new();
        let mut own_tables = String::new();
        let mut uploads = String::new();
        let mut jobs = String::new();
        let mut queue = String::new();
        let mut ars = String::new();
        for (n, u) in self.uploads.iter().enumerate() {
            let id = u.info.id;
            let table = if u.own_table { format!("uploadtree_{id}") } else { "uploadtree_a".to_string() };
            let _ = writeln!(
                uploads,
                "{id}\t{}\t{}\t{}\t{}\t2026-11-01 10:{:02}:00+00\t{}\t{}\t{table}\t\\N\t\\N\t10",
                esc(&format!("upload of {}", u.info.filename)),
                esc(&u.info.filename),
                u.user,
                u.info.mode,
                n % 60,
                self.index[&u.info.gold] + 1,
                esc(&u.info.origin)
            );
            let mut rows = String::new();
            let mut counter = 0i64;
            emit_rows(&u.root, None, id, &self.index, &self.objects, &mut tree_pk, &mut counter, &mut rows);
            if u.own_table {
                let _ = writeln!(
                    own_tables,
                    "CREATE TABLE {table} (LIKE uploadtree INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);\nALTER TABLE {table} ADD CONSTRAINT {table}_upload_fk_check CHECK (upload_fk = {id});\nALTER TABLE {table} INHERIT uploadtree;\nCOPY {table} (uploadtree_pk, parent, realparent, upload_fk, pfile_fk, ufile_mode, lft, rgt, ufile_name) FROM stdin;\n{rows}\\.\n"
                );
            } else {
                main_rows.push_str(&rows);
            }
            // wget_agent, ununpack and adj2nest ran and ended well (end_bits 1).
            let job = id;
            let _ = writeln!(jobs, "{job}\t2026-11-01 10:00:00+00\t0\t\\N\t{}\t{id}\t1\t{}\t{}", esc(&u.info.filename), u.user, u.user);
            for (k, agent) in ["wget_agent", "ununpack", "adj2nest"].iter().enumerate() {
                let jq = id * 10 + k as i64;
                let _ = writeln!(queue, "{jq}\t{job}\t{agent}\t{id}\t2026-11-01 10:00:0{k}+00\t2026-11-01 10:00:0{}+00\tCompleted\t1\t\\N\t1\t\\N\t\\N\tlocalhost\t\\N", k + 1);
            }
            let _ = writeln!(ars, "{id}\t2\t{id}\tt\t\\N\t2026-11-01 10:00:01+00\t2026-11-01 10:00:02+00");
        }
        s.push_str("\nCOPY upload (upload_pk, upload_desc, upload_filename, user_fk, upload_mode, upload_ts, pfile_fk, upload_origin, uploadtree_tablename, expire_date, expire_action, public_perm) FROM stdin;\n");
        s.push_str(&uploads);
        s.push_str("\\.\n\nCOPY uploadtree_a (uploadtree_pk, parent, realparent, upload_fk, pfile_fk, ufile_mode, lft, rgt, ufile_name) FROM stdin;\n");
        s.push_str(&main_rows);
        s.push_str("\\.\n\n");
        s.push_str(&own_tables);
        s.push_str("\nCOPY job (job_pk, job_queued, job_priority, job_email_notify, job_name, job_upload_fk, job_folder_fk, job_user_fk, job_group_fk) FROM stdin;\n");
        s.push_str(&jobs);
        s.push_str("\\.\n\nCOPY jobqueue (jq_pk, jq_job_fk, jq_type, jq_args, jq_starttime, jq_endtime, jq_endtext, jq_end_bits, jq_schedinfo, jq_itemsprocessed, jq_log, jq_runonpfile, jq_host, jq_cmd_args) FROM stdin;\n");
        s.push_str(&queue);
        s.push_str("\\.\n\nCOPY ununpack_ars (ars_pk, agent_fk, upload_fk, ars_success, ars_status, ars_starttime, ars_endtime) FROM stdin;\n");
        s.push_str(&ars);
        s.push_str("\\.\n\n");
        let _ = writeln!(s, "SELECT setval('pfile_pfile_pk_seq', {});", self.objects.len().max(1));
        let _ = writeln!(s, "SELECT setval('upload_upload_pk_seq', {});", self.uploads.len().max(1));
        let _ = writeln!(s, "SELECT setval('uploadtree_uploadtree_pk_seq', {});", tree_pk.max(1));
        let _ = writeln!(s, "SELECT setval('job_job_pk_seq', {});", self.uploads.len().max(1));
        let _ = writeln!(s, "SELECT setval('jobqueue_jq_pk_seq', {});", (self.uploads.len() as i64 * 10 + 10).max(1));
        s
    }
}

fn sha2_256(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n").replace('\r', "\\r")
}

fn collect(node: &Node, objects: &[(Object, Vec<u8>)], out: &mut Vec<String>) {
    if let Some(o) = node.object {
        out.push(objects[o].0.name());
    }
    for c in &node.children {
        collect(c, objects, out);
    }
}

#[allow(clippy::too_many_arguments)]
fn emit_rows(node: &Node, parent: Option<i64>, upload: i64, index: &BTreeMap<String, usize>, objects: &[(Object, Vec<u8>)], pk: &mut i64, counter: &mut i64, out: &mut String) {
    *pk += 1;
    let me = *pk;
    *counter += 1;
    let lft = *counter;
    // Children first to learn rgt; rows are written parent first.
    let mut children = String::new();
    for c in &node.children {
        emit_rows(c, Some(me), upload, index, objects, pk, counter, &mut children);
    }
    *counter += 1;
    let rgt = *counter;
    let pfile = node.object.map(|o| (index[&objects[o].0.name()] + 1).to_string()).unwrap_or_else(|| "0".into());
    let parent_s = parent.map(|p| p.to_string()).unwrap_or_else(|| "\\N".into());
    let _ = writeln!(out, "{me}\t{parent_s}\t{parent_s}\t{upload}\t{pfile}\t{}\t{lft}\t{rgt}\t{}", node.mode, esc(&node.name));
    out.push_str(&children);
}

/// A written installation.
#[derive(Debug, Clone)]
pub struct Installation {
    pub dir: PathBuf,
    pub repo: PathBuf,
    pub depth: u32,
    pub hosts: Vec<HostEntry>,
    pub uploads: Vec<UploadInfo>,
}

impl Installation {
    pub fn conf(&self) -> PathBuf {
        self.dir.join("etc/fossology.conf")
    }

    pub fn sql(&self) -> PathBuf {
        self.dir.join("fossology.sql")
    }

    /// The host `fo_RepMkPath` picks first for `name` of `object_type`.
    pub fn host_of(&self, object_type: &str, name: &str) -> Option<String> {
        self.hosts
            .iter()
            .find(|h| {
                (h.object_type == "*" || h.object_type == object_type)
                    && prefix_cmp(&h.start, name) != std::cmp::Ordering::Greater
                    && prefix_cmp(&h.end, name) != std::cmp::Ordering::Less
            })
            .map(|h| h.host.clone())
    }

    /// Where FOSSology keeps `name` of `object_type` (path relative to the repository).
    pub fn rel_path(&self, object_type: &str, name: &str) -> String {
        let lower = name.to_lowercase();
        let chars: Vec<char> = lower.chars().collect();
        let mut parts = Vec::new();
        if let Some(h) = self.host_of(object_type, &lower) {
            parts.push(h);
        }
        parts.push(object_type.to_string());
        for i in 0..self.depth as usize {
            let a = chars.get(2 * i).copied().unwrap_or('_');
            let b = chars.get(2 * i + 1).copied().unwrap_or('_');
            parts.push(format!("{a}{b}"));
        }
        parts.push(lower);
        parts.join("/")
    }

    pub fn path_of(&self, object_type: &str, name: &str) -> PathBuf {
        self.repo.join(self.rel_path(object_type, name))
    }

    /// Copies the installation (repository with hard links kept, etc, sql) to `dir`.
    pub fn copy_to(&self, dir: &Path) -> Result<Installation> {
        let status = std::process::Command::new("cp").arg("-a").arg(format!("{}/.", self.dir.display())).arg(dir).status()?;
        if !status.success() {
            bail!("cp -a failed");
        }
        let mut copy = self.clone();
        copy.dir = dir.to_path_buf();
        copy.repo = dir.join("repository");
        Ok(copy)
    }
}

/// `strncasecmp(bound, name, strlen(bound))`.
fn prefix_cmp(bound: &str, name: &str) -> std::cmp::Ordering {
    let n: String = name.chars().take(bound.len()).collect();
    bound.to_lowercase().cmp(&n.to_lowercase())
}

/// FOSSology's tables this kit fills, with the names and types of `core-schema.dat`.
pub const SCHEMA: &str = r#"
CREATE TABLE groups (group_pk serial PRIMARY KEY, group_name text NOT NULL);
CREATE TABLE users (
  user_pk serial PRIMARY KEY, user_name text NOT NULL, root_folder_fk integer, user_desc text,
  user_seed text, user_pass text, user_perm integer, user_email text, email_notify character varying(1) DEFAULT 'y',
  user_agent_list text, default_bucketpool_fk integer, ui_preference character varying, group_fk integer
);
CREATE TABLE agent (
  agent_pk serial PRIMARY KEY, agent_name character varying(32) NOT NULL, agent_rev character varying(32),
  agent_desc character varying(255), agent_enabled boolean DEFAULT true, agent_parms text, agent_ts timestamptz DEFAULT now()
);
CREATE TABLE pfile (
  pfile_pk serial PRIMARY KEY, pfile_md5 character(32) NOT NULL, pfile_sha1 character(40) NOT NULL,
  pfile_sha256 character(64), pfile_size bigint NOT NULL, pfile_mimetypefk integer,
  CONSTRAINT pfile_md5_sha1_sha256_size_ukey UNIQUE (pfile_md5, pfile_sha1, pfile_sha256, pfile_size)
);
CREATE INDEX pfile_sha1 ON pfile (pfile_sha1);
CREATE TABLE upload (
  upload_pk serial PRIMARY KEY, upload_desc text, upload_filename text NOT NULL, user_fk integer,
  upload_mode integer NOT NULL, upload_ts timestamptz NOT NULL DEFAULT now(), pfile_fk integer,
  upload_origin text, uploadtree_tablename character varying(18) NOT NULL DEFAULT 'uploadtree_a',
  expire_date date, expire_action character(1), public_perm integer
);
CREATE TABLE uploadtree (
  uploadtree_pk serial PRIMARY KEY, parent integer, realparent integer,
  upload_fk integer NOT NULL REFERENCES upload (upload_pk) ON DELETE CASCADE,
  pfile_fk integer, ufile_mode integer, lft integer, rgt integer, ufile_name text
);
CREATE TABLE uploadtree_a () INHERITS (uploadtree);
ALTER TABLE uploadtree_a ADD CONSTRAINT uploadtree_a_pkey PRIMARY KEY (uploadtree_pk);
CREATE INDEX uploadtree_a_upload_fk ON uploadtree_a (upload_fk);
CREATE TABLE job (
  job_pk serial PRIMARY KEY, job_queued timestamptz, job_priority integer NOT NULL DEFAULT 0,
  job_email_notify text, job_name text, job_upload_fk integer, job_folder_fk integer,
  job_user_fk integer, job_group_fk integer
);
CREATE TABLE jobqueue (
  jq_pk serial PRIMARY KEY, jq_job_fk integer NOT NULL REFERENCES job (job_pk) ON DELETE CASCADE,
  jq_type text NOT NULL, jq_args text, jq_starttime timestamptz, jq_endtime timestamptz, jq_endtext text,
  jq_end_bits smallint NOT NULL DEFAULT 0, jq_schedinfo text, jq_itemsprocessed integer DEFAULT 0,
  jq_log text, jq_runonpfile text, jq_host text, jq_cmd_args text
);
CREATE TABLE jobdepends (
  jdep_jq_fk integer REFERENCES jobqueue (jq_pk) ON DELETE CASCADE,
  jdep_jq_depends_fk integer REFERENCES jobqueue (jq_pk) ON DELETE CASCADE
);
CREATE TABLE ars_master (
  ars_pk serial PRIMARY KEY, agent_fk integer NOT NULL, upload_fk integer NOT NULL, ars_success boolean NOT NULL DEFAULT false,
  ars_status text, ars_starttime timestamptz NOT NULL DEFAULT now(), ars_endtime timestamptz
);
CREATE TABLE ununpack_ars () INHERITS (ars_master);
INSERT INTO groups (group_pk, group_name) VALUES (1, 'Default User'), (2, 'alice');
INSERT INTO users (user_pk, user_name, user_perm, group_fk) VALUES (1, 'fossy', 10, 1), (2, 'alice', 5, 2);
INSERT INTO agent (agent_pk, agent_name, agent_rev) VALUES (1, 'wget_agent', '4.7'), (2, 'ununpack', '4.7'), (3, 'adj2nest', '4.7');
SELECT setval('groups_group_pk_seq', 2); SELECT setval('users_user_pk_seq', 2); SELECT setval('agent_agent_pk_seq', 3);
"#;

/// The real crate archives the fixtures unpack (`testdata/fossology/archives`).
pub fn archives_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fossology/archives")
}

/// The uploads of the example installation: itoa and cfg-if uploaded as files (cfg-if in
/// its own `uploadtree_<n>` table), hex from a URL.
pub fn add_standard_uploads(f: &mut FossologyFixture) -> Result<()> {
    let a = archives_dir();
    f.add_upload_archive(&a.join("itoa-1.0.18.crate"), UploadOpts::default())?;
    f.add_upload_archive(&a.join("hex-0.4.3.crate"), UploadOpts { origin: Some("https://static.crates.io/crates/hex/hex-0.4.3.crate".into()), ..UploadOpts::default() })?;
    f.add_upload_archive(&a.join("cfg-if-1.0.4.crate"), UploadOpts { own_table: true, ..UploadOpts::default() })?;
    Ok(())
}

/// An installation written to a temporary directory, its database loaded into the shared
/// test server.
pub struct Case {
    pub tmp: tempfile::TempDir,
    pub inst: Installation,
    pub db: super::postgres::TestDb,
}

impl Case {
    pub fn new(fixture: FossologyFixture, name: &str) -> Case {
        let tmp = tempfile::tempdir().expect("temp dir");
        let inst = fixture.write(tmp.path()).expect("fixture written");
        let db = super::postgres::shared().create_database(name).expect("database");
        db.psql_file(&inst.sql()).expect("fixture loaded");
        Case { tmp, inst, db }
    }

    /// The example installation's uploads.
    pub fn standard(name: &str) -> Case {
        let mut f = FossologyFixture::new();
        add_standard_uploads(&mut f).expect("archives");
        Case::new(f, name)
    }
}
