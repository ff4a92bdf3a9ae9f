//! What the FOSSology database says the repository must hold, put in repository order.
//!
//! The tables are read once (from a server or a dump: see `engine::tables`), in whatever
//! order they come. `pfile` rows and the references to them (`uploadtree.pfile_fk`,
//! `upload.pfile_fk`) go through external sorts: joined by pfile id, then sorted by object
//! name. Memory holds only the uploads and the unfinished jobs, never the files.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};

use anyhow::{Context, Result};

use super::Rule;
use super::layout::ObjectKey;
use crate::details;
use crate::engine::extsort::{ExternalSorter, SortRecord, SortedIter, codec};
use crate::engine::sink::Sink;
use crate::engine::tables::{DbSource, EveryTable, Row, TableSink, TableSpec, read_tables_with};

/// Bytes each sort may hold in memory before spilling a run.
const SORT_BUDGET: usize = 48 << 20;

/// An upload as far as the repository is concerned.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// The gold object (`NULL` until wget_agent has imported it).
    pub pfile_fk: Option<i64>,
    pub user_fk: Option<i64>,
    pub mode: i64,
    pub origin: Option<String>,
    pub filename: String,
    /// Rows in `uploadtree` (and its child tables).
    pub tree_rows: u64,
    /// An `ununpack` jobqueue row for it has not ended.
    pub unpack_pending: bool,
    /// `upload_ts` (seconds since the epoch): when the upload row was made.
    pub ts: Option<i64>,
    /// An `ununpack` jobqueue row of it has ended: FOSSology has unpacked it once.
    pub unpack_ended: bool,
}

/// `upload_mode` bit: "ununpack complete without fatal errors" (`core-schema.dat`).
pub const MODE_UNPACKED: i64 = 1 << 5;
/// `upload_mode` bit: uploaded from a URL (`UploadUrlPage.php`, `UploadVcsPage.php`).
pub const MODE_URL: i64 = 1 << 2;

impl Upload {
    /// Whether the gold could be downloaded again: added from a URL, and the origin is one
    /// (`cp2foss` stores URLs under the file-upload mode, so the origin decides).
    pub fn refetchable(&self) -> bool {
        self.origin.as_deref().is_some_and(|o| o.contains("://"))
    }
}

/// A jobqueue row of any agent that has not ended: queued, or running (started).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenJob {
    pub jq_pk: i64,
    pub job: i64,
    /// The agent (`jq_type`: ununpack, adj2nest, delagent, wget_agent, nomos, …).
    pub agent: String,
    /// `jq_starttime` (seconds since the epoch) when the scheduler has started it.
    pub started: Option<i64>,
    /// The upload it works on: `job.job_upload_fk`, else what its arguments name.
    pub upload: Option<i64>,
}

impl OpenJob {
    /// "delagent job 20 (jobqueue 31, running since …)" for a message.
    pub fn describe(&self) -> String {
        match self.started {
            Some(t) => format!("{} job {} (jobqueue {}, running since {})", self.agent, self.job, self.jq_pk, format_epoch(t)),
            None => format!("{} job {} (jobqueue {}, queued)", self.agent, self.job, self.jq_pk),
        }
    }
}

/// The upload a jobqueue row's arguments name: FOSSology's agents take the upload id
/// (`ununpack`, `adj2nest`: `jq_args` = `<upload_pk>`, `src/lib/php/Plugin/AgentPlugin.php`),
/// delagent `DELETE UPLOAD <upload_pk>` (`DeleteUpload`, `src/lib/php/common-job.php`),
/// wget_agent `<upload_pk> - <url> …` (`UploadUrlPage.php`).
pub fn upload_of_args(args: &str) -> Option<i64> {
    let args = args.trim();
    let args = args.strip_prefix("DELETE UPLOAD ").unwrap_or(args);
    args.split(|c: char| c.is_whitespace()).next().and_then(|n| n.parse().ok())
}

