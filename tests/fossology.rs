//! `repocheck check fossology` end to end: installations built from real crate archives as
//! FOSSology would unpack them, their database in a real PostgreSQL server the tests start,
//! and the same database as a real `pg_dump | gzip` file. Every rule fires on a broken
//! variant and stays silent on the intact installation, from both sources.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use repocheck_testkit::fossology::{Case, FossologyFixture, HostEntry, UploadOpts};
use serde_json::Value;

fn archives() -> PathBuf {
    repocheck_testkit::fossology::archives_dir()
}

fn add_standard_uploads(f: &mut FossologyFixture) {
    repocheck_testkit::fossology::add_standard_uploads(f).unwrap();
}

fn case_from(f: FossologyFixture, name: &str) -> Case {
    Case::new(f, name)
}

fn case(name: &str) -> Case {
    Case::standard(name)
}

/// Where a database comes from in a run.
#[derive(Clone, Copy, Debug)]
enum Source {
    Server,
    Dump,
}

struct Run {
    code: i32,
    report: Value,
    stderr: String,
}

impl Run {
    fn findings(&self) -> Vec<&Value> {
        self.report["findings"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
    }

    fn of(&self, rule: &str) -> Vec<&Value> {
        self.findings().into_iter().filter(|f| f["rule"] == rule).collect()
    }

    fn rules(&self) -> BTreeSet<String> {
        self.findings().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
    }

    /// Findings as comparable strings (without inputs, which differ between sources).
    fn set(&self) -> BTreeSet<String> {
        self.findings().iter().map(|f| serde_json::to_string(f).unwrap()).collect()
    }
}

fn run(c: &Case, source: Source, args: &[&str]) -> Run {
    let db = match source {
        Source::Server => c.db.url(),
        Source::Dump => {
            let dump = c.inst.dir.join(format!("dump-{}.sql.gz", c.db.name));
            c.db.pg_dump_gzip(&dump).unwrap();
            dump.display().to_string()
        }
    };
    let out = Command::cargo_bin("repocheck")
        .unwrap()
        .args(["check", "fossology", "--format", "json", "--db", &db, "--repo"])
        .arg(&c.inst.repo)
        .arg("--conf")
        .arg(c.inst.conf())
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Run { code: out.status.code().unwrap_or(-1), report, stderr }
}

/// Runs from the server and from a dump of it; both must say the same.
fn run_both(c: &Case, args: &[&str]) -> Run {
    let server = run(c, Source::Server, args);
    let dump = run(c, Source::Dump, args);
    assert_eq!(server.code, dump.code, "exit codes differ: server {} / dump {}", server.stderr, dump.stderr);
    assert_eq!(server.set(), dump.set(), "server and dump disagree");
    server
}

fn remove(p: &Path) {
    std::fs::remove_file(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

#[test]
fn an_intact_installation_has_no_findings_at_any_level() {
    let c = case("intact");
    for level in ["exists", "size", "content"] {
        let r = run_both(&c, &["--level", level]);
        assert_eq!(r.code, 0, "{level}: {:?} {}", r.findings(), r.stderr);
        assert!(r.findings().is_empty(), "{level}: {:?}", r.findings());
        assert_eq!(r.report["targets"][0]["level"], level);
    }
    let r = run(&c, Source::Server, &["--level", "content"]);
    assert!(r.report["stats"]["bytes_hashed"].as_u64().unwrap() > 30_000);
    assert!(r.report["stats"]["db_rows"].as_u64().unwrap() > 40);
    // The uploadtree_<n> child table is read: cfg-if's members are referenced through it.
    let cfg_if = &c.inst.uploads[2];
    remove(&c.inst.path_of("files", &cfg_if.members[0]));
    let r = run(&c, Source::Server, &[]);
    assert_eq!(r.of("fossology/file-missing").len(), 1, "{:?}", r.findings());
}

#[test]
fn file_missing_names_the_path_and_queues_a_reunpack() {
    let c = case("file_missing");
    let itoa = &c.inst.uploads[0];
    let member = &itoa.members[1];
    remove(&c.inst.path_of("files", member));
    let r = run_both(&c, &[]);
    assert_eq!(r.code, 1);
    let missing = r.of("fossology/file-missing");
    assert_eq!(missing.len(), 1, "{:?}", r.findings());
    let f = missing[0];
    assert_eq!(f["subject"], c.inst.rel_path("files", member));
    assert_eq!(f["severity"], "error");
    assert_eq!(f["details"]["uploads"], serde_json::json!([itoa.id]));
    assert!(f["details"]["pfile"].as_i64().unwrap() > 0, "the pfile id, as SPEC's example shows it");
    assert_eq!(f["repair"], serde_json::json!({"action": "reunpack", "upload": itoa.id}));
    assert_eq!(r.report["repairs"][0]["action"], "reunpack");
    assert_eq!(r.report["repairs"][0]["because"], serde_json::json!(["fossology/file-missing"]));
    assert_eq!(r.rules(), BTreeSet::from(["fossology/file-missing".to_string()]));
}

#[test]
fn gold_missing_with_files_copy_is_a_copy_and_without_it_a_refetch_or_restore() {
    let c = case("gold_missing");
    let itoa = &c.inst.uploads[0];
    let hex = &c.inst.uploads[1];
    remove(&c.inst.path_of("gold", &itoa.gold));
    // hex came from a URL: without gold and files copy it can only be downloaded again.
    remove(&c.inst.path_of("gold", &hex.gold));
    remove(&c.inst.path_of("files", &hex.gold));
    let r = run_both(&c, &[]);
    let gold = r.of("fossology/gold-missing");
    assert_eq!(gold.len(), 2, "{:?}", r.findings());
    let by_upload = |id: i64| gold.iter().find(|f| f["details"]["uploads"][0] == id).copied().unwrap();
    let g_itoa = by_upload(itoa.id);
    assert_eq!(g_itoa["repair"]["action"], "copy");
    assert_eq!(g_itoa["repair"]["from"], c.inst.rel_path("files", &itoa.gold));
    assert_eq!(g_itoa["details"]["refetchable"], false);
    let g_hex = by_upload(hex.id);
    assert_eq!(g_hex["details"]["refetchable"], true);
    assert_eq!(g_hex["repair"], serde_json::json!({"action": "refetch", "upload": hex.id, "origin": hex.origin}));
    // The archive's files copy is missing too, and no gold can bring it back.
    let missing = r.of("fossology/file-missing");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["repair"]["action"], "restore-from-backup");
    let lost = r.of("fossology/upload-unrecoverable");
    assert_eq!(lost.len(), 1, "{:?}", r.findings());
    assert_eq!(lost[0]["subject"], format!("upload {}", hex.id));
    assert_eq!(lost[0]["repair"]["action"], "refetch");
    // itoa is recoverable: its gold can be copied back, so it is not unrecoverable.
    assert!(lost.iter().all(|f| f["details"]["upload"] != itoa.id));
}

#[test]
fn upload_unrecoverable_for_a_file_upload_is_a_restore() {
    let c = case("unrecoverable");
    let itoa = &c.inst.uploads[0];
    remove(&c.inst.path_of("gold", &itoa.gold));
    remove(&c.inst.path_of("files", &itoa.gold));
    remove(&c.inst.path_of("files", &itoa.members[0]));
    let r = run_both(&c, &[]);
    let lost = r.of("fossology/upload-unrecoverable");
    assert_eq!(lost.len(), 1, "{:?}", r.findings());
    assert_eq!(lost[0]["details"]["upload"], itoa.id);
    assert_eq!(lost[0]["repair"], serde_json::json!({"action": "restore-from-backup", "path": c.inst.rel_path("gold", &itoa.gold)}));
    for f in r.of("fossology/file-missing") {
        assert_eq!(f["repair"]["action"], "restore-from-backup");
    }
}

#[test]
fn a_file_shared_by_uploads_is_restored_from_any_upload_with_gold() {
    // The same archive uploaded twice: every member is referenced by both uploads.
    let mut f = FossologyFixture::new();
    f.add_upload_archive(&archives().join("itoa-1.0.18.crate"), UploadOpts::default()).unwrap();
    f.add_upload_archive(&archives().join("itoa-1.0.18.crate"), UploadOpts::default()).unwrap();
    let c = case_from(f, "shared");
    let member = &c.inst.uploads[0].members[2];
    remove(&c.inst.path_of("files", member));
    let r = run_both(&c, &[]);
    let missing = r.of("fossology/file-missing");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["details"]["uploads"], serde_json::json!([1, 2]));
    assert_eq!(missing[0]["repair"], serde_json::json!({"action": "reunpack", "upload": 1}));
}

#[test]
fn upload_tree_missing_fires_unless_an_unpack_is_pending() {
    let c = case("tree_missing");
    let itoa = &c.inst.uploads[0];
    c.db.psql(&format!("DELETE FROM uploadtree WHERE upload_fk = {}", itoa.id)).unwrap();
    let r = run_both(&c, &[]);
    let tree = r.of("fossology/upload-tree-missing");
    assert_eq!(tree.len(), 1, "{:?}", r.findings());
    assert_eq!(tree[0]["subject"], format!("upload {}", itoa.id));
    assert_eq!(tree[0]["repair"], serde_json::json!({"action": "reunpack", "upload": itoa.id}));
    // The member files are now referenced by nothing.
    assert!(!r.of("fossology/file-orphaned").is_empty());

    // Not unpacked yet (bit 1<<5 clear) and an ununpack job pending: FOSSology is still working on it.
    c.db.psql(&format!(
        "UPDATE upload SET upload_mode = 8 WHERE upload_pk = {id};
         INSERT INTO job (job_queued, job_name, job_upload_fk, job_user_fk) VALUES (now(), 'x', {id}, 2);
         INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args) VALUES (currval('job_job_pk_seq'), 'ununpack', '{id}');",
        id = itoa.id
    ))
    .unwrap();
    let r = run_both(&c, &[]);
    assert!(r.of("fossology/upload-tree-missing").is_empty(), "{:?}", r.findings());
}

