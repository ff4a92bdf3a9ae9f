//! Every dump format pg_dump writes, made at test time from a real database in a real
//! server, reads as the server itself reads: the same rows for FOSSology's tables and a JS7
//! JOC table set through `read_tables`, and the same rows of every table through the
//! every-table observer. Damaged archives are errors naming the table; a table of the same
//! name in another schema is never mixed in, nor a statement in a function's body.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::Result;
use repocheck::engine::tables::{DbSource, EveryTable, Row, TableSink, TableSpec, read_tables, read_tables_with};
use repocheck_testkit::fossology::Case;
use repocheck_testkit::postgres::TestDb;

fn is_uploadtree_child(suffix: &str) -> bool {
    suffix == "a" || (!suffix.is_empty() && suffix.bytes().all(|c| c.is_ascii_digit()))
}

/// The tables `fossology::metadata` reads.
const FOSSOLOGY: &[TableSpec] = &[
    TableSpec { schema: "public", name: "pfile", children: None, columns: &["pfile_pk", "pfile_sha1", "pfile_md5", "pfile_size"], optional: false },
    TableSpec { schema: "public", name: "upload", children: None, columns: &["upload_pk", "pfile_fk", "user_fk", "upload_mode", "upload_origin", "upload_filename"], optional: false },
    TableSpec { schema: "public", name: "uploadtree", children: Some(is_uploadtree_child), columns: &["upload_fk", "pfile_fk"], optional: false },
    TableSpec { schema: "public", name: "job", children: None, columns: &["job_pk", "job_upload_fk"], optional: false },
    TableSpec { schema: "public", name: "jobqueue", children: None, columns: &["jq_pk", "jq_job_fk", "jq_type", "jq_args", "jq_starttime", "jq_endtime", "jq_end_bits"], optional: false },
];

/// The tables `js7::joc` reads (`dep_configurations` is a view: no data in a dump).
const JOC: &[TableSpec] = &[
    TableSpec { schema: "public", name: "dep_history", children: None, columns: &["ID", "NAME", "TYPE", "CONTROLLER_ID", "COMMIT_ID", "STATE", "OPERATION"], optional: false },
    TableSpec { schema: "public", name: "joc_variables", children: None, columns: &["NAME", "TEXT_VALUE"], optional: false },
    TableSpec { schema: "public", name: "history_controllers", children: None, columns: &["CONTROLLER_ID", "READY_EVENT_ID"], optional: true },
];

const OTHER_PFILE: &[TableSpec] = &[TableSpec { schema: "other", name: "pfile", children: None, columns: &["pfile_pk", "note"], optional: false }];

type Rows = Vec<(usize, Vec<Option<String>>)>;

#[derive(Default)]
struct Collect(Rows);

impl TableSink for Collect {
    fn row(&mut self, table: usize, row: &Row<'_, '_>) -> Result<()> {
        let values = (0..row.len()).map(|i| row.get(i).map(|b| String::from_utf8_lossy(b).into_owned())).collect();
        self.0.push((table, values));
        Ok(())
    }
}

fn rows(source: &DbSource, specs: &[TableSpec]) -> Result<Rows> {
    let mut c = Collect::default();
    read_tables(source, "ignored", specs, &mut c)?;
    c.0.sort();
    Ok(c.0)
}

/// Every table: columns and sorted rows.
type Tables = BTreeMap<(String, String), (Vec<String>, Vec<Vec<Option<Vec<u8>>>>)>;

#[derive(Default)]
struct Every {
    tables: Tables,
    current: Option<(String, String)>,
}

impl EveryTable for Every {
    fn begin(&mut self, schema: &str, table: &str, columns: &[String]) -> Result<()> {
        let key = (schema.to_string(), table.to_string());
        assert!(self.tables.insert(key.clone(), (columns.to_vec(), Vec::new())).is_none(), "{key:?} twice");
        self.current = Some(key);
        Ok(())
    }
    fn row(&mut self, fields: &[Option<&[u8]>]) -> Result<()> {
        let key = self.current.as_ref().expect("begun");
        let t = self.tables.get_mut(key).unwrap();
        assert_eq!(fields.len(), t.0.len(), "{key:?}");
        t.1.push(fields.iter().map(|f| f.map(<[u8]>::to_vec)).collect());
        Ok(())
    }
    fn end(&mut self) -> Result<()> {
        let key = self.current.take().expect("begun");
        self.tables.get_mut(&key).unwrap().1.sort();
        Ok(())
    }
}

fn every(source: &DbSource) -> Result<Tables> {
    let mut e = Every::default();
    read_tables_with(source, "ignored", FOSSOLOGY, &mut Collect::default(), Some(&mut e))?;
    assert!(e.current.is_none());
    Ok(e.tables)
}

