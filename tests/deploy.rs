//! The ways operators run repocheck, run as the README shows them: GNU parallel on one
//! machine and per host, a Slurm job array on a cluster started here from Debian's
//! packages, the Kubernetes and compose manifests, the container image, the Debian package
//! with its systemd units. The scripts and manifests are files of the repository that the
//! README shows verbatim (checked here), and each test runs the file itself against a copy
//! of the bundled example installation, comparing the merged report with one whole run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> PathBuf {
    root().join("testdata/fossology/example")
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("repocheck")
}

/// `PATH` with the repocheck under test first, as an installed one would be.
fn path_with_bin() -> String {
    format!("{}:{}", bin().parent().unwrap().display(), std::env::var("PATH").unwrap_or_default())
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The repository file `rel`, after checking that the README shows it verbatim in a fenced
/// block of `lang` headed by a comment naming it.
fn shown_in_readme(rel: &str, lang: &str, comment: &str) -> String {
    shown_in_readme_as(rel, rel, lang, comment)
}

/// As [`shown_in_readme`], the block naming the file `name` (where it is installed).
fn shown_in_readme_as(rel: &str, name: &str, lang: &str, comment: &str) -> String {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let block = format!("```{lang}\n{comment} {name}\n{text}```\n");
    assert!(readme().contains(&block), "README.md does not show {rel} as it is (expected a ```{lang} block starting with `{comment} {name}`)");
    text
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(out.status.success(), "{cmd:?}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    out
}

/// A copy of the example installation in `dir` with faults a check finds: a missing file,
/// an object in another shard's directory, a stray file.
fn damaged_example(dir: &Path) {
    for part in ["repository", "etc"] {
        ok(Command::new("cp").arg("-a").arg(example().join(part)).arg(dir));
    }
    let repo = dir.join("repository/localhost/files");
    let mut objects: Vec<PathBuf> = walk(&repo);
    objects.sort();
    std::fs::remove_file(&objects[3]).unwrap();
    let moved = &objects[10];
    let to = repo.join("ff/ff/ff");
    std::fs::create_dir_all(&to).unwrap();
    std::fs::rename(moved, to.join(moved.file_name().unwrap())).unwrap();
    std::fs::write(repo.join("README"), "not an object").unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { all.extend(walk(&p)) } else { all.push(p) }
    }
    all
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// What two reports must agree on to say the same: findings (as a multiset), summary,
/// repairs, plan, targets with their scope and stats (but the time).
fn said(report: &Value) -> Value {
    let canon = |v: &Value| serde_json::to_string(v).unwrap();
    let mut findings: Vec<String> = report["findings"].as_array().unwrap().iter().map(canon).collect();
    findings.sort();
    let mut stats = report["stats"].clone();
    stats.as_object_mut().unwrap().remove("elapsed_ms");
    serde_json::json!({"findings": findings, "summary": report["summary"], "repairs": report["repairs"], "plan": report["plan"], "targets": report["targets"], "stats": stats})
}

/// The environment the deploy scripts read the installation from.
fn installation_env(cmd: &mut Command, dir: &Path) {
    cmd.env("REPOCHECK_DB", example().join("fossology.sql.gz")).env("REPOCHECK_REPO", dir.join("repository")).env("REPOCHECK_CONF", dir.join("etc/fossology.conf")).env("PATH", path_with_bin());
}

/// Whole runs name their inputs as given; the scripts give absolute paths.
fn whole_run_as_scripts_do(dir: &Path) -> (Value, i32) {
    let out = dir.join("whole.json");
    let o = run(Command::new(bin())
        .args(["check", "fossology", "--db"])
        .arg(example().join("fossology.sql.gz"))
        .arg("--repo")
        .arg(dir.join("repository"))
        .arg("--conf")
        .arg(dir.join("etc/fossology.conf"))
        .args(["--quiet", "--output"])
        .arg(&out));
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&o.stderr));
    (read_json(&out), o.status.code().unwrap())
}

