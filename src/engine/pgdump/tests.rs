//! The dump reader on real dumps (`testdata/pgdump/make.sh` made them with pg_dump and
//! pg_dumpall 15) and on damaged copies of them.

use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pgdump").join(name)
}

type Rows = Vec<Vec<Option<String>>>;

/// Collects every accepted row as strings (`None` = NULL), per table: name, columns, rows.
#[derive(Default, Debug)]
struct Collect {
    tables: Vec<(String, Vec<String>, Rows)>,
}

impl CopySink for Collect {
    fn begin_table(&mut self, _schema: Option<&str>, table: &str, columns: &[String]) -> Result<bool> {
        self.tables.push((table.to_string(), columns.to_vec(), Vec::new()));
        Ok(true)
    }
    fn row(&mut self, row: &CopyRow<'_>) -> Result<()> {
        let values = (0..row.len()).map(|i| row.get(i).map(|b| String::from_utf8_lossy(b).into_owned())).collect();
        self.tables.last_mut().expect("begun").2.push(values);
        Ok(())
    }
    fn end_table(&mut self) -> Result<()> {
        Ok(())
    }
}

fn read(path: &Path, db: &str) -> Result<Collect> {
    let mut c = Collect::default();
    read_dump(path, db, &mut c)?;
    Ok(c)
}

fn table<'a>(c: &'a Collect, name: &str) -> &'a Rows {
    &c.tables.iter().find(|t| t.0 == name).unwrap_or_else(|| panic!("no table {name}: {c:?}")).2
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn plain_dump_rows_and_escapes_are_exact() {
    let c = read(&data("plain.sql"), "fossology").unwrap();
    let pfile = table(&c, "pfile");
    assert_eq!(pfile.len(), 3);
    assert_eq!(pfile[0], vec![s("1"), s("149FD9DAC3A1FF6AD491F95F49E90BF2"), s("403C2B25B9B02A2EBB6817C459B37AFC1F9BA3B5"), s("35328")]);
    assert_eq!(pfile[2], vec![s("3"), None, None, None]);
    let awkward = table(&c, "Awkward Table");
    assert_eq!(awkward[0][1], s("tab\there"));
    assert_eq!(awkward[0][2], s("\\x00ff"));
    assert_eq!(awkward[1][1], s("new\nline and back\\slash"));
    assert_eq!(awkward[2][1], s("héllo wörld ✓"));
    assert_eq!(awkward[3][1], None);
    assert_eq!(awkward[4][1], s("\\N is not null"));
    assert_eq!(awkward[5][1], s("cr\rvt\x0bff\x0cbs\x08"));
    let columns = &c.tables.iter().find(|t| t.0 == "Awkward Table").unwrap().1;
    assert_eq!(columns, &vec!["id".to_string(), "Text Value".to_string(), "b".to_string()]);
}

#[test]
fn every_form_gives_the_same_rows() {
    let plain = read(&data("plain.sql"), "fossology").unwrap();
    for name in ["create.sql", "all.sql", "all.sql.gz"] {
        let other = read(&data(name), "fossology").unwrap();
        assert_eq!(table(&other, "pfile"), table(&plain, "pfile"), "{name}");
        assert_eq!(table(&other, "Awkward Table"), table(&plain, "Awkward Table"), "{name}");
        assert_eq!(other.tables.len(), 2, "{name}: only the fossology database");
    }
}

#[test]
fn a_dumpall_database_is_chosen_by_name() {
    let other = read(&data("all.sql.gz"), "other").unwrap();
    assert_eq!(table(&other, "pfile"), &vec![vec![s("7"), s("other database")]]);
    let mut c = Collect::default();
    let summary = read_dump(&data("all.sql"), "Odd \"Name\"", &mut c).unwrap();
    assert!(c.tables.is_empty());
    assert!(summary.databases.contains(&"Odd \"Name\"".to_string()), "{:?}", summary.databases);
    let e = read(&data("all.sql.gz"), "nope").unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("no database 'nope'") && msg.contains("fossology") && msg.contains("other"), "{msg}");
}

