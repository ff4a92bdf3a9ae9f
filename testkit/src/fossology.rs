//! FOSSology installations for tests, built from real archives the way FOSSology builds
//! them (`src/lib/c/libfossrepo.c`, `src/www/ui/core-schema.dat`, `src/wget_agent/agent`, `src/ununpack/agent`):
//! - wget_agent stores the uploaded file as the upload's `gold` object and hard-links the
//!   same inode into `files` (`fo_RepImport(…, 1)`); its pfile is `upload.pfile_fk`;
//! - ununpack gives every regular file it meets (the archive, the decompressed tar of a
//!   `.tar.gz`, every member, empty ones too) a `pfile` row and a `files` object named
//!   `sha1.md5.size`, and writes the `uploadtree` rows (shape: see [`unpack`]); adj2nest
//!   numbers them as a nested set. ununpack imports every one of them with
//!   `fo_RepImport(Source, "files", name, 1)` (`AddToRepository` in
//!   `src/ununpack/agent/utils.c`; its `fo_RepExist` asks for the name with the SHA-256 in
//!   it, which is never there): the link from its scratch directory works for a name not
//!   yet in `files` (mode 2664: `fo_RepImport` chmods the source `S_ISGID|0664` first);
//!   for a name already there — always the archive itself, wget_agent linked it — `link()`
//!   fails with EEXIST and the object is copied to `<name>.I` and renamed over it (mode
//!   2660, `fo_RepFwriteTmp`). So no gold shares its inode with a files object;
//! - directories are mode 2770 (`_RepMkDirs` makes them 0770, the setgid bit comes from the
//!   repository root, which `install/fo-postinstall` chmods 2770 after `chown -R
//!   <PROJECTUSER>:<PROJECTGROUP>`); everything is owned by the project user and group
//!   when the machine has them (see [`FossologyFixture::project`]);
//! - ununpack's scratch directory `<repository>/<hostname>/ununpack/` (`-d %R/%H/ununpack/%U`
//!   in `src/ununpack/ununpack.conf`) stays, empty, after `RemoveDir` of the upload's own
//!   `%U` directory; wget_agent's `<hostname>/wget/` likewise after a download from a URL;
//! - the database keeps hex in upper case; objects are named in lower case;
//! - the jobs that did this have ended well (`job`, `jobqueue`, `jobdepends`,
//!   `ununpack_ars`), and the scheduler kept their logs in the repository's `logs` type.
//!
//! The path arithmetic ([`layout`]) is written apart from `crate::fossology`, so a fixture
//! is an oracle for the product code, not a copy of it.

pub mod layout;
pub mod schema;
pub mod unpack;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use md5::Md5;
use sha1::{Digest, Sha1};

pub use layout::{HostEntry, RepoLayout};
pub use schema::SCHEMA;
use unpack::{BIT_ARTIFACT, Node, Origin};

/// `upload_mode` of a finished upload from a file (1<<3 web upload | 1<<5 unpacked |
/// 1<<6 nested): what the browse list shows (`FolderDao`).
pub const MODE_FILE: i64 = 104;
/// `upload_mode` of a finished upload from a URL (1<<2 wget | 1<<5 | 1<<6).
pub const MODE_URL: i64 = 100;
/// `agent_rev` of the agents that ran (`<version>.<commit>`, as the agents register it).
pub const AGENT_REV: &str = "4.7.1.a48620275";
/// `[FOSSOLOGY] path` written to `fossology.conf`; job logs name it in `jq_log`.
pub const CONF_PATH: &str = "/srv/fossology/repository";
/// The user a fresh installation has as its administrator (`user_pk` 2, `user_perm` 10).
pub const FOSSY: i64 = 2;
/// The machine's hostname (`%H` in the agents' command lines): the scratch directories are
/// `<repository>/<HOSTNAME>/ununpack` and `…/wget`.
pub const HOSTNAME: &str = "fossology";
/// Mode of repository directories, of objects linked into `files` (and of gold), and of
/// objects written by `fo_RepFwriteTmp` (an object ununpack copied over an existing one,
/// job logs).
pub const MODE_DIR: u32 = 0o2770;
pub const MODE_OBJECT: u32 = 0o2664;
pub const MODE_REWRITTEN: u32 = 0o2660;

/// How an upload is added.
#[derive(Debug, Clone)]
pub struct UploadOpts {
    /// `upload_origin`; a URL (`…://…`) makes it an upload from a URL. Default: the file name.
    pub origin: Option<String>,
    /// `upload_mode`; default [`MODE_URL`] for a URL origin, else [`MODE_FILE`].
    pub mode: Option<i64>,
    /// `user_fk`, the uploader (default [`FOSSY`]). A `user_pk` no `users` row has is
    /// allowed: an upload whose owner was deleted.
    pub user: i64,
    /// Put the upload's rows in its own `uploadtree_<upload_pk>` table, as ununpack does
    /// when the gold file is over 500 MB.
    pub own_table: bool,
    /// `upload_desc`.
    pub description: Option<String>,
}

impl Default for UploadOpts {
    fn default() -> Self {
        UploadOpts { origin: None, mode: None, user: FOSSY, own_table: false, description: None }
    }
}

impl UploadOpts {
    /// An upload from `url` (`upload_mode` [`MODE_URL`]).
    pub fn url(url: &str) -> UploadOpts {
        UploadOpts { origin: Some(url.to_string()), ..UploadOpts::default() }
    }
}

/// An object as FOSSology names it in the repository (lower-case hex).
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

    /// `sha1.md5.size`.
    pub fn name(&self) -> String {
        layout::object_name(&self.sha1, &self.md5, self.size)
    }
}

