//! `repocheck check js7` on state directories written in the documented journal format: a
//! consistent Controller/Agent pair, and each restore the vendor warns about.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use repocheck_testkit::js7::{Scenario, joc_newer_sql, joc_older_sql, joc_sql};
use repocheck_testkit::postgres::shared;
use serde_json::Value;

struct Dirs {
    _tmp: tempfile::TempDir,
    controller: PathBuf,
    agent: PathBuf,
    root: PathBuf,
}

fn write(s: &Scenario) -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    let controller = tmp.path().join("controller/state");
    let agent = tmp.path().join("agent-1/state");
    s.write_controller(&controller);
    s.write_agent(&agent);
    let root = tmp.path().to_path_buf();
    Dirs { _tmp: tmp, controller, agent, root }
}

struct Run {
    code: i32,
    report: Value,
    stderr: String,
}

impl Run {
    fn of(&self, rule: &str) -> Vec<&Value> {
        self.report["findings"].as_array().map(|a| a.iter().filter(|f| f["rule"] == rule).collect()).unwrap_or_default()
    }
    fn rules(&self) -> BTreeSet<String> {
        self.report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
    }
}

fn run(d: &Dirs, extra: &[&str]) -> Run {
    let out = Command::cargo_bin("repocheck")
        .unwrap()
        .args(["check", "js7", "--format", "json", "--controller"])
        .arg(&d.controller)
        .arg("--agent")
        .arg(format!("agent-1={}", d.agent.display()))
        .args(extra)
        .output()
        .unwrap();
    Run { code: out.status.code().unwrap_or(-1), report: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

fn journals(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "journal")).collect();
    v.sort_by_key(|p| p.file_name().unwrap().to_str().unwrap().split("--").nth(1).unwrap().trim_end_matches(".journal").parse::<i64>().unwrap());
    v
}

#[test]
fn a_consistent_pair_has_no_findings() {
    let d = write(&Scenario::healthy());
    let r = run(&d, &[]);
    assert_eq!(r.code, 0, "{} {}", r.report["findings"], r.stderr);
    assert!(r.report["findings"].as_array().unwrap().is_empty(), "{}", r.report["findings"]);
    // The data directory (the parent of state/) is accepted too.
    let out = Command::cargo_bin("repocheck").unwrap().args(["check", "js7", "--format", "json", "--controller"]).arg(d.controller.parent().unwrap()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn an_agent_restored_from_an_older_copy_is_behind_the_controller() {
    let d = write(&Scenario::healthy());
    // The older copy: the Agent's newest file is gone.
    std::fs::remove_file(journals(&d.agent).pop().unwrap()).unwrap();
    let r = run(&d, &[]);
    let f = r.of("js7/agent-behind-controller");
    assert_eq!(f.len(), 1, "{}", r.report["findings"]);
    assert_eq!(f[0]["subject"], "agent agent-1");
    assert_eq!(f[0]["repair"], serde_json::json!({"action": "reset-agent-journal", "agent": "agent-1", "state_dir": d.agent.display().to_string()}));
    assert_eq!(f[0]["details"]["controller_agent_event_id"], Scenario::healthy().observed());
    let message = f[0]["message"].as_str().unwrap();
    assert!(message.contains("stop the Agent, empty") && message.contains("Reset-JS7Agent -Force"), "the exact steps: {message}");
    assert_eq!(r.code, 1);
}

#[test]
fn a_reset_agent_has_another_run_id() {
    let mut s = Scenario::healthy();
    let d = write(&s);
    s.agent_journal_id = "Zz9yX8wV7uT6sR5qP4oN3m".into();
    std::fs::remove_dir_all(&d.agent).unwrap();
    s.write_agent(&d.agent);
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/agent-run-id-mismatch".to_string()]), "{}", r.report["findings"]);
    assert_eq!(r.of("js7/agent-run-id-mismatch")[0]["details"]["agent_journal_id"], "Zz9yX8wV7uT6sR5qP4oN3m");
    // An empty state directory: the Agent will start with a new journal, the Controller still expects the old run.
    std::fs::remove_dir_all(&d.agent).unwrap();
    std::fs::create_dir_all(&d.agent).unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.of("js7/agent-run-id-mismatch").len(), 1, "{}", r.report["findings"]);
}

#[test]
fn an_agent_dedicated_to_another_controller() {
    let mut s = Scenario::healthy();
    s.agent_meta_controller_id = "other-controller".into();
    let d = write(&s);
    let r = run(&d, &[]);
    let f = r.of("js7/agent-controller-mismatch");
    assert_eq!(f.len(), 1, "{}", r.report["findings"]);
    assert!(f[0]["message"].as_str().unwrap().contains("other-controller"));
    // A copy of an Agent another Controller dedicated: another journal id as well.
    let mut foreign = Scenario::healthy();
    foreign.agent_meta_controller_id = "other-controller".into();
    foreign.agent_journal_id = "Ot9erAg3ntJ0urnal1d_xy".into();
    std::fs::remove_dir_all(&d.agent).unwrap();
    foreign.write_agent(&d.agent);
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/agent-controller-mismatch".to_string(), "js7/agent-run-id-mismatch".to_string()]), "{}", r.report["findings"]);
    assert_eq!(r.report["repairs"].as_array().unwrap().len(), 1);
    // Another path: the Controller has no such AgentRef.
    let out = Command::cargo_bin("repocheck")
        .unwrap()
        .args(["check", "js7", "--format", "json", "--controller"])
        .arg(&d.controller)
        .arg("--agent")
        .arg(format!("agent-9={}", d.agent.display()))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "js7/agent-controller-mismatch" && f["subject"] == "agent agent-9"));
}

