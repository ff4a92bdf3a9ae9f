//! The test kit itself: the throwaway PostgreSQL server, the FOSSology path arithmetic (the
//! worked examples of `src/lib/c/libfossrepo.c` (`fo_RepMkPathTmp`, `_RepGetHost`), and the product code agreeing with it), the
//! installations the fixture builds (loaded into a real server and checked row by row
//! against the files), and the bundled example (`testdata/fossology/`), which
//! `regenerate_example` rebuilds.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use md5::Md5;
use proptest::prelude::*;
use repocheck_testkit::fossology::layout::{RepoLayout, depth_dirs};
use repocheck_testkit::fossology::{self, Case, FossologyFixture, HostEntry, Installation, MODE_FILE, MODE_URL, UploadOpts, unpack};
use repocheck_testkit::postgres::{TestDb, TestServer, shared};
use sha1::{Digest, Sha1};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gunzip(path: &Path) -> String {
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap()).read_to_string(&mut s).unwrap();
    s
}

// ---------------------------------------------------------------------------------------
// The server

#[test]
fn the_server_gives_each_test_its_own_database_and_dumps_them() {
    let server = shared();
    let a = server.create_database("dump me").unwrap();
    let b = server.create_database("dump me").unwrap();
    assert_ne!(a.name, b.name);
    assert!(a.name.starts_with(&format!("t{}_", std::process::id())), "{}", a.name);
    a.psql("CREATE TABLE marker (id int); INSERT INTO marker VALUES (42)").unwrap();
    assert_eq!(a.psql("SELECT id FROM marker").unwrap(), "42");
    assert!(b.psql("SELECT id FROM marker").unwrap_err().to_string().contains("marker"), "errors carry psql's stderr");

    let tmp = tempfile::tempdir().unwrap();
    a.pg_dump_plain(&tmp.path().join("a.sql")).unwrap();
    let plain = std::fs::read_to_string(tmp.path().join("a.sql")).unwrap();
    assert!(plain.contains("CREATE TABLE public.marker") && plain.contains("COPY public.marker (id) FROM stdin;\n42\n"), "{plain}");
    a.pg_dump_gzip(&tmp.path().join("a.sql.gz")).unwrap();
    // pg_dump (15.14 and later) brackets a dump with a random \restrict key.
    let unkeyed = |s: &str| s.lines().filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")).collect::<Vec<_>>().join("\n");
    assert_eq!(unkeyed(&gunzip(&tmp.path().join("a.sql.gz"))), unkeyed(&plain));
    a.pg_dumpall_gzip(&tmp.path().join("all.sql.gz")).unwrap();
    let all = gunzip(&tmp.path().join("all.sql.gz"));
    assert!(all.contains(&format!("\\connect {}", a.name)) && all.contains(&format!("\\connect {}", b.name)) && all.contains("\\connect template1"));

    // A dump loads back with psql_file; a bad file is an error with psql's message.
    let c = server.create_database("restore").unwrap();
    c.psql_file(&tmp.path().join("a.sql")).unwrap();
    assert_eq!(c.psql("SELECT id FROM marker").unwrap(), "42");
    std::fs::write(tmp.path().join("bad.sql"), "SELECT * FROM nowhere;").unwrap();
    let err = c.psql_file(&tmp.path().join("bad.sql")).unwrap_err().to_string();
    assert!(err.contains("nowhere"), "{err}");
    c.drop_database().unwrap();
    assert!(c.psql("SELECT 1").is_err());
}

#[test]
fn sqlx_connects_through_the_socket_url() {
    let db = shared().create_database("sqlx").unwrap();
    let url = db.url();
    assert!(url.starts_with(&format!("postgres://postgres@localhost:{}/{}?host=/", db.port(), db.name)), "{url}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (n,): (i32,) = rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_as("SELECT 7").fetch_one(&mut conn).await.unwrap()
    });
    assert_eq!(n, 7);
}

