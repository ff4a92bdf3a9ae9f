//! The command line without a database: the rule catalogue, argument errors, exit codes.

use assert_cmd::Command;
use predicates::prelude::*;

fn repocheck() -> Command {
    Command::cargo_bin("repocheck").expect("binary built")
}

#[test]
fn rules_list_shows_every_fossology_rule() {
    let out = repocheck().args(["rules", "list", "fossology"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    use repocheck::engine::rules::RuleCode;
    for id in repocheck::fossology::Rule::IDS {
        assert!(text.contains(id), "{id} not listed");
    }
}

#[test]
fn rules_explain_prints_the_rule_file_text() {
    repocheck()
        .args(["rules", "explain", "fossology/file-missing"])
        .assert()
        .success()
        .stdout(predicate::str::contains("fossology/file-missing  [error]"))
        .stdout(predicate::str::contains("re-unpack"));
    repocheck().args(["rules", "explain", "fossology/scratch-leftover"]).assert().success().stdout(predicate::str::contains("dirs = [\"ununpack\", \"wget\"]"));
}

#[test]
fn unknown_rule_is_exit_2_with_one_line() {
    let assert = repocheck().args(["rules", "explain", "fossology/missing"]).assert().code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("did you mean"), "{err}");
}

#[test]
fn a_site_rules_directory_overrides_severity_and_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let text = repocheck::fossology::RULES_TOML.replace("id = \"fossology/file-orphaned\"\nseverity = \"warning\"", "id = \"fossology/file-orphaned\"\nseverity = \"error\"");
    std::fs::write(dir.path().join("fossology.toml"), text).unwrap();
    repocheck().args(["rules", "explain", "fossology/file-orphaned", "--rules"]).arg(dir.path()).assert().success().stdout(predicate::str::contains("[error]"));

    std::fs::write(dir.path().join("fossology.toml"), "product = \"fossology\"\n[[rule]]\nid = \"fossology/file-missing\"\nseverity = \"loud\"\nsummary = \"x\"\nexplain = \"x\"\n").unwrap();
    repocheck().args(["rules", "list", "--rules"]).arg(dir.path()).assert().code(2).stderr(predicate::str::contains("fossology.toml"));
}

#[test]
fn bad_arguments_are_exit_2() {
    repocheck().args(["check", "fossology", "--repo", "/nonexistent"]).assert().code(2);
    repocheck().args(["check", "fossology", "--db", "x.sql", "--repo", "/", "--level", "deep"]).assert().code(2);
    repocheck().args(["check", "fossology", "--db", "x.sql", "--repo", "/", "--range", "zz-00"]).assert().code(2);
    repocheck().args(["check"]).assert().code(2).stderr(predicate::str::contains("name a product"));
}

#[test]
fn missing_repository_or_dump_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let assert = repocheck().args(["check", "fossology", "--db", "postgres://nobody@127.0.0.1:1/x", "--repo"]).arg(dir.path().join("absent")).assert().code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--repo") && err.contains("absent"), "{err}");

    let assert = repocheck().args(["check", "fossology", "--db"]).arg(dir.path().join("dump.sql.gz")).arg("--repo").arg(dir.path()).assert().code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("dump.sql.gz"), "{err}");
}

#[test]
fn unreachable_server_is_one_line_exit_2_without_password() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let assert = repocheck().args(["check", "fossology", "--db", "postgres://fossy:secret@127.0.0.1:1/fossology", "--repo"]).arg(dir.path()).assert().code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot connect"), "{err}");
    assert!(!err.contains("secret"), "password leaked: {err}");
}

/// A run that cannot finish leaves no report file behind, JSON Lines included (it is
/// streamed into a temporary file that is renamed only when the run is complete).
#[test]
fn a_failed_run_leaves_no_half_written_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("repo")).unwrap();
    std::fs::write(dir.path().join("dump.sql"), "-- PostgreSQL database dump\n\nCOPY public.pfile (pfile_pk) FROM stdin;\n1\n").unwrap();
    let out = repocheck().current_dir(dir.path()).args(["check", "fossology", "--db", "dump.sql", "--repo", "repo", "--output", "r.jsonl", "--output", "r.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let left: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!left.iter().any(|n| n.starts_with("r.") || n.starts_with(".tmp")), "{left:?}");
}

/// The scale-out and restore-proof options refuse what cannot work, in one line, before
/// anything runs.
#[test]
fn shard_subset_and_manifest_options_refuse_what_cannot_work() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fossology/example");
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.gz");
    let cases: [(Vec<String>, &str); 5] = [
        (vec!["--subset".into(), "1/3".into()], "give --level content"),
        (vec!["--shard".into(), "5/4".into()], "K must be between 1 and N"),
        (vec!["--subset".into(), "auto/0".into(), "--level".into(), "content".into()], "'auto/0'"),
        (vec!["--manifest-out".into(), manifest.display().to_string(), "--against".into(), manifest.display().to_string()], "record to another file"),
        (vec!["--against".into(), dir.path().join("none.gz").display().to_string()], "cannot open the manifest"),
    ];
    for (args, says) in cases {
        let out = repocheck().args(["check", "fossology", "--db"]).arg(example.join("fossology.sql.gz")).arg("--repo").arg(example.join("repository")).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: no report");
    }
    assert!(!manifest.exists());
}
