//! Restore proof: a manifest recorded at the pre-backup audit (`--manifest-out`) and checked
//! after the restore (`--against`), on copies made as operators make them (`cp -a`,
//! `tar cvfz`), damaged the ways restores go wrong.

use std::path::Path;

use assert_cmd::Command;
use repocheck_testkit::backups::{VOLUMES, connectware, tar_gz};
use repocheck_testkit::js7::Scenario;
use serde_json::Value;

struct Run {
    code: i32,
    report: Value,
    stderr: String,
}

impl Run {
    fn of(&self, rule: &str) -> Vec<&Value> {
        self.report["findings"].as_array().map(|a| a.iter().filter(|f| f["rule"] == rule).collect()).unwrap_or_default()
    }

    fn manifest_findings(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("manifest/"))
            .map(|f| (f["rule"].as_str().unwrap().to_string(), f["subject"].as_str().unwrap().to_string()))
            .collect();
        v.sort();
        v
    }
}

fn run(args: &[&str]) -> Run {
    let out = Command::cargo_bin("repocheck").unwrap().args(args).args(["--format", "json"]).output().unwrap();
    Run { code: out.status.code().unwrap(), report: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `cp -a`: modes, times and links as they are.
fn cp_a(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success());
}

fn js7_installation(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let s = Scenario::healthy();
    let (controller, agent) = (dir.join("controller/state"), dir.join("agent-1/state"));
    std::fs::create_dir_all(&controller).unwrap();
    std::fs::create_dir_all(&agent).unwrap();
    s.write_controller(&controller);
    s.write_agent(&agent);
    (dir.join("controller"), dir.join("agent-1"))
}

#[test]
fn a_js7_journal_copy_with_one_changed_byte_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let (controller, agent) = js7_installation(&tmp.path().join("live"));
    let manifest = tmp.path().join("js7.manifest.gz");
    let agent_arg = format!("agent-1={}", s(&agent));
    let audit = run(&["check", "js7", "--controller", s(&controller), "--agent", &agent_arg, "--manifest-out", s(&manifest)]);
    assert_eq!(audit.code, 0, "{} {}", audit.stderr, audit.report["findings"]);
    assert_eq!(audit.report["targets"][0]["scope"]["manifest"]["written"], s(&manifest));

    // The restore: an exact copy passes.
    let restored = tmp.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    cp_a(&tmp.path().join("live/controller"), &restored.join("controller"));
    cp_a(&tmp.path().join("live/agent-1"), &restored.join("agent-1"));
    let agent_arg = format!("agent-1={}", s(&restored.join("agent-1")));
    let restored_controller = restored.join("controller");
    let args = ["check", "js7", "--controller", s(&restored_controller), "--agent", &agent_arg, "--against", s(&manifest)];
    let exact = run(&args);
    assert_eq!(exact.code, 0, "{} {}", exact.stderr, exact.report["findings"]);
    assert!(exact.manifest_findings().is_empty());
    assert!(exact.report["targets"][0]["scope"]["manifest"]["against"]["files_compared"].as_u64().unwrap() >= 4);
    assert!(exact.report["targets"][0]["rules"].as_array().unwrap().iter().any(|r| r == "manifest/file-changed"));

    // One byte of the Controller's oldest journal changed: the journal still reads (the byte
    // is inside a string), so only the manifest can tell.
    let journal = std::fs::read_dir(restored.join("controller/state")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "journal")).min().unwrap();
    let mut bytes = std::fs::read(&journal).unwrap();
    let at = bytes.windows(10).position(|w| w == b"controller").unwrap();
    bytes[at] = b'C';
    std::fs::write(&journal, &bytes).unwrap();
    let changed = run(&args);
    assert_eq!(changed.code, 1);
    let name = journal.file_name().unwrap().to_str().unwrap();
    assert_eq!(changed.manifest_findings(), [("manifest/file-changed".to_string(), format!("controller/state/{name}"))]);
    let f = changed.of("manifest/file-changed")[0];
    assert!(f["message"].as_str().unwrap().contains("content (BLAKE3)"), "{f}");
    assert_eq!(f["repair"]["action"], "restore-from-backup");
}

