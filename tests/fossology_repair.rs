//! After the check: the repair queue applied to a real database, moves and copies in the
//! repository, the backup plan, and shard/host runs merged into one report.

use std::collections::BTreeSet;
use std::path::PathBuf;

use assert_cmd::Command;
use repocheck_testkit::fossology::{Case, FossologyFixture, HostEntry};
use repocheck_testkit::postgres::TestDb;
use serde_json::Value;

fn case_with(f: FossologyFixture, name: &str) -> Case {
    Case::new(f, name)
}

fn standard(f: &mut FossologyFixture) {
    repocheck_testkit::fossology::add_standard_uploads(f).unwrap();
}

fn case(name: &str) -> Case {
    Case::standard(name)
}

fn repocheck() -> Command {
    Command::cargo_bin("repocheck").unwrap()
}

/// Checks and writes the JSON report; returns it and its path.
fn check(c: &Case, args: &[&str]) -> (Value, PathBuf, i32) {
    let path = c.inst.dir.join(format!("report-{}.json", args.join("_").replace(['/', '-'], "")));
    let out = repocheck().args(["check", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).args(args).arg("--output").arg(&path).output().unwrap();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)))).unwrap();
    (report, path, out.status.code().unwrap())
}

/// The jobqueue rows FOSSology's scheduler would check out now (its `basic_checkout` query).
fn scheduler_would_run(db: &TestDb) -> Vec<String> {
    let rows = db
        .psql(
            "SELECT jq.jq_type || ':' || jq.jq_args || ':' || coalesce(u.user_pk::text, 'no-user') FROM jobqueue jq
             INNER JOIN job j ON j.job_pk = jq.jq_job_fk LEFT JOIN users u ON u.user_pk = j.job_user_fk
             WHERE jq.jq_starttime IS NULL AND jq.jq_end_bits < 2
               AND NOT EXISTS (SELECT 1 FROM jobdepends jd INNER JOIN jobqueue dep ON dep.jq_pk = jd.jdep_jq_depends_fk
                               WHERE jd.jdep_jq_fk = jq.jq_pk AND NOT (dep.jq_endtime IS NOT NULL AND dep.jq_end_bits < 2))
             ORDER BY jq.jq_pk",
        )
        .unwrap();
    rows.lines().map(str::to_string).collect()
}

