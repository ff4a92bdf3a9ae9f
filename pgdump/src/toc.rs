//! The header and table of contents of pg_dump's archive formats (custom, directory, tar),
//! as `pg_backup_archiver.c` (`WriteHead`/`ReadHead`, `WriteToc`/`ReadToc`) lays them out.
//!
//! Header: `PGDMP`, the version as three bytes (major, minor, revision), the size of an
//! integer and of a file offset, the format code, the compression (an algorithm byte since
//! 1.15, a zlib level as an integer before), the creation time as seven integers, then the
//! database name, the server's and pg_dump's version strings. An integer is a sign byte then
//! `int_size` bytes, least significant first; a string is its length as an integer (-1 for
//! NULL) then its bytes; an offset is a flag byte (1 not set, 2 set, 3 no data) then
//! `off_size` bytes, least significant first.
//!
//! TOC entry: dump id, "had dumper", catalog table oid and oid (strings), tag, description,
//! section, definition, drop statement, COPY statement, schema, tablespace, table access
//! method (1.14+), relkind (an integer, 1.16+), owner, "with oids" (a string), the dump ids it
//! depends on (strings, ended by a NULL string), then what the format adds: the custom format
//! an offset, the directory and tar formats a file name.

use std::io::Read;

use crate::error::{Context, Error, Result, bail};

use super::error::{MAX_RECORD, MAX_RECORD_TEXT};

/// The oldest archive version read: 1.12 (pg_dump 9.0).
pub(crate) const MIN_VERSION: u32 = version(1, 12, 0);
/// The newest: 1.16 with any revision (pg_dump 17; `K_VERS_MAX` is 1.16.255).
pub(crate) const MAX_VERSION: u32 = version(1, 16, 255);

pub(crate) const fn version(major: u8, minor: u8, rev: u8) -> u32 {
    ((major as u32) << 16) | ((minor as u32) << 8) | rev as u32
}

/// `ArchiveFormat` codes of `pg_backup.h`.
pub(crate) const FORMAT_CUSTOM: u8 = 1;
/// The tar format; the directory format writes this code into its `toc.dat` too.
pub(crate) const FORMAT_TAR: u8 = 3;
pub(crate) const FORMAT_DIRECTORY: u8 = 5;

/// Data offset flags of the custom format.
pub(crate) const OFFSET_NOT_SET: u8 = 1;
pub(crate) const OFFSET_SET: u8 = 2;
pub(crate) const OFFSET_NO_DATA: u8 = 3;

/// How data is compressed (`pg_compress_algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    /// zlib streams in the custom format, gzip files in the directory format.
    Gzip,
    /// LZ4 frames (PostgreSQL 16+).
    Lz4,
    /// Zstandard frames (PostgreSQL 16+).
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub version: u32,
    pub format: u8,
    pub compression: Compression,
    pub dbname: Option<String>,
}

impl Header {
    pub fn version_text(&self) -> String {
        version_text(self.version)
    }
}

pub(crate) fn version_text(v: u32) -> String {
    format!("{}.{}.{}", v >> 16, (v >> 8) & 255, v & 255)
}

/// What follows each TOC entry, by format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extra {
    /// The custom format: the data block's offset.
    Offset,
    /// The directory and tar formats: the data file's name.
    FileName,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct TocEntry {
    pub dump_id: i64,
    pub had_dumper: bool,
    pub tag: Option<String>,
    pub desc: String,
    pub defn: Option<String>,
    pub copy_stmt: Option<String>,
    pub namespace: Option<String>,
    /// Custom format: the offset flag and offset.
    pub data_state: u8,
    pub offset: u64,
    /// Directory and tar formats: the data file (`<dumpId>.dat`), if any.
    pub filename: Option<String>,
}

/// Reads the archive's primitive values, counting the bytes read.
pub(crate) struct ArchiveIn<R> {
    inner: R,
    pub pos: u64,
    version: u32,
    int_size: usize,
    off_size: usize,
}

impl<R: Read> ArchiveIn<R> {
    pub fn new(inner: R) -> Self {
        ArchiveIn { inner, pos: 0, version: 0, int_size: 4, off_size: 8 }
    }