/// A `pfile` row, hex in upper case as FOSSology stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pfile {
    pub pk: i64,
    pub sha1: String,
    pub md5: String,
    pub sha256: String,
    pub size: u64,
}

impl Pfile {
    /// The repository name, `lower(sha1).lower(md5).size`.
    pub fn name(&self) -> String {
        layout::object_name(&self.sha1, &self.md5, self.size)
    }
}

/// An `uploadtree` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadtreeRow {
    pub uploadtree_pk: i64,
    pub parent: Option<i64>,
    /// The nearest ancestor that is not an artifact (`getItemParent`).
    pub realparent: Option<i64>,
    pub upload_fk: i64,
    /// 0 for directories, artifacts directories and symlinks.
    pub pfile_fk: i64,
    pub ufile_mode: i64,
    pub lft: i64,
    pub rgt: i64,
    pub ufile_name: String,
}

/// A `jobqueue` row (every one ended well: `jq_end_bits` 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobqueueRow {
    pub jq_pk: i64,
    pub jq_job_fk: i64,
    /// The agent: `wget_agent`, `ununpack`, `adj2nest`.
    pub jq_type: String,
    pub jq_args: String,
    pub jq_starttime: String,
    pub jq_endtime: String,
    pub jq_itemsprocessed: i64,
    /// The `jobdepends` row: the jobqueue row this one waited for.
    pub depends_on: Option<i64>,
    /// The log's object name in the repository's `logs` type (`%06d` of jq_pk), if kept.
    pub log: Option<String>,
}

/// A `users` row (each user has a group of the same name, as FOSSology makes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub user_pk: i64,
    pub user_name: String,
    /// 10 = administrator (`PLUGIN_DB_ADMIN`), 3 = write, 1 = read.
    pub user_perm: i64,
    pub group_fk: i64,
}

/// One upload of the built installation.
#[derive(Debug, Clone)]
pub struct UploadInfo {
    pub id: i64,
    pub filename: String,
    pub origin: String,
    pub mode: i64,
    pub user: i64,
    pub upload_ts: String,
    /// `upload.pfile_fk`: the gold file's pfile.
    pub pfile: i64,
    /// The gold object's name.
    pub gold: String,
    /// Every `files` object name of the upload, without repeats, the archive first.
    pub files: Vec<String>,
    /// The names of the objects unpacked from archives (not the upload's own file, nor a
    /// decompressed intermediate such as the `.tar` of a `.tar.gz`).
    pub members: Vec<String>,
    /// `upload.uploadtree_tablename`.
    pub uploadtree_table: String,
    /// The upload's `uploadtree` rows, by `uploadtree_pk`.
    pub tree: Vec<UploadtreeRow>,
    pub job: i64,
    pub jobqueue: Vec<JobqueueRow>,
    /// `upload_desc`.
    pub description: String,
}

impl UploadInfo {
    /// The rows with a pfile, i.e. the regular files (`pfile_fk > 0`).
    pub fn file_rows(&self) -> impl Iterator<Item = &UploadtreeRow> {
        self.tree.iter().filter(|r| r.pfile_fk > 0)
    }

    /// The full path of a row inside the upload (`a.tar.gz/artifact.dir/a.tar/…`).
    pub fn row_path(&self, uploadtree_pk: i64) -> String {
        let by_pk: BTreeMap<i64, &UploadtreeRow> = self.tree.iter().map(|r| (r.uploadtree_pk, r)).collect();
        let mut parts = Vec::new();
        let mut at = by_pk.get(&uploadtree_pk).copied();
        while let Some(row) = at {
            parts.push(row.ufile_name.as_str());
            at = row.parent.and_then(|p| by_pk.get(&p).copied());
        }
        parts.reverse();
        parts.join("/")
    }
}

/// Builds an installation: add users and uploads, then [`FossologyFixture::write`].
pub struct FossologyFixture {
    depth: u32,
    hosts: Vec<HostEntry>,
    /// Whether `fossology.conf` says `depth = …` (absent: FOSSology's code default 2).
    write_depth: bool,
    job_logs: bool,
    /// `[DIRECTORIES] PROJECTUSER` and `PROJECTGROUP`.
    project: (String, String),
    pfiles: Vec<Pfile>,
    contents: Vec<Vec<u8>>,
    by_name: BTreeMap<String, usize>,
    users: Vec<User>,
    uploads: Vec<UploadInfo>,
    next_uploadtree: i64,
    next_job: i64,
    next_jq: i64,
}

impl Default for FossologyFixture {
    fn default() -> Self {
        Self::new()
    }
}

const AGENTS: [(&str, &str); 3] = [("wget_agent", "Network downloader.  Uses wget(1)."), ("ununpack", "Unpacks archives (iso, tar, etc)"), ("adj2nest", "Adjacency List to Nested Set conversion")];

fn agent_pk(name: &str) -> i64 {
    AGENTS.iter().position(|(n, _)| *n == name).expect("a known agent") as i64 + 1
}

impl FossologyFixture {
    /// Depth 3, `localhost[] = * 00 ff` (the shipped configuration), users `Default User`
    /// (1) and `fossy` (2, administrator), job logs kept.
    pub fn new() -> Self {
        let shipped = RepoLayout::default();
        FossologyFixture {
            depth: shipped.depth,
            hosts: shipped.hosts,
            write_depth: true,
            job_logs: true,
            project: ("fossy".into(), "fossy".into()),
            pfiles: Vec::new(),
            contents: Vec::new(),
            by_name: BTreeMap::new(),
            users: vec![User { user_pk: 1, user_name: "Default User".into(), user_perm: 0, group_fk: 1 }, User { user_pk: 2, user_name: "fossy".into(), user_perm: 10, group_fk: 2 }],
            uploads: Vec::new(),
            next_uploadtree: 1,
            next_job: 1,
            next_jq: 1,
        }
    }