#[test]
fn gnu_parallel_shards_on_one_machine_merge_into_the_whole_run() {
    let script = shown_in_readme("deploy/parallel/repocheck-shards.sh", "sh", "#");
    assert!(script.contains("{#}"), "report names must not come from the K/N argument");
    let tmp = tempfile::tempdir().unwrap();
    damaged_example(tmp.path());
    let (whole, code) = whole_run_as_scripts_do(tmp.path());
    assert!(whole["summary"]["error"].as_u64().unwrap() >= 1, "{}", whole["findings"]);
    let mut cmd = Command::new("sh");
    cmd.current_dir(tmp.path()).arg(root().join("deploy/parallel/repocheck-shards.sh")).args(["6", "reports"]);
    installation_env(&mut cmd, tmp.path());
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
    for k in 1..=6 {
        let shard = read_json(&tmp.path().join(format!("reports/shard-{k}.json")));
        assert!(shard["targets"][0]["scope"]["range"].is_string());
    }
    assert_eq!(said(&read_json(&tmp.path().join("reports/all.json"))), said(&whole));
}

/// Each [REPOSITORY] share checked where it lies: the hosts map names the key of each
/// share (free names, not host names). Local jobs (`-S :`) stand in for the ssh logins;
/// the example is split over two keys, `localhost` and `archive`, both held by it.
#[test]
fn gnu_parallel_per_host_shares_merge_into_the_whole_run() {
    shown_in_readme("deploy/parallel/repocheck-hosts.sh", "sh", "#");
    let tmp = tempfile::tempdir().unwrap();
    damaged_example(tmp.path());
    let repo = tmp.path().join("repository");
    for p in walk(&repo) {
        let rel = p.strip_prefix(&repo).unwrap().to_str().unwrap().to_string();
        let name = p.file_name().unwrap().to_str().unwrap();
        if name.len() > 2 && name.as_bytes()[0] >= b'8' {
            let to = repo.join(rel.replacen("localhost", "archive", 1));
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::rename(&p, to).unwrap();
        }
    }
    std::fs::create_dir_all(repo.join("archive/gold")).unwrap();
    let conf = tmp.path().join("etc/fossology.conf");
    let text = std::fs::read_to_string(&conf).unwrap().replace("localhost[] = * 00 ff", "localhost[] = * 00 7f\narchive[] = * 80 ff");
    std::fs::write(&conf, text).unwrap();
    let (whole, code) = whole_run_as_scripts_do(tmp.path());
    std::fs::write(tmp.path().join("hosts.map"), ": localhost\n: archive\n").unwrap();
    let mut cmd = Command::new("sh");
    cmd.current_dir(tmp.path()).arg(root().join("deploy/parallel/repocheck-hosts.sh")).args(["hosts.map", "reports"]);
    installation_env(&mut cmd, tmp.path());
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
    for key in ["localhost", "archive"] {
        assert_eq!(read_json(&tmp.path().join(format!("reports/repocheck-{key}.json")))["targets"][0]["scope"]["host"], key);
    }
    assert_eq!(said(&read_json(&tmp.path().join("reports/all.json"))), said(&whole));
}

/// The fenced `sh` block of the README that contains `needle`.
fn readme_block_with(needle: &str) -> String {
    let readme = readme();
    let blocks: Vec<&str> = readme.split("```sh\n").skip(1).filter_map(|b| b.split("```").next()).collect();
    blocks.into_iter().find(|b| b.contains(needle)).unwrap_or_else(|| panic!("README.md has no ```sh block with {needle:?}")).to_string()
}

