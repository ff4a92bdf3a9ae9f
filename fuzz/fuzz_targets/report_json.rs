//! Reports read by merge and repair: any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = serde_json::from_slice::<repocheck::engine::report::ReportFile>(data) {
        let _ = repocheck::fossology::repair::Queue::from_report(&report);
    }
});
