//! The Fiorano checks over `FIORANO_HOME/runtimedata` (and the system repository of
//! `--install`): event processes complete and consistent, components resolvable and
//! complete, policies naming existing alerts, no transient stores in a backup set.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::model::{self, EventProcess, ServiceDescriptor, same_version};
use super::{Params, Rule, TransientInBackupParams};
use crate::details;
use crate::engine::report::Target;
use crate::engine::sink::Sink;

/// What `check fiorano` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckOptions {
    /// FIORANO_HOME/runtimedata (or a backup copy of it).
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub runtimedata: PathBuf,
    /// FIORANO_INSTALL_DIR, for the system component and application repositories.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub install: Option<PathBuf>,
}

/// A child of `dir` by name, ignoring case: the code writes lower case (`config`,
/// `schemas`), the documents write `Config`, `Schemas`, and Windows does not care.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if exact.exists() {
        return Some(exact);
    }
    std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.eq_ignore_ascii_case(name)))
}

fn find_path(dir: &Path, parts: &[&str]) -> Option<PathBuf> {
    parts.iter().try_fold(dir.to_path_buf(), |d, p| find(&d, p))
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir() && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))).collect();
    v.sort();
    v
}

/// The subdirectories of a repository folder the check walks; a folder that cannot be read
/// is a finding (of `rule`), not a silent gap in the report.
fn walked_subdirs(sink: &Sink, dir: &Path, rule: Rule, rel: &dyn Fn(&Path) -> String) -> Vec<PathBuf> {
    if let Err(e) = std::fs::read_dir(dir) {
        sink.emit(rule, rel(dir), format!("cannot be read ({e}): what it holds was not checked"), details! { "error" => e.to_string() }, None);
        return Vec::new();
    }
    subdirs(dir)
}