/// Extra tables: the same name in another schema, awkward values, a generated column, a
/// table with no rows, a timestamp with time zone printed in the database's own zone.
const EXTRA: &str = r#"
CREATE SCHEMA other;
CREATE TABLE other.pfile (pfile_pk bigint, note text);
INSERT INTO other.pfile VALUES (424242, 'same name, other schema');
CREATE TABLE other.dep_history ("ID" bigint);
INSERT INTO other.dep_history VALUES (77);
CREATE TABLE awkward (
  id int PRIMARY KEY, flag boolean, bits bit(3), vbits varbit, n numeric, f float8, r real, b bytea,
  t text, ts timestamptz, iv interval, arr int[], j jsonb, twice int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO awkward (id, flag, bits, vbits, n, f, r, b, t, ts, iv, arr, j) VALUES
  (1, true, B'101', B'', 'NaN', '-Infinity', 0.1, '\x00ff5c', E'quote '' backslash \\ tab \t newline \n end', '2026-03-29 01:30:00+00', '1 day 02:03:04', '{1,NULL,3}', '{"a": [1, "x\"y"]}'),
  (2, false, B'000', B'1', 0.000001, 1.0000000000000002, 3.4e38, '\x', '', '2026-10-25 00:59:59.123456+00', '-3 mons', '{}', 'null'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, true, B'111', B'0101', -12345678901234567890.5, 2.2250738585072014e-308, -0, '\x5c4e', E'\\N looks like NULL', 'infinity', '00:00:00.000001', '{-1}', '"é ✓"');
CREATE TABLE empty_table (x int, y text);
CREATE FUNCTION public.note_pfile() RETURNS void LANGUAGE sql AS $$
INSERT INTO other.pfile VALUES (1, 'a statement in a function body, not data');
$$;
"#;

struct Fixture {
    case: Case,
    dumps: Vec<(&'static str, PathBuf)>,
}

fn pg(db: &TestDb, program: &str) -> Command {
    let server = repocheck_testkit::postgres::shared();
    let mut cmd = Command::new(server.bin().join(program));
    cmd.arg("-h").arg(db.socket_dir()).args(["-p", &db.port().to_string(), "-U", "postgres"]);
    cmd
}

fn run(mut cmd: Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// pg_dump `args` of the database into `out` through a shell pipe (`| cat >`, `| gzip >`):
/// the output cannot be sought, as when a backup script pipes it.
fn dump_piped(db: &TestDb, args: &[&str], filter: &str, out: &Path) {
    let cmd = pg(db, "pg_dump");
    let mut line: Vec<String> = vec![cmd.get_program().to_string_lossy().into_owned()];
    line.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    line.extend(args.iter().map(|a| a.to_string()));
    line.push(db.name.clone());
    let quoted: Vec<String> = line.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect();
    let script = format!("set -o pipefail; {} | {filter} > '{}'", quoted.join(" "), out.display());
    run({
        let mut c = Command::new("bash");
        c.args(["-c", &script]);
        c
    });
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let case = Case::standard("pgdump_formats");
        let scenario = repocheck_testkit::js7::Scenario::healthy();
        case.db.psql(&repocheck_testkit::js7::joc_sql(&scenario, scenario.controller_last())).unwrap();
        case.db.psql(EXTRA).unwrap();
        // pg_dump's session takes the database's time zone; so must the server path.
        case.db.psql(&format!("ALTER DATABASE \"{}\" SET timezone TO 'Asia/Kolkata'", case.db.name)).unwrap();
        let dir = case.tmp.path().join("dumps");
        std::fs::create_dir_all(&dir).unwrap();
        let db = &case.db;
        let mut dumps = Vec::new();
        let mut file = |name: &'static str, args: &[&str]| {
            let out = dir.join(name);
            let mut cmd = pg(db, "pg_dump");
            cmd.args(args).arg("-f").arg(&out).arg(&db.name);
            run(cmd);
            dumps.push((name, out));
        };
        file("plain.sql", &[]);
        file("create.sql", &["--create"]);
        file("inserts.sql", &["--inserts"]);
        file("column-inserts.sql", &["--column-inserts"]);
        file("custom.dump", &["-Fc"]);
        file("custom-z0.dump", &["-Fc", "-Z0"]);
        file("custom-inserts.dump", &["-Fc", "--column-inserts"]);
        file("directory", &["-Fd"]);
        file("directory-j2", &["-Fd", "-j2", "-Z0"]);
        file("tar.tar", &["-Ft"]);
        file("tar-inserts.tar", &["-Ft", "--rows-per-insert=3"]);
        // Data only: no table is created, the triggers are switched off around each table.
        file("data-only.sql", &["--data-only", "--disable-triggers"]);
        file("data-only.dump", &["-Fc", "--data-only"]);
        for (name, args, filter) in [
            ("piped.dump", &["-Fc"][..], "cat"),
            ("piped-z0.dump", &["-Fc", "-Z0"][..], "cat"),
            ("plain.sql.gz", &[][..], "gzip"),
            ("rows3.sql.gz", &["--rows-per-insert=3"][..], "gzip"),
            ("tar.tar.gz", &["-Ft"][..], "gzip"),
        ] {
            let out = dir.join(name);
            dump_piped(db, args, filter, &out);
            dumps.push((name, out));
        }
        Fixture { case, dumps }
    })
}