#[test]
fn a_second_server_and_an_external_one() {
    let server = TestServer::start().unwrap();
    assert_ne!(server.socket_dir(), shared().socket_dir());
    // What a CI script's server looks like to the tests (REPOCHECK_TEST_PG_SOCKET_DIR).
    let external = TestServer::external(server.socket_dir()).unwrap();
    assert_eq!(external.port(), server.port());
    let db = external.create_database("ext").unwrap();
    assert_eq!(server.database(&db.name).psql("SELECT current_database()").unwrap(), db.name);
    drop(external);
    // Dropping the handle on an external server leaves it running.
    assert_eq!(db.psql("SELECT 1").unwrap(), "1");
    let dir = server.socket_dir().to_path_buf();
    drop(server);
    assert!(!dir.exists(), "the server's directory goes with it");
    assert!(TestServer::external(&dir).is_err());
}

// ---------------------------------------------------------------------------------------
// Path arithmetic

#[test]
fn the_worked_examples_of_the_facts() {
    let l = RepoLayout::default();
    let name = fossology::layout::object_name("403C2B25B9B02A2EBB6817C459B37AFC1F9BA3B5", "149FD9DAC3A1FF6AD491F95F49E90BF2", 35328);
    assert_eq!(l.rel_path("files", &name).unwrap(), "localhost/files/40/3c/2b/403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.35328");
    assert_eq!(l.rel_path("gold", &name).unwrap(), "localhost/gold/40/3c/2b/403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.35328");
    assert_eq!(
        l.rel_path("files", "00000cb69c3c9c9fd15cadbf4652bd1552c349de.6caae94bdb579d7c9ada36726cf2e97f.776").unwrap(),
        "localhost/files/00/00/0c/00000cb69c3c9c9fd15cadbf4652bd1552c349de.6caae94bdb579d7c9ada36726cf2e97f.776"
    );
    assert_eq!(l.rel_path("files", "abcde").unwrap(), "localhost/files/ab/cd/e_/abcde");
    assert_eq!(l.rel_path("logs", "000017").unwrap(), "localhost/logs/00/00/17/000017");
    // Upper case in, lower case out: FOSSology lower-cases the whole name.
    assert_eq!(l.rel_path("files", "ABCDEF.1").unwrap(), "localhost/files/ab/cd/ef/abcdef.1");
}

fn hex_name() -> impl Strategy<Value = String> {
    ("[0-9a-fA-F]{40}", "[0-9a-fA-F]{32}", 0u64..10_000_000_000).prop_map(|(s, m, n)| format!("{s}.{m}.{n}"))
}

/// A `[REPOSITORY]` entry with a valid range (start below end, as `fo_RepValidate` wants).
fn host_entry() -> impl Strategy<Value = HostEntry> {
    ("[a-z]{1,6}", prop_oneof![Just("*"), Just("gold"), Just("files")], 1usize..4, any::<u32>(), any::<u32>()).prop_filter_map("start below end", |(host, t, digits, a, b)| {
        let m = 16u64.pow(digits as u32);
        let (a, b) = (a as u64 % m, b as u64 % m);
        (a < b).then(|| HostEntry::new(&host, t, &format!("{a:0digits$x}"), &format!("{b:0digits$X}")))
    })
}

