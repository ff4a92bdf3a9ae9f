//! The bundled example installation (`testdata/fossology/example/`) and the README's main
//! command on it: a database dump read without a server.

use std::path::PathBuf;

use assert_cmd::Command;
use repocheck::testkit::fossology::FossologyFixture;
use repocheck::testkit::postgres::TestServer;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_readme_command_checks_the_example_from_its_dump() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme.lines().find(|l| l.starts_with("cargo run --release -- check fossology")).expect("README shows the main command");
    let args: Vec<&str> = line.trim_start_matches("cargo run --release -- ").split_whitespace().collect();
    let out = Command::cargo_bin("repocheck").unwrap().current_dir(root()).args(&args).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["stats"]["db_rows"].as_u64().unwrap() > 40);
    // A git checkout does not keep the hard links between gold and files: that, and only
    // that, may be reported.
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["rule"], "fossology/gold-files-not-linked", "{f}");
    }
}

/// Rebuilds the example: `cargo test --test example -- --ignored regenerate_example`.
#[test]
#[ignore]
fn regenerate_example() {
    let dir = root().join("testdata/fossology/example");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut f = FossologyFixture::new();
    repocheck::testkit::fossology::add_standard_uploads(&mut f).unwrap();
    let inst = f.write(&dir).unwrap();
    // A real backup: pg_dumpall | gzip of a server holding the fossology database.
    let server = TestServer::start().unwrap();
    let db = server.create_database("scratch").unwrap();
    db.psql("CREATE DATABASE fossology").unwrap();
    let fossology = repocheck::testkit::postgres::TestDb::named(&db, "fossology");
    fossology.psql_file(&inst.sql()).unwrap();
    fossology.psql(&format!("DROP DATABASE {}", db.name)).unwrap();
    fossology.pg_dumpall_gzip(&dir.join("fossology.sql.gz")).unwrap();
    std::fs::remove_file(inst.sql()).unwrap();
    let listing = inst.uploads.iter().map(|u| format!("- upload {}: `{}` ({}), origin `{}`, {} files objects", u.id, u.filename, if u.mode == 100 { "from URL" } else { "from file" }, u.origin, u.files.len())).collect::<Vec<_>>().join("\n");
    std::fs::write(dir.join("README.md"), format!("# Example FOSSology installation\n\nBuilt by `cargo test --test example -- --ignored regenerate_example` from the real crate\narchives in `../archives/`, unpacked as FOSSology's ununpack would (see `src/testkit/fossology.rs`):\n\n{listing}\n\n- `repository/` — depth 3, host `localhost`; gold and files copies of each archive are hard\n  links when generated (a git checkout makes them separate files, which the check reports\n  as `fossology/gold-files-not-linked`, info).\n- `etc/fossology.conf`, `etc/Db.conf` — as installed.\n- `fossology.sql.gz` — `pg_dumpall | gzip` of a PostgreSQL 15 server holding the `fossology`\n  database (and `postgres`, `template1`), the backup the FOSSology documents describe.\n")).unwrap();
}