#[test]
fn a_controller_older_than_its_agent() {
    let s = Scenario::healthy();
    let d = write(&s);
    // The Controller released the Agent's events up to what it observed last; the Agent
    // recorded that and pruned its first file. Then the Controller's journal is restored
    // from before it observed the Agent's second file.
    let agent_current = journals(&d.agent).pop().unwrap();
    let mut text = std::fs::read_to_string(&agent_current).unwrap();
    text.push_str(&format!("{{\"eventId\":{},\"TYPE\":\"JournalEventsReleased\",\"userId\":\"controller\",\"untilEventId\":{}}}\n", s.observed() + 1000, s.observed()));
    std::fs::write(&agent_current, text).unwrap();
    std::fs::remove_file(journals(&d.agent).remove(0)).unwrap();
    std::fs::remove_file(journals(&d.controller).pop().unwrap()).unwrap();
    let r = run(&d, &[]);
    let f = r.of("js7/controller-behind-agent");
    assert!(!f.is_empty(), "{}", r.report["findings"]);
    assert!(r.of("js7/agent-behind-controller").is_empty());
}

#[test]
fn crash_tails_are_warnings_and_the_committed_part_is_used() {
    let d = write(&Scenario::healthy());
    let current = journals(&d.controller).pop().unwrap();
    let mut text = std::fs::read_to_string(&current).unwrap();
    text.push_str("\"TRANSACTION\"\n{\"eventId\":1793527230000000,\"Key\":\"order-1\",\"TYPE\":\"OrderProcessed\"}\n{\"eventId\":17935272300");
    std::fs::write(&current, text).unwrap();
    let r = run(&d, &[]);
    let t = r.of("js7/journal-truncated");
    assert_eq!(t.len(), 1, "{}", r.report["findings"]);
    assert_eq!(t[0]["severity"], "warning");
    assert_eq!(t[0]["details"]["uncommitted_events"], 1, "{}", t[0]);
    assert!(t[0]["details"]["cut_line"].is_u64(), "the cut last line is named too: {}", t[0]);
    assert_eq!(t[0]["details"]["committed_event_id"], Scenario::healthy().controller_last());
    assert_eq!(r.code, 0, "only a warning: {}", r.report["findings"]);
    // An uncommitted transaction alone.
    let text = std::fs::read_to_string(&current).unwrap();
    let cut = text.rfind('\n').unwrap() + 1;
    std::fs::write(&current, &text[..cut]).unwrap();
    let r = run(&d, &[]);
    assert!(r.of("js7/journal-truncated")[0]["message"].as_str().unwrap().contains("no COMMIT"));
}