/// A one-node Slurm cluster from Debian's packages, started here: munged with a key made
/// for it, slurmctld and slurmd in the foreground with a `slurm.conf` in a temporary
/// directory (clients find it through `SLURM_CONF`). Dropped, it stops them by their PID.
struct Cluster {
    dir: tempfile::TempDir,
    daemons: Vec<(&'static str, std::process::Child)>,
}

impl Cluster {
    fn start() -> Cluster {
        // Made first: whatever fails below, dropping it stops what was started.
        let mut cluster = Cluster { daemons: Vec::new(), dir: tempfile::tempdir().unwrap() };
        let d = &cluster.dir.path().to_path_buf();
        for sub in ["munge", "state", "spool", "log"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        ok(Command::new("mungekey").arg("--create").arg("--keyfile").arg(d.join("munge/munge.key")).args(["--bits", "1024"]));
        let munged = Command::new("munged")
            .args(["--foreground", "--force"])
            .arg(format!("--key-file={}", d.join("munge/munge.key").display()))
            .arg(format!("--socket={}", d.join("munge/munge.socket").display()))
            .arg(format!("--pid-file={}", d.join("munge/munged.pid").display()))
            .arg(format!("--log-file={}", d.join("log/munged.log").display()))
            .arg(format!("--seed-file={}", d.join("munge/munged.seed").display()))
            .spawn()
            .expect("munged (Debian package munge)");
        cluster.daemons.push(("munged", munged));
        wait_for(|| d.join("munge/munge.socket").exists(), "munged's socket");
        // This node as slurmd sees it (its name and CPUs), and two free ports.
        let node = String::from_utf8(ok(Command::new("slurmd").arg("-C")).stdout).unwrap().lines().next().unwrap().to_string();
        let host = node.split_whitespace().next().unwrap().trim_start_matches("NodeName=").to_string();
        let port = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (ctld_port, d_port) = (port(), port());
        let p = |rel: &str| d.join(rel).display().to_string();
        let conf = format!(
            "ClusterName=repocheck-test\nSlurmctldHost={host}\nSlurmUser=root\nSlurmdUser=root\nAuthType=auth/munge\nAuthInfo=socket={}\nCredType=cred/munge\n\
             MpiDefault=none\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nReturnToService=2\nSlurmctldPidFile={}\nSlurmctldPort={ctld_port}\n\
             SlurmdPidFile={}\nSlurmdPort={d_port}\nSlurmdSpoolDir={}\nStateSaveLocation={}\nSchedulerType=sched/backfill\nSelectType=select/cons_tres\n\
             SelectTypeParameters=CR_Core\nJobCompType=jobcomp/none\nJobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n\
             SlurmctldLogFile={}\nSlurmdLogFile={}\nMinJobAge=600\n{node} State=UNKNOWN\nPartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            p("munge/munge.socket"),
            p("slurmctld.pid"),
            p("slurmd.pid"),
            p("spool"),
            p("state"),
            p("log/slurmctld.log"),
            p("log/slurmd.log"),
        );
        std::fs::write(d.join("slurm.conf"), conf).unwrap();
        for daemon in ["slurmctld", "slurmd"] {
            let log = std::fs::File::create(d.join(format!("log/{daemon}.out"))).unwrap();
            let child = Command::new(daemon)
                .arg("-D")
                .env("SLURM_CONF", d.join("slurm.conf"))
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("{daemon} (Debian package slurm-wlm): {e}"));
            cluster.daemons.push((daemon, child));
        }
        wait_for(|| cluster.slurm("sinfo", &["-h", "-o", "%T"]).trim() == "idle", "the node idle in sinfo");
        cluster
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("slurm.conf")
    }