proptest! {
    #[test]
    fn paths_are_depth_pairs_of_the_lower_cased_name(name in hex_name(), depth in 0u32..6) {
        let l = RepoLayout::new(depth, vec![HostEntry::new("localhost", "*", "00", "ff")]);
        let path = l.rel_path("files", &name).unwrap();
        let lower = name.to_ascii_lowercase();
        let mut expected = String::from("localhost/files/");
        for i in 0..depth as usize {
            expected.push_str(&lower[2 * i..2 * i + 2]);
            expected.push('/');
        }
        expected.push_str(&lower);
        prop_assert_eq!(path, expected);
    }

    #[test]
    fn short_names_pad_with_underscores(name in "[0-9a-z]{0,9}", depth in 0u32..6) {
        let dirs = depth_dirs(depth, &name);
        prop_assert_eq!(dirs.len(), 3 * depth as usize);
        let flat: String = dirs.split('/').collect();
        let n = name.len().min(2 * depth as usize);
        prop_assert_eq!(&flat[..n], &name[..n]);
        prop_assert!(flat[n..].chars().all(|c| c == '_'));
    }

    /// The product's reading of the configuration the fixture writes, and its path
    /// arithmetic, agree with the kit's for any ranges and names.
    #[test]
    fn the_product_agrees_with_the_kit(hosts in proptest::collection::vec(host_entry(), 1..4), depth in 1u32..5, names in proptest::collection::vec(hex_name(), 1..8), object_type in prop_oneof![Just("gold"), Just("files")]) {
        let f = FossologyFixture::new().layout(depth, hosts.clone());
        let (product, _) = repocheck::fossology::conf::parse_fossology_conf(&f.conf_text()).unwrap();
        let kit = RepoLayout::new(depth, hosts);
        let t = if object_type == "gold" { repocheck::fossology::layout::ObjectType::Gold } else { repocheck::fossology::layout::ObjectType::Files };
        for name in &names {
            prop_assert_eq!(product.hosts_for(object_type, name), kit.hosts_for(object_type, name));
            prop_assert_eq!(repocheck::fossology::layout::preferred_path(&product, t, name), kit.rel_path(object_type, name).unwrap());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Installations

/// A tar.gz with what crates lack: directories of their own, an empty file, an
/// executable, a symlink, a hard link, a repeated file, and an archive inside.
fn synthetic_archive() -> Vec<u8> {
    use std::io::Write;
    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn tar(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        build(&mut b);
        b.into_inner().unwrap()
    }
    fn file(b: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32, data: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_cksum();
        b.append_data(&mut h, path, data).unwrap();
    }
    fn link(b: &mut tar::Builder<Vec<u8>>, kind: tar::EntryType, path: &str, target: &str) {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, path, target).unwrap();
    }
    let inner = gz(&tar(|b| file(b, "inner/deep.txt", 0o644, b"deep inside\n")));
    gz(&tar(|b| {
        let mut d = tar::Header::new_gnu();
        d.set_entry_type(tar::EntryType::Directory);
        d.set_size(0);
        d.set_mode(0o755);
        d.set_cksum();
        b.append_data(&mut d, "pkg/", std::io::empty()).unwrap();
        b.append_data(&mut d, "pkg/emptydir/", std::io::empty()).unwrap();
        file(b, "pkg/README", 0o644, b"read me\n");
        file(b, "pkg/empty", 0o644, b"");
        file(b, "pkg/bin/run.sh", 0o755, b"#!/bin/sh\necho run\n");
        file(b, "pkg/copy-of-readme", 0o644, b"read me\n");
        link(b, tar::EntryType::Symlink, "pkg/link", "README");
        link(b, tar::EntryType::Link, "pkg/hard", "pkg/bin/run.sh");
        file(b, "pkg/inner.tar.gz", 0o644, &inner);
    }))
}

fn rows(db: &TestDb, sql: &str) -> Vec<Vec<String>> {
    db.psql(sql).unwrap().lines().map(|l| l.split('|').map(str::to_string).collect()).collect()
}

fn full_case(name: &str) -> Case {
    let mut f = FossologyFixture::new();
    fossology::add_standard_uploads(&mut f).unwrap();
    let alice = f.add_user("alice", 3);
    f.add_upload_bytes("synthetic.tar.gz", synthetic_archive(), UploadOpts { user: alice, own_table: true, description: Some("made in a test".into()), ..UploadOpts::default() }).unwrap();
    f.add_upload_bytes("notes.txt", b"not an archive\n".to_vec(), UploadOpts::url("https://example.org/notes.txt")).unwrap();
    Case::new(f, name)
}

#[test]
fn every_pfile_has_its_object_with_matching_sha1_md5_and_size() {
    let c = full_case("objects");
    let pfiles = rows(&c.db, "SELECT pfile_pk, pfile_sha1, pfile_md5, pfile_sha256, pfile_size FROM pfile ORDER BY pfile_pk");
    assert_eq!(pfiles.len(), c.inst.pfiles.len());
    for p in &pfiles {
        let (sha1, md5, sha256) = (&p[1], &p[2], &p[3]);
        assert_eq!(sha1, &sha1.to_uppercase(), "FOSSology stores upper-case hex");
        assert_eq!(md5, &md5.to_uppercase());
        let name = format!("{}.{}.{}", sha1.to_lowercase(), md5.to_lowercase(), p[4]);
        let bytes = std::fs::read(c.inst.path_of("files", &name)).unwrap_or_else(|e| panic!("pfile {}: {name}: {e}", p[0]));
        assert_eq!(&hex::encode_upper(Sha1::digest(&bytes)), sha1);
        assert_eq!(&hex::encode_upper(Md5::digest(&bytes)), md5);
        assert_eq!(&hex::encode_upper(<sha2::Sha256 as Digest>::digest(&bytes)), sha256);
        assert_eq!(bytes.len().to_string(), p[4]);
    }
    // Every reference names a pfile: uploadtree (all its tables) and upload.
    let dangling =
        c.db.psql("SELECT count(*) FROM (SELECT pfile_fk FROM uploadtree WHERE pfile_fk > 0 UNION ALL SELECT pfile_fk FROM upload) r WHERE pfile_fk NOT IN (SELECT pfile_pk FROM pfile)").unwrap();
    assert_eq!(dangling, "0");
    // Gold is the upload's pfile, and a separate file from its files copy (ununpack copied
    // over wget_agent's link): modes 2664 and 2660, one link each.
    use std::os::unix::fs::PermissionsExt;
    for u in &c.inst.uploads {
        let gold = std::fs::metadata(c.inst.path_of("gold", &u.gold)).unwrap();
        let files = std::fs::metadata(c.inst.path_of("files", &u.gold)).unwrap();
        assert_ne!((gold.dev(), gold.ino()), (files.dev(), files.ino()), "upload {}", u.id);
        assert_eq!((gold.nlink(), files.nlink()), (1, 1));
        assert_eq!((gold.permissions().mode() & 0o7777, files.permissions().mode() & 0o7777), (0o2664, 0o2660), "upload {}", u.id);
        assert_eq!(c.inst.pfile(u.pfile).name(), u.gold);
        assert_eq!(c.db.psql(&format!("SELECT pfile_fk FROM upload WHERE upload_pk = {}", u.id)).unwrap(), u.pfile.to_string());
    }
    // Nothing in files that no pfile names.
    let mut on_disk = BTreeSet::new();
    walk(&c.inst.repo.join("localhost/files"), &mut |p| {
        on_disk.insert(p.file_name().unwrap().to_str().unwrap().to_string());
    });
    let named: BTreeSet<String> = c.inst.pfiles.iter().map(|p| p.name()).collect();
    assert_eq!(on_disk, named);
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() { walk(&p, f) } else { f(&p) }
    }
}

#[test]
fn uploadtree_is_a_nested_set_with_fossologys_modes_and_real_parents() {
    let c = full_case("tree");
    // Per upload: endpoints 1..2n, each once.
    for r in rows(&c.db, "SELECT upload_fk, count(*), count(DISTINCT lft) + count(DISTINCT rgt), min(lft), max(rgt), count(*) FILTER (WHERE parent IS NULL) FROM uploadtree GROUP BY upload_fk") {
        let n: i64 = r[1].parse().unwrap();
        assert_eq!((r[2].parse::<i64>().unwrap(), r[3].as_str(), r[4].parse::<i64>().unwrap(), r[5].as_str()), (2 * n, "1", 2 * n, "1"), "upload {}", r[0]);
    }
    // Every child inside its parent; no two rows overlap without one holding the other.
    let outside = c
        .db
        .psql("SELECT count(*) FROM uploadtree ch JOIN uploadtree p ON p.uploadtree_pk = ch.parent WHERE NOT (p.lft < ch.lft AND ch.rgt < p.rgt AND ch.lft < ch.rgt) OR p.upload_fk <> ch.upload_fk")
        .unwrap();
    assert_eq!(outside, "0");
    let overlapping = c.db.psql("SELECT count(*) FROM uploadtree a JOIN uploadtree b ON a.upload_fk = b.upload_fk AND a.lft < b.lft AND b.lft < a.rgt AND a.rgt < b.rgt").unwrap();
    assert_eq!(overlapping, "0");
    // lft/rgt agree with parent: the rows between a row's lft and rgt are its descendants.
    let all = rows(&c.db, "SELECT uploadtree_pk, coalesce(parent, 0), coalesce(realparent, 0), ufile_mode, lft, rgt, pfile_fk, ufile_name, upload_fk FROM uploadtree ORDER BY uploadtree_pk");
    let by_pk: BTreeMap<i64, &Vec<String>> = all.iter().map(|r| (r[0].parse().unwrap(), r)).collect();
    let num = |r: &Vec<String>, i: usize| r[i].parse::<i64>().unwrap();
    for r in &all {
        // getItemParent: the first ancestor that is not an artifact (1<<28).
        let mut up = num(r, 1);
        while up != 0 && num(by_pk[&up], 3) & (1 << 28) != 0 {
            up = num(by_pk[&up], 1);
        }
        assert_eq!(num(r, 2), up, "realparent of {:?}", r);
        let descendants = all.iter().filter(|d| d[8] == r[8] && num(d, 4) > num(r, 4) && num(d, 5) < num(r, 5)).count() as i64;
        assert_eq!(num(r, 5) - num(r, 4) - 1, 2 * descendants, "{:?}", r);
        // Rows without a pfile are directories and symlinks; every regular file has one.
        let kind = num(r, 3) & 0o170000;
        assert_eq!(num(r, 6) > 0, kind == 0o100000, "{:?}", r);
    }

    // The shapes FOSSology's own tests use (TreeDaoTest.php, fo_report.sql): crate → artifact.dir →
    // decompressed tar → artifact.dir → top directory → files.
    let itoa = &c.inst.uploads[0];
    let shape: Vec<(String, i64, bool)> = itoa.tree.iter().take(6).map(|r| (r.ufile_name.clone(), r.ufile_mode, r.pfile_fk > 0)).collect();
    assert_eq!(
        shape[..5],
        [
            ("itoa-1.0.18.crate".to_string(), 536904704, true),
            ("artifact.dir".to_string(), 805323776, false),
            ("itoa-1.0.18".to_string(), 536903680, true),
            ("artifact.dir".to_string(), 805323776, false),
            ("itoa-1.0.18".to_string(), 536888320, false),
        ]
    );
    assert_eq!(itoa.row_path(itoa.tree.last().unwrap().uploadtree_pk), "itoa-1.0.18.crate/artifact.dir/itoa-1.0.18/artifact.dir/itoa-1.0.18/tests/test.rs");
    assert_eq!(itoa.tree.last().unwrap().ufile_mode, 0o100644);

    // The synthetic upload: modes of what tar leaves, links, nesting.
    let syn = &c.inst.uploads[3];
    let find = |name: &str| syn.tree.iter().find(|r| syn.row_path(r.uploadtree_pk).ends_with(name)).unwrap_or_else(|| panic!("{name}"));
    assert_eq!((find("/pkg/bin/run.sh").ufile_mode, find("/pkg/README").ufile_mode), (0o100755, 0o100644));
    assert_eq!((find("/pkg/link").ufile_mode, find("/pkg/link").pfile_fk), (0o120777, 0));
    assert_eq!(find("/pkg/hard").pfile_fk, find("/pkg/bin/run.sh").pfile_fk);
    assert_eq!(find("/pkg/copy-of-readme").pfile_fk, find("/pkg/README").pfile_fk);
    assert_eq!((find("/pkg/emptydir").ufile_mode, find("/pkg/emptydir").pfile_fk), ((1 << 29) | 0o042000, 0));
    let empty = c.inst.pfile(find("/pkg/empty").pfile_fk);
    assert_eq!((empty.size, empty.name()), (0, "da39a3ee5e6b4b0d3255bfef95601890afd80709.d41d8cd98f00b204e9800998ecf8427e.0".to_string()));
    assert_eq!(find("/pkg/inner.tar.gz").ufile_mode, (1 << 29) | 0o100644);
    assert!(syn.row_path(find("/deep.txt").uploadtree_pk).ends_with("pkg/inner.tar.gz/artifact.dir/inner.tar/artifact.dir/inner/deep.txt"));
    // A plain file is one row.
    let notes = &c.inst.uploads[4];
    assert_eq!(notes.tree.len(), 1);
    assert_eq!((notes.tree[0].ufile_mode, notes.tree[0].pfile_fk), (0o102000, notes.pfile));
}

#[test]
fn uploads_own_tables_users_and_finished_jobs_are_fossologys() {
    let c = full_case("rows");
    let uploads = rows(&c.db, "SELECT upload_pk, upload_filename, upload_mode, upload_origin, uploadtree_tablename, user_fk, upload_desc FROM upload ORDER BY upload_pk");
    assert_eq!(uploads[0][1..6], ["itoa-1.0.18.crate", &MODE_FILE.to_string(), "itoa-1.0.18.crate", "uploadtree_a", "2"]);
    assert_eq!(uploads[1][1..5], ["hex-0.4.3.crate", &MODE_URL.to_string(), "https://static.crates.io/crates/hex/hex-0.4.3.crate", "uploadtree_a"]);
    assert_eq!(uploads[2][4], "uploadtree_3");
    assert_eq!(uploads[3][4..7], ["uploadtree_4", "3", "made in a test"]);
    // Sequences continue after the rows, as FOSSology's inserts need.
    for (seq, table, key) in [
        ("job_job_pk_seq", "job", "job_pk"),
        ("jobqueue_jq_pk_seq", "jobqueue", "jq_pk"),
        ("uploadtree_uploadtree_pk_seq", "uploadtree", "uploadtree_pk"),
        ("pfile_pfile_pk_seq", "pfile", "pfile_pk"),
        ("upload_upload_pk_seq", "upload", "upload_pk"),
        ("nomos_ars_ars_pk_seq", "ars_master", "ars_pk"),
        ("users_user_pk_seq", "users", "user_pk"),
    ] {
        assert_eq!(c.db.psql(&format!("SELECT nextval('{seq}') = (SELECT max({key}) + 1 FROM {table})")).unwrap(), "t", "{seq}");
    }
    // Own tables: the rows are there and only there; the check constraint holds them.
    for (id, table) in [(3, "uploadtree_3"), (4, "uploadtree_4")] {
        assert_eq!(c.db.psql(&format!("SELECT count(*) FROM ONLY uploadtree_a WHERE upload_fk = {id}")).unwrap(), "0");
        assert_eq!(c.db.psql(&format!("SELECT count(*) FROM {table}")).unwrap(), c.inst.upload(id).tree.len().to_string());
        assert!(c.db.psql(&format!("INSERT INTO {table} (upload_fk) VALUES (1)")).unwrap_err().to_string().contains("check constraint"));
    }
    assert_eq!(c.db.psql("SELECT count(*) FROM uploadtree").unwrap(), c.inst.uploads.iter().map(|u| u.tree.len()).sum::<usize>().to_string());
    assert_eq!(c.db.psql("SELECT user_name || ':' || user_perm || ':' || g.group_name FROM users JOIN groups g ON g.group_pk = group_fk WHERE user_pk = 3").unwrap(), "alice:3:alice");

    // Every job ended well: nothing for the scheduler to pick up, nothing running.
    assert_eq!(c.db.psql("SELECT count(*) FROM jobqueue WHERE jq_end_bits <> 1 OR jq_endtime IS NULL OR jq_starttime IS NULL").unwrap(), "0");
    let jobs = rows(
        &c.db,
        "SELECT j.job_name, string_agg(q.jq_type || '(' || q.jq_args || ')', ' ' ORDER BY q.jq_pk) FROM job j JOIN jobqueue q ON q.jq_job_fk = j.job_pk GROUP BY j.job_pk ORDER BY j.job_pk",
    );
    assert_eq!(jobs[0], ["itoa-1.0.18.crate", "ununpack(1) adj2nest(1)"]);
    assert_eq!(jobs[1], ["wget", "wget_agent(2 - https://static.crates.io/crates/hex/hex-0.4.3.crate -l 1 -R index.html* ) ununpack(2) adj2nest(2)"]);
    let deps = rows(
        &c.db,
        "SELECT q.jq_type, d.jq_type FROM jobdepends jd JOIN jobqueue q ON q.jq_pk = jd.jdep_jq_fk JOIN jobqueue d ON d.jq_pk = jd.jdep_jq_depends_fk JOIN job j ON j.job_pk = q.jq_job_fk WHERE j.job_upload_fk = 2 ORDER BY q.jq_pk",
    );
    assert_eq!(deps, [["ununpack", "wget_agent"], ["adj2nest", "ununpack"]]);
    assert_eq!(c.db.psql("SELECT count(*) FROM ununpack_ars a JOIN agent g ON g.agent_pk = a.agent_fk WHERE ars_success AND g.agent_name = 'ununpack'").unwrap(), c.inst.uploads.len().to_string());
    // The logs jq_log names are in the repository (under the configured path).
    for log in c.db.psql("SELECT jq_log FROM jobqueue").unwrap().lines() {
        let rel = log.strip_prefix(&format!("{}/", fossology::CONF_PATH)).unwrap();
        assert!(c.inst.repo.join(rel).is_file(), "{log}");
    }
    c.db.psql("INSERT INTO job (job_queued, job_name, job_upload_fk, job_user_fk) VALUES (now(), 'reunpack', 1, 2); INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args) VALUES (currval('job_job_pk_seq'), 'ununpack', '1')").unwrap();
}

#[test]
fn odd_uploads_a_gone_owner_and_a_corrupt_archive() {
    let mut f = FossologyFixture::new();
    assert!(f.add_upload_bytes("a/b.txt", b"x".to_vec(), UploadOpts::default()).is_err());
    // An owner that is gone (a deleted user): the rows name it all the same.
    assert_eq!(f.add_upload_bytes("b.txt", b"x".to_vec(), UploadOpts { user: 9, ..UploadOpts::default() }).unwrap().user, 9);
    // A corrupt gzip stays a file (ununpack -C carries on).
    let info = f.add_upload_bytes("broken.tar.gz", vec![0x1f, 0x8b, 0, 1, 2], UploadOpts::default()).unwrap();
    assert_eq!(info.tree.len(), 1);
    assert_eq!(unpack::remove_postfix("broken.tar.gz"), "broken.tar");
    let c = Case::new(f, "odd");
    assert_eq!(c.db.psql("SELECT job_user_fk || ':' || coalesce(job_group_fk::text, 'none') FROM job WHERE job_upload_fk = 1").unwrap(), "9:none");
}

#[test]
fn mutation_helpers_change_one_copy() {
    let mut f = FossologyFixture::new().without_job_logs();
    fossology::add_standard_uploads(&mut f).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let inst = f.write(tmp.path()).unwrap();
    assert!(!inst.repo.join("logs").exists() && !inst.repo.join("localhost/logs").exists());
    let itoa = &inst.uploads[0];
    assert_eq!(inst.pfiles_of(itoa.id)[0].name(), itoa.gold);
    assert_eq!(inst.pfiles_of(itoa.id).len(), itoa.files.len());
    let gold = inst.corrupt_object("gold", &itoa.gold).unwrap();
    let files = inst.path_of("files", &itoa.gold);
    assert_ne!(std::fs::read(&gold).unwrap(), std::fs::read(&files).unwrap(), "the files copy is untouched");
    let cut = inst.truncate_object("files", &itoa.members[0], 3).unwrap();
    assert_eq!(std::fs::metadata(cut).unwrap().len(), 3);
    let gone = inst.remove_object("files", &itoa.members[1]).unwrap();
    assert!(!gone.exists());
    assert_eq!(inst.pfile_named(&itoa.members[1].to_uppercase()).unwrap().name(), itoa.members[1]);
}

// ---------------------------------------------------------------------------------------
// The bundled example

fn example_dir() -> PathBuf {
    root().join("testdata/fossology/example")
}

fn tree_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk(dir, &mut |p| {
        out.insert(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(), std::fs::read(p).unwrap());
    });
    out
}