#[test]
fn the_reunpack_queue_is_what_fossology_would_run_and_is_idempotent() {
    let c = case("repair");
    let itoa = &c.inst.uploads[0];
    let cfg = &c.inst.uploads[2];
    std::fs::remove_file(c.inst.path_of("files", &itoa.members[0])).unwrap();
    std::fs::remove_file(c.inst.path_of("files", &cfg.members[1])).unwrap();
    let (report, path, code) = check(&c, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["repairs"].as_array().unwrap().len(), 2);

    // Dry run: SQL on stdout, nothing changed.
    let out = repocheck().args(["repair", "fossology", "--queue"]).arg(&path).args(["--db", &c.db.url()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let sql = String::from_utf8(out.stdout).unwrap();
    assert!(sql.starts_with("BEGIN;") && sql.trim_end().ends_with("COMMIT;"), "{sql}");
    assert!(sql.contains(&format!("UPDATE ununpack_ars SET ars_success = FALSE WHERE upload_fk = {};", itoa.id)));
    assert!(sql.contains("'reunpack'") && sql.contains("'ununpack'"));
    assert!(scheduler_would_run(&c.db).is_empty());

    // The printed SQL, run by psql, queues exactly what --apply would.
    let script = c.inst.dir.join("queue.sql");
    std::fs::write(&script, &sql).unwrap();
    c.db.psql_file(&script).unwrap();
    let queued = scheduler_would_run(&c.db);
    assert_eq!(queued, vec![format!("ununpack:{}:2", itoa.id), format!("ununpack:{}:2", cfg.id)]);
    assert_eq!(c.db.psql(&format!("SELECT ars_success FROM ununpack_ars WHERE upload_fk = {}", itoa.id)).unwrap(), "f");
    // The job row is FOSSology's: named reunpack, for the upload's owner.
    assert_eq!(c.db.psql(&format!("SELECT job_name || ':' || job_user_fk FROM job WHERE job_upload_fk = {} AND job_name = 'reunpack'", itoa.id)).unwrap(), "reunpack:2");

    // Applied again: the re-unpacks are pending, nothing new is queued.
    let out = repocheck().args(["repair", "fossology", "--apply", "--queue"]).arg(&path).args(["--db", &c.db.url()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("FOSSology already has ununpack job") && stderr.contains("nothing is queued twice"), "{stderr}");
    assert_eq!(scheduler_would_run(&c.db).len(), 2);
}

#[test]
fn apply_prints_job_ids_and_handles_missing_owners_and_missing_trees() {
    let c = case("apply");
    let itoa = &c.inst.uploads[0];
    let hex = &c.inst.uploads[1];
    std::fs::remove_file(c.inst.path_of("files", &itoa.members[0])).unwrap();
    c.db.psql(&format!("DELETE FROM uploadtree WHERE upload_fk = {}", hex.id)).unwrap();
    // itoa's owner is gone: the scheduler would skip a job owned by nobody.
    c.db.psql(&format!("UPDATE upload SET user_fk = 77 WHERE upload_pk = {}", itoa.id)).unwrap();
    let (_, path, _) = check(&c, &[]);

    let out = repocheck().args(["repair", "fossology", "--apply", "--queue"]).arg(&path).args(["--db", &c.db.url()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("upload {}: not queued", itoa.id)) && stderr.contains("user 77"), "{stderr}");
    assert!(stdout.contains(&format!("upload {}: re-unpack queued (job", hex.id)), "{stdout}");
    // No uploadtree rows: adj2nest follows ununpack, and waits for it.
    assert_eq!(scheduler_would_run(&c.db), vec![format!("ununpack:{}:2", hex.id)]);
    let deps =
        c.db.psql(&format!("SELECT count(*) FROM jobdepends d JOIN jobqueue q ON q.jq_pk = d.jdep_jq_fk WHERE q.jq_endtime IS NULL AND q.jq_type = 'adj2nest' AND q.jq_args = '{}'", hex.id)).unwrap();
    assert_eq!(deps, "1");

    // An administrator takes the orphaned upload, and the scheduler is told at once (a
    // stand-in listens on its port and answers as FOSSology's scheduler does).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let scheduler = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        s.write_all(b"received\n").unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    let out = repocheck().args(["repair", "fossology", "--apply", "--user", "1", "--notify", &format!("127.0.0.1:{port}"), "--queue"]).arg(&path).args(["--db", &c.db.url()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(scheduler.join().unwrap(), "database");
    assert!(String::from_utf8_lossy(&out.stdout).contains("scheduler: received"));
    assert!(scheduler_would_run(&c.db).contains(&format!("ununpack:{}:1", itoa.id)));
}

#[test]
fn repair_needs_a_live_database() {
    let c = case("repair_dump");
    let (_, path, _) = check(&c, &[]);
    let out = repocheck().args(["repair", "fossology", "--queue"]).arg(&path).args(["--db", "backup.sql.gz"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("live database"));
}

#[test]
fn moves_and_copies_are_a_script_and_applied_with_apply() {
    let c = case("moves");
    let itoa = &c.inst.uploads[0];
    let name = &itoa.members[2];
    let right = c.inst.path_of("files", name);
    let wrong = c.inst.repo.join("localhost/files").join(name);
    std::fs::rename(&right, &wrong).unwrap();
    std::fs::remove_file(c.inst.path_of("gold", &itoa.gold)).unwrap();
    let (_, path, code) = check(&c, &[]);
    assert_eq!(code, 1);
    let out = repocheck().args(["repair", "fossology", "--queue"]).arg(&path).args(["--db", &c.db.url()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shell"), "the dry run says where the moves are");
    let out = repocheck().args(["repair", "fossology", "--shell", "--queue"]).arg(&path).args(["--db", &c.db.url()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("#!/bin/sh\n") && text.contains("mv -n --") && text.contains("cp -np --"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("-- ")), "a runnable script, not comments: {text}");
    let syntax = std::process::Command::new("sh").arg("-n").arg("-c").arg(&*text).status().unwrap();
    assert!(syntax.success(), "{text}");
    assert!(wrong.exists(), "dry run moves nothing");

    let out = repocheck().args(["repair", "fossology", "--apply", "--queue"]).arg(&path).args(["--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(right.exists() && !wrong.exists());
    // The gold is back as a copy of the files object, not a hard link to it: two
    // independent copies, as ununpack leaves them.
    use std::os::unix::fs::MetadataExt;
    let (gold, files) = (c.inst.path_of("gold", &itoa.gold), c.inst.path_of("files", &itoa.gold));
    assert_eq!(std::fs::read(&gold).unwrap(), std::fs::read(&files).unwrap());
    assert_ne!(std::fs::metadata(&gold).unwrap().ino(), std::fs::metadata(&files).unwrap().ino());
    assert_eq!(std::fs::metadata(&gold).unwrap().mode() & 0o7777, std::fs::metadata(&files).unwrap().mode() & 0o7777);
    let (report, _, code) = check(&c, &[]);
    assert_eq!(code, 0, "{}", report["findings"]);
    assert!(report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn backup_plans_list_what_a_backup_needs() {
    let c = case("plan");
    let orphan = repocheck_testkit::fossology::Object::of(b"nobody needs me");
    let p = c.inst.path_of("files", &orphan.name());
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, b"nobody needs me").unwrap();
    let plan = |args: &[&str]| -> (BTreeSet<String>, String) {
        let out = repocheck().args(["plan", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect(), String::from_utf8(out.stderr).unwrap())
    };
    let (full, note) = plan(&["--strategy", "full"]);
    let all_files: BTreeSet<String> = c.inst.uploads.iter().flat_map(|u| u.files.iter().map(|n| c.inst.rel_path("files", n))).collect();
    let all_gold: BTreeSet<String> = c.inst.uploads.iter().map(|u| c.inst.rel_path("gold", &u.gold)).collect();
    assert_eq!(full.iter().filter(|l| !l.starts_with('#')).cloned().collect::<BTreeSet<String>>(), all_files.union(&all_gold).cloned().collect());
    assert!(!full.contains(&c.inst.rel_path("files", &orphan.name())));
    // Gold and the archive's files copy are separate files (ununpack's copy): the bytes
    // count both, and no hard link needs keeping.
    assert!(note.contains("-H is not needed"), "{note}");
    let listed: u64 = full.iter().filter(|p| !p.starts_with('#')).map(|p| std::fs::metadata(c.inst.repo.join(p)).unwrap().len()).sum();
    let gold_bytes: u64 = c.inst.uploads.iter().map(|u| std::fs::metadata(c.inst.path_of("gold", &u.gold)).unwrap().len()).sum();
    assert!(listed > gold_bytes * 2, "gold and its files copy both count");
    assert!(note.contains(&format!(" paths, {listed} bytes")), "{note}");
    // The job logs are optional: named, not listed.
    assert!(note.contains("optional: logs/ (7 files"), "{note}");
    assert!(full.iter().any(|l| l.starts_with("# logs (optional")) && !full.iter().any(|l| l.starts_with("logs/")), "{full:?}");
    assert!(note.contains("Db.conf"), "{note}");
    let objects = |lines: BTreeSet<String>| -> BTreeSet<String> { lines.into_iter().filter(|l| !l.starts_with('#')).collect() };
    let (gold, _) = plan(&["--strategy", "gold-only"]);
    assert_eq!(objects(gold), all_gold);
    let (gold, note) = plan(&["--strategy", "gold-only", "--skip-refetchable"]);
    let gold = objects(gold);
    assert_eq!(gold.len(), 2, "hex came from a URL");
    assert!(!gold.contains(&c.inst.rel_path("gold", &c.inst.uploads[1].gold)));
    assert!(note.contains("1 gold objects left out"), "{note}");
}

/// FOSSology's backup scope keeps the license directory in both strategies ("backup entire
/// repository data … include gold, files, license directory"; "backup only repository gold and
/// license directory").
#[test]
fn backup_plans_keep_the_license_directory() {
    let c = case("plan-license");
    let plan = |args: &[&str]| -> Vec<String> {
        let out = repocheck().args(["plan", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
    };
    // No license directory: nothing about it.
    for strategy in ["full", "gold-only"] {
        assert!(plan(&["--strategy", strategy]).iter().all(|l| !l.contains("license")), "{strategy}");
    }
    // A license directory laid out as the repository lays out its types.
    let object = repocheck_testkit::fossology::Object::of(b"license text");
    let file = c.inst.path_of("license", &object.name());
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"license text").unwrap();
    let rel = c.inst.rel_path("license", &object.name());
    let host_dir = rel.split("/license/").next().unwrap().to_string();
    let license_dir = format!("{host_dir}/license");
    for strategy in ["full", "gold-only"] {
        let lines = plan(&["--strategy", strategy]);
        assert!(lines.contains(&rel), "{strategy}: {lines:?}");
        assert!(lines.contains(&license_dir), "{strategy}: the directory itself, so that it is created: {lines:?}");
        let note = lines.iter().find(|l| l.starts_with('#')).unwrap_or_else(|| panic!("{strategy}: {lines:?}"));
        assert!(note.starts_with(&format!("# {license_dir}: the repository's license directory")) && note.contains("[REPOSITORY] type license"), "{note}");
        // Every other line is a path that exists, as rsync --files-from needs it.
        for l in lines.iter().filter(|l| !l.starts_with('#')) {
            assert!(c.inst.repo.join(l).exists(), "{l}");
        }
    }
    // gold-only: the gold objects and the license directory, nothing of files.
    let gold: Vec<String> = plan(&["--strategy", "gold-only"]).into_iter().filter(|l| !l.starts_with('#') && !l.starts_with(&license_dir)).collect();
    let all_gold: BTreeSet<String> = c.inst.uploads.iter().map(|u| c.inst.rel_path("gold", &u.gold)).collect();
    assert_eq!(gold.into_iter().collect::<BTreeSet<_>>(), all_gold);
}

fn findings_set(report: &Value) -> BTreeSet<String> {
    report["findings"].as_array().unwrap().iter().map(|f| serde_json::to_string(f).unwrap()).collect()
}

fn repairs_set(report: &Value) -> BTreeSet<String> {
    report["repairs"].as_array().unwrap().iter().map(|f| serde_json::to_string(f).unwrap()).collect()
}

/// Breaks an installation in every way that has a per-object or per-upload finding.
fn break_it(c: &Case) {
    let itoa = &c.inst.uploads[0];
    let hex = &c.inst.uploads[1];
    let cfg = &c.inst.uploads[2];
    for (i, m) in itoa.members.iter().enumerate().take(4) {
        std::fs::remove_file(c.inst.path_of("files", m)).unwrap_or_else(|_| panic!("{i}"));
    }
    std::fs::remove_file(c.inst.path_of("gold", &hex.gold)).unwrap();
    std::fs::remove_file(c.inst.path_of("files", &hex.gold)).unwrap();
    std::fs::remove_file(c.inst.path_of("files", &hex.members[0])).unwrap();
    let orphan = repocheck_testkit::fossology::Object::of(b"orphan");
    let p = c.inst.path_of("files", &orphan.name());
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, b"orphan").unwrap();
    c.db.psql(&format!("DELETE FROM uploadtree WHERE upload_fk = {}", cfg.id)).unwrap();
    c.db.psql("INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args, jq_starttime) VALUES (1, 'nomos', '1', now())").unwrap();
}

#[test]
fn shard_reports_merge_into_the_whole_run() {
    let c = case("shards");
    break_it(&c);
    let (whole, _, whole_code) = check(&c, &[]);
    let (low, low_path, _) = check(&c, &["--range", "00-7f"]);
    let (high, high_path, _) = check(&c, &["--range", "80-ff"]);
    assert!(!findings_set(&low).is_empty() && !findings_set(&high).is_empty());
    let merged_path = c.inst.dir.join("merged.json");
    let out = repocheck().arg("merge").arg(&low_path).arg(&high_path).arg("--output").arg(&merged_path).output().unwrap();
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(&merged_path).unwrap()).unwrap();
    assert_eq!(findings_set(&merged), findings_set(&whole));
    assert_eq!(repairs_set(&merged), repairs_set(&whole));
    assert_eq!(merged["summary"], whole["summary"]);
    assert_eq!(out.status.code(), Some(whole_code));
    // It reads like the whole run: one target, whose scope is the union (no range), the
    // database's rows once, the entries walked as one walk lists them.
    assert_eq!(low["targets"][0]["scope"]["range"], "00-7f");
    assert_eq!(merged["targets"], whole["targets"]);
    for counter in ["db_rows", "entries_walked", "bytes_hashed", "objects_hashed"] {
        assert_eq!(merged["stats"][counter], whole["stats"][counter], "{counter}");
    }
    assert_eq!(low["stats"]["db_rows"], whole["stats"]["db_rows"], "each shard reads the whole database");
}

#[test]
fn host_runs_merge_into_the_whole_run() {
    let hosts = vec![
        HostEntry { host: "alpha".into(), object_type: "*".into(), start: "00".into(), end: "7f".into() },
        HostEntry { host: "beta".into(), object_type: "*".into(), start: "80".into(), end: "ff".into() },
    ];
    let mut f = FossologyFixture::new().layout(3, hosts);
    standard(&mut f);
    let c = case_with(f, "host_runs");
    break_it(&c);
    let (whole, _, whole_code) = check(&c, &[]);
    let (a, a_path, _) = check(&c, &["--host", "alpha"]);
    let (_, b_path, _) = check(&c, &["--host", "beta"]);
    assert!(a["findings"].as_array().unwrap().iter().all(|f| !f["subject"].as_str().unwrap().starts_with("beta/files")), "{}", a["findings"]);
    let merged_path = c.inst.dir.join("merged-hosts.json");
    let out = repocheck().arg("merge").arg(&a_path).arg(&b_path).arg("--output").arg(&merged_path).output().unwrap();
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(&merged_path).unwrap()).unwrap();
    assert_eq!(findings_set(&merged), findings_set(&whole));
    assert_eq!(out.status.code(), Some(whole_code));
    // An unknown host is an argument error.
    let out = repocheck().args(["check", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).arg("--conf").arg(c.inst.conf()).args(["--host", "gamma"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn merge_refuses_what_is_not_a_report() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"schema\": \"something-else/9\"}").unwrap();
    let out = repocheck().arg("merge").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end().lines().count(), 1);
}

/// An upload id beyond `upload_pk`'s 32 bits names no upload: it is skipped, never cast to
/// the id of another (2^32 + 1 would have read and re-unpacked upload 1).
#[test]
fn an_upload_id_beyond_upload_pk_is_skipped_not_cast() {
    let c = case("huge_id");
    let itoa = &c.inst.uploads[0];
    std::fs::remove_file(c.inst.path_of("files", &itoa.members[0])).unwrap();
    let (mut report, path, _) = check(&c, &[]);
    let huge = (1i64 << 32) + itoa.id;
    report["repairs"] = serde_json::json!([{"action": "reunpack", "product": "fossology", "upload": huge, "because": ["fossology/file-missing"]}]);
    std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
    let out = repocheck().args(["repair", "fossology", "--apply", "--queue"]).arg(&path).args(["--db", &c.db.url()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("upload {huge}: not queued")) && stderr.contains("32-bit"), "{stderr}");
    assert!(scheduler_would_run(&c.db).is_empty(), "nothing queued for upload {}", itoa.id);
}