#[test]
fn broken_files_are_findings_not_crashes() {
    let d = write(&Scenario::healthy());
    let files = journals(&d.controller);
    // A renamed file.
    let renamed = files[1].with_file_name("controller--1793527210000999.journal");
    std::fs::rename(&files[1], &renamed).unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.of("js7/journal-name-mismatch").len(), 1, "{}", r.report["findings"]);
    std::fs::rename(&renamed, &files[1]).unwrap();
    // A line that is not JSON in the middle of the Agent's first file.
    let agent_first = journals(&d.agent).remove(0);
    let text = std::fs::read_to_string(&agent_first).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(6, "{not json");
    std::fs::write(&agent_first, lines.join("\n") + "\n").unwrap();
    let r = run(&d, &[]);
    let u = r.of("js7/journal-unreadable");
    assert_eq!(u.len(), 1, "{}", r.report["findings"]);
    assert_eq!(u[0]["details"]["line"], 7);
    // EventIds out of order.
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut swapped = lines.clone();
    swapped.swap(6, 7);
    std::fs::write(&agent_first, swapped.join("\n") + "\n").unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.of("js7/journal-order").len(), 1, "{}", r.report["findings"]);
    // Arbitrary bytes.
    std::fs::write(&agent_first, [0xffu8, 0xfe, 0x00, b'\n', b'x']).unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.of("js7/journal-unreadable").len(), 1);
}

#[test]
fn files_that_cannot_be_recovered_and_files_of_another_history() {
    let s = Scenario::healthy();
    let d = write(&s);
    let controller_files = journals(&d.controller);
    // The first file goes on past the number of the second: the files are from two histories.
    let original = std::fs::read_to_string(&controller_files[0]).unwrap();
    std::fs::write(&controller_files[0], format!("{original}{{\"eventId\":{},\"TYPE\":\"OrderAdded\",\"Key\":\"late\"}}\n", s.controller_ids().0 + 5)).unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/journal-order".to_string()]), "{}", r.report["findings"]);
    let order = r.of("js7/journal-order");
    assert_eq!(order[0]["subject"], format!("controller/controller--{}.journal", s.controller_ids().0));
    assert_eq!(order[0]["details"]["previous_last_event_id"], s.controller_ids().0 + 5);
    std::fs::write(&controller_files[0], &original).unwrap();
    // The current file ends after its snapshot, without events: recovery fails ("it must start
    // with SnapshotTaken"), and without the Controller's state nothing is compared.
    let current = controller_files.last().unwrap();
    let text = std::fs::read_to_string(current).unwrap();
    let cut = text.find("\"-------EVENTS-------\"\n").unwrap() + "\"-------EVENTS-------\"\n".len();
    std::fs::write(current, &text[..cut]).unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/journal-unreadable".to_string()]), "{}", r.report["findings"]);
    assert!(r.of("js7/journal-unreadable")[0]["message"].as_str().unwrap().contains("no committed event"));
    // Cut in the middle of its snapshot: a truncated line, and still unrecoverable.
    let in_snapshot = text.find("{\"TYPE\":\"AgentRefState\"").unwrap() + 10;
    std::fs::write(current, &text[..in_snapshot]).unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/journal-unreadable".to_string(), "js7/journal-truncated".to_string()]), "{}", r.report["findings"]);
    assert_eq!(r.code, 1);
}

