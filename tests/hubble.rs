//! `repocheck check hubble` on accelerator backups made as the vendor's document describes
//! them (a gzipped tar of AttunityBackup/ and DatabaseBackup/), restore logs of the terminal
//! monitor, and backup directories: every rule firing and staying silent.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use repocheck_testkit::backups::{TABLES, copy_in, hubble, hubble_members, ingres_error, replication_definition, restore_log};
use serde_json::Value;

fn run(args: &[&str]) -> (i32, Value, String) {
    let out = Command::cargo_bin("repocheck").unwrap().args(args).args(["--format", "json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), stderr)
}

fn of<'a>(r: &'a Value, rule: &str) -> Vec<&'a Value> {
    r["findings"].as_array().map(|a| a.iter().filter(|f| f["rule"] == rule).collect()).unwrap_or_default()
}

fn rules(r: &Value) -> BTreeSet<String> {
    r["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn hb(archive: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["check", "hubble", "--archive", s(archive)];
    args.extend_from_slice(extra);
    run(&args)
}

/// A rules directory whose hubble.toml has `from` replaced by `to`.
fn rules_with(from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(repocheck::hubble::RULES_TOML.contains(from), "{from}");
    std::fs::write(dir.path().join("hubble.toml"), repocheck::hubble::RULES_TOML.replace(from, to)).unwrap();
    dir
}

fn member(members: &[(String, Vec<u8>, u64)], path: &str) -> usize {
    members.iter().position(|(p, _, _)| p == path).unwrap()
}

#[test]
fn a_healthy_hubble_backup_only_notes_nocontinue() {
    let tmp = tempfile::tempdir().unwrap();
    let b = hubble(tmp.path(), &hubble_members());
    let (code, r, err) = hb(&b.archive, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rules(&r), BTreeSet::from(["hubble/nocontinue".to_string()]), "{}", r["findings"]);
    let note = &of(&r, "hubble/nocontinue")[0];
    assert_eq!(note["severity"], "info");
    assert!(note["message"].as_str().unwrap().contains("\\continue"));
    // The unpacked directory gives the same answer.
    let unpacked = tmp.path().join("unpacked");
    for (path, bytes, _) in &b.members {
        let p = unpacked.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let (_, r2, _) = hb(&unpacked, &[]);
    assert_eq!(rules(&r2), rules(&r));
    // So does an archive that wraps the two folders in one of its own.
    let mut wrapped = hubble_members();
    for m in &mut wrapped {
        m.0 = format!("hubble_schema_backup_2026_11_01_02_00_00/{}", m.0);
    }
    let other = tempfile::tempdir().unwrap();
    let (_, r3, _) = hb(&hubble(other.path(), &wrapped).archive, &[]);
    assert_eq!(rules(&r3), rules(&r), "{}", r3["findings"]);
    // With \continue, nothing at all.
    let mut m = hubble_members();
    let i = member(&m, "DatabaseBackup/copy.in");
    m[i].1 = copy_in(TABLES, false).into_bytes();
    let b = hubble(tmp.path(), &m);
    let (_, r, _) = hb(&b.archive, &[]);
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
}

#[test]
fn the_committed_example_shows_nocontinue_and_a_synonym_warning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/hubble");
    let (code, r, err) = hb(&root.join("hubble_schema_backup_2026_11_01_02_00_00.tar.gz"), &["--restore-log", s(&root.join("output.txt"))]);
    assert_eq!(code, 0, "{err}");
    let found: Vec<(&str, &str)> = r["findings"].as_array().unwrap().iter().map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap())).collect();
    assert_eq!(found, vec![("hubble/nocontinue", "info"), ("hubble/restore-errors", "warning")]);
}

#[test]
fn a_plain_tar_is_read_too() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("hubble_schema_backup.tar");
    let mut tar = tar::Builder::new(std::fs::File::create(&path).unwrap());
    for (name, bytes, _) in hubble_members() {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes.as_slice()).unwrap();
    }
    tar.into_inner().unwrap();
    let (code, r, _) = hb(&path, &[]);
    assert_eq!(code, 0);
    assert_eq!(rules(&r), BTreeSet::from(["hubble/nocontinue".to_string()]), "{}", r["findings"]);
}

