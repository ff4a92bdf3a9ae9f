//! `repocheck check connectware` on backup sets made as the Connectware documents describe
//! them (the `tar cvfz` of the volumes, the database backup from the REST API, the
//! maintenance status), and their broken variants: every rule firing and staying silent.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use repocheck_testkit::backups::{self, BACKUP_TIME, ConnectwareBackup, VOLUMES, connectware};
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

fn cw(b: &ConnectwareBackup, volumes: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["check", "connectware", "--volumes", s(volumes), "--db-backup", s(&b.db_backup)];
    args.extend_from_slice(extra);
    run(&args)
}

/// A rules directory whose connectware.toml has `from` replaced by `to`.
fn rules_with(from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(repocheck::connectware::RULES_TOML.contains(from), "{from}");
    std::fs::write(dir.path().join("connectware.toml"), repocheck::connectware::RULES_TOML.replace(from, to)).unwrap();
    dir
}

#[test]
fn a_consistent_connectware_backup_has_no_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 120, true);
    for volumes in [&b.volumes_dir, &b.volumes_tgz] {
        let (code, r, err) = cw(&b, volumes, &["--status", s(&b.status), "--version", "1.10.2"]);
        assert_eq!(code, 0, "{err} {}", r["findings"]);
        assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
        let ran: Vec<&str> = r["targets"][0]["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        assert_eq!(ran.len(), 5, "every rule ran: {ran:?}");
    }
    // Copied to the backup server a week later: the archive's time moves, the data does not.
    backups::set_mtime(&b.volumes_tgz, BACKUP_TIME + 7 * 86400);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 0, "{}", r["findings"]);
    // Without --status and --version, the rules that need them do not run.
    let (_, r, _) = cw(&b, &b.volumes_tgz, &[]);
    let ran: BTreeSet<&str> = r["targets"][0]["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(!ran.contains("connectware/backup-failed") && !ran.contains("connectware/version-mismatch"), "{ran:?}");
}

#[test]
fn the_committed_example_is_consistent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/connectware");
    let (code, r, err) = run(&[
        "check",
        "connectware",
        "--volumes",
        s(&root.join("connectware-volume-backup.tgz")),
        "--db-backup",
        s(&root.join("connectware-db-backup.tgz")),
        "--status",
        s(&root.join("status.json")),
        "--version",
        "1.10.2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
}

/// The documents back up the service-manager volume (`cd /var/lib/docker/volumes; tar cvfz
/// /tmp/connectware-volume-backup.tgz ./connectware_service-manager/_data`) and the user
/// database through the REST API: that backup is complete; only the certificates are worth a
/// warning.
#[test]
fn the_documented_backup_passes_with_a_warning_for_the_certificates() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", &["service-manager"], 60, true);
    for volumes in [&b.volumes_tgz, &b.volumes_dir] {
        let (code, r, err) = cw(&b, volumes, &["--status", s(&b.status), "--version", "1.10.2"]);
        assert_eq!(code, 0, "{err} {}", r["findings"]);
        let f = of(&r, "connectware/volume-missing");
        assert_eq!(r["findings"].as_array().unwrap().len(), 1, "no postgresql finding: the database backup covers it: {}", r["findings"]);
        assert_eq!(f[0]["severity"], "warning");
        assert_eq!(f[0]["subject"], "connectware_certs/_data");
        assert_eq!(f[0]["details"]["required"], false);
        let message = f[0]["message"].as_str().unwrap();
        assert!(message.contains("loses the certificates and keys it holds") && message.contains("cybus_ca.crt"), "{message}");
    }
    // With the certificates: silent.
    let b = connectware(&tmp.path().join("certs"), "1.10.2", &["service-manager", "certs"], 60, true);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 0);
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
    // Without the service-manager volume: an error.
    let b = connectware(&tmp.path().join("nosm"), "1.10.2", &["certs", "postgresql"], 60, true);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 1);
    let f = of(&r, "connectware/volume-missing");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["details"]["volume"], "connectware_service-manager");
    assert!(f[0]["message"].as_str().unwrap().contains("service commissioning files"));
    // A site that wants the certificates as strictly as service-manager says so.
    let strict = rules_with("required = [\"service-manager\"]", "required = [\"service-manager\", \"certs\"]");
    let b = connectware(&tmp.path().join("strict"), "1.10.2", &["service-manager"], 60, true);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--rules", s(strict.path())]);
    assert_eq!(code, 1);
    assert_eq!(of(&r, "connectware/volume-missing")[0]["severity"], "error");
}

