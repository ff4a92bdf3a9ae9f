//! Whole reports of deliberately broken FOSSology installations, snapshotted (as rustic's
//! check tests do): a change in any finding, its message, its repair or the repairs list
//! shows as a diff. The installations are built from real crate archives as FOSSology
//! unpacks them, their database loaded in a real PostgreSQL server.

use assert_cmd::Command;
use repocheck_testkit::fossology::{Case, Object};
use serde_json::Value;

/// The report as text: the summary, each finding (sorted) with its repair, the repairs.
fn render(c: &Case, args: &[&str]) -> String {
    let out = Command::cargo_bin("repocheck")
        .unwrap()
        .args(["check", "fossology", "--format", "json", "--db", &c.db.url(), "--repo"])
        .arg(&c.inst.repo)
        .arg("--conf")
        .arg(c.inst.conf())
        .args(args)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut lines: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let repair = f.get("repair").map(|r| format!("\n    repair: {r}")).unwrap_or_default();
            format!("{} {} {}\n    {}{repair}", f["severity"].as_str().unwrap(), f["rule"].as_str().unwrap(), f["subject"].as_str().unwrap(), f["message"].as_str().unwrap())
        })
        .collect();
    lines.sort();
    let repairs: Vec<String> = report["repairs"].as_array().unwrap().iter().map(|r| r.to_string()).collect();
    let text = format!("exit {}\nsummary {}\n\n{}\n\nrepairs\n{}\n", out.status.code().unwrap_or(-1), report["summary"], lines.join("\n"), repairs.join("\n"));
    text.replace(&c.inst.dir.display().to_string(), "<installation>")
}

fn remove(c: &Case, object_type: &str, name: &str) {
    c.inst.remove_object(object_type, name).unwrap();
}

/// A restore that lost files: a member of one upload, the gold of another (its files copy
/// survives), and everything of a third.
#[test]
fn a_restore_that_lost_files() {
    let c = Case::standard("snap_lost");
    let [a, b, third] = [&c.inst.uploads[0], &c.inst.uploads[1], &c.inst.uploads[2]];
    remove(&c, "files", &a.members[1]);
    remove(&c, "gold", &b.gold);
    remove(&c, "gold", &third.gold);
    remove(&c, "files", &third.gold);
    remove(&c, "files", &third.members[0]);
    insta::assert_snapshot!(render(&c, &[]));
}

/// Damaged content and misplaced objects, at level content.
#[test]
fn damaged_and_misplaced_objects() {
    let c = Case::standard("snap_damaged");
    let a = &c.inst.uploads[0];
    c.inst.truncate_object("files", &a.members[1], 10).unwrap();
    c.inst.corrupt_object("files", &a.members[2]).unwrap();
    let name = &a.members[3];
    let right = c.inst.path_of("files", name);
    let wrong = c.inst.repo.join(format!("localhost/files/{}/{}/{}", &name[0..2], &name[2..4], name));
    std::fs::rename(&right, &wrong).unwrap();
    let stray = Object::of(b"an object no row references");
    let p = c.inst.path_of("files", &stray.name());
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, b"an object no row references").unwrap();
    std::fs::write(c.inst.repo.join("localhost/files/README"), "not an object").unwrap();
    insta::assert_snapshot!(render(&c, &["--level", "content"]));
}

/// What the database side alone shows: a dangling reference, an upload without its tree,
/// and a job still running.
#[test]
fn a_database_out_of_step_with_its_repository() {
    let c = Case::standard("snap_db");
    let [a, b] = [&c.inst.uploads[0], &c.inst.uploads[1]];
    c.db.psql(&format!("UPDATE uploadtree_a SET pfile_fk = 99999 WHERE uploadtree_pk = (SELECT max(uploadtree_pk) FROM uploadtree_a WHERE upload_fk = {})", a.id)).unwrap();
    c.db.psql(&format!("DELETE FROM uploadtree_a WHERE upload_fk = {}", b.id)).unwrap();
    c.db.psql("INSERT INTO jobqueue (jq_job_fk, jq_type, jq_args, jq_starttime) VALUES (1, 'nomos', '1', '2026-11-01 10:00:00+00')").unwrap();
    insta::assert_snapshot!(render(&c, &[]));
}