    pub fn exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.inner.read_exact(buf).map_err(|e| eof_or(e, "the archive ends early: it is truncated"))?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    pub fn byte(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.exact(&mut b)?;
        Ok(b[0])
    }

    /// A byte, or `None` at the end of the input (between data blocks).
    pub fn byte_or_end(&mut self) -> Result<Option<u8>> {
        let mut b = [0u8; 1];
        loop {
            match self.inner.read(&mut b) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.pos += 1;
                    return Ok(Some(b[0]));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::from(e).context("cannot read the archive")),
            }
        }
    }

    /// `ReadInt`: a sign byte, then `int_size` bytes, least significant first.
    pub fn int(&mut self) -> Result<i64> {
        let sign = self.byte()?;
        let mut value: u64 = 0;
        for i in 0..self.int_size {
            let b = self.byte()?;
            if i >= 8 {
                if b != 0 {
                    bail!("an integer in the archive does not fit in 64 bits: the archive is corrupt");
                }
                continue;
            }
            value |= u64::from(b) << (8 * i);
        }
        let value = i64::try_from(value).context("an integer in the archive is out of range: the archive is corrupt")?;
        match sign {
            0 => Ok(value),
            1 => Ok(-value),
            other => bail!("an integer's sign byte is {other} (0 or 1 expected): the archive is corrupt"),
        }
    }

    /// `ReadStr`: NULL for a negative length.
    pub fn bytes(&mut self) -> Result<Option<Vec<u8>>> {
        let len = self.int()?;
        if len < 0 {
            return Ok(None);
        }
        let len = len as u64;
        if len > MAX_RECORD as u64 {
            bail!("a string of {len} bytes in the archive's table of contents, over the {MAX_RECORD_TEXT} limit: the archive is damaged");
        }
        // Read through `take`, so a corrupt length cannot make us allocate what is not there.
        let mut out = Vec::with_capacity(len.min(1 << 16) as usize);
        (&mut self.inner).take(len).read_to_end(&mut out).context("cannot read the archive")?;
        self.pos += out.len() as u64;
        if out.len() as u64 != len {
            bail!("the archive ends inside a string: it is truncated");
        }
        Ok(Some(out))
    }

    pub fn string(&mut self) -> Result<Option<String>> {
        // Bytes that are not UTF-8 (damage, or another encoding) kept as \xNN, to be shown.
        Ok(self.bytes()?.map(|b| {
            String::from_utf8(b).unwrap_or_else(|e| {
                let mut out = String::new();
                for chunk in e.as_bytes().utf8_chunks() {
                    out.push_str(chunk.valid());
                    for byte in chunk.invalid() {
                        out.push_str(&format!("\\x{byte:02x}"));
                    }
                }
                out
            })
        }))
    }

    /// `ReadOffset` (1.7+): the flag and the offset.
    pub fn offset(&mut self) -> Result<(u8, u64)> {
        let flag = self.byte()?;
        if !matches!(flag, OFFSET_NOT_SET | OFFSET_SET | OFFSET_NO_DATA) {
            bail!("unexpected data offset flag {flag}: the archive is corrupt");
        }
        let mut value: u64 = 0;
        for i in 0..self.off_size {
            let b = self.byte()?;
            if i < 8 {
                value |= u64::from(b) << (8 * i);
            } else if b != 0 {
                bail!("a file offset does not fit in 64 bits: the archive is corrupt");
            }
        }
        Ok((flag, value))
    }

    pub fn inner(&mut self) -> &mut R {
        &mut self.inner
    }
}

fn eof_or(e: std::io::Error, eof: &str) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof { Error::msg(eof) } else { Error::from(e).context("cannot read the archive") }
}

