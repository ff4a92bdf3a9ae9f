//! pg_dump / pg_dumpall files of any format (plain, gzip/lz4/zstd, custom, tar): any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use repocheck::engine::pgdump::{CopyRow, CopySink, read_dump};

struct Count(u64);

impl CopySink for Count {
    fn begin_table(&mut self, _: Option<&str>, _: &str, _: &[String]) -> anyhow::Result<bool> {
        Ok(true)
    }
    fn row(&mut self, row: &CopyRow<'_>) -> anyhow::Result<()> {
        for i in 0..row.len() {
            let _ = row.get_i64(i);
        }
        self.0 += 1;
        Ok(())
    }
    fn end_table(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("repocheck-fuzz-dump-{}", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        let _ = read_dump(&path, "fossology", &mut Count(0));
    }
});
