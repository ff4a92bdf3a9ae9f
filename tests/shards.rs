//! Shards merged equal one whole run: for random split points of the name space
//! (`--range`), for hosts (`--host`), and for every kind of fault a repository has —
//! missing and damaged objects, objects at the wrong depth, in another shard's directory,
//! on another host, duplicated, upper-cased, unreferenced, and entries that are no objects.
//! The bundled example installation (a real pg_dumpall | gzip and its repository) is
//! broken at random; `repocheck merge` of the shards' reports must say exactly what one
//! whole run says: the same findings, summary and repairs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::Value;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fossology/example")
}

/// What a report says: the findings (a multiset: a finding twice is a defect), summary and
/// repairs, and what it says was checked — the targets with their scope (a merged report's
/// is the union of its shards': no `range` where a whole run has none) and the stats (rows
/// of the database read once, entries walked and objects hashed as one run walks and
/// hashes them; only the time differs, and the share a shard's report has).
type Outcome = (Vec<String>, Value, BTreeSet<String>, Value, Value);

fn outcome(report: &Value) -> Outcome {
    let canon = |v: &Value| serde_json::to_string(&sorted(v)).unwrap();
    let mut findings: Vec<String> = report["findings"].as_array().unwrap().iter().map(canon).collect();
    findings.sort();
    let repairs = report["repairs"].as_array().unwrap().iter().map(canon).collect();
    let mut stats = report["stats"].clone();
    stats.as_object_mut().unwrap().remove("elapsed_ms");
    (findings, report["summary"].clone(), repairs, report["targets"].clone(), stats)
}

/// Keys sorted at every level, so equal findings compare equal whatever their field order.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn check(dir: &Path, extra: &[&str], out: &Path) -> Value {
    let output = Command::cargo_bin("repocheck")
        .unwrap()
        .current_dir(dir)
        .args(["check", "fossology", "--db", example().join("fossology.sql.gz").to_str().unwrap(), "--repo", "repository", "--conf", "etc/fossology.conf", "--quiet", "--output"])
        .arg(out)
        .args(if extra.contains(&"--level") { &[][..] } else { &["--level", "size"][..] })
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.code().is_some_and(|c| c < 2), "{extra:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn merge(reports: &[PathBuf], out: &Path) -> Value {
    let output = Command::cargo_bin("repocheck").unwrap().arg("merge").args(reports).args(["--quiet", "--output"]).arg(out).output().unwrap();
    assert!(output.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

/// The example installation copied into `dir` (repository, configuration).
fn copy_example(dir: &Path) {
    for part in ["repository", "etc"] {
        let status = Process::new("cp").arg("-a").arg(example().join(part)).arg(dir).status().unwrap();
        assert!(status.success());
    }
}

/// Every object file under `repository/<host>/<type>`, sorted (not the scheduler's job logs
/// in `repository/logs`, which has no host level).
fn objects(repo: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    let mut stack: Vec<PathBuf> = std::fs::read_dir(repo).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir() && !p.ends_with("logs")).collect();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                all.push(p);
            }
        }
    }
    all.sort();
    all
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Missing,
    Truncated,
    WrongDepth,
    OtherShardsDirectory,
    Duplicate,
    UpperCase,
    Unreferenced,
    NotAnObject,
    OtherHost,
}

fn fault() -> impl Strategy<Value = (Fault, usize, u8)> {
    let f = prop_oneof![
        Just(Fault::Missing),
        Just(Fault::Truncated),
        Just(Fault::WrongDepth),
        Just(Fault::OtherShardsDirectory),
        Just(Fault::Duplicate),
        Just(Fault::UpperCase),
        Just(Fault::Unreferenced),
        Just(Fault::NotAnObject),
        Just(Fault::OtherHost),
    ];
    (f, any::<usize>(), any::<u8>())
}

