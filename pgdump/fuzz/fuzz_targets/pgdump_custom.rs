//! pg_dump custom-format archives: a real archive's header and TOC followed by any bytes,
//! or any bytes at all, read as an archive; no panic, and an error is one short line
//! without control characters.
#![no_main]
use libfuzzer_sys::fuzz_target;
use repocheck_pgdump::{CopyRow, CopySink, SinkError, read_dump};

struct Count(u64);

impl CopySink for Count {
    fn begin_table(&mut self, _: Option<&str>, _: &str, _: &[String]) -> Result<bool, SinkError> {
        Ok(true)
    }
    fn row(&mut self, row: &CopyRow<'_>) -> Result<(), SinkError> {
        for i in 0..row.len() {
            let _ = row.get_i64(i);
        }
        self.0 += 1;
        Ok(())
    }
    fn end_table(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

const SEED: &[u8] = include_bytes!("../../../testdata/pgdump/custom-z0.dump");

fuzz_target!(|data: &[u8]| {
    // The first byte picks: the seed archive with its tail replaced, or the data alone.
    let input: Vec<u8> = match data.split_first() {
        Some((&k, rest)) if k % 2 == 0 => {
            let keep = (usize::from(k) * SEED.len() / 256).min(SEED.len());
            let mut v = SEED[..keep].to_vec();
            v.extend_from_slice(rest);
            v
        }
        _ => {
            let mut v = b"PGDMP".to_vec();
            v.extend_from_slice(data);
            v
        }
    };
    let path = std::env::temp_dir().join(format!("repocheck-fuzz-custom-{}", std::process::id()));
    if std::fs::write(&path, &input).is_ok()
        && let Err(e) = read_dump(&path, "fossology", &mut Count(0))
    {
        // One line, no control characters, little of the input quoted.
        let msg = format!("{e:#}");
        assert!(!msg.chars().any(char::is_control), "control characters in {msg:?}");
        assert!(msg.len() < path.as_os_str().len() + 1000, "a long message: {msg}");
    }
});
