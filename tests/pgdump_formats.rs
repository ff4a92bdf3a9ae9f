//! Every dump format pg_dump writes, made at test time from a real database in a real
//! server, reads as the server itself reads: the same rows for FOSSology's tables and a JS7
//! JOC table set through `read_tables`, and the same rows of every table through the
//! every-table observer. Damaged archives are errors naming the table; a table of the same
//! name in another schema is never mixed in.

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