#[test]
fn orphans_are_warnings_with_exit_0_by_default() {
    let c = case("orphans");
    let data = b"an object no row references";
    let o = repocheck_testkit::fossology::Object::of(data);
    let p = c.inst.path_of("files", &o.name());
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, data).unwrap();
    // A gold copy of a member: referenced as a file, but nobody's gold.
    let member = &c.inst.uploads[0].members[0];
    let g = c.inst.path_of("gold", member);
    std::fs::create_dir_all(g.parent().unwrap()).unwrap();
    std::fs::copy(c.inst.path_of("files", member), &g).unwrap();
    let r = run_both(&c, &[]);
    assert_eq!(r.code, 0, "{:?}", r.findings());
    let orphans = r.of("fossology/file-orphaned");
    assert_eq!(orphans.len(), 2, "{:?}", r.findings());
    assert!(orphans.iter().all(|f| f["severity"] == "warning"));
    let subjects: BTreeSet<&str> = orphans.iter().map(|f| f["subject"].as_str().unwrap()).collect();
    assert!(subjects.contains(c.inst.rel_path("files", &o.name()).as_str()));
    assert!(subjects.contains(c.inst.rel_path("gold", member).as_str()));
    let r = run(&c, Source::Server, &["--fail-on", "warning"]);
    assert_eq!(r.code, 1);
}

