//! The dump reader on real dumps (`testdata/pgdump/make.sh` made them with pg_dump and
//! pg_dumpall 15, in every format) and on damaged or recompressed copies of them.

use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::toc::{ArchiveIn, Extra, read_header, read_toc};
use super::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/pgdump").join(name)
}

type Rows = Vec<Vec<Option<String>>>;

/// Collects every table's rows as strings (`None` = NULL): schema, name, columns, rows.
#[derive(Default, Debug)]
struct Collect {
    tables: Vec<(String, String, Vec<String>, Rows)>,
}

impl CopySink for Collect {
    fn begin_table(&mut self, schema: Option<&str>, table: &str, columns: &[String]) -> Result<bool, SinkError> {
        self.tables.push((schema.unwrap_or("?").to_string(), table.to_string(), columns.to_vec(), Vec::new()));
        Ok(true)
    }
    fn row(&mut self, row: &CopyRow<'_>) -> Result<(), SinkError> {
        let values = (0..row.len()).map(|i| row.get(i).map(|b| String::from_utf8_lossy(b).into_owned())).collect();
        self.tables.last_mut().expect("begun").3.push(values);
        Ok(())
    }
    fn end_table(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl Collect {
    /// Tables sorted by name, rows sorted: what must be equal across formats.
    fn normalized(&self) -> Vec<(String, String, Vec<String>, Rows)> {
        let mut t = self.tables.clone();
        for x in &mut t {
            x.3.sort();
        }
        t.sort();
        t
    }
}

fn read(path: &Path, db: &str) -> Result<Collect, DumpError> {
    let mut c = Collect::default();
    read_dump(path, db, &mut c)?;
    Ok(c)
}

fn table<'a>(c: &'a Collect, schema: &str, name: &str) -> &'a Rows {
    let found: Vec<_> = c.tables.iter().filter(|t| t.0 == schema && t.1 == name).collect();
    assert_eq!(found.len(), 1, "{schema}.{name} in {c:?}");
    &found[0].3
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn err(path: &Path) -> String {
    format!("{:#}", read(path, "fossology").unwrap_err())
}

#[test]
fn plain_dump_rows_and_escapes_are_exact() {
    let c = read(&data("plain.sql"), "fossology").unwrap();
    let pfile = table(&c, "public", "pfile");
    assert_eq!(pfile.len(), 3);
    assert_eq!(pfile[0], vec![s("1"), s("149FD9DAC3A1FF6AD491F95F49E90BF2"), s("403C2B25B9B02A2EBB6817C459B37AFC1F9BA3B5"), s("35328")]);
    assert_eq!(pfile[2], vec![s("3"), None, None, None]);
    assert_eq!(table(&c, "other", "pfile"), &vec![vec![s("99"), s("same name, other schema")]]);
    let awkward = table(&c, "public", "Awkward Table");
    assert_eq!(awkward[0][1], s("tab\there"));
    assert_eq!(awkward[0][2], s("\\x00ff"));
    assert_eq!(awkward[1][1], s("new\nline and back\\slash"));
    assert_eq!(awkward[2][1], s("héllo wörld ✓"));
    assert_eq!(awkward[3][1], None);
    assert_eq!(awkward[4][1], s("\\N is not null"));
    assert_eq!(awkward[5][1], s("cr\rvt\x0bff\x0cbs\x08"));
    let columns = &c.tables.iter().find(|t| t.1 == "Awkward Table").unwrap().2;
    assert_eq!(columns, &vec!["id".to_string(), "Text Value".to_string(), "b".to_string()]);
    let types = table(&c, "public", "Types");
    assert_eq!(types[0], vec![s("1"), s("t"), s("1010"), s("1"), s("NaN"), s("Infinity"), s("\\x00ff"), s("it's a \\ backslash")]);
    assert_eq!(types[2][7], s(""), "an empty string is not NULL");
    assert_eq!(table(&c, "public", "empty").len(), 0);
}

/// Every format pg_dump writes gives the same tables, columns and rows as the plain dump.
#[test]
fn every_format_gives_the_same_rows() {
    let plain = read(&data("plain.sql"), "fossology").unwrap().normalized();
    assert_eq!(plain.len(), 7, "{plain:?}");
    for name in
        ["create.sql", "inserts.sql", "column-inserts.sql", "rows3.sql", "inserts.sql.gz", "custom.dump", "custom-z0.dump", "custom-inserts.dump", "directory", "tar.tar", "all.sql", "all.sql.gz"]
    {
        let other = read(&data(name), "fossology").unwrap_or_else(|e| panic!("{name}: {e:#}")).normalized();
        assert_eq!(other, plain, "{name}");
    }
}

#[test]
fn summaries_name_the_format_and_version() {
    let mut c = Collect::default();
    let sum = read_dump(&data("custom.dump"), "ignored", &mut c).unwrap();
    assert_eq!(sum.format, DumpFormat::Custom);
    assert_eq!(sum.archive_version.as_deref(), Some("1.14.0"));
    assert_eq!(sum.compression, Some(Compression::Gzip));
    assert_eq!(sum.databases, vec!["fossology".to_string()]);
    assert_eq!(sum.tables_read, 7);
    let sum = read_dump(&data("custom-z0.dump"), "x", &mut Collect::default()).unwrap();
    assert_eq!(sum.compression, Some(Compression::None));
    assert_eq!(read_dump(&data("directory"), "x", &mut Collect::default()).unwrap().format, DumpFormat::Directory);
    assert_eq!(read_dump(&data("tar.tar"), "x", &mut Collect::default()).unwrap().format, DumpFormat::Tar);
}

#[test]
fn only_a_dumpall_file_is_chosen_from_by_name() {
    let other = read(&data("all.sql.gz"), "other").unwrap();
    assert_eq!(table(&other, "public", "pfile"), &vec![vec![s("7"), s("other database")]]);
    let mut c = Collect::default();
    let summary = read_dump(&data("all.sql"), "Odd \"Name\"", &mut c).unwrap();
    assert!(c.tables.is_empty());
    assert!(summary.databases.contains(&"Odd \"Name\"".to_string()), "{:?}", summary.databases);
    let e = read(&data("all.sql.gz"), "nope").unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("no database 'nope'") && msg.contains("fossology") && msg.contains("other"), "{msg}");
    // A pg_dump --create file holds one database, read whatever name is asked for.
    let created = read(&data("create.sql"), "some-other-name").unwrap();
    assert_eq!(created.normalized(), read(&data("plain.sql"), "x").unwrap().normalized());
}