fn written_example() -> (tempfile::TempDir, Installation) {
    let mut f = FossologyFixture::new();
    fossology::add_standard_uploads(&mut f).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let inst = f.write(tmp.path()).unwrap();
    (tmp, inst)
}

#[test]
fn the_committed_example_is_what_the_kit_writes() {
    let (_tmp, inst) = written_example();
    let committed = tree_of(&example_dir().join("repository"));
    let fresh = tree_of(&inst.repo);
    assert_eq!(committed.keys().collect::<Vec<_>>(), fresh.keys().collect::<Vec<_>>(), "run: cargo test --test testkit -- --ignored regenerate_example");
    assert!(committed == fresh, "contents differ: regenerate the example");
    for f in ["etc/fossology.conf", "etc/Db.conf"] {
        assert_eq!(std::fs::read_to_string(example_dir().join(f)).unwrap(), std::fs::read_to_string(inst.dir.join(f)).unwrap(), "{f}");
    }
    assert_eq!(std::fs::read_to_string(root().join("testdata/fossology/README.md")).unwrap(), fossology::example_readme(&inst));
}

/// The dump is a real `pg_dumpall`: several databases, and in `fossology` the fixture's
/// rows (checked here on the pfile table).
#[test]
fn the_example_dump_is_a_pg_dumpall_of_the_fixture() {
    let (_tmp, inst) = written_example();
    let dump = gunzip(&example_dir().join("fossology.sql.gz"));
    assert!(dump.starts_with("--\n-- PostgreSQL database cluster dump\n--\n"), "{}", &dump[..200]);
    for db in ["template1", "postgres", "fossology"] {
        assert!(dump.contains(&format!("\\connect {db}\n")), "{db}");
    }
    let copy = dump.split("\nCOPY public.pfile (pfile_pk, pfile_md5, pfile_sha1, pfile_sha256, pfile_size, pfile_mimetypefk) FROM stdin;\n").nth(1).unwrap();
    let lines: Vec<&str> = copy.lines().take_while(|l| *l != "\\.").collect();
    let expected: Vec<String> = inst.pfiles.iter().map(|p| format!("{}\t{}\t{}\t{}\t{}\t\\N", p.pk, p.md5, p.sha1, p.sha256, p.size)).collect();
    assert_eq!(lines, expected);
    assert!(
        dump.contains("CREATE TABLE public.uploadtree_3 (") && dump.contains("CONSTRAINT uploadtree_3 CHECK ((upload_fk = 3))") && dump.contains("INHERITS (public.uploadtree)"),
        "cfg-if's own table"
    );
}

