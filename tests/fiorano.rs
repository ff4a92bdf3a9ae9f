//! `repocheck check fiorano` on a runtimedata repository shaped like the product's, and its
//! broken variants.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

struct Case {
    _tmp: tempfile::TempDir,
    rd: PathBuf,
    install: PathBuf,
}

fn case() -> Case {
    let tmp = tempfile::tempdir().unwrap();
    repocheck_testkit::fiorano::write(tmp.path());
    Case { rd: tmp.path().join("runtimedata"), install: tmp.path().join("install"), _tmp: tmp }
}

fn run(c: &Case, with_install: bool) -> (i32, Value) {
    let mut cmd = Command::cargo_bin("repocheck").unwrap();
    cmd.args(["check", "fiorano", "--format", "json", "--runtimedata"]).arg(&c.rd);
    if with_install {
        cmd.arg("--install").arg(&c.install);
    }
    let out = cmd.output().unwrap();
    (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr))))
}

/// A run with the bundled fiorano rule file edited (`from` replaced by `to`).
fn run_with_rules(c: &Case, from: &str, to: &str) -> (i32, Value) {
    let rules = tempfile::tempdir().unwrap();
    assert!(repocheck::fiorano::RULES_TOML.contains(from), "{from}");
    std::fs::write(rules.path().join("fiorano.toml"), repocheck::fiorano::RULES_TOML.replace(from, to)).unwrap();
    let out = Command::cargo_bin("repocheck")
        .unwrap()
        .args(["check", "fiorano", "--format", "json", "--rules"])
        .arg(rules.path())
        .arg("--runtimedata")
        .arg(&c.rd)
        .arg("--install")
        .arg(&c.install)
        .output()
        .unwrap();
    (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr))))
}

fn of<'a>(r: &'a Value, rule: &str) -> Vec<&'a Value> {
    r["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).collect()
}

