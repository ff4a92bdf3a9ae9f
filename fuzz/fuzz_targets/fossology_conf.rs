//! fossology.conf comes from the checked installation: any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((layout, _)) = repocheck::fossology::conf::parse_fossology_conf(&text) {
        for name in ["00", "ff", "403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.35328"] {
            let _ = layout.hosts_for("files", name);
        }
    }
});
