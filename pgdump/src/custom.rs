//! The custom format (`pg_dump -Fc`, `pg_backup_custom.c`): header, TOC, then one data block
//! per table in TOC order. A block is a type byte (1 data, 3 large objects), the dump id,
//! then the data as chunks, each its length then its bytes, ended by a zero length (a large
//! objects block holds an oid and such chunks per object, ended by oid 0). Each table's chunks
//! carry one compressed stream when the archive is compressed.
//!
//! Read strictly in order, without seeking: the offsets in the TOC are not needed, so an
//! archive written to a pipe (every offset "not set") reads as well as one written to a file.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};

use crate::error::{Context as _, Result, bail};

use super::compress::decoder;
use super::data::{Context, DataEntry, data_entries, deliver, entry_name};
use super::ddl::{Catalog, parse_create_table};
use super::toc::{ArchiveIn, Extra, FORMAT_CUSTOM, OFFSET_NO_DATA, TocEntry, read_header, read_toc, std_strings};
use super::{CopySink, DumpSummary};

const BLK_DATA: u8 = 1;
const BLK_BLOBS: u8 = 3;

/// The tables the TOC creates, for the column order of INSERT data.
pub(crate) fn catalog_of(toc: &[TocEntry]) -> Catalog {
    let mut catalog = Catalog::default();
    for e in toc.iter().filter(|e| e.desc == "TABLE" || e.desc == "FOREIGN TABLE") {
        if let Some(def) = e.defn.as_deref().and_then(|d| parse_create_table(d).ok()) {
            catalog.add(def, e.namespace.as_deref().unwrap_or("public"));
        }
    }
    catalog
}

/// Reads a custom-format archive from `input` (its first byte is the `P` of `PGDMP`).
pub(crate) fn read_custom(input: &mut dyn Read, sink: &mut dyn CopySink, summary: &mut DumpSummary) -> Result<()> {
    let mut ar = ArchiveIn::new(input);
    let header = read_header(&mut ar)?;
    if header.format != FORMAT_CUSTOM {
        bail!("the archive header says format {} where the custom format (1) was expected: the archive is corrupt", header.format);
    }
    summary.archive_version = Some(header.version_text());
    summary.compression = Some(header.compression);
    let toc = read_toc(&mut ar, &header, Extra::Offset).context("cannot read the archive's table of contents")?;
    summary.databases = header.dbname.iter().cloned().collect();
    let catalog = catalog_of(&toc);
    let ctx = Context { catalog: &catalog, std_strings: std_strings(&toc) };
    let entries = data_entries(&toc, |e| e.data_state != OFFSET_NO_DATA)?;
    let expected: Vec<i64> = entries.iter().map(|(id, _)| *id).collect();
    let tables: HashMap<i64, DataEntry> = entries.into_iter().collect();
    let by_id: HashMap<i64, &TocEntry> = toc.iter().map(|e| (e.dump_id, e)).collect();
    let mut seen = HashSet::new();
    let next_expected = |seen: &HashSet<i64>| expected.iter().find(|id| !seen.contains(*id)).and_then(|id| tables.get(id)).map(DataEntry::qualified);
    loop {
        let at = ar.pos;
        let place = match next_expected(&seen) {
            Some(t) => format!("at byte {at}, where the data of table {t} was expected"),
            None => format!("at byte {at}, after the data of every table"),
        };
        let here = || place.clone();
        let Some(kind) = ar.byte_or_end().with_context(here)? else { break };
        let id = ar.int().with_context(here)?;
        match kind {
            BLK_DATA => {
                let mut chunks = Chunks { ar: &mut ar, left: 0, done: false };
                match tables.get(&id) {
                    Some(entry) => {
                        if !seen.insert(id) {
                            bail!("a second data block for table {} {}: the archive is corrupt", entry.qualified(), here());
                        }
                        {
                            let mut data = decoder(header.compression, &mut chunks, true).with_context(|| format!("the data of table {} is damaged", entry.qualified()))?;
                            deliver(&mut data, entry, &ctx, sink, summary)?;
                        }
                        chunks.drain().with_context(|| format!("the data of table {} is damaged", entry.qualified()))?;
                    }
                    None => match by_id.get(&id) {
                        Some(e) => bail!("a table data block for {}, which is not table data, {}: the archive is damaged", entry_name(e), here()),
                        None => bail!("a data block for dump id {id}, which the table of contents does not list, {}: the archive is corrupt", here()),
                    },
                }
            }
            BLK_BLOBS if by_id.get(&id).is_none_or(|e| e.desc != "BLOBS") => match by_id.get(&id) {
                Some(e) => bail!("a large objects block for {}, which is not large objects, {}: the archive is damaged", entry_name(e), here()),
                None => bail!("a large objects block for dump id {id}, which the table of contents does not list, {}: the archive is corrupt", here()),
            },
            BLK_BLOBS => loop {
                let oid = ar.int().with_context(here)?;
                if oid == 0 {
                    break;
                }
                Chunks { ar: &mut ar, left: 0, done: false }.drain().with_context(here)?;
            },
            other => bail!("an unknown data block type {other} {}: the archive is corrupt", here()),
        }
    }
    if let Some(missing) = next_expected(&seen) {
        bail!("the archive has no data for table {missing} (it ends at byte {}): it is truncated", ar.pos);
    }
    Ok(())
}

/// The chunks of one data block, read as one stream.
struct Chunks<'a, R: Read> {
    ar: &'a mut ArchiveIn<R>,
    left: u64,
    done: bool,
}

impl<R: Read> Chunks<'_, R> {
    /// Reads what is left of the block (nothing should be, once its stream has ended).
    fn drain(&mut self) -> Result<()> {
        let mut buf = vec![0u8; 1 << 16];
        while self.read(&mut buf)? > 0 {}
        Ok(())
    }
}

impl<R: Read> Read for Chunks<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        while self.left == 0 {
            let len = self.ar.int().map_err(|e| io::Error::new(io::ErrorKind::UnexpectedEof, format!("{e:#}")))?;
            if len == 0 {
                self.done = true;
                return Ok(0);
            }
            if len < 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a data chunk of length {len}: the archive is corrupt")));
            }
            self.left = len as u64;
        }
        let want = out.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = loop {
            match self.ar.inner().read(&mut out[..want]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the archive ends inside a data block: it is truncated"));
        }
        self.ar.pos += n as u64;
        self.left -= n as u64;
        Ok(n)
    }
}