#[test]
fn missing_and_unreferenced_data_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = hubble_members();
    m.retain(|(p, _, _)| p != "DatabaseBackup/activity_log.hubble" && p != "DatabaseBackup/copy.out");
    m.push(("DatabaseBackup/stray.hubble".into(), b"x".to_vec(), 0));
    let b = hubble(tmp.path(), &m);
    let (code, r, _) = hb(&b.archive, &[]);
    assert_eq!(code, 1);
    let missing = of(&r, "hubble/data-file-missing");
    assert_eq!(missing.len(), 1, "{}", r["findings"]);
    assert_eq!(missing[0]["details"]["table"], "activity_log");
    assert_eq!(missing[0]["subject"], "DatabaseBackup/activity_log.hubble");
    assert_eq!(of(&r, "hubble/data-file-unreferenced")[0]["details"]["file"], "stray.hubble");
    assert_eq!(of(&r, "hubble/copy-script-missing")[0]["details"]["script"], "copy.out");
}

/// The vendor's restore is `cd <backup>/DatabaseBackup; sql <database> -uhubble < copy.in >
/// output.txt`: the terminal monitor's output then lies next to the data files. It, and any
/// file given to the check as its restore log, is not a data file.
#[test]
fn the_restore_log_in_database_backup_is_not_a_data_file() {
    let tmp = tempfile::tempdir().unwrap();
    let unpacked = tmp.path().join("hubble_schema_backup_2026_11_01_02_00_00");
    for (path, bytes, _) in hubble_members() {
        let p = unpacked.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let db = unpacked.join("DatabaseBackup");
    std::fs::write(db.join("output.txt"), restore_log(&[])).unwrap();
    let (code, r, err) = hb(&unpacked, &["--restore-log", s(&db.join("output.txt"))]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rules(&r), BTreeSet::from(["hubble/nocontinue".to_string()]), "{}", r["findings"]);
    // Without --restore-log too: output.txt is the restore's own output.
    let (_, r, _) = hb(&unpacked, &[]);
    assert!(of(&r, "hubble/data-file-unreferenced").is_empty(), "{}", r["findings"]);
    // A restore log under another name, given as the input.
    std::fs::rename(db.join("output.txt"), db.join("restore-2026-11-02.log")).unwrap();
    let (_, r, _) = hb(&unpacked, &["--restore-log", s(&db.join("restore-2026-11-02.log"))]);
    assert!(of(&r, "hubble/data-file-unreferenced").is_empty(), "{}", r["findings"]);
    // Not given as the input, it is a file no copy statement names.
    let (_, r, _) = hb(&unpacked, &[]);
    let u = of(&r, "hubble/data-file-unreferenced");
    assert_eq!(u.len(), 1, "{}", r["findings"]);
    assert_eq!(u[0]["severity"], "warning");
    assert_eq!(u[0]["subject"], "DatabaseBackup/restore-2026-11-02.log");
    assert!(u[0]["message"].as_str().unwrap().contains("will not be restored"));
    // An archive taken after a restore holds output.txt as well.
    let mut m = hubble_members();
    m.push(("DatabaseBackup/output.txt".into(), restore_log(&[]).into_bytes(), 0));
    let other = tempfile::tempdir().unwrap();
    let (_, r, _) = hb(&hubble(other.path(), &m).archive, &[]);
    assert!(of(&r, "hubble/data-file-unreferenced").is_empty(), "{}", r["findings"]);
}

/// `COPY [TABLE] table_name () FROM …`: the keyword is optional, and it is not the table.
#[test]
fn copy_with_the_table_keyword_names_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = hubble_members();
    let i = member(&m, "DatabaseBackup/copy.in");
    m[i].1 = copy_in(TABLES, true).replace("\ncopy ", "\ncopy table ").into_bytes();
    assert!(String::from_utf8_lossy(&m[i].1).contains("copy table activity_log () from"));
    let (code, r, _) = hb(&hubble(tmp.path(), &m).archive, &[]);
    assert_eq!(code, 0);
    assert_eq!(rules(&r), BTreeSet::from(["hubble/nocontinue".to_string()]), "{}", r["findings"]);
    m.retain(|(p, _, _)| p != "DatabaseBackup/activity_log.hubble");
    let (_, r, _) = hb(&hubble(tmp.path(), &m).archive, &[]);
    let missing = of(&r, "hubble/data-file-missing");
    assert_eq!(missing.len(), 1, "{}", r["findings"]);
    assert_eq!(missing[0]["severity"], "error");
    assert_eq!(missing[0]["details"]["table"], "activity_log");
    assert!(missing[0]["message"].as_str().unwrap().contains("loads table activity_log from"), "{}", missing[0]);
}