#[test]
fn a_connectware_volume_archive_with_a_member_changed_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 120, true);
    let manifest = tmp.path().join("cw.manifest.gz");
    let audit = run(&["check", "connectware", "--volumes", s(&b.volumes_tgz), "--db-backup", s(&b.db_backup), "--manifest-out", s(&manifest)]);
    assert_eq!(audit.code, 0, "{} {}", audit.stderr, audit.report["findings"]);
    let args =
        |volumes: &Path| vec!["check".to_string(), "connectware".into(), "--volumes".into(), s(volumes).into(), "--db-backup".into(), s(&b.db_backup).into(), "--against".into(), s(&manifest).into()];
    let same = run(&args(&b.volumes_tgz).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(same.manifest_findings().is_empty(), "{}", same.report["findings"]);

    // The same volumes archived again with one member's content changed (same size), and
    // one member left out.
    let mut members = Vec::new();
    for entry in walkdir(&b.volumes_dir) {
        let rel = entry.strip_prefix(&b.volumes_dir).unwrap().to_str().unwrap().to_string();
        let mut bytes = std::fs::read(&entry).unwrap();
        if rel.ends_with("cybus_server.key") {
            continue;
        }
        if rel.ends_with("commissioning.yml") {
            bytes[0] = b'D';
        }
        members.push((format!("./{rel}"), bytes, 1_700_000_000));
    }
    let other = tmp.path().join("other.tgz");
    tar_gz(&other, &members);
    let changed = run(&args(&other).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        changed.manifest_findings(),
        [
            ("manifest/file-changed".to_string(), "volumes/connectware_service-manager/_data/services/opcua-machine/commissioning.yml".to_string()),
            ("manifest/file-missing".to_string(), "volumes/connectware_certs/_data/cybus_server.key".to_string()),
        ]
    );
    assert_eq!(changed.code, 1);
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walkdir(&p)) } else { out.push(p) }
    }
    out.sort();
    out
}

#[test]
fn a_damaged_edited_or_foreign_manifest_is_exit_2_never_a_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let (controller, _) = js7_installation(&tmp.path().join("live"));
    let manifest = tmp.path().join("m.gz");
    assert_eq!(run(&["check", "js7", "--controller", s(&controller), "--manifest-out", s(&manifest)]).code, 0);
    let text = {
        let mut t = String::new();
        std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&manifest).unwrap()), &mut t).unwrap();
        t
    };
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&p).unwrap(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
        enc.finish().unwrap();
        p
    };
    let edited = write("edited.gz", &text.replacen("\"size\":", "\"size\":1", 1));
    let cut = write("cut.gz", &text.lines().take(2).map(|l| format!("{l}\n")).collect::<String>());
    let newer = write("newer.gz", &text.replace("repocheck-manifest/1", "repocheck-manifest/2"));
    let bytes = std::fs::read(&manifest).unwrap();
    let truncated = tmp.path().join("truncated.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() - 20]).unwrap();
    for (file, says) in [(&edited, "checksum does not match"), (&cut, "truncated"), (&newer, "repocheck-manifest/2"), (&truncated, "damaged")] {
        let r = run(&["check", "js7", "--controller", s(&controller), "--against", s(file)]);
        assert_eq!(r.code, 2, "{file:?}");
        assert!(r.stderr.contains(says) && r.stderr.lines().count() == 1, "{file:?}: {}", r.stderr);
        assert!(r.report.is_null(), "no report for {file:?}");
    }
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 120, true);
    let r = run(&["check", "connectware", "--volumes", s(&b.volumes_dir), "--db-backup", s(&b.db_backup), "--against", s(&manifest)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("a manifest of js7, not of connectware"), "{}", r.stderr);
}