    /// `[FOSSOLOGY] depth` and the `[REPOSITORY]` entries (objects and logs are placed
    /// when written, so this may come before or after the uploads).
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

    /// No job logs in the repository's `logs` type and no `jq_log` (as if the logs were
    /// cleaned by `maintagent -l`, which sets `jq_log = 'removed'`; here they are NULL).
    pub fn without_job_logs(mut self) -> Self {
        self.job_logs = false;
        self
    }

    /// `[DIRECTORIES] PROJECTUSER` / `PROJECTGROUP` (default `fossy`, as installed). When the
    /// machine has them and the kit runs as root, the repository is owned by them, as
    /// `fo-postinstall`'s `chown -R` leaves it; else it stays the writer's.
    pub fn project(mut self, user: &str, group: &str) -> Self {
        self.project = (user.to_string(), group.to_string());
        self
    }

    /// Adds a user (and its group of the same name); returns its `user_pk`.
    pub fn add_user(&mut self, name: &str, perm: i64) -> i64 {
        let pk = self.users.iter().map(|u| u.user_pk).max().unwrap_or(0) + 1;
        let group = self.users.iter().map(|u| u.group_fk).max().unwrap_or(0) + 1;
        self.users.push(User { user_pk: pk, user_name: name.to_string(), user_perm: perm, group_fk: group });
        pk
    }

    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The pfile of `bytes`, inserted if new (lookup by sha1, md5 and size, as ununpack's
    /// `DBInsertPfile` does).
    fn pfile(&mut self, bytes: &[u8]) -> i64 {
        let o = Object::of(bytes);
        let name = o.name();
        if let Some(&i) = self.by_name.get(&name) {
            return self.pfiles[i].pk;
        }
        let pk = self.pfiles.len() as i64 + 1;
        self.pfiles.push(Pfile { pk, sha1: o.sha1.to_uppercase(), md5: o.md5.to_uppercase(), sha256: hex::encode_upper(sha2::Sha256::digest(bytes)), size: o.size });
        self.contents.push(bytes.to_vec());
        self.by_name.insert(name, self.pfiles.len() - 1);
        pk
    }

    /// Adds an upload of the archive at `path`.
    pub fn add_upload_archive(&mut self, path: &Path, opts: UploadOpts) -> Result<UploadInfo> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path.file_name().and_then(|n| n.to_str()).context("the archive's file name is not UTF-8")?.to_string();
        self.add_upload_bytes(&name, bytes, opts)
    }

    /// Adds an upload of `bytes` named `filename`. Gzip streams and tar archives are
    /// unpacked, recursively (recognised by content, as ununpack's libmagic does: a
    /// `.crate` is a gzip'd tar); anything else stays one file.
    pub fn add_upload_bytes(&mut self, filename: &str, bytes: Vec<u8>, opts: UploadOpts) -> Result<UploadInfo> {
        if filename.is_empty() || filename.contains('/') {
            bail!("'{filename}': an upload file name is a base name");
        }
        let id = self.uploads.len() as i64 + 1;
        let tree = unpack::upload_tree(filename, bytes)?;
        let origin = opts.origin.clone().unwrap_or_else(|| filename.to_string());
        let url = origin.contains("://");
        let mode = opts.mode.unwrap_or(if url { MODE_URL } else { MODE_FILE });
        let table = if opts.own_table { format!("uploadtree_{id}") } else { "uploadtree_a".to_string() };

        // wget_agent's pfile first, then ununpack's in the order it meets the files.
        let gold_pfile = self.pfile(tree.content.as_deref().expect("the upload is a file"));
        let mut rows = Vec::new();
        let mut counter = 0;
        let mut files = Vec::new();
        let mut members = Vec::new();
        self.emit(&tree, None, None, id, &mut counter, &mut rows, &mut files, &mut members);
        rows.sort_by_key(|r| r.uploadtree_pk);

        let at = base_time() + time::Duration::minutes(10 * (id - 1));
        let job = self.next_job;
        self.next_job += 1;
        // A URL upload's job is "wget" and starts with wget_agent; a web file upload ran
        // wget_agent from the UI (`UploadFilePage`) and names the job after the file.
        let mut agents: Vec<(&str, String)> = Vec::new();
        if mode & 4 != 0 {
            agents.push(("wget_agent", format!("{id} - {origin} -l 1 -R index.html* ")));
        }
        agents.push(("ununpack", id.to_string()));
        agents.push(("adj2nest", id.to_string()));
        let mut jobqueue: Vec<JobqueueRow> = Vec::new();
        for (k, (agent, args)) in agents.into_iter().enumerate() {
            let jq_pk = self.next_jq;
            self.next_jq += 1;
            let start = at + time::Duration::seconds(2 + 3 * k as i64);
            jobqueue.push(JobqueueRow {
                jq_pk,
                jq_job_fk: job,
                jq_type: agent.to_string(),
                jq_args: args,
                jq_starttime: timestamp(start),
                jq_endtime: timestamp(start + time::Duration::seconds(2)),
                jq_itemsprocessed: if agent == "wget_agent" { 1 } else { rows.len() as i64 },
                depends_on: jobqueue.last().map(|j| j.jq_pk),
                log: self.job_logs.then(|| format!("{jq_pk:06}")),
            });
        }
        let info = UploadInfo {
            id,
            filename: filename.to_string(),
            origin,
            mode,
            user: opts.user,
            upload_ts: timestamp(at),
            pfile: gold_pfile,
            gold: self.pfiles[gold_pfile as usize - 1].name(),
            files,
            members,
            uploadtree_table: table,
            tree: rows,
            job,
            jobqueue,
            description: opts.description.unwrap_or_default(),
        };
        self.uploads.push(info.clone());
        Ok(info)
    }

