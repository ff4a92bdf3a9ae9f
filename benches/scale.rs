//! The benchmark harness for the scale targets of SPEC §7, timed against baselines in the
//! same run. Not a test: run by hand, results committed under `reports/bench/`.
//!
//! ```sh
//! cargo bench --bench scale                         # 100,000 and 1,000,000 objects
//! cargo bench --bench scale -- --objects 200000     # one size only
//! cargo bench --bench scale -- --objects 100000 --content-only --runs 1   # the read path
//! cargo bench --bench scale -- --objects 1000000 --prepare-only   # build, time nothing
//! ```
//!
//! For each size it builds (once, cached under `target/bench/`) a FOSSology installation:
//! objects with sizes drawn from a skewed distribution (most a few KB, a long tail to MB),
//! named by their real SHA-1/MD5, grouped into uploads with gold archives, the database in a
//! PostgreSQL server the harness starts, and a `pg_dump | gzip` of it. Then it times:
//! - single-core SHA-1, MD5, both, SHA-256 on a buffer in memory: the SHA-1 ceiling is the
//!   cores times the first;
//! - `check --level exists` (live database) against `find <repo> -type f | wc -l`;
//! - `check --level exists` from the dump file against the live database;
//! - at the default digests (SHA-1), on the many-small-files mix (the largest size) and on a
//!   mix of files of megabytes (`--mb-objects`, 1–8 MiB each): `check --level content`
//!   against `find … -print0 | xargs -0 -P<cores> md5sum` and the same with `sha1sum`, warm,
//!   with the fraction of the SHA-1 ceiling reached; with `digests = ["sha1", "md5"]`; cold
//!   (the page cache dropped before each run, as root; skipped with the reason otherwise)
//!   content against md5sum and exists against `find | wc -l`; and on the small mix a
//!   nightly `--subset auto/30` run;
//! - the earlier content mix (`--content-objects`, real skewed sizes): content against
//!   md5sum, and the same with `--manifest-out` (restore proof) against it;
//! - the table digests of a manifest (a check of an empty repository with `--manifest-out`)
//!   against `pg_dump` of the same database;
//! - a custom-format (`pg_dump -Fc`) and a directory-format (`-Fd`) dump against the plain
//!   gzip dump;
//! - two `--shard` processes side by side against one whole run; the peak RSS of a run
//!   whose configuration says the wrong depth; and of merging 16 shard reports;
//! - peak RSS of each run (from `/usr/bin/time`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rayon::prelude::*;
use repocheck_testkit::fossology::SCHEMA;
use repocheck_testkit::postgres::TestServer;

/// A deterministic generator (xorshift64*): the same installation for the same size.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    /// File sizes of source trees: most a few KB, some tens of KB, a long tail to MB; or
    /// (the megabyte mix) 1 to 8 MiB each.
    fn file_size(&mut self, mix: Mix) -> usize {
        let scale_down = match mix {
            Mix::Skewed { scale_down } => scale_down,
            Mix::Megabytes => return (1 << 20) + (self.next() % (7 << 20)) as usize,
        };
        let r = self.next() % 1000;
        let (lo, hi) = match r {
            0..=799 => (200, 8 << 10),
            800..=979 => (8 << 10, 64 << 10),
            980..=998 => (64 << 10, 1 << 20),
            _ => (1 << 20, 8 << 20),
        };
        ((lo + self.next() % (hi - lo)) / scale_down).max(1) as usize
    }
}

/// The sizes of an installation's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    /// Source trees (most files a few KB), sizes divided by `scale_down`.
    Skewed { scale_down: u64 },
    /// Files of megabytes (1–8 MiB).
    Megabytes,
}

impl Mix {
    fn files_per_upload(self) -> u64 {
        match self {
            Mix::Skewed { .. } => 1000,
            Mix::Megabytes => 50,
        }
    }

    fn dir_name(self, objects: u64) -> String {
        match self {
            Mix::Skewed { scale_down } => format!("fossology-{objects}-{scale_down}"),
            Mix::Megabytes => format!("fossology-mb-{objects}"),
        }
    }
}

/// An upload's member objects and its gold: (name, size) each.
type UploadObjects = (Vec<(String, u64)>, (String, u64));

struct Installation {
    repo: PathBuf,
    dump: PathBuf,
    sql: PathBuf,
    objects: u64,
    bytes: u64,
    mix: Mix,
}

fn object_path(repo: &Path, kind: &str, name: &str) -> PathBuf {
    repo.join("localhost").join(kind).join(&name[0..2]).join(&name[2..4]).join(&name[4..6]).join(name)
}

