//! The bundled example installation (`testdata/fossology/example/`) and the README's main
//! command on it: a database dump read without a server.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_readme_command_checks_the_example_from_its_dump() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    // The set-up line (`cargo run --release -- …`) and the first check once installed
    // (`repocheck …`) are the same command.
    let setup = readme.lines().find(|l| l.starts_with("cargo run --release -- check fossology --db testdata/")).expect("README's set-up shows the example check");
    let line = readme.lines().find(|l| l.starts_with("repocheck check fossology --db testdata/")).expect("README shows the first check");
    assert_eq!(setup.trim_start_matches("cargo run --release -- "), line.trim_start_matches("repocheck "));
    let args: Vec<&str> = line.trim_start_matches("repocheck ").split_whitespace().collect();
    let out = Command::cargo_bin("repocheck").unwrap().current_dir(root()).args(&args).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["stats"]["db_rows"].as_u64().unwrap() > 40);
    // A healthy installation: no finding at all (a git checkout keeps no owners, and the
    // project user fossy is not on the machine, or the check says it skipped them).
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["rule"], "fossology/permissions", "{f}");
    }
}

// The example is rebuilt by the test kit: `cargo test --test testkit -- --ignored regenerate_example`.