#[test]
fn copy_out_stands_in_for_a_missing_copy_in() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = hubble_members();
    m.retain(|(p, _, _)| p != "DatabaseBackup/copy.in" && p != "DatabaseBackup/gl_budget.hubble");
    let (code, r, _) = hb(&hubble(tmp.path(), &m).archive, &[]);
    assert_eq!(code, 1);
    assert_eq!(of(&r, "hubble/copy-script-missing")[0]["details"]["script"], "copy.in");
    let missing = of(&r, "hubble/data-file-missing");
    assert_eq!(missing.len(), 1, "{}", r["findings"]);
    assert_eq!(missing[0]["details"]["script"], "copy.out");
    assert!(of(&r, "hubble/nocontinue").is_empty() && of(&r, "hubble/data-file-unreferenced").is_empty(), "{}", r["findings"]);
}

#[test]
fn a_table_unloaded_but_not_loaded_is_unreferenced() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = hubble_members();
    let i = member(&m, "DatabaseBackup/copy.in");
    m[i].1 = copy_in(&TABLES[1..], true).into_bytes();
    let (_, r, _) = hb(&hubble(tmp.path(), &m).archive, &[]);
    let u = of(&r, "hubble/data-file-unreferenced");
    assert_eq!(u.len(), 1, "{}", r["findings"]);
    assert_eq!(u[0]["details"]["file"], format!("{}.hubble", TABLES[0]));
    assert_eq!(u[0]["details"]["named_by_copy_out"], true);
    assert!(of(&r, "hubble/data-file-missing").is_empty());
}

#[test]
fn the_replication_definition_must_be_there_and_name_its_databases() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = hubble_members();
    let i = member(&m, "AttunityBackup/Replication_Definition.json");
    m.remove(i);
    let (code, r, _) = hb(&hubble(tmp.path(), &m).archive, &[]);
    assert_eq!(code, 1);
    assert_eq!(of(&r, "hubble/replication-definition-missing").len(), 1);
    assert!(of(&r, "hubble/replication-definition-invalid").is_empty());
    let def = |text: String| {
        let mut m = hubble_members();
        let i = member(&m, "AttunityBackup/Replication_Definition.json");
        m[i].1 = text.into_bytes();
        let (_, r, _) = hb(&hubble(tmp.path(), &m).archive, &[]);
        assert!(of(&r, "hubble/replication-definition-missing").is_empty());
        of(&r, "hubble/replication-definition-invalid").into_iter().cloned().collect::<Vec<_>>()
    };
    // Silent: the export as it is, and with the "Host name" line some exports start with.
    assert!(def(replication_definition("VECTOR")).is_empty());
    assert!(def(format!("Host name: hubble01, Time: 2026-11-01T02:00:00\n{}", replication_definition("VECTOR"))).is_empty());
    // Not JSON, not the export, a task naming an unknown database, a task without targets.
    assert_eq!(def("{\"cmd.replication_definition\": [".into()).len(), 1);
    assert_eq!(def("\u{ff}\u{fe}garbage".into()).len(), 1);
    assert_eq!(def("{\"name\": \"x\"}".into()).len(), 1);
    assert_eq!(def("{\"cmd.replication_definition\": {\"tasks\": []}}".into()).len(), 1);
    let unknown = def(replication_definition("VECTOR_OLD"));
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0]["details"]["database"], "VECTOR_OLD");
    assert_eq!(unknown[0]["subject"], "AttunityBackup/Replication_Definition.json#EBS_GL");
    let no_targets = def(replication_definition("VECTOR").replace("\"target_names\": [\"VECTOR\"]", "\"target_names\": []"));
    assert_eq!(no_targets.len(), 1);
    assert_eq!(no_targets[0]["details"]["lacks"], "target_names");
}

