//! Hubble copydb scripts and restore logs: any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use repocheck::hubble::copydb;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = copydb::parse(&text);
    let _ = copydb::restore_events(data);
    let _ = repocheck::connectware::check::find_backup_id(&text);
});