/// Applies a fault to the object chosen by `pick` (`byte` picks directories and bytes).
fn apply(repo: &Path, hosts: &[&str], (fault, pick, byte): (Fault, usize, u8)) {
    let all = objects(repo);
    let path = &all[pick % all.len()];
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    let rel = path.strip_prefix(repo).unwrap().to_str().unwrap().to_string();
    let parts: Vec<&str> = rel.split('/').collect();
    let (host, tree) = (parts[0], parts[1]);
    let valid = name.split('.').count() == 3 && name.chars().all(|c| !c.is_ascii_uppercase());
    let pair = format!("{byte:02x}");
    match fault {
        Fault::Missing => std::fs::remove_file(path).unwrap(),
        Fault::Truncated => {
            let len = std::fs::metadata(path).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(path).unwrap().set_len(len / 2).unwrap();
        }
        Fault::WrongDepth if valid => {
            let to = repo.join(format!("{host}/{tree}/{}/{}/{name}", &name[0..2], &name[2..4]));
            std::fs::rename(path, to).unwrap();
        }
        Fault::OtherShardsDirectory if valid => {
            let dir = repo.join(format!("{host}/{tree}/{pair}/{pair}/{pair}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::rename(path, dir.join(&name)).unwrap();
        }
        Fault::Duplicate if valid => {
            let dir = repo.join(format!("{host}/{tree}/{pair}/00/00"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(path, dir.join(&name)).unwrap();
        }
        Fault::UpperCase if valid => std::fs::rename(path, path.with_file_name(name.to_uppercase())).unwrap(),
        Fault::Unreferenced => {
            let bytes = format!("not referenced {pick} {byte}");
            let o = repocheck_testkit::fossology::Object::of(bytes.as_bytes());
            let n = o.name();
            let dir = repo.join(format!("{host}/files/{}/{}/{}", &n[0..2], &n[2..4], &n[4..6]));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(&n), bytes).unwrap();
        }
        Fault::NotAnObject => {
            let dir = repo.join(format!("{host}/{tree}/{pair}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("README"), "not an object").unwrap();
        }
        Fault::OtherHost if valid && hosts.len() > 1 => {
            let other = hosts.iter().find(|h| **h != host).unwrap();
            let to = repo.join(rel.replacen(host, other, 1));
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::rename(path, to).unwrap();
        }
        _ => {}
    }
}

/// Contiguous hex ranges from sorted cut points (as 2 or 4 digits).
fn ranges(cuts: &[u16], digits: usize) -> Vec<String> {
    let max = if digits == 2 { 0xff } else { 0xffff };
    let mut points: Vec<u32> = cuts.iter().map(|c| u32::from(*c) % max).filter(|c| *c > 0).collect();
    points.sort();
    points.dedup();
    let mut out = Vec::new();
    let mut lo = 0u32;
    for p in points.into_iter().chain([max + 1]) {
        out.push(format!("{lo:0digits$x}-{:0digits$x}", p - 1));
        lo = p;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn range_shards_merged_equal_the_whole_run(faults in proptest::collection::vec(fault(), 1..6), cuts in proptest::collection::vec(any::<u16>(), 1..4), four in any::<bool>()) {
        let tmp = tempfile::tempdir().unwrap();
        copy_example(tmp.path());
        for f in &faults {
            apply(&tmp.path().join("repository"), &["localhost"], *f);
        }
        let whole = check(tmp.path(), &[], &tmp.path().join("whole.json"));
        let mut reports = Vec::new();
        for (i, r) in ranges(&cuts, if four { 4 } else { 2 }).iter().enumerate() {
            let out = tmp.path().join(format!("shard-{i}.json"));
            check(tmp.path(), &["--range", r], &out);
            reports.push(out);
        }
        let merged = merge(&reports, &tmp.path().join("merged.json"));
        prop_assert_eq!(outcome(&merged), outcome(&whole), "faults {:?}, ranges {:?}", faults, ranges(&cuts, if four { 4 } else { 2 }));
    }

    #[test]
    fn host_shards_merged_equal_the_whole_run(faults in proptest::collection::vec(fault(), 1..6), cut in 2u8..255) {
        let tmp = tempfile::tempdir().unwrap();
        copy_example(tmp.path());
        // The example split over two hosts at `cut`, as [REPOSITORY] says.
        let repo = tmp.path().join("repository");
        for p in objects(&repo) {
            let rel = p.strip_prefix(&repo).unwrap().to_str().unwrap().to_string();
            let name = p.file_name().unwrap().to_str().unwrap();
            if u8::from_str_radix(&name[0..2], 16).unwrap() >= cut {
                let to = repo.join(rel.replacen("localhost", "hostb", 1));
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::rename(&p, to).unwrap();
            }
        }
        std::fs::create_dir_all(repo.join("hostb/gold")).unwrap();
        std::fs::create_dir_all(repo.join("hostb/files")).unwrap();
        let conf = tmp.path().join("etc/fossology.conf");
        let text = std::fs::read_to_string(&conf).unwrap().replace("localhost[] = * 00 ff", &format!("localhost[] = * 00 {:02x}\nhostb[] = * {cut:02x} ff", cut - 1));
        std::fs::write(&conf, text).unwrap();
        for f in &faults {
            apply(&repo, &["localhost", "hostb"], *f);
        }
        let whole = check(tmp.path(), &[], &tmp.path().join("whole.json"));
        let mut reports = Vec::new();
        for host in ["localhost", "hostb"] {
            let out = tmp.path().join(format!("{host}.json"));
            check(tmp.path(), &["--host", host], &out);
            reports.push(out);
        }
        let merged = merge(&reports, &tmp.path().join("merged.json"));
        prop_assert_eq!(outcome(&merged), outcome(&whole), "faults {:?}, cut {:02x}", faults, cut);
    }
}

/// `--shard K/N` as a runner would use it: N processes at once, each knowing only its
/// index, their reports merged into what one run says.
#[test]
fn n_shards_run_as_separate_processes_in_parallel_merge_into_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example(tmp.path());
    let repo = tmp.path().join("repository");
    for f in [(Fault::OtherShardsDirectory, 3, 0xff), (Fault::Missing, 11, 0), (Fault::WrongDepth, 20, 0), (Fault::Truncated, 33, 0), (Fault::Unreferenced, 5, 9)] {
        apply(&repo, &["localhost"], f);
    }
    let whole = check(tmp.path(), &[], &tmp.path().join("whole.json"));
    assert!(whole["summary"]["error"].as_u64().unwrap() >= 3, "{}", whole["findings"]);
    let n = 4;
    let bin = assert_cmd::cargo::cargo_bin("repocheck");
    let children: Vec<(PathBuf, std::process::Child)> = (1..=n)
        .map(|k| {
            let out = tmp.path().join(format!("shard-{k}.json"));
            let child = Process::new(&bin)
                .current_dir(tmp.path())
                .args(["check", "fossology", "--db", example().join("fossology.sql.gz").to_str().unwrap(), "--repo", "repository", "--conf", "etc/fossology.conf", "--level", "size", "--quiet"])
                .args(["--shard", &format!("{k}/{n}"), "--output"])
                .arg(&out)
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    let mut reports = Vec::new();
    for (out, mut child) in children {
        assert!(child.wait().unwrap().code().is_some_and(|c| c < 2));
        reports.push(out);
    }
    let shard_scope = serde_json::from_str::<Value>(&std::fs::read_to_string(&reports[1]).unwrap()).unwrap()["targets"][0]["scope"]["range"].clone();
    assert_eq!(shard_scope, "4000-7fff");
    // Each shard read the whole database and listed the directories every shard lists: the
    // merge adds up neither.
    let shards: Vec<Value> = reports.iter().map(|r| serde_json::from_str(&std::fs::read_to_string(r).unwrap()).unwrap()).collect();
    assert!(shards.iter().all(|s| s["stats"]["db_rows"] == whole["stats"]["db_rows"]));
    let walked: u64 = shards.iter().map(|s| s["stats"]["entries_walked"].as_u64().unwrap()).sum();
    assert!(walked > whole["stats"]["entries_walked"].as_u64().unwrap(), "{walked}");
    let merged = merge(&reports, &tmp.path().join("merged.json"));
    assert_eq!(outcome(&merged), outcome(&whole));
    assert!(merged["targets"][0]["scope"].get("range").is_none() && merged["targets"].as_array().unwrap().len() == 1, "{}", merged["targets"]);
    // Three of the four: their union, not the first one's range.
    let part = merge(&[reports[0].clone(), reports[1].clone(), reports[3].clone()], &tmp.path().join("part.json"));
    assert_eq!(part["targets"][0]["scope"]["range"], serde_json::json!(["0000-7fff", "c000-ffff"]));
}

/// A cycle of `--subset K/N` content runs re-hashes every object once: merged, the N
/// reports give the content verdict of one whole content run.
#[test]
fn a_cycle_of_subsets_merged_gives_the_whole_content_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example(tmp.path());
    let repo = tmp.path().join("repository");
    // Same size, other bytes: only hashing sees it.
    for p in objects(&repo).into_iter().step_by(7) {
        let mut bytes = std::fs::read(&p).unwrap();
        if let Some(b) = bytes.first_mut() {
            *b ^= 0x55;
        }
        std::fs::write(&p, bytes).unwrap();
    }
    let whole = check(tmp.path(), &["--level", "content"], &tmp.path().join("whole.json"));
    let damaged = whole["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "fossology/content-mismatch").count();
    assert!(damaged >= 5, "{}", whole["findings"]);
    let n = 3;
    let mut reports = Vec::new();
    let mut hashed = 0;
    for k in 1..=n {
        let out = tmp.path().join(format!("subset-{k}.json"));
        let r = check(tmp.path(), &["--level", "content", "--subset", &format!("{k}/{n}")], &out);
        assert_eq!(r["targets"][0]["scope"]["subset"], format!("{k}/{n}"));
        let found = r["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "fossology/content-mismatch").count();
        assert!(found < damaged, "subset {k} saw only its share");
        hashed += r["stats"]["objects_hashed"].as_u64().unwrap();
        reports.push(out);
    }
    assert_eq!(hashed, whole["stats"]["objects_hashed"].as_u64().unwrap(), "each object hashed once in the cycle");
    let merged = merge(&reports, &tmp.path().join("merged.json"));
    assert_eq!(outcome(&merged), outcome(&whole));
}
