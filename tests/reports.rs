//! The committed example reports and the report schema agree with what the code reads.

use std::path::PathBuf;

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
    assert!(actions.contains(&"reunpack") && actions.contains(&"move") && actions.contains(&"link"), "{actions:?}");
    // The repair queue of the example report is what `repair fossology` takes.
    let queue = repocheck::fossology::repair::Queue::from_report(&report);
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
    for a in ["reunpack", "move", "link", "refetch", "reset-agent-journal", "redeploy", "restore-from-backup"] {
        assert!(actions.contains(&a), "{a}");
    }
}