/// Builds (or reuses) an installation of `objects` files objects.
fn build(objects: u64, mix: Mix, server: &TestServer) -> Installation {
    // The dump is made from a database loaded here once; every run loads the SQL into its
    // own server (see `load`).
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench").join(mix.dir_name(objects));
    let repo = dir.join("repository");
    let inst = Installation { repo: repo.clone(), dump: dir.join("fossology.sql.gz"), sql: dir.join("fossology.sql"), objects, bytes: 0, mix };
    let done = dir.join("complete");
    if let Ok(text) = std::fs::read_to_string(&done) {
        return Installation { bytes: text.trim().parse().unwrap_or(0), ..inst };
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&repo).unwrap();
    eprintln!("building {objects} objects in {} …", dir.display());
    let per = mix.files_per_upload();
    let uploads = objects.div_ceil(per);
    // Each upload: a gold archive (its own object) and FILES_PER_UPLOAD member objects.
    let per_upload: Vec<UploadObjects> = (0..uploads)
        .into_par_iter()
        .map(|u| {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (u + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let n = per.min(objects - u * per);
            let mut members = Vec::with_capacity(n as usize);
            let mut buf = Vec::new();
            for _ in 0..n {
                buf.resize(rng.file_size(mix), 0);
                rng.fill(&mut buf);
                members.push(write_object(&repo, "files", &buf));
            }
            buf.resize(64 << 10, 0);
            rng.fill(&mut buf);
            let gold = write_object(&repo, "gold", &buf);
            let files_copy = object_path(&repo, "files", &gold.0);
            std::fs::create_dir_all(files_copy.parent().unwrap()).unwrap();
            let _ = std::fs::hard_link(object_path(&repo, "gold", &gold.0), files_copy);
            (members, gold)
        })
        .collect();
    let mut sql = std::io::BufWriter::new(std::fs::File::create(&inst.sql).unwrap());
    sql.write_all(SCHEMA.as_bytes()).unwrap();
    let mut pfile_pk = 0u64;
    let mut total = 0u64;
    writeln!(sql, "COPY pfile (pfile_pk, pfile_sha1, pfile_md5, pfile_size) FROM stdin;").unwrap();
    let mut ids: Vec<(Vec<u64>, u64)> = Vec::new();
    for (members, gold) in &per_upload {
        let mut m_ids = Vec::new();
        for (name, size) in members.iter().chain(std::iter::once(gold)) {
            pfile_pk += 1;
            total += size;
            let (sha1, rest) = name.split_at(40);
            let md5 = &rest[1..33];
            writeln!(sql, "{pfile_pk}\t{}\t{}\t{size}", sha1.to_uppercase(), md5.to_uppercase()).unwrap();
            m_ids.push(pfile_pk);
        }
        let gold_id = m_ids.pop().unwrap();
        ids.push((m_ids, gold_id));
    }
    writeln!(sql, "\\.\nCOPY upload (upload_pk, upload_filename, user_fk, upload_mode, pfile_fk, upload_origin) FROM stdin;").unwrap();
    for (u, (_, gold)) in ids.iter().enumerate() {
        writeln!(sql, "{}\tupload-{u}.tar.gz\t2\t104\t{gold}\tupload-{u}.tar.gz", u + 1).unwrap();
    }
    writeln!(sql, "\\.\nCOPY uploadtree_a (uploadtree_pk, parent, upload_fk, pfile_fk, ufile_mode, lft, rgt, ufile_name) FROM stdin;").unwrap();
    let mut pk = 0u64;
    for (u, (members, gold)) in ids.iter().enumerate() {
        pk += 1;
        let root = pk;
        let n = members.len() as u64;
        writeln!(sql, "{root}\t\\N\t{}\t{gold}\t{}\t1\t{}\tupload-{u}.tar.gz", u + 1, (1 << 29) | 0o100644, 2 * n + 4).unwrap();
        pk += 1;
        let folder = pk;
        writeln!(sql, "{folder}\t{root}\t{}\t0\t{}\t2\t{}\tsrc", u + 1, (1 << 29) | 0o040755, 2 * n + 3).unwrap();
        for (i, m) in members.iter().enumerate() {
            pk += 1;
            writeln!(sql, "{pk}\t{folder}\t{}\t{m}\t33188\t{}\t{}\tfile-{i}.c", u + 1, 3 + 2 * i, 4 + 2 * i).unwrap();
        }
    }
    writeln!(sql, "\\.\nCOPY job (job_pk, job_name, job_upload_fk, job_user_fk) FROM stdin;").unwrap();
    for u in 0..ids.len() {
        writeln!(sql, "{}\tupload-{u}.tar.gz\t{}\t2", u + 1, u + 1).unwrap();
    }
    writeln!(sql, "\\.\nCOPY jobqueue (jq_pk, jq_job_fk, jq_type, jq_args, jq_starttime, jq_endtime, jq_end_bits) FROM stdin;").unwrap();
    for u in 0..ids.len() {
        writeln!(sql, "{}\t{}\tununpack\t{}\t2026-11-01 10:00:00+00\t2026-11-01 10:01:00+00\t1", u + 1, u + 1, u + 1).unwrap();
    }
    writeln!(sql, "\\.").unwrap();
    drop(sql);
    let db = server.create_database(&format!("bench_{}", mix.dir_name(objects).replace('-', "_"))).unwrap();
    db.psql_file(&inst.sql).unwrap();
    db.pg_dump_gzip(&inst.dump).unwrap();
    std::fs::write(&done, total.to_string()).unwrap();
    Installation { bytes: total, ..inst }
}

fn write_object(repo: &Path, kind: &str, bytes: &[u8]) -> (String, u64) {
    let d = repocheck::engine::hash::hash_reader(bytes).unwrap();
    let name = format!("{}.{}.{}", d.sha1_hex(), d.md5_hex(), d.size);
    let path = object_path(repo, kind, &name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    (name, d.size)
}

/// Wall time and peak RSS of a command.
#[derive(Debug, Clone, Copy)]
struct Measure {
    secs: f64,
    max_rss_kb: i64,
}

fn measure(cmd: &mut Command) -> Measure {
    // Peak RSS through /usr/bin/time: a child forked from this (large) harness would inherit
    // the harness's high-water mark in its own ru_maxrss.
    let mut timed = Command::new("/usr/bin/time");
    timed.args(["-f", "RSS_KB=%M"]).arg(cmd.get_program()).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    let start = Instant::now();
    let out = timed.stdout(Stdio::null()).stderr(Stdio::piped()).output().expect("run /usr/bin/time (Debian package time)");
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().unwrap_or(-1);
    if code > 1 {
        panic!("{cmd:?} exited {code}: {err}");
    }
    let max_rss_kb = err.lines().rev().find_map(|l| l.strip_prefix("RSS_KB=")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    Measure { secs, max_rss_kb }
}

/// The best of `n` runs (the least disturbed by other work on a shared machine).
fn best(n: usize, mut f: impl FnMut() -> Measure) -> Measure {
    let runs: Vec<Measure> = (0..n).map(|_| f()).collect();
    let secs = runs.iter().map(|m| m.secs).fold(f64::INFINITY, f64::min);
    let max_rss_kb = runs.iter().map(|m| m.max_rss_kb).max().unwrap_or(0);
    Measure { secs, max_rss_kb }
}

fn repocheck_bin() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Without the variables cargo sets for this harness: build scripts that watch them
    // (ring's) would otherwise rebuild everything above them each time a build from a shell
    // and one from here alternate.
    let mut build = Command::new(env!("CARGO"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "CARGO_RUSTC_CURRENT_DIR"].iter().any(|p| name.starts_with(p)) {
            build.env_remove(&name);
        }
    }
    let status = build.args(["build", "--release", "--locked", "--bin", "repocheck"]).current_dir(&root).status().unwrap();
    assert!(status.success());
    root.join("target/release/repocheck")
}

fn main() {
    let mut sizes: Vec<u64> = Vec::new();
    let mut content_objects = 100_000u64;
    let mut mb_objects = 1_000u64;
    let mut runs = 3usize;
    let mut skip_scale = false;
    let mut cold_max = 100_000u64;
    let mut prepare_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--objects" => sizes.push(args.next().and_then(|v| v.parse().ok()).expect("--objects N")),
            "--content-objects" => content_objects = args.next().and_then(|v| v.parse().ok()).expect("--content-objects N"),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--mb-objects" => mb_objects = args.next().and_then(|v| v.parse().ok()).expect("--mb-objects N"),
            // Only the content measurements (while iterating on the read path).
            "--content-only" => skip_scale = true,
            // Cold-cache runs read every file from the disk: only on installations of at most
            // this many objects (0: none).
            "--cold-max-objects" => cold_max = args.next().and_then(|v| v.parse().ok()).expect("--cold-max-objects N"),
            // Build (or find cached) the installations and stop: nothing is timed, so a
            // later run on a quiet machine spends its time measuring.
            "--prepare-only" => prepare_only = true,
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    if sizes.is_empty() {
        sizes = vec![100_000, 1_000_000];
    }
    if prepare_only {
        let server = TestServer::start().expect("a PostgreSQL server for the benchmark");
        for &objects in &sizes {
            build(objects, Mix::Skewed { scale_down: 8 }, &server);
        }
        build(mb_objects, Mix::Megabytes, &server);
        println!("installations ready under target/bench/");
        return;
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let bin = repocheck_bin();
    let server = TestServer::start().expect("a PostgreSQL server for the benchmark");
    let mut results = Vec::new();
    let mut table = String::new();
    // The SHA-1 ceiling: what the cores could hash if they did nothing else.
    let speeds = hash_speeds();
    println!(
        "single core, in memory: SHA-1 {:.2} GB/s, MD5 {:.2} GB/s, SHA-1 + MD5 {:.2} GB/s, SHA-256 {:.2} GB/s; SHA-1 ceiling {cores} × {:.2} = {:.2} GB/s",
        speeds.sha1,
        speeds.md5,
        speeds.sha1_md5,
        speeds.sha256,
        speeds.sha1,
        cores as f64 * speeds.sha1
    );
    results.push(serde_json::json!({
        "single_core_gb_s": {"sha1": speeds.sha1, "md5": speeds.md5, "sha1_md5": speeds.sha1_md5, "sha256": speeds.sha256},
        "sha1_ceiling_gb_s": cores as f64 * speeds.sha1,
    }));
    let cold = drop_caches();
    if let Err(why) = &cold {
        println!("cold-cache runs skipped: {why}");
    }
    let cold_for = |objects: u64| match &cold {
        Err(why) => Err(why.clone()),
        Ok(()) if objects > cold_max => Err(format!("not run at {objects} objects (--cold-max-objects {cold_max}: every cold run reads each file from the disk)")),
        Ok(()) => Ok(()),
    };
    for &objects in &sizes {
        let largest = Some(&objects) == sizes.iter().max();
        if skip_scale {
            // The small-file content mix still needs the installation.
            let inst = build(objects, Mix::Skewed { scale_down: 8 }, &server);
            let (db, _) = load(&server, &inst);
            results.push(content_mix("small files", &inst, &db, &bin, cores, runs, speeds.sha1, &cold_for(objects), largest));
            continue;
        }
        // At scale the sizes are scaled down 8× to keep the disk use sane; names stay real.
        let inst = build(objects, Mix::Skewed { scale_down: 8 }, &server);
        let (db, dbname) = load(&server, &inst);
        // Warm the page cache and the server once.
        let _ = measure(Command::new("sh").arg("-c").arg(format!("find '{}' -type f | wc -l", inst.repo.display())));
        let find = best(runs, || measure(Command::new("sh").arg("-c").arg(format!("find '{}' -type f | wc -l", inst.repo.display()))));
        let check = |db: &str, level: &str| {
            let mut c = Command::new(&bin);
            c.args(["check", "fossology", "--quiet", "--db", db, "--repo"]).arg(&inst.repo).args(["--level", level]);
            c
        };
        let _ = measure(&mut check(&db, "exists"));
        let live = best(runs, || measure(&mut check(&db, "exists")));
        let dump = best(runs, || measure(&mut check(&inst.dump.display().to_string(), "exists")));
        let _ = writeln!(
            table,
            "{objects:>9} objects  find|wc {:>7.2}s  exists(live) {:>7.2}s = {:>4.2}× find (target ≤ 1.5)  exists(dump) {:>7.2}s = {:>4.2}× live  RSS live {:>5} MB, dump {:>5} MB (target ≤ 200 at 1M)",
            find.secs,
            live.secs,
            live.secs / find.secs,
            dump.secs,
            dump.secs / live.secs,
            live.max_rss_kb / 1024,
            dump.max_rss_kb / 1024
        );
        // The archive formats, made by the server's own pg_dump from the same database.
        let custom = inst.dump.with_file_name("fossology.custom.dump");
        let directory = inst.dump.with_file_name("fossology.dir");
        let pg_dump = |args: &[&str]| {
            let mut c = Command::new(server.bin().join("pg_dump"));
            c.arg("-h").arg(server.socket_dir()).args(["-p", &server.port().to_string(), "-U", "postgres"]).args(args).arg(&dbname);
            c
        };
        if !custom.exists() {
            assert!(pg_dump(&["-Fc", "-f", custom.to_str().unwrap()]).status().unwrap().success());
        }
        if !directory.exists() {
            assert!(pg_dump(&["-Fd", "-f", directory.to_str().unwrap()]).status().unwrap().success());
        }
        let from_custom = best(runs, || measure(&mut check(&custom.display().to_string(), "exists")));
        let from_directory = best(runs, || measure(&mut check(&directory.display().to_string(), "exists")));
        // Table digests: every table of the database, nothing of the repository to walk; the
        // same check without a manifest is taken off, what is left is the digests' cost.
        let empty = tempfile::tempdir().unwrap();
        let manifest = empty.path().join("m.gz");
        let with_digests = best(runs, || measure(Command::new(&bin).args(["check", "fossology", "--quiet", "--db", &db, "--repo"]).arg(empty.path()).arg("--manifest-out").arg(&manifest)));
        let without_digests = best(runs, || measure(Command::new(&bin).args(["check", "fossology", "--quiet", "--db", &db, "--repo"]).arg(empty.path())));
        let digests = Measure { secs: (with_digests.secs - without_digests.secs).max(0.0), max_rss_kb: with_digests.max_rss_kb };
        let dumped = best(runs, || measure(&mut pg_dump(&[])));
        // Two shards side by side, as two runners would, against one whole run.
        let shards = best(runs, || {
            let start = Instant::now();
            let children: Vec<_> = ["1/2", "2/2"]
                .iter()
                .map(|k| Command::new(&bin).args(["check", "fossology", "--quiet", "--db", &db, "--repo"]).arg(&inst.repo).args(["--shard", k]).stdout(Stdio::null()).spawn().unwrap())
                .collect();
            for mut c in children {
                assert!(c.wait().unwrap().code().is_some_and(|c| c < 2));
            }
            Measure { secs: start.elapsed().as_secs_f64(), max_rss_kb: 0 }
        });
        // A configuration that says depth 2 for a repository at depth 3: every object is
        // misplaced; the run says so once and its memory stays flat.
        let conf = empty.path().join("fossology.conf");
        std::fs::write(&conf, "[FOSSOLOGY]\ndepth = 2\n[REPOSITORY]\nlocalhost[] = * 00 ff\n").unwrap();
        let wrong_depth = best(1, || measure(check(&db, "exists").arg("--conf").arg(&conf)));
        // The same, each object reported on its own (layout-mismatch never summarizes).
        let rules = tempfile::tempdir().unwrap();
        std::fs::write(rules.path().join("fossology.toml"), repocheck::fossology::RULES_TOML.replace("min_objects = 1000,", "min_objects = 1000000000,")).unwrap();
        let wrong_depth_each = best(1, || measure(check(&db, "exists").arg("--conf").arg(&conf).arg("--rules").arg(rules.path())));
        // 16 shard reports merged: with every object misplaced, a finding each.
        let reports: Vec<PathBuf> = (1..=16)
            .map(|k| {
                let out = empty.path().join(format!("shard-{k}.json"));
                let status = Command::new(&bin)
                    .args(["check", "fossology", "--quiet", "--db", &db, "--repo"])
                    .arg(&inst.repo)
                    .arg("--conf")
                    .arg(&conf)
                    .arg("--rules")
                    .arg(rules.path())
                    .args(["--shard", &format!("{k}/16"), "--output"])
                    .arg(&out)
                    .status()
                    .unwrap();
                assert!(status.code().is_some_and(|c| c < 2));
                out
            })
            .collect();
        let merged = best(1, || measure(Command::new(&bin).args(["merge", "--quiet", "--output"]).arg(empty.path().join("merged.json")).args(&reports)));
        let _ = writeln!(
            table,
            "{objects:>9} objects  custom dump {:>6.2}s = {:.2}× gzip dump (target ≤ 1.3)  directory dump {:>6.2}s = {:.2}×  table digests {:>6.2}s = {:.2}× pg_dump (target ≤ 1.5)\n{objects:>9} objects  2 shards side by side {:>6.2}s = {:.2}× whole  wrong depth RSS {} MB (each object reported: {} MB)  merge of 16 shards {:>6.2}s, RSS {} MB",
            from_custom.secs,
            from_custom.secs / dump.secs,
            from_directory.secs,
            from_directory.secs / dump.secs,
            digests.secs,
            digests.secs / dumped.secs,
            shards.secs,
            shards.secs / live.secs,
            wrong_depth.max_rss_kb / 1024,
            wrong_depth_each.max_rss_kb / 1024,
            merged.secs,
            merged.max_rss_kb / 1024
        );
        results.push(serde_json::json!({
            "objects": objects, "bytes": inst.bytes,
            "find_wc_s": find.secs, "exists_live_s": live.secs, "exists_dump_s": dump.secs,
            "ratio_exists_vs_find": live.secs / find.secs, "ratio_dump_vs_live": dump.secs / live.secs,
            "rss_live_mb": live.max_rss_kb / 1024, "rss_dump_mb": dump.max_rss_kb / 1024,
            "exists_custom_dump_s": from_custom.secs, "ratio_custom_vs_gzip_dump": from_custom.secs / dump.secs,
            "exists_directory_dump_s": from_directory.secs, "ratio_directory_vs_gzip_dump": from_directory.secs / dump.secs,
            "table_digests_s": digests.secs, "pg_dump_s": dumped.secs, "ratio_table_digests_vs_pg_dump": digests.secs / dumped.secs,
            "two_shards_parallel_s": shards.secs, "ratio_two_shards_vs_whole": shards.secs / live.secs,
            "rss_wrong_depth_mb": wrong_depth.max_rss_kb / 1024, "wrong_depth_s": wrong_depth.secs,
            "rss_wrong_depth_each_object_mb": wrong_depth_each.max_rss_kb / 1024, "wrong_depth_each_object_s": wrong_depth_each.secs,
            "check_without_digests_s": without_digests.secs, "check_with_digests_s": with_digests.secs,
            "merge_16_shards_s": merged.secs, "rss_merge_16_shards_mb": merged.max_rss_kb / 1024,
        }));
        print!("{table}");
        table.clear();
        // The many-small-files mix: this installation (the nightly subset at the largest size).
        results.push(content_mix("small files", &inst, &db, &bin, cores, runs, speeds.sha1, &cold_for(objects), largest));
    }
    // Files of megabytes.
    let mb = build(mb_objects, Mix::Megabytes, &server);
    let (mb_db, _) = load(&server, &mb);
    results.push(content_mix("megabyte files", &mb, &mb_db, &bin, cores, runs, speeds.sha1, &cold_for(0), false));
    // Content: real file sizes (no scaling), fewer objects — the mix of earlier runs
    // (`--content-objects 0` leaves it out).
    if content_objects > 0 {
        let inst = build(content_objects, Mix::Skewed { scale_down: 1 }, &server);
        let (db, _) = load(&server, &inst);
        let md5sum = format!("find '{}' -type f -print0 | xargs -0 -P{cores} -n 256 md5sum > /dev/null", inst.repo.join("localhost/files").display());
        let _ = measure(Command::new("sh").arg("-c").arg(&md5sum));
        let base = best(runs, || measure(Command::new("sh").arg("-c").arg(&md5sum)));
        let content = best(runs, || measure(Command::new(&bin).args(["check", "fossology", "--quiet", "--level", "content", "--db", &db, "--repo"]).arg(&inst.repo)));
        // Every digest of the name (SHA-1 and MD5), the complete check a site may ask for.
        let rules = both_digests_rules();
        let both = best(runs, || measure(Command::new(&bin).args(["check", "fossology", "--quiet", "--level", "content", "--rules"]).arg(rules.path()).args(["--db", &db, "--repo"]).arg(&inst.repo)));
        // Restore proof: the same content check recording a manifest.
        let manifest_dir = tempfile::tempdir().unwrap();
        let with_manifest = best(runs, || {
            measure(Command::new(&bin).args(["check", "fossology", "--quiet", "--level", "content", "--db", &db, "--repo"]).arg(&inst.repo).arg("--manifest-out").arg(manifest_dir.path().join("m.gz")))
        });
        println!("{content_objects:>9} objects  check --level content --manifest-out {:>6.2}s = {:.2}× without (target ≤ 1.15)", with_manifest.secs, with_manifest.secs / content.secs);
        let gb = inst.bytes as f64 / 1e9;
        println!("{content_objects:>9} objects  check --level content, digests = [sha1, md5] {:>6.2}s = {:.2} GB/s = {:.2}× md5sum", both.secs, gb / both.secs, base.secs / both.secs);
        let line = format!(
            "{content_objects:>9} objects, {:.2} GB  md5sum -P{cores} {:>6.2}s = {:.2} GB/s  check --level content (digests = [sha1]) {:>6.2}s = {:.2} GB/s = {:.2}× md5sum  RSS {} MB",
            gb,
            base.secs,
            gb / base.secs,
            content.secs,
            gb / content.secs,
            base.secs / content.secs,
            content.max_rss_kb / 1024
        );
        println!("{line}");
        results.push(serde_json::json!({
            "content_objects": content_objects, "bytes": inst.bytes, "cores": cores,
            "md5sum_s": base.secs, "content_s": content.secs,
            "md5sum_gb_s": gb / base.secs, "content_gb_s": gb / content.secs, "ratio_content_vs_md5sum": base.secs / content.secs,
            "content_sha1_md5_s": both.secs, "ratio_sha1_md5_vs_md5sum": base.secs / both.secs,
            "rss_content_mb": content.max_rss_kb / 1024,
            "content_manifest_s": with_manifest.secs, "ratio_manifest_vs_content": with_manifest.secs / content.secs,
        }));
    }
    let out_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reports/bench");
    std::fs::create_dir_all(&out_dir).unwrap();
    let stamp = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let file = out_dir.join(format!("{}.json", stamp.replace(':', "-").split('.').next().unwrap()));
    let report = serde_json::json!({"when": stamp, "cores": cores, "runs": runs, "results": results, "machine": machine()});
    std::fs::write(&file, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("written: {}", file.display());
}

/// A rules directory whose `fossology/content-mismatch` checks SHA-1 and MD5.
fn both_digests_rules() -> tempfile::TempDir {
    let rules = tempfile::tempdir().unwrap();
    let toml = repocheck::fossology::RULES_TOML.replace("params = { digests = [\"sha1\"] }", "params = { digests = [\"sha1\", \"md5\"] }");
    assert!(toml.contains("\"sha1\", \"md5\""), "the bundled rules no longer say digests = [\"sha1\"]");
    std::fs::write(rules.path().join("fossology.toml"), toml).unwrap();
    rules
}

/// Single-core throughput of the digests on a buffer in memory (GB/s), best of three.
struct Speeds {
    sha1: f64,
    md5: f64,
    sha1_md5: f64,
    sha256: f64,
}

fn hash_speeds() -> Speeds {
    use repocheck::engine::hash::{Which, hash_reader_with};
    let mut buf = vec![0u8; 256 << 20];
    Rng(7).fill(&mut buf);
    let speed = |which: Which| {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                let d = hash_reader_with(&buf[..], which).unwrap();
                assert_eq!(d.size, buf.len() as u64);
                buf.len() as f64 / 1e9 / start.elapsed().as_secs_f64()
            })
            .fold(0.0, f64::max)
    };
    Speeds {
        sha1: speed(Which { sha1: true, md5: false, sha256: false }),
        md5: speed(Which { sha1: false, md5: true, sha256: false }),
        sha1_md5: speed(Which { sha1: true, md5: true, sha256: false }),
        sha256: speed(Which { sha1: false, md5: false, sha256: true }),
    }
}

/// Empties the page cache (as root: `sync`, then `echo 3 > /proc/sys/vm/drop_caches`), or
/// says why it cannot.
fn drop_caches() -> Result<(), String> {
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3\n").map_err(|e| format!("cannot drop the page cache (echo 3 > /proc/sys/vm/drop_caches: {e}; it needs root)"))
}

/// One run with a cold page cache.
fn cold_run(cmd: &mut Command) -> Measure {
    drop_caches().expect("the page cache was dropped before");
    measure(cmd)
}

/// The content measurements on one installation: warm against `md5sum` and `sha1sum` (in
/// parallel over the cores, as xargs runs them), the fraction of the SHA-1 ceiling reached,
/// both digests of the name, cold-cache runs of content and exists against `md5sum` and
/// `find` run cold the same way, and (`subset`) a nightly `--subset auto/30` run.
#[allow(clippy::too_many_arguments)]
fn content_mix(mix: &str, inst: &Installation, db: &str, bin: &Path, cores: usize, runs: usize, sha1_core_gb_s: f64, cold: &Result<(), String>, subset: bool) -> serde_json::Value {
    let files = inst.repo.join("localhost/files");
    let sum = |tool: &str| format!("find '{}' -type f -print0 | xargs -0 -P{cores} -n 256 {tool} > /dev/null", files.display());
    let find = format!("find '{}' -type f | wc -l", inst.repo.display());
    let sh = |script: &str| {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    };
    let check = |level: &str, extra: &[&str]| {
        let mut c = Command::new(bin);
        c.args(["check", "fossology", "--quiet", "--db", db, "--repo"]).arg(&inst.repo).args(["--level", level]).args(extra);
        c
    };
    // Warm the page cache.
    let _ = measure(&mut sh(&sum("md5sum")));
    let _ = measure(&mut check("content", &[]));
    let md5sum = best(runs, || measure(&mut sh(&sum("md5sum"))));
    let sha1sum = best(runs, || measure(&mut sh(&sum("sha1sum"))));
    let content = best(runs, || measure(&mut check("content", &[])));
    let rules = both_digests_rules();
    let both = best(runs, || measure(check("content", &[]).arg("--rules").arg(rules.path())));
    let gb = inst.bytes as f64 / 1e9;
    let ceiling = cores as f64 * sha1_core_gb_s;
    let n = inst.objects;
    println!(
        "{mix}: {n} objects, {gb:.2} GB  warm: content {:.2}s = {:.2} GB/s = {:.2}× md5sum -P{cores} ({:.2}s), {:.2}× sha1sum ({:.2}s) (target ≥ 2.0), {:.0}% of the SHA-1 ceiling ({ceiling:.2} GB/s); digests = [sha1, md5] {:.2}s = {:.2}× md5sum; RSS {} MB",
        content.secs,
        gb / content.secs,
        md5sum.secs / content.secs,
        md5sum.secs,
        sha1sum.secs / content.secs,
        sha1sum.secs,
        100.0 * gb / content.secs / ceiling,
        both.secs,
        md5sum.secs / both.secs,
        content.max_rss_kb / 1024
    );
    let mut out = serde_json::json!({
        "mix": mix, "objects": n, "bytes": inst.bytes, "cores": cores, "digests": ["sha1"],
        "md5sum_s": md5sum.secs, "sha1sum_s": sha1sum.secs, "content_s": content.secs, "content_gb_s": gb / content.secs,
        "ratio_content_vs_md5sum": md5sum.secs / content.secs, "ratio_content_vs_sha1sum": sha1sum.secs / content.secs,
        "sha1_ceiling_gb_s": ceiling, "fraction_of_sha1_ceiling": gb / content.secs / ceiling,
        "content_sha1_md5_s": both.secs, "ratio_sha1_md5_vs_md5sum": md5sum.secs / both.secs,
        "rss_content_mb": content.max_rss_kb / 1024,
    });
    if subset {
        let exists = best(runs, || measure(&mut check("exists", &[])));
        let size = best(runs, || measure(&mut check("size", &[])));
        let nightly = best(runs, || measure(&mut check("content", &["--subset", "auto/30"])));
        println!(
            "{mix}: {n} objects  nightly --subset auto/30 {:.2}s = {:.2}× the full content run, {:.2}× --level size ({:.2}s), {:.2}× exists ({:.2}s); RSS {} MB; a 30-night cycle {:.0}s",
            nightly.secs,
            nightly.secs / content.secs,
            nightly.secs / size.secs,
            size.secs,
            nightly.secs / exists.secs,
            exists.secs,
            nightly.max_rss_kb / 1024,
            30.0 * nightly.secs
        );
        let o = out.as_object_mut().unwrap();
        o.insert("exists_warm_s".into(), exists.secs.into());
        o.insert("size_warm_s".into(), size.secs.into());
        o.insert("subset_auto_30_s".into(), nightly.secs.into());
        o.insert("ratio_subset_vs_content".into(), (nightly.secs / content.secs).into());
        o.insert("rss_subset_mb".into(), (nightly.max_rss_kb / 1024).into());
    }
    match cold {
        Err(why) => {
            println!("{mix}: {n} objects  cold: {why}");
            out.as_object_mut().unwrap().insert("cold_skipped".into(), why.clone().into());
        }
        Ok(()) => {
            // One run each: every one reads the installation from the disk.
            let md5sum = cold_run(&mut sh(&sum("md5sum")));
            let content = cold_run(&mut check("content", &[]));
            let find = cold_run(&mut sh(&find));
            let exists = cold_run(&mut check("exists", &[]));
            println!(
                "{mix}: {n} objects  cold: content {:.2}s = {:.2} GB/s = {:.2}× md5sum ({:.2}s); exists {:.2}s = {:.2}× find | wc -l ({:.2}s) (target ≤ 0.5); RSS {} MB",
                content.secs,
                gb / content.secs,
                md5sum.secs / content.secs,
                md5sum.secs,
                exists.secs,
                exists.secs / find.secs,
                find.secs,
                content.max_rss_kb.max(exists.max_rss_kb) / 1024
            );
            let o = out.as_object_mut().unwrap();
            o.insert("cold_md5sum_s".into(), md5sum.secs.into());
            o.insert("cold_content_s".into(), content.secs.into());
            o.insert("cold_ratio_content_vs_md5sum".into(), (md5sum.secs / content.secs).into());
            o.insert("cold_find_wc_s".into(), find.secs.into());
            o.insert("cold_exists_s".into(), exists.secs.into());
            o.insert("cold_ratio_exists_vs_find".into(), (exists.secs / find.secs).into());
            o.insert("cold_rss_mb".into(), (content.max_rss_kb.max(exists.max_rss_kb) / 1024).into());
        }
    }
    out
}

/// Loads the installation's SQL into this run's server (each run starts its own); returns
/// the database's URL and name.
fn load(server: &TestServer, inst: &Installation) -> (String, String) {
    let db = server.create_database(&format!("load_{}", inst.mix.dir_name(inst.objects).replace('-', "_"))).unwrap();
    db.psql_file(&inst.sql).unwrap();
    db.psql("VACUUM ANALYZE").unwrap();
    (db.url(), db.name.clone())
}

fn machine() -> serde_json::Value {
    let cpu =
        std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default().lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()).unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default().lines().next().unwrap_or_default().to_string();
    serde_json::json!({"cpu": cpu, "memory": mem})
}