#[test]
fn size_and_content_mismatch_at_their_levels() {
    let c = case("damage");
    let itoa = &c.inst.uploads[0];
    let truncated = c.inst.path_of("files", &itoa.members[1]);
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() - 1]).unwrap();
    let flipped = c.inst.path_of("files", &itoa.members[2]);
    let mut bytes = std::fs::read(&flipped).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&flipped, &bytes).unwrap();

    let r = run_both(&c, &["--level", "exists"]);
    assert!(r.findings().is_empty(), "exists sees no damage: {:?}", r.findings());
    let r = run_both(&c, &["--level", "size"]);
    assert_eq!(r.rules(), BTreeSet::from(["fossology/size-mismatch".to_string()]), "{:?}", r.findings());
    let size = &r.of("fossology/size-mismatch")[0];
    assert_eq!(size["subject"], c.inst.rel_path("files", &itoa.members[1]));
    assert_eq!(size["details"]["found_size"].as_u64().unwrap() + 1, size["details"]["expected_size"].as_u64().unwrap());
    assert_eq!(size["repair"]["action"], "reunpack");
    let r = run_both(&c, &["--level", "content"]);
    assert_eq!(r.of("fossology/size-mismatch").len(), 1);
    let content = r.of("fossology/content-mismatch");
    assert_eq!(content.len(), 1, "{:?}", r.findings());
    assert_eq!(content[0]["subject"], c.inst.rel_path("files", &itoa.members[2]));
    assert_eq!(content[0]["repair"], serde_json::json!({"action": "reunpack", "upload": itoa.id}));
    assert!(r.report["targets"][0]["rules"].as_array().unwrap().iter().any(|x| x == "fossology/content-mismatch"));
    // SHA-1 alone by default: the damage is found, no MD5 was computed, and the scope says so.
    assert_eq!(content[0]["details"]["differ"], serde_json::json!(["sha1"]));
    assert!(content[0]["details"].get("found_md5").is_none(), "{}", content[0]);
    assert!(content[0]["message"].as_str().unwrap().contains("SHA-1 differs"), "{}", content[0]);
    assert_eq!(r.report["targets"][0]["scope"]["digests"], serde_json::json!(["sha1"]));
    // Every digest of the name, as a site asks for a complete check: both differ.
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("fossology.toml"), repocheck::fossology::RULES_TOML.replace("params = { digests = [\"sha1\"] }", "params = { digests = [\"sha1\", \"md5\"] }")).unwrap();
    let r = run(&c, Source::Server, &["--level", "content", "--rules", rules.path().to_str().unwrap()]);
    let content = r.of("fossology/content-mismatch");
    assert_eq!(content.len(), 1, "{:?}", r.findings());
    assert_eq!(content[0]["details"]["differ"], serde_json::json!(["sha1", "md5"]));
    assert_eq!(content[0]["details"]["found_md5"].as_str().unwrap().len(), 32);
    assert_eq!(r.report["targets"][0]["scope"]["digests"], serde_json::json!(["sha1", "md5"]));
    // Below level content nothing is hashed, and the scope names no digests.
    assert!(run(&c, Source::Server, &["--level", "size"]).report["targets"][0]["scope"].get("digests").is_none());
    // A damaged gold is not usable: a damaged member of that upload is restored from a backup.
    let gold = c.inst.path_of("gold", &itoa.gold);
    let mut g = std::fs::read(&gold).unwrap();
    g[100] ^= 1;
    std::fs::remove_file(&gold).unwrap();
    std::fs::write(&gold, &g).unwrap();
    let r = run_both(&c, &["--level", "content"]);
    let gold_damage: Vec<_> = r.of("fossology/content-mismatch").into_iter().filter(|f| f["details"]["type"] == "gold").collect();
    assert_eq!(gold_damage.len(), 1, "{:?}", r.findings());
    assert_eq!(gold_damage[0]["repair"]["action"], "restore-from-backup");
    assert!(!r.of("fossology/upload-unrecoverable").is_empty());
}

/// `pfile.pfile_sha256` (FOSSology 3.6 and later) is checked when the digests ask for
/// SHA-256: a row whose SHA-256 differs while the name's SHA-1 and MD5 match is caught by it
/// alone; a row that matches, or leaves it NULL, asks nothing more; a name two rows share
/// (differing only in SHA-256) is intact when either filled one matches.
#[test]
fn content_mismatch_caught_by_pfile_sha256_alone() {
    let c = case("sha256");
    let itoa = &c.inst.uploads[0];
    let (victim, other) = (&itoa.members[1], &itoa.members[2]);
    let pk = c.inst.pfile_named(victim).unwrap().pk;
    let other_pk = c.inst.pfile_named(other).unwrap().pk;
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("fossology.toml"), repocheck::fossology::RULES_TOML.replace("params = { digests = [\"sha1\"] }", "params = { digests = [\"sha1\", \"md5\", \"sha256\"] }"))
        .unwrap();
    let args = ["--level", "content", "--rules", rules.path().to_str().unwrap()];
    // The kit fills pfile_sha256 as ununpack does: every row matches.
    let r = run_both(&c, &args);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
    assert_eq!(r.report["targets"][0]["scope"]["digests"], serde_json::json!(["sha1", "md5", "sha256"]));
    // A NULL pfile_sha256 (a row the 3.6 migration found no file for) asks nothing.
    c.db.psql(&format!("UPDATE pfile SET pfile_sha256 = NULL WHERE pfile_pk = {other_pk}")).unwrap();
    // The victim's SHA-256 is another file's (upper case, as FOSSology writes it); its
    // name's SHA-1 and MD5 still match the bytes on disk.
    let wrong = "AB".repeat(32);
    c.db.psql(&format!("UPDATE pfile SET pfile_sha256 = '{wrong}' WHERE pfile_pk = {pk}")).unwrap();
    let r = run_both(&c, &args);
    let content = r.of("fossology/content-mismatch");
    assert_eq!(content.len(), 1, "{:?}", r.findings());
    assert_eq!(r.findings().len(), 1, "{:?}", r.findings());
    let f = content[0];
    assert_eq!(f["subject"], c.inst.rel_path("files", victim));
    assert_eq!(f["details"]["differ"], serde_json::json!(["sha256"]));
    assert_eq!(f["details"]["pfile_sha256"], serde_json::json!({ pk.to_string(): "ab".repeat(32) }));
    assert_eq!(f["repair"]["action"], "reunpack");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains(&format!("pfile_sha256 of pfile {pk}")) && !message.contains("SHA-1"), "{message}");
    let bytes = std::fs::read(c.inst.path_of("files", victim)).unwrap();
    assert_eq!(f["details"]["found_sha256"], hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)));
    // Without sha256 in the digests (the default), the same database is intact.
    let r = run_both(&c, &["--level", "content"]);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
    // A second row of the same name whose SHA-256 is the right one: the object is what one
    // of its rows says, so it is intact (the unique key is md5, sha1, sha256, size).
    let right = c.inst.pfile(pk).sha256.clone();
    let p = c.inst.pfile(pk);
    c.db.psql(&format!("INSERT INTO pfile (pfile_pk, pfile_md5, pfile_sha1, pfile_sha256, pfile_size) VALUES (900001, '{}', '{}', '{right}', {})", p.md5, p.sha1, p.size)).unwrap();
    let table = &itoa.uploadtree_table;
    c.db.psql(&format!(
        "CREATE TEMP TABLE extra AS SELECT * FROM {table} WHERE pfile_fk = {pk} LIMIT 1; UPDATE extra SET uploadtree_pk = 900001, pfile_fk = 900001; INSERT INTO {table} SELECT * FROM extra"
    ))
    .unwrap();
    let r = run_both(&c, &args);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
}

