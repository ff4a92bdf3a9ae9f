//! INSERT statements as pg_dump writes them (`--inserts`, `--column-inserts`,
//! `--rows-per-insert`): any bytes, no panic; with either string setting.
#![no_main]
use libfuzzer_sys::fuzz_target;
use repocheck_pgdump::inserts::parse_all;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let mut input = if flags & 2 == 0 { b"INSERT INTO public.t VALUES ".to_vec() } else { Vec::new() };
    input.extend_from_slice(rest);
    let _ = parse_all(&input, flags & 1 == 0);
});