fn damaged(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

#[test]
fn truncated_plain_dumps_are_errors() {
    let plain = std::fs::read(data("plain.sql")).unwrap();
    let cut = plain.windows(4).position(|w| w == b"tab\\").unwrap() + 2;
    assert!(err(damaged(&plain[..cut]).path()).contains("truncated"));
    let end = plain.windows(COMPLETE.len()).position(|w| w == COMPLETE).unwrap();
    let last = plain[..end].windows(2).rposition(|w| w == b"\\.").unwrap() + 3;
    assert!(err(damaged(&plain[..last]).path()).contains("does not end with"));
    let all = std::fs::read(data("all.sql")).unwrap();
    let at = all.windows(17).position(|w| w == b"\\connect fossolog").unwrap() + 200;
    assert!(err(damaged(&all[..at]).path()).contains("truncated"));
    // INSERT dumps: cut inside a statement, and between two statements.
    let ins = std::fs::read(data("inserts.sql")).unwrap();
    let at = ins.windows(12).position(|w| w == b"'same name, ").unwrap() + 5;
    assert!(err(damaged(&ins[..at]).path()).contains("truncated"));
    let at = ins.windows(12).position(|w| w == b"INSERT INTO ").unwrap();
    assert!(err(damaged(&ins[..at]).path()).contains("does not end with"));
}

#[test]
fn damaged_gzip_is_an_error_naming_gzip() {
    let gz = std::fs::read(data("all.sql.gz")).unwrap();
    assert!(err(damaged(&gz[..gz.len() / 2]).path()).contains("gzip"));
    let mut flipped = gz.clone();
    for b in &mut flipped[40..80] {
        *b ^= 0x5a;
    }
    let e = err(damaged(&flipped).path());
    assert!(e.contains("gzip") || e.contains("dump"), "{e}");
}

/// The byte where the data blocks of a custom archive start.
fn blocks_start(bytes: &[u8]) -> usize {
    let mut ar = ArchiveIn::new(bytes);
    let h = read_header(&mut ar).unwrap();
    read_toc(&mut ar, &h, Extra::Offset).unwrap();
    ar.pos as usize
}

#[test]
fn a_truncated_custom_archive_is_an_error_naming_a_table() {
    for name in ["custom.dump", "custom-z0.dump", "custom-inserts.dump"] {
        let bytes = std::fs::read(data(name)).unwrap();
        let start = blocks_start(&bytes);
        for cut in [start, start + 1, start + 7, (start + bytes.len()) / 2, bytes.len() - 5, bytes.len() - 1] {
            let e = err(damaged(&bytes[..cut]).path());
            assert!(e.contains("table public.") || e.contains("table other."), "{name} cut at {cut}: {e}");
        }
        let e = err(damaged(&bytes[..start / 2]).path());
        assert!(e.contains("truncated"), "{name} cut in its TOC: {e}");
    }
}

#[test]
fn a_corrupt_data_block_is_an_error_naming_its_table() {
    let bytes = std::fs::read(data("custom.dump")).unwrap();
    let start = blocks_start(&bytes);
    // The first block: type, dump id (5 bytes), chunk length (5 bytes), then zlib data.
    let mut broken = bytes.clone();
    for b in &mut broken[start + 14..start + 30] {
        *b ^= 0xa5;
    }
    let e = err(damaged(&broken).path());
    assert!(e.contains("the data of table") && e.contains("is damaged"), "{e}");
    // A block type that does not exist.
    let mut broken = bytes.clone();
    broken[start] = 9;
    let e = err(damaged(&broken).path());
    assert!(e.contains("unknown data block type 9") && e.contains("table"), "{e}");
}

#[test]
fn an_unknown_archive_version_is_refused_by_name() {
    let mut bytes = std::fs::read(data("custom.dump")).unwrap();
    bytes[6] = 17; // PGDMP, major, minor
    let e = err(damaged(&bytes).path());
    assert!(e.contains("unsupported archive version 1.17.0"), "{e}");
}

#[test]
fn a_custom_archive_in_a_gzip_wrapper_reads() {
    let bytes = std::fs::read(data("custom.dump")).unwrap();
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(&bytes).unwrap();
    let f = damaged(&g.finish().unwrap());
    assert_eq!(read(f.path(), "x").unwrap().normalized(), read(&data("custom.dump"), "x").unwrap().normalized());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()), &mut out).unwrap();
    out
}

