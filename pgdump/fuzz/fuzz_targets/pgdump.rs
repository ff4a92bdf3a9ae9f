//! pg_dump / pg_dumpall files of any format (plain COPY or INSERT, gzip/lz4/zstd, custom,
//! tar): any bytes, or a real dump with a stretch of it overwritten (the dump stays whole
//! around the damage, as an edited byte in a backup leaves it). No panic, no hang; an error
//! is one line without control characters that quotes only a little of the input.
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

const SEEDS: [&[u8]; 5] = [
    include_bytes!("../../../testdata/pgdump/plain.sql"),
    include_bytes!("../../../testdata/pgdump/inserts.sql"),
    include_bytes!("../../../testdata/pgdump/rows3.sql"),
    include_bytes!("../../../testdata/pgdump/custom-z0.dump"),
    include_bytes!("../../../testdata/pgdump/tar.tar"),
];

fuzz_target!(|data: &[u8]| {
    // The first byte picks a seed (or none: the bytes alone), the next two where in it the
    // rest of the bytes overwrite it.
    let input: Vec<u8> = match data {
        [k, hi, lo, rest @ ..] if usize::from(*k) % 6 < SEEDS.len() => {
            let seed = SEEDS[usize::from(*k) % 6];
            let at = (usize::from(*hi) << 8 | usize::from(*lo)) * seed.len() / 65536;
            let mut v = seed.to_vec();
            let end = (at + rest.len()).min(v.len());
            v.splice(at..end, rest.iter().copied());
            v
        }
        _ => data.to_vec(),
    };
    let path = std::env::temp_dir().join(format!("repocheck-fuzz-dump-{}", std::process::id()));
    if std::fs::write(&path, &input).is_ok()
        && let Err(e) = read_dump(&path, "fossology", &mut Count(0))
    {
        let msg = format!("{e:#}");
        assert!(!msg.chars().any(char::is_control), "control characters in {msg:?}");
        assert!(msg.len() < path.as_os_str().len() + 1000, "a long message: {msg}");
    }
});
