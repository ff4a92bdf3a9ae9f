//! A moving FOSSology: checks while a writer does what FOSSology's agents do, in their
//! order, and repairs applied while FOSSology has its own jobs queued.
//!
//! The writer follows FOSSology's source: the UI's upload from file makes the upload row,
//! imports the file with `wget_agent -C` (gold through `fo_RepImport`: `<name>.I`, then a
//! rename; the files copy hard-linked; then the pfile row and `upload.pfile_fk`), and only
//! then adds the job with its `ununpack` and `adj2nest` queue rows
//! (`UploadPageBase::postUploadAddJobs`); ununpack, once the scheduler starts its row, writes
//! each file into `files` before the rows naming them commit, and rewrites the top-level
//! files object as its own copy; adj2nest fills `lft`/`rgt`; delagent (`deleteUpload`,
//! `src/delagent/agent/util.c`) removes the upload's files and gold and then, in its
//! transaction, its tree rows and pfile rows and marks the upload deleted. At each step the
//! writer stops and a check runs against the live server and repository.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use assert_cmd::Command;
use repocheck_testkit::fossology::{Case, Installation, Object};
use repocheck_testkit::postgres::TestDb;
use serde_json::Value;

fn repocheck() -> Command {
    Command::cargo_bin("repocheck").unwrap()
}