    /// Numbers `node` and its subtree in preorder (ununpack inserts parents first) and as a
    /// nested set (adj2nest).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        node: &Node,
        parent: Option<(i64, bool)>,
        realparent_of_parent: Option<i64>,
        upload: i64,
        counter: &mut i64,
        rows: &mut Vec<UploadtreeRow>,
        files: &mut Vec<String>,
        members: &mut Vec<String>,
    ) {
        let pk = self.next_uploadtree;
        self.next_uploadtree += 1;
        *counter += 1;
        let lft = *counter;
        let pfile = match &node.content {
            Some(bytes) => {
                let pk = self.pfile(bytes);
                let name = self.pfiles[pk as usize - 1].name();
                if !files.contains(&name) {
                    files.push(name.clone());
                }
                if node.origin == Origin::Member && !members.contains(&name) {
                    members.push(name);
                }
                pk
            }
            None => 0,
        };
        // getItemParent: the parent, unless it is an artifact, then that one's, and so on.
        let realparent = match parent {
            Some((p, false)) => Some(p),
            Some((_, true)) => realparent_of_parent,
            None => None,
        };
        let index = rows.len();
        rows.push(UploadtreeRow { uploadtree_pk: pk, parent: parent.map(|p| p.0), realparent, upload_fk: upload, pfile_fk: pfile, ufile_mode: node.mode, lft, rgt: 0, ufile_name: node.name.clone() });
        let me_artifact = node.mode & BIT_ARTIFACT != 0;
        for child in &node.children {
            self.emit(child, Some((pk, me_artifact)), realparent, upload, counter, rows, files, members);
        }
        *counter += 1;
        rows[index].rgt = *counter;
    }
}

impl FossologyFixture {
    pub fn repo_layout(&self) -> RepoLayout {
        RepoLayout::new(self.depth, self.hosts.clone())
    }

    /// The uploads added so far.
    pub fn uploads(&self) -> &[UploadInfo] {
        &self.uploads
    }