#[test]
fn a_damaged_archive_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let b = hubble(tmp.path(), &hubble_members());
    let bytes = std::fs::read(&b.archive).unwrap();
    std::fs::write(&b.archive, &bytes[..bytes.len() / 2]).unwrap();
    let (code, r, err) = hb(&b.archive, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(of(&r, "hubble/archive-unreadable").len(), 1, "{}", r["findings"]);
    // Nothing is called missing that may lie after the damage.
    assert!(of(&r, "hubble/data-file-missing").is_empty() && of(&r, "hubble/copy-script-missing").is_empty(), "{}", r["findings"]);
    std::fs::write(&b.archive, b"not an archive at all").unwrap();
    let (_, r, _) = hb(&b.archive, &[]);
    assert_eq!(of(&r, "hubble/archive-unreadable").len(), 1, "{}", r["findings"]);
    // A gzip stream with a flipped byte.
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    std::fs::write(&b.archive, &flipped).unwrap();
    let (code, r, _) = hb(&b.archive, &[]);
    assert_eq!(code, 1);
    assert!(!of(&r, "hubble/archive-unreadable").is_empty(), "{}", r["findings"]);
    let (code, _, err) = hb(&tmp.path().join("absent.tar.gz"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--archive") && err.lines().count() == 1, "{err}");
}

#[test]
fn an_unreadable_folder_of_an_unpacked_backup_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let unpacked = tmp.path().join("unpacked");
    for (path, bytes, _) in hubble_members() {
        let p = unpacked.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let _ = std::process::Command::new("chmod").args(["-R", "a+rX"]).arg(tmp.path()).status();
    use std::os::unix::fs::PermissionsExt;
    let locked = unpacked.join("DatabaseBackup");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // root reads everything: the check runs as an unprivileged user.
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("repocheck"));
    cmd.args(["check", "hubble", "--format", "json", "--archive"]).arg(&unpacked);
    // SAFETY: geteuid has no preconditions.
    if rustix::process::geteuid().is_root() {
        use std::os::unix::process::CommandExt;
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let u = of(&r, "hubble/archive-unreadable");
    assert_eq!(u.len(), 1, "{}", r["findings"]);
    assert!(u[0]["message"].as_str().unwrap().contains("DatabaseBackup"), "{}", u[0]);
}

#[test]
fn restore_errors_are_grouped_and_synonyms_are_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let b = hubble(tmp.path(), &hubble_members());
    let log = tmp.path().join("output.txt");
    std::fs::write(&log, restore_log(&[])).unwrap();
    let (_, r, _) = hb(&b.archive, &["--restore-log", s(&log)]);
    assert!(of(&r, "hubble/restore-errors").is_empty());
    let errors = [
        "E_US0845 Table 'ar_receipt_classes' does not exist or is not owned by you.",
        "E_US0845 Table 'ar_receipt_classes' does not exist or is not owned by you.",
        "E_US0845 Table 'gl_budget' does not exist or is not owned by you.",
        "E_US07DA Duplicate object name 'activity_log'.",
    ];
    std::fs::write(&log, restore_log(&errors)).unwrap();
    let (code, r, _) = hb(&b.archive, &["--restore-log", s(&log)]);
    assert_eq!(code, 1);
    let e = of(&r, "hubble/restore-errors");
    assert_eq!(e.len(), 3, "{}", r["findings"]);
    let synonym = e.iter().find(|f| f["details"]["table"] == "ar_receipt_classes").unwrap();
    assert_eq!(synonym["severity"], "warning");
    assert_eq!(synonym["details"]["count"], 2);
    assert_eq!(synonym["details"]["known_synonym_case"], true);
    let real = e.iter().find(|f| f["details"]["table"] == "gl_budget").unwrap();
    assert_eq!(real["severity"], "error", "gl_budget is in the backup: a real error");
    assert_eq!(e.iter().find(|f| f["details"]["code"] == "E_US07DA").unwrap()["details"]["table"], "activity_log");
    // A site that treats no code as benign gets every one at the rule's severity.
    let strict = rules_with("benign_codes = [\"E_US0845\"]", "benign_codes = []");
    let (_, r, _) = hb(&b.archive, &["--restore-log", s(&log), "--rules", s(strict.path())]);
    assert!(of(&r, "hubble/restore-errors").iter().all(|f| f["severity"] == "error"), "{}", r["findings"]);
    // Without copy.in nothing is known to be outside the backup: no error is called benign.
    let mut m = hubble_members();
    let i = member(&m, "DatabaseBackup/copy.in");
    m.remove(i);
    let other = tempfile::tempdir().unwrap();
    let (_, r, _) = hb(&hubble(other.path(), &m).archive, &["--restore-log", s(&log)]);
    assert!(of(&r, "hubble/restore-errors").iter().all(|f| f["severity"] == "error"), "{}", r["findings"]);
}

/// The terminal monitor wraps a message longer than a line and indents the rest by four
/// (Ingres ugerr.c): the file of an E_CO0005 and a long table name of an E_US0845 are on the
/// continuation lines.
#[test]
fn wrapped_error_messages_keep_their_text() {
    let tmp = tempfile::tempdir().unwrap();
    let b = hubble(tmp.path(), &hubble_members());
    let path = |t: &str| format!("/import/dbbackup/hubble_schema_backup_2026_11_01_02_00_00/DatabaseBackup/{t}.hubble");
    let synonym = "ar_receipt_method_accounts_all_synonym_for_payables_reporting";
    let errors = [
        ingres_error("E_CO0005_FILE_OPEN_ERR", &format!("COPY: can't open file '{}'.", path("gl_budget"))),
        ingres_error("E_CO0005_FILE_OPEN_ERR", &format!("COPY: can't open file '{}'.", path("activity_session"))),
        ingres_error("E_US0845_2117", &format!("Table '{synonym}' does not exist or is not owned by you.")),
    ];
    assert!(errors.iter().all(|e| e.lines().count() == 2 && e.lines().nth(1).unwrap().starts_with("    '")), "laid out as the terminal monitor does: {errors:?}");
    let log = tmp.path().join("output.txt");
    std::fs::write(&log, restore_log(&errors.iter().map(String::as_str).collect::<Vec<_>>())).unwrap();
    let (code, r, _) = hb(&b.archive, &["--restore-log", s(&log)]);
    assert_eq!(code, 1);
    let e = of(&r, "hubble/restore-errors");
    assert_eq!(e.len(), 3, "one group per failed file, and the synonym: {}", r["findings"]);
    for t in ["gl_budget", "activity_session"] {
        let f = e.iter().find(|f| f["details"]["table"] == path(t).as_str()).unwrap_or_else(|| panic!("{t}: {}", r["findings"]));
        assert_eq!(f["severity"], "error");
        assert_eq!(f["details"]["code"], "E_CO0005");
        assert_eq!(f["details"]["message"], format!("COPY: can't open file '{}'.", path(t)));
        assert!(f["message"].as_str().unwrap().contains(&path(t)), "{f}");
    }
    let f = e.iter().find(|f| f["details"]["code"] == "E_US0845").unwrap();
    assert_eq!(f["details"]["table"], synonym);
    assert_eq!(f["details"]["known_synonym_case"], true);
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["details"]["message"], format!("Table '{synonym}' does not exist or is not owned by you."));
}

