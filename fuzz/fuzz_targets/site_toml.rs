//! Site and rule files are TOML from the installation's operators: any bytes, no panic, and
//! an error is one short line naming where it is, quoting no control character and no more
//! than an excerpt.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = toml::from_str::<toml::Table>(&text) {
        let message = repocheck::engine::escape::toml_error(&text, &e);
        assert!(!message.chars().any(char::is_control), "{message:?}");
        assert!(message.chars().count() < 600, "{message:?}");
    }
});