fn check(c: &Case, extra: &[&str]) -> Value {
    let path = c.inst.dir.join("live-report.json");
    let out = repocheck().args(["check", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).args(extra).arg("--output").arg(&path).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn findings(r: &Value) -> &Vec<Value> {
    r["findings"].as_array().unwrap()
}

fn sql_one(db: &TestDb, sql: &str) -> i64 {
    let out = db.psql(sql).unwrap();
    out.lines().next().unwrap_or_default().trim().parse().unwrap_or_else(|_| panic!("{sql}: {out}"))
}

/// Writes `bytes` as fo_RepImport does: `<path>.I`, then a rename.
fn rep_import(path: &Path, bytes: &[u8], pause: &dyn Fn(&str)) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let partial = PathBuf::from(format!("{}.I", path.display()));
    std::fs::write(&partial, bytes).unwrap();
    pause("an object half imported (.I)");
    std::fs::rename(&partial, path).unwrap();
}

fn pfile_row(db: &TestDb, o: &Object) -> i64 {
    sql_one(db, &format!("INSERT INTO pfile (pfile_md5, pfile_sha1, pfile_size) VALUES ('{}', '{}', {}) RETURNING pfile_pk", o.md5.to_uppercase(), o.sha1.to_uppercase(), o.size))
}

/// One upload from file, unpacked, then deleted, as FOSSology's agents do it; `pause` is
/// called at every state a check should see.
fn writer(db: &TestDb, inst: &Installation, k: u32, pause: &dyn Fn(&str)) {
    let archive = format!("live archive {k} ").repeat(40).into_bytes();
    let members: Vec<Vec<u8>> = (0..3).map(|m| format!("member {m} of live upload {k}\n").repeat(10 + m).into_bytes()).collect();
    let gold = Object::of(&archive);
    // JobAddUpload: the upload row, no pfile yet.
    let upload = sql_one(db, &format!("INSERT INTO upload (upload_filename, user_fk, upload_mode, upload_origin, upload_desc) VALUES ('live-{k}.tar', 2, 8, 'live-{k}.tar', '') RETURNING upload_pk"));
    pause("an upload row with nothing imported");
    // wget_agent -C: gold, the files copy linked, then the pfile row and upload.pfile_fk.
    let gold_path = inst.path_of("gold", &gold.name());
    rep_import(&gold_path, &archive, pause);
    let files_path = inst.path_of("files", &gold.name());
    std::fs::create_dir_all(files_path.parent().unwrap()).unwrap();
    std::fs::hard_link(&gold_path, &files_path).unwrap();
    pause("gold imported, no pfile row yet");
    let gold_pfile = pfile_row(db, &gold);
    db.psql(&format!("UPDATE upload SET pfile_fk = {gold_pfile} WHERE upload_pk = {upload}")).unwrap();
    pause("gold and pfile, no job yet");
    // postUploadAddJobs: the job, ununpack, adj2nest depending on it.
    let job =
        sql_one(db, &format!("INSERT INTO job (job_queued, job_priority, job_name, job_upload_fk, job_user_fk, job_group_fk) VALUES (now(), 0, 'live-{k}.tar', {upload}, 2, 2) RETURNING job_pk"));
    let unpack = sql_one(db, &format!("INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args, jq_end_bits) VALUES ({job}, 'ununpack', '{upload}', 0) RETURNING jq_pk"));
    let nest = sql_one(db, &format!("INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args, jq_end_bits) VALUES ({job}, 'adj2nest', '{upload}', 0) RETURNING jq_pk"));
    db.psql(&format!("INSERT INTO jobdepends (jdep_jq_fk, jdep_jq_depends_fk) VALUES ({nest}, {unpack})")).unwrap();
    pause("unpack queued, not started");
    // The scheduler starts ununpack: files first, then the rows in one transaction.
    db.psql(&format!("UPDATE jobqueue SET jq_starttime = now() WHERE jq_pk = {unpack}")).unwrap();
    let mut objects = Vec::new();
    for bytes in &members {
        let o = Object::of(bytes);
        rep_import(&inst.path_of("files", &o.name()), bytes, pause);
        objects.push(o);
    }
    // ununpack's own copy of the top-level object replaces wget_agent's link.
    std::fs::remove_file(&files_path).unwrap();
    rep_import(&files_path, &archive, &|_| {});
    pause("unpack running, files written, rows not committed");
    let mut sql = String::from("BEGIN;\n");
    let top = format!("(SELECT max(uploadtree_pk) FROM uploadtree_a WHERE upload_fk = {upload} AND parent IS NULL)");
    sql.push_str(&format!(
        "INSERT INTO uploadtree_a (parent, realparent, upload_fk, pfile_fk, ufile_mode, ufile_name) VALUES (NULL, NULL, {upload}, {gold_pfile}, {}, 'live-{k}.tar');\n",
        (1 << 29) | 0o100664
    ));
    for (i, o) in objects.iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO pfile (pfile_md5, pfile_sha1, pfile_size) VALUES ('{}', '{}', {}) ON CONFLICT DO NOTHING;\nINSERT INTO uploadtree_a (parent, realparent, upload_fk, pfile_fk, ufile_mode, ufile_name) SELECT {top}, {top}, {upload}, pfile_pk, {}, 'm{i}' FROM pfile WHERE pfile_sha1 = '{}' AND pfile_md5 = '{}' AND pfile_size = {};\n",
            o.md5.to_uppercase(),
            o.sha1.to_uppercase(),
            o.size,
            0o100664,
            o.sha1.to_uppercase(),
            o.md5.to_uppercase(),
            o.size
        ));
    }
    sql.push_str(&format!("UPDATE upload SET upload_mode = upload_mode | 32 WHERE upload_pk = {upload};\nCOMMIT;\n"));
    db.psql(&sql).unwrap();
    db.psql(&format!("UPDATE jobqueue SET jq_endtime = now(), jq_end_bits = 1 WHERE jq_pk = {unpack}")).unwrap();
    pause("unpacked, adj2nest queued");
    db.psql(&format!("UPDATE jobqueue SET jq_starttime = now() WHERE jq_pk = {nest}; UPDATE uploadtree_a SET lft = 1, rgt = 2 WHERE upload_fk = {upload}; UPDATE upload SET upload_mode = upload_mode | 64 WHERE upload_pk = {upload}; UPDATE jobqueue SET jq_endtime = now(), jq_end_bits = 1 WHERE jq_pk = {nest}")).unwrap();
    pause("unpacked and nested, quiet");

    // Delete: JobAddJob "Delete", JobQueueAdd delagent "DELETE UPLOAD <id>".
    let job = sql_one(db, &format!("INSERT INTO job (job_queued, job_priority, job_name, job_upload_fk, job_user_fk, job_group_fk) VALUES (now(), 0, 'Delete', {upload}, 2, 2) RETURNING job_pk"));
    let del = sql_one(db, &format!("INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args, jq_end_bits) VALUES ({job}, 'delagent', 'DELETE UPLOAD {upload}', 0) RETURNING jq_pk"));
    pause("delete queued");
    db.psql(&format!("UPDATE jobqueue SET jq_starttime = now() WHERE jq_pk = {del}")).unwrap();
    // deleteUpload: the repository first (every pfile only this upload has), then the rows.
    for o in objects.iter().chain(std::iter::once(&gold)) {
        let _ = std::fs::remove_file(inst.path_of("files", &o.name()));
        let _ = std::fs::remove_file(inst.path_of("gold", &o.name()));
        pause("delagent removing files");
    }
    pause("delagent between files and rows");
    db.psql(&format!(
        "BEGIN; DELETE FROM uploadtree_a WHERE upload_fk = {upload}; DELETE FROM pfile WHERE pfile_pk IN ({gold_pfile}) OR (pfile_sha1, pfile_md5) IN ({}); UPDATE upload SET expire_action = 'd', expire_date = now(), pfile_fk = NULL WHERE upload_pk = {upload}; COMMIT;",
        objects.iter().map(|o| format!("('{}', '{}')", o.sha1.to_uppercase(), o.md5.to_uppercase())).collect::<Vec<_>>().join(", ")
    ))
    .unwrap();
    db.psql(&format!("UPDATE jobqueue SET jq_endtime = now(), jq_end_bits = 1 WHERE jq_pk = {del}")).unwrap();
    pause("deleted, quiet");
}

