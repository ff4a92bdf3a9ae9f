//! The ways operators run repocheck, run as the README shows them: GNU parallel on one
//! machine and per host, a Slurm job array on a cluster started here from Debian's
//! packages, the Kubernetes and compose manifests, the container image, the Debian package
//! with its systemd units. The scripts and manifests are files of the repository that the
//! README shows verbatim (checked here), and each test runs the file itself against a copy
//! of the bundled example installation, comparing the merged report with one whole run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> PathBuf {
    root().join("testdata/fossology/example")
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("repocheck")
}

/// `PATH` with the repocheck under test first, as an installed one would be.
fn path_with_bin() -> String {
    format!("{}:{}", bin().parent().unwrap().display(), std::env::var("PATH").unwrap_or_default())
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The repository file `rel`, after checking that the README shows it verbatim in a fenced
/// block of `lang` headed by a comment naming it.
fn shown_in_readme(rel: &str, lang: &str, comment: &str) -> String {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let block = format!("```{lang}\n{comment} {rel}\n{text}```\n");
    assert!(readme().contains(&block), "README.md does not show {rel} as it is (expected a ```{lang} block starting with `{comment} {rel}`)");
    text
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    out
}

fn ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(out.status.success(), "{cmd:?}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out
}

/// A copy of the example installation in `dir` with faults a check finds: a missing file,
/// an object in another shard's directory, a stray file.
fn damaged_example(dir: &Path) {
    for part in ["repository", "etc"] {
        ok(Command::new("cp").arg("-a").arg(example().join(part)).arg(dir));
    }
    let repo = dir.join("repository/localhost/files");
    let mut objects: Vec<PathBuf> = walk(&repo);
    objects.sort();
    std::fs::remove_file(&objects[3]).unwrap();
    let moved = &objects[10];
    let to = repo.join("ff/ff/ff");
    std::fs::create_dir_all(&to).unwrap();
    std::fs::rename(moved, to.join(moved.file_name().unwrap())).unwrap();
    std::fs::write(repo.join("README"), "not an object").unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { all.extend(walk(&p)) } else { all.push(p) }
    }
    all
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// What two reports must agree on to say the same: findings (as a multiset), summary,
/// repairs, plan, targets with their scope and stats (but the time).
fn said(report: &Value) -> Value {
    let canon = |v: &Value| serde_json::to_string(v).unwrap();
    let mut findings: Vec<String> = report["findings"].as_array().unwrap().iter().map(canon).collect();
    findings.sort();
    let mut stats = report["stats"].clone();
    stats.as_object_mut().unwrap().remove("elapsed_ms");
    serde_json::json!({"findings": findings, "summary": report["summary"], "repairs": report["repairs"], "plan": report["plan"], "targets": report["targets"], "stats": stats})
}

/// The environment the deploy scripts read the installation from.
fn installation_env(cmd: &mut Command, dir: &Path) {
    cmd.env("REPOCHECK_DB", example().join("fossology.sql.gz")).env("REPOCHECK_REPO", dir.join("repository")).env("REPOCHECK_CONF", dir.join("etc/fossology.conf")).env("PATH", path_with_bin());
}

/// Whole runs name their inputs as given; the scripts give absolute paths.
fn whole_run_as_scripts_do(dir: &Path) -> (Value, i32) {
    let out = dir.join("whole.json");
    let o = run(Command::new(bin())
        .args(["check", "fossology", "--db"])
        .arg(example().join("fossology.sql.gz"))
        .arg("--repo")
        .arg(dir.join("repository"))
        .arg("--conf")
        .arg(dir.join("etc/fossology.conf"))
        .args(["--quiet", "--output"])
        .arg(&out));
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&o.stderr));
    (read_json(&out), o.status.code().unwrap())
}

#[test]
fn gnu_parallel_shards_on_one_machine_merge_into_the_whole_run() {
    let script = shown_in_readme("deploy/parallel/repocheck-shards.sh", "sh", "#");
    assert!(script.contains("{#}"), "report names must not come from the K/N argument");
    let tmp = tempfile::tempdir().unwrap();
    damaged_example(tmp.path());
    let (whole, code) = whole_run_as_scripts_do(tmp.path());
    assert!(whole["summary"]["error"].as_u64().unwrap() >= 1, "{}", whole["findings"]);
    let mut cmd = Command::new("sh");
    cmd.current_dir(tmp.path()).arg(root().join("deploy/parallel/repocheck-shards.sh")).args(["6", "reports"]);
    installation_env(&mut cmd, tmp.path());
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
    for k in 1..=6 {
        let shard = read_json(&tmp.path().join(format!("reports/shard-{k}.json")));
        assert!(shard["targets"][0]["scope"]["range"].is_string());
    }
    assert_eq!(said(&read_json(&tmp.path().join("reports/all.json"))), said(&whole));
}

/// Each [REPOSITORY] share checked where it lies: the hosts map names the key of each
/// share (free names, not host names). Local jobs (`-S :`) stand in for the ssh logins;
/// the example is split over two keys, `localhost` and `archive`, both held by it.
#[test]
fn gnu_parallel_per_host_shares_merge_into_the_whole_run() {
    shown_in_readme("deploy/parallel/repocheck-hosts.sh", "sh", "#");
    let tmp = tempfile::tempdir().unwrap();
    damaged_example(tmp.path());
    let repo = tmp.path().join("repository");
    for p in walk(&repo) {
        let rel = p.strip_prefix(&repo).unwrap().to_str().unwrap().to_string();
        let name = p.file_name().unwrap().to_str().unwrap();
        if name.len() > 2 && name.as_bytes()[0] >= b'8' {
            let to = repo.join(rel.replacen("localhost", "archive", 1));
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::rename(&p, to).unwrap();
        }
    }
    std::fs::create_dir_all(repo.join("archive/gold")).unwrap();
    let conf = tmp.path().join("etc/fossology.conf");
    let text = std::fs::read_to_string(&conf).unwrap().replace("localhost[] = * 00 ff", "localhost[] = * 00 7f\narchive[] = * 80 ff");
    std::fs::write(&conf, text).unwrap();
    let (whole, code) = whole_run_as_scripts_do(tmp.path());
    std::fs::write(tmp.path().join("hosts.map"), ": localhost\n: archive\n").unwrap();
    let mut cmd = Command::new("sh");
    cmd.current_dir(tmp.path()).arg(root().join("deploy/parallel/repocheck-hosts.sh")).args(["hosts.map", "reports"]);
    installation_env(&mut cmd, tmp.path());
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
    for key in ["localhost", "archive"] {
        assert_eq!(read_json(&tmp.path().join(format!("reports/repocheck-{key}.json")))["targets"][0]["scope"]["host"], key);
    }
    assert_eq!(said(&read_json(&tmp.path().join("reports/all.json"))), said(&whole));
}
