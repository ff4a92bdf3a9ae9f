//! The HTML report in a real headless browser (Debian's `chromium`): the page a run writes
//! is loaded from disk, its script runs, and the DOM the browser built is compared with the
//! JSON report of the same run. Without chromium the tests say they are skipped, except
//! under CI (`CI` set), where a missing browser is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn repocheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_repocheck"))
}

/// A subject no browser may take for markup.
const HOSTILE: &str = "<img src=x onerror=\"document.title='pwned'\">&amp;.txt";

/// A copy of the example installation with six member files lost and a stray entry whose
/// name is markup; checked with `--output r.json --output r.html` in one run.
fn broken_run(dir: &Path) -> (PathBuf, Value) {
    let inst = dir.join("inst");
    copy_tree(&root().join("testdata/fossology/example"), &inst);
    let files = inst.join("repository/localhost/files");
    let mut objects: Vec<PathBuf> = walkdir::WalkDir::new(&files).into_iter().map(|e| e.unwrap()).filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
    objects.sort();
    for lost in objects.iter().step_by(7).take(6) {
        std::fs::remove_file(lost).unwrap();
    }
    // One gold lost too: the page has a gold-missing section the filter must hide.
    let gold_dir = inst.join("repository/localhost/gold");
    let mut golds: Vec<PathBuf> = walkdir::WalkDir::new(&gold_dir).into_iter().map(|e| e.unwrap()).filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
    golds.sort();
    std::fs::remove_file(&golds[0]).unwrap();
    std::fs::write(files.join(HOSTILE), b"x").unwrap();
    let out = repocheck()
        .current_dir(&inst)
        .args(["check", "fossology", "--db", "fossology.sql.gz", "--repo", "repository", "--conf", "etc/fossology.conf", "--level", "size"])
        .arg("--output")
        .arg(dir.join("r.json"))
        .arg("--output")
        .arg(dir.join("r.html"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&std::fs::read(dir.join("r.json")).unwrap()).unwrap();
    (dir.join("r.html"), report)
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

/// The browser, or `None` (skipped) when it is not installed and this is not CI.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file())));
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "chromium is not installed, and CI needs it for the HTML report tests (.ci/run installs it)");
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
    }
    found
}

/// Loads `url` headless and returns the DOM after the page's script ran. Fails on any
/// console message of the page (the page logs nothing when it works) and on an uncaught error.
fn dump_dom(browser: &Path, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes beside the wait, so a full pipe never blocks the browser.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish loading {url} in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (dom, log) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.success(), "chromium failed on {url}: {log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "the page logged to the console:\n{}", console.join("\n"));
    assert!(dom.contains("data-script=\"ready\""), "the page's script did not run to its end:\n{dom}");
    dom
}

fn url(path: &Path, fragment: &str) -> String {
    format!("file://{}{fragment}", path.canonicalize().unwrap().display())
}