/// A check at every state of the writer: nothing the writer does is an error or a warning
/// (but `jobs-active`, which is true), while a file removed from an idle upload is found
/// every time; every state where the writer leaves what would otherwise be damage (an
/// import or unpack half done, a delete between files and rows) is in flight. (With the
/// unpack queued and not started there is nothing to say: a pending unpack explains an
/// upload without tree rows.)
#[test]
fn checks_while_fossology_works_report_only_real_damage() {
    let c = Case::standard("live_writer");
    let idle = &c.inst.uploads[0];
    let lost = c.inst.rel_path("files", &idle.members[0]);
    std::fs::remove_file(c.inst.repo.join(&lost)).unwrap();

    let (to_checker, states) = mpsc::channel::<String>();
    let (to_writer, resume) = mpsc::channel::<()>();
    let mut seen = Vec::new();
    std::thread::scope(|scope| {
        let db = c.db.clone();
        let inst = c.inst.clone();
        scope.spawn(move || {
            let pause = |state: &str| {
                to_checker.send(state.to_string()).unwrap();
                resume.recv().unwrap();
            };
            for k in 0..2 {
                writer(&db, &inst, k, &pause);
            }
        });
        // Bounded: the writer has 2 × 18 states.
        for state in states.iter().take(200) {
            let r = check(&c, &[]);
            let wrong: Vec<&Value> = findings(&r).iter().filter(|f| f["severity"] != "info" && f["rule"] != "fossology/jobs-active" && f["subject"] != lost.as_str()).collect();
            assert!(wrong.is_empty(), "{state}: the writer's work reported as damage: {wrong:#?}");
            let lost_found = findings(&r).iter().any(|f| f["rule"] == "fossology/file-missing" && f["subject"] == lost.as_str() && f["severity"] == "error");
            assert!(lost_found, "{state}: the real fault was not found: {:#?}", findings(&r));
            let in_flight = findings(&r).iter().any(|f| f["rule"] == "fossology/in-flight");
            let quiet = r["targets"][0]["scope"]["jobs"]["quiet"].as_bool().unwrap();
            seen.push((state.clone(), in_flight, quiet));
            to_writer.send(()).unwrap();
        }
    });
    let expect_in_flight = [
        "an object half imported (.I)",
        "gold imported, no pfile row yet",
        "gold and pfile, no job yet",
        "unpack running, files written, rows not committed",
        "delagent removing files",
        "delagent between files and rows",
    ];
    for (state, in_flight, quiet) in &seen {
        if expect_in_flight.contains(&state.as_str()) {
            assert!(*in_flight, "{state}: expected an in-flight finding: {seen:?}");
        }
        if state.contains("quiet") {
            assert!(*quiet && !*in_flight, "{state}: {seen:?}");
        }
        if state.contains("running") || state.contains("delagent removing") {
            assert!(!*quiet, "{state}: a job is running: {seen:?}");
        }
    }
    assert_eq!(seen.len(), 2 * 18, "every state was checked: {seen:?}");
    // At rest, the stats say what was in flight: nothing.
    let r = check(&c, &[]);
    assert!(r["stats"].get("in_flight").is_none(), "{}", r["stats"]);
}

