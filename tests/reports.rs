//! The committed example reports and the report schema agree with what the code reads, and
//! the examples are what the code writes (`reports/make-examples.sh`, run again here).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_example_report_is_a_report_the_tool_reads() {
    let report = repocheck::engine::report::read_report(&root().join("reports/example-fossology.json")).unwrap();
    assert_eq!(report.schema, "repocheck-report/2");
    // The plan opens the report: the upload to re-unpack, named by its file.
    assert!(report.plan.iter().any(|u| u.unit == "upload" && u.action.starts_with("re-unpack upload ") && u.title.contains(".crate")), "{:?}", report.plan);
    assert_eq!(report.summary.error as usize, report.findings.iter().filter(|f| f.severity == repocheck::engine::finding::Severity::Error).count());
    let actions: Vec<&str> = report.repairs.iter().map(|r| r.repair.action.as_str()).collect();
    assert!(actions.contains(&"reunpack") && actions.contains(&"move") && actions.contains(&"copy"), "{actions:?}");
    // The repair queue of the example report is what `repair fossology` takes.
    let queue = repocheck::fossology::repair::Queue::from_report(&report, &Default::default(), &[]);
    assert_eq!(queue.reunpacks.len(), 1);
}

#[test]
fn the_schema_names_every_field_the_report_has() {
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root().join("reports/repocheck-report.schema.json")).unwrap()).unwrap();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root().join("reports/example-fossology.json")).unwrap()).unwrap();
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let keys: Vec<&str> = report.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(required, keys);
    let finding_props = schema["$defs"]["finding"]["properties"].as_object().unwrap();
    for f in report["findings"].as_array().unwrap() {
        for k in f.as_object().unwrap().keys() {
            assert!(finding_props.contains_key(k), "{k} not in the schema");
        }
    }
    let actions: Vec<&str> = schema["$defs"]["repair"]["oneOf"].as_array().unwrap().iter().map(|v| v["properties"]["action"]["const"].as_str().unwrap()).collect();
    for a in ["reunpack", "move", "copy", "refetch", "reset-agent-journal", "redeploy", "restore-from-backup"] {
        assert!(actions.contains(&a), "{a}");
    }
}

/// Every file `reports/make-examples.sh` writes.
const EXAMPLES: &[&str] =
    &["example-fossology.json", "example-fossology.xml", "example-fossology.txt", "example-fossology.html", "example-fossology-before.json", "example-diff.json", "example-diff.txt"];

/// What varies from one run of the same input to the next: times and durations.
fn normalize(text: &str) -> String {
    let rules = [
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "<time>"),
        (r#""elapsed_ms":\d+"#, r#""elapsed_ms":0"#),
        (r#" time="[0-9.]+""#, r#" time="0""#),
        (r"bytes hashed in \d+\.\ds", "bytes hashed in 0.0s"),
        (r#"<span class="elapsed">[^<]*</span>"#, r#"<span class="elapsed"></span>"#),
    ];
    let mut text = text.to_string();
    for (pattern, with) in rules {
        text = regex::Regex::new(pattern).unwrap().replace_all(&text, with).into_owned();
    }
    text
}

fn first_difference(a: &str, b: &str) -> String {
    match a.lines().zip(b.lines()).enumerate().find(|(_, (x, y))| x != y) {
        Some((i, (x, y))) => format!("line {}:\n  committed: {x}\n  written:   {y}", i + 1),
        None => format!("{} lines committed, {} written", a.lines().count(), b.lines().count()),
    }
}

#[test]
fn the_committed_examples_are_what_the_code_writes() {
    let out = tempfile::tempdir().unwrap();
    let run = std::process::Command::new("bash").arg(root().join("reports/make-examples.sh")).env("REPOCHECK", env!("CARGO_BIN_EXE_repocheck")).env("OUT", out.path()).output().unwrap();
    assert!(run.status.success(), "make-examples.sh failed: {}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    let mut written: Vec<String> = std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    let mut expected: Vec<String> = EXAMPLES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(written, expected);
    for name in EXAMPLES {
        let committed = normalize(&std::fs::read_to_string(root().join("reports").join(name)).unwrap());
        let fresh = normalize(&std::fs::read_to_string(out.path().join(name)).unwrap());
        assert!(
            committed == fresh,
            "reports/{name} is not what the code writes; regenerate the examples with `cargo build && REPOCHECK=target/debug/repocheck reports/make-examples.sh`\n{}",
            first_difference(&committed, &fresh)
        );
    }
}

#[test]
fn the_example_diff_names_its_reports_and_adds_up() {
    let read = |name: &str| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(root().join("reports").join(name)).unwrap()).unwrap() };
    let diff = read("example-diff.json");
    assert_eq!(diff["schema"], "repocheck-diff/1");
    for (side, file) in [("before", "example-fossology-before.json"), ("after", "example-fossology.json")] {
        assert_eq!(diff[side]["file"], file);
        assert_eq!(diff[side]["started_at"], read(file)["started_at"]);
        assert!(Path::new(&root().join("reports").join(file)).exists());
    }
    for part in ["new", "resolved"] {
        let listed = diff[part].as_array().unwrap();
        let counted: u64 = ["error", "warning", "info"].iter().map(|s| diff["summary"][part][s].as_u64().unwrap()).sum();
        assert_eq!(listed.len() as u64, counted, "{part}");
        assert!(!listed.is_empty(), "the example shows {part} findings");
    }
    let unchanged: u64 = ["error", "warning", "info"].iter().map(|s| diff["summary"]["unchanged"][s].as_u64().unwrap()).sum();
    assert!(unchanged > 0);
    // The diff schema names every top-level field of the example.
    let schema = read("repocheck-diff.schema.json");
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let keys: Vec<&str> = diff.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(required, keys);
}