/// PostgreSQL's text form of a `timestamptz` (`2026-11-01 10:00:02.123+00`, `+05:30`, or
/// without a zone for a `timestamp`) as seconds since the epoch.
pub fn parse_pg_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_once([' ', 'T'])?;
    let mut d = date.split('-');
    let (y, m, day): (i32, u8, u8) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    let zone_at = rest.find(['+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let clock = clock.split('.').next()?;
    let mut c = clock.split(':');
    let (h, min, sec): (u8, u8, u8) = (c.next()?.parse().ok()?, c.next()?.parse().ok()?, c.next().unwrap_or("0").parse().ok()?);
    let offset = if zone.is_empty() {
        0
    } else {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let mut z = zone[1..].split(':');
        let zh: i64 = z.next()?.parse().ok()?;
        let zm: i64 = z.next().unwrap_or("0").parse().ok()?;
        sign * (zh * 3600 + zm * 60)
    };
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, day).ok()?;
    let t = time::PrimitiveDateTime::new(date, time::Time::from_hms(h, min, sec).ok()?).assume_utc();
    Some(t.unix_timestamp() - offset)
}

/// Seconds since the epoch as `2026-11-01T10:00:02Z`.
pub fn format_epoch(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t).ok().and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_else(|| t.to_string())
}

/// A jobqueue row started and not ended.
#[derive(Debug, Clone)]
pub struct ActiveJob {
    pub jq_pk: i64,
    pub job: i64,
    pub jq_type: String,
    pub args: Option<String>,
    pub started: String,
    pub upload: Option<i64>,
}

/// One object name the database references, with every pfile row and upload behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbObject {
    pub key: ObjectKey,
    /// `pfile_pk`s with this name (several when they differ only in SHA-256).
    pub pfiles: Vec<i64>,
    /// Each pfile row's `pfile_sha256`, in the order of `pfiles` (`NULL` before FOSSology
    /// 3.6 and where its migration found no file).
    pub sha256: Vec<Option<[u8; 32]>>,
    /// Uploads whose `uploadtree` rows reference it.
    pub tree_uploads: Vec<i64>,
    /// Uploads whose `upload.pfile_fk` is it: it is their gold.
    pub gold_of: Vec<i64>,
}

