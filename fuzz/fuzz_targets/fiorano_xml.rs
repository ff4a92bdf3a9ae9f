//! Fiorano documents from a backup: any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use repocheck::fiorano::model;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(doc) = model::parse(text)
    {
        let _ = model::event_process(&doc);
        let _ = model::service_descriptor(&doc);
        let _ = model::policy_alerts(&doc, &["alert".to_string()]);
    }
});
