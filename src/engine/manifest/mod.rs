//! Restore proof: a manifest of everything a check read, recorded at the pre-backup audit
//! (`--manifest-out`) and compared after a restore (`--against`).
//!
//! A consistency check cannot tell a complete restore from one that lost a whole upload,
//! rows and files alike, or that brought back last week's database with last week's files:
//! both copies are consistent. The manifest closes that gap, as `pg_verifybackup` does for
//! a physical PostgreSQL backup with its backup manifest, for an application's database
//! plus its files:
//! - every file of each input tree (path relative to its root, type, size, BLAKE3; objects
//!   whose name is their content address by name and size),
//! - every table of each database input (schema-qualified name, columns, row count, and an
//!   order-independent digest of its rows that a live server and every dump format give
//!   alike: [`table::TableDigest`]),
//! - and a checksum of the manifest itself, so a damaged or edited manifest is refused.
//!
//! The format (`repocheck-manifest/1`, documented in `reports/manifest.md`) is gzip-
//! compressed JSON Lines in a fixed order, written and compared as the walk goes: memory
//! stays flat at millions of files.

mod compare;
pub mod format;
pub mod table;
pub mod walk;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Result;
use serde::{Deserialize, Serialize};

pub use compare::Comparer;
pub use format::{Header, ManifestReader, ManifestWriter};

crate::product_rules! {
    /// The rules of a comparison with a manifest (`rules/manifest.toml`), the same for
    /// every product.
    pub enum Rule for "manifest" {
        /// A file the manifest lists is not there.
        FileMissing = "file-missing",
        /// A file's type, size or digest is not what the manifest recorded.
        FileChanged = "file-changed",
        /// A file the manifest does not list.
        FileAdded = "file-added",
        /// A table the manifest lists is not in the database.
        TableMissing = "table-missing",
        /// A table's row count or row digest is not what the manifest recorded.
        TableRowsDiffer = "table-rows-differ",
        /// A table the manifest does not list.
        TableAdded = "table-added",
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../../rules/manifest.toml");

/// The manifest rules as the catalogue sees them.
pub const RULES: crate::engine::rules::ProductRules = crate::engine::rules::ProductRules {
    name: "manifest",
    rules_toml: RULES_TOML,
    ids: <Rule as crate::engine::rules::RuleCode>::IDS,
    validate: |_| Ok(()),
    unit_of: plan_unit,
    action: crate::engine::plan::generic_action,
};

/// A manifest finding's plan unit: the input it is about (`repo`, `db`, `controller`).
fn plan_unit(f: &crate::engine::finding::Finding) -> Option<crate::engine::plan::Unit> {
    let input = f.details.get("input").and_then(serde_json::Value::as_str)?;
    let bytes = f.details.get("size").and_then(serde_json::Value::as_u64).unwrap_or(0);
    Some(crate::engine::plan::Unit { unit: "restored input", key: input.to_string(), bytes })
}

/// One input of a check that a manifest records: a directory tree, a single file, or an
/// archive (`.tar`, `.tar.gz`) whose members stand for a tree.
#[derive(Debug, Clone)]
pub struct Input {
    /// The input's name in the manifest (`repo`, `controller`, `agent /agent-1`); also the
    /// prefix of finding subjects, except for a product's main tree, whose subjects are
    /// its relative paths as the product's own findings name them ([`Input::main`]).
    pub name: String,
    pub path: PathBuf,
    pub kind: InputKind,
    /// Paths (relative) of files whose name is their content address, and the size the
    /// name states: recorded by name and that size, neither hashed nor stat'ed (FOSSology's
    /// objects: `sha1.md5.size`; their actual size and content are the product's rules').
    pub addressed: Option<fn(&str) -> Option<u64>>,
    /// Subjects are the relative paths, without the input's name.
    pub main: bool,
    /// The check's own walk reads parts of this tree (it says which with
    /// `Recorder::cover`) and hands their files over: they are not walked a second time.
    /// The input is then walked after the check, the rest of it only.
    pub covered_by_check: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Tree,
    File,
    /// A directory when it is one, else an archive.
    TreeOrArchive,
}

impl Input {
    pub fn tree(name: &str, path: impl Into<PathBuf>) -> Input {
        Input { name: name.to_string(), path: path.into(), kind: InputKind::Tree, addressed: None, main: false, covered_by_check: false }
    }

    pub fn file(name: &str, path: impl Into<PathBuf>) -> Input {
        Input { name: name.to_string(), path: path.into(), kind: InputKind::File, addressed: None, main: false, covered_by_check: false }
    }

    pub fn tree_or_archive(name: &str, path: impl Into<PathBuf>) -> Input {
        Input { name: name.to_string(), path: path.into(), kind: InputKind::TreeOrArchive, addressed: None, main: false, covered_by_check: false }
    }

    /// The product's main tree: findings name its files by their relative path alone.
    pub fn main(mut self) -> Input {
        self.main = true;
        self
    }

    /// The check walks parts of this tree itself and hands their files over.
    pub fn covered_by_check(mut self) -> Input {
        self.covered_by_check = true;
        self
    }

    pub fn addressed(mut self, by_name: fn(&str) -> Option<u64>) -> Input {
        self.addressed = Some(by_name);
        self
    }
}

/// What a manifest records of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub input: String,
    /// Relative to the input's root, `/`-separated; empty for a single-file input.
    pub path: String,
    /// `file`, `symlink`, `fifo`, `socket`, `device`, or `unreadable`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// BLAKE3 of the content (files), or of the link text (symlinks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// The name is the content address: name and size identify the content.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub addressed: bool,
    /// Why it could not be read (for `unreadable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileEntry {
    /// An object whose name is its content address, with the size its name states.
    pub fn addressed(input: &str, path: String, size: u64) -> FileEntry {
        FileEntry { input: input.to_string(), path, kind: "file".into(), size: Some(size), blake3: None, addressed: true, error: None }
    }

    /// What could not be read (a directory, a file, an archive past some point).
    pub fn unreadable(input: &str, path: String, error: String) -> FileEntry {
        FileEntry { input: input.to_string(), path, kind: "unreadable".into(), size: None, blake3: None, addressed: false, error: Some(error) }
    }
}

/// What a manifest records of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub input: String,
    /// `schema.table`.
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
    /// [`table::TableDigest`]: the wrapping sum of each row's BLAKE3, as hex.
    pub digest: String,
}

