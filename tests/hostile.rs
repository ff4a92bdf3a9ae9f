//! Hostile input, end to end: FIFOs, devices and symlink loops given as inputs or lying in a
//! checked tree, multi-gigabyte lines (sparse files made at test time, read under a memory
//! limit), error lines that would echo a huge line, and names that would steer the terminal.
//! Every run has a timeout as a guard against a hang (not a timing assertion): a FIFO
//! that is opened blocks forever, and a killed run has no exit code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// The guard against a hang.
const GUARD: Duration = Duration::from_secs(120);

struct Out {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Out {
    fn report(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", self.stderr))
    }

    fn of(&self, rule: &str) -> Vec<Value> {
        self.report()["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).cloned().collect()
    }

    /// Exit 2 with one short error line that says `needles`.
    fn refused(&self, needles: &[&str]) {
        assert_eq!(self.code, Some(2), "stderr: {}", self.stderr);
        assert_eq!(self.stderr.lines().count(), 1, "{}", self.stderr);
        assert!(self.stderr.len() < 1000, "{} bytes of stderr: {}", self.stderr.len(), &self.stderr[..300]);
        for n in needles {
            assert!(self.stderr.contains(n), "expected '{n}' in {}", self.stderr);
        }
    }
}

fn repocheck(args: &[&str]) -> Out {
    let out = Command::cargo_bin("repocheck").unwrap().args(args).timeout(GUARD).output().unwrap();
    Out { code: out.status.code(), stdout: out.stdout, stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// Runs the binary with its address space limited to about 1 GB: a line held whole of a
/// multi-gigabyte input cannot be allocated.
fn repocheck_limited(args: &[&str]) -> Out {
    let out = Command::new("sh").arg("-c").arg("ulimit -v 1000000 && exec \"$0\" \"$@\"").arg(env!("CARGO_BIN_EXE_repocheck")).args(args).env("MALLOC_ARENA_MAX", "2").timeout(GUARD).output().unwrap();
    Out { code: out.status.code(), stdout: out.stdout, stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A copy of a testdata directory to change.
fn copy(rel: &str, into: &Path) -> PathBuf {
    let to = into.join(Path::new(rel).file_name().unwrap());
    assert!(std::process::Command::new("cp").arg("-a").arg(testdata(rel)).arg(&to).status().unwrap().success());
    to
}

fn mkfifo(path: &Path) -> PathBuf {
    let _ = std::fs::remove_file(path);
    assert!(std::process::Command::new("mkfifo").arg(path).status().unwrap().success());
    path.to_path_buf()
}

/// Appends `zeros` bytes of NULs to a file without a newline: a sparse tail, made at once.
fn append_zeros(path: &Path, zeros: u64) {
    let f = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len + zeros).unwrap();
}

const GIB3: u64 = 3 << 30;

fn fossology_args<'a>(repo: &'a str, format: &'a str) -> Vec<&'a str> {
    let dump = testdata("fossology/example/fossology.sql.gz");
    let dump: &'static str = Box::leak(dump.display().to_string().into_boxed_str());
    vec!["check", "fossology", "--format", format, "--db", dump, "--repo", repo]
}

#[test]
fn fifos_devices_and_symlink_loops_given_as_inputs_are_refused_before_they_are_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = mkfifo(&dir.path().join("input.fifo"));
    let f = s(&fifo);
    let repo = testdata("fossology/example/repository");
    let hubble = testdata("hubble/hubble_schema_backup_2026_11_01_02_00_00.tar.gz");
    let volumes = testdata("connectware/connectware-volume-backup.tgz");
    let db_backup = testdata("connectware/connectware-db-backup.tgz");
    let controller = testdata("js7/consistent/controller/state");
    let fifo_said = "is a FIFO, not a regular file";

    let mut args = fossology_args(s(&repo), "json");
    args.extend(["--conf", f]);
    repocheck(&args).refused(&[&format!("--conf {f}: {fifo_said}")]);
    repocheck(&["check", "fossology", "--db", f, "--repo", s(&repo)]).refused(&[&format!("--db {f}: {fifo_said}")]);
    repocheck(&["check", "fossology", "--db", "/dev/zero", "--repo", s(&repo)]).refused(&["--db /dev/zero: is a character device, not a regular file"]);
    repocheck(&["check", "hubble", "--archive", f]).refused(&[&format!("--archive {f}: {fifo_said}")]);
    repocheck(&["check", "hubble", "--archive", s(&hubble), "--restore-log", f]).refused(&[&format!("--restore-log {f}: {fifo_said}")]);
    repocheck(&["check", "hubble", "--archive", s(&hubble), "--against", f]).refused(&[&format!("--against {f}"), fifo_said]);
    repocheck(&["check", "connectware", "--volumes", f, "--db-backup", s(&db_backup)]).refused(&[&format!("--volumes {f}: {fifo_said}")]);
    repocheck(&["check", "connectware", "--volumes", s(&volumes), "--db-backup", f]).refused(&[&format!("--db-backup {f}: {fifo_said}")]);
    repocheck(&["check", "connectware", "--volumes", s(&volumes), "--db-backup", s(&db_backup), "--status", f]).refused(&[&format!("--status {f}: {fifo_said}")]);
    repocheck(&["check", "js7", "--controller", s(&controller), "--joc-db", f]).refused(&[&format!("--joc-db {f}: {fifo_said}")]);
    repocheck(&["check", "--site", f]).refused(&[&format!("--site {f}"), fifo_said]);
    repocheck(&["merge", f]).refused(&[f, fifo_said]);
    repocheck(&["diff", f, f]).refused(&[f, fifo_said]);
    repocheck(&["repair", "fossology", "--queue", f, "--db", "postgres://nobody@localhost:1/none"]).refused(&[f, fifo_said]);
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    mkfifo(&rules.join("hubble.toml"));
    repocheck(&["rules", "list", "--rules", s(&rules)]).refused(&["hubble.toml", fifo_said]);

    // a symlink loop is named as one, not "no such file"
    let (a, b) = (dir.path().join("loop-a"), dir.path().join("loop-b"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let out = repocheck(&["check", "hubble", "--archive", s(&hubble), "--restore-log", s(&a)]);
    out.refused(&[&format!("--restore-log {}: is a symlink loop", a.display())]);
    assert!(!out.stderr.contains("no such file"), "{}", out.stderr);
    repocheck(&["check", "fossology", "--db", s(&a), "--repo", s(&repo)]).refused(&["symlink loop"]);
}

#[test]
fn a_fifo_inside_a_checked_tree_is_the_products_finding_and_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    // FOSSology: Db.conf beside fossology.conf
    let etc = copy("fossology/example/etc", dir.path());
    mkfifo(&etc.join("Db.conf"));
    let repo = testdata("fossology/example/repository");
    let mut args = fossology_args(s(&repo), "json");
    args.extend(["--conf", s(&etc)]);
    let out = repocheck(&args);
    assert!(out.code.is_some(), "no hang");
    let missing = out.of("fossology/config-missing");
    assert_eq!(missing.len(), 1, "{}", out.stderr);
    assert!(missing[0]["message"].as_str().unwrap().contains("is a FIFO, not a regular file"), "{:?}", missing[0]);

    // JS7: the newest journal, and the lock
    let js7 = copy("js7/consistent", dir.path());
    let state = js7.join("controller/state");
    mkfifo(&state.join("lock"));
    mkfifo(&state.join("controller--1793527210000000.journal"));
    let out = repocheck(&["check", "js7", "--format", "json", "--controller", s(&state)]);
    assert!(out.code.is_some(), "no hang");
    let unreadable = out.of("js7/journal-unreadable");
    let subjects: Vec<&str> = unreadable.iter().map(|f| f["subject"].as_str().unwrap()).collect();
    assert!(subjects.contains(&"controller/lock"), "{unreadable:?}");
    assert!(subjects.contains(&"controller/controller--1793527210000000.journal"), "{unreadable:?}");
    assert!(unreadable.iter().all(|f| f["message"].as_str().unwrap().contains("FIFO")), "{unreadable:?}");

    // Fiorano: an EventProcess.xml and a ServiceDescriptor.xml
    let fiorano = copy("fiorano", dir.path());
    mkfifo(&fiorano.join("runtimedata/repository/applications/ORDERS/1.0/EventProcess.xml"));
    mkfifo(&fiorano.join("install/esb/server/repository/components/JMSLib/4.0/ServiceDescriptor.xml"));
    let out = repocheck(&["check", "fiorano", "--format", "json", "--runtimedata", s(&fiorano.join("runtimedata")), "--install", s(&fiorano.join("install"))]);
    assert!(out.code.is_some(), "no hang");
    let invalid = out.of("fiorano/event-process-invalid");
    assert!(invalid.iter().any(|f| f["subject"].as_str().unwrap().ends_with("ORDERS/1.0/EventProcess.xml") && f["message"].as_str().unwrap().contains("is a FIFO")), "{invalid:?}");
    let incomplete = out.of("fiorano/component-incomplete");
    assert!(incomplete.iter().any(|f| f["subject"].as_str().unwrap().ends_with("JMSLib/4.0/ServiceDescriptor.xml") && f["message"].as_str().unwrap().contains("is a FIFO")), "{incomplete:?}");
}

#[test]
fn a_newest_js7_journal_ending_in_gigabytes_of_zeros_is_a_crash_tail() {
    let dir = tempfile::tempdir().unwrap();
    let js7 = copy("js7/consistent", dir.path());
    let state = js7.join("controller/state");
    let newest = state.join("controller--1793527210000000.journal");
    append_zeros(&newest, GIB3);
    let out = repocheck_limited(&["check", "js7", "--format", "json", "--controller", s(&state)]);
    assert!(matches!(out.code, Some(0 | 1)), "code {:?}: {}", out.code, out.stderr);
    let truncated = out.of("js7/journal-truncated");
    assert_eq!(truncated.len(), 1, "{truncated:?}");
    assert_eq!(truncated[0]["subject"], "controller/controller--1793527210000000.journal");
    assert!(out.of("js7/journal-unreadable").is_empty());
}

#[test]
fn gigabyte_lines_are_a_limit_not_an_allocation() {
    let dir = tempfile::tempdir().unwrap();
    // Hubble: a restore log whose last line is 3 GiB
    let log = dir.path().join("output.txt");
    std::fs::copy(testdata("hubble/output.txt"), &log).unwrap();
    let lines = std::fs::read_to_string(&log).unwrap().lines().count();
    append_zeros(&log, GIB3);
    let hubble = testdata("hubble/hubble_schema_backup_2026_11_01_02_00_00.tar.gz");
    repocheck_limited(&["check", "hubble", "--archive", s(&hubble), "--restore-log", s(&log)]).refused(&[&format!("--restore-log {}: line {} is longer than 16 MiB", log.display(), lines + 1)]);

    // a manifest whose first line is 3 GiB (gzip members of zeros, one after the other)
    let member = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 16 << 20]).unwrap();
        gz.finish().unwrap()
    };
    let manifest = dir.path().join("big.manifest.gz");
    let mut f = std::fs::File::create(&manifest).unwrap();
    for _ in 0..(GIB3 >> 24) {
        f.write_all(&member).unwrap();
    }
    drop(f);
    repocheck_limited(&["check", "hubble", "--archive", s(&hubble), "--against", s(&manifest)]).refused(&[&format!("--against {}", manifest.display()), "line 1 is longer than 16 MiB"]);

    // a site file of one 3 GiB line
    let site = dir.path().join("site.toml");
    append_zeros(&site, GIB3);
    repocheck_limited(&["check", "--site", s(&site)]).refused(&[&format!("--site {}: cannot read: line 1 is longer than 1 MiB", site.display())]);

    // fossology.conf of one 3 GiB line: the configuration is unreadable (its finding)
    let etc = copy("fossology/example/etc", dir.path());
    std::fs::remove_file(etc.join("fossology.conf")).unwrap();
    append_zeros(&etc.join("fossology.conf"), GIB3);
    let repo = testdata("fossology/example/repository");
    let mut args = fossology_args(s(&repo), "json");
    args.extend(["--conf", s(&etc)]);
    let out = repocheck_limited(&args);
    assert!(out.code.is_some(), "{}", out.stderr);
    let missing = out.of("fossology/config-missing");
    assert!(missing.iter().any(|f| f["message"].as_str().unwrap().contains("line 1 is longer than 1 MiB")), "{missing:?} {}", out.stderr);

    // a report for merge with a string longer than a report holds
    let report = dir.path().join("big.json");
    let mut f = std::fs::File::create(&report).unwrap();
    f.write_all(b"{\"schema\":\"").unwrap();
    f.write_all(&vec![b'a'; (64 << 20) + 10]).unwrap();
    drop(f);
    repocheck_limited(&["merge", s(&report)]).refused(&["a string longer than 64 MiB"]);
    // and one of zeros, what a crash leaves
    let zeros = dir.path().join("zeros.json");
    append_zeros(&zeros, GIB3);
    repocheck_limited(&["merge", s(&zeros)]).refused(&["not a repocheck JSON report"]);
}

#[test]
fn an_error_line_quotes_an_excerpt_of_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let etc = copy("fossology/example/etc", dir.path());
    let conf = etc.join("fossology.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let bad = format!("{}\x1b]0;PWNED\x07", "x".repeat(200_000));
    std::fs::write(&conf, text.replacen("[FOSSOLOGY]\n", &format!("[FOSSOLOGY]\n{bad}\n"), 1)).unwrap();
    let repo = testdata("fossology/example/repository");
    let mut args = fossology_args(s(&repo), "json");
    args.extend(["--conf", s(&etc)]);
    let out = repocheck(&args);
    let line = text.lines().position(|l| l == "[FOSSOLOGY]").unwrap() + 2;
    out.refused(&[&format!("line {line}: 'xxxxxxxx"), "…' in [FOSSOLOGY] is not key = value"]);

