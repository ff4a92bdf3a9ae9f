//! `check --site`: every bundled example in one run, one report, one exit code.

use assert_cmd::Command;
use serde_json::Value;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_bundled_site_file_checks_every_example() {
    let out = Command::cargo_bin("repocheck").unwrap().current_dir(root()).args(["check", "--site", "testdata/site.toml", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let products: Vec<&str> = report["targets"].as_array().unwrap().iter().map(|t| t["product"].as_str().unwrap()).collect();
    assert_eq!(products, vec!["fossology", "js7", "fiorano", "connectware", "hubble"]);
    // Only what the examples are meant to show: copy.in's \nocontinue (info) and the restore
    // log's synonym error (a warning).
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, vec!["hubble/nocontinue", "hubble/restore-errors"], "{}", report["findings"]);
    assert_eq!(report["summary"]["error"], 0);
    // The per-target override disabled a rule for that target only.
    let rules = report["targets"][0]["rules"].as_array().unwrap();
    assert!(!rules.iter().any(|r| r == "fossology/permissions"));
}

#[test]
fn site_targets_take_the_command_line_options_and_overrides() {
    let tmp = tempfile::tempdir().unwrap();
    // A copy with what an interrupted unpack leaves in its scratch directory (info).
    let example = tmp.path().join("example");
    let status = std::process::Command::new("cp").arg("-r").arg(root().join("testdata/fossology/example")).arg(&example).status().unwrap();
    assert!(status.success());
    let scratch = example.join("repository/localhost/ununpack/7");
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(scratch.join("part"), b"half an archive").unwrap();
    let site = tmp.path().join("site.toml");
    std::fs::write(
        &site,
        format!(
            "[[target]]\nproduct = \"fossology\"\ndb = \"{ex}/fossology.sql.gz\"\nrepo = \"{ex}/repository\"\n[target.rules]\n\"fossology/scratch-leftover\" = {{ severity = \"error\" }}\n",
            ex = example.display()
        ),
    )
    .unwrap();
    // The override makes the info finding an error for this target.
    let out = Command::cargo_bin("repocheck").unwrap().args(["check", "--site"]).arg(&site).args(["--format", "prometheus"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("repocheck_findings{product=\"fossology\",rule=\"fossology/scratch-leftover\",severity=\"error\"} 1"), "{text}");
    assert!(text.contains("repocheck_targets{product=\"fossology\"} 1"), "{text}");
    assert!(text.contains("repocheck_last_run_timestamp_seconds"));
    // A target with its own overrides counts in the run's own stats (and its progress line).
    let out = Command::cargo_bin("repocheck").unwrap().args(["check", "--site"]).arg(&site).args(["--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["stats"]["db_rows"].as_u64().unwrap() > 0 && report["stats"]["entries_walked"].as_u64().unwrap() > 0, "{}", report["stats"]);

    for (body, needle) in [
        ("[[target]]\nproduct = \"fossology\"\ndb = \"x.sql\"\n", "--repo"),
        ("[[target]]\nproduct = \"nosuch\"\n", "nosuch"),
        ("[[target]]\nproduct = \"fossology\"\ndb = \"x\"\nrepo = \"y\"\nlevel = \"deep\"\n", "deep"),
        ("[[target]]\nproduct = \"fossology\"\ndb = \"x\"\nrepo = \"y\"\n[target.rules]\n\"fossology/nope\" = { enabled = false }\n", "fossology/nope"),
        ("[site]\n", "site"),
    ] {
        std::fs::write(&site, body).unwrap();
        let out = Command::cargo_bin("repocheck").unwrap().args(["check", "--site"]).arg(&site).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{body}: {err}");
        assert!(err.contains(needle), "{body}: expected {needle} in {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let out = Command::cargo_bin("repocheck").unwrap().args(["completions", "bash"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("fossology"));
    let out = Command::cargo_bin("repocheck").unwrap().arg("man").output().unwrap();
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(man.contains(".TH repocheck") && man.contains("check"), "{man}");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("repocheck").unwrap().args(["man", "--dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = std::fs::read_to_string(dir.path().join("repocheck-check-fossology.1")).unwrap();
    assert!(page.contains("\\-\\-level"), "{page}");
    assert!(dir.path().join("repocheck-repair-fossology.1").exists());
}