/// PostgreSQL 16+ writes `<id>.dat.lz4` (one LZ4 frame) and `<id>.dat.zst` (one Zstandard
/// frame) in a directory dump: the real dump's files recompressed so.
#[test]
fn a_directory_dump_with_lz4_zstd_or_no_compression_reads() {
    let want = read(&data("directory"), "x").unwrap().normalized();
    for suffix in ["", ".lz4", ".zst", "mixed"] {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&data("directory"), tmp.path());
        let mut i = 0;
        for e in std::fs::read_dir(tmp.path()).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(base) = name.strip_suffix(".gz") else { continue };
            let raw = gunzip(&path);
            std::fs::remove_file(&path).unwrap();
            i += 1;
            let sfx = if suffix == "mixed" { ["", ".gz", ".lz4", ".zst"][i % 4] } else { suffix };
            let bytes = match sfx {
                ".lz4" => {
                    let mut l = lz4_flex::frame::FrameEncoder::new(Vec::new());
                    l.write_all(&raw).unwrap();
                    l.finish().unwrap()
                }
                ".zst" => zstd::encode_all(&raw[..], 3).unwrap(),
                ".gz" => {
                    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    g.write_all(&raw).unwrap();
                    g.finish().unwrap()
                }
                _ => raw,
            };
            std::fs::write(tmp.path().join(format!("{base}{sfx}")), bytes).unwrap();
        }
        assert_eq!(read(tmp.path(), "x").unwrap_or_else(|e| panic!("{suffix}: {e:#}")).normalized(), want, "{suffix}");
    }
}