#[test]
fn a_restore_terminated_by_errors_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let b = hubble(tmp.path(), &hubble_members());
    let log = tmp.path().join("output.txt");
    let text = restore_log(&["E_US07DA Duplicate object name 'activity_log'."]).replace("Your SQL statement(s) have been committed.", " - Terminated by Errors");
    std::fs::write(&log, text).unwrap();
    let (code, r, _) = hb(&b.archive, &["--restore-log", s(&log)]);
    assert_eq!(code, 1);
    let terminated: Vec<_> = of(&r, "hubble/restore-errors").into_iter().filter(|f| f["details"]["terminated"] == true).collect();
    assert_eq!(terminated.len(), 1, "{}", r["findings"]);
    assert_eq!(terminated[0]["severity"], "error");
}

#[test]
fn a_restore_log_that_is_not_text_or_not_there() {
    let tmp = tempfile::tempdir().unwrap();
    let b = hubble(tmp.path(), &hubble_members());
    let log = tmp.path().join("output.txt");
    std::fs::write(&log, b"\xff\xfe\x00garbage\nE_US0845 Table 'caf\xe9' does not exist or is not owned by you.\n").unwrap();
    let (code, r, err) = hb(&b.archive, &["--restore-log", s(&log)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(of(&r, "hubble/restore-errors")[0]["details"]["lines"], serde_json::json!([2]));
    let (code, _, err) = hb(&b.archive, &["--restore-log", s(&tmp.path().join("absent.txt"))]);
    assert_eq!(code, 2);
    assert!(err.contains("--restore-log") && err.lines().count() == 1, "{err}");
}

#[test]
fn backup_dir_must_exist_be_elsewhere_and_have_room() {
    let tmp = tempfile::tempdir().unwrap();
    let b = hubble(tmp.path(), &hubble_members());
    let problems = |r: &Value| -> BTreeSet<String> { of(r, "hubble/backup-dir-unfit").iter().map(|f| f["details"]["problem"].as_str().unwrap().to_string()).collect() };
    let (_, r, _) = hb(&b.archive, &["--backup-dir", s(&tmp.path().join("nope"))]);
    assert_eq!(problems(&r), BTreeSet::from(["missing".to_string()]));
    let (_, r, _) = hb(&b.archive, &["--backup-dir", s(&b.archive)]);
    assert_eq!(problems(&r), BTreeSet::from(["not a directory".to_string()]));
    // Demanding an absurd minimum makes the free-space check fire on any file system.
    let greedy = rules_with("min_free_gb = 2.0", "min_free_gb = 1000000.0");
    let (_, r, _) = hb(&b.archive, &["--backup-dir", s(tmp.path()), "--rules", s(greedy.path())]);
    let p = problems(&r);
    assert!(p.contains("free space"), "{p:?}");
    let dev = |p: &Path| std::os::unix::fs::MetadataExt::dev(&std::fs::metadata(p).unwrap());
    let root_dev = dev(Path::new("/"));
    assert_eq!(p.contains("same filesystem as /"), root_dev == dev(tmp.path()));
    // The root itself is always on the root file system.
    let (_, r, _) = hb(&b.archive, &["--backup-dir", "/"]);
    assert!(problems(&r).contains("same filesystem as /"), "{}", r["findings"]);
    // A separate file system with room is fit: /dev/shm here when it is a tmpfs of its own,
    // with the minimum lowered to what any such mount has.
    let shm = Path::new("/dev/shm");
    if shm.is_dir() && dev(shm) != root_dev {
        let modest = rules_with("min_free_gb = 2.0", "min_free_gb = 0.0");
        let (_, r, _) = hb(&b.archive, &["--backup-dir", "/dev/shm", "--rules", s(modest.path())]);
        assert!(of(&r, "hubble/backup-dir-unfit").is_empty(), "{}", r["findings"]);
    }
}

/// Rebuilds the archive and restore log of `testdata/hubble/` (its README stays):
/// `cargo test --test hubble -- --ignored regenerate_the_example`.
#[test]
#[ignore]
fn regenerate_the_example() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/hubble");
    hubble(&dir, &hubble_members());
    std::fs::write(dir.join("output.txt"), restore_log(&["E_US0845 Table 'ar_receipt_classes' does not exist or is not owned by you."])).unwrap();
}