    /// A Slurm client's standard output (empty when it fails).
    fn slurm(&self, cmd: &str, args: &[&str]) -> String {
        let out = run(Command::new(cmd).args(args).env("SLURM_CONF", self.conf()));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn logs(&self) -> String {
        ["log/slurmctld.log", "log/slurmd.log", "log/slurmctld.out", "log/slurmd.out"]
            .iter()
            .map(|l| std::fs::read_to_string(self.dir.path().join(l)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child) in self.daemons.iter_mut().rev() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `cond` for up to three minutes.
fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// `JobState` and `ExitCode` of every job `scontrol` still knows, by job name and id.
fn job_states(cluster: &Cluster) -> Vec<(String, String, String)> {
    cluster
        .slurm("scontrol", &["show", "job", "--oneliner"])
        .lines()
        .filter(|l| l.starts_with("JobId="))
        .map(|l| {
            let field = |k: &str| l.split_whitespace().find_map(|w| w.strip_prefix(k)).unwrap_or_default().to_string();
            (field("JobName="), field("JobState="), field("ExitCode="))
        })
        .collect()
}

/// The README's Slurm submission run as printed, on a one-node cluster of 2 CPUs: the
/// array's tasks get the node's CPUs (no fixed --cpus-per-task to stay pending), make their
/// report directory, take the shard count from the array, and the merge job that waits for
/// them says what one whole run says.
#[test]
fn slurm_array_and_its_merge_job_equal_the_whole_run() {
    let array = shown_in_readme("deploy/slurm/repocheck-array.sh", "sh", "#");
    shown_in_readme("deploy/slurm/repocheck-merge.sh", "sh", "#");
    assert!(!array.contains("--cpus-per-task") && array.contains("SLURM_ARRAY_TASK_COUNT") && array.contains("mkdir -p"));
    let submit = readme_block_with("sbatch --parsable --array=0-3");
    assert!(submit.contains("--dependency=afterok:"), "{submit}");
    let cluster = Cluster::start();
    let tmp = tempfile::tempdir().unwrap();
    damaged_example(tmp.path());
    let (whole, code) = whole_run_as_scripts_do(tmp.path());
    assert_eq!(code, 1);
    ok(Command::new("cp").arg("-a").arg(root().join("deploy")).arg(tmp.path()));
    let mut cmd = Command::new("sh");
    cmd.current_dir(tmp.path()).arg("-ec").arg(&submit).env("SLURM_CONF", cluster.conf()).env("REPOCHECK_REPORTS", tmp.path().join("reports"));
    installation_env(&mut cmd, tmp.path());
    ok(&mut cmd);
    wait_for(
        || {
            let states = job_states(&cluster);
            states.len() == 5 && states.iter().all(|(_, s, _)| s != "PENDING" && s != "RUNNING" && s != "COMPLETING")
        },
        "the array and the merge job to end",
    );
    let states = job_states(&cluster);
    let shards: Vec<_> = states.iter().filter(|(n, _, _)| n == "repocheck-shard").collect();
    assert_eq!(shards.len(), 4, "{states:?}\n{}", cluster.logs());
    assert!(shards.iter().all(|(_, s, e)| s == "COMPLETED" && e == "0:0"), "{states:?}");
    // The merge job's exit code is the verdict: findings, as the whole run's.
    assert!(states.iter().any(|(n, s, e)| n == "repocheck-merge" && s == "FAILED" && e == "1:0"), "{states:?}");
    let dirs: Vec<PathBuf> = std::fs::read_dir(tmp.path().join("reports")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "one directory per array job");
    for k in 1..=4 {
        assert_eq!(read_json(&dirs[0].join(format!("shard-{k}.json")))["targets"][0]["scope"]["range"], ["0000-3fff", "4000-7fff", "8000-bfff", "c000-ffff"][k - 1]);
    }
    assert_eq!(said(&read_json(&dirs[0].join("all.json"))), said(&whole));
}

fn yaml_docs(rel: &str) -> Vec<serde_yaml::Value> {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    serde_yaml::Deserializer::from_str(&text).map(|d| serde_yaml::Value::deserialize(d).unwrap_or_else(|e| panic!("{rel}: {e}"))).collect()
}

/// A string at a path of keys (numbers index sequences).
fn at<'a>(v: &'a serde_yaml::Value, path: &str) -> &'a serde_yaml::Value {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[k],
    })
}

fn s<'a>(v: &'a serde_yaml::Value, path: &str) -> &'a str {
    at(v, path).as_str().unwrap_or_else(|| panic!("{path} is not a string: {:?}", at(v, path)))
}

/// The `sh -c` script of a container, after checking it is `sh -c <one script>`.
fn shell_script(container: &serde_yaml::Value) -> String {
    let cmd: Vec<&str> = container["command"].as_sequence().expect("a command").iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(&cmd[..2], ["sh", "-c"], "{cmd:?}");
    assert_eq!(cmd.len(), 3);
    cmd[2].to_string()
}