#[test]
fn a_damaged_directory_dump_is_an_error_naming_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&data("directory"), tmp.path());
    let mut files: Vec<PathBuf> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().ends_with(".dat.gz")).collect();
    files.sort();
    let victim = files.iter().max_by_key(|p| std::fs::metadata(p).unwrap().len()).unwrap().clone();
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() - 6]).unwrap();
    let e = err(tmp.path());
    assert!(e.contains("the data of table public.") && e.contains("damaged"), "{e}");
    // An uncompressed file cut short.
    let raw = gunzip(&data("directory").join(victim.file_name().unwrap()));
    std::fs::remove_file(&victim).unwrap();
    let plain = tmp.path().join(victim.file_stem().unwrap());
    std::fs::write(&plain, &raw[..raw.len() - 4]).unwrap();
    let e = err(tmp.path());
    assert!(e.contains("the data of table public.") && e.contains("truncated"), "{e}");
    std::fs::remove_file(&plain).unwrap();
    let e = err(tmp.path());
    assert!(e.contains("is missing") && e.contains("table public."), "{e}");
}

#[test]
fn a_truncated_tar_archive_is_an_error_naming_a_table() {
    let bytes = std::fs::read(data("tar.tar")).unwrap();
    // After toc.dat's header and body (512 + 4762 rounded up), inside the data members.
    for cut in [6144, 6200, 7000, 8000, 9000] {
        let e = err(damaged(&bytes[..cut]).path());
        assert!(e.contains("table public.") || e.contains("table other."), "cut at {cut}: {e}");
    }
    let e = err(damaged(&bytes[..3000]).path());
    assert!(e.contains("toc.dat") || e.contains("truncated"), "{e}");
}

/// A tar archive re-packed with a data member before toc.dat still reads.
#[test]
fn a_tar_archive_with_data_before_its_toc_reads() {
    let mut archive = tar::Archive::new(std::fs::File::open(data("tar.tar")).unwrap());
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut body).unwrap();
        members.push((e.path().unwrap().to_string_lossy().into_owned(), body));
    }
    members.swap(0, 2);
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in &members {
        let mut h = tar::Header::new_ustar();
        h.set_size(body.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        b.append_data(&mut h, name, &body[..]).unwrap();
    }
    let f = damaged(&b.into_inner().unwrap());
    assert_eq!(read(f.path(), "x").unwrap().normalized(), read(&data("tar.tar"), "x").unwrap().normalized());
}

/// Rewrites `custom-z0.dump` (1.14, uncompressed) as PostgreSQL 16 writes a custom archive
/// compressed with `algorithm` (1.15: a compression byte in the header; each data block one
/// compressed stream in chunks).
fn custom_recompressed(algorithm: u8, compress: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let bytes = std::fs::read(data("custom-z0.dump")).unwrap();
    let start = blocks_start(&bytes);
    // Header: PGDMP 1 14 0, int size, offset size, format, then the level as an integer.
    assert_eq!(&bytes[5..8], &[1, 14, 0]);
    let mut out = bytes[..5].to_vec();
    out.extend_from_slice(&[1, 15, 0]);
    out.extend_from_slice(&bytes[8..11]);
    out.push(algorithm);
    out.extend_from_slice(&bytes[16..start]);
    let mut ar = ArchiveIn::new(&bytes[start..]);
    let mut o = super::toc::write::Out::new();
    while let Some(kind) = ar.byte_or_end().unwrap() {
        assert_eq!(kind, 1);
        let id = ar.int().unwrap();
        let mut payload = Vec::new();
        loop {
            let len = ar.int().unwrap();
            if len == 0 {
                break;
            }
            let mut chunk = vec![0u8; len as usize];
            ar.exact(&mut chunk).unwrap();
            payload.extend_from_slice(&chunk);
        }
        o.byte(1);
        o.int(id);
        let packed = compress(&payload);
        for chunk in packed.chunks(100) {
            o.int(chunk.len() as i64);
            o.buf.extend_from_slice(chunk);
        }
        o.int(0);
    }
    out.extend_from_slice(&o.buf);
    out
}