    /// `fossology.sql`: [`SCHEMA`], then the rows, loadable with psql into an empty
    /// database; sequences are set past the rows, so `nextval` gives new keys.
    pub fn sql(&self) -> String {
        let mut s = String::from(SCHEMA);
        let copy = |s: &mut String, table: &str, columns: &str, rows: &mut dyn Iterator<Item = Vec<String>>| {
            let _ = writeln!(s, "\nCOPY {table} ({columns}) FROM stdin;");
            for row in rows {
                s.push_str(&row.join("\t"));
                s.push('\n');
            }
            s.push_str("\\.\n");
        };
        let at = timestamp(base_time() - time::Duration::days(1));
        copy(
            &mut s,
            "agent",
            "agent_pk, agent_name, agent_rev, agent_desc, agent_enabled, agent_parms, agent_ts",
            &mut AGENTS.iter().enumerate().map(|(i, (name, desc))| vec![(i + 1).to_string(), text(name), text(AGENT_REV), text(desc), "t".into(), NULL.into(), at.clone()]),
        );
        let extra: Vec<&User> = self.users.iter().filter(|u| u.user_pk > FOSSY).collect();
        copy(&mut s, "groups", "group_pk, group_name", &mut extra.iter().map(|u| vec![u.group_fk.to_string(), text(&u.user_name)]));
        copy(
            &mut s,
            "users",
            "user_pk, user_name, root_folder_fk, user_desc, user_seed, user_pass, user_perm, user_email, email_notify, group_fk",
            &mut extra.iter().map(|u| {
                vec![
                    u.user_pk.to_string(),
                    text(&u.user_name),
                    "1".into(),
                    text(&format!("{} (test kit)", u.user_name)),
                    "Seed".into(),
                    NULL.into(),
                    u.user_perm.to_string(),
                    text(&format!("{}@example.org", u.user_name)),
                    "y".into(),
                    u.group_fk.to_string(),
                ]
            }),
        );
        copy(
            &mut s,
            "pfile",
            "pfile_pk, pfile_md5, pfile_sha1, pfile_sha256, pfile_size, pfile_mimetypefk",
            &mut self.pfiles.iter().map(|p| vec![p.pk.to_string(), p.md5.clone(), p.sha1.clone(), p.sha256.clone(), p.size.to_string(), NULL.into()]),
        );
        copy(
            &mut s,
            "upload",
            "upload_pk, upload_desc, upload_filename, user_fk, upload_mode, upload_ts, pfile_fk, upload_origin, uploadtree_tablename, expire_date, expire_action, public_perm",
            &mut self.uploads.iter().map(|u| {
                vec![
                    u.id.to_string(),
                    text(&u.description),
                    text(&u.filename),
                    u.user.to_string(),
                    u.mode.to_string(),
                    u.upload_ts.clone(),
                    u.pfile.to_string(),
                    text(&u.origin),
                    u.uploadtree_table.clone(),
                    NULL.into(),
                    NULL.into(),
                    "0".into(),
                ]
            }),
        );
        let tree_columns = "uploadtree_pk, parent, realparent, upload_fk, pfile_fk, ufile_mode, lft, rgt, ufile_name";
        let tree_row = |r: &UploadtreeRow| {
            vec![
                r.uploadtree_pk.to_string(),
                opt(r.parent),
                opt(r.realparent),
                r.upload_fk.to_string(),
                r.pfile_fk.to_string(),
                r.ufile_mode.to_string(),
                r.lft.to_string(),
                r.rgt.to_string(),
                text(&r.ufile_name),
            ]
        };
        copy(&mut s, "uploadtree_a", tree_columns, &mut self.uploads.iter().filter(|u| u.uploadtree_table == "uploadtree_a").flat_map(|u| u.tree.iter().map(tree_row)));
        for u in self.uploads.iter().filter(|u| u.uploadtree_table != "uploadtree_a") {
            // ununpack's own words (ununpack.c, for a gold file over 500 MB).
            let t = &u.uploadtree_table;
            let _ = writeln!(
                s,
                "\nCREATE TABLE {t} (LIKE uploadtree INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES); ALTER TABLE {t} ADD CONSTRAINT {t} CHECK (upload_fk={}); ALTER TABLE {t} INHERIT uploadtree;",
                u.id
            );
            copy(&mut s, t, tree_columns, &mut u.tree.iter().map(tree_row));
        }
        let group_of = |user: i64| self.users.iter().find(|u| u.user_pk == user).map_or(NULL.to_string(), |u| u.group_fk.to_string());
        copy(
            &mut s,
            "job",
            "job_pk, job_queued, job_priority, job_email_notify, job_name, job_upload_fk, job_folder_fk, job_user_fk, job_group_fk",
            &mut self.uploads.iter().map(|u| {
                let name = if u.mode & 4 != 0 { "wget".to_string() } else { u.filename.clone() };
                vec![
                    u.job.to_string(),
                    timestamp(parse_ts(&u.upload_ts) + time::Duration::seconds(1)),
                    "0".into(),
                    NULL.into(),
                    text(&name),
                    u.id.to_string(),
                    NULL.into(),
                    u.user.to_string(),
                    group_of(u.user),
                ]
            }),
        );
        copy(
            &mut s,
            "jobqueue",
            "jq_pk, jq_job_fk, jq_type, jq_args, jq_starttime, jq_endtime, jq_endtext, jq_end_bits, jq_schedinfo, jq_itemsprocessed, jq_log, jq_runonpfile, jq_host, jq_cmd_args",
            &mut self.uploads.iter().flat_map(|u| u.jobqueue.iter()).map(|q| {
                let log = q.log.as_ref().map_or(NULL.to_string(), |name| text(&format!("{CONF_PATH}/{}", log_rel_path(self.depth, name))));
                vec![
                    q.jq_pk.to_string(),
                    q.jq_job_fk.to_string(),
                    text(&q.jq_type),
                    text(&q.jq_args),
                    q.jq_starttime.clone(),
                    q.jq_endtime.clone(),
                    "Completed".into(),
                    "1".into(),
                    NULL.into(),
                    q.jq_itemsprocessed.to_string(),
                    log,
                    NULL.into(),
                    "localhost".into(),
                    NULL.into(),
                ]
            }),
        );
        copy(
            &mut s,
            "jobdepends",
            "jdep_jq_fk, jdep_jq_depends_fk",
            &mut self.uploads.iter().flat_map(|u| u.jobqueue.iter()).filter_map(|q| q.depends_on.map(|d| vec![q.jq_pk.to_string(), d.to_string()])),
        );
        copy(
            &mut s,
            "ununpack_ars",
            "ars_pk, agent_fk, upload_fk, ars_success, ars_status, ars_starttime, ars_endtime",
            &mut self.uploads.iter().enumerate().map(|(i, u)| {
                let q = u.jobqueue.iter().find(|q| q.jq_type == "ununpack").expect("every upload was unpacked");
                vec![(i + 1).to_string(), agent_pk("ununpack").to_string(), u.id.to_string(), "t".into(), NULL.into(), q.jq_starttime.clone(), q.jq_endtime.clone()]
            }),
        );
        s.push('\n');
        for (seq, last) in [
            ("agent_agent_pk_seq", AGENTS.len() as i64),
            ("group_group_pk_seq", self.users.iter().map(|u| u.group_fk).max().unwrap_or(0)),
            ("users_user_pk_seq", self.users.iter().map(|u| u.user_pk).max().unwrap_or(0)),
            ("pfile_pfile_pk_seq", self.pfiles.len() as i64),
            ("upload_upload_pk_seq", self.uploads.len() as i64),
            ("uploadtree_uploadtree_pk_seq", self.next_uploadtree - 1),
            ("job_job_pk_seq", self.next_job - 1),
            ("jobqueue_jq_pk_seq", self.next_jq - 1),
            ("nomos_ars_ars_pk_seq", self.uploads.len() as i64),
        ] {
            let _ = writeln!(s, "SELECT pg_catalog.setval('{seq}', {}, {});", last.max(1), last > 0);
        }
        s
    }