/// JS7 writes a new journal file at every start, named after the last EventId committed
/// before it; a start that stopped at once (or a copy taken then) leaves that newest file
/// empty, or with its header line cut. Recovery reads only the newest file and needs its
/// header ("Missing JournalHeader in file '…'", js7 StateRecoverer.recover).
#[test]
fn an_empty_newest_journal_file_stops_recovery_and_the_previous_file_holds_the_rest() {
    let s = Scenario::healthy();
    let d = write(&s);
    let last = s.controller_last();
    let second = format!("controller--{}.journal", s.controller_ids().0);
    let empty = d.controller.join(format!("controller--{last}.journal"));
    std::fs::write(&empty, "").unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/journal-unreadable".to_string()]), "nothing else is compared without the Controller's state: {}", r.report["findings"]);
    let f = r.of("js7/journal-unreadable");
    assert_eq!(f.len(), 1, "{}", r.report["findings"]);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["subject"], format!("controller/controller--{last}.journal"));
    let message = f[0]["message"].as_str().unwrap();
    assert!(message.contains("empty (0 bytes)") && message.contains(&format!("Missing JournalHeader in file 'controller--{last}.journal'")), "{message}");
    assert!(message.contains("controller does not start"), "{message}");
    assert!(message.contains(&format!("up to EventId {last}")) && message.contains(&format!("previous file {second}")), "what is left: {message}");
    assert!(message.contains(&format!("removing the empty file lets recovery use {second}")), "{message}");
    assert_eq!(f[0]["details"]["previous_file"], second);
    assert_eq!(f[0]["details"]["previous_last_event_id"], last);
    assert_eq!(f[0]["details"]["bytes"], 0);
    assert_eq!(r.code, 1);
    // The header line cut while it was written: the reader drops it, and recovery finds no header either.
    std::fs::write(&empty, r#"{"TYPE":"JS7.Journal","typeName":"ControllerState","journalId":"q3c0b2Jm4U6mS1vQ"#).unwrap();
    let r = run(&d, &[]);
    let f = r.of("js7/journal-unreadable");
    assert_eq!(f.len(), 1, "{}", r.report["findings"]);
    let message = f[0]["message"].as_str().unwrap();
    assert!(message.contains("Missing JournalHeader") && message.contains("removing the cut file lets recovery use"), "{message}");
    // Removed, recovery uses the previous file: the pair is consistent again.
    std::fs::remove_file(&empty).unwrap();
    let r = run(&d, &[]);
    assert!(r.report["findings"].as_array().unwrap().is_empty(), "{}", r.report["findings"]);
    assert_eq!(r.code, 0);
    // The same for an Agent: its newest file is empty, the Agent checks are skipped.
    std::fs::write(d.agent.join(format!("agent--{}.journal", s.observed())), "").unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/journal-unreadable".to_string()]), "{}", r.report["findings"]);
    let f = r.of("js7/journal-unreadable");
    assert_eq!(f[0]["subject"], format!("agent:agent-1/agent--{}.journal", s.observed()));
    assert!(f[0]["message"].as_str().unwrap().contains("agent does not start"), "{}", f[0]);
    assert_eq!(f[0]["details"]["previous_file"], format!("agent--{}.journal", s.agent_ids().second_file));
    // The only file, empty: nothing is left to recover from.
    for f in journals(&d.agent) {
        std::fs::remove_file(f).unwrap();
    }
    std::fs::write(d.agent.join("agent--0.journal"), "").unwrap();
    let r = run(&d, &[]);
    let f = r.of("js7/journal-unreadable");
    assert_eq!(f.len(), 1, "{}", r.report["findings"]);
    assert!(f[0]["message"].as_str().unwrap().contains("no earlier journal file is left"), "{}", f[0]);
    assert!(f[0]["details"]["previous_file"].is_null());
}