    // a site file's TOML error: where, and an excerpt, no copy of the line with a caret
    let site = dir.path().join("site.toml");
    std::fs::write(&site, format!("name = \"n\"\nbad = {}\x1b[31m\n", "y".repeat(500_000))).unwrap();
    let out = repocheck(&["check", "--site", s(&site)]);
    out.refused(&[&format!("--site {}: not a valid site file: line 2, column 500008: ", site.display()), "(at '[31m')"]);
    assert!(!out.stderr.contains('\x1b') && !out.stderr.contains('^'), "{}", out.stderr);

    // a path holding control characters is escaped on the error line
    let out = repocheck(&["check", "hubble", "--archive", "/nonexistent/\x1b]0;PWNED\x07"]);
    out.refused(&["--archive /nonexistent/\\x1b]0;PWNED\\a: no such archive or directory"]);
}

#[test]
fn a_name_that_would_steer_the_terminal_is_escaped_in_table_and_csv_and_exact_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let repo = copy("fossology/example/repository", dir.path());
    let name = "evil\x1b]0;PWNED\x07\x1b[31mred";
    std::fs::write(repo.join("localhost/files").join(name), b"x").unwrap();
    let run = |format: &str| repocheck(&fossology_args(s(&repo), format));
    let escaped = "evil\\x1b]0;PWNED\\a\\x1b[31mred";
    for format in ["table", "csv"] {
        let out = run(format);
        assert!(out.code.is_some(), "{}", out.stderr);
        assert!(!out.stdout.iter().any(|&b| b == 0x1b || b == 0x07), "{format}: a raw ESC or BEL");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(escaped), "{format}: {text}");
    }
    let out = run("json");
    let unexpected = out.of("fossology/unexpected-entry");
    assert!(unexpected.iter().any(|f| f["subject"].as_str().unwrap() == format!("localhost/files/{name}")), "{unexpected:?}");
}
