//! `repocheck check connectware` on backup sets made as the product's documents describe
//! them, and their broken variants (Hubble: tests/hubble.rs).

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use repocheck::testkit::backups::{self, BACKUP_TIME, VOLUMES, connectware, hubble, hubble_members, restore_log};
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

fn cw(b: &backups::ConnectwareBackup, volumes: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["check", "connectware", "--volumes", s(volumes), "--db-backup", s(&b.db_backup)];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn a_consistent_connectware_backup_has_no_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 120, true);
    for volumes in [&b.volumes_dir, &b.volumes_tgz] {
        let (code, r, err) = cw(&b, volumes, &["--status", s(&b.status), "--version", "1.10.2"]);
        assert_eq!(code, 0, "{err} {}", r["findings"]);
        assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
    }
    // Copied to the backup server a week later: the archive's time moves, the data does not.
    backups::set_mtime(&b.volumes_tgz, BACKUP_TIME + 7 * 86400);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 0, "{}", r["findings"]);
}

#[test]
fn missing_volumes_and_database_backup() {
    let tmp = tempfile::tempdir().unwrap();
    // The documented minimal archive holds only service-manager.
    let b = connectware(tmp.path(), "1.10.2", &["service-manager", "brokerData"], 60, true);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &[]);
    assert_eq!(code, 1);
    let missing: BTreeSet<&str> = of(&r, "connectware/volume-missing").iter().map(|f| f["details"]["volume"].as_str().unwrap()).collect();
    assert_eq!(missing, BTreeSet::from(["connectware_certs", "connectware_postgresql"]));
    // Another project name is found from the volumes.
    let tmp2 = tempfile::tempdir().unwrap();
    let b2 = connectware(tmp2.path(), "1.10.2", VOLUMES, 60, true);
    for v in VOLUMES {
        std::fs::rename(b2.volumes_dir.join(format!("connectware_{v}")), b2.volumes_dir.join(format!("plant7_{v}"))).unwrap();
    }
    let (code, r, _) = cw(&b2, &b2.volumes_dir, &[]);
    assert_eq!(code, 0, "{}", r["findings"]);
    // No database backup at all; an empty one; a damaged one.
    std::fs::remove_file(&b2.db_backup).unwrap();
    let (code, r, _) = cw(&b2, &b2.volumes_dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(rules(&r), BTreeSet::from(["connectware/db-backup-missing".to_string()]));
    std::fs::write(&b2.db_backup, b"").unwrap();
    let (_, r, _) = cw(&b2, &b2.volumes_dir, &[]);
    assert!(of(&r, "connectware/db-backup-missing")[0]["message"].as_str().unwrap().contains("empty"));
    std::fs::write(&b2.db_backup, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let (_, r, _) = cw(&b2, &b2.volumes_dir, &[]);
    assert_eq!(of(&r, "connectware/db-backup-missing").len(), 1, "{}", r["findings"]);
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
    // Without the status the file time of the database backup is used.
    let (_, r, _) = cw(&b, &b.volumes_tgz, &[]);
    assert_eq!(of(&r, "connectware/backup-skew")[0]["details"]["db_time_from"], "file time");
    // Within the tolerance: silent.
    let tmp2 = tempfile::tempdir().unwrap();
    let b2 = connectware(tmp2.path(), "1.10.2", VOLUMES, 9 * 60, true);
    let (_, r, _) = cw(&b2, &b2.volumes_tgz, &["--status", s(&b2.status)]);
    assert!(of(&r, "connectware/backup-skew").is_empty());
    // A volume directory changed 30 minutes after the database backup.
    let changed = b2.volumes_dir.join("connectware_service-manager/_data/services/opcua-machine/commissioning.yml");
    backups::set_mtime(&changed, BACKUP_TIME + 9 * 60 + 30 * 60);
    let (_, r, _) = cw(&b2, &b2.volumes_dir, &["--status", s(&b2.status)]);
    assert_eq!(of(&r, "connectware/backup-skew").len(), 1, "{}", r["findings"]);
}

/// Rebuilds `testdata/connectware/` and `testdata/hubble/`:
/// `cargo test --test backups -- --ignored regenerate_backup_examples`.
#[test]
#[ignore]
fn regenerate_backup_examples() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata");
    for d in ["connectware", "hubble"] {
        let _ = std::fs::remove_dir_all(root.join(d));
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let b = connectware(&root.join("connectware"), "1.10.2", VOLUMES, 120, true);
    std::fs::remove_dir_all(&b.volumes_dir).unwrap();
    hubble(&root.join("hubble"), &hubble_members());
    std::fs::write(root.join("hubble/output.txt"), restore_log(&["E_US0845 Table 'ar_receipt_classes' does not exist or is not owned by you."])).unwrap();
}

#[test]
fn version_mismatch_names_the_downgrade_path() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.7.2", VOLUMES, 60, true);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status), "--version", "1.10.2"]);
    assert_eq!(code, 1);
    let v = of(&r, "connectware/version-mismatch");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["details"]["backup_version"], "1.7.2");
    assert!(v[0]["message"].as_str().unwrap().contains("remove the postgresql volume"));
}

#[test]
fn a_failed_backup_in_the_status_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let b = connectware(tmp.path(), "1.10.2", VOLUMES, 60, false);
    let (code, r, _) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 1);
    let f = of(&r, "connectware/backup-failed");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert!(f[0]["message"].as_str().unwrap().contains("pg_dump exited"));
    std::fs::write(&b.status, "{not json").unwrap();
    let (code, _, err) = cw(&b, &b.volumes_tgz, &["--status", s(&b.status)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--status"));
}
