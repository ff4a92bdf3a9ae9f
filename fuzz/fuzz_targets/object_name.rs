//! Repository file names: a parsed name must print back as itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use repocheck::fossology::layout::ObjectKey;

fuzz_target!(|data: &[u8]| {
    if let Ok(name) = std::str::from_utf8(data) {
        if let Some(key) = ObjectKey::parse_name(name) {
            assert_eq!(key.name(), name);
        }
        let _ = ObjectKey::parse_name_any_case(name);
        let _ = repocheck::fossology::layout::dir_pairs(name, 3);
    }
});