/// Reads the header (`PGDMP` included) and checks the version.
pub(crate) fn read_header<R: Read>(ar: &mut ArchiveIn<R>) -> Result<Header> {
    let mut magic = [0u8; 5];
    ar.exact(&mut magic)?;
    if &magic != b"PGDMP" {
        bail!("not a pg_dump archive (no PGDMP at its start)");
    }
    let major = ar.byte()?;
    let minor = ar.byte()?;
    let rev = if major > 1 || (major == 1 && minor > 0) { ar.byte()? } else { 0 };
    let v = version(major, minor, rev);
    if !(MIN_VERSION..=MAX_VERSION).contains(&v) {
        bail!("unsupported archive version {}: this reader knows versions 1.12 to 1.16 (pg_dump of PostgreSQL 9.0 to 17); convert the archive with a matching pg_restore -f dump.sql", version_text(v));
    }
    ar.version = v;
    let int_size = ar.byte()? as usize;
    if !(1..=32).contains(&int_size) {
        bail!("the archive says its integers have {int_size} bytes: it is corrupt");
    }
    ar.int_size = int_size;
    let off_size = ar.byte()? as usize;
    if !(1..=32).contains(&off_size) {
        bail!("the archive says its offsets have {off_size} bytes: it is corrupt");
    }
    ar.off_size = off_size;
    let format = ar.byte()?;
    let compression = if v >= version(1, 15, 0) {
        match ar.byte()? {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Lz4,
            3 => Compression::Zstd,
            other => bail!("unknown compression algorithm {other} in the archive header"),
        }
    } else if ar.int()? != 0 {
        Compression::Gzip
    } else {
        Compression::None
    };
    for _ in 0..7 {
        ar.int()?; // sec, min, hour, mday, mon, year, isdst
    }
    let dbname = ar.string()?;
    ar.bytes()?; // the server's version
    ar.bytes()?; // pg_dump's version
    Ok(Header { version: v, format, compression, dbname })
}

/// Reads the TOC that follows the header.
pub(crate) fn read_toc<R: Read>(ar: &mut ArchiveIn<R>, header: &Header, extra: Extra) -> Result<Vec<TocEntry>> {
    let v = header.version;
    let count = ar.int()?;
    if count < 0 {
        bail!("the archive's TOC has {count} entries: it is corrupt");
    }
    let mut entries = Vec::with_capacity((count as usize).min(4096));
    for i in 0..count {
        let e = read_entry(ar, v, extra).with_context(|| format!("TOC entry {} of {count}", i + 1))?;
        entries.push(e);
    }
    Ok(entries)
}

fn read_entry<R: Read>(ar: &mut ArchiveIn<R>, v: u32, extra: Extra) -> Result<TocEntry> {
    let dump_id = ar.int()?;
    if dump_id <= 0 {
        bail!("entry ID {dump_id} out of range: the TOC is corrupt");
    }
    let had_dumper = ar.int()? != 0;
    ar.bytes()?; // catalog table oid (1.8+)
    ar.bytes()?; // oid
    let tag = ar.string()?;
    let desc = ar.string()?.context("an entry without a description: the TOC is corrupt")?;
    ar.int()?; // section (1.11+)
    let defn = ar.string()?;
    ar.bytes()?; // drop statement
    let copy_stmt = ar.string()?;
    let namespace = ar.string()?;
    ar.bytes()?; // tablespace (1.10+)
    if v >= version(1, 14, 0) {
        ar.bytes()?; // table access method
    }
    if v >= version(1, 16, 0) {
        ar.int()?; // relkind
    }
    ar.bytes()?; // owner
    ar.bytes()?; // "with oids" (1.9+)
    // The dump ids it depends on, ended by a NULL string.
    while ar.bytes()?.is_some() {}
    let mut entry = TocEntry { dump_id, had_dumper, tag, desc, defn, copy_stmt, namespace, ..TocEntry::default() };
    match extra {
        Extra::Offset => {
            let (state, offset) = ar.offset()?;
            entry.data_state = state;
            entry.offset = offset;
        }
        Extra::FileName => {
            entry.filename = ar.string()?.filter(|f| !f.is_empty());
        }
    }
    Ok(entry)
}

/// `SET standard_conforming_strings = 'on';` of the STDSTRINGS entry (on when absent).
pub(crate) fn std_strings(entries: &[TocEntry]) -> bool {
    entries.iter().find(|e| e.desc == "STDSTRINGS").and_then(|e| e.defn.as_deref()).is_none_or(|d| !d.contains("'off'"))
}

/// Writes archives in the layout above, for tests: the reader's counterpart.
#[cfg(test)]
pub(crate) mod write {
    use super::*;

    pub struct Out {
        pub buf: Vec<u8>,
        pub int_size: usize,
    }