    /// Writes the installation under `dir`: `repository/<host>/<type>/…` (gold and files
    /// copies of an upload's file as separate files, as ununpack leaves them), job logs
    /// under `repository/logs`, the empty scratch directories, FOSSology's modes and owners;
    /// `etc/fossology.conf`, `etc/Db.conf`, and `fossology.sql`.
    pub fn write(&self, dir: &Path) -> Result<Installation> {
        let repo = dir.join("repository");
        std::fs::create_dir_all(&repo).with_context(|| format!("cannot create {}", repo.display()))?;
        let inst = Installation {
            dir: dir.to_path_buf(),
            repo: repo.clone(),
            depth: self.depth,
            hosts: self.hosts.clone(),
            uploads: self.uploads.clone(),
            pfiles: self.pfiles.clone(),
            users: self.users.clone(),
            project: self.project.clone(),
        };
        let put = |path: &Path, bytes: &[u8]| -> Result<()> {
            std::fs::create_dir_all(path.parent().expect("below the repository")).with_context(|| format!("cannot create the directory of {}", path.display()))?;
            std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
        };
        // Objects ununpack copied over an existing name (mode 2660); the others were linked
        // in (2664). Upload by upload, in the order ununpack meets the files.
        let mut rewritten = std::collections::BTreeSet::new();
        let mut present = std::collections::BTreeSet::new();
        for upload in &self.uploads {
            // wget_agent: gold, and files linked to it; ununpack then copies over the latter.
            let gold = inst.path_of("gold", &upload.gold);
            if !gold.exists() {
                put(&gold, &self.contents[upload.pfile as usize - 1])?;
            }
            present.insert(upload.gold.clone());
            for row in upload.file_rows() {
                let name = self.pfiles[row.pfile_fk as usize - 1].name();
                if !present.insert(name.clone()) {
                    rewritten.insert(inst.path_of("files", &name));
                }
            }
        }
        for (pfile, bytes) in self.pfiles.iter().zip(&self.contents) {
            let path = inst.path_of("files", &pfile.name());
            if !path.exists() {
                put(&path, bytes)?;
            }
        }
        let mut logs = Vec::new();
        for upload in &self.uploads {
            for q in &upload.jobqueue {
                if let Some(name) = &q.log {
                    let path = repo.join(log_rel_path(self.depth, name));
                    put(&path, job_log(upload, q).as_bytes())?;
                    logs.push(path);
                }
            }
        }
        std::fs::create_dir_all(repo.join(HOSTNAME).join("ununpack"))?;
        if self.uploads.iter().any(|u| u.mode & 4 != 0) {
            std::fs::create_dir_all(repo.join(HOSTNAME).join("wget"))?;
        }
        let owner = (lookup_id("/etc/passwd", &self.project.0), lookup_id("/etc/group", &self.project.1));
        set_modes(&repo, &|p: &Path| if rewritten.contains(p) || logs.iter().any(|l| l == p) { MODE_REWRITTEN } else { MODE_OBJECT }, owner)?;
        std::fs::create_dir_all(dir.join("etc"))?;
        std::fs::write(inst.conf(), self.conf_text()).context("cannot write fossology.conf")?;
        std::fs::write(dir.join("etc/Db.conf"), "dbname=fossology;\nhost=localhost;\nuser=fossy;\npassword=fossy;\nclient_encoding=utf8;\n").context("cannot write Db.conf")?;
        std::fs::write(inst.sql(), self.sql()).context("cannot write fossology.sql")?;
        Ok(inst)
    }

    /// `fossology.conf` as installed from source (`install/defconf/fossology.conf.in`),
    /// with this fixture's depth and `[REPOSITORY]`.
    pub fn conf_text(&self) -> String {
        let mut c = String::from("; FOSSology configuration (written by the repocheck test kit)\n\n[FOSSOLOGY]\nport = 24693\naddress = localhost\n");
        if self.write_depth {
            let _ = writeln!(c, "depth = {}", self.depth);
        }
        let _ = writeln!(c, "path = {CONF_PATH}\n\n[HOSTS]\nlocalhost = localhost /usr/local/etc/fossology 10\n\n[REPOSITORY]");
        for h in &self.hosts {
            let _ = writeln!(c, "{}", h.conf_line());
        }
        let _ = write!(
            c,
            "\n[DIRECTORIES]\nPROJECT=fossology\nPROJECTGROUP={}\nPROJECTUSER={}\nPREFIX=/usr/local\nLIBEXECDIR=$PREFIX/lib/$PROJECT\nMODDIR=$PREFIX/share/$PROJECT\nLOGDIR=/var/log/$PROJECT\n",
            self.project.1, self.project.0
        );
        c
    }
}

/// Where the scheduler writes the log of jobqueue row `name` (`%06d`): `job_log()` in
/// `src/scheduler/agent/job.c` calls `fo_RepMkPath("logs", name)`, whose `_RepGetHost`
/// reads the global `sysconfig`, which the scheduler never sets (it keeps its configuration
/// in `scheduler->sysconfig`): no host matches and the path has no host part,
/// `logs/00/00/04/000004` at depth 3.
pub fn log_rel_path(depth: u32, name: &str) -> String {
    RepoLayout::new(depth, Vec::new()).rel_path("logs", name).expect("a valid log name")
}

/// The numeric id of `name` in `/etc/passwd` or `/etc/group` (`name:x:id:…`), or `name`
/// itself when it is a number.
pub fn lookup_id(file: &str, name: &str) -> Option<u32> {
    if let Ok(id) = name.parse() {
        return Some(id);
    }
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next() == Some(name)).then(|| f.nth(1).and_then(|id| id.parse().ok())).flatten()
    })
}

/// Directories 2770, files as `mode_of` says, and (when given and permitted) the owner.
fn set_modes(dir: &Path, mode_of: &dyn Fn(&Path) -> u32, owner: (Option<u32>, Option<u32>)) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let chown = |p: &Path| {
        if owner.0.is_some() || owner.1.is_some() {
            // Not root: the entries stay the writer's.
            let _ = std::os::unix::fs::lchown(p, owner.0, owner.1);
        }
    };
    chown(dir);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(MODE_DIR))?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            set_modes(&path, mode_of, owner)?;
        } else {
            chown(&path);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode_of(&path)))?;
        }
    }
    Ok(())
}