fn server(f: &Fixture) -> DbSource {
    DbSource::Url(f.case.db.url())
}

#[test]
fn every_format_gives_the_servers_rows_for_fossology_and_joc() {
    let f = fixture();
    let want_foss = rows(&server(f), FOSSOLOGY).unwrap();
    let want_joc = rows(&server(f), JOC).unwrap();
    assert!(want_foss.iter().any(|r| r.0 == 2), "uploadtree rows");
    assert!(want_foss.iter().any(|r| r.0 == 4), "jobqueue rows");
    assert!(want_joc.iter().any(|r| r.0 == 0), "dep_history rows");
    for (name, path) in &f.dumps {
        let source = DbSource::Dump(path.clone());
        assert_eq!(rows(&source, FOSSOLOGY).unwrap_or_else(|e| panic!("{name}: {e:#}")), want_foss, "{name}: FOSSology");
        assert_eq!(rows(&source, JOC).unwrap_or_else(|e| panic!("{name}: {e:#}")), want_joc, "{name}: JOC");
    }
    // The products' own readers agree too.
    let joc = repocheck::js7::joc::read(&server(f), "x", None).unwrap();
    let from_dump = repocheck::js7::joc::read(&DbSource::Dump(f.dumps[4].1.clone()), "x", None).unwrap();
    assert_eq!(format!("{:?}", joc.deployed), format!("{:?}", from_dump.deployed));
    assert_eq!(joc.history, from_dump.history);
}

#[test]
fn every_table_has_the_same_rows_everywhere() {
    let f = fixture();
    let want = every(&server(f)).unwrap();
    for table in [("public", "pfile"), ("other", "pfile"), ("public", "awkward"), ("public", "empty_table"), ("public", "uploadtree_a"), ("public", "dep_history")] {
        assert!(want.contains_key(&(table.0.to_string(), table.1.to_string())), "{table:?} in {:?}", want.keys());
    }
    let awkward = &want[&("public".to_string(), "awkward".to_string())];
    assert!(!awkward.0.contains(&"twice".to_string()), "generated columns are left out");
    let ts = awkward.0.iter().position(|c| c == "ts").unwrap();
    assert_eq!(awkward.1[0][ts].as_deref(), Some(&b"2026-03-29 07:00:00+05:30"[..]), "printed in the database's time zone");
    for (name, path) in &f.dumps {
        let got = every(&DbSource::Dump(path.clone())).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{name}: the same tables");
        for (key, table) in &want {
            assert_eq!(&got[key], table, "{name}: {key:?}");
        }
    }
}

