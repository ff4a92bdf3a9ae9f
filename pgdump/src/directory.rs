//! The directory format (`pg_dump -Fd`, `pg_backup_directory.c`): `toc.dat` (header and TOC,
//! never compressed by pg_dump, its format code that of tar) and one file per table's data,
//! named in the TOC (`<dumpId>.dat`), found as pg_restore finds it: as named, else with
//! `.gz`, `.lz4` or `.zst` (PostgreSQL 16+ for the last two). The tables are read in
//! parallel: each file is streamed and decompressed on a helper thread of its own, the next
//! ones already while the current one is parsed (a window of `AHEAD` files), and the rows are
//! handed over in the order of the TOC.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Context as _, Result, bail};

use super::compress::{decoder, read_ahead};
use super::custom::catalog_of;
use super::data::{Context, data_entries, deliver};
use super::toc::{ArchiveIn, Compression, Extra, FORMAT_DIRECTORY, FORMAT_TAR, read_header, read_toc, std_strings};
use super::{CopySink, DumpSummary};

/// How many data files are read at once (each a few MiB ahead of the parse).
const AHEAD: usize = 3;

const SUFFIXES: [(&str, Compression); 4] = [("", Compression::None), (".gz", Compression::Gzip), (".lz4", Compression::Lz4), (".zst", Compression::Zstd)];

/// The file `name` in `dir`, or with a compression suffix.
fn find(dir: &Path, name: &str) -> Option<(PathBuf, Compression)> {
    SUFFIXES.iter().map(|(sfx, c)| (dir.join(format!("{name}{sfx}")), *c)).find(|(p, _)| p.is_file())
}

fn open(path: &Path, compression: Compression) -> std::io::Result<Box<dyn Read>> {
    let file = crate::io::open_regular(path)?;
    decoder(compression, BufReader::with_capacity(1 << 16, file), false)
}

/// Whether `dir` looks like a directory-format dump.
pub(crate) fn is_dump_dir(dir: &Path) -> bool {
    find(dir, "toc.dat").is_some()
}

pub(crate) fn read_directory(dir: &Path, sink: &mut dyn CopySink, summary: &mut DumpSummary) -> Result<()> {
    let Some((toc_path, toc_compression)) = find(dir, "toc.dat") else {
        bail!("a directory without toc.dat: not a directory-format dump (pg_dump -Fd)");
    };
    let mut ar = ArchiveIn::new(open(&toc_path, toc_compression).with_context(|| format!("cannot open {}", toc_path.display()))?);
    let header = read_header(&mut ar).with_context(|| format!("{}", toc_path.display()))?;
    if header.format != FORMAT_TAR && header.format != FORMAT_DIRECTORY {
        bail!("{}: the header says format {}, not that of a directory-format dump", toc_path.display(), header.format);
    }
    summary.archive_version = Some(header.version_text());
    summary.compression = Some(header.compression);
    let toc = read_toc(&mut ar, &header, Extra::FileName).with_context(|| format!("{}: cannot read the table of contents", toc_path.display()))?;
    summary.databases = header.dbname.iter().cloned().collect();
    let catalog = catalog_of(&toc);
    let ctx = Context { catalog: &catalog, std_strings: std_strings(&toc) };
    let mut files = Vec::new();
    for (_, entry) in data_entries(&toc, |e| e.filename.is_some())? {
        let Some(name) = entry.filename.clone() else { continue };
        let Some((path, compression)) = find(dir, &name) else {
            bail!("the data file {name} of table {} is missing (nor is there {name}.gz, .lz4 or .zst): the dump is incomplete", entry.qualified());
        };
        files.push((entry, path, compression));
    }
    std::thread::scope(|scope| -> Result<()> {
        let mut pending = files.into_iter();
        let mut window = std::collections::VecDeque::new();
        loop {
            while window.len() < AHEAD {
                let Some((entry, path, compression)) = pending.next() else { break };
                let shown = path.display().to_string();
                window.push_back((entry, shown, read_ahead(scope, move || open(&path, compression))));
            }
            let Some((entry, shown, mut data)) = window.pop_front() else { return Ok(()) };
            deliver(&mut data, &entry, &ctx, sink, summary).with_context(|| format!("reading {shown}"))?;
        }
    })
}
