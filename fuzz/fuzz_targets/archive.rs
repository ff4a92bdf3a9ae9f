//! Backup archives (gzip + tar) for Connectware and Hubble: any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("repocheck-fuzz-archive-{}.tgz", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        let _ = repocheck::engine::archive::list(&path, &|name| name.ends_with(".json"));
    }
});