#[test]
fn missing_volumes_are_named_with_the_project() {
    let tmp = tempfile::tempdir().unwrap();
    // Another project name is found from the volumes, even from volumes that are not required.
    let b2 = connectware(tmp.path(), "1.10.2", VOLUMES, 60, true);
    for v in VOLUMES {
        std::fs::rename(b2.volumes_dir.join(format!("connectware_{v}")), b2.volumes_dir.join(format!("plant7_{v}"))).unwrap();
    }
    let (code, r, _) = cw(&b2, &b2.volumes_dir, &[]);
    assert_eq!(code, 0, "{}", r["findings"]);
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
    std::fs::remove_dir_all(b2.volumes_dir.join("plant7_service-manager")).unwrap();
    let (_, r, _) = cw(&b2, &b2.volumes_dir, &[]);
    assert_eq!(of(&r, "connectware/volume-missing")[0]["details"]["volume"], "plant7_service-manager", "{}", r["findings"]);
    // A site can name its project and its required volumes.
    let forced = rules_with("project = \"\"", "project = \"connectware\"");
    let (_, r, _) = cw(&b2, &b2.volumes_dir, &["--rules", s(forced.path())]);
    let names: BTreeSet<&str> = of(&r, "connectware/volume-missing").iter().map(|f| f["details"]["volume"].as_str().unwrap()).collect();
    assert_eq!(names, BTreeSet::from(["connectware_certs", "connectware_service-manager"]), "{}", r["findings"]);
    let none = rules_with("required = [\"service-manager\"], recommended = [\"certs\"]", "required = [], recommended = []");
    let (code, r, _) = cw(&b2, &b2.volumes_dir, &["--rules", s(none.path())]);
    assert_eq!(code, 0, "{}", r["findings"]);
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
}

#[test]
fn volumes_archived_from_the_root_are_found() {
    // `tar czf backup.tgz /var/lib/docker/volumes/connectware_*`: tar drops the leading '/'.
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 60, true);
    let file = std::fs::File::create(&b.volumes_tgz).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
    tar.append_dir_all("var/lib/docker/volumes", &b.volumes_dir).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
    backups::set_mtime(&b.volumes_tgz, BACKUP_TIME);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 0, "{}", r["findings"]);
}