#[test]
fn misplaced_objects_are_moves_not_missing_or_orphans() {
    let c = case("misplaced");
    let itoa = &c.inst.uploads[0];
    let name = &itoa.members[3];
    let right = c.inst.path_of("files", name);
    // Depth 2 instead of 3.
    let wrong = c.inst.repo.join(format!("localhost/files/{}/{}/{}", &name[0..2], &name[2..4], name));
    std::fs::rename(&right, &wrong).unwrap();
    // Upper case, in its right directory.
    let name2 = &itoa.members[4];
    let right2 = c.inst.path_of("files", name2);
    std::fs::rename(&right2, right2.with_file_name(name2.to_uppercase())).unwrap();
    let r = run_both(&c, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["fossology/misplaced-file".to_string()]), "{:?}", r.findings());
    let moved = r.of("fossology/misplaced-file");
    assert_eq!(moved.len(), 2);
    let depth = moved.iter().find(|f| f["details"]["name"] == name.as_str()).unwrap();
    assert_eq!(depth["repair"], serde_json::json!({"action": "move", "from": c.inst.rel_path("files", name).replacen(&format!("/{}/", &name[4..6]), "/", 1), "to": c.inst.rel_path("files", name)}));
    assert_eq!(depth["details"]["why"], "at the wrong depth");
    let upper = moved.iter().find(|f| f["details"]["name"] == name2.as_str()).unwrap();
    assert_eq!(upper["details"]["why"], "with an upper-case name");
    assert_eq!(upper["repair"]["to"], c.inst.rel_path("files", name2));

    // A second copy where it belongs: the misplaced one is a duplicate, nothing is missing.
    std::fs::copy(&wrong, &right).unwrap();
    let r = run_both(&c, &[]);
    let dup = r.of("fossology/misplaced-file").into_iter().find(|f| f["details"]["name"] == name.as_str()).cloned().unwrap();
    assert!(dup.get("repair").is_none());
    assert_eq!(dup["details"]["duplicate_of"], c.inst.rel_path("files", name));
}