#[test]
fn a_same_named_table_in_another_schema_is_not_mixed_in() {
    let f = fixture();
    let mut sources = vec![("server", server(f))];
    sources.extend(f.dumps.iter().map(|(n, p)| (*n, DbSource::Dump(p.clone()))));
    for (name, source) in &sources {
        let pfile = rows(source, &FOSSOLOGY[..1]).unwrap();
        assert!(!pfile.is_empty());
        assert!(pfile.iter().all(|r| r.1[0].as_deref() != Some("424242")), "{name}: other.pfile mixed into public.pfile");
        assert_eq!(rows(source, OTHER_PFILE).unwrap(), vec![(0, vec![Some("424242".to_string()), Some("same name, other schema".to_string())])], "{name}");
        let history = rows(source, &JOC[..1]).unwrap();
        assert!(history.iter().all(|r| r.1[0].as_deref() != Some("77")), "{name}: other.dep_history mixed in");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn dump_err(path: &Path) -> String {
    match rows(&DbSource::Dump(path.to_path_buf()), FOSSOLOGY) {
        Ok(_) => panic!("{} read without an error", path.display()),
        Err(e) => format!("{e:#}"),
    }
}

fn path_of(f: &Fixture, name: &str) -> PathBuf {
    f.dumps.iter().find(|d| d.0 == name).unwrap().1.clone()
}

#[test]
fn damaged_archives_are_errors_naming_the_table() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    // A tar archive cut inside each data member, and at its very end.
    let tar_bytes = std::fs::read(path_of(f, "tar.tar")).unwrap();
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let members: Vec<(String, u64, u64)> =
        archive.entries().unwrap().map(|e| e.unwrap()).map(|e| (e.path().unwrap().to_string_lossy().into_owned(), e.raw_file_position(), e.header().size().unwrap())).collect();
    let mut cuts = 0;
    for (member, at, size) in members.iter().filter(|m| m.0 != "toc.dat" && m.0.ends_with(".dat") && m.2 > 1) {
        let cut = tmp.path().join(format!("cut-{member}.tar"));
        std::fs::write(&cut, &tar_bytes[..(at + size / 2) as usize]).unwrap();
        let e = dump_err(&cut);
        assert!(e.contains("table public.") || e.contains("table other."), "tar cut inside {member}: {e}");
        cuts += 1;
    }
    assert!(cuts > 5);
    let cut = tmp.path().join("cut-end.tar");
    std::fs::write(&cut, &tar_bytes[..tar_bytes.len() - 1]).unwrap();
    assert!(dump_err(&cut).contains("truncated"));
    for name in ["custom.dump", "piped.dump", "custom-z0.dump", "custom-inserts.dump"] {
        let bytes = std::fs::read(path_of(f, name)).unwrap();
        // Cut in the data (the end of the archive): the error names a table.
        for back in [1, 40, 400, 1500] {
            let cut = tmp.path().join(format!("cut-{back}-{name}"));
            std::fs::write(&cut, &bytes[..bytes.len() - back]).unwrap();
            let e = dump_err(&cut);
            assert!(e.contains("table public.") || e.contains("table other."), "{name} cut {back} bytes short: {e}");
        }
        // Cut in the table of contents: an error too.
        let cut = tmp.path().join(format!("cut-toc-{name}"));
        std::fs::write(&cut, &bytes[..bytes.len() / 4]).unwrap();
        assert!(dump_err(&cut).contains("truncated"), "{name}");
    }
    // Corrupted compressed data in the data blocks (the end of the archive; its TOC, with
    // every CREATE statement, is most of this small database's archive).
    let bytes = std::fs::read(path_of(f, "custom.dump")).unwrap();
    for back in [30, 200, 700, 1500] {
        let mut broken = bytes.clone();
        let at = bytes.len() - back;
        for b in &mut broken[at..at + 12] {
            *b ^= 0x3c;
        }
        let p = tmp.path().join(format!("corrupt-{back}.dump"));
        std::fs::write(&p, &broken).unwrap();
        let e = dump_err(&p);
        assert!(e.contains("table public.") || e.contains("table other."), "{back}: {e}");
    }
    // A directory dump with a data file cut short.
    let dir = tmp.path().join("dir");
    copy_dir(&path_of(f, "directory"), &dir);
    let biggest = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().ends_with(".dat.gz")).max_by_key(|p| std::fs::metadata(p).unwrap().len()).unwrap();
    let data = std::fs::read(&biggest).unwrap();
    std::fs::write(&biggest, &data[..data.len() / 2]).unwrap();
    let e = dump_err(&dir);
    assert!(e.contains("the data of table public.") && e.contains("damaged"), "{e}");
    // An archive version this reader does not know.
    let mut future = bytes.clone();
    future[6] = 42;
    let p = tmp.path().join("future.dump");
    std::fs::write(&p, &future).unwrap();
    assert!(dump_err(&p).contains("unsupported archive version 1.42.0"));
}

// ---------------------------------------------------------------------------------------
// Hostile dumps: a real dump of the fixture, damaged by the test.

/// Where `needle` first occurs in `hay`, after `from`.
fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    find_from(hay, needle, 0).unwrap_or_else(|| panic!("{:?} not in the dump", String::from_utf8_lossy(needle)))
}

/// The line (from 1) that byte `at` is on.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1
}

/// `bytes` with `len` bytes at `at` replaced by `with`.
fn splice(bytes: &[u8], at: usize, len: usize, with: &[u8]) -> Vec<u8> {
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(with);
    out.extend_from_slice(&bytes[at + len..]);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 1).unwrap()
}