fn damaged(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

#[test]
fn truncated_dumps_are_errors() {
    let plain = std::fs::read(data("plain.sql")).unwrap();
    // Cut inside the data of a table.
    let cut = plain.windows(4).position(|w| w == b"tab\\").unwrap() + 2;
    let e = read(damaged(&plain[..cut]).path(), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("truncated"), "{e:#}");
    // Cut after the data but before the completion line.
    let end = plain.windows(COMPLETE.len()).position(|w| w == COMPLETE).unwrap();
    let last = plain[..end].windows(2).rposition(|w| w == b"\\.").unwrap() + 3;
    let e = read(damaged(&plain[..last]).path(), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("does not end with"), "{e:#}");
    // A dumpall cut inside the fossology part, then another \connect follows nothing: still an error.
    let all = std::fs::read(data("all.sql")).unwrap();
    let at = all.windows(17).position(|w| w == b"\\connect fossolog").unwrap() + 200;
    let e = read(damaged(&all[..at]).path(), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("truncated"), "{e:#}");
}

#[test]
fn damaged_gzip_is_an_error_naming_gzip() {
    let gz = std::fs::read(data("all.sql.gz")).unwrap();
    let e = read(damaged(&gz[..gz.len() / 2]).path(), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("gzip"), "{e:#}");
    let mut flipped = gz.clone();
    for b in &mut flipped[40..80] {
        *b ^= 0x5a;
    }
    let e = read(damaged(&flipped).path(), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("gzip") || format!("{e:#}").contains("dump"), "{e:#}");
}

#[test]
fn other_inputs_are_refused_clearly() {
    let e = read(&data("custom.dump"), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("pg_restore"), "{e:#}");
    let e = read(damaged(b"").path(), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("not a PostgreSQL"), "{e:#}");
    let e = read(damaged(b"hello\nworld\n").path(), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("not a PostgreSQL"), "{e:#}");
    let e = read(Path::new("/nonexistent/dump.sql"), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("cannot open"), "{e:#}");
}

#[test]
fn a_row_with_the_wrong_field_count_is_an_error() {
    let plain = String::from_utf8(std::fs::read(data("plain.sql")).unwrap()).unwrap();
    let broken = plain.replace("2\tD41D8CD98F00B204E9800998ECF8427E", "2\tD41D8CD98F00B204E9800998ECF8427E\textra");
    let e = read(damaged(broken.as_bytes()).path(), "fossology").unwrap_err();
    assert!(format!("{e:#}").contains("fields"), "{e:#}");
}

#[test]
fn the_stream_decoder_gives_the_same_rows_at_any_chunking() {
    let text = b"1\ta\\tb\t\\N\n2\t\xc3\xa9\tx\n";
    let mut whole = Collect::default();
    whole.tables.push(("t".into(), vec![], vec![]));
    let mut d = CopyStreamDecoder::new(3);
    d.feed(text, &mut whole).unwrap();
    d.finish(&mut whole).unwrap();
    assert_eq!(whole.tables[0].2.len(), 2);
    for split in 0..text.len() {
        let mut c = Collect::default();
        c.tables.push(("t".into(), vec![], vec![]));
        let mut d = CopyStreamDecoder::new(3);
        d.feed(&text[..split], &mut c).unwrap();
        d.feed(&text[split..], &mut c).unwrap();
        d.finish(&mut c).unwrap();
        assert_eq!(c.tables[0].2, whole.tables[0].2, "split at {split}");
    }
    let mut c = Collect::default();
    c.tables.push(("t".into(), vec![], vec![]));
    let mut d = CopyStreamDecoder::new(3);
    d.feed(b"1\t2", &mut c).unwrap();
    assert!(d.finish(&mut c).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), prefix in any::<bool>()) {
        let mut input = if prefix { b"--\n-- PostgreSQL database dump\n--\nCOPY public.t (a, b) FROM stdin;\n".to_vec() } else { Vec::new() };
        input.extend_from_slice(&bytes);
        let f = damaged(&input);
        let _ = read(f.path(), "fossology");
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