#[test]
fn custom_archives_with_lz4_and_zstd_blocks_read() {
    let want = read(&data("custom-z0.dump"), "x").unwrap().normalized();
    let lz4 = custom_recompressed(2, |d| {
        let mut l = lz4_flex::frame::FrameEncoder::new(Vec::new());
        l.write_all(d).unwrap();
        l.finish().unwrap()
    });
    let zst = custom_recompressed(3, |d| zstd::encode_all(d, 3).unwrap());
    let none = custom_recompressed(0, |d| d.to_vec());
    for (name, bytes) in [("lz4", &lz4), ("zstd", &zst), ("none", &none)] {
        let f = damaged(bytes);
        let mut c = Collect::default();
        let sum = read_dump(f.path(), "x", &mut c).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(sum.archive_version.as_deref(), Some("1.15.0"));
        assert_eq!(c.normalized(), want, "{name}");
        // Cut inside the last block's compressed stream.
        let e = err(damaged(&bytes[..bytes.len() - 12]).path());
        assert!(e.contains("the data of table"), "{name}: {e}");
    }
}

#[test]
fn other_inputs_are_refused_clearly() {
    assert!(err(damaged(b"").path()).contains("not a PostgreSQL"));
    assert!(err(damaged(b"hello\nworld\n").path()).contains("not a PostgreSQL"));
    assert!(err(Path::new("/nonexistent/dump.sql")).contains("cannot open"));
    let dir = tempfile::tempdir().unwrap();
    assert!(err(dir.path()).contains("toc.dat"));
}

#[test]
fn a_row_with_the_wrong_field_count_is_an_error() {
    let plain = String::from_utf8(std::fs::read(data("plain.sql")).unwrap()).unwrap();
    let broken = plain.replace("2\tD41D8CD98F00B204E9800998ECF8427E", "2\tD41D8CD98F00B204E9800998ECF8427E\textra");
    assert!(err(damaged(broken.as_bytes()).path()).contains("fields"));
    let ins = String::from_utf8(std::fs::read(data("inserts.sql")).unwrap()).unwrap();
    let broken = ins.replace("(3, NULL, NULL, NULL);", "(3, NULL, NULL);");
    assert!(err(damaged(broken.as_bytes()).path()).contains("values"));
}