impl DbObject {
    /// Every upload that needs the `files` object.
    pub fn all_uploads(&self) -> Vec<i64> {
        let mut all: Vec<i64> = self.tree_uploads.iter().chain(&self.gold_of).copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// What the database side of the check holds after reading.
pub struct Metadata {
    pub uploads: BTreeMap<i64, Upload>,
    pub active_jobs: Vec<ActiveJob>,
    /// Every jobqueue row not ended, of every agent.
    pub open_jobs: Vec<OpenJob>,
    pub objects: DbObjects,
    pub rows: u64,
    /// `user_pk` → `user_name`.
    pub users: HashMap<i64, String>,
}

const TABLES: &[TableSpec] = &[
    TableSpec { schema: "public", name: "pfile", children: None, columns: &["pfile_pk", "pfile_sha1", "pfile_md5", "pfile_size", "pfile_sha256"], optional: false },
    TableSpec { schema: "public", name: "upload", children: None, columns: &["upload_pk", "pfile_fk", "user_fk", "upload_mode", "upload_origin", "upload_filename", "upload_ts"], optional: false },
    // `uploadtree_a` and the `uploadtree_<upload_pk>` tables ununpack creates for big uploads.
    TableSpec { schema: "public", name: "uploadtree", children: Some(is_uploadtree_child), columns: &["upload_fk", "pfile_fk"], optional: false },
    TableSpec { schema: "public", name: "job", children: None, columns: &["job_pk", "job_upload_fk"], optional: false },
    TableSpec { schema: "public", name: "jobqueue", children: None, columns: &["jq_pk", "jq_job_fk", "jq_type", "jq_args", "jq_starttime", "jq_endtime", "jq_end_bits"], optional: false },
    // Owners, for the repair plan (the scheduler also skips jobs whose user is gone).
    TableSpec { schema: "public", name: "users", children: None, columns: &["user_pk", "user_name"], optional: true },
];

fn is_uploadtree_child(suffix: &str) -> bool {
    suffix == "a" || (!suffix.is_empty() && suffix.bytes().all(|c| c.is_ascii_digit()))
}

const PFILE: usize = 0;
const UPLOAD: usize = 1;
const UPLOADTREE: usize = 2;
const JOB: usize = 3;
const JOBQUEUE: usize = 4;
const USERS: usize = 5;

struct Reader<'s> {
    sink: &'s Sink,
    users: HashMap<i64, String>,
    pfiles: ExternalSorter<PfileRec>,
    refs: ExternalSorter<RefRec>,
    /// pfile rows whose checksums are not hex: no object can ever match them.
    invalid_pfiles: HashMap<i64, String>,
    uploads: BTreeMap<i64, Upload>,
    tree_rows: HashMap<i64, u64>,
    jobs: Vec<(i64, Option<i64>)>,
    active: Vec<ActiveJob>,
    open: Vec<OpenJob>,
    /// (upload from jq_args, job) of ununpack rows not ended.
    pending_unpacks: Vec<(Option<i64>, i64)>,
    /// The same of ununpack rows that ended.
    ended_unpacks: Vec<(Option<i64>, i64)>,
    rows: u64,
}

impl TableSink for Reader<'_> {
    fn row(&mut self, table: usize, row: &Row<'_, '_>) -> Result<()> {
        self.rows += 1;
        if self.rows.is_multiple_of(65536) {
            self.sink.stats.add_db_rows(65536);
        }
        match table {
            PFILE => {
                let pk = need(row.i64(0)?, "pfile.pfile_pk")?;
                let sha1 = row.str(1)?.unwrap_or_default();
                let md5 = row.str(2)?.unwrap_or_default();
                let size = row.i64(3)?.unwrap_or(-1);
                // Upper-case hex like the other two; a value that is not hex is as good as NULL.
                let sha256 = row.str(4)?.and_then(|h| {
                    let mut d = [0u8; 32];
                    hex::decode_to_slice(h.trim_end(), &mut d).ok().map(|_| d)
                });
                match ObjectKey::from_columns(sha1, md5, size) {
                    Some(key) => self.pfiles.push(PfileRec { pk, key, sha256 })?,
                    None => {
                        self.invalid_pfiles.insert(pk, format!("{}.{}.{size}", sha1.trim(), md5.trim()));
                    }
                }
            }
            UPLOAD => {
                let pk = need(row.i64(0)?, "upload.upload_pk")?;
                let pfile_fk = row.i64(1)?;
                if let Some(pfile) = pfile_fk {
                    self.refs.push(RefRec { pfile, upload: pk, gold: true })?;
                }
                let upload = Upload {
                    pfile_fk,
                    user_fk: row.i64(2)?,
                    mode: row.i64(3)?.unwrap_or(0),
                    origin: row.str(4)?.map(str::to_string),
                    filename: row.str(5)?.unwrap_or_default().to_string(),
                    ts: row.str(6)?.and_then(parse_pg_timestamp),
                    ..Upload::default()
                };
                self.uploads.insert(pk, upload);
            }
            UPLOADTREE => {
                let upload = need(row.i64(0)?, "uploadtree.upload_fk")?;
                *self.tree_rows.entry(upload).or_default() += 1;
                // ununpack leaves pfile_fk 0 (sometimes NULL) for directories and other
                // entries that are not regular files: they have no repository object.
                if let Some(pfile) = row.i64(1)?.filter(|&p| p > 0) {
                    self.refs.push(RefRec { pfile, upload, gold: false })?;
                }
            }
            JOB => {
                let pk = need(row.i64(0)?, "job.job_pk")?;
                self.jobs.push((pk, row.i64(1)?));
            }
            USERS => {
                if let (Some(pk), Some(name)) = (row.i64(0)?, row.str(1)?) {
                    self.users.insert(pk, name.to_string());
                }
            }
            JOBQUEUE => {
                let jq_pk = need(row.i64(0)?, "jobqueue.jq_pk")?;
                let job = row.i64(1)?.unwrap_or(0);
                let jq_type = row.str(2)?.unwrap_or_default();
                let args = row.str(3)?;
                let started = row.str(4)?;
                let ended = row.get(5).is_some();
                let failed = row.i64(6)?.unwrap_or(0) >= 2;
                if started.is_some() && !ended {
                    self.active.push(ActiveJob { jq_pk, job, jq_type: jq_type.to_string(), args: args.map(str::to_string), started: started.unwrap_or_default().to_string(), upload: None });
                }
                if !ended && !failed {
                    self.open.push(OpenJob { jq_pk, job, agent: jq_type.to_string(), started: started.and_then(parse_pg_timestamp), upload: args.and_then(upload_of_args) });
                }
                if jq_type == "ununpack" && !ended && !failed {
                    let upload = args.and_then(|a| a.trim().parse::<i64>().ok());
                    self.pending_unpacks.push((upload, job));
                }
                if jq_type == "ununpack" && ended {
                    self.ended_unpacks.push((args.and_then(|a| a.trim().parse::<i64>().ok()), job));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn need(v: Option<i64>, what: &str) -> Result<i64> {
    v.with_context(|| format!("{what} is NULL"))
}

/// Reads the tables and starts the name-ordered stream of referenced objects. Dangling
/// references (`pfile_fk` naming no pfile row) are reported here.
pub fn read(source: &DbSource, db_name: &str, sink: &Sink) -> Result<Metadata> {
    sink.stats.set_phase("reading the database");
    let mut reader = Reader {
        sink,
        pfiles: ExternalSorter::new(SORT_BUDGET),
        refs: ExternalSorter::new(SORT_BUDGET),
        invalid_pfiles: HashMap::new(),
        uploads: BTreeMap::new(),
        tree_rows: HashMap::new(),
        jobs: Vec::new(),
        active: Vec::new(),
        open: Vec::new(),
        pending_unpacks: Vec::new(),
        ended_unpacks: Vec::new(),
        users: HashMap::new(),
        rows: 0,
    };
    // With a manifest being recorded, every table of the database is digested in the
    // same pass (the same snapshot on a server).
    let mut every = sink.manifest().map(|m| m.tables_of("db"));
    let rows = read_tables_with(source, db_name, TABLES, &mut reader, every.as_mut().map(|e| e as &mut dyn EveryTable))?;
    sink.stats.add_db_rows(reader.rows % 65536);
    let Reader { pfiles, refs, invalid_pfiles, mut uploads, tree_rows, mut jobs, mut active, mut open, pending_unpacks, ended_unpacks, users, .. } = reader;

    for (upload, n) in tree_rows {
        if let Some(u) = uploads.get_mut(&upload) {
            u.tree_rows = n;
        }
    }
    jobs.sort_unstable();
    let job_upload = |job: i64| jobs.binary_search_by_key(&job, |j| j.0).ok().and_then(|i| jobs[i].1);
    for (upload, job) in ended_unpacks {
        if let Some(u) = upload.or_else(|| job_upload(job)).and_then(|id| uploads.get_mut(&id)) {
            u.unpack_ended = true;
        }
    }
    for (upload, job) in pending_unpacks {
        if let Some(u) = upload.or_else(|| job_upload(job)).and_then(|id| uploads.get_mut(&id)) {
            u.unpack_pending = true;
        }
    }
    for a in &mut active {
        a.upload = job_upload(a.job);
    }
    // The job's upload first (JobAddJob's job_upload_fk); its arguments where the job names none.
    for o in &mut open {
        o.upload = job_upload(o.job).filter(|&u| u > 0).or(o.upload);
    }

    sink.stats.set_phase("sorting the database references");
    let by_name = join(pfiles.finish()?, refs.finish()?, &invalid_pfiles, sink)?;
    Ok(Metadata { uploads, active_jobs: active, open_jobs: open, objects: DbObjects { inner: by_name.finish()?.peekable() }, rows, users })
}

/// Joins the references with the pfile rows (both sorted by pfile id) and sorts the result
/// by object name.
fn join(pfiles: SortedIter<PfileRec>, refs: SortedIter<RefRec>, invalid: &HashMap<i64, String>, sink: &Sink) -> Result<ExternalSorter<DbRec>> {
    let mut out = ExternalSorter::new(SORT_BUDGET);
    let mut pfiles = pfiles.peekable();
    let mut refs = refs.peekable();
    while let Some(first) = refs.next() {
        let first = first?;
        let pfile = first.pfile;
        let mut tree_uploads = Vec::new();
        let mut gold_of = Vec::new();
        let mut add = |r: &RefRec| {
            let list = if r.gold { &mut gold_of } else { &mut tree_uploads };
            if list.last() != Some(&r.upload) {
                list.push(r.upload);
            }
        };
        add(&first);
        while let Some(Ok(next)) = refs.peek() {
            if next.pfile != pfile {
                break;
            }
            add(next);
            refs.next();
        }
        if let Some(Err(_)) = refs.peek() {
            return Err(refs.next().and_then(Result::err).unwrap_or_else(|| anyhow::anyhow!("sort run error")));
        }
        // Advance the pfile rows to this id.
        let mut found = None;
        while let Some(p) = pfiles.peek() {
            match p {
                Err(_) => return Err(pfiles.next().and_then(Result::err).unwrap_or_else(|| anyhow::anyhow!("sort run error"))),
                Ok(p) if p.pk < pfile => {
                    pfiles.next();
                }
                Ok(p) if p.pk == pfile => {
                    found = Some((p.key, p.sha256));
                    break;
                }
                Ok(_) => break,
            }
        }
        match found {
            Some((key, sha256)) => out.push(DbRec { key, pk: pfile, sha256, tree_uploads, gold_of })?,
            None => report_bad_reference(pfile, invalid.get(&pfile), &tree_uploads, &gold_of, sink),
        }
    }
    Ok(out)
}

fn report_bad_reference(pfile: i64, invalid_name: Option<&String>, tree_uploads: &[i64], gold_of: &[i64], sink: &Sink) {
    let mut uploads: Vec<i64> = tree_uploads.iter().chain(gold_of).copied().collect();
    uploads.sort_unstable();
    uploads.dedup();
    match invalid_name {
        Some(name) => sink.emit(
            Rule::FileMissing,
            format!("pfile {pfile}"),
            format!("pfile {pfile} has checksums that are not hex ({name}): no repository object can match it"),
            details! { "pfile" => pfile, "name" => name, "uploads" => capped(&uploads), "upload_count" => uploads.len() },
            None,
        ),
        None => {
            let from = match (tree_uploads.is_empty(), gold_of.is_empty()) {
                (false, false) => "uploadtree.pfile_fk and upload.pfile_fk",
                (false, true) => "uploadtree.pfile_fk",
                _ => "upload.pfile_fk",
            };
            sink.emit(
                Rule::DanglingPfileRef,
                format!("pfile {pfile}"),
                format!("{from} of {} upload(s) names pfile {pfile}, which has no pfile row", uploads.len()),
                details! { "pfile" => pfile, "referenced_by" => from, "uploads" => capped(&uploads), "upload_count" => uploads.len(), "gold_of" => capped(gold_of) },
                None,
            );
        }
    }
}

/// Lists in details are capped; the count says how many there are.
pub fn capped(ids: &[i64]) -> Vec<i64> {
    ids.iter().take(100).copied().collect()
}

/// The referenced objects in name order, one entry per name.
pub struct DbObjects {
    inner: std::iter::Peekable<SortedIter<DbRec>>,
}

impl Iterator for DbObjects {
    type Item = Result<DbObject>;

    fn next(&mut self) -> Option<Result<DbObject>> {
        let first = match self.inner.next()? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let mut object = DbObject { key: first.key, pfiles: vec![first.pk], sha256: vec![first.sha256], tree_uploads: first.tree_uploads, gold_of: first.gold_of };
        while let Some(Ok(next)) = self.inner.peek() {
            if next.key != object.key {
                break;
            }
            let Some(Ok(next)) = self.inner.next() else { break };
            object.pfiles.push(next.pk);
            object.sha256.push(next.sha256);
            object.tree_uploads.extend(next.tree_uploads);
            object.gold_of.extend(next.gold_of);
        }
        if object.pfiles.len() > 1 {
            object.tree_uploads.sort_unstable();
            object.tree_uploads.dedup();
            object.gold_of.sort_unstable();
            object.gold_of.dedup();
        }
        Some(Ok(object))
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PfileRec {
    pk: i64,
    key: ObjectKey,
    sha256: Option<[u8; 32]>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RefRec {
    pfile: i64,
    upload: i64,
    gold: bool,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct DbRec {
    key: ObjectKey,
    pk: i64,
    sha256: Option<[u8; 32]>,
    tree_uploads: Vec<i64>,
    gold_of: Vec<i64>,
}

pub(super) fn put_key(out: &mut impl Write, key: &ObjectKey) -> io::Result<()> {
    out.write_all(&key.sha1)?;
    out.write_all(&key.md5)?;
    codec::put_u64(out, key.size)
}

fn put_sha256(out: &mut impl Write, sha256: &Option<[u8; 32]>) -> io::Result<()> {
    match sha256 {
        Some(d) => {
            out.write_all(&[1])?;
            out.write_all(d)
        }
        None => out.write_all(&[0]),
    }
}

fn get_sha256(input: &mut impl Read) -> io::Result<Option<[u8; 32]>> {
    let mut flag = [0u8];
    input.read_exact(&mut flag)?;
    if flag[0] == 0 {
        return Ok(None);
    }
    let mut d = [0u8; 32];
    input.read_exact(&mut d)?;
    Ok(Some(d))
}

pub(super) fn get_key(input: &mut impl Read) -> io::Result<ObjectKey> {
    let mut key = ObjectKey { sha1: [0; 20], md5: [0; 16], size: 0 };
    input.read_exact(&mut key.sha1)?;
    input.read_exact(&mut key.md5)?;
    key.size = codec::get_u64(input)?;
    Ok(key)
}

impl SortRecord for PfileRec {
    fn mem_size(&self) -> usize {
        0
    }
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        codec::put_i64(out, self.pk)?;
        put_key(out, &self.key)?;
        put_sha256(out, &self.sha256)
    }
    fn read_from(input: &mut impl Read) -> io::Result<Option<Self>> {
        let Some(pk) = codec::first_u64(input)? else { return Ok(None) };
        Ok(Some(PfileRec { pk: pk as i64, key: get_key(input)?, sha256: get_sha256(input)? }))
    }
}

impl SortRecord for RefRec {
    fn mem_size(&self) -> usize {
        0
    }
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        codec::put_i64(out, self.pfile)?;
        codec::put_i64(out, self.upload)?;
        out.write_all(&[u8::from(self.gold)])
    }
    fn read_from(input: &mut impl Read) -> io::Result<Option<Self>> {
        let Some(pfile) = codec::first_u64(input)? else { return Ok(None) };
        let upload = codec::get_i64(input)?;
        let mut gold = [0u8];
        input.read_exact(&mut gold)?;
        Ok(Some(RefRec { pfile: pfile as i64, upload, gold: gold[0] != 0 }))
    }
}

impl SortRecord for DbRec {
    fn mem_size(&self) -> usize {
        (self.tree_uploads.capacity() + self.gold_of.capacity()) * 8
    }
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        // The key first, so a clean end of the run is a clean end of a record.
        out.write_all(&self.key.size.to_le_bytes())?;
        out.write_all(&self.key.sha1)?;
        out.write_all(&self.key.md5)?;
        codec::put_i64(out, self.pk)?;
        put_sha256(out, &self.sha256)?;
        codec::put_i64s(out, &self.tree_uploads)?;
        codec::put_i64s(out, &self.gold_of)
    }
    fn read_from(input: &mut impl Read) -> io::Result<Option<Self>> {
        let Some(size) = codec::first_u64(input)? else { return Ok(None) };
        let mut key = ObjectKey { sha1: [0; 20], md5: [0; 16], size };
        input.read_exact(&mut key.sha1)?;
        input.read_exact(&mut key.md5)?;
        let pk = codec::get_i64(input)?;
        let sha256 = get_sha256(input)?;
        let tree_uploads = codec::get_i64s(input)?;
        let gold_of = codec::get_i64s(input)?;
        Ok(Some(DbRec { key, pk, sha256, tree_uploads, gold_of }))
    }
}