/// Runs a manifest's shell script here, with the installation's paths in place of the
/// cluster's and `repocheck` the binary under test.
fn run_script(script: &str, subst: &[(&str, String)], env: &[(&str, String)]) -> Output {
    let mut script = script.to_string();
    for (from, to) in subst {
        assert!(script.contains(from), "{from} not in {script}");
        script = script.replace(from, to);
    }
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(&script).env("PATH", path_with_bin());
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// The Indexed Job as a Job needs it, and its scripts run here as the pods would run them:
/// the 8 shards' reports merged by the merge Job's command say what one whole run says.
#[test]
fn kubernetes_indexed_job_shards_and_merge_step_equal_the_whole_run() {
    let rel = "deploy/kubernetes/repocheck-indexed-job.yaml";
    shown_in_readme(rel, "yaml", "#");
    let docs = yaml_docs(rel);
    assert_eq!(docs.len(), 2);
    let (shards, merge) = (&docs[0], &docs[1]);
    for job in &docs {
        assert_eq!(s(job, "apiVersion"), "batch/v1");
        assert_eq!(s(job, "kind"), "Job");
        assert!(["Never", "OnFailure"].contains(&s(job, "spec.template.spec.restartPolicy")));
    }
    assert_eq!(s(shards, "spec.completionMode"), "Indexed");
    let n = at(shards, "spec.completions").as_u64().unwrap();
    assert_eq!(at(shards, "spec.parallelism").as_u64(), Some(n));
    assert_eq!(s(shards, "metadata.labels.step"), "shards");
    assert_eq!(s(merge, "metadata.labels.step"), "merge");
    let check = at(shards, "spec.template.spec.containers.0");
    let mounts = check["volumeMounts"].as_sequence().unwrap();
    let mount = |name: &str| mounts.iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("no {name} mount"));
    assert_eq!(mount("repository")["readOnly"].as_bool(), Some(true));
    assert_ne!(mount("reports")["readOnly"].as_bool(), Some(true));
    let volumes = at(shards, "spec.template.spec.volumes").as_sequence().unwrap();
    for m in mounts {
        assert!(volumes.iter().any(|v| v["name"] == m["name"]), "volume {:?} not defined", m["name"]);
    }
    let repo_claim = volumes.iter().find(|v| v["name"] == "repository").unwrap();
    assert_eq!(repo_claim["persistentVolumeClaim"]["readOnly"].as_bool(), Some(true));
    let script = shell_script(check);
    assert!(script.contains(&format!("/{n}\"")), "the shard count is the Job's completions: {script}");
    assert!(script.contains(&format!("--repo {}", s(&mount("repository").clone(), "mountPath"))));
    let merger = at(merge, "spec.template.spec.containers.0");
    let merge_reports = merger["volumeMounts"].as_sequence().unwrap().iter().find(|m| m["name"] == "reports").expect("the merge mounts the reports");
    assert_eq!(merge_reports["mountPath"], mount("reports")["mountPath"]);
    let reports_claim =
        |doc: &serde_yaml::Value| at(doc, "spec.template.spec.volumes").as_sequence().unwrap().iter().find(|v| v["name"] == "reports").unwrap()["persistentVolumeClaim"]["claimName"].clone();
    assert_eq!(reports_claim(shards), reports_claim(merge), "the merge reads the shards' volume");

    let tmp = tempfile::tempdir().unwrap();
    damaged_example(tmp.path());
    let (whole, code) = whole_run_as_scripts_do(tmp.path());
    let reports = tmp.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let subst = |extra: bool| {
        let mut v = vec![("/reports/", format!("{}/", reports.display()))];
        if extra {
            v.push(("/srv/fossology/repository", tmp.path().join("repository").display().to_string()));
            v.push(("/etc/fossology", tmp.path().join("etc/fossology.conf").display().to_string()));
        }
        v
    };
    for index in 0..n {
        let o = run_script(&script, &subst(true), &[("DB_URL", example().join("fossology.sql.gz").display().to_string()), ("JOB_COMPLETION_INDEX", index.to_string())]);
        assert_eq!(o.status.code(), Some(0), "shard {index}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let o = run_script(&shell_script(merger), &subst(false), &[]);
    assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(said(&read_json(&reports.join("all.json"))), said(&whole));
    assert!(reports.join("all.html").is_file());
}

/// The compose service beside FOSSology's own stack: its repository volume (read-only) and
/// its `db` service, and a command that is a valid check (run here on the example).
#[test]
fn compose_service_checks_fossologys_volume_and_database() {
    let rel = "deploy/compose/docker-compose.repocheck.yml";
    shown_in_readme(rel, "yaml", "#");
    let docs = yaml_docs(rel);
    let service = &docs[0]["services"]["repocheck"];
    assert!(docs[0]["volumes"].as_mapping().unwrap().contains_key("repository"), "FOSSology's named volume");
    assert!(service["depends_on"].as_sequence().unwrap().iter().any(|d| d == "db"));
    let volumes: Vec<&str> = service["volumes"].as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(volumes.contains(&"repository:/srv/fossology/repository:ro"), "{volumes:?}");
    let reports = volumes.iter().find_map(|v| v.strip_suffix(":/reports")).expect("a reports mount");
    assert!(!reports.is_empty());
    // Compose makes $$ a $; the password comes from the environment, as FOSSology's own.
    let script = shell_script(service).replace("$$", "$");
    assert!(script.contains("@db/fossology"), "{script}");
    let tmp = tempfile::tempdir().unwrap();
    damaged_example(tmp.path());
    let (whole, code) = whole_run_as_scripts_do(tmp.path());
    std::fs::create_dir(tmp.path().join("reports")).unwrap();
    let subst = [
        ("\"postgres://fossy:$FOSSOLOGY_DB_PASSWORD@db/fossology\"", example().join("fossology.sql.gz").display().to_string()),
        ("/srv/fossology/repository", tmp.path().join("repository").display().to_string()),
        ("/reports/", format!("{}/", tmp.path().join("reports").display())),
    ];
    let o = run_script(&script, &subst, &[("FOSSOLOGY_DB_PASSWORD", "fossy".into())]);
    assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
    let report = read_json(&tmp.path().join("reports/repocheck.json"));
    // The same findings as a whole run with the configuration (the layout is inferred).
    assert_eq!(said(&report)["findings"], said(&whole)["findings"]);
    assert!(tmp.path().join("reports/repocheck.html").is_file());
}

/// A `containers.conf` for this VM: runc (crun refuses its cgroup layout) and ulimits it
/// allows (it withholds CAP_SYS_RESOURCE).
fn containers_conf(dir: &Path) -> PathBuf {
    let conf = dir.join("containers.conf");
    std::fs::write(&conf, "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\n[engine]\nruntime = \"runc\"\n").unwrap();
    conf
}

/// Removes the image when dropped.
struct Image(String, PathBuf);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = Command::new("podman").args(["rmi", "--force", &self.0]).env("CONTAINERS_CONF", &self.1).output();
    }
}

