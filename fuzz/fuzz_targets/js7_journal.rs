//! JS7 journal files from a backup: any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use repocheck::js7::journal::{JournalFile, read};
use repocheck::js7::state::ControllerState;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("repocheck-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("controller--0.journal");
    if std::fs::write(&path, data).is_ok() {
        let mut state = ControllerState::default();
        let _ = read(&JournalFile { path: path.clone(), name: "controller--0.journal".into(), file_event_id: 0 }, &mut state);
    }
});