fn lz4(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// An error line as a person reads it: one line, no control characters, the input named once.
fn assert_clean(e: &str, input: &Path) {
    assert!(!e.chars().any(char::is_control), "control characters in {e:?}");
    let shown = input.display().to_string();
    assert_eq!(e.matches(&shown).count(), 1, "the input named once: {e}");
}

/// Every way of writing a damaged plain dump: as it is, and compressed by gzip, zstd, lz4.
fn plain_variants(dir: &Path, name: &str, bytes: &[u8]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (suffix, data) in [("", bytes.to_vec()), (".gz", gzip(bytes)), (".zst", zstd(bytes)), (".lz4", lz4(bytes))] {
        let p = dir.join(format!("{name}{suffix}"));
        std::fs::write(&p, data).unwrap();
        out.push(p);
    }
    out
}

/// The line of the COPY statement (or first INSERT) of `table` in a plain dump.
fn data_line(bytes: &[u8], table: &str) -> usize {
    let copy = format!("\nCOPY public.{table} (");
    let insert = format!("\nINSERT INTO public.{table} ");
    let at = find_from(bytes, copy.as_bytes(), 0).or_else(|| find_from(bytes, insert.as_bytes(), 0)).unwrap_or_else(|| panic!("no data for {table}")) + 1;
    line_of(bytes, at)
}

#[test]
fn a_damaged_data_statement_in_a_plain_dump_is_an_error_naming_the_table_and_line() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let copy = std::fs::read(path_of(f, "plain.sql")).unwrap();
    let inserts = std::fs::read(path_of(f, "inserts.sql")).unwrap();
    let upload_copy = find(&copy, b"\nCOPY public.upload (") + 1;
    let upload_end = find_from(&copy, b" FROM stdin;\n", upload_copy).unwrap();
    let upload_insert = find(&inserts, b"\nINSERT INTO public.upload VALUES") + 1;
    let never_created = |bytes: &[u8]| {
        let at = find(bytes, b"\nCREATE TABLE public.uploadtree_3 (") + 1;
        splice(bytes, at, b"CREATE TABLE".len(), b"CREATE TABLX")
    };
    let cases: Vec<(&str, Vec<u8>, &str, usize)> = vec![
        ("copz", splice(&copy, upload_copy, 4, b"COPZ"), "public.upload", line_of(&copy, upload_copy)),
        ("stdim", splice(&copy, upload_end, 12, b" FROM stdim;"), "public.upload", line_of(&copy, upload_copy)),
        // A flipped bit in the column list: ',' (0x2c) becomes '.' (0x2e).
        ("column-list", splice(&copy, find_from(&copy, b",", upload_copy).unwrap(), 1, b"."), "public.upload", line_of(&copy, upload_copy)),
        ("copy-never-created", never_created(&copy), "public.uploadtree_3", data_line(&copy, "uploadtree_3")),
        ("insert-intx", splice(&inserts, upload_insert, 11, b"INSERT INTX"), "public.upload", line_of(&inserts, upload_insert)),
        ("insert-valuez", splice(&inserts, upload_insert + 26, 6, b"VALUEZ"), "public.upload", line_of(&inserts, upload_insert)),
        ("insert-never-created", never_created(&inserts), "public.uploadtree_3", data_line(&inserts, "uploadtree_3")),
    ];
    for (name, bytes, table, line) in cases {
        for path in plain_variants(tmp.path(), name, &bytes) {
            let e = dump_err(&path);
            assert!(e.contains(&format!("table {table}")) && e.contains(&format!("line {line}")), "{}: expected table {table} at line {line}: {e}", path.display());
            assert!(e.contains("damaged"), "{e}");
            assert_clean(&e, &path);
        }
    }
    // A byte of a column name changed: the table has no such column, said once per input.
    let renamed = splice(&copy, find_from(&copy, b"upload_origin", upload_copy).unwrap(), 13, b"upload_origix");
    let p = tmp.path().join("renamed-column.sql");
    std::fs::write(&p, &renamed).unwrap();
    let e = dump_err(&p);
    assert!(e.contains("table public.upload has no column upload_origin"), "{e}");
    assert_clean(&e, &p);
}

#[test]
fn the_joc_reader_refuses_a_damaged_dep_history_section() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let copy = std::fs::read(path_of(f, "plain.sql")).unwrap();
    let at = find(&copy, b"\nCOPY public.dep_history (") + 1;
    let line = line_of(&copy, at);
    for path in plain_variants(tmp.path(), "joc", &splice(&copy, at, 4, b"COPZ")) {
        let e = format!("{:#}", repocheck::js7::joc::read(&DbSource::Dump(path.clone()), "x", None).err().unwrap_or_else(|| panic!("{} read", path.display())));
        assert!(e.contains("table public.dep_history") && e.contains(&format!("line {line}")), "{e}");
        let e = format!("{:#}", rows(&DbSource::Dump(path.clone()), JOC).unwrap_err());
        assert!(e.contains("table public.dep_history"), "{e}");
        assert_clean(&e, &path);
    }
}

/// The byte pattern of the TOC entry of `table`'s data: its tag, then its description
/// (archive strings: a sign byte and a 4-byte length, then the bytes).
fn data_entry_at(toc: &[u8], table: &str) -> usize {
    let mut pattern = table.as_bytes().to_vec();
    pattern.extend_from_slice(&[0, 10, 0, 0, 0]);
    pattern.extend_from_slice(b"TABLE DATA");
    find(toc, &pattern)
}