#[test]
fn site_targets_record_and_compare_their_own_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let (controller, _) = js7_installation(&tmp.path().join("live"));
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 120, true);
    let site = tmp.path().join("site.toml");
    let write_site = |mode: &str| {
        std::fs::write(
            &site,
            format!(
                "[[target]]\nproduct = \"js7\"\ncontroller = \"{}\"\n{mode} = \"js7.manifest.gz\"\n\n[[target]]\nproduct = \"connectware\"\nvolumes = \"{}\"\ndb_backup = \"{}\"\n{mode} = \"cw.manifest.gz\"\n",
                s(&controller),
                s(&b.volumes_dir),
                s(&b.db_backup)
            ),
        )
        .unwrap();
    };
    write_site("manifest_out");
    let audit = run(&["check", "--site", s(&site)]);
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    assert!(tmp.path().join("js7.manifest.gz").is_file() && tmp.path().join("cw.manifest.gz").is_file());
    std::fs::remove_file(b.volumes_dir.join("connectware_service-manager/_data/services/opcua-machine/commissioning.yml")).unwrap();
    write_site("against");
    let after = run(&["check", "--site", s(&site)]);
    assert_eq!(after.manifest_findings(), [("manifest/file-missing".to_string(), "volumes/connectware_service-manager/_data/services/opcua-machine/commissioning.yml".to_string())]);
}