#[test]
fn a_damaged_volume_archive_is_a_finding_and_a_missing_one_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 60, true);
    let bytes = std::fs::read(&b.volumes_tgz).unwrap();
    std::fs::write(&b.volumes_tgz, &bytes[..bytes.len() / 2]).unwrap();
    let (code, r, err) = cw(&b, &b.volumes_tgz, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(of(&r, "connectware/volume-missing").iter().any(|f| f["message"].as_str().unwrap().contains("cannot be read to its end")), "{}", r["findings"]);
    std::fs::write(&b.volumes_tgz, b"PK\x03\x04 a zip, not a tgz").unwrap();
    let (code, r, err) = cw(&b, &b.volumes_tgz, &[]);
    assert_eq!(code, 1, "{err}");
    // The damage, service-manager (an error) and certs (a warning).
    assert_eq!(of(&r, "connectware/volume-missing").len(), 3, "{}", r["findings"]);
    let (code, _, err) = cw(&b, &tmp.path().join("absent.tgz"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--volumes") && err.lines().count() == 1, "{err}");
}

#[test]
fn a_missing_empty_or_damaged_database_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 60, true);
    let (_, r, _) = cw(&b, &b.volumes_dir, &[]);
    assert!(of(&r, "connectware/db-backup-missing").is_empty());
    let original = std::fs::read(&b.db_backup).unwrap();
    let message = |r: &Value| of(r, "connectware/db-backup-missing").first().map(|f| f["message"].as_str().unwrap().to_string()).unwrap_or_default();
    std::fs::remove_file(&b.db_backup).unwrap();
    let (code, r, _) = cw(&b, &b.volumes_dir, &["--status", s(&b.status), "--version", "1.10.2"]);
    assert_eq!(code, 1);
    assert_eq!(rules(&r), BTreeSet::from(["connectware/db-backup-missing".to_string()]), "no skew is judged without a backup");
    assert!(message(&r).contains("no database backup"));
    std::fs::write(&b.db_backup, b"").unwrap();
    let (_, r, _) = cw(&b, &b.volumes_dir, &[]);
    assert!(message(&r).contains("empty"));
    std::fs::write(&b.db_backup, &original[..original.len() - 10]).unwrap();
    let (_, r, _) = cw(&b, &b.volumes_dir, &[]);
    assert!(message(&r).contains("damaged"), "{}", r["findings"]);
    std::fs::remove_file(&b.db_backup).unwrap();
    std::fs::create_dir(&b.db_backup).unwrap();
    let (_, r, _) = cw(&b, &b.volumes_dir, &[]);
    assert!(message(&r).contains("not a file"), "{}", r["findings"]);
}

#[test]
fn the_database_backup_format_is_a_parameter() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 60, true);
    // A gzip-compressed SQL dump, not a tar: damaged as a tgz, fine as gzip.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"-- PostgreSQL database dump\nSET statement_timeout = 0;\n".repeat(40).as_slice()).unwrap();
    let dump = gz.finish().unwrap();
    std::fs::write(&b.db_backup, &dump).unwrap();
    let (_, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(of(&r, "connectware/db-backup-missing").len(), 1, "{}", r["findings"]);
    let gzip = rules_with("format = \"tgz\"", "format = \"gzip\"");
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status), "--rules", s(gzip.path())]);
    assert_eq!(code, 0, "{}", r["findings"]);
    // Cut short, it is damaged as gzip too; anything non-empty passes with format any.
    std::fs::write(&b.db_backup, &dump[..dump.len() / 2]).unwrap();
    let (_, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status), "--rules", s(gzip.path())]);
    assert_eq!(of(&r, "connectware/db-backup-missing")[0]["details"]["format"], "gzip");
    let any = rules_with("format = \"tgz\"", "format = \"any\"");
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status), "--rules", s(any.path())]);
    assert_eq!(code, 0, "{}", r["findings"]);
    let bad = rules_with("format = \"tgz\"", "format = \"zip\"");
    let (code, _, err) = cw(&b, &b.volumes_tgz, &["--rules", s(bad.path())]);
    assert_eq!(code, 2);
    assert!(err.contains("format"), "{err}");
}