fn rules(r: &Value) -> BTreeSet<String> {
    r["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

fn app(c: &Case) -> PathBuf {
    c.rd.join("repository/applications/ORDERS/1.0")
}

fn edit(p: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(p).unwrap();
    assert!(text.contains(from), "{from} not in {}", p.display());
    std::fs::write(p, text.replace(from, to)).unwrap();
}

#[test]
fn an_intact_repository_has_no_findings() {
    let c = case();
    let (code, r) = run(&c, true);
    assert_eq!(code, 0, "{}", r["findings"]);
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
    // Capitalised folders, as the documents write them, are accepted.
    std::fs::rename(app(&c).join("schemas"), app(&c).join("Schemas")).unwrap();
    std::fs::rename(app(&c).join("config"), app(&c).join("Config")).unwrap();
    let (code, r) = run(&c, true);
    assert_eq!(code, 0, "{}", r["findings"]);
}

#[test]
fn a_partial_copy_of_an_event_process_is_incomplete() {
    let c = case();
    std::fs::remove_file(app(&c).join("config/CBR1.xml")).unwrap();
    std::fs::remove_file(app(&c).join("schemas/CBR1.IN_PORT.1.xsd")).unwrap();
    std::fs::remove_dir_all(app(&c).join("transformations/routes")).unwrap();
    let (code, r) = run(&c, true);
    assert_eq!(code, 1);
    let missing: BTreeSet<String> = of(&r, "fiorano/event-process-incomplete").iter().map(|f| f["details"]["missing"].as_str().unwrap().to_string()).collect();
    assert_eq!(missing, BTreeSet::from(["config/CBR1.xml".to_string(), "schemas/CBR1.IN_PORT.1.xsd".to_string(), "transformations/routes/route1/script.xml".to_string()]));
    // No EventProcess.xml at all.
    std::fs::remove_file(app(&c).join("EventProcess.xml")).unwrap();
    let (_, r) = run(&c, true);
    assert_eq!(of(&r, "fiorano/event-process-incomplete")[0]["details"]["missing"], "EventProcess.xml");
    // A remote instance's application gone.
    let c = case();
    std::fs::remove_dir_all(c.rd.join("repository/applications/AUDIT")).unwrap();
    let (_, r) = run(&c, true);
    let f = of(&r, "fiorano/event-process-incomplete");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert_eq!(f[0]["details"]["application_guid"], "AUDIT");
}

/// The server loads an event process with env/<deployment label>.xml and refuses it when
/// the file is gone (FioranoESB Application.readManageableProperties); the repository has one
/// per label for every event process.
#[test]
fn a_deleted_env_file_of_the_deployment_label_is_reported() {
    let c = case();
    std::fs::remove_file(app(&c).join("env/development.xml")).unwrap();
    let (code, r) = run(&c, true);
    assert_eq!(code, 1);
    let f = of(&r, "fiorano/event-process-incomplete");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["subject"], "repository/applications/ORDERS/1.0/env/development.xml");
    assert_eq!(f[0]["details"]["missing"], "env/development.xml");
    assert!(f[0]["message"].as_str().unwrap().contains("references env/development.xml (the deployment label development's manageable properties), which is missing"), "{}", f[0]);
    // Another label's file is not read for this deployment: its absence is silent.
    std::fs::write(app(&c).join("env/development.xml"), "<target/>").unwrap();
    std::fs::remove_file(app(&c).join("env/testing.xml")).unwrap();
    let (code, r) = run(&c, true);
    assert_eq!(code, 0, "{}", r["findings"]);
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
    // The process deployed as "testing": now that file is needed.
    edit(&app(&c).join("EventProcess.xml"), r#"<deployment label="development"/>"#, r#"<deployment label="testing"/>"#);
    let (_, r) = run(&c, true);
    assert_eq!(of(&r, "fiorano/event-process-incomplete")[0]["details"]["missing"], "env/testing.xml");
    // Label "none" reads no manageable properties.
    edit(&app(&c).join("EventProcess.xml"), r#"<deployment label="testing"/>"#, r#"<deployment label="none"/>"#);
    let (code, r) = run(&c, true);
    assert_eq!(code, 0, "{}", r["findings"]);
    // An operator whose servers do not need it turns it off.
    edit(&app(&c).join("EventProcess.xml"), r#"<deployment label="none"/>"#, r#"<deployment label="testing"/>"#);
    let (code, _) = run(&c, true);
    assert_eq!(code, 1);
    let (code, r) = run_with_rules(&c, "params = { require_env_file = true }", "params = { require_env_file = false }");
    assert_eq!(code, 0, "{}", r["findings"]);
}

/// One missing file is one finding, naming everything that references it.
#[test]
fn a_file_referenced_twice_is_one_finding() {
    let c = case();
    // chat2's input and output port carry the same message and name the same schema.
    let chat = c.rd.join("repository/applications/SIMPLECHAT/1.0");
    std::fs::remove_file(chat.join("schemas/chat2.IN_PORT.xsd")).unwrap();
    // The fault schema of the ON_EXCEPTION ports of Feeder1 and Display1.
    std::fs::remove_file(app(&c).join("schemas/ON_EXCEPTION.xsd")).unwrap();
    let (code, r) = run(&c, true);
    assert_eq!(code, 1);
    let f = of(&r, "fiorano/event-process-incomplete");
    assert_eq!(f.len(), 2, "{}", r["findings"]);
    let chat2 = f.iter().find(|f| f["details"]["application"] == "SIMPLECHAT").unwrap();
    assert_eq!(chat2["severity"], "error");
    assert_eq!(chat2["subject"], "repository/applications/SIMPLECHAT/1.0/schemas/chat2.IN_PORT.xsd");
    assert_eq!(chat2["details"]["referenced_by"], serde_json::json!(["chat2 input port IN_PORT's schema", "chat2 output port OUT_PORT's schema"]));
    assert!(
        chat2["message"].as_str().unwrap().contains("references schemas/chat2.IN_PORT.xsd (chat2 input port IN_PORT's schema; chat2 output port OUT_PORT's schema), which is missing"),
        "{}",
        chat2
    );
    let fault = f.iter().find(|f| f["details"]["application"] == "ORDERS").unwrap();
    assert_eq!(fault["subject"], "repository/applications/ORDERS/1.0/schemas/ON_EXCEPTION.xsd");
    assert_eq!(fault["details"]["referenced_by"], serde_json::json!(["Feeder1 output port ON_EXCEPTION's schema", "Display1 output port ON_EXCEPTION's schema"]));
    // A component listing one file as a resource and as a port schema.
    let c = case();
    let cbr = c.install.join("esb/server/repository/components/CBR/4.0");
    edit(&cbr.join("ServiceDescriptor.xml"), r#"<resource name="fesb-comp-CBR.jar"/>"#, r#"<resource name="fesb-comp-CBR.jar"/><resource name="ON_EXCEPTION.xsd"/>"#);
    let (code, r) = run(&c, true);
    assert_eq!(code, 0, "{}", r["findings"]);
    std::fs::remove_file(cbr.join("ON_EXCEPTION.xsd")).unwrap();
    let (_, r) = run(&c, true);
    let f = of(&r, "fiorano/component-incomplete");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert_eq!(f[0]["subject"], "install:esb/server/repository/components/CBR/4.0/ON_EXCEPTION.xsd");
    assert_eq!(f[0]["details"]["listed_as"], serde_json::json!(["a resource", "a port schema"]));
    assert!(f[0]["message"].as_str().unwrap().contains("lists ON_EXCEPTION.xsd (as a resource and as a port schema), which is not in its folder"), "{}", f[0]);
}

#[test]
fn broken_xml_and_folder_mismatch_are_invalid() {
    let c = case();
    let ep = app(&c).join("EventProcess.xml");
    edit(&ep, "<routes>", "<routes><unclosed>");
    let (code, r) = run(&c, true);
    assert_eq!(code, 1);
    assert_eq!(rules(&r), BTreeSet::from(["fiorano/event-process-invalid".to_string()]), "{}", r["findings"]);
    let c = case();
    edit(&app(&c).join("EventProcess.xml"), "<application guid=\"ORDERS\" version=\"1.0\">", "<application guid=\"ORDERS\" version=\"2.0\">");
    let (_, r) = run(&c, true);
    assert!(of(&r, "fiorano/event-process-invalid")[0]["message"].as_str().unwrap().contains("Mismatch"));
    std::fs::write(app(&c).join("EventProcess.xml"), [0xff, 0xfe, 0x00]).unwrap();
    let (_, r) = run(&c, true);
    assert_eq!(of(&r, "fiorano/event-process-invalid").len(), 1);
}

#[test]
fn dangling_routes() {
    let c = case();
    let ep = app(&c).join("EventProcess.xml");
    edit(&ep, r#"<target inst="Validator1" port="IN_PORT"/>"#, r#"<target inst="Validator9" port="IN_PORT"/>"#);
    edit(&ep, r#"<target inst="Display1" port="IN_PORT"/>"#, r#"<target inst="Display1" port="NO_PORT"/>"#);
    let (_, r) = run(&c, true);
    let d = of(&r, "fiorano/route-dangling");
    assert_eq!(d.len(), 2, "{}", r["findings"]);
    let subjects: BTreeSet<&str> = d.iter().map(|f| f["details"]["route"].as_str().unwrap()).collect();
    assert_eq!(subjects, BTreeSet::from(["route2", "route3"]));
}

#[test]
fn components_missing_incomplete_and_servicerefs() {
    let c = case();
    // Without the system repository, the pre-built components cannot be found.
    let (_, r) = run(&c, false);
    let missing: BTreeSet<&str> = of(&r, "fiorano/component-missing").iter().map(|f| f["details"]["guid"].as_str().unwrap()).collect();
    assert_eq!(missing, BTreeSet::from(["CBR", "Display", "Feeder", "chat"]), "{}", r["findings"]);
    assert_eq!(of(&r, "fiorano/serviceref-missing").len(), 1, "OrderValidator needs CBR: {}", r["findings"]);
    let (code, r) = run(&c, true);
    assert_eq!(code, 0, "{}", r["findings"]);
    // A resource jar and a port schema gone; a descriptor for another version.
    std::fs::remove_file(c.install.join("esb/server/repository/components/CBR/4.0/fesb-comp-CBR.jar")).unwrap();
    std::fs::remove_file(c.install.join("esb/server/repository/components/CBR/4.0/ON_EXCEPTION.xsd")).unwrap();
    edit(&c.rd.join("repository/components/OrderValidator/1.0/ServiceDescriptor.xml"), "version=\"1.0\"", "version=\"1.1\"");
    let (_, r) = run(&c, true);
    let inc = of(&r, "fiorano/component-incomplete");
    assert_eq!(inc.len(), 3, "{}", r["findings"]);
    // A serviceref to nothing.
    std::fs::remove_dir_all(c.install.join("esb/server/repository/components/EDBCEngine")).unwrap();
    let (_, r) = run(&c, true);
    let s = of(&r, "fiorano/serviceref-missing");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["details"]["serviceref_guid"], "EDBCEngine");
    // A missing descriptor.
    std::fs::remove_file(c.rd.join("repository/components/OrderValidator/1.0/ServiceDescriptor.xml")).unwrap();
    let (_, r) = run(&c, true);
    assert!(of(&r, "fiorano/component-incomplete").iter().any(|f| f["details"]["missing"] == "ServiceDescriptor.xml"));
}

/// The launcher resolves servicerefs recursively (FioranoESB JVMCommandProvider.addDependencies
/// → fillResourcePacket → addDependencies): a component missing down the chain stops the
/// launch of every component above it.
#[test]
fn servicerefs_are_followed_down_the_chain() {
    let c = case();
    let system = c.install.join("esb/server/repository/components");
    std::fs::remove_dir_all(system.join("JMSLib")).unwrap();
    let (code, r) = run(&c, true);
    assert_eq!(code, 1);
    assert_eq!(rules(&r), BTreeSet::from(["fiorano/serviceref-missing".to_string()]), "{}", r["findings"]);
    let f = of(&r, "fiorano/serviceref-missing");
    assert_eq!(f.len(), 1, "one missing component, one finding: {}", r["findings"]);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["subject"], "serviceref JMSLib:4.0");
    assert_eq!(f[0]["details"]["serviceref_guid"], "JMSLib");
    assert_eq!(f[0]["details"]["listed_by"], serde_json::json!(["EDBCEngine 4.0"]));
    let message = f[0]["message"].as_str().unwrap();
    assert!(message.contains("Feeder 4.0 → EDBCEngine 4.0 → JMSLib 4.0"), "{message}");
    assert!(message.contains("(listed by EDBCEngine 4.0)"), "{message}");
    let paths: BTreeSet<&str> = f[0]["details"]["paths"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "CBR 4.0 → EDBCEngine 4.0 → JMSLib 4.0",
            "Display 4.0 → EDBCEngine 4.0 → JMSLib 4.0",
            "Feeder 4.0 → EDBCEngine 4.0 → JMSLib 4.0",
            "OrderValidator 1.0 → CBR 4.0 → EDBCEngine 4.0 → JMSLib 4.0",
            "chat 4.0 → EDBCEngine 4.0 → JMSLib 4.0",
        ])
    );
    // A component reached only through servicerefs is checked as a whole.
    let c = case();
    let system = c.install.join("esb/server/repository/components");
    std::fs::remove_file(system.join("EDBCEngine/4.0/edbc.jar")).unwrap();
    let (_, r) = run(&c, true);
    let f = of(&r, "fiorano/component-incomplete");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert_eq!(f[0]["details"]["missing"], "edbc.jar");
    // A cycle of servicerefs ends, and a complete chain is silent.
    let c = case();
    let system = c.install.join("esb/server/repository/components");
    edit(&system.join("JMSLib/4.0/ServiceDescriptor.xml"), "<servicerefs>\n", "<servicerefs>\n      <serviceref guid=\"EDBCEngine\" version=\"4.0\"/>\n");
    let (code, r) = run(&c, true);
    assert_eq!(code, 0, "{}", r["findings"]);
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
}

/// The vendor's Feeder descriptor lists fesb-comp-feeder.jar while its packaging builds
/// fesb-comp-Feeder.jar; the server looks resources up by exact name
/// (FioranoESB MicroServiceRepoManager.fetchResourceFile), case-sensitive on Linux.
#[test]
fn resource_names_are_matched_as_the_server_file_system_does() {
    let c = case();
    let feeder = c.install.join("esb/server/repository/components/Feeder/4.0");
    std::fs::rename(feeder.join("fesb-comp-feeder.jar"), feeder.join("fesb-comp-Feeder.jar")).unwrap();
    let (code, r) = run(&c, true);
    assert_eq!(code, 1);
    let f = of(&r, "fiorano/component-incomplete");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["subject"], "install:esb/server/repository/components/Feeder/4.0/fesb-comp-feeder.jar");
    assert_eq!(f[0]["details"]["missing"], "fesb-comp-feeder.jar");
    assert_eq!(f[0]["details"]["found_as"], "fesb-comp-Feeder.jar");
    let message = f[0]["message"].as_str().unwrap();
    assert!(message.contains("lists fesb-comp-feeder.jar (as a resource), but its folder has fesb-comp-Feeder.jar") && message.contains("case-sensitive"), "{message}");
    // For a server on a case-insensitive file system.
    let (code, r) = run_with_rules(&c, "params = { case_insensitive_names = false }", "params = { case_insensitive_names = true }");
    assert_eq!(code, 0, "{}", r["findings"]);
    assert!(r["findings"].as_array().unwrap().is_empty(), "{}", r["findings"]);
    // A file under no case at all is missing either way.
    std::fs::remove_file(feeder.join("fesb-comp-Feeder.jar")).unwrap();
    let (_, r) = run_with_rules(&c, "params = { case_insensitive_names = false }", "params = { case_insensitive_names = true }");
    let f = of(&r, "fiorano/component-incomplete");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert!(f[0]["details"]["found_as"].is_null());
    assert!(f[0]["message"].as_str().unwrap().contains("which is not in its folder"));
}

#[test]
fn policies_refer_to_existing_alerts() {
    let c = case();
    std::fs::remove_file(c.rd.join("repository/Notifications/MailOps.xml")).unwrap();
    let (code, r) = run(&c, true);
    assert_eq!(code, 1);
    let p = of(&r, "fiorano/policy-alert-missing");
    assert_eq!(p.len(), 1, "{}", r["findings"]);
    assert_eq!(p[0]["details"]["alert"], "MailOps");
    std::fs::write(c.rd.join("repository/Policies/Backlog/OrdersBacklog.xml"), "<policy><alerts>").unwrap();
    let (_, r) = run(&c, true);
    assert!(of(&r, "fiorano/policy-alert-missing")[0]["message"].as_str().unwrap().contains("cannot be read"));
}

#[test]
fn transient_stores_in_a_backup_are_warnings() {
    let c = case();
    for f in ["admin.dat", "admin~1.dat", "EnterpriseServers/haprofile1/primary/FES/run/haStatus.dat", "EnterpriseServers/server1/FES/run/db/PersistantDB/PQ.Tifosi_Enterprise_Server_SBW_Events"] {
        let p = c.rd.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }
    let peers = c.rd.join("repository/EnterpriseServers/server1/FES/Peers/fps1");
    std::fs::create_dir_all(&peers).unwrap();
    std::fs::write(peers.join("peer.xml"), "<peer/>").unwrap();
    let (code, r) = run(&c, true);
    let t = of(&r, "fiorano/transient-in-backup");
    assert_eq!(t.len(), 5, "{}", r["findings"]);
    assert!(t.iter().all(|f| f["severity"] == "warning"));
    assert_eq!(code, 0);
}

#[test]
fn an_unreadable_event_process_folder_is_a_finding() {
    // root reads everything: the check runs as an unprivileged user.
    let c = case();
    let _ = std::process::Command::new("chmod").args(["-R", "a+rX"]).arg(c.rd.parent().unwrap()).status();
    use std::os::unix::fs::PermissionsExt;
    let guid_dir = c.rd.join("repository/applications/ORDERS");
    std::fs::set_permissions(&guid_dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("repocheck"));
    cmd.args(["check", "fiorano", "--format", "json", "--runtimedata"]).arg(&c.rd).arg("--install").arg(&c.install);
    // SAFETY: geteuid has no preconditions.
    if rustix::process::geteuid().is_root() {
        use std::os::unix::process::CommandExt;
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    std::fs::set_permissions(&guid_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let f = of(&r, "fiorano/event-process-incomplete");
    assert_eq!(f.len(), 1, "{}", r["findings"]);
    assert!(f[0]["message"].as_str().unwrap().contains("cannot be read"));
}

#[test]
fn bad_arguments_are_exit_2() {
    for args in [vec!["--runtimedata", "/nonexistent"], vec!["--runtimedata", "/", "--install", "/nonexistent"]] {
        let out = Command::cargo_bin("repocheck").unwrap().args(["check", "fiorano"]).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end().lines().count(), 1);
    }
}

/// Rebuilds `testdata/fiorano/`: `cargo test --test fiorano -- --ignored regenerate_fiorano_example`.
#[test]
#[ignore]
fn regenerate_fiorano_example() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fiorano");
    let _ = std::fs::remove_dir_all(&root);
    repocheck_testkit::fiorano::write(&root);
}