/// Recovery refuses a newest file whose header's eventId is not its name's, or whose
/// typeName is the other process's (js7 StateRecoverer.recoverAll, JournalHeader.checkedHeader):
/// its content is not the state the instance would have, so nothing is compared with it.
#[test]
fn a_newest_file_recovery_refuses_is_not_taken_as_the_state() {
    let s = Scenario::healthy();
    let d = write(&s);
    // The Agent's first file copied by hand under a newer name.
    let first = journals(&d.agent).remove(0);
    let renamed = d.agent.join(format!("agent--{}.journal", s.observed()));
    std::fs::copy(&first, &renamed).unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/journal-name-mismatch".to_string()]), "no Agent comparison with a state recovery refuses: {}", r.report["findings"]);
    let f = r.of("js7/journal-name-mismatch");
    assert_eq!(f[0]["subject"], format!("agent:agent-1/agent--{}.journal", s.observed()));
    assert!(f[0]["message"].as_str().unwrap().contains("recovery refuses it; the checks that need its state are skipped"), "{}", f[0]);
    // A Controller journal where the Agent's belongs.
    std::fs::remove_file(&renamed).unwrap();
    let current = journals(&d.agent).pop().unwrap();
    let text = std::fs::read_to_string(&current).unwrap();
    std::fs::write(&current, text.replacen("\"typeName\":\"AgentState\"", "\"typeName\":\"ControllerState\"", 1)).unwrap();
    let r = run(&d, &[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/journal-unreadable".to_string()]), "{}", r.report["findings"]);
    assert!(r.of("js7/journal-unreadable")[0]["message"].as_str().unwrap().contains("a ControllerState journal where a AgentState journal belongs: recovery refuses it"));
    // Restored, the pair is consistent.
    std::fs::write(&current, text).unwrap();
    assert!(run(&d, &[]).report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn leftovers_are_info() {
    let d = write(&Scenario::healthy());
    std::fs::write(d.controller.join("controller--1793527220000000.journal.tmp"), "{}").unwrap();
    std::fs::write(d.controller.join("controller--1793527200000.journal~TRUNCATED-AFTER-FAILOVER"), "x").unwrap();
    let r = run(&d, &[]);
    let l = r.of("js7/journal-leftover");
    assert_eq!(l.len(), 2, "{}", r.report["findings"]);
    assert!(l.iter().all(|f| f["severity"] == "info"));
    assert_eq!(r.code, 0);
}

#[test]
fn a_held_lock_means_the_instance_is_running() {
    let d = write(&Scenario::healthy());
    let r = run(&d, &[]);
    assert!(r.of("js7/instance-running").is_empty(), "a lock file alone is not a running instance");
    // Another process holds an fcntl lock on state/lock, as the JVM's FileChannel.tryLock does.
    let mut holder = std::process::Command::new("python3")
        .arg("-c")
        .arg("import fcntl,sys,time\nf=open(sys.argv[1],'r+')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(30)")
        .arg(d.controller.join("lock"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    let r = run(&d, &[]);
    holder.kill().unwrap();
    let _ = holder.wait();
    let f = r.of("js7/instance-running");
    assert_eq!(f.len(), 1, "{}", r.report["findings"]);
    assert_eq!(f[0]["details"]["pid"], holder.id());
    assert_eq!(f[0]["details"]["pid_in_lock_file"], 12345, "the PID the generator wrote into state/lock");
}

#[test]
fn the_last_coupling_failure_is_reported_with_its_code() {
    let mut s = Scenario::healthy();
    s.coupling_failure = Some(
        serde_json::json!({"code": "UnknownEventId", "arguments": {"requestedEventId": "1793527209003000/2026-11-01T08:00:09.003Z"}, "message": "An unknown EventId has been requested: 1793527209003000"}),
    );
    let d = write(&s);
    let r = run(&d, &[]);
    let f = r.of("js7/coupling-failed");
    assert_eq!(f.len(), 1, "{}", r.report["findings"]);
    assert_eq!(f[0]["details"]["code"], "UnknownEventId");
    assert!(f[0]["message"].as_str().unwrap().contains("UnknownEventId"));
}

#[test]
fn cluster_standby_behind_and_diverged() {
    let d = write(&Scenario::healthy());
    let standby = d.root.join("standby/state");
    let copy = |to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for f in journals(&d.controller) {
            std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
        }
    };
    copy(&standby);
    let with_standby = |r: &[&str]| {
        let mut args = vec!["--standby", standby.to_str().unwrap()];
        args.extend_from_slice(r);
        run(&d, &args)
    };
    let r = with_standby(&[]);
    assert!(r.report["findings"].as_array().unwrap().is_empty(), "{}", r.report["findings"]);
    // Behind: the standby's current file lacks the last lines.
    let current = journals(&standby).pop().unwrap();
    let text = std::fs::read_to_string(&current).unwrap();
    let cut = text[..text.len() - 1].rfind('\n').unwrap() + 1;
    std::fs::write(&current, &text[..cut]).unwrap();
    let r = with_standby(&[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/cluster-standby-behind".to_string()]), "{}", r.report["findings"]);
    assert_eq!(r.code, 0, "a warning");
    // Diverged: a byte differs.
    let mut bytes = text.clone().into_bytes();
    let at = bytes.len() - 20;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&current, &bytes).unwrap();
    let r = with_standby(&[]);
    let diverged = r.of("js7/cluster-journal-diverged");
    assert_eq!(diverged.len(), 1, "{}", r.report["findings"]);
    assert_eq!(diverged[0]["details"]["line"], text[..at].matches('\n').count() + 1);
    assert_eq!(r.code, 1);
    std::fs::write(&current, &text).unwrap();

    // The standby pruned its first file on its own: nothing to say.
    let first = journals(&standby).remove(0);
    let first_bytes = std::fs::read(&first).unwrap();
    std::fs::remove_file(&first).unwrap();
    let r = with_standby(&[]);
    assert!(r.report["findings"].as_array().unwrap().is_empty(), "{}", r.report["findings"]);
    std::fs::write(&first, &first_bytes).unwrap();

    // Behind by a whole file: the standby's copy ends with the first file, complete.
    std::fs::remove_file(&current).unwrap();
    let r = with_standby(&[]);
    assert_eq!(r.rules(), BTreeSet::from(["js7/cluster-standby-behind".to_string()]), "{}", r.report["findings"]);
    // ... and the first file cut short as well: still one finding, still behind.
    std::fs::write(&first, &first_bytes[..first_bytes.len() - 30]).unwrap();
    let r = with_standby(&[]);
    assert_eq!(r.of("js7/cluster-standby-behind").len(), 1, "{}", r.report["findings"]);
    assert!(r.of("js7/cluster-journal-diverged").is_empty(), "{}", r.report["findings"]);
    std::fs::write(&first, &first_bytes).unwrap();
    std::fs::write(&current, &text).unwrap();

    // The standby goes on past the active node with the same bytes: roles the other way round.
    std::fs::write(&current, format!("{text}{{\"eventId\":{},\"TYPE\":\"ClusterSwitchedOver\",\"activatedId\":\"Backup\"}}\n", Scenario::healthy().controller_last() + 1000)).unwrap();
    let r = with_standby(&[]);
    let diverged = r.of("js7/cluster-journal-diverged");
    assert_eq!(diverged.len(), 1, "{}", r.report["findings"]);
    assert!(diverged[0]["message"].as_str().unwrap().contains("switch-over"), "{}", diverged[0]["message"]);
    std::fs::write(&current, &text).unwrap();

    // A file in between that the active node never had.
    let stray = standby.join(format!("controller--{}.journal", Scenario::healthy().controller_ids().0 - 1000));
    std::fs::copy(&first, &stray).unwrap();
    let r = with_standby(&[]);
    assert!(r.of("js7/cluster-journal-diverged").iter().any(|f| f["subject"] == format!("standby/{}", stray.file_name().unwrap().to_str().unwrap())), "{}", r.report["findings"]);
}

#[test]
fn joc_deployments_against_the_controller_journal_from_server_and_dump() {
    let s = Scenario::healthy();
    let d = write(&s);
    let db = shared().create_database("joc").unwrap();
    db.psql(&joc_sql(&s, s.controller_last())).unwrap();
    let dump = d.root.join("joc.sql.gz");
    db.pg_dump_gzip(&dump).unwrap();
    for source in [db.url(), dump.display().to_string()] {
        let r = run(&d, &["--joc-db", &source]);
        assert_eq!(r.code, 0, "{source}: {} {}", r.report["findings"], r.stderr);
        assert!(r.report["findings"].as_array().unwrap().is_empty(), "{}", r.report["findings"]);
    }
    // JOC newer than the journal: a workflow deployed again and a board deployed after the
    // journal copy, the history read further, a later ControllerReady recorded.
    db.psql(&joc_newer_sql(&s)).unwrap();
    db.pg_dump_gzip(&dump).unwrap();
    for source in [db.url(), dump.display().to_string()] {
        let r = run(&d, &["--joc-db", &source]);
        assert_eq!(r.rules(), BTreeSet::from(["js7/deployment-missing".to_string(), "js7/history-ahead".to_string()]), "{source}: {}", r.report["findings"]);
        let missing = r.of("js7/deployment-missing");
        assert_eq!(missing.len(), 2, "{source}: {}", r.report["findings"]);
        let repair = &missing[0]["repair"];
        assert_eq!(repair["action"], "redeploy");
        assert_eq!(repair["items"], serde_json::json!(["Board:board-1", "Workflow:daily-report"]));
        assert_eq!(r.report["repairs"].as_array().unwrap().len(), 1);
        let workflow = missing.iter().find(|f| f["details"]["kind"] == "Workflow").unwrap();
        assert_eq!(workflow["details"]["commit_id"], "a-newer-commit");
        assert_eq!(workflow["details"]["controller_version"], s.workflow.1);
        let ahead = r.of("js7/history-ahead");
        assert_eq!(ahead[0]["details"]["history_event_id"], s.controller_last() + 5_000_000);
        assert_eq!(ahead[0]["details"]["ready_event_id"], s.controller_last() + 4_000_000);
        assert_eq!(ahead[0]["details"]["sources"], serde_json::json!(["JOC_VARIABLES", "HISTORY_CONTROLLERS.READY_EVENT_ID"]));
    }
    // JOC older than the journal: restored from before the job resource was deployed.
    let db = shared().create_database("joc_older").unwrap();
    db.psql(&joc_sql(&s, s.controller_last() - 1_000_000)).unwrap();
    db.psql(&joc_older_sql(&s)).unwrap();
    db.pg_dump_gzip(&dump).unwrap();
    for source in [db.url(), dump.display().to_string()] {
        let r = run(&d, &["--joc-db", &source]);
        assert_eq!(r.rules(), BTreeSet::from(["js7/deployment-unknown".to_string()]), "{source}: {}", r.report["findings"]);
        let unknown = r.of("js7/deployment-unknown");
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0]["subject"], "controller/JobResource:env");
        assert_eq!(r.code, 0, "deployment-unknown is a warning");
    }
    // The history tables' own record of Controller readiness alone, later than the journal.
    db.psql(&format!(
        r#"INSERT INTO HISTORY_CONTROLLERS ("READY_EVENT_ID", "CONTROLLER_ID", "URI", "TIMEZONE", "TOTAL_RUNNING_TIME", "READY_TIME", "CREATED") VALUES ({}, 'controller', 'https://controller:4443', 'UTC', 0, now(), now())"#,
        s.controller_last() + 7_000_000
    ))
    .unwrap();
    db.pg_dump_gzip(&dump).unwrap();
    for source in [db.url(), dump.display().to_string()] {
        let r = run(&d, &["--joc-db", &source]);
        let h = r.of("js7/history-ahead");
        assert_eq!(h.len(), 1, "{}", r.report["findings"]);
        assert_eq!(h[0]["details"]["sources"], serde_json::json!(["HISTORY_CONTROLLERS.READY_EVENT_ID"]));
        assert_eq!(h[0]["details"]["ready_event_id"], s.controller_last() + 7_000_000);
    }
    // Not a JOC database: exit 2.
    let other = shared().create_database("not_joc").unwrap();
    let r = run(&d, &["--joc-db", &other.url()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("dep_history"), "{}", r.stderr);
}

#[test]
fn bad_arguments_are_exit_2() {
    let d = write(&Scenario::healthy());
    for args in [
        vec!["check".to_string(), "js7".into(), "--controller".into(), "/nonexistent".into()],
        vec!["check".into(), "js7".into(), "--controller".into(), d.root.display().to_string()],
        vec!["check".into(), "js7".into(), "--controller".into(), d.controller.display().to_string(), "--agent".into(), "no-equals-sign".into()],
        vec!["check".into(), "js7".into(), "--controller".into(), d.controller.display().to_string(), "--agent".into(), "a=/nonexistent".into()],
    ] {
        let out = Command::cargo_bin("repocheck").unwrap().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Writes the example state directories of `testdata/js7/` (all but its README) into `root`.
fn generate_examples(root: &Path) {
    let healthy = Scenario::healthy();
    let put = |name: &str, s: &Scenario| {
        let dir = root.join(name);
        s.write_controller(&dir.join("controller/state"));
        s.write_agent(&dir.join("agent-1/state"));
        dir
    };
    put("consistent", &healthy);
    std::fs::write(root.join("consistent/joc.sql"), joc_sql(&healthy, healthy.controller_last())).unwrap();
    let older = put("agent-restored-older", &healthy);
    std::fs::remove_file(journals(&older.join("agent-1/state")).pop().unwrap()).unwrap();
    let mut reset = healthy.clone();
    reset.agent_journal_id = "Zz9yX8wV7uT6sR5qP4oN3m".into();
    let reset_dir = put("agent-reset", &healthy);
    std::fs::remove_dir_all(reset_dir.join("agent-1/state")).unwrap();
    reset.write_agent(&reset_dir.join("agent-1/state"));
    let mut other = healthy.clone();
    other.agent_meta_controller_id = "other-controller".into();
    put("agent-other-controller", &other);
    let crash = put("crash-tail", &healthy);
    let current = journals(&crash.join("controller/state")).pop().unwrap();
    let mut text = std::fs::read_to_string(&current).unwrap();
    text.push_str("\"TRANSACTION\"\n{\"eventId\":1793527230000000,\"Key\":\"order-1\",\"TYPE\":\"OrderProcessed\"}\n{\"eventId\":17935272300");
    std::fs::write(&current, text).unwrap();
    let cluster = put("cluster-diverged", &healthy);
    let standby = cluster.join("standby/state");
    std::fs::create_dir_all(&standby).unwrap();
    for f in journals(&cluster.join("controller/state")) {
        std::fs::copy(&f, standby.join(f.file_name().unwrap())).unwrap();
    }
    // The standby failed over and wrote its own last event where the active node wrote another.
    let last = journals(&standby).pop().unwrap();
    let text = std::fs::read_to_string(&last).unwrap();
    let cut = text[..text.len() - 1].rfind('\n').unwrap() + 1;
    let failed_at = serde_json::json!({"eventId": healthy.controller_last(), "TYPE": "ClusterFailedOver", "failedActiveId": "Primary", "activatedId": "Backup",
        "failedAt": {"fileEventId": healthy.controller_ids().0, "position": cut}});
    std::fs::write(&last, format!("{}{failed_at}\n", &text[..cut])).unwrap();
    // JOC databases for consistent/'s Controller, restored from other moments than its journal.
    std::fs::create_dir_all(root.join("joc-newer")).unwrap();
    std::fs::write(root.join("joc-newer/joc.sql"), joc_sql(&healthy, healthy.controller_last()) + &joc_newer_sql(&healthy)).unwrap();
    std::fs::create_dir_all(root.join("joc-older")).unwrap();
    std::fs::write(root.join("joc-older/joc.sql"), joc_sql(&healthy, healthy.controller_last() - 1_000_000) + &joc_older_sql(&healthy) + "\n").unwrap();
}

/// Every file below `root` (relative path → bytes), README.md aside.
fn tree(root: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path != root.join("README.md") {
                files.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/js7")
}

#[test]
fn the_committed_examples_are_what_the_generator_writes() {
    let tmp = tempfile::tempdir().unwrap();
    generate_examples(tmp.path());
    let (want, have) = (tree(tmp.path()), tree(&examples()));
    assert_eq!(want.keys().collect::<Vec<_>>(), have.keys().collect::<Vec<_>>(), "regenerate: cargo test --test js7 -- --ignored regenerate_js7_examples");
    for (path, bytes) in &want {
        assert!(have[path] == *bytes, "{} differs from what the generator writes", path.display());
    }
}

/// Runs `check js7` on one committed example, its Controller and `agent-1`.
fn check_example(name: &str, extra: &[&str]) -> Run {
    let dir = examples().join(name);
    let d = Dirs { _tmp: tempfile::tempdir().unwrap(), controller: dir.join("controller/state"), agent: dir.join("agent-1/state"), root: dir };
    run(&d, extra)
}

#[test]
fn each_committed_example_shows_its_failure() {
    let set = |rules: &[&str]| rules.iter().map(|r| r.to_string()).collect::<BTreeSet<_>>();
    let standby = examples().join("cluster-diverged/standby/state");
    for (name, extra, rules) in [
        ("consistent", vec![], set(&[])),
        ("agent-restored-older", vec![], set(&["js7/agent-behind-controller"])),
        ("agent-reset", vec![], set(&["js7/agent-run-id-mismatch"])),
        ("agent-other-controller", vec![], set(&["js7/agent-controller-mismatch"])),
        ("crash-tail", vec![], set(&["js7/journal-truncated"])),
        ("cluster-diverged", vec!["--standby", standby.to_str().unwrap()], set(&["js7/cluster-journal-diverged"])),
    ] {
        let r = check_example(name, &extra);
        assert_eq!(r.rules(), rules, "{name}: {} {}", r.report["findings"], r.stderr);
    }
}

#[test]
fn the_committed_joc_examples_against_the_consistent_journal() {
    for (name, rules) in [("consistent", vec![]), ("joc-older", vec!["js7/deployment-unknown"]), ("joc-newer", vec!["js7/deployment-missing", "js7/history-ahead"])] {
        let db = shared().create_database(&name.replace('-', "_")).unwrap();
        db.psql_file(&examples().join(name).join("joc.sql")).unwrap();
        let r = check_example("consistent", &["--joc-db", &db.url()]);
        assert_eq!(r.rules(), rules.iter().map(|r| r.to_string()).collect::<BTreeSet<_>>(), "{name}: {} {}", r.report["findings"], r.stderr);
    }
}

/// Rebuilds `testdata/js7/` (all but its README): `cargo test --test js7 -- --ignored regenerate_js7_examples`.
#[test]
#[ignore]
fn regenerate_js7_examples() {
    let root = examples();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        }
    }
    generate_examples(&root);
}