/// The double unpack: a check saw an upload with its gold and no tree rows before
/// the UI queued its unpack; the UI then queued it; the proposed re-unpack, applied now, is
/// skipped — FOSSology's own unpack restores it, and nothing is queued twice.
#[test]
fn a_proposed_reunpack_is_not_queued_beside_fossologys_own_unpack() {
    let c = Case::standard("live_double_unpack");
    let up = &c.inst.uploads[1];
    // As the UI leaves a new upload: imported, no tree, no job yet.
    c.db.psql(&format!(
        "DELETE FROM uploadtree WHERE upload_fk = {0}; DELETE FROM jobqueue WHERE jq_job_fk IN (SELECT job_pk FROM job WHERE job_upload_fk = {0}); DELETE FROM job WHERE job_upload_fk = {0}; UPDATE upload SET upload_mode = 8, upload_ts = now() WHERE upload_pk = {0}",
        up.id
    ))
    .unwrap();
    // With the bundled grace the young upload is in flight: no repair proposed.
    let r = check(&c, &[]);
    assert!(r["repairs"].as_array().unwrap().is_empty(), "{:#?}", r["findings"]);
    assert!(findings(&r).iter().any(|f| f["rule"] == "fossology/in-flight" && f["details"]["upload"] == up.id));
    // A site that set the grace to 0 gets the repair proposed ...
    let rules = tempfile::tempdir().unwrap();
    let toml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/fossology.toml")).unwrap().replace("grace_seconds = 900", "grace_seconds = 0");
    std::fs::write(rules.path().join("fossology.toml"), toml).unwrap();
    let report = c.inst.dir.join("double.json");
    let out = repocheck().args(["check", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).args(["--rules"]).arg(rules.path()).arg("--output").arg(&report).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(findings(&r).iter().any(|f| f["rule"] == "fossology/upload-tree-missing" && f["repair"]["upload"] == up.id), "{:#?}", r["findings"]);
    // ... then the UI queues its own unpack (postUploadAddJobs), and the repair is applied.
    let job = sql_one(
        &c.db,
        &format!("INSERT INTO job (job_queued, job_priority, job_name, job_upload_fk, job_user_fk, job_group_fk) VALUES (now(), 0, '{}', {}, 2, 2) RETURNING job_pk", up.filename, up.id),
    );
    c.db.psql(&format!("INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args, jq_end_bits) VALUES ({job}, 'ununpack', '{}', 0)", up.id)).unwrap();
    let out = repocheck().args(["repair", "fossology", "--apply", "--queue"]).arg(&report).args(["--db", &c.db.url(), "--rules"]).arg(rules.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("upload {}: not queued: FOSSology already has ununpack job {job}", up.id)), "{stderr}");
    let unpacks = sql_one(&c.db, &format!("SELECT count(*) FROM jobqueue WHERE jq_type = 'ununpack' AND jq_endtime IS NULL AND jq_args = '{}'", up.id));
    assert_eq!(unpacks, 1, "one unpack, FOSSology's own");
    // The printed SQL, run later by hand, queues nothing either.
    let out = repocheck().args(["repair", "fossology", "--queue"]).arg(&report).args(["--db", &c.db.url(), "--rules"]).arg(rules.path()).output().unwrap();
    let script = c.inst.dir.join("double.sql");
    std::fs::write(&script, reunpack_sql_anyway(&out.stdout, up.id)).unwrap();
    c.db.psql_file(&script).unwrap();
    assert_eq!(sql_one(&c.db, &format!("SELECT count(*) FROM jobqueue WHERE jq_type = 'ununpack' AND jq_endtime IS NULL AND jq_args = '{}'", up.id)), 1);
}

/// The dry run skips the upload (it says why); the SQL it would have run is the library's,
/// guarded on its own: rendered here for the upload as if the skip had not been made.
fn reunpack_sql_anyway(dry_run: &[u8], upload: i64) -> String {
    assert!(String::from_utf8_lossy(dry_run).contains("skipped"), "{}", String::from_utf8_lossy(dry_run));
    let r = repocheck::fossology::repair::Reunpack { upload, because: vec!["fossology/upload-tree-missing".into()], rebuild_tree: true, missing: Vec::new() };
    format!("BEGIN;\n{}COMMIT;\n", repocheck::fossology::repair::reunpack_sql(&r, 2))
}

/// The standard uploads with Debian's nobody:nogroup as FOSSology's project user and group,
/// the repository theirs as FOSSology leaves it; for the tests of what a repair run as
/// root does, so they need root (CI runs as root).
fn project_nobody_case(name: &str) -> Case {
    assert!(rustix::process::geteuid().is_root(), "this test checks what a repair run as root does: run the suite as root (CI does)");
    let mut f = repocheck_testkit::fossology::FossologyFixture::new().project("nobody", "nogroup");
    repocheck_testkit::fossology::add_standard_uploads(&mut f).unwrap();
    Case::new(f, name)
}