    impl Out {
        pub fn new() -> Self {
            Out { buf: Vec::new(), int_size: 4 }
        }
        pub fn byte(&mut self, b: u8) {
            self.buf.push(b);
        }
        pub fn int(&mut self, v: i64) {
            self.buf.push(u8::from(v < 0));
            let mut a = v.unsigned_abs();
            for _ in 0..self.int_size {
                self.buf.push((a & 255) as u8);
                a >>= 8;
            }
        }
        pub fn str(&mut self, s: Option<&str>) {
            match s {
                None => self.int(-1),
                Some(s) => {
                    self.int(s.len() as i64);
                    self.buf.extend_from_slice(s.as_bytes());
                }
            }
        }
    }

    pub struct Entry<'a> {
        pub dump_id: i64,
        pub tag: &'a str,
        pub desc: &'a str,
        pub defn: &'a str,
        pub copy_stmt: Option<&'a str>,
        pub namespace: &'a str,
    }

    /// A header and TOC of version `v`, format `format`, with `extra` after each entry.
    pub fn archive(v: (u8, u8, u8), format: u8, compression: u8, entries: &[Entry<'_>], extra: Extra) -> Vec<u8> {
        let mut o = Out::new();
        o.buf.extend_from_slice(b"PGDMP");
        o.byte(v.0);
        o.byte(v.1);
        o.byte(v.2);
        o.byte(4);
        o.byte(8);
        o.byte(format);
        if version(v.0, v.1, v.2) >= version(1, 15, 0) {
            o.byte(compression);
        } else {
            o.int(-i64::from(compression != 0));
        }
        for x in [1, 2, 3, 4, 5, 124, 0] {
            o.int(x);
        }
        o.str(Some("db"));
        o.str(Some("17.0"));
        o.str(Some("17.0"));
        o.int(entries.len() as i64);
        for e in entries {
            o.int(e.dump_id);
            o.int(i64::from(e.copy_stmt.is_some() || e.desc == "TABLE DATA"));
            o.str(Some("0"));
            o.str(Some("0"));
            o.str(Some(e.tag));
            o.str(Some(e.desc));
            o.int(2);
            o.str(Some(e.defn));
            o.str(Some(""));
            o.str(e.copy_stmt);
            o.str(Some(e.namespace));
            o.str(Some(""));
            if version(v.0, v.1, v.2) >= version(1, 14, 0) {
                o.str(Some("heap"));
            }
            if version(v.0, v.1, v.2) >= version(1, 16, 0) {
                o.int(i64::from(b'r'));
            }
            o.str(Some("postgres"));
            o.str(Some("false"));
            o.str(None);
            match extra {
                Extra::Offset => {
                    o.byte(if e.desc == "TABLE DATA" { OFFSET_NOT_SET } else { OFFSET_NO_DATA });
                    for _ in 0..8 {
                        o.byte(0);
                    }
                }
                Extra::FileName => {
                    if e.desc == "TABLE DATA" {
                        o.str(Some(&format!("{}.dat", e.dump_id)));
                    } else {
                        o.str(Some(""));
                    }
                }
            }
        }
        o.buf
    }
}

#[cfg(test)]
mod tests {
    use super::write::*;
    use super::*;

