//! Manifests given to --against: any bytes (plain or gzip-wrapped), no panic; whatever is
//! not a whole, unedited manifest is an error, never entries.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir();
    for (suffix, bytes) in [("raw", data.to_vec()), ("gz", gzip(data))] {
        let path = dir.join(format!("repocheck-fuzz-manifest-{}.{suffix}", std::process::id()));
        if std::fs::write(&path, &bytes).is_ok() {
            if let Ok(mut reader) = repocheck::engine::manifest::ManifestReader::open(&path) {
                while let Ok(Some(_)) = reader.next_entry() {}
            }
            let _ = repocheck::engine::manifest::verify(&path, "fossology");
        }
    }
});

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}