/// One line of a manifest between its header and its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entry {
    File(FileEntry),
    Table(TableEntry),
}

/// The order of a manifest's files: by input name, then path component by component —
/// the order of a depth-first walk that sorts each directory, so a walk and a manifest
/// merge without sorting.
pub fn file_order(a: &FileEntry, b: &FileEntry) -> std::cmp::Ordering {
    a.input.cmp(&b.input).then_with(|| a.path.split('/').cmp(b.path.split('/')))
}

/// The finding subject of a file: its path as the product's findings name it.
pub fn subject(main_inputs: &[String], input: &str, path: &str) -> String {
    match (main_inputs.iter().any(|m| m == input), path.is_empty()) {
        (true, _) => path.to_string(),
        (false, true) => input.to_string(),
        (false, false) => format!("{input}/{path}"),
    }
}

/// What a check records as it reads its inputs: every table's digest, by input, and the
/// files of the parts of a tree its own walk read (so they are not walked twice).
#[derive(Default)]
pub struct Recorder {
    tables: Mutex<BTreeMap<(String, String), TableEntry>>,
    covered: Mutex<Covered>,
}

#[derive(Default)]
struct Covered {
    /// Per input, the directories (relative) whose every file the check hands over.
    roots: BTreeMap<String, Vec<String>>,
    /// The files, in manifest order ([`order_key`], then the entry).
    files: Option<crate::engine::extsort::ExternalSorter<crate::engine::spool::Line>>,
    error: Option<anyhow::Error>,
}