/// Rebuilds `testdata/fossology/example/` and its README:
/// `cargo test --test testkit -- --ignored regenerate_example`.
#[test]
#[ignore]
fn regenerate_example() {
    // A server of its own, so the dump holds only what a FOSSology server would.
    let server = TestServer::start().unwrap();
    let inst = fossology::write_example(&example_dir(), &server).unwrap();
    std::fs::write(root().join("testdata/fossology/README.md"), fossology::example_readme(&inst)).unwrap();
}

/// What FOSSology's agents leave besides the objects: job logs at `logs/<pairs>/<%06d>`
/// (no host part) named by `jq_log`, an empty scratch directory `<hostname>/ununpack`,
/// directories 2770 and objects 2664 or 2660, owned by the project user and group.
#[test]
fn the_repository_is_shaped_as_fossologys_agents_leave_it() {
    use std::os::unix::fs::PermissionsExt;
    let mut f = FossologyFixture::new().project("nobody", "nogroup");
    f.add_upload_archive(&fossology::archives_dir().join("itoa-1.0.18.crate"), UploadOpts::default()).unwrap();
    let c = Case::new(f, "shape");
    let repo = &c.inst.repo;
    // One job for the file upload, named after it: ununpack, then adj2nest waiting for it.
    assert_eq!(rows(&c.db, "SELECT job_name, upload_mode FROM job JOIN upload ON upload_pk = job_upload_fk"), [["itoa-1.0.18.crate", "104"]]);
    assert_eq!(rows(&c.db, "SELECT q.jq_type, d.jq_type FROM jobdepends jd JOIN jobqueue q ON q.jq_pk = jd.jdep_jq_fk JOIN jobqueue d ON d.jq_pk = jd.jdep_jq_depends_fk"), [["adj2nest", "ununpack"]]);
    assert_eq!(c.db.psql("SELECT string_agg(jq_log, ' ' ORDER BY jq_pk) FROM jobqueue").unwrap(), format!("{0}/logs/00/00/01/000001 {0}/logs/00/00/02/000002", fossology::CONF_PATH));
    assert!(repo.join("logs/00/00/02/000002").is_file());
    let scratch = repo.join(fossology::HOSTNAME).join("ununpack");
    assert!(scratch.is_dir() && std::fs::read_dir(&scratch).unwrap().next().is_none(), "an empty scratch directory");
    assert!(!repo.join(fossology::HOSTNAME).join("wget").exists(), "no download from a URL");
    // Directories and objects with FOSSology's modes, owned by nobody:nogroup (65534).
    let mut seen = 0;
    let mut check = |p: &Path| {
        let m = std::fs::symlink_metadata(p).unwrap();
        let mode = m.permissions().mode() & 0o7777;
        if m.is_dir() {
            assert_eq!(mode, 0o2770, "{}", p.display());
        } else {
            assert!(mode == 0o2664 || mode == 0o2660, "{}: {mode:o}", p.display());
        }
        assert_eq!((m.uid(), m.gid()), (65534, 65534), "{}", p.display());
        seen += 1;
    };
    check(repo);
    walk_all(repo, &mut check);
    assert!(seen > 20);
    // Directory rows have no pfile.
    assert!(c.db.psql("SELECT count(*) FROM uploadtree WHERE pfile_fk = 0").unwrap().parse::<u32>().unwrap() > 0);
}

fn walk_all(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        f(&p);
        if p.is_dir() {
            walk_all(&p, f);
        }
    }
}