#[test]
fn unexpected_entries_are_reported_and_symlinks_not_followed() {
    let c = case("unexpected");
    let files = c.inst.repo.join("localhost/files");
    std::fs::write(files.join("README"), "not an object").unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target_obj = repocheck_testkit::fossology::Object::of(b"outside");
    std::fs::write(outside.path().join(target_obj.name()), b"outside").unwrap();
    // A symlink named like an object: never followed, so it is neither present nor orphaned.
    let link = c.inst.path_of("files", &target_obj.name());
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(outside.path().join(target_obj.name()), &link).unwrap();
    std::fs::create_dir_all(files.join("lost+found")).unwrap();
    let fifo = files.join("00/fifo");
    std::fs::create_dir_all(files.join("00")).unwrap();
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let member = &c.inst.uploads[0].members[0];
    let partial = c.inst.path_of("files", member).with_file_name(format!("{member}.I"));
    std::fs::write(&partial, b"half").unwrap();
    let r = run_both(&c, &["--level", "content"]);
    let unexpected = r.of("fossology/unexpected-entry");
    let kinds: BTreeSet<&str> = unexpected.iter().map(|f| f["details"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, BTreeSet::from(["bad name", "symlink", "bad directory", "fifo", "interrupted import"]), "{:?}", r.findings());
    assert!(r.of("fossology/file-orphaned").is_empty(), "{:?}", r.findings());
    assert_eq!(r.code, 0, "warnings only");
}

#[test]
fn a_symlinked_type_directory_is_reported_not_followed() {
    let c = case("symlinked_tree");
    let files = c.inst.repo.join("localhost/files");
    let elsewhere = c.inst.dir.join("bigdisk-files");
    std::fs::rename(&files, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &files).unwrap();
    let r = run_both(&c, &[]);
    let u = r.of("fossology/unexpected-entry");
    assert_eq!(u.len(), 1, "{:?}", r.findings());
    assert_eq!(u[0]["subject"], "localhost/files");
    assert!(r.of("fossology/file-missing").is_empty(), "nothing below an unwalked tree is called missing");
}

#[test]
fn dangling_references_name_the_missing_pfile() {
    let c = case("dangling");
    let itoa = &c.inst.uploads[0];
    c.db.psql(&format!("UPDATE uploadtree_a SET pfile_fk = 99999 WHERE uploadtree_pk = (SELECT max(uploadtree_pk) FROM uploadtree_a WHERE upload_fk = {})", itoa.id)).unwrap();
    let r = run_both(&c, &[]);
    let dangling = r.of("fossology/dangling-pfile-ref");
    assert_eq!(dangling.len(), 1, "{:?}", r.findings());
    assert_eq!(dangling[0]["subject"], "pfile 99999");
    assert_eq!(dangling[0]["details"]["uploads"], serde_json::json!([itoa.id]));
}

#[test]
fn running_jobs_mean_the_scheduler_is_not_quiesced() {
    let c = case("jobs");
    let r = run_both(&c, &[]);
    assert!(r.of("fossology/jobs-active").is_empty());
    c.db.psql("INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args, jq_starttime) VALUES (1, 'nomos', '1', now())").unwrap();
    let r = run_both(&c, &[]);
    let active = r.of("fossology/jobs-active");
    assert_eq!(active.len(), 1, "{:?}", r.findings());
    assert_eq!(active[0]["details"]["jq_type"], "nomos");
    assert_eq!(active[0]["details"]["upload"], 1);
    assert_eq!(r.code, 1);
}

/// ununpack leaves the upload's gold and its top-level files object as separate files
/// (`fo_RepImport` copies over the link wget_agent made); one inode, as wget_agent leaves
/// them before ununpack runs, is no finding either.
#[test]
fn gold_and_files_copies_are_separate_files_and_a_hard_link_is_no_finding_either() {
    use std::os::unix::fs::MetadataExt;
    let c = case("links");
    let itoa = &c.inst.uploads[0];
    let (gold, files) = (c.inst.path_of("gold", &itoa.gold), c.inst.path_of("files", &itoa.gold));
    assert_ne!(std::fs::metadata(&gold).unwrap().ino(), std::fs::metadata(&files).unwrap().ino());
    let r = run_both(&c, &["--level", "size"]);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
    std::fs::remove_file(&files).unwrap();
    std::fs::hard_link(&gold, &files).unwrap();
    let r = run_both(&c, &["--level", "size"]);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
    assert_eq!(r.code, 0);
}

#[test]
fn scratch_leftovers_are_info_with_their_size() {
    let c = case("scratch");
    let r = run_both(&c, &[]);
    assert!(r.of("fossology/scratch-leftover").is_empty());
    let dir = c.inst.repo.join("d6791c535dd6/ununpack/1732280000l");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("part"), vec![7u8; 1000]).unwrap();
    let r = run_both(&c, &[]);
    let s = r.of("fossology/scratch-leftover");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["subject"], "d6791c535dd6/ununpack");
    assert_eq!(s[0]["details"]["bytes"], 1000);
}

#[test]
fn missing_config_files_are_findings() {
    let c = case("config");
    let r = run(&c, Source::Server, &[]);
    assert!(r.of("fossology/config-missing").is_empty());
    std::fs::remove_file(c.inst.dir.join("etc/Db.conf")).unwrap();
    let r = run(&c, Source::Server, &[]);
    let m = r.of("fossology/config-missing");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["details"]["file"], "Db.conf");
    // fossology.conf itself missing: reported, and the check goes on with FOSSology's defaults.
    std::fs::remove_file(c.inst.conf()).unwrap();
    let r = run(&c, Source::Server, &[]);
    assert_eq!(r.of("fossology/config-missing").len(), 2, "{}", r.stderr);
}

#[test]
fn multi_host_ranges_and_wrong_host_objects() {
    let hosts = vec![
        HostEntry { host: "alpha".into(), object_type: "*".into(), start: "00".into(), end: "7f".into() },
        HostEntry { host: "beta".into(), object_type: "*".into(), start: "80".into(), end: "ff".into() },
    ];
    let mut f = FossologyFixture::new().layout(3, hosts);
    add_standard_uploads(&mut f);
    let c = case_from(f, "hosts");
    let r = run_both(&c, &[]);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
    assert!(c.inst.repo.join("alpha/files").is_dir() && c.inst.repo.join("beta/files").is_dir());
    // Move one object to the other host.
    let name = c.inst.uploads[0].members.iter().find(|n| n.as_str() >= "80").unwrap().clone();
    let right = c.inst.path_of("files", &name);
    let wrong = c.inst.repo.join(c.inst.rel_path("files", &name).replacen("beta/", "alpha/", 1));
    std::fs::create_dir_all(wrong.parent().unwrap()).unwrap();
    std::fs::rename(&right, &wrong).unwrap();
    let r = run_both(&c, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["fossology/misplaced-file".to_string()]), "{:?}", r.findings());
    let m = &r.of("fossology/misplaced-file")[0];
    assert_eq!(m["details"]["why"], "on the wrong host");
    assert_eq!(m["repair"]["to"], c.inst.rel_path("files", &name));
}