fn name_of(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Reads an XML file with a size limit.
fn read_xml(path: &Path) -> Result<String, String> {
    // Opened only when it is a regular file: a FIFO in the tree would block.
    let file = crate::engine::io::open_regular(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    if len > model::MAX_XML_BYTES {
        return Err(format!("{len} bytes, more than an XML document of this kind can be"));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    std::io::Read::read_to_end(&mut std::io::Read::take(file, model::MAX_XML_BYTES + 1), &mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > model::MAX_XML_BYTES {
        return Err(format!("more than {} bytes, more than an XML document of this kind can be", model::MAX_XML_BYTES));
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())
}

/// Component repositories: the user's, then the system's.
struct Components {
    repos: Vec<(String, PathBuf)>,
}

impl Components {
    /// The folder of component `guid`/`version`, and the repository label.
    fn resolve(&self, guid: &str, version: &str) -> Option<(String, PathBuf)> {
        for (label, repo) in &self.repos {
            if let Some(g) = find(repo, guid) {
                for v in subdirs(&g) {
                    if same_version(&name_of(&v), version) {
                        return Some((label.clone(), v));
                    }
                }
            }
        }
        None
    }
}

/// The report's target; `--runtimedata` must be a readable directory.
pub fn target(opts: &CheckOptions) -> Result<Target> {
    let rd = &opts.runtimedata;
    if !rd.is_dir() {
        bail!("--runtimedata {}: not a directory", rd.display());
    }
    std::fs::read_dir(rd).map_err(|e| anyhow::anyhow!("--runtimedata {}: cannot read ({e})", rd.display()))?;
    if let Some(install) = &opts.install
        && !install.is_dir()
    {
        bail!("--install {}: not a directory", install.display());
    }
    let mut target = Target::new("fiorano").input("runtimedata", rd.display().to_string());
    if let Some(i) = &opts.install {
        target = target.input("install", i.display().to_string());
    }
    Ok(target)
}

pub fn check(opts: &CheckOptions, params: &Params, sink: &Sink) -> Result<()> {
    let rd = &opts.runtimedata;
    let repo = find(rd, "repository").unwrap_or_else(|| rd.join("repository"));
    let system = opts.install.as_ref().and_then(|i| find_path(i, &["esb", "server", "repository"]));
    let mut repos = Vec::new();
    if let Some(c) = find(&repo, "components") {
        repos.push(("user".to_string(), c));
    }
    if let Some(c) = system.as_ref().and_then(|s| find(s, "components")) {
        repos.push(("system".to_string(), c));
    }
    let components = Components { repos };
    let app_repos: Vec<PathBuf> = [find(&repo, "applications"), system.as_ref().and_then(|s| find(s, "applications"))].into_iter().flatten().collect();

    let rel = |p: &Path| -> String {
        if let Ok(r) = p.strip_prefix(rd) {
            return r.display().to_string();
        }
        if let Some(i) = &opts.install
            && let Ok(r) = p.strip_prefix(i)
        {
            return format!("install:{}", r.display());
        }
        p.display().to_string()
    };

    // Event processes of the user repository.
    let mut used_components = Vec::new();
    if let Some(apps) = find(&repo, "applications") {
        for guid_dir in walked_subdirs(sink, &apps, Rule::EventProcessIncomplete, &rel) {
            for version_dir in walked_subdirs(sink, &guid_dir, Rule::EventProcessIncomplete, &rel) {
                sink.stats.add_entries(1);
                check_event_process(sink, params, &guid_dir, &version_dir, &components, &app_repos, &rel, &mut used_components)?;
            }
        }
    }
    // Every component of the user repository and the system components in use, then what
    // their servicerefs need, recursively.
    let mut roots = Vec::new();
    if let Some((_, user)) = components.repos.iter().find(|(l, _)| l == "user") {
        for g in walked_subdirs(sink, user, Rule::ComponentIncomplete, &rel) {
            roots.extend(walked_subdirs(sink, &g, Rule::ComponentIncomplete, &rel));
        }
    }
    for folder in used_components {
        if !roots.contains(&folder) {
            roots.push(folder);
        }
    }
    check_components(sink, params, &roots, &components, &rel)?;
    check_policies(sink, params, &repo, &rel)?;
    check_transient(sink, params, rd, &rel)?;
    Ok(())
}

/// Checks one event process folder (`<guid>/<version>` of the application repository); the
/// component folders its service instances run go into `used`.
#[allow(clippy::too_many_arguments)]
fn check_event_process(
    sink: &Sink,
    params: &Params,
    guid_dir: &Path,
    dir: &Path,
    components: &Components,
    app_repos: &[PathBuf],
    rel: &dyn Fn(&Path) -> String,
    used: &mut Vec<PathBuf>,
) -> Result<()> {
    let subject = rel(dir);
    let Some((ep_path, ep)) = read_event_process(sink, dir, &subject, rel) else { return Ok(()) };
    check_folder_names(sink, guid_dir, dir, &ep_path, &ep, rel);
    for (m, by) in &missing_files(params, dir, &ep) {
        sink.emit(
            Rule::EventProcessIncomplete,
            format!("{subject}/{m}"),
            format!("EventProcess.xml of {} references {m} ({}), which is missing: the event process was copied in part", ep.guid, by.join("; ")),
            details! { "application" => ep.guid, "version" => ep.version, "missing" => m, "referenced_by" => by },
            None,
        );
    }
    check_remote_instances(sink, &subject, &ep, app_repos);
    check_routes(sink, &subject, &ep);
    // Each service instance's component.
    for inst in &ep.instances {
        if let Some((guid, version)) = &inst.service {
            match components.resolve(guid, version) {
                Some((_, folder)) => used.push(folder),
                None => sink.emit(
                    Rule::ComponentMissing,
                    format!("{subject}/{}", inst.name),
                    format!("instance {} runs component {guid} version {version}, which is in neither the user nor the system component repository", inst.name),
                    details! { "application" => ep.guid, "instance" => inst.name, "guid" => guid, "version" => version, "repositories" => components.repos.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>() },
                    None,
                ),
            }
        }
    }
    Ok(())
}

/// The folder's `EventProcess.xml`, where it is and what it says; `None` when it is missing
/// or cannot be read (reported).
fn read_event_process(sink: &Sink, dir: &Path, subject: &str, rel: &dyn Fn(&Path) -> String) -> Option<(PathBuf, EventProcess)> {
    let Some(ep_path) = find(dir, "EventProcess.xml") else {
        sink.emit(
            Rule::EventProcessIncomplete,
            subject,
            "EventProcess.xml is missing: the event process was copied in part (the vendor: copying partial data corrupts it)".to_string(),
            details! { "missing" => "EventProcess.xml" },
            None,
        );
        return None;
    };
    let invalid = |message: String, e: String| sink.emit(Rule::EventProcessInvalid, rel(&ep_path), message, details! { "error" => e }, None);
    let text = match read_xml(&ep_path) {
        Ok(t) => t,
        Err(e) => {
            invalid(format!("EventProcess.xml cannot be read: {e}"), e);
            return None;
        }
    };
    let doc = match model::parse(&text) {
        Ok(d) => d,
        Err(e) => {
            invalid(format!("EventProcess.xml is not well-formed XML: {e}"), e);
            return None;
        }
    };
    match model::event_process(&doc) {
        Ok(ep) => Some((ep_path, ep)),
        Err(e) => {
            invalid(format!("EventProcess.xml: {e}"), e);
            None
        }
    }
}

/// `fiorano/event-process-invalid` when `EventProcess.xml` names another GUID or version
/// than its folder.
fn check_folder_names(sink: &Sink, guid_dir: &Path, dir: &Path, ep_path: &Path, ep: &EventProcess, rel: &dyn Fn(&Path) -> String) {
    // The folder is the GUID in upper case and the version as a float (ApplicationRepository).
    let folder_guid = name_of(guid_dir);
    let folder_version = name_of(dir);
    if !ep.guid.eq_ignore_ascii_case(&folder_guid) || !same_version(&ep.version, &folder_version) {
        sink.emit(
            Rule::EventProcessInvalid,
            rel(ep_path),
            format!("EventProcess.xml says {} version {}, the folder is {folder_guid}/{folder_version} (the server refuses it: Mismatch in Application guid)", ep.guid, ep.version),
            details! { "guid" => ep.guid, "version" => ep.version, "folder_guid" => folder_guid, "folder_version" => folder_version },
            None,
        );
    }
}

/// The files `EventProcess.xml` references that its folder lacks, each once with everything
/// that references it: two ports may name one schema (an instance's input and output port,
/// or the fault port of several instances).
fn missing_files(params: &Params, dir: &Path, ep: &EventProcess) -> Vec<(String, Vec<String>)> {
    let mut missing: Vec<(String, Vec<String>)> = Vec::new();
    let mut need = |parts: &[&str], by: String| {
        if find_path(dir, parts).is_none() {
            let path = parts.join("/");
            match missing.iter_mut().find(|(p, _)| *p == path) {
                Some((_, refs)) if !refs.contains(&by) => refs.push(by),
                Some(_) => {}
                None => missing.push((path, vec![by])),
            }
        }
    };
    for f in &ep.context_schema_files {
        need(&["schemas", f], "the application context's schema".to_string());
    }
    for inst in &ep.instances {
        if let Some(c) = &inst.config_file {
            need(&["config", c], format!("{}'s configuration", inst.name));
        }
        for port in &inst.ports {
            let kind = if port.input { "input" } else { "output" };
            for f in &port.schema_files {
                need(&["schemas", f], format!("{} {kind} port {}'s schema", inst.name, port.name));
            }
            for f in &port.transformation_files {
                need(&["transformations", "ports", &inst.name, &port.name, f], format!("{} {kind} port {}'s transformation", inst.name, port.name));
            }
        }
    }
    for route in &ep.routes {
        for f in &route.transformation_files {
            need(&["transformations", "routes", &route.name, f], format!("route {}'s transformation", route.name));
        }
    }
    // The server loads an event process with the manageable properties of its deployment
    // label and refuses it when env/<label>.xml does not exist (FioranoESB
    // ApplicationParser.readApplication → Application.readManageableProperties; the label is
    // lower-cased by ApplicationReference.getLabel, and "none" needs no file).
    // ApplicationParser.writeApplication writes that file for every event process.
    if params.event_process_incomplete.require_env_file
        && let Some(label) = ep.deployment_label.as_deref().map(str::to_ascii_lowercase)
        && label != "none"
    {
        need(&["env", &format!("{label}.xml")], format!("the deployment label {label}'s manageable properties"));
    }
    missing
}

/// Remote instances run in another application, which must exist.
fn check_remote_instances(sink: &Sink, subject: &str, ep: &EventProcess, app_repos: &[PathBuf]) {
    for inst in &ep.instances {
        if let Some((guid, version, _)) = &inst.remote {
            let exists = app_repos.iter().any(|r| find(r, guid).is_some_and(|g| subdirs(&g).iter().any(|v| same_version(&name_of(v), version))));
            if !exists {
                sink.emit(
                    Rule::EventProcessIncomplete,
                    format!("{subject}/{}", inst.name),
                    format!("remote instance {} belongs to application {guid} version {version}, which is not in the repository", inst.name),
                    details! { "instance" => inst.name, "application_guid" => guid, "application_version" => version },
                    None,
                );
            }
        }
    }
}

/// Routes join existing instances and ports.
fn check_routes(sink: &Sink, subject: &str, ep: &EventProcess) {
    for route in &ep.routes {
        for (end, (inst_name, port)) in [("source", &route.source), ("target", &route.target)] {
            let Some(inst) = ep.instances.iter().find(|i| &i.name == inst_name) else {
                sink.emit(
                    Rule::RouteDangling,
                    format!("{subject}/route {}", route.name),
                    format!("route {} {end} names instance '{inst_name}', which the event process does not have", route.name),
                    details! { "route" => route.name, "end" => end, "instance" => inst_name, "port" => port },
                    None,
                );
                continue;
            };
            // A remote instance's ports are in its own application.
            if inst.remote.is_none() && !inst.ports.iter().any(|p| &p.name == port) {
                sink.emit(
                    Rule::RouteDangling,
                    format!("{subject}/route {}", route.name),
                    format!("route {} {end} names port '{port}' of {inst_name}, which has no such port", route.name),
                    details! { "route" => route.name, "end" => end, "instance" => inst_name, "port" => port, "ports" => inst.ports.iter().map(|p| p.name.clone()).collect::<Vec<_>>() },
                    None,
                );
            }
        }
    }
}

/// A component missing from every repository that servicerefs need: who lists it, and the
/// chains of servicerefs from the components that lead to it.
#[derive(Default)]
struct MissingRef {
    listed_by: BTreeSet<String>,
    paths: BTreeSet<String>,
}

/// Checks the components in `roots` and every component their servicerefs lead to. The
/// launcher resolves servicerefs recursively — each one's resources, then its own
/// servicerefs, skipping those already taken (FioranoESB JVMCommandProvider.addDependencies →
/// fillResourcePacket → addDependencies) — so a component missing anywhere down the chain
/// stops the launch. Each missing component is one finding naming the chains that need it.
fn check_components(sink: &Sink, params: &Params, roots: &[PathBuf], components: &Components, rel: &dyn Fn(&Path) -> String) -> Result<()> {
    let case_insensitive = params.component_incomplete.case_insensitive_names;
    let mut descriptors: BTreeMap<PathBuf, Option<ServiceDescriptor>> = BTreeMap::new();
    let mut describe = |folder: &Path| -> Option<ServiceDescriptor> { descriptors.entry(folder.to_path_buf()).or_insert_with(|| check_component(sink, folder, rel, case_insensitive)).clone() };
    let mut missing: BTreeMap<(String, String), MissingRef> = BTreeMap::new();
    for root in roots {
        let Some(sd) = describe(root) else { continue };
        // Breadth first from this root: the shortest chain to each component, each once.
        let mut seen: BTreeSet<PathBuf> = BTreeSet::from([root.clone()]);
        let mut missing_seen: BTreeSet<(String, String)> = BTreeSet::new();
        let start = format!("{} {}", sd.guid, sd.version);
        let mut queue = VecDeque::from([(sd, vec![start])]);
        while let Some((sd, chain)) = queue.pop_front() {
            for (guid, version) in &sd.servicerefs {
                let step = format!("{guid} {version}");
                match components.resolve(guid, version) {
                    Some((_, folder)) => {
                        if seen.insert(folder.clone())
                            && let Some(next) = describe(&folder)
                        {
                            let mut longer = chain.clone();
                            longer.push(step);
                            queue.push_back((next, longer));
                        }
                    }
                    None => {
                        let m = missing.entry((guid.clone(), version.clone())).or_default();
                        m.listed_by.insert(format!("{} {}", sd.guid, sd.version));
                        if missing_seen.insert((guid.clone(), version.clone())) {
                            m.paths.insert(chain.iter().chain([&step]).cloned().collect::<Vec<_>>().join(" → "));
                        }
                    }
                }
            }
        }
    }
    for ((guid, version), m) in &missing {
        const SHOWN: usize = 5;
        let mut chains: Vec<&str> = m.paths.iter().map(String::as_str).take(SHOWN).collect();
        let more = m.paths.len().saturating_sub(SHOWN);
        if more > 0 {
            chains.push("…");
        }
        sink.emit(
            Rule::ServicerefMissing,
            format!("serviceref {guid}:{version}"),
            format!(
                "component {guid} version {version} is in no component repository, and launching needs it: {}{} (listed by {})",
                chains.join("; "),
                if more > 0 { format!(" and {more} more chain{}", if more == 1 { "" } else { "s" }) } else { String::new() },
                m.listed_by.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            details! { "serviceref_guid" => guid, "serviceref_version" => version, "listed_by" => m.listed_by, "paths" => m.paths },
            None,
        );
    }
    Ok(())
}

enum Present {
    Yes,
    /// Only under another case: the name found.
    OtherCase(String),
    No,
}

/// Whether the file `name` (a path relative to `dir`) is there as the server's file system
/// sees it: by its exact name, or ignoring case when `case_insensitive`.
fn present(dir: &Path, name: &str, case_insensitive: bool) -> Present {
    if dir.join(name).exists() {
        return Present::Yes;
    }
    let parts: Vec<&str> = name.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    match find_path(dir, &parts) {
        Some(_) if case_insensitive => Present::Yes,
        Some(p) => Present::OtherCase(p.strip_prefix(dir).map(|r| r.to_string_lossy().into_owned()).unwrap_or_else(|_| name_of(&p))),
        None => Present::No,
    }
}

/// Checks one component folder: its descriptor, and the files it lists. The descriptor, when
/// it could be read, for the servicerefs.
fn check_component(sink: &Sink, dir: &Path, rel: &dyn Fn(&Path) -> String, case_insensitive: bool) -> Option<ServiceDescriptor> {
    sink.stats.add_entries(1);
    let subject = rel(dir);
    let Some(path) = find(dir, "ServiceDescriptor.xml") else {
        sink.emit(Rule::ComponentIncomplete, &subject, "ServiceDescriptor.xml is missing".to_string(), details! { "missing" => "ServiceDescriptor.xml" }, None);
        return None;
    };
    let parsed = read_xml(&path).and_then(|t| model::parse(&t).map_err(|e| format!("not well-formed XML: {e}")).and_then(|d| model::service_descriptor(&d)));
    let sd = match parsed {
        Ok(sd) => sd,
        Err(e) => {
            sink.emit(Rule::ComponentIncomplete, rel(&path), format!("ServiceDescriptor.xml: {e}"), details! { "error" => e }, None);
            return None;
        }
    };
    let folder_guid = dir.parent().map(name_of).unwrap_or_default();
    let folder_version = name_of(dir);
    if sd.guid != folder_guid || !same_version(&sd.version, &folder_version) {
        sink.emit(
            Rule::ComponentIncomplete,
            rel(&path),
            format!("ServiceDescriptor.xml says {} version {}, the folder is {folder_guid}/{folder_version}", sd.guid, sd.version),
            details! { "guid" => sd.guid, "version" => sd.version, "folder_guid" => folder_guid, "folder_version" => folder_version },
            None,
        );
    }
    // Each listed file once, however it is listed (a resource and a port schema may be one file).
    let mut listed: Vec<(&str, Vec<&str>)> = Vec::new();
    for (f, how) in sd.resources.iter().map(|f| (f, "a resource")).chain(sd.schema_files.iter().map(|f| (f, "a port schema"))) {
        match listed.iter_mut().find(|(g, _)| g == f) {
            Some((_, hows)) if !hows.contains(&how) => hows.push(how),
            Some(_) => {}
            None => listed.push((f, vec![how])),
        }
    }
    // The server looks a resource up by its exact name (FioranoESB
    // MicroServiceRepoManager.fetchResourceFile: new File(<component folder>/<name>).exists()),
    // which on Linux is case-sensitive: fesb-comp-feeder.jar is not fesb-comp-Feeder.jar.
    for (f, hows) in &listed {
        let found = match present(dir, f, case_insensitive) {
            Present::Yes => continue,
            Present::OtherCase(actual) => Some(actual),
            Present::No => None,
        };
        let how = hows.join(" and as ");
        let message = match &found {
            Some(actual) => format!(
                "component {} {} lists {f} (as {how}), but its folder has {actual}: the server looks files up by their exact name, case-sensitive on Linux; rename one to match the other (rule parameter case_insensitive_names for a server on a case-insensitive file system)",
                sd.guid, sd.version
            ),
            None => format!("component {} {} lists {f} (as {how}), which is not in its folder", sd.guid, sd.version),
        };
        sink.emit(
            Rule::ComponentIncomplete,
            format!("{subject}/{f}"),
            message,
            details! { "guid" => sd.guid, "version" => sd.version, "missing" => f, "listed_as" => hows, "found_as" => found },
            None,
        );
    }
    Some(sd)
}

/// Alerts are `repository/Notifications/<id>.xml`; policies `repository/Policies/<type>/<id>.xml`.
fn check_policies(sink: &Sink, params: &Params, repo: &Path, rel: &dyn Fn(&Path) -> String) -> Result<()> {
    let Some(policies) = find(repo, "Policies") else { return Ok(()) };
    let alerts: Vec<String> = find(repo, "Notifications")
        .map(|n| {
            std::fs::read_dir(n)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")))
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let elements = &params.policy_alert_missing.alert_elements;
    for type_dir in walked_subdirs(sink, &policies, Rule::PolicyAlertMissing, rel) {
        for entry in std::fs::read_dir(&type_dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")) {
                continue;
            }
            sink.stats.add_entries(1);
            let parsed = read_xml(&path).and_then(|t| model::parse(&t).map(|d| model::policy_alerts(&d, elements)).map_err(|e| format!("not well-formed XML: {e}")));
            match parsed {
                Err(e) => sink.emit(Rule::PolicyAlertMissing, rel(&path), format!("the policy cannot be read ({e}), so its alerts cannot be checked"), details! { "error" => e }, None),
                Ok(named) => {
                    for alert in named.iter().filter(|a| !alerts.iter().any(|x| x.eq_ignore_ascii_case(a))) {
                        sink.emit(
                            Rule::PolicyAlertMissing,
                            rel(&path),
                            format!("policy {} refers to alert '{alert}', which is not in repository/Notifications", name_of(&path)),
                            details! { "policy" => name_of(&path), "alert" => alert, "alerts" => alerts },
                            None,
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// Runtime stores the vendor says must not be restored.
fn check_transient(sink: &Sink, params: &Params, rd: &Path, rel: &dyn Fn(&Path) -> String) -> Result<()> {
    let TransientInBackupParams { files, prefixes, dirs } = &params.transient_in_backup;
    let mut walk = walkdir::WalkDir::new(rd).min_depth(1).sort_by_file_name().into_iter();
    // What cannot be read is not this rule's business (the other rules report what they
    // need and cannot read).
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        let name = name_of(path);
        let kind = entry.file_type();
        if kind.is_symlink() {
            continue;
        }
        let r = rel(path);
        if kind.is_dir() {
            if dirs.iter().any(|d| r.to_ascii_lowercase().ends_with(&d.to_ascii_lowercase())) && std::fs::read_dir(path).is_ok_and(|mut e| e.next().is_some()) {
                sink.emit(Rule::TransientInBackup, &r, "a peer repository / component cache: rebuilt by the servers, must not be restored".to_string(), details! { "kind" => "directory" }, None);
                walk.skip_current_dir();
            }
        } else if files.iter().any(|f| f.eq_ignore_ascii_case(&name)) || prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            sink.emit(Rule::TransientInBackup, &r, format!("{name} is a transient runtime store: the vendor says it must not be backed up or restored"), details! { "file" => name }, None);
        }
    }
    Ok(())
}