#[test]
fn backups_taken_too_far_apart_are_skewed() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 45 * 60, true);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 1);
    let skew = of(&r, "connectware/backup-skew");
    assert_eq!(skew.len(), 1, "{}", r["findings"]);
    assert_eq!(skew[0]["details"]["minutes_apart"], 45);
    assert_eq!(skew[0]["details"]["db_time_from"], "backup id");
    // Without the status, the times of the database archive's members; with neither, the file's.
    let (_, r, _) = cw(&b, &b.volumes_tgz, &[]);
    assert_eq!(of(&r, "connectware/backup-skew")[0]["details"]["db_time_from"], "member times");
    let any = rules_with("format = \"tgz\"", "format = \"any\"");
    let (_, r, _) = cw(&b, &b.volumes_tgz, &["--rules", s(any.path())]);
    assert_eq!(of(&r, "connectware/backup-skew")[0]["details"]["db_time_from"], "file time");
    // The id in the file name counts when there is no status.
    let named = tmp.path().join("connectware-db-1.10.2_2026-11-01T02-45-00.000Z.tgz");
    std::fs::copy(&b.db_backup, &named).unwrap();
    let (_, r, _) = run(&["check", "connectware", "--volumes", s(&b.volumes_tgz), "--db-backup", s(&named)]);
    assert_eq!(of(&r, "connectware/backup-skew")[0]["details"]["db_time_from"], "backup id");
    // A wider tolerance keeps it silent.
    let wide = rules_with("tolerance_minutes = 10", "tolerance_minutes = 60");
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status), "--rules", s(wide.path())]);
    assert_eq!(code, 0, "{}", r["findings"]);
    // Within the tolerance: silent.
    let tmp2 = tempfile::tempdir().unwrap();
    let b2 = connectware(tmp2.path(), "1.10.2", VOLUMES, 9 * 60, true);
    let (_, r, _) = cw(&b2, &b2.volumes_tgz, &["--status", s(&b2.status)]);
    assert!(of(&r, "connectware/backup-skew").is_empty());
    // A volume file changed 30 minutes after the database backup.
    let changed = b2.volumes_dir.join("connectware_service-manager/_data/services/opcua-machine/commissioning.yml");
    backups::set_mtime(&changed, BACKUP_TIME + 9 * 60 + 30 * 60);
    let (_, r, _) = cw(&b2, &b2.volumes_dir, &["--status", s(&b2.status)]);
    let skew = of(&r, "connectware/backup-skew");
    assert_eq!(skew.len(), 1, "{}", r["findings"]);
    assert!(skew[0]["message"].as_str().unwrap().starts_with("volume files changed after"));
}

#[test]
fn version_mismatch_names_the_way_in_each_direction() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.7.2", VOLUMES, 60, true);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status), "--version", "1.10.2"]);
    assert_eq!(code, 1);
    let v = of(&r, "connectware/version-mismatch");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["details"]["backup_version"], "1.7.2");
    assert_eq!(v[0]["details"]["direction"], "backup-older");
    assert!(v[0]["message"].as_str().unwrap().contains("remove the postgresql volume"));
    // A backup from a newer version than the installation.
    let (_, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status), "--version", "1.5.0"]);
    assert_eq!(of(&r, "connectware/version-mismatch")[0]["details"]["direction"], "backup-newer");
    // The same version, written as an image tag: silent.
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status), "--version", "v1.7.2"]);
    assert_eq!(code, 0, "{}", r["findings"]);
}

#[test]
fn a_failed_or_running_backup_in_the_status_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 60, false);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 1);
    let f = of(&r, "connectware/backup-failed");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert!(f[0]["message"].as_str().unwrap().contains("pg_dump exited"));
    // Still running: the downloaded file may be incomplete.
    let ok = connectware(&tmp.path().join("ok"), "1.10.2", VOLUMES, 60, true);
    let (code, _, _) = cw(&ok, &ok.volumes_tgz, &["--status", s(&ok.status)]);
    assert_eq!(code, 0);
    let running = std::fs::read_to_string(&ok.status).unwrap().replace("\"running\":false", "\"running\":true");
    std::fs::write(&ok.status, running).unwrap();
    let (_, r, _) = cw(&ok, &ok.volumes_tgz, &["--status", s(&ok.status)]);
    assert_eq!(of(&r, "connectware/backup-failed")[0]["details"]["running"], true);
    // A status that is not the maintenance JSON cannot be checked.
    for broken in ["{not json", "[1, 2]", "\u{feff}\u{0}"] {
        std::fs::write(&b.status, broken).unwrap();
        let (code, _, err) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--status") && err.lines().count() == 1, "{err}");
    }
}

/// Rebuilds the archives of `testdata/connectware/` (its README stays):
/// `cargo test --test connectware -- --ignored regenerate_the_example`.
#[test]
#[ignore]
fn regenerate_the_example() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/connectware");
    let b = connectware(&dir, "1.10.2", VOLUMES, 120, true);
    std::fs::remove_dir_all(&b.volumes_dir).unwrap();
}