/// A job log as the scheduler keeps it (`job_log()` in `src/scheduler/agent/job.c`: the
/// file `%06d` of jq_pk in the `logs` type, see [`log_rel_path`]). The lines stand in for the agent's output.
fn job_log(upload: &UploadInfo, q: &JobqueueRow) -> String {
    let what = match q.jq_type.as_str() {
        "wget_agent" => format!("upload {} fetched from {}", upload.id, upload.origin),
        "ununpack" => format!("upload {}: {} items unpacked", upload.id, upload.tree.len()),
        _ => format!("upload {}: {} items nested", upload.id, upload.tree.len()),
    };
    format!(
        "{} scheduler [1] :: JOB[{}].{}[0.localhost]: started\n{} {} :: {what}\n{} scheduler [1] :: JOB[{}].{}[0.localhost]: completed\n",
        q.jq_starttime, q.jq_pk, q.jq_type, q.jq_starttime, q.jq_type, q.jq_endtime, q.jq_pk, q.jq_type
    )
}

const NULL: &str = "\\N";

/// A COPY text value.
fn text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n").replace('\r', "\\r")
}

fn opt(v: Option<i64>) -> String {
    v.map_or(NULL.to_string(), |v| v.to_string())
}

fn base_time() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-01 10:00:00 UTC)
}

fn timestamp(t: time::OffsetDateTime) -> String {
    t.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]+00")).expect("formattable")
}

fn parse_ts(s: &str) -> time::OffsetDateTime {
    time::PrimitiveDateTime::parse(s.trim_end_matches("+00"), time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]")).expect("a time this kit wrote").assume_utc()
}

/// A written installation.
#[derive(Debug, Clone)]
pub struct Installation {
    pub dir: PathBuf,
    pub repo: PathBuf,
    pub depth: u32,
    pub hosts: Vec<HostEntry>,
    pub uploads: Vec<UploadInfo>,
    /// Every `pfile` row, by `pfile_pk`.
    pub pfiles: Vec<Pfile>,
    pub users: Vec<User>,
    /// `[DIRECTORIES] PROJECTUSER` and `PROJECTGROUP`.
    pub project: (String, String),
}

impl Installation {
    pub fn conf(&self) -> PathBuf {
        self.dir.join("etc/fossology.conf")
    }

    pub fn sql(&self) -> PathBuf {
        self.dir.join("fossology.sql")
    }

    pub fn layout(&self) -> RepoLayout {
        RepoLayout::new(self.depth, self.hosts.clone())
    }

    /// The host `fo_RepMkPath` writes `name` of `object_type` to.
    pub fn host_of(&self, object_type: &str, name: &str) -> Option<String> {
        self.layout().hosts_for(object_type, name).first().map(|h| h.to_string())
    }

    /// Where FOSSology keeps `name` of `object_type`, relative to the repository.
    pub fn rel_path(&self, object_type: &str, name: &str) -> String {
        self.layout().rel_path(object_type, name).unwrap_or_else(|| panic!("FOSSology has no path for {object_type} '{name}'"))
    }

    pub fn path_of(&self, object_type: &str, name: &str) -> PathBuf {
        self.repo.join(self.rel_path(object_type, name))
    }

    pub fn upload(&self, id: i64) -> &UploadInfo {
        self.uploads.iter().find(|u| u.id == id).unwrap_or_else(|| panic!("no upload {id}"))
    }

    pub fn pfile(&self, pk: i64) -> &Pfile {
        &self.pfiles[pk as usize - 1]
    }

    /// The pfile whose object is `name` (`sha1.md5.size`).
    pub fn pfile_named(&self, name: &str) -> Option<&Pfile> {
        self.pfiles.iter().find(|p| p.name() == name.to_ascii_lowercase())
    }

    /// The pfiles an upload references (`upload.pfile_fk` first, then its `uploadtree`
    /// rows'), without repeats.
    pub fn pfiles_of(&self, upload: i64) -> Vec<&Pfile> {
        let u = self.upload(upload);
        let mut pks = vec![u.pfile];
        for r in u.file_rows() {
            if !pks.contains(&r.pfile_fk) {
                pks.push(r.pfile_fk);
            }
        }
        pks.into_iter().map(|pk| self.pfile(pk)).collect()
    }

    /// Deletes an object, as a lost file or an incomplete copy would.
    pub fn remove_object(&self, object_type: &str, name: &str) -> Result<PathBuf> {
        let path = self.path_of(object_type, name);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        Ok(path)
    }

    /// Cuts an object to `len` bytes (an interrupted copy). Breaks a hard link first, so
    /// only this copy changes.
    pub fn truncate_object(&self, object_type: &str, name: &str, len: u64) -> Result<PathBuf> {
        let path = self.unshare(object_type, name)?;
        std::fs::OpenOptions::new().write(true).open(&path)?.set_len(len)?;
        Ok(path)
    }

    /// Flips the bits of an object's first byte (bit rot; the size stays). Breaks a hard
    /// link first, so only this copy changes.
    pub fn corrupt_object(&self, object_type: &str, name: &str) -> Result<PathBuf> {
        let path = self.unshare(object_type, name)?;
        let mut bytes = std::fs::read(&path)?;
        let Some(first) = bytes.first_mut() else { bail!("{} is empty: nothing to corrupt", path.display()) };
        *first = !*first;
        std::fs::write(&path, bytes)?;
        Ok(path)
    }