#[test]
fn the_stream_decoder_gives_the_same_rows_at_any_chunking() {
    let text = b"1\ta\\tb\t\\N\n2\t\xc3\xa9\tx\n";
    let begun = || Collect { tables: vec![("s".into(), "t".into(), vec![], vec![])] };
    let mut whole = begun();
    let mut d = CopyStreamDecoder::new(3);
    d.feed(text, &mut whole).unwrap();
    d.finish().unwrap();
    assert_eq!(whole.tables[0].3.len(), 2);
    for split in 0..text.len() {
        let mut c = begun();
        let mut d = CopyStreamDecoder::new(3);
        d.feed(&text[..split], &mut c).unwrap();
        d.feed(&text[split..], &mut c).unwrap();
        d.finish().unwrap();
        assert_eq!(c.tables[0].3, whole.tables[0].3, "split at {split}");
    }
    let mut c = begun();
    let mut d = CopyStreamDecoder::new(3);
    d.feed(b"1\t2", &mut c).unwrap();
    assert!(d.finish().is_err());
    // A row without its end is not held past the limit.
    let mut d = CopyStreamDecoder::new(1);
    let chunk = vec![b'a'; 1 << 20];
    let fed = (0..=MAX_RECORD / chunk.len()).try_for_each(|_| d.feed(&chunk, &mut c));
    assert!(format!("{:#}", fed.unwrap_err()).contains("longer than 64 MiB"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), prefix in 0u8..3) {
        let mut input = match prefix {
            0 => b"--\n-- PostgreSQL database dump\n--\nCOPY public.t (a, b) FROM stdin;\n".to_vec(),
            1 => std::fs::read(data("custom-z0.dump")).unwrap()[..600].to_vec(),
            _ => Vec::new(),
        };
        input.extend_from_slice(&bytes);
        let f = damaged(&input);
        let _ = read(f.path(), "fossology");
    }

    /// A real dump with a stretch overwritten by any bytes (the dump whole around it): read,
    /// or an error that is one line without control characters and quotes little of it.
    #[test]
    fn a_damaged_dump_is_read_or_one_clean_line(name in 0usize..5, at in 0usize..1_000_000, patch in proptest::collection::vec(any::<u8>(), 1..64)) {
        let name = ["plain.sql", "inserts.sql", "rows3.sql", "custom-z0.dump", "tar.tar"][name];
        let mut bytes = std::fs::read(data(name)).unwrap();
        let at = at % bytes.len();
        let end = (at + patch.len()).min(bytes.len());
        bytes.splice(at..end, patch.iter().copied());
        let f = damaged(&bytes);
        if let Err(e) = read(f.path(), "fossology") {
            let msg = format!("{e:#}");
            prop_assert!(!msg.chars().any(char::is_control), "{}: control characters in {:?}", name, msg);
            prop_assert!(msg.len() < f.path().as_os_str().len() + 600, "{}: {}", name, msg);
            prop_assert!(!matches!(e, DumpError::Sink { .. }), "{}: the sink never fails, yet: {}", name, msg);
        }
    }

    /// Cut anywhere, an archive is an error; a flipped byte never panics (uncompressed data
    /// has no checksum, so a flipped value can read as another value).
    #[test]
    fn a_custom_archive_cut_anywhere_is_an_error(at in 0usize..6000, flip in any::<bool>(), name in 0usize..3) {
        let name = ["custom-z0.dump", "custom.dump", "custom-inserts.dump"][name];
        let mut bytes = std::fs::read(data(name)).unwrap();
        let at = at % bytes.len();
        if flip {
            bytes[at] ^= 0x41;
            let _ = read(damaged(&bytes).path(), "x");
        } else {
            bytes.truncate(at);
            prop_assert!(read(damaged(&bytes).path(), "x").is_err(), "{} cut at {} read as whole", name, at);
        }
    }

    #[test]
    fn escapes_round_trip(values in proptest::collection::vec(proptest::option::of(any::<Vec<u8>>()), 1..6)) {
        let mut line = Vec::new();
        for (i, v) in values.iter().enumerate() {
            if i > 0 { line.push(b'\t'); }
            match v {
                None => line.extend_from_slice(b"\\N"),
                Some(bytes) => for &b in bytes {
                    match b {
                        b'\\' => line.extend_from_slice(b"\\\\"),
                        b'\t' => line.extend_from_slice(b"\\t"),
                        b'\n' => line.extend_from_slice(b"\\n"),
                        b'\r' => line.extend_from_slice(b"\\r"),
                        b if !(0x20..0x7f).contains(&b) => line.extend_from_slice(format!("\\{b:03o}").as_bytes()),
                        b => line.push(b),
                    }
                },
            }
        }
        let mut d = copy_text::LineDecoder::default();
        d.decode(&line, values.len()).unwrap();
        let row = d.row();
        for (i, v) in values.iter().enumerate() {
            prop_assert_eq!(row.get(i), v.as_deref());
        }
    }
}