/// Run as root (as CI is), a move into a directory that does not exist yet creates it for
/// FOSSology's project user and group with mode 2770, not root's: the agents can still
/// write there (a re-unpack into a root-owned directory fails with permission denied).
#[test]
fn directories_a_repair_creates_belong_to_the_project_user() {
    let c = project_nobody_case("live_owner");
    for dir in [c.tmp.path(), c.inst.dir.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let name = &c.inst.uploads[0].members[1];
    let right = c.inst.path_of("files", name);
    // Its whole directory chain below files/ is gone: the move has to make it.
    let top = c.inst.repo.join("localhost/files").join(&name[..2]);
    let stray = c.inst.repo.join("localhost/files").join(name);
    std::fs::rename(&right, &stray).unwrap();
    std::fs::remove_dir_all(&top).unwrap();
    let report = c.inst.dir.join("owner.json");
    let out = repocheck().args(["check", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).arg("--output").arg(&report).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let out = repocheck().args(["repair", "fossology", "--apply", "--queue"]).arg(&report).args(["--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(right.is_file(), "moved: {}", String::from_utf8_lossy(&out.stdout));
    let uid: u32 = String::from_utf8(std::process::Command::new("id").args(["-u", "nobody"]).output().unwrap().stdout).unwrap().trim().parse().unwrap();
    let gid: u32 = String::from_utf8(std::process::Command::new("getent").args(["group", "nogroup"]).output().unwrap().stdout).unwrap().split(':').nth(2).unwrap().parse().unwrap();
    let mut dir = right.parent().unwrap().to_path_buf();
    while dir != c.inst.repo.join("localhost/files") {
        let m = std::fs::metadata(&dir).unwrap();
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (uid, gid, 0o2770), "{}", dir.display());
        dir = dir.parent().unwrap().to_path_buf();
    }
    // The project user can write where the repair put things (what ununpack needs).
    let probe = right.parent().unwrap().join("probe");
    let status = std::process::Command::new("runuser").args(["-u", "nobody", "--", "touch"]).arg(&probe).status().unwrap();
    assert!(status.success(), "nobody cannot write in {}", probe.parent().unwrap().display());
}

/// The same writer, free-running with short pauses, while checks run back to back: the
/// states now change under a check (between its snapshot, its walk and its second look),
/// and still nothing the writer does is reported as damage, and the real fault always is.
#[test]
fn checks_racing_a_free_running_writer_report_only_real_damage() {
    let c = Case::standard("live_race");
    let idle = &c.inst.uploads[2];
    let lost = c.inst.rel_path("files", &idle.members[0]);
    std::fs::remove_file(c.inst.repo.join(&lost)).unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let mut checks = 0;
    std::thread::scope(|scope| {
        let (db, inst, done) = (c.db.clone(), c.inst.clone(), &done);
        scope.spawn(move || {
            let pause = |_: &str| std::thread::sleep(std::time::Duration::from_millis(40));
            for k in 10..13 {
                writer(&db, &inst, k, &pause);
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        // Bounded in count: the writer is done long before.
        while !done.load(std::sync::atomic::Ordering::SeqCst) && checks < 400 {
            let r = check(&c, &[]);
            checks += 1;
            let wrong: Vec<&Value> = findings(&r).iter().filter(|f| f["severity"] != "info" && f["rule"] != "fossology/jobs-active" && f["subject"] != lost.as_str()).collect();
            assert!(wrong.is_empty(), "check {checks}: the writer's work reported as damage: {wrong:#?}");
            assert!(findings(&r).iter().any(|f| f["rule"] == "fossology/file-missing" && f["subject"] == lost.as_str()), "check {checks}: the real fault was not found");
        }
    });
    assert!(checks >= 2, "the checks ran while the writer did ({checks})");
}

/// A repository restored as root (every directory root's, 0755): a re-unpack would fail
/// with permission denied in ununpack, so the queue refuses it and says why.
#[test]
fn no_reunpack_is_queued_into_a_repository_the_agents_cannot_write() {
    let c = project_nobody_case("live_unwritable");
    let member = &c.inst.uploads[0].members[0];
    std::fs::remove_file(c.inst.path_of("files", member)).unwrap();
    let status = std::process::Command::new("chown").args(["-R", "root:root"]).arg(&c.inst.repo).status().unwrap();
    assert!(status.success());
    let walk = std::process::Command::new("find").arg(&c.inst.repo).args(["-type", "d", "-exec", "chmod", "0755", "{}", "+"]).status().unwrap();
    assert!(walk.success());
    let report = c.inst.dir.join("unwritable.json");
    let out = repocheck().args(["check", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).arg("--output").arg(&report).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let before = sql_one(&c.db, "SELECT count(*) FROM jobqueue");
    let out = repocheck().args(["repair", "fossology", "--apply", "--queue"]).arg(&report).args(["--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not queued") && stderr.contains("cannot write") && stderr.contains("chown -R nobody:nogroup"), "{stderr}");
    assert_eq!(sql_one(&c.db, "SELECT count(*) FROM jobqueue"), before, "nothing queued");
}