    /// Replaces the object by a copy of itself: what a copy without `rsync -H` does to the
    /// gold/files pair of an upload.
    pub fn unshare(&self, object_type: &str, name: &str) -> Result<PathBuf> {
        let path = self.path_of(object_type, name);
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        std::fs::remove_file(&path)?;
        std::fs::write(&path, bytes)?;
        Ok(path)
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

/// The real crate archives the fixtures unpack (`testdata/fossology/archives`).
pub fn archives_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fossology/archives")
}

/// The uploads of the example installation: itoa uploaded as a file, hex from its
/// crates.io URL, cfg-if as a file with its rows in its own `uploadtree_3` table.
pub fn add_standard_uploads(f: &mut FossologyFixture) -> Result<()> {
    let a = archives_dir();
    f.add_upload_archive(&a.join("itoa-1.0.18.crate"), UploadOpts::default())?;
    f.add_upload_archive(&a.join("hex-0.4.3.crate"), UploadOpts::url("https://static.crates.io/crates/hex/hex-0.4.3.crate"))?;
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

/// Writes the bundled example installation into `dir` (emptied first): the standard
/// uploads, and instead of `fossology.sql` a real backup of it, `fossology.sql.gz` =
/// `pg_dumpall | gzip` of a server `server` where it was loaded as database `fossology`.
/// `server` should be a fresh one ([`super::postgres::TestServer::start`]), so the dump
/// holds nothing else.
pub fn write_example(dir: &Path, server: &super::postgres::TestServer) -> Result<Installation> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    let mut f = FossologyFixture::new();
    add_standard_uploads(&mut f)?;
    let inst = f.write(dir)?;
    let db = server.database("fossology");
    db.create()?;
    db.psql_file(&inst.sql())?;
    db.pg_dumpall_gzip(&dir.join("fossology.sql.gz"))?;
    std::fs::remove_file(inst.sql())?;
    Ok(inst)
}

/// The README of `testdata/fossology/`, listing the example's uploads and pfiles.
pub fn example_readme(inst: &Installation) -> String {
    let mut r = String::from(
        "# FOSSology test data\n\n\
         - `archives/` — real crates from crates.io (MIT/Apache-2.0): `itoa-1.0.18.crate`,\n  \
         `hex-0.4.3.crate`, `cfg-if-1.0.4.crate`. The test kit unpacks them as FOSSology's\n  \
         ununpack would (`src/testkit/fossology.rs`).\n\
         - `example/` — a small installation made from them, the way FOSSology makes one:\n  \
         - `repository/` — `[FOSSOLOGY] depth = 3`, one host `localhost` (`localhost[] = * 00 ff`):\n    \
         `localhost/gold/` holds each upload's archive, `localhost/files/` every regular file\n    \
         of every upload (archive, decompressed tar, members), each archive's `gold` and\n    \
         `files` copies separate files, as ununpack leaves them; `logs/` the scheduler's job\n    \
         logs (no host part, as `job_log()` makes the path). When generated, the kit also\n    \
         leaves the empty scratch directory `fossology/ununpack/` (and `fossology/wget/`),\n    \
         directories mode 2770, objects 2664 (2660 where ununpack rewrote one) and the project\n    \
         user and group `fossy` as owner where the machine has them; git keeps none of these.\n  \
         - `etc/fossology.conf`, `etc/Db.conf` — as installed from source.\n  \
         - `fossology.sql.gz` — a real `pg_dumpall | gzip` of a PostgreSQL server on which the\n    \
         kit's `fossology.sql` was loaded into database `fossology` (the dump also holds\n    \
         `postgres` and `template1`, as a real backup does).\n\n\
         Rebuild (needs PostgreSQL's server binaries):\n\n\
         ```sh\ncargo test --test testkit -- --ignored regenerate_example\n```\n\n\
         `tests/testkit.rs` checks that the committed tree and this list are what the kit\n\
         writes.\n\n## Uploads\n\n\
         | upload | file | from | upload_mode | uploadtree table | pfile | rows | files objects |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for u in &inst.uploads {
        let from = if u.mode & 4 != 0 { format!("URL `{}`", u.origin) } else { "file".to_string() };
        let _ = writeln!(r, "| {} | `{}` | {from} | {} | `{}` | {} | {} | {} |", u.id, u.filename, u.mode, u.uploadtree_table, u.pfile, u.tree.len(), u.files.len());
    }
    r.push_str("\n## pfiles\n\nObject names are `sha1.md5.size`; the object is at\n`repository/localhost/files/<n1n2>/<n3n4>/<n5n6>/<name>` (and the gold ones also under `gold/`).\n\n| pfile | upload | path in the upload | object |\n|---|---|---|---|\n");
    let mut seen = std::collections::BTreeSet::new();
    for u in &inst.uploads {
        for row in std::iter::once(None).chain(u.file_rows().map(Some)) {
            let (pk, path) = match row {
                None => (u.pfile, format!("`{}` (gold)", u.filename)),
                Some(r) => (r.pfile_fk, format!("`{}`", u.row_path(r.uploadtree_pk))),
            };
            if row.is_some() && pk == u.pfile {
                continue;
            }
            let first = seen.insert(pk);
            let name = if first { format!("`{}`", inst.pfile(pk).name()) } else { "(above)".to_string() };
            let _ = writeln!(r, "| {pk} | {} | {path} | {name} |", u.id);
        }
    }
    r
}
