//! The tar format (`pg_dump -Ft`, `pg_backup_tar.c`): a ustar archive whose first member is
//! `toc.dat` (header and TOC, as in the directory format), then one `<dumpId>.dat` member per
//! table in TOC order, the large objects, and `restore.sql`. Never compressed by pg_dump.
//!
//! Read in one pass. A data member met before `toc.dat` (an archive re-packed by hand) is
//! kept in a temporary file until the TOC says whose it is.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Seek};

use crate::error::{Context as _, Result, bail};

use super::custom::catalog_of;
use super::data::{Context, DataEntry, data_entries, deliver};
use super::ddl::Catalog;
use super::error::quote_name;
use super::toc::{ArchiveIn, Extra, FORMAT_TAR, read_header, read_toc, std_strings};
use super::{CopySink, DumpSummary};

/// A member's bytes, which must all be there.
struct Exact<R> {
    inner: R,
    left: u64,
    name: String,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || out.is_empty() {
            return Ok(0);
        }
        let want = out.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut out[..want])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("the archive ends inside member {}: it is truncated", self.name)));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

struct Known {
    catalog: Catalog,
    std_strings: bool,
    by_file: HashMap<String, DataEntry>,
    order: Vec<String>,
}

pub(crate) fn read_tar(input: &mut dyn Read, sink: &mut dyn CopySink, summary: &mut DumpSummary) -> Result<()> {
    let mut archive = tar::Archive::new(input);
    let mut known: Option<Known> = None;
    let mut spooled: Vec<(String, tempfile::NamedTempFile)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut last = String::from("the start");
    // Raw entries: no GNU long name or pax header is held in memory (pg_dump writes none).
    for member in archive.entries().context("not a tar archive")?.raw(true) {
        let member = member.with_context(|| {
            let expected = known.as_ref().and_then(|k| k.order.iter().find(|f| !seen.contains(*f)).map(|f| format!(", where the data of table {} was expected", k.by_file[f].qualified())));
            format!("the tar archive is damaged or truncated after {last}{}", expected.unwrap_or_default())
        })?;
        let name = String::from_utf8_lossy(&member.path_bytes()).into_owned();
        let shown = quote_name(&name);
        let size = member.header().size().with_context(|| format!("member {shown}: a bad size"))?;
        let mut body = Exact { inner: member, left: size, name: shown.clone() };
        if name == "toc.dat" {
            if known.is_some() {
                bail!("a second toc.dat in the archive: it is not a pg_dump tar archive");
            }
            let mut ar = ArchiveIn::new(&mut body);
            let header = read_header(&mut ar).context("toc.dat")?;
            if header.format != FORMAT_TAR {
                bail!("toc.dat says format {}, not tar (3)", header.format);
            }
            summary.archive_version = Some(header.version_text());
            summary.compression = Some(header.compression);
            let toc = read_toc(&mut ar, &header, Extra::FileName).context("toc.dat: cannot read the table of contents")?;
            io::copy(&mut body, &mut io::sink()).context("toc.dat")?;
            summary.databases = header.dbname.iter().cloned().collect();
            let mut k = Known { catalog: catalog_of(&toc), std_strings: std_strings(&toc), by_file: HashMap::new(), order: Vec::new() };
            for (_, d) in data_entries(&toc, |e| e.filename.is_some())? {
                if let Some(f) = d.filename.clone() {
                    k.order.push(f.clone());
                    k.by_file.insert(f, d);
                }
            }
            for (file, mut tmp) in spooled.drain(..) {
                if let Some(entry) = k.by_file.get(&file) {
                    tmp.as_file_mut().rewind()?;
                    let ctx = Context { catalog: &k.catalog, std_strings: k.std_strings };
                    deliver(tmp.as_file_mut(), entry, &ctx, sink, summary)?;
                    seen.insert(file);
                }
            }
            known = Some(k);
        } else if let Some(k) = &known {
            match k.by_file.get(&name) {
                Some(entry) => {
                    if !seen.insert(name.clone()) {
                        bail!("a second member {shown} for table {}: the archive is not as pg_dump writes it", entry.qualified());
                    }
                    let ctx = Context { catalog: &k.catalog, std_strings: k.std_strings };
                    deliver(&mut body, entry, &ctx, sink, summary)?;
                    // What the parser left (nothing, for pg_dump's data) must be there too.
                    io::copy(&mut body, &mut io::sink()).with_context(|| format!("the data of table {} is damaged", entry.qualified()))?;
                }
                None => {
                    io::copy(&mut body, &mut io::sink()).with_context(|| format!("member {shown}"))?;
                }
            }
        } else if name.ends_with(".dat") {
            let mut tmp = tempfile::NamedTempFile::new().context("cannot make a temporary file")?;
            io::copy(&mut body, tmp.as_file_mut()).with_context(|| format!("member {shown}"))?;
            spooled.push((name.clone(), tmp));
        } else {
            io::copy(&mut body, &mut io::sink()).with_context(|| format!("member {shown}"))?;
        }
        last = format!("member {shown}");
    }
    // tar ends with two blocks of zeros; the reader stopped after the first.
    let mut rest = archive.into_inner();
    let mut tail = Vec::new();
    (&mut rest).take(512).read_to_end(&mut tail).context("cannot read the end of the tar archive")?;
    let ended = tail.len() == 512 && tail.iter().all(|&b| b == 0);
    let Some(k) = known else {
        bail!("a tar archive without toc.dat: not a pg_dump tar-format dump (pg_dump -Ft)");
    };
    if let Some(missing) = k.order.iter().find(|f| !seen.contains(*f)) {
        bail!("the archive has no member {} with the data of table {} (its last member: {last}): it is truncated", quote_name(missing), k.by_file[missing].qualified());
    }
    if !ended {
        bail!("the archive ends without tar's end-of-archive blocks after {last}: it is truncated");
    }
    Ok(())
}
