//! `repocheck diff` on the JSON reports of real runs of the example installation, broken
//! differently before and after: what is new, resolved and unchanged, exit codes, formats.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn repocheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_repocheck"))
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The member files of the example (not copies of a gold archive), relative to the
/// repository, sorted.
fn members() -> Vec<String> {
    let repo = root().join("testdata/fossology/example/repository");
    let gold: Vec<String> =
        walkdir::WalkDir::new(repo.join("localhost/gold")).into_iter().map(|e| e.unwrap()).filter(|e| e.file_type().is_file()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    let mut files: Vec<String> = walkdir::WalkDir::new(repo.join("localhost/files"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file() && !gold.contains(&e.file_name().to_string_lossy().into_owned()))
        .map(|e| e.path().strip_prefix(&repo).unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// Checks a copy of the example without `lost` (relative to the repository) and with
/// `stray` entries added; returns the JSON report's path and content.
fn run(dir: &Path, name: &str, lost: &[&str], stray: &[&str]) -> (PathBuf, Value) {
    let inst = dir.join(name);
    copy_tree(&root().join("testdata/fossology/example"), &inst);
    for path in lost {
        std::fs::remove_file(inst.join("repository").join(path)).unwrap();
    }
    for path in stray {
        std::fs::write(inst.join("repository").join(path), b"stray").unwrap();
    }
    let report = dir.join(format!("{name}.json"));
    let out = repocheck()
        .current_dir(&inst)
        .args(["check", "fossology", "--db", "fossology.sql.gz", "--repo", "repository", "--conf", "etc/fossology.conf", "--level", "size", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&report, &out.stdout).unwrap();
    (report, serde_json::from_slice(&out.stdout).unwrap())
}

fn diff(args: &[&str], before: &Path, after: &Path) -> Output {
    repocheck().arg("diff").arg(before).arg(after).args(args).output().unwrap()
}

type Key = (String, String);

fn keys(report: &Value) -> Vec<Key> {
    report["findings"].as_array().unwrap().iter().map(|f| (f["rule"].as_str().unwrap().to_string(), f["subject"].as_str().unwrap().to_string())).collect()
}

/// (new, resolved, unchanged) by (rule, subject), counted as multisets.
fn expected(before: &Value, after: &Value) -> (Vec<Key>, Vec<Key>, usize) {
    let mut count: BTreeMap<Key, i64> = BTreeMap::new();
    for k in keys(after) {
        *count.entry(k).or_default() += 1;
    }
    for k in keys(before) {
        *count.entry(k).or_default() -= 1;
    }
    let new: Vec<Key> = count.iter().filter(|(_, n)| **n > 0).flat_map(|(k, n)| std::iter::repeat_n(k.clone(), *n as usize)).collect();
    let resolved: Vec<Key> = count.iter().filter(|(_, n)| **n < 0).flat_map(|(k, n)| std::iter::repeat_n(k.clone(), (-*n) as usize)).collect();
    let unchanged = keys(after).len() - new.len();
    (new, resolved, unchanged)
}

struct Runs {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    before: (PathBuf, Value),
    after: (PathBuf, Value),
    /// `before` plus a stray entry: a new warning only.
    warned: (PathBuf, Value),
    lost: Vec<String>,
}

fn runs() -> Runs {
    let dir = tempfile::tempdir().unwrap();
    let m = members();
    assert!(m.len() > 10);
    let lost = vec![m[0].clone(), m[3].clone(), m[6].clone()];
    let before = run(dir.path(), "before", &[&lost[0], &lost[1]], &[]);
    let after = run(dir.path(), "after", &[&lost[1], &lost[2]], &["localhost/files/stray.txt"]);
    let warned = run(dir.path(), "warned", &[&lost[0], &lost[1]], &["localhost/files/stray.txt"]);
    Runs { dir: dir.path().to_path_buf(), _dir: dir, before, after, warned, lost }
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn listed(diff: &Value, part: &str) -> Vec<Key> {
    diff[part].as_array().unwrap().iter().map(|f| (f["rule"].as_str().unwrap().to_string(), f["subject"].as_str().unwrap().to_string())).collect()
}

#[test]
fn the_diff_of_two_runs_is_exactly_what_changed() {
    let r = runs();
    let out = diff(&["--format", "json"], &r.before.0, &r.after.0);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let d = json_of(&out);
    assert_eq!(d["schema"], "repocheck-diff/1");
    assert_eq!(d["before"]["file"], r.before.0.display().to_string());
    assert_eq!(d["before"]["started_at"], r.before.1["started_at"]);
    assert_eq!(d["after"]["started_at"], r.after.1["started_at"]);

    let missing = |path: &str| ("fossology/file-missing".to_string(), path.to_string());
    let (new, resolved, unchanged) = expected(&r.before.1, &r.after.1);
    // What was broken: the third member lost and a stray entry are new, the first member
    // (back in the after copy) is resolved, the second (lost in both) unchanged.
    assert!(new.contains(&missing(&r.lost[2])), "{new:?}");
    assert!(new.contains(&("fossology/unexpected-entry".to_string(), "localhost/files/stray.txt".to_string())), "{new:?}");
    assert!(resolved.contains(&missing(&r.lost[0])), "{resolved:?}");
    assert!(!new.contains(&missing(&r.lost[1])) && !resolved.contains(&missing(&r.lost[1])));
    assert!(keys(&r.after.1).contains(&missing(&r.lost[1])));

    let mut got_new = listed(&d, "new");
    let mut got_resolved = listed(&d, "resolved");
    // Listed in (rule, subject) order.
    let sorted = |v: &[Key]| {
        let mut s = v.to_vec();
        s.sort();
        s
    };
    assert_eq!(got_new, sorted(&got_new));
    got_new.sort();
    got_resolved.sort();
    assert_eq!(got_new, new);
    assert_eq!(got_resolved, resolved);
    let total = |part: &str| ["error", "warning", "info"].iter().map(|s| d["summary"][part][s].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total("new") as usize, new.len());
    assert_eq!(total("resolved") as usize, resolved.len());
    assert_eq!(total("unchanged") as usize, unchanged);
    assert!(unchanged >= 1);
    assert_eq!(d["summary"]["new"]["warning"], 1);
    let per_rule = &d["rules"]["fossology/file-missing"];
    assert_eq!(per_rule["new"]["error"], 1);
    assert_eq!(per_rule["resolved"]["error"], 1);
    assert_eq!(per_rule["unchanged"]["error"], 1);
    // Every rule that ran is there, changed or not.
    for rule in r.after.1["targets"][0]["rules"].as_array().unwrap() {
        assert!(d["rules"].get(rule.as_str().unwrap()).is_some(), "{rule}");
    }
}

#[test]
fn fail_on_applies_to_the_new_findings_only() {
    let r = runs();
    let code = |args: &[&str], b: &Path, a: &Path| diff(args, b, a).status.code();
    // The same report: nothing new, however many errors it has.
    assert!(r.before.1["summary"]["error"].as_u64().unwrap() > 0);
    assert_eq!(code(&["--format", "json"], &r.before.0, &r.before.0), Some(0));
    assert_eq!(code(&["--format", "json", "--fail-on", "info"], &r.before.0, &r.before.0), Some(0));
    // A new error.
    assert_eq!(code(&["--format", "json"], &r.before.0, &r.after.0), Some(1));
    assert_eq!(code(&["--format", "json", "--fail-on", "never"], &r.before.0, &r.after.0), Some(0));
    // Only a new warning: below the default threshold.
    assert_eq!(code(&["--format", "json"], &r.before.0, &r.warned.0), Some(0));
    assert_eq!(code(&["--format", "json", "--fail-on", "warning"], &r.before.0, &r.warned.0), Some(1));
    // Backwards, the fixed file is a new error and the stray entry resolved.
    assert_eq!(code(&["--format", "json", "--fail-on", "error"], &r.after.0, &r.before.0), Some(1));
    assert_eq!(code(&["--format", "json", "--fail-on", "warning"], &r.warned.0, &r.before.0), Some(0));
}

#[test]
fn a_bad_report_is_exit_2_with_one_line_and_no_output() {
    let r = runs();
    let garbage = r.dir.join("garbage.json");
    std::fs::write(&garbage, b"{\"schema\": \"repocheck-report/1\", \"findings\": [tru").unwrap();
    let foreign = r.dir.join("foreign.json");
    let mut value = r.before.1.clone();
    value["schema"] = "repocheck-report/9".into();
    std::fs::write(&foreign, serde_json::to_vec(&value).unwrap()).unwrap();
    let absent = r.dir.join("absent.json");
    let written = r.dir.join("out.html");
    for (bad, says) in [(&garbage, "not a repocheck JSON report"), (&foreign, "repocheck-report/9"), (&absent, "cannot open")] {
        for (b, a) in [(&r.before.0, bad), (bad, &r.after.0)] {
            let out = repocheck().arg("diff").arg(b).arg(a).arg("--output").arg(&written).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{}", bad.display());
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(says) && err.contains(&*bad.display().to_string()), "{err}");
            assert!(!written.exists());
        }
    }
    let out = repocheck().arg("diff").arg(&r.before.0).arg(&r.after.0).arg("--output").arg(r.dir.join("out.pdf")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_format_parses_and_agrees() {
    let r = runs();
    let d = json_of(&diff(&["--format", "json"], &r.before.0, &r.after.0));
    let n = |part: &str, sev: &str| d["summary"][part][sev].as_u64().unwrap();
    let new_total: u64 = ["error", "warning", "info"].iter().map(|s| n("new", s)).sum();
    let resolved_total: u64 = ["error", "warning", "info"].iter().map(|s| n("resolved", s)).sum();
    let unchanged_total: u64 = ["error", "warning", "info"].iter().map(|s| n("unchanged", s)).sum();
    let text = |format: &str| {
        let out = diff(&["--format", format], &r.before.0, &r.after.0);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };

    let table = text("table");
    assert!(
        table.contains(&format!("{new_total} new ({} error, {} warning, {} info), {resolved_total} resolved, {unchanged_total} unchanged", n("new", "error"), n("new", "warning"), n("new", "info"))),
        "{table}"
    );
    assert!(table.contains("new: fossology/file-missing (1)") && table.contains("resolved: fossology/file-missing (1)"), "{table}");
    assert!(table.contains(&r.lost[2]) && table.contains(&r.lost[0]));
    assert!(!table.contains(&r.lost[1]), "an unchanged finding is listed");

    let csv = text("csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["change", "rule", "severity", "subject", "message"]);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.iter().filter(|r| &r[0] == "new").count() as u64, new_total);
    assert_eq!(records.iter().filter(|r| &r[0] == "resolved").count() as u64, resolved_total);

    let jsonl = text("jsonl");
    let lines: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.iter().filter(|l| l["change"] == "new").count() as u64, new_total);
    assert_eq!(lines.iter().filter(|l| l["change"] == "resolved").count() as u64, resolved_total);

    let junit = text("junit");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let suites = doc.root_element();
    let failed: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("testcase") && n.children().any(|c| c.has_tag_name("failure"))).map(|n| n.attribute("name").unwrap()).collect();
    let expect_failed: Vec<&str> = d["rules"].as_object().unwrap().iter().filter(|(_, c)| c["new"]["error"].as_u64().unwrap() > 0).map(|(r, _)| r.as_str()).collect();
    assert_eq!(failed, expect_failed);
    assert!(failed.contains(&"fossology/file-missing"));
    assert_eq!(suites.attribute("failures"), Some(&*failed.len().to_string()), "{junit}");

    let prom = text("prometheus");
    let sample = regex::Regex::new(r#"^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? \d+$"#).unwrap();
    for line in prom.lines().filter(|l| !l.starts_with('#')) {
        assert!(sample.is_match(line), "not a Prometheus sample: {line}");
    }
    for (part, sev) in [("new", "error"), ("new", "warning"), ("resolved", "error"), ("unchanged", "info")] {
        assert!(prom.lines().any(|l| l == format!("repocheck_findings_{part}{{severity=\"{sev}\"}} {}", n(part, sev))), "{part} {sev}: {prom}");
    }
    assert!(prom.contains("repocheck_rule_findings_new{product=\"fossology\",rule=\"fossology/file-missing\",severity=\"error\"} 1"), "{prom}");

    let html = text("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    for (part, sev) in [("new", "error"), ("resolved", "error"), ("unchanged", "info")] {
        assert!(html.contains(&format!("id=\"{part}-{sev}\" data-n=\"{}\"", n(part, sev))), "{part} {sev}");
    }
    assert!(html.contains("class=\"verdict fail\" data-exit=\"1\""));
    assert!(html.contains("data-rule=\"fossology/file-missing\" data-side=\"new\" data-total=\"1\""));

    // Files, each in the format its name says, from the same run.
    let (page, json) = (r.dir.join("d.html"), r.dir.join("d.json"));
    let out = repocheck().arg("diff").arg(&r.before.0).arg(&r.after.0).arg("--output").arg(&page).arg("--output").arg(&json).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(serde_json::from_slice::<Value>(&std::fs::read(&json).unwrap()).unwrap()["summary"], d["summary"]);
    assert!(std::fs::read_to_string(&page).unwrap().contains("repocheck diff"));
}

#[test]
fn reports_of_schema_1_and_2_are_read() {
    let r = runs();
    assert_eq!(r.after.1["schema"], "repocheck-report/2");
    assert!(r.after.1["plan"].as_array().is_some_and(|p| !p.is_empty()));
    // The same report as /1 wrote it: no plan.
    let mut value = r.after.1.clone();
    value["schema"] = "repocheck-report/1".into();
    value.as_object_mut().unwrap().remove("plan");
    let v1 = r.dir.join("after-v1.json");
    std::fs::write(&v1, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
    let current = json_of(&diff(&["--format", "json"], &r.before.0, &r.after.0));
    let old = json_of(&diff(&["--format", "json"], &r.before.0, &v1));
    assert_eq!(current["after"]["schema"], "repocheck-report/2");
    assert_eq!(old["after"]["schema"], "repocheck-report/1");
    assert_eq!(old["summary"], current["summary"]);
    assert_eq!(old["new"], current["new"]);
    assert_eq!(old["resolved"], current["resolved"]);
    // And the other readers take it too.
    let report = repocheck::engine::report::read_report(&v1).unwrap();
    assert_eq!(report.findings.len(), keys(&r.after.1).len());
    assert!(report.plan.is_empty());
}