#[test]
fn depth_comes_from_the_config_and_defaults_to_two() {
    let mut f = FossologyFixture::new().without_depth_key();
    add_standard_uploads(&mut f);
    let c = case_from(f, "depth2");
    let r = run_both(&c, &[]);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
    assert_eq!(r.report["targets"][0]["scope"]["layout"]["depth"], 2);
    // Told depth 3, a whole depth-2 repository is one finding per tree, with its fix,
    // instead of a move per object, none missing (the shipped floor: 3 objects, most of a tree).
    std::fs::write(c.inst.conf(), std::fs::read_to_string(c.inst.conf()).unwrap().replace("[FOSSOLOGY]\n", "[FOSSOLOGY]\ndepth = 3\n")).unwrap();
    let r = run(&c, Source::Server, &[]);
    assert!(r.of("fossology/misplaced-file").is_empty() && r.of("fossology/file-missing").is_empty(), "{:?}", r.of("fossology/misplaced-file"));
    let mismatch = r.of("fossology/layout-mismatch");
    assert_eq!(mismatch.len(), 2, "gold and files: {mismatch:?}");
    let files = mismatch.iter().find(|f| f["details"]["type"] == "files").unwrap();
    assert_eq!(files["details"]["found_depth"], 2);
    assert_eq!(files["details"]["configured_depth"], 3);
    assert!(files["message"].as_str().unwrap().contains("set depth = 2"), "{files}");

    // With the floor raised above the fixture's size, every object is its own move.
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("fossology.toml"), repocheck::fossology::RULES_TOML.replace("min_objects = 3", "min_objects = 1000")).unwrap();
    let r = run(&c, Source::Server, &["--rules", rules.path().to_str().unwrap()]);
    assert!(r.of("fossology/file-missing").is_empty(), "{:?}", r.rules());
    assert!(r.of("fossology/layout-mismatch").is_empty(), "fewer objects than min_objects");
    assert!(r.of("fossology/misplaced-file").len() > 10, "{:?}", r.rules());
}