/// Applies `edit` to the TOC of the archive `name` (a file, or the directory's toc.dat),
/// written as a new archive in `dir`.
fn edited_archive(f: &Fixture, dir: &Path, name: &str, label: &str, edit: &dyn Fn(&[u8]) -> Vec<u8>) -> PathBuf {
    let source = path_of(f, name);
    let out = dir.join(format!("{label}-{name}"));
    if source.is_dir() {
        copy_dir(&source, &out);
        let toc = out.join("toc.dat");
        std::fs::write(&toc, edit(&std::fs::read(&toc).unwrap())).unwrap();
    } else {
        std::fs::write(&out, edit(&std::fs::read(&source).unwrap())).unwrap();
    }
    out
}

#[test]
fn a_damaged_toc_entry_is_an_error_naming_the_entry_and_table() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let table = "uploadtree_3";
    for name in ["custom.dump", "custom-z0.dump", "piped.dump", "custom-inserts.dump", "directory", "tar.tar", "tar-inserts.tar"] {
        // TABLE DATA → TABLE DATX: an entry of an unknown type that has data.
        let datx = edited_archive(f, tmp.path(), name, "datx", &|b| {
            let at = data_entry_at(b, table) + table.len() + 5;
            splice(b, at, 10, b"TABLE DATX")
        });
        let e = dump_err(&datx);
        assert!(e.contains("'TABLE DATX' public.uploadtree_3") && e.contains("has data") && e.contains("damaged"), "{name}: {e}");
        assert_clean(&e, &datx);
        // The entry's tag renamed: data for a table the archive never creates.
        let renamed = edited_archive(f, tmp.path(), name, "tag", &|b| {
            let at = data_entry_at(b, table);
            splice(b, at, table.len(), b"uploadtreeX3")
        });
        let e = dump_err(&renamed);
        assert!(e.contains("table public.uploadtreeX3") && e.contains("never creates"), "{name}: {e}");
        assert_clean(&e, &renamed);
        // Binary bytes in the description are shown escaped, never raw.
        let binary = edited_archive(f, tmp.path(), name, "binary", &|b| {
            let at = data_entry_at(b, table) + table.len() + 5;
            splice(b, at, 10, b"\x1b]0;PWN\x07\xff\x9b")
        });
        let e = dump_err(&binary);
        assert!(e.contains("\\x1b]0;PWN\\x07\\xff\\x9b") && e.contains("public.uploadtree_3"), "{name}: {e}");
        assert_clean(&e, &binary);
    }
}

/// The dump id of `table`'s data in the archive at `path`, as `pg_restore -l` lists it.
fn data_dump_id(path: &Path, table: &str) -> u32 {
    let server = repocheck_testkit::postgres::shared();
    let out = Command::new(server.bin().join("pg_restore")).arg("-l").arg(path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = String::from_utf8(out.stdout).unwrap();
    let line = list.lines().find(|l| l.contains(&format!(" TABLE DATA public {table} "))).unwrap_or_else(|| panic!("{table} in {list}"));
    line.split(';').next().unwrap().trim().parse().unwrap()
}

/// Where the data block of dump id `id` starts in a custom archive: its type byte (1),
/// then the id as an archive integer. Blocks follow the TOC, so the last match is it.
fn block_at(bytes: &[u8], id: u32) -> usize {
    let mut header = vec![1u8, 0];
    header.extend_from_slice(&id.to_le_bytes());
    bytes.windows(header.len()).rposition(|w| w == header).unwrap_or_else(|| panic!("no data block for dump id {id}"))
}

#[test]
fn a_data_block_of_an_unknown_type_is_an_error_naming_the_table() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    for name in ["custom.dump", "custom-z0.dump"] {
        let source = path_of(f, name);
        let id = data_dump_id(&source, "uploadtree_3");
        let mut bytes = std::fs::read(&source).unwrap();
        let at = block_at(&bytes, id);
        bytes[at] = 9;
        let p = tmp.path().join(format!("block-{name}"));
        std::fs::write(&p, &bytes).unwrap();
        let e = dump_err(&p);
        assert!(e.contains("unknown data block type 9") && e.contains("table public.uploadtree_3"), "{name}: {e}");
    }
}

// Decompression bombs and endless lines, made small on disk.

/// Bits written least significant first, as deflate packs them.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, bits: u32) {
        self.acc |= value << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: its bits most significant first.
    fn code(&mut self, code: u64, bits: u32) {
        let reversed = (0..bits).fold(0, |r, i| r | (((code >> i) & 1) << (bits - 1 - i)));
        self.put(reversed, bits);
    }
}