mod fossology {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};
    use std::process::Command as Process;

    use repocheck_testkit::fossology::Case;
    use repocheck_testkit::postgres::TestDb;

    use super::{Run, cp_a, run, s};

    fn pg(db: &TestDb, program: &str) -> Process {
        let server = repocheck_testkit::postgres::shared();
        let mut cmd = Process::new(server.bin().join(program));
        cmd.arg("-h").arg(db.socket_dir()).args(["-p", &db.port().to_string(), "-U", "postgres"]);
        cmd
    }

    fn ok(mut cmd: Process) {
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn check(c: &Case, db: &str, repo: &Path, manifest: (&str, &Path)) -> Run {
        run(&["check", "fossology", "--db", db, "--repo", s(repo), "--conf", s(&c.inst.conf()), "--level", "size", manifest.0, s(manifest.1)])
    }

    /// The table lines of a manifest.
    fn tables(path: &Path) -> BTreeSet<String> {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap()), &mut text).unwrap();
        text.lines().filter(|l| l.starts_with("{\"table\"")).map(str::to_string).collect()
    }

    /// A restore made as operators make one (`pg_dump | psql` into a new database, `cp -a`
    /// of the repository) that then lost one whole upload — its upload, uploadtree_a and
    /// pfile rows, its jobs, and its objects — and had one users row changed. The copy is
    /// still consistent: the product's rules say exactly what they say of the original.
    /// Only the manifest tells.
    #[test]
    fn a_restore_that_lost_a_whole_upload_passes_the_rules_but_not_the_manifest() {
        let c = Case::standard("manifest_orig");
        let manifest = c.tmp.path().join("fossology.manifest.gz");
        let audit = check(&c, &c.db.url(), &c.inst.repo, ("--manifest-out", &manifest));
        assert_eq!(audit.code, 0, "{} {}", audit.stderr, audit.report["findings"]);
        assert!(audit.report["findings"].as_array().unwrap().is_empty());

        // The restore.
        let restored_db = repocheck_testkit::postgres::shared().create_database("manifest_restored").unwrap();
        let plain = c.tmp.path().join("backup.sql");
        c.db.pg_dump_plain(&plain).unwrap();
        restored_db.psql_file(&plain).unwrap();
        let restored_repo = c.tmp.path().join("restored-repository");
        cp_a(&c.inst.repo, &restored_repo);
        let exact = check(&c, &restored_db.url(), &restored_repo, ("--against", &manifest));
        assert_eq!(exact.code, 0, "{} {}", exact.stderr, exact.report["findings"]);
        assert!(exact.manifest_findings().is_empty(), "{}", exact.report["findings"]);
        let compared = &exact.report["targets"][0]["scope"]["manifest"]["against"];
        assert!(compared["tables_compared"].as_u64().unwrap() >= 10, "every table, not only those the rules read: {compared}");

        // Lose upload 1 in both.
        let lost = &c.inst.uploads[0];
        let others: BTreeSet<&String> = c.inst.uploads[1..].iter().flat_map(|u| u.files.iter().chain([&u.gold])).collect();
        let mut objects: Vec<(&str, &String)> = lost.files.iter().map(|f| ("files", f)).filter(|(_, n)| !others.contains(n)).collect();
        objects.push(("gold", &lost.gold));
        objects.dedup();
        let id = lost.id;
        restored_db
            .psql(&format!(
                "DELETE FROM jobqueue WHERE jq_job_fk IN (SELECT job_pk FROM job WHERE job_upload_fk = {id});
                 DELETE FROM job WHERE job_upload_fk = {id};
                 DELETE FROM ununpack_ars WHERE upload_fk = {id};
                 DELETE FROM uploadtree_a WHERE upload_fk = {id};
                 DELETE FROM upload WHERE upload_pk = {id};
                 DELETE FROM pfile p WHERE NOT EXISTS (SELECT 1 FROM uploadtree t WHERE t.pfile_fk = p.pfile_pk) AND NOT EXISTS (SELECT 1 FROM upload u WHERE u.pfile_fk = p.pfile_pk);
                 UPDATE users SET user_email = 'changed@example.org' WHERE user_pk = (SELECT min(user_pk) FROM users);"
            ))
            .unwrap();
        let mut lost_paths = BTreeSet::new();
        for (t, name) in &objects {
            let rel = c.inst.rel_path(t, name);
            std::fs::remove_file(restored_repo.join(&rel)).unwrap();
            lost_paths.insert(rel);
        }
        let after = check(&c, &restored_db.url(), &restored_repo, ("--against", &manifest));
        // The product's rules see a consistent copy …
        let product: Vec<&serde_json::Value> = after.report["findings"].as_array().unwrap().iter().filter(|f| !f["rule"].as_str().unwrap().starts_with("manifest/")).collect();
        assert!(product.is_empty(), "{product:?}");
        // … the manifest sees what was lost.
        let found = after.manifest_findings();
        let tables: BTreeSet<&str> = found.iter().filter(|(r, _)| r == "manifest/table-rows-differ").map(|(_, s)| s.as_str()).collect();
        for t in ["public.upload", "public.uploadtree_a", "public.pfile", "public.job", "public.jobqueue", "public.users"] {
            assert!(tables.contains(t), "{t} not reported: {found:?}");
        }
        let files: BTreeSet<String> = found.iter().filter(|(r, _)| r == "manifest/file-missing").map(|(_, s)| s.clone()).collect();
        assert_eq!(files, lost_paths);
        let users = after.of("manifest/table-rows-differ").into_iter().find(|f| f["subject"] == "public.users").unwrap();
        assert_eq!(users["details"]["rows_recorded"], users["details"]["rows_now"], "same count, other rows: {users}");
        assert!(users["message"].as_str().unwrap().contains("not the same rows"), "{users}");
        // The objects are the product's to repair; the proof does not add a repair of its own.
        assert!(after.of("manifest/file-missing").iter().all(|f| f.get("repair").is_none()));
        assert_eq!(after.code, 1);
        assert!(after.report["plan"].as_array().unwrap().iter().any(|u| u["unit"] == "restored input"), "{}", after.report["plan"]);

        // A table the restore lost, and one it brought from elsewhere.
        restored_db.psql("DROP TABLE jobdepends; CREATE TABLE public.imported (id int); INSERT INTO public.imported VALUES (1), (2);").unwrap();
        let tables = check(&c, &restored_db.url(), &restored_repo, ("--against", &manifest));
        let missing = tables.of("manifest/table-missing");
        assert_eq!(missing.len(), 1, "{}", tables.report["findings"]);
        assert_eq!(missing[0]["subject"], "public.jobdepends");
        assert_eq!(missing[0]["severity"], "error");
        let added = tables.of("manifest/table-added");
        assert_eq!(added.len(), 1);
        assert_eq!((added[0]["subject"].as_str(), added[0]["severity"].as_str(), added[0]["details"]["rows"].as_u64()), (Some("public.imported"), Some("info"), Some(2)));
        // The exact copy had neither.
        assert!(exact.of("manifest/table-missing").is_empty() && exact.of("manifest/table-added").is_empty());
    }

    /// The files of the gold and files trees come from the check's own walk (one pass over
    /// the repository): they are exactly what a walk of their own gives, odd entries and all.
    #[test]
    fn the_checks_walk_records_the_same_files_as_a_walk_of_their_own() {
        let c = Case::standard("manifest_walks");
        let repo = &c.inst.repo;
        let files = repo.join("localhost/files");
        let member = &c.inst.uploads[0].members[2];
        // Misplaced at another depth, upper-cased, a bad name, a symlink, a fifo, a file in
        // an off-layout directory, an unfinished import, and files outside the trees.
        std::fs::rename(c.inst.path_of("files", member), files.join(format!("{}/{}/{member}", &member[0..2], &member[2..4]))).unwrap();
        let upper = &c.inst.uploads[1].members[0];
        let p = c.inst.path_of("files", upper);
        std::fs::rename(&p, p.with_file_name(upper.to_uppercase())).unwrap();
        std::fs::write(files.join("README"), "not an object").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", files.join("00-link")).unwrap();
        assert!(Process::new("mkfifo").arg(files.join("fifo")).status().unwrap().success());
        std::fs::create_dir_all(files.join("lost+found/deep")).unwrap();
        std::fs::write(files.join("lost+found/deep/stray.bin"), "stray").unwrap();
        let imported = c.inst.path_of("files", &c.inst.uploads[2].members[0]);
        std::fs::write(imported.with_file_name(format!("{}.I", c.inst.uploads[2].members[0])), "half").unwrap();
        std::fs::create_dir_all(repo.join("localhost/logs")).unwrap();
        std::fs::write(repo.join("localhost/logs/ununpack.log"), "log").unwrap();
        std::fs::write(repo.join("NOTES"), "notes").unwrap();

        let one_pass = c.tmp.path().join("one-pass.gz");
        let walked = c.tmp.path().join("walked.gz");
        assert!(check(&c, &c.db.url(), repo, ("--manifest-out", &one_pass)).code < 2);
        // A --range run (a shard) walks the tree for the manifest on its own.
        let r = run(&["check", "fossology", "--db", &c.db.url(), "--repo", s(repo), "--conf", s(&c.inst.conf()), "--level", "size", "--range", "00-ff", "--manifest-out", s(&walked)]);
        assert!(r.code < 2, "{}", r.stderr);
        let lines = |p: &Path| -> Vec<String> {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(std::fs::File::open(p).unwrap()), &mut text).unwrap();
            text.lines().filter(|l| l.starts_with("{\"file\"")).map(str::to_string).collect()
        };
        let (a, b) = (lines(&one_pass), lines(&walked));
        assert!(a.iter().any(|l| l.contains("lost+found/deep/stray.bin")) && a.iter().any(|l| l.contains("\"type\":\"fifo\"")) && a.iter().any(|l| l.contains("logs/ununpack.log")), "{a:#?}");
        assert_eq!(a, b);
    }

    /// The manifest of last night's dump equals the manifest of the live server at that
    /// moment, whatever the dump's format.
    #[test]
    fn a_manifest_from_any_dump_equals_one_from_the_server() {
        let c = Case::standard("manifest_dumps");
        let dir = c.tmp.path().join("dumps");
        std::fs::create_dir_all(&dir).unwrap();
        let from_server = dir.join("server.manifest.gz");
        assert_eq!(check(&c, &c.db.url(), &c.inst.repo, ("--manifest-out", &from_server)).code, 0);
        let server_tables = tables(&from_server);
        assert!(server_tables.len() >= 10, "{server_tables:?}");
        let mut dumps: Vec<PathBuf> = Vec::new();
        for (name, args) in [("custom.dump", &["-Fc"][..]), ("dir", &["-Fd"][..]), ("tar.tar", &["-Ft"][..]), ("inserts.sql", &["--inserts"][..])] {
            let out = dir.join(name);
            let mut cmd = pg(&c.db, "pg_dump");
            cmd.args(args).arg("-f").arg(&out).arg(&c.db.name);
            ok(cmd);
            dumps.push(out);
        }
        let all = dir.join("all.sql.gz");
        c.db.pg_dumpall_gzip(&all).unwrap();
        for dump in &dumps {
            let m = dump.with_extension("manifest.gz");
            let r = check(&c, s(dump), &c.inst.repo, ("--manifest-out", &m));
            assert_eq!(r.code, 0, "{dump:?}: {}", r.stderr);
            assert_eq!(tables(&m), server_tables, "{dump:?}");
        }
        let m = dir.join("all.manifest.gz");
        let r = run(&["check", "fossology", "--db", s(&all), "--db-name", &c.db.name, "--repo", s(&c.inst.repo), "--conf", s(&c.inst.conf()), "--level", "size", "--manifest-out", s(&m)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(tables(&m), server_tables);
        // And a dump is checked against a manifest of the server without a finding.
        let r = check(&c, s(&dumps[0]), &c.inst.repo, ("--against", &from_server));
        assert!(r.manifest_findings().is_empty(), "{}", r.report["findings"]);
    }
}

/// Hubble: a backup archive re-made with one data file changed (same size).
#[test]
fn a_hubble_archive_with_a_member_changed_is_caught() {
    use repocheck_testkit::backups::{hubble, hubble_members};
    let tmp = tempfile::tempdir().unwrap();
    let good = hubble(tmp.path(), &hubble_members());
    let manifest = tmp.path().join("hubble.manifest.gz");
    let audit = run(&["check", "hubble", "--archive", s(&good.archive), "--manifest-out", s(&manifest)]);
    assert_eq!(audit.code, 0, "{} {}", audit.stderr, audit.report["findings"]);
    let other = tmp.path().join("restored");
    std::fs::create_dir(&other).unwrap();
    let mut members = hubble_members();
    let data = members.iter_mut().find(|(n, _, _)| n.ends_with(".hubble")).unwrap();
    data.1[0] ^= 1;
    let changed = data.0.clone();
    let restored = hubble(&other, &members);
    let after = run(&["check", "hubble", "--archive", s(&restored.archive), "--against", s(&manifest)]);
    assert_eq!(after.manifest_findings(), [("manifest/file-changed".to_string(), format!("archive/{changed}"))]);
    assert_eq!(after.code, 1);
}

/// Fiorano: a runtimedata copy that lost a file the product's own rules also name, and one
/// they do not look at.
#[test]
fn a_fiorano_runtimedata_copy_that_lost_files_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    repocheck_testkit::fiorano::write(tmp.path());
    let rd = tmp.path().join("runtimedata");
    let manifest = tmp.path().join("fiorano.manifest.gz");
    let audit = run(&["check", "fiorano", "--runtimedata", s(&rd), "--manifest-out", s(&manifest)]);
    assert!(audit.code < 2, "{}", audit.stderr);
    let before: std::collections::BTreeSet<String> = audit.report["findings"].as_array().unwrap().iter().map(|f| f["subject"].as_str().unwrap().to_string()).collect();
    // An env file of an event process, and a log file no rule reads.
    let env = walk(&rd).into_iter().find(|p| p.parent().is_some_and(|d| d.ends_with("env"))).unwrap();
    std::fs::remove_file(&env).unwrap();
    let log = rd.join("logs/server.log");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(&log, "started\n").unwrap();
    let after = run(&["check", "fiorano", "--runtimedata", s(&rd), "--against", s(&manifest)]);
    let rel = env.strip_prefix(&rd).unwrap().to_str().unwrap().to_string();
    assert_eq!(after.manifest_findings(), [("manifest/file-added".to_string(), "logs/server.log".to_string()), ("manifest/file-missing".to_string(), rel.clone())]);
    // The product's rule names the same file, by the same path.
    assert!(after.of("fiorano/event-process-incomplete").iter().any(|f| f["subject"].as_str().unwrap().ends_with(env.file_name().unwrap().to_str().unwrap())), "{}", after.report["findings"]);
    assert!(!before.contains(&rel));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out.sort();
    out
}