#[test]
fn without_conf_the_layout_is_inferred() {
    let c = case("infer");
    let out = Command::cargo_bin("repocheck").unwrap().args(["check", "fossology", "--format", "json", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["targets"][0]["scope"]["layout"]["depth"], 3);
    assert!(report["targets"][0]["scope"]["layout"]["from"].as_str().unwrap().starts_with("inferred"));
}

#[test]
fn bad_inputs_are_one_line_exit_2() {
    let c = case("bad_input");
    let dump = c.inst.dir.join("d.sql.gz");
    c.db.pg_dump_gzip(&dump).unwrap();
    let bytes = std::fs::read(&dump).unwrap();
    let cases: Vec<(Vec<String>, &str)> = {
        let truncated = c.inst.dir.join("truncated.sql.gz");
        std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let corrupt = c.inst.dir.join("corrupt.sql.gz");
        let mut b = bytes.clone();
        for x in &mut b[100..200] {
            *x = !*x;
        }
        std::fs::write(&corrupt, &b).unwrap();
        let bad_conf = c.inst.dir.join("bad.conf");
        std::fs::write(&bad_conf, "[REPOSITORY]\nlocalhost[] = * ff 00\n").unwrap();
        let all = c.inst.dir.join("all.sql.gz");
        c.db.pg_dumpall_gzip(&all).unwrap();
        let not_fossology = c.inst.dir.join("other.sql");
        std::fs::write(&not_fossology, "--\n-- PostgreSQL database dump\n--\n\n-- PostgreSQL database dump complete\n").unwrap();
        vec![
            (vec!["--db".into(), truncated.display().to_string(), "--repo".into(), c.inst.repo.display().to_string()], "gzip"),
            (vec!["--db".into(), corrupt.display().to_string(), "--repo".into(), c.inst.repo.display().to_string()], "corrupt.sql.gz"),
            (vec!["--db".into(), dump.display().to_string(), "--repo".into(), c.inst.dir.join("nope").display().to_string()], "nope"),
            (vec!["--db".into(), dump.display().to_string(), "--repo".into(), c.inst.repo.display().to_string(), "--conf".into(), bad_conf.display().to_string()], "start must be below end"),
            (vec!["--db".into(), not_fossology.display().to_string(), "--repo".into(), c.inst.repo.display().to_string()], "no data for table"),
            (vec!["--db".into(), all.display().to_string(), "--db-name".into(), "nosuchdb".into(), "--repo".into(), c.inst.repo.display().to_string()], "has no database 'nosuchdb'"),
        ]
    };
    for (args, needle) in cases {
        let out = Command::cargo_bin("repocheck").unwrap().args(["check", "fossology"]).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: expected '{needle}' in {err}");
        assert!(out.stdout.is_empty(), "no partial report: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn an_unreadable_directory_is_a_finding_not_missing_files() {
    // root reads everything, so the check runs as an unprivileged user.
    let c = case("unreadable");
    let dump = c.inst.dir.join("d.sql.gz");
    c.db.pg_dump_gzip(&dump).unwrap();
    let name = &c.inst.uploads[0].members[0];
    let dir = c.inst.path_of("files", name).parent().unwrap().to_path_buf();
    use std::os::unix::fs::PermissionsExt;
    for p in [c.inst.dir.as_path(), c.inst.repo.as_path()] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let _ = std::process::Command::new("chmod").args(["-R", "a+rX"]).arg(&c.inst.dir).status();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("repocheck"));
    cmd.args(["check", "fossology", "--format", "json", "--db"]).arg(&dump).arg("--repo").arg(&c.inst.repo);
    // SAFETY: geteuid has no preconditions.
    if rustix::process::geteuid().is_root() {
        use std::os::unix::process::CommandExt;
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let findings = report["findings"].as_array().unwrap();
    let unreadable: Vec<_> = findings.iter().filter(|f| f["rule"] == "fossology/entry-unreadable").collect();
    assert_eq!(unreadable.len(), 1, "{findings:?}");
    assert!(findings.iter().all(|f| f["rule"] != "fossology/file-missing"), "{findings:?}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_pg_dumpall_of_the_server_is_read_by_database_name() {
    let c = case("dumpall");
    let itoa = &c.inst.uploads[0];
    remove(&c.inst.path_of("files", &itoa.members[0]));
    let dump = c.inst.dir.join("all.sql.gz");
    c.db.pg_dumpall_gzip(&dump).unwrap();
    let out =
        Command::cargo_bin("repocheck").unwrap().args(["check", "fossology", "--format", "json", "--db"]).arg(&dump).args(["--db-name", &c.db.name, "--repo"]).arg(&c.inst.repo).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn every_format_and_output_file() {
    let c = case("formats");
    remove(&c.inst.path_of("files", &c.inst.uploads[0].members[0]));
    let out_dir = tempfile::tempdir().unwrap();
    let files = ["r.json", "r.jsonl", "r.csv", "r.xml", "r.prom", "r.txt"];
    let mut cmd = Command::cargo_bin("repocheck").unwrap();
    cmd.args(["check", "fossology", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo);
    for f in files {
        cmd.arg("--output").arg(out_dir.path().join(f));
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "with --output and no --format, stdout stays empty");
    let read = |f: &str| std::fs::read_to_string(out_dir.path().join(f)).unwrap();
    let json: Value = serde_json::from_str(&read("r.json")).unwrap();
    assert_eq!(json["plan"][0]["unit"], "upload", "the plan opens the report: {}", json["plan"]);
    assert!(json["plan"][0]["action"].as_str().unwrap().starts_with("re-unpack upload "), "{}", json["plan"]);
    assert_eq!(json["schema"], "repocheck-report/2");
    assert_eq!(json["summary"]["error"], 1);
    assert_eq!(read("r.jsonl").lines().count(), 1);
    let csv = read("r.csv");
    assert!(csv.starts_with("rule,severity,subject,message\n"));
    assert!(csv.contains("fossology/file-missing,error,"));
    let xml = read("r.xml");
    assert!(xml.contains("<testcase classname=\"repocheck.fossology\" name=\"fossology/file-missing\">"));
    assert!(xml.contains("<failure type=\"error\""));
    assert!(xml.contains("name=\"fossology/file-orphaned\"/>"));
    let prom = read("r.prom");
    assert!(prom.contains("repocheck_findings{product=\"fossology\",rule=\"fossology/file-missing\",severity=\"error\"} 1"));
    assert!(prom.contains("repocheck_success 0"));
    assert!(read("r.txt").contains("fossology/file-missing (1)"));
    // JUnit follows --fail-on: with never, nothing fails.
    let out = Command::cargo_bin("repocheck").unwrap().args(["check", "fossology", "--format", "junit", "--fail-on", "never", "--db", &c.db.url(), "--repo"]).arg(&c.inst.repo).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("<failure"));
}

#[test]
fn the_check_never_writes_to_the_repository_or_database() {
    let c = case("readonly");
    remove(&c.inst.path_of("files", &c.inst.uploads[0].members[0]));
    let before = tree_listing(&c.inst.repo);
    let rows_before = c.db.psql("SELECT count(*) FROM jobqueue").unwrap();
    let r = run_both(&c, &["--level", "content"]);
    assert_eq!(r.code, 1);
    assert_eq!(tree_listing(&c.inst.repo), before);
    assert_eq!(c.db.psql("SELECT count(*) FROM jobqueue").unwrap(), rows_before);
}

fn tree_listing(dir: &Path) -> Vec<(PathBuf, u64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.path().symlink_metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            }
            out.push((e.path(), m.len(), m.mtime()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_live_database_over_tls() {
    // A server of its own: TLS needs TCP, and this one listens on loopback.
    let server = repocheck_testkit::postgres::TestServer::start_with_tls().unwrap();
    let port = server.tls_port.unwrap();
    let mut f = FossologyFixture::new();
    add_standard_uploads(&mut f);
    let tmp = tempfile::tempdir().unwrap();
    let inst = f.write(tmp.path()).unwrap();
    let db = server.create_database("tls").unwrap();
    db.psql_file(&inst.sql()).unwrap();
    std::fs::remove_file(inst.path_of("files", &inst.uploads[0].members[0])).unwrap();
    for mode in ["require", "prefer"] {
        let out = Command::cargo_bin("repocheck").unwrap().args(["check", "fossology", "--format", "json", "--db", &db.tls_url(port, mode), "--repo"]).arg(&inst.repo).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["summary"]["error"], 1);
    }
}

/// A healthy installation as FOSSology's own agents leave it: gold and files copies as
/// separate files, job logs in `<repository>/logs` named by `jq_log`, the empty scratch
/// directories, directory rows with `pfile_fk = 0`, `uploadtree_a` and an upload's own
/// `uploadtree_<n>`, `upload_mode` 104 / 100, one job per upload with its ununpack and
/// adj2nest rows, FOSSology's modes and the project user and group (here nobody:nogroup,
/// which every machine has, so the permissions rule really judges them). No finding at all,
/// not even an info, at any level, from the server and from its pg_dump.
#[test]
fn a_healthy_installation_as_fossology_leaves_it_gives_no_finding_at_all() {
    let mut f = FossologyFixture::new().project("nobody", "nogroup");
    add_standard_uploads(&mut f);
    let c = case_from(f, "healthy");
    let repo = &c.inst.repo;
    // The shape, as built.
    assert!(repo.join("logs/00/00/01/000001").is_file());
    let host = repo.join(repocheck_testkit::fossology::HOSTNAME);
    for scratch in ["ununpack", "wget"] {
        assert_eq!(std::fs::read_dir(host.join(scratch)).unwrap().count(), 0, "{scratch}: empty");
    }
    assert_eq!(c.db.psql("SELECT string_agg(upload_mode::text, ' ' ORDER BY upload_pk) FROM upload").unwrap(), "104 100 104");
    assert_eq!(c.db.psql("SELECT string_agg(DISTINCT uploadtree_tablename, ' ') FROM upload").unwrap(), "uploadtree_3 uploadtree_a");
    assert_ne!(c.db.psql("SELECT count(*) FROM uploadtree WHERE pfile_fk = 0").unwrap(), "0");
    for level in ["exists", "size", "content"] {
        let r = run_both(&c, &["--level", level]);
        assert_eq!(r.code, 0, "{level}: {}", r.stderr);
        assert!(r.findings().is_empty(), "{level}: {:?}", r.findings());
        let scope = &r.report["targets"][0]["scope"]["permissions"];
        assert_eq!((scope["uid"].as_u64(), scope["gid"].as_u64(), scope["directories"].as_str()), (Some(65534), Some(65534), Some("checked")), "{scope}");
    }
    // A neighbour that is not FOSSology's (a file system's lost+found, root's, 0700) is not
    // judged.
    let lost_found = repo.join("lost+found");
    std::fs::create_dir(&lost_found).unwrap();
    std::fs::set_permissions(&lost_found, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    // Logs under a host, where fo_RepMkPath puts them for an agent that loaded the
    // [REPOSITORY] ranges (`localhost[] = * 00 ff` covers `logs`): not damage either.
    let hosted = repo.join("localhost/logs/00/00/01");
    std::fs::create_dir_all(&hosted).unwrap();
    std::fs::copy(repo.join("logs/00/00/01/000001"), hosted.join("000001")).unwrap();
    let cmd = format!("chown -R nobody:nogroup {0}/localhost/logs && find {0}/localhost/logs -type d -exec chmod 2770 {{}} + && chmod 2660 {0}/localhost/logs/00/00/01/000001", repo.display());
    assert!(std::process::Command::new("sh").arg("-c").arg(&cmd).status().unwrap().success());
    let r = run_both(&c, &["--level", "size"]);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
}

/// A fixture owned by nobody:nogroup, restored as root would restore it.
fn restored_as_root(name: &str) -> Case {
    let mut f = FossologyFixture::new().project("nobody", "nogroup");
    add_standard_uploads(&mut f);
    let c = case_from(f, name);
    let repo = c.inst.repo.display().to_string();
    for cmd in [format!("chown -R root:root {repo}"), format!("find {repo} -type d -exec chmod 0755 {{}} +"), format!("find {repo} -type f -exec chmod 0644 {{}} +")] {
        assert!(std::process::Command::new("sh").arg("-c").arg(&cmd).status().unwrap().success(), "{cmd}");
    }
    c
}

/// A repository restored as root (`cp -r`, `tar` without `--same-owner`): one finding per
/// tree with the counts and fo-postinstall's repair, not one per entry.
#[test]
fn a_repository_restored_as_root_is_one_permissions_finding_per_tree() {
    let c = restored_as_root("perm_root");
    let r = run_both(&c, &["--level", "size"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), BTreeSet::from(["fossology/permissions".to_string()]), "{:?}", r.findings());
    let p = r.of("fossology/permissions");
    let subjects: BTreeSet<&str> = p.iter().map(|f| f["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, BTreeSet::from(["localhost/files", "localhost/gold", "repository root and top-level directories"]), "{p:?}");
    let files = p.iter().find(|f| f["subject"] == "localhost/files").unwrap();
    assert_eq!(files["details"]["wrong_objects"], files["details"]["objects"]);
    assert!(files["details"]["objects"].as_u64().unwrap() > 40, "{files}");
    assert_eq!(files["details"]["fix"][0], format!("chown -R nobody:nogroup {}", c.inst.repo.display()));
    assert!(files["message"].as_str().unwrap().contains("chmod 2770"), "{files}");
    // At --level exists no files object is stat'ed: the files tree's directories are judged.
    let r = run(&c, Source::Server, &["--level", "exists"]);
    let files = r.of("fossology/permissions").into_iter().find(|f| f["subject"] == "localhost/files").cloned().unwrap();
    assert_eq!(files["details"]["objects"], 0);
    assert!(files["details"]["directories"].as_u64().unwrap() > 10);
    assert!(r.report["targets"][0]["scope"]["permissions"]["objects"].as_str().unwrap().starts_with("gold only"));
    // Project user and group unknown on this machine: nothing is judged, and the scope says so.
    let conf = std::fs::read_to_string(c.inst.conf()).unwrap().replace("PROJECTUSER=nobody", "PROJECTUSER=nosuchuser").replace("PROJECTGROUP=nogroup", "PROJECTGROUP=nosuchgroup");
    std::fs::write(c.inst.conf(), conf).unwrap();
    let r = run(&c, Source::Server, &["--level", "size"]);
    assert!(r.findings().is_empty(), "{:?}", r.findings());
    assert!(r.report["targets"][0]["scope"]["permissions"]["skipped"].as_str().unwrap().contains("nosuchuser"));
}

/// One object another user owns with mode 0600, in an otherwise right tree: one finding
/// for that entry, with its own repair.
#[test]
fn one_unreadable_object_is_a_permissions_finding_of_its_own() {
    use std::os::unix::fs::PermissionsExt;
    let mut f = FossologyFixture::new().project("nobody", "nogroup");
    add_standard_uploads(&mut f);
    let c = case_from(f, "perm_one");
    let name = &c.inst.uploads[0].members[0];
    let path = c.inst.path_of("files", name);
    std::os::unix::fs::chown(&path, Some(4321), Some(65534)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = run_both(&c, &["--level", "size"]);
    let p = r.of("fossology/permissions");
    assert_eq!(p.len(), 1, "{:?}", r.findings());
    assert_eq!(p[0]["subject"], c.inst.rel_path("files", name));
    assert_eq!(p[0]["details"]["why"], serde_json::json!(["the project user cannot read it"]));
    assert_eq!(p[0]["details"]["uid"], 4321);
    assert!(p[0]["message"].as_str().unwrap().contains("chmod 2660"), "{}", p[0]["message"]);
    assert_eq!(r.code, 1);
}