/// The finding rows of the DOM: (rule section, visible, row html), in document order.
fn rows(dom: &str) -> Vec<(String, bool, String)> {
    let section = Regex::new(r#"<details class="rule"[^>]*data-rule="([^"]*)""#).unwrap();
    let row = Regex::new(r#"(?s)<tr class="finding"([^>]*)>(.*?)</tr>"#).unwrap();
    let mut out = Vec::new();
    let starts: Vec<(usize, String)> = section.captures_iter(dom).map(|c| (c.get(0).unwrap().start(), c[1].to_string())).collect();
    for c in row.captures_iter(dom) {
        let at = c.get(0).unwrap().start();
        let rule = starts.iter().rev().find(|(s, _)| *s < at).map(|(_, r)| r.clone()).unwrap_or_default();
        out.push((rule, !c[1].contains("hidden"), c[2].to_string()));
    }
    out
}

fn number(dom: &str, pattern: &str) -> u64 {
    let re = Regex::new(pattern).unwrap();
    re.captures(dom).unwrap_or_else(|| panic!("{pattern} not in the page")).get(1).unwrap().as_str().parse().unwrap()
}

/// Text as the browser serializes it inside an element.
fn serialized(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[test]
fn the_page_the_browser_builds_holds_the_numbers_of_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let (page, report) = broken_run(dir.path());
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing is fetched.
    for external in ["<link", "<img", "src=\"", "@import", "url(", "href=\"http"] {
        assert!(!html.contains(external), "the page refers to something outside it: {external}");
    }
    let Some(browser) = chromium() else { return };
    let dom = dump_dom(&browser, &url(&page, ""));

    // The verdict and the summary.
    assert_eq!(number(&dom, r#"id="verdict" class="verdict fail" data-exit="(\d+)""#), 1);
    for severity in ["error", "warning", "info"] {
        assert_eq!(number(&dom, &format!(r#"id="summary-{severity}" data-n="(\d+)""#)), report["summary"][severity].as_u64().unwrap(), "{severity}");
    }
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(number(&dom, r#"id="shown-total">(\d+)<"#), findings.len() as u64);
    assert_eq!(number(&dom, r#"id="stat-db-rows">(\d+)<"#), report["stats"]["db_rows"].as_u64().unwrap());

    // Every rule that ran: its count in its section and in the chart, or passed.
    let rules = report["targets"][0]["rules"].as_array().unwrap();
    assert!(rules.len() > 10);
    let all_rows = rows(&dom);
    for rule in rules.iter().map(|r| r.as_str().unwrap()) {
        let n = findings.iter().filter(|f| f["rule"] == rule).count() as u64;
        if n == 0 {
            assert!(dom.contains(&format!(r#"<li class="rule passed" data-rule="{rule}" data-total="0">"#)), "{rule} not shown as passed");
        } else {
            assert_eq!(number(&dom, &format!(r#"data-rule="{rule}" data-side="" data-total="(\d+)""#)), n, "{rule}");
            assert_eq!(number(&dom, &format!(r#"<g class="bar" data-rule="{rule}" data-total="(\d+)""#)), n, "{rule} in the chart");
            assert_eq!(all_rows.iter().filter(|(r, visible, _)| r == rule && *visible).count() as u64, n, "{rule} rows");
        }
    }
    assert!(findings.iter().any(|f| f["rule"] == "fossology/file-missing"));
    for f in findings {
        let subject = f["subject"].as_str().unwrap();
        assert!(dom.contains(&format!("<code>{}</code>", serialized(subject))), "{subject} not in the page");
    }
    // The hostile name is text: no element was made of it and its script never ran.
    assert!(!dom.contains("<img"), "markup from a subject became an element");
    assert!(dom.contains(&serialized(HOSTILE)));
    assert!(dom.contains("<title>repocheck report: fossology</title>"));

    // The plan first, one row per unit, as the JSON report has it.
    let plan = report["plan"].as_array().unwrap();
    assert!(!plan.is_empty());
    assert_eq!(number(&dom, r#"id="plan-units">(\d+)<"#), plan.len() as u64);
    assert_eq!(dom.matches("<tr class=\"unit\"").count(), plan.len());
    for unit in plan {
        assert!(dom.contains(&serialized(unit["title"].as_str().unwrap())), "{unit}");
    }
    assert!(dom.find("id=\"plan\"").unwrap() < dom.find("id=\"repairs\"").unwrap(), "the plan comes first");

    // The repairs, grouped by product and action.
    let reunpacks = report["repairs"].as_array().unwrap().iter().filter(|r| r["action"] == "reunpack").count() as u64;
    assert!(reunpacks > 0);
    assert_eq!(number(&dom, r#"data-product="fossology" data-action="reunpack" data-n="(\d+)""#), reunpacks);
}

#[test]
fn the_filter_and_sort_of_the_page_work_from_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let (page, report) = broken_run(dir.path());
    let Some(browser) = chromium() else { return };
    let findings = report["findings"].as_array().unwrap();
    let text = |f: &Value| {
        let mut t = vec![f["rule"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string(), f["subject"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()];
        if let Some(d) = f.get("details") {
            t.push(d.to_string());
        }
        if let Some(r) = f.get("repair") {
            t.push(r.to_string());
        }
        t.join("\n").to_lowercase()
    };

    // A part of one subject, and words of messages (spaces encoded in the address).
    let missing: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "fossology/file-missing").collect();
    assert!(missing.len() >= 3, "{missing:?}");
    let subject = missing[1]["subject"].as_str().unwrap();
    let needle = &subject[subject.len() - 30..subject.len() - 10];
    let message_words = "re-unpack upload 2";
    let gold_hidden = Regex::new(r#"<details class="rule"[^>]*data-rule="fossology/gold-missing"[^>]*hidden"#).unwrap();
    for (fragment, needle) in [(format!("#filter={needle}"), needle.to_lowercase()), ("#filter=RE-UNPACK%20upload%202".to_string(), message_words.to_string())] {
        let expected = findings.iter().filter(|f| text(f).contains(&needle)).count();
        assert!(expected >= 1, "{needle}");
        assert!(expected < findings.len(), "{needle} matches everything");
        let dom = dump_dom(&browser, &url(&page, &fragment));
        let visible: Vec<String> = rows(&dom).into_iter().filter(|(_, v, _)| *v).map(|(_, _, row)| row).collect();
        assert_eq!(visible.len(), expected, "{fragment}: {visible:?}");
        assert!(visible.iter().all(|row| row.to_lowercase().contains(&serialized(&needle))), "{fragment}");
        assert_eq!(number(&dom, r#"id="shown-total">(\d+)<"#), expected as u64);
        assert!(dom.contains("<body class=\"filtering\">"), "{fragment}");
        // A rule section without a match is hidden.
        let gold_matches = findings.iter().any(|f| f["rule"] == "fossology/gold-missing" && text(f).contains(&needle));
        assert_eq!(gold_hidden.is_match(&dom), !gold_matches, "{fragment}");
    }

    // Sorted by subject, descending, within each rule.
    let dom = dump_dom(&browser, &url(&page, "#sort=subject-desc"));
    let subject_re = Regex::new(r#"<td class="subject"><code>([^<]*)</code>"#).unwrap();
    let shown: Vec<String> = rows(&dom).into_iter().filter(|(r, _, _)| r == "fossology/file-missing").map(|(_, _, row)| subject_re.captures(&row).unwrap()[1].to_string()).collect();
    let mut expected: Vec<String> = missing.iter().map(|f| serialized(f["subject"].as_str().unwrap())).collect();
    expected.sort();
    expected.reverse();
    assert_eq!(shown, expected);
    // As found, the order of the JSON report.
    let dom = dump_dom(&browser, &url(&page, "#sort=found"));
    let shown: Vec<String> = rows(&dom).into_iter().filter(|(r, _, _)| r == "fossology/file-missing").map(|(_, _, row)| subject_re.captures(&row).unwrap()[1].to_string()).collect();
    let found: Vec<String> = missing.iter().map(|f| serialized(f["subject"].as_str().unwrap())).collect();
    assert_eq!(shown, found);
}

/// A rule with more findings than the page inlines: the first 2000 are rows, the rest a
/// count (the findings come from a JSON report put through `merge`).
#[test]
fn a_rule_beyond_the_inline_limit_states_how_many_more_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let limit = repocheck::engine::report::html::INLINE_FINDINGS;
    let n = limit + 345;
    let findings: Vec<Value> = (0..n)
        .map(|i| serde_json::json!({"rule": "fossology/file-missing", "severity": "error", "subject": format!("localhost/files/{i:06}"), "message": "no object in the repository", "details": {"pfile": i}}))
        .collect();
    let report = serde_json::json!({
        "schema": "repocheck-report/1", "tool": {"name": "repocheck", "version": "0"},
        "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z",
        "targets": [{"product": "fossology", "inputs": {"repo": "r"}, "rules": ["fossology/file-missing", "fossology/gold-missing"]}],
        "stats": {"db_rows": 0, "entries_walked": 0, "bytes_hashed": 0, "elapsed_ms": 0},
        "summary": {"error": n, "warning": 0, "info": 0}, "findings": findings, "repairs": []
    });
    std::fs::write(dir.path().join("big.json"), serde_json::to_vec(&report).unwrap()).unwrap();
    let page = dir.path().join("big.html");
    let status = repocheck().arg("merge").arg(dir.path().join("big.json")).arg("--output").arg(&page).status().unwrap();
    assert_eq!(status.code(), Some(1));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<tr class=\"finding\"").count(), limit);
    assert!(html.contains(&format!("data-more=\"{}\">and 345 more: see the JSON report", n - limit)), "no count of the rest");
    let Some(browser) = chromium() else { return };
    let dom = dump_dom(&browser, &url(&page, "#filter=localhost/files/0001"));
    // 000100 to 000199: a hundred of the inlined rows.
    let expected = (0..limit).filter(|i| format!("localhost/files/{i:06}").contains("localhost/files/0001")).count();
    assert_eq!(rows(&dom).iter().filter(|(_, v, _)| *v).count(), expected);
    assert_eq!(number(&dom, r#"data-rule="fossology/file-missing" data-side="" data-total="(\d+)""#), n as u64);
}

/// The page of `repocheck diff` runs its script too, and shows the diff's numbers.
#[test]
fn the_diff_page_shows_the_numbers_of_the_json_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _) = broken_run(dir.path());
    let example = root().join("testdata/fossology/example");
    let before = dir.path().join("before.json");
    let status = repocheck()
        .current_dir(&example)
        .args(["check", "fossology", "--db", "fossology.sql.gz", "--repo", "repository", "--conf", "etc/fossology.conf", "--level", "size", "--output"])
        .arg(&before)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let (page, json) = (dir.path().join("d.html"), dir.path().join("d.json"));
    let status = repocheck().arg("diff").arg(&before).arg(dir.path().join("r.json")).arg("--output").arg(&page).arg("--output").arg(&json).status().unwrap();
    assert_eq!(status.code(), Some(1));
    let diff: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let Some(browser) = chromium() else { return };
    let dom = dump_dom(&browser, &url(&page, ""));
    for part in ["new", "resolved", "unchanged"] {
        for severity in ["error", "warning", "info"] {
            assert_eq!(number(&dom, &format!(r#"id="{part}-{severity}" data-n="(\d+)""#)), diff["summary"][part][severity].as_u64().unwrap(), "{part} {severity}");
        }
    }
    let listed = diff["new"].as_array().unwrap().len() + diff["resolved"].as_array().unwrap().len();
    assert!(listed > 0);
    assert_eq!(rows(&dom).iter().filter(|(_, v, _)| *v).count(), listed);
    assert_eq!(number(&dom, r#"id="shown-total">(\d+)<"#), listed as u64);
    let dom = dump_dom(&browser, &url(&page, "#filter=unexpected"));
    assert_eq!(rows(&dom).iter().filter(|(_, v, _)| *v).count(), 1);
}

/// A restore checked against the manifest of its audit: the page shows the proof's numbers
/// and the manifest rules' counts of the JSON report.
#[test]
fn the_restore_proof_of_a_manifest_is_on_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let inst = dir.path().join("inst");
    copy_tree(&root().join("testdata/fossology/example"), &inst);
    let manifest = dir.path().join("audit.jsonl.gz");
    let check = |extra: &[&std::ffi::OsStr]| {
        repocheck().current_dir(&inst).args(["check", "fossology", "--db", "fossology.sql.gz", "--repo", "repository", "--conf", "etc/fossology.conf", "--quiet"]).args(extra).status().unwrap().code()
    };
    assert_eq!(check(&["--manifest-out".as_ref(), manifest.as_os_str()]), Some(0));
    let files = inst.join("repository/localhost/files");
    let mut objects: Vec<PathBuf> = walkdir::WalkDir::new(&files).into_iter().map(|e| e.unwrap()).filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
    objects.sort();
    std::fs::remove_file(&objects[0]).unwrap();
    std::fs::write(files.join("added-after-the-audit"), b"x").unwrap();
    let (json, page) = (dir.path().join("r.json"), dir.path().join("r.html"));
    assert_eq!(check(&["--against".as_ref(), manifest.as_os_str(), "--output".as_ref(), json.as_os_str(), "--output".as_ref(), page.as_os_str()]), Some(1));
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let against = &report["targets"][0]["scope"]["manifest"]["against"];
    assert!(against["files_compared"].as_u64().unwrap() > 10, "{against}");
    let Some(browser) = chromium() else { return };
    let dom = dump_dom(&browser, &url(&page, ""));
    assert_eq!(number(&dom, r#"id="manifest-files">(\d+)<"#), against["files_compared"].as_u64().unwrap());
    assert_eq!(number(&dom, r#"id="manifest-tables">(\d+)<"#), against["tables_compared"].as_u64().unwrap());
    assert!(dom.contains(&format!("<code>{}</code>", manifest.display())));
    let mut seen = 0;
    for rule in report["targets"][0]["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).filter(|r| r.starts_with("manifest/")) {
        let n = report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).count() as u64;
        assert_eq!(number(&dom, &format!(r#"class="manifest-rule" data-rule="{rule}" data-total="(\d+)""#)), n, "{rule}");
        seen += n;
    }
    assert!(seen >= 2, "the lost and the added file are manifest findings");
}