/// A raw deflate stream of `1 + 258 * copies` bytes `a` (one fixed-Huffman block: a
/// literal, then copies of length 258 at distance 1, 13 bits each): about 1,000 to 1.
fn deflate_bomb(copies: u64) -> Vec<u8> {
    let mut b = Bits { out: Vec::new(), acc: 0, n: 0 };
    b.put(1, 1); // the last block
    b.put(1, 2); // fixed Huffman codes
    b.code(0x30 + u64::from(b'a'), 8);
    for _ in 0..copies {
        b.code(0xc0 + 5, 8); // length 258 (symbol 285)
        b.code(0, 5); // distance 1
    }
    b.code(0, 7); // end of block (symbol 256)
    b.put(0, 7);
    b.out
}

/// A zlib stream (what the custom format's blocks hold) of `1 + 258 * copies` bytes `a`.
fn zlib_bomb(copies: u64) -> Vec<u8> {
    let n = 1 + 258 * copies;
    // Adler-32 of n bytes of value v: A = 1 + n·v, B = n + v·n(n+1)/2 (mod 65521).
    let (m, v) = (65521u128, u128::from(b'a'));
    let n128 = u128::from(n);
    let a = (1 + n128 * v) % m;
    let b = (n128 + v * (n128 * (n128 + 1) / 2)) % m;
    let mut out = vec![0x78, 0x01];
    out.extend(deflate_bomb(copies));
    out.extend_from_slice(&((b << 16 | a) as u32).to_be_bytes());
    out
}

/// A gzip member of `1 + 258 * copies` bytes `a`.
fn gzip_bomb(copies: u64) -> Vec<u8> {
    let n = 1 + 258 * copies;
    let mut crc = flate2::Crc::new();
    let chunk = vec![b'a'; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        crc.update(&chunk[..k]);
        left -= k as u64;
    }
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(deflate_bomb(copies));
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out
}

/// A Zstandard frame of `blocks` × 128 KiB bytes `a`, as RLE blocks of 4 bytes each.
fn zstd_bomb(blocks: u32) -> Vec<u8> {
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
    out.push(0); // frame header: no content size, no checksum, not single-segment
    out.push(7 << 3); // window 2^(10+7) = 128 KiB
    for i in 0..blocks {
        let last = u32::from(i + 1 == blocks);
        let header = last | (1 << 1) | ((128 << 10) << 3); // RLE, 128 KiB
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.push(b'a');
    }
    out
}

/// `repocheck check fossology` on `db` with its address space limited to `limit` bytes
/// (prlimit): a reader that held a bomb's line whole could not allocate it.
fn check_limited(f: &Fixture, db: &Path, limit: u64) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("repocheck");
    Command::new("prlimit")
        .arg(format!("--as={limit}"))
        .arg(bin)
        .args(["check", "fossology", "--db"])
        .arg(db)
        .arg("--repo")
        .arg(&f.case.inst.repo)
        .arg("--conf")
        .arg(f.case.inst.conf())
        .output()
        .unwrap()
}

const GIB: u64 = 1 << 30;

/// What a run refusing an endless line says: exit 2, one line naming the input, table, line.
fn assert_long_line(out: &std::process::Output, db: &Path, table: &str, line: usize) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {err}", db.display());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(&db.display().to_string()) && err.contains(&format!("table {table}")) && err.contains(&format!("line {line}")) && err.contains("longer than 64 MiB"), "{err}");
    assert!(out.stdout.is_empty(), "no partial report");
}

