//! Reports read by merge, diff and repair: any bytes, no panic — parsed whole, and streamed
//! from a file as merge reads it (with its limit on a string's length).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = serde_json::from_slice::<repocheck::engine::report::ReportFile>(data) {
        let _ = repocheck::fossology::repair::Queue::from_report(&report, &Default::default(), &[]);
    }
    let dir = std::env::temp_dir().join(format!("repocheck-fuzz-report-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("report.json");
    if std::fs::write(&path, data).is_ok() {
        let mut findings = 0u64;
        if let Ok(report) = repocheck::engine::report::stream_report_with(&path, &mut |_| findings += 1, &mut |_| {}) {
            let _ = repocheck::fossology::repair::Queue::from_report(&report, &Default::default(), &[]);
        }
    }
});