    fn entries() -> Vec<Entry<'static>> {
        vec![
            Entry { dump_id: 1, tag: "STDSTRINGS", desc: "STDSTRINGS", defn: "SET standard_conforming_strings = 'off';\n", copy_stmt: None, namespace: "" },
            Entry { dump_id: 7, tag: "t", desc: "TABLE", defn: "CREATE TABLE public.t (\n    a integer\n);\n", copy_stmt: None, namespace: "public" },
            Entry { dump_id: 9, tag: "t", desc: "TABLE DATA", defn: "", copy_stmt: Some("COPY public.t (a) FROM stdin;\n"), namespace: "public" },
        ]
    }

    #[test]
    fn every_version_from_1_12_to_1_16_reads_its_own_layout() {
        for v in [(1, 12, 0), (1, 13, 0), (1, 14, 0), (1, 15, 0), (1, 16, 0), (1, 16, 3)] {
            let bytes = archive(v, FORMAT_CUSTOM, 1, &entries(), Extra::Offset);
            let mut ar = ArchiveIn::new(&bytes[..]);
            let h = read_header(&mut ar).unwrap();
            assert_eq!(h.version, version(v.0, v.1, v.2));
            assert_eq!(h.compression, Compression::Gzip, "{v:?}");
            assert_eq!(h.dbname.as_deref(), Some("db"));
            let toc = read_toc(&mut ar, &h, Extra::Offset).unwrap();
            assert_eq!(ar.pos as usize, bytes.len(), "{v:?}: everything read");
            assert_eq!(toc.len(), 3);
            assert_eq!(toc[2].dump_id, 9);
            assert_eq!(toc[2].desc, "TABLE DATA");
            assert_eq!((toc[2].namespace.as_deref(), toc[2].tag.as_deref()), (Some("public"), Some("t")));
            assert_eq!(toc[2].data_state, OFFSET_NOT_SET);
            assert_eq!(toc[1].data_state, OFFSET_NO_DATA);
            assert!(!std_strings(&toc));
        }
        let bytes = archive((1, 14, 0), FORMAT_TAR, 0, &entries(), Extra::FileName);
        let mut ar = ArchiveIn::new(&bytes[..]);
        let h = read_header(&mut ar).unwrap();
        assert_eq!(h.compression, Compression::None);
        let toc = read_toc(&mut ar, &h, Extra::FileName).unwrap();
        assert_eq!(toc[2].filename.as_deref(), Some("9.dat"));
        assert_eq!(toc[1].filename, None);
    }

    #[test]
    fn the_compression_byte_of_1_15_names_the_algorithm() {
        for (code, want) in [(0, Compression::None), (1, Compression::Gzip), (2, Compression::Lz4), (3, Compression::Zstd)] {
            let bytes = archive((1, 15, 0), FORMAT_CUSTOM, code, &[], Extra::Offset);
            assert_eq!(read_header(&mut ArchiveIn::new(&bytes[..])).unwrap().compression, want);
        }
        let bytes = archive((1, 15, 0), FORMAT_CUSTOM, 9, &[], Extra::Offset);
        let e = read_header(&mut ArchiveIn::new(&bytes[..])).unwrap_err();
        assert!(format!("{e:#}").contains("compression algorithm 9"), "{e:#}");
    }

    #[test]
    fn unknown_versions_are_refused_by_name() {
        for (v, text) in [((1, 17, 0), "1.17.0"), ((1, 11, 0), "1.11.0"), ((2, 0, 0), "2.0.0")] {
            let bytes = archive(v, FORMAT_CUSTOM, 0, &[], Extra::Offset);
            let e = read_header(&mut ArchiveIn::new(&bytes[..])).unwrap_err();
            assert!(format!("{e:#}").contains(&format!("unsupported archive version {text}")), "{e:#}");
        }
    }

    #[test]
    fn a_cut_or_corrupt_toc_is_an_error() {
        let bytes = archive((1, 14, 0), FORMAT_CUSTOM, 0, &entries(), Extra::Offset);
        for cut in [3, 10, 40, bytes.len() / 2, bytes.len() - 1] {
            let mut ar = ArchiveIn::new(&bytes[..cut]);
            let r = read_header(&mut ar).and_then(|h| read_toc(&mut ar, &h, Extra::Offset));
            assert!(r.is_err(), "cut at {cut}");
        }
        // A string length past the end of a short file fails without allocating it.
        let mut o = Out::new();
        o.int(32 << 20);
        let mut ar = ArchiveIn::new(&o.buf[..]);
        assert!(format!("{:#}", ar.bytes().unwrap_err()).contains("truncated"));
        // A length over the limit is refused before anything is read.
        let mut o = Out::new();
        o.int(i64::from(i32::MAX));
        o.buf.extend_from_slice(&[0; 4096]);
        let mut ar = ArchiveIn::new(&o.buf[..]);
        let e = format!("{:#}", ar.bytes().unwrap_err());
        assert!(e.contains("2147483647 bytes") && e.contains("64 MiB limit"), "{e}");
        assert_eq!(ar.pos, 5, "nothing read after the length");
        // A bad sign byte.
        let mut ar = ArchiveIn::new(&[7u8, 1, 0, 0, 0][..]);
        assert!(ar.int().is_err());
    }
}