#[test]
fn an_endless_line_or_a_decompression_bomb_stops_at_the_limit() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let copy = std::fs::read(path_of(f, "plain.sql")).unwrap();
    let upload = find(&copy, b"\nCOPY public.upload (") + 1;
    let prefix = &copy[..find_from(&copy, b"\n", upload).unwrap() + 1];
    let row_line = line_of(prefix, prefix.len());
    // A sparse file: the COPY row is 3 GiB of NUL bytes without a newline.
    let sparse = tmp.path().join("sparse.sql");
    std::fs::write(&sparse, prefix).unwrap();
    std::fs::OpenOptions::new().write(true).open(&sparse).unwrap().set_len(prefix.len() as u64 + 3 * GIB).unwrap();
    let e = dump_err(&sparse);
    assert!(e.contains("table public.upload") && e.contains(&format!("line {row_line}")) && e.contains("longer than 64 MiB"), "{e}");
    assert_long_line(&check_limited(f, &sparse, GIB), &sparse, "public.upload", row_line);
    // An INSERT row whose string never ends (its statement spans lines).
    let inserts = std::fs::read(path_of(f, "inserts.sql")).unwrap();
    let at = find(&inserts, b"\nINSERT INTO public.upload VALUES (") + 1;
    let mut head = inserts[..at].to_vec();
    head.extend_from_slice(b"INSERT INTO public.upload VALUES (1, 'x\n");
    let endless = tmp.path().join("endless-insert.sql");
    std::fs::write(&endless, &head).unwrap();
    std::fs::OpenOptions::new().write(true).open(&endless).unwrap().set_len(head.len() as u64 + 3 * GIB).unwrap();
    let e = dump_err(&endless);
    assert!(e.contains("table public.upload") && e.contains("longer than 64 MiB"), "{e}");
    assert!(e.contains(&format!("line {}", line_of(&head, head.len()))), "{e}");
    // zstd: the dump's start, then a frame of 2 GiB without a newline (64 KiB on disk).
    let mut bomb = zstd(prefix);
    bomb.extend(zstd_bomb((2 * GIB / (128 << 10)) as u32));
    assert!(bomb.len() < (1 << 20));
    let zst = tmp.path().join("bomb.sql.zst");
    std::fs::write(&zst, &bomb).unwrap();
    assert_long_line(&check_limited(f, &zst, GIB), &zst, "public.upload", row_line);
    // gzip: a second member of 256 MiB, lz4 a second frame of 80 MiB.
    let mut bomb = gzip(prefix);
    bomb.extend(gzip_bomb((256 << 20) / 258));
    let gz = tmp.path().join("bomb.sql.gz");
    std::fs::write(&gz, &bomb).unwrap();
    let e = dump_err(&gz);
    assert!(e.contains("table public.upload") && e.contains(&format!("line {row_line}")) && e.contains("longer than 64 MiB"), "{e}");
    let mut bomb = lz4(prefix);
    bomb.extend(lz4(&vec![b'a'; 80 << 20]));
    let l4 = tmp.path().join("bomb.sql.lz4");
    std::fs::write(&l4, &bomb).unwrap();
    let e = dump_err(&l4);
    assert!(e.contains("table public.upload") && e.contains(&format!("line {row_line}")) && e.contains("longer than 64 MiB"), "{e}");
    // A custom archive whose uploadtree_3 block is a zlib stream of 2 GiB without a newline.
    let source = path_of(f, "custom.dump");
    let id = data_dump_id(&source, "uploadtree_3");
    let archive = std::fs::read(&source).unwrap();
    let start = block_at(&archive, id) + 6;
    // Its chunks: a length (sign byte and 4 bytes) and the bytes, until a zero length.
    let mut end = start;
    loop {
        let len = u32::from_le_bytes(archive[end + 1..end + 5].try_into().unwrap()) as usize;
        end += 5;
        if len == 0 {
            break;
        }
        end += len;
    }
    let zlib = zlib_bomb(2 * GIB / 258);
    let mut chunks = vec![0u8];
    chunks.extend_from_slice(&(zlib.len() as u32).to_le_bytes());
    chunks.extend_from_slice(&zlib);
    chunks.extend_from_slice(&[0, 0, 0, 0, 0]);
    let custom = tmp.path().join("bomb.dump");
    std::fs::write(&custom, splice(&archive, start, end - start, &chunks)).unwrap();
    assert_long_line(&check_limited(f, &custom, GIB), &custom, "public.uploadtree_3", 1);
}

#[test]
fn a_damaged_dump_is_exit_2_for_the_fossology_check() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let copy = std::fs::read(path_of(f, "plain.sql")).unwrap();
    let at = find(&copy, b"\nCOPY public.upload (") + 1;
    let plain = tmp.path().join("copz.sql");
    std::fs::write(&plain, splice(&copy, at, 4, b"COPZ")).unwrap();
    let datx = edited_archive(f, tmp.path(), "custom.dump", "datx", &|b| {
        let at = data_entry_at(b, "uploadtree_3") + "uploadtree_3".len() + 5;
        splice(b, at, 10, b"TABLE DATX")
    });
    for (db, needle) in [(&plain, format!("line {}: the data of table public.upload (announced at line", line_of(&copy, at))), (&datx, "'TABLE DATX' public.uploadtree_3".to_string())] {
        let out = assert_cmd::Command::cargo_bin("repocheck")
            .unwrap()
            .args(["check", "fossology", "--db"])
            .arg(db)
            .arg("--repo")
            .arg(&f.case.inst.repo)
            .arg("--conf")
            .arg(f.case.inst.conf())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", db.display());
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(&needle) && err.contains("damaged"), "{needle}: {err}");
        assert!(out.stdout.is_empty(), "no partial report: {}", String::from_utf8_lossy(&out.stdout));
    }
    // The intact dumps still pass.
    let out = assert_cmd::Command::cargo_bin("repocheck")
        .unwrap()
        .args(["check", "fossology", "--db"])
        .arg(path_of(f, "plain.sql"))
        .arg("--repo")
        .arg(&f.case.inst.repo)
        .arg("--conf")
        .arg(f.case.inst.conf())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