/// The files a check handed over, in manifest order.
pub struct CoveredFiles {
    sorted: Option<crate::engine::extsort::SortedIter<crate::engine::spool::Line>>,
}

impl Iterator for CoveredFiles {
    type Item = Result<FileEntry>;

    fn next(&mut self) -> Option<Result<FileEntry>> {
        let line = match self.sorted.as_mut()?.next()? {
            Ok(line) => line.0,
            Err(e) => return Some(Err(e)),
        };
        let at = line.windows(3).position(|w| w == [0, 0, 0]).map(|at| at + 3).unwrap_or(line.len());
        Some(serde_json::from_slice(line.get(at..).unwrap_or_default()).map_err(anyhow::Error::from))
    }
}

/// Bytes of covered files held in memory before they spill.
const COVERED_BUDGET: usize = 32 << 20;

/// A key whose byte order is manifest order: the input, then the path with `/` as the
/// lowest byte, so a directory's files come right after it as in a sorted walk.
pub fn order_key(input: &str, path: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(input.len() + path.len() + 2);
    key.extend_from_slice(input.as_bytes());
    key.extend_from_slice(&[0, 0]);
    key.extend(path.bytes().map(|b| if b == b'/' { 0 } else { b }));
    key
}

impl Recorder {
    /// A digester of every table of the database input `input`, read in the same pass as
    /// the check's own tables.
    pub fn tables_of<'r>(&'r self, input: &str) -> table::TableRecorder<'r> {
        table::TableRecorder::new(self, input)
    }

    fn add_table(&self, entry: TableEntry) {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        tables.insert((entry.input.clone(), entry.name.clone()), entry);
    }

    /// The check's walk reads every file below `dir` (relative to `input`'s root) and hands
    /// them over with [`Recorder::add_files`].
    pub fn cover(&self, input: &str, dir: &str) {
        let mut covered = self.covered.lock().unwrap_or_else(|e| e.into_inner());
        covered.roots.entry(input.to_string()).or_default().push(dir.to_string());
    }

    /// Files of covered directories, in any order.
    pub fn add_files(&self, files: Vec<FileEntry>) {
        let mut covered = self.covered.lock().unwrap_or_else(|e| e.into_inner());
        let covered = &mut *covered;
        let sorter = covered.files.get_or_insert_with(|| crate::engine::extsort::ExternalSorter::new(COVERED_BUDGET));
        for f in files {
            // The key, three zero bytes (lower than anything of a path, which never has two
            // in a row), then the entry.
            let mut line = order_key(&f.input, &f.path);
            line.extend_from_slice(&[0, 0, 0]);
            let pushed = serde_json::to_writer(&mut line, &f).map_err(anyhow::Error::from).and_then(|()| sorter.push(crate::engine::spool::Line(line)));
            if let Err(e) = pushed {
                covered.error.get_or_insert(e);
            }
        }
    }

    /// The covered directories, and their files in manifest order (streamed from disk).
    pub(crate) fn take_covered(&self) -> Result<(BTreeMap<String, Vec<String>>, CoveredFiles)> {
        let covered = std::mem::take(&mut *self.covered.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(e) = covered.error {
            return Err(e);
        }
        let files = covered.files.map(|sorter| sorter.finish()).transpose()?;
        Ok((covered.roots, CoveredFiles { sorted: files }))
    }

    /// The tables recorded, in manifest order.
    pub fn take_tables(&self) -> Vec<TableEntry> {
        std::mem::take(&mut *self.tables.lock().unwrap_or_else(|e| e.into_inner())).into_values().collect()
    }
}

/// Reads the header of a manifest and checks it end to end (checksum included) before a
/// run relies on it.
pub fn verify(path: &std::path::Path, product: &str) -> Result<Header> {
    let mut reader = ManifestReader::open(path)?;
    let header = reader.header().clone();
    if header.product != product {
        anyhow::bail!("--against {}: a manifest of {}, not of {product}", path.display(), header.product);
    }
    while reader.next_entry()?.is_some() {}
    Ok(header)
}