/// The image built by deploy/container/build.sh with podman (Debian's package; FROM scratch,
/// no registry), from the binary under test: a check of the example with the repository
/// mounted read-only says what the check says outside it, and the repository stays as it
/// was (the container cannot write to it).
#[test]
fn container_image_checks_a_read_only_repository() {
    let containerfile = std::fs::read_to_string(root().join("deploy/container/Containerfile")).unwrap();
    assert!(containerfile.lines().any(|l| l == "FROM scratch"), "{containerfile}");
    let tmp = tempfile::tempdir().unwrap();
    let conf = containers_conf(tmp.path());
    let tag = format!("localhost/repocheck-test:{}", std::process::id());
    let image = Image(tag.clone(), conf.clone());
    let block = readme_block_with("deploy/container/build.sh");
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines.len(), 3, "{block}");
    assert_eq!(lines[0], "cargo build --release --locked");
    assert_eq!(lines[1], "sh deploy/container/build.sh target/release/repocheck");
    ok(Command::new("sh").current_dir(root()).arg("deploy/container/build.sh").arg(bin()).env("IMAGE", &image.0).env("CONTAINERS_CONF", &conf));
    // The README's first check in the image, as printed (the image under its test tag).
    assert!(lines[2].starts_with("podman run ") && lines[2].contains(":ro\" "), "{}", lines[2]);
    let o = run(Command::new("sh").current_dir(root()).arg("-c").arg(lines[2].replace("localhost/repocheck:latest", &image.0)).env("CONTAINERS_CONF", &conf));
    assert_eq!(o.status.code(), Some(0), "{}: {}", lines[2], String::from_utf8_lossy(&o.stderr));
    let first: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(first["summary"]["error"], 0);
    assert!(first["stats"]["entries_walked"].as_u64().unwrap() > 0);
    damaged_example(tmp.path());
    let (whole, code) = whole_run_as_scripts_do(tmp.path());
    std::fs::copy(example().join("fossology.sql.gz"), tmp.path().join("fossology.sql.gz")).unwrap();
    let before = walk(&tmp.path().join("repository"));
    let mount = format!("{}:/srv/fossology:ro", tmp.path().display());
    let podman = |args: &[&str]| run(Command::new("podman").args(["run", "--rm", "--network=none", "-v", &mount]).args(args).env("CONTAINERS_CONF", &conf));
    let o = podman(&[&image.0, "check", "fossology", "--db", "/srv/fossology/fossology.sql.gz", "--repo", "/srv/fossology/repository", "--conf", "/srv/fossology/etc", "--format", "json"]);
    assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["targets"][0]["inputs"]["repo"], "/srv/fossology/repository");
    for part in ["findings", "summary", "repairs", "plan"] {
        assert_eq!(said(&report)[part], said(&whole)[part], "{part}");
    }
    // The shell the manifests' `sh -c` needs, with repocheck on its PATH; the mount is
    // read-only inside.
    let o = podman(&["--entrypoint", "sh", &image.0, "-c", "repocheck --version && ! touch /srv/fossology/repository/x 2>/dev/null && echo read-only"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("read-only\n"), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(walk(&tmp.path().join("repository")), before);
}

/// The README's package block: build it as printed (the binary under test in place of the
/// release build), unpack it into a scratch root, run what it installed, and verify its
/// units there with `systemd-analyze verify`.
#[test]
fn debian_package_installs_a_working_binary_site_file_and_valid_units() {
    let block = readme_block_with("deploy/debian/build-deb.sh");
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines.len(), 3, "{block}");
    assert_eq!(lines[0], "cargo build --release --locked");
    let build = lines[1].strip_prefix("sh deploy/debian/build-deb.sh ").expect(lines[1]);
    assert_eq!(build, "target/release/repocheck");
    let deb = root().join(lines[2].strip_prefix("sudo dpkg -i ").expect(lines[2]));
    let _ = std::fs::remove_file(&deb);
    ok(Command::new("sh").current_dir(root()).arg("deploy/debian/build-deb.sh").arg(bin()));
    assert!(deb.is_file(), "the README names the package the script builds: {}", deb.display());
    let info = String::from_utf8(ok(Command::new("dpkg-deb").arg("--field").arg(&deb).args(["Package", "Version", "Architecture"])).stdout).unwrap();
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let version = cargo.lines().find_map(|l| l.strip_prefix("version = \"")).unwrap().trim_end_matches('"');
    assert!(info.contains("Package: repocheck") && info.contains(&format!("Version: {version}")), "{info}");
    let conffiles = String::from_utf8(ok(Command::new("dpkg-deb").arg("--info").arg(&deb).arg("conffiles")).stdout).unwrap();
    assert_eq!(conffiles.trim(), "/etc/repocheck/site.toml");

    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path().join("root");
    ok(Command::new("dpkg").arg("-x").arg(&deb).arg(&r));
    let installed = r.join("usr/bin/repocheck");
    // The installed binary on the bundled example, with the installed rules as a site's own.
    let e = example();
    let o = run(Command::new(&installed)
        .args(["check", "fossology", "--db"])
        .arg(e.join("fossology.sql.gz"))
        .arg("--repo")
        .arg(e.join("repository"))
        .arg("--conf")
        .arg(e.join("etc/fossology.conf"))
        .arg("--rules")
        .arg(r.join("usr/share/repocheck/rules"))
        .args(["--format", "json"]));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["summary"]["error"], 0);
    assert!(report["stats"]["db_rows"].as_u64().unwrap() > 0);
    for rules in std::fs::read_dir(root().join("rules")).unwrap() {
        let name = rules.unwrap().file_name();
        assert_eq!(std::fs::read(r.join("usr/share/repocheck/rules").join(&name)).unwrap(), std::fs::read(root().join("rules").join(&name)).unwrap());
    }
    // Man pages, one per command, and completions for three shells.
    for page in ["repocheck.1.gz", "repocheck-check-fossology.1.gz", "repocheck-merge.1.gz"] {
        let text = ok(Command::new("sh").arg("-c").arg(format!("zcat '{}'", r.join("usr/share/man/man1").join(page).display()))).stdout;
        assert!(String::from_utf8_lossy(&text).contains(".TH"), "{page}");
    }
    for c in ["usr/share/bash-completion/completions/repocheck", "usr/share/zsh/vendor-completions/_repocheck", "usr/share/fish/vendor_completions.d/repocheck.fish"] {
        assert!(std::fs::read_to_string(r.join(c)).unwrap().contains("repocheck"), "{c}");
    }
    let site = shown_in_readme_as("deploy/debian/site.toml", "/etc/repocheck/site.toml", "toml", "#");
    assert_eq!(std::fs::read_to_string(r.join("etc/repocheck/site.toml")).unwrap(), site);
    let service = shown_in_readme_as("deploy/debian/repocheck.service", "/lib/systemd/system/repocheck.service", "ini", "#");
    let timer = shown_in_readme_as("deploy/debian/repocheck.timer", "/lib/systemd/system/repocheck.timer", "ini", "#");
    assert!(service.contains("\nUser=fossy\n") && service.contains("\nType=oneshot\n"));
    assert!(timer.contains("\nOnCalendar=*-*-* 01:30:00\n") && timer.contains("\nWantedBy=timers.target\n"));

    // The service's command and the cron line's, on the example: the installed site file
    // with the example in place of the installation, outputs in the scratch directory.
    let exec = service.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
    let cron_block = readme().split("```cron\n").nth(1).unwrap().split("```").next().unwrap().to_string();
    let cron: Vec<&str> = cron_block.trim().splitn(7, ' ').collect();
    assert_eq!(cron[..6], ["30", "1", "*", "*", "*", "fossy"], "cron runs as fossy when the timer does");
    assert_eq!(cron[6], exec, "the cron line runs what the service runs");
    let site_copy = tmp.path().join("site.toml");
    let text = site
        .replace("postgres://fossy@localhost/fossology?host=/var/run/postgresql", &e.join("fossology.sql.gz").display().to_string())
        .replace("/srv/fossology/repository", &e.join("repository").display().to_string())
        .replace("/usr/local/etc/fossology", &e.join("etc").display().to_string());
    assert_ne!(text, site);
    std::fs::write(&site_copy, text).unwrap();
    let prom = tmp.path().join("repocheck.prom");
    let last = tmp.path().join("last.json");
    let command = exec
        .replace("/usr/bin/repocheck", &installed.display().to_string())
        .replace("/etc/repocheck/site.toml", &site_copy.display().to_string())
        .replace("/var/lib/prometheus/node-exporter/repocheck.prom", &prom.display().to_string())
        .replace("/var/log/repocheck/last.json", &last.display().to_string());
    let o = run(Command::new("sh").arg("-c").arg(&command));
    assert_eq!(o.status.code(), Some(0), "{command}: {}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&prom).unwrap().contains("repocheck_success 1"));
    assert_eq!(read_json(&last)["targets"][0]["product"], "fossology");

    // systemd-analyze verify in the scratch root, with the system's own units beside the
    // package's (the targets they name) and the installed man pages for Documentation=.
    for unit in std::fs::read_dir("/lib/systemd/system").unwrap() {
        let unit = unit.unwrap();
        let to = r.join("lib/systemd/system").join(unit.file_name());
        if !to.exists() {
            ok(Command::new("cp").arg("-a").arg(unit.path()).arg(&to));
        }
    }
    let verify = |root: &Path| {
        run(Command::new("systemd-analyze")
            .arg("verify")
            .arg(format!("--root={}", root.display()))
            .args(["/lib/systemd/system/repocheck.service", "/lib/systemd/system/repocheck.timer"])
            .env("MANPATH", root.join("usr/share/man")))
    };
    let o = verify(&r);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    // The same verify fails on a timer with an error in it (it checks what it is given).
    std::fs::write(r.join("lib/systemd/system/repocheck.timer"), timer.replace("OnCalendar=*-*-* 01:30:00", "OnCalendar=*-*-* 25:30:00")).unwrap();
    assert!(!verify(&r).status.success() || !verify(&r).stderr.is_empty(), "systemd-analyze verify took a broken timer");
}
