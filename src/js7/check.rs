//! The JS7 checks: each state directory's journal, then Controller ↔ Agents, the cluster
//! nodes, and JOC's deployments (js7 `AgentRefState.scala`,
//! `AgentDriver.scala`, `ClusterState.scala`; JOC Cockpit `sos-components` `DBLayer.java`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::ValueHint;
use serde_json::Value;

use super::journal::{self, Base, FileSummary, JournalFile, Leftover, Tail, Visitor};
use super::state::{AgentRef, AgentState, ControllerState, Finder};
use super::{Params, Repair, Rule};
use crate::details;
use crate::engine::report::Target;
use crate::engine::sink::Sink;
use crate::engine::tables::DbSource;

/// What `check js7` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckOptions {
    /// The Controller's state directory (JS7_CONTROLLER_DATA/state, or the data directory).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub controller: PathBuf,
    /// The standby cluster node's state directory.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub standby: Option<PathBuf>,
    /// An Agent as the Controller names it, and its state directory. Repeatable.
    #[arg(id = "agent", long = "agent", value_name = "PATH=DIR", value_parser = parse_agent)]
    pub agents: Vec<(String, PathBuf)>,
    /// JOC Cockpit's database: a postgres:// URL or a dump in any pg_dump format.
    #[arg(long, value_name = "URL|DUMP", value_hint = ValueHint::AnyPath, value_parser = DbSource::arg)]
    pub joc_db: Option<DbSource>,
    /// The database to read from a pg_dumpall file.
    #[arg(long, value_name = "NAME", default_value = "joc")]
    pub db_name: String,
}

/// Parses `--agent <path>=<state dir>`.
pub fn parse_agent(arg: &str) -> Result<(String, PathBuf), String> {
    match arg.split_once('=') {
        Some((path, dir)) if !path.is_empty() && !dir.is_empty() => Ok((path.to_string(), PathBuf::from(dir))),
        _ => Err(format!("--agent '{arg}': expected <agent path>=<state dir>, e.g. agent-1=/var/lib/js7/agent-1/state")),
    }
}

/// The directory holding the journal: the state directory given, or `<data>/state`.
fn state_dir(option: &str, given: &Path, base: Base) -> Result<PathBuf> {
    if !given.is_dir() {
        bail!("{option} {}: not a directory", given.display());
    }
    let has = |d: &Path| journal::list(d, base).map(|(f, l)| !f.is_empty() || !l.is_empty()).unwrap_or(false);
    if !has(given) && has(&given.join("state")) {
        return Ok(given.join("state"));
    }
    std::fs::read_dir(given).map_err(|e| anyhow::anyhow!("{option} {}: cannot read ({e})", given.display()))?;
    Ok(given.to_path_buf())
}

/// The report's target; the state directories must be directories.
pub fn target(opts: &CheckOptions) -> Result<Target> {
    state_dir("--controller", &opts.controller, Base::Controller)?;
    if let Some(s) = &opts.standby {
        state_dir("--standby", s, Base::Controller)?;
    }
    for (p, d) in &opts.agents {
        state_dir(&format!("--agent {p}="), d, Base::Agent)?;
    }
    let mut target = Target::new("js7").input("controller", opts.controller.display().to_string());
    if let Some(s) = &opts.standby {
        target = target.input("standby", s.display().to_string());
    }
    if !opts.agents.is_empty() {
        target = target.input("agents", opts.agents.iter().map(|(p, d)| format!("{p}={}", d.display())).collect::<Vec<_>>());
    }
    if let Some(db) = &opts.joc_db {
        if let DbSource::Dump(path) = db {
            crate::engine::tables::check_dump("--joc-db", path)?;
        }
        target = target.input("joc_db", db.display());
    }
    Ok(target)
}

pub fn check(opts: &CheckOptions, params: &Params, sink: &Sink) -> Result<()> {
    let controller_dir = state_dir("--controller", &opts.controller, Base::Controller)?;
    let standby_dir = opts.standby.as_deref().map(|s| state_dir("--standby", s, Base::Controller)).transpose()?;
    let agents: Vec<(String, PathBuf)> = opts.agents.iter().map(|(p, d)| Ok((p.clone(), state_dir(&format!("--agent {p}="), d, Base::Agent)?))).collect::<Result<_>>()?;

    // The Controller: its current file gives the state.
    let mut controller = ControllerState::default();
    let c = read_journal(sink, &controller_dir, "controller", Base::Controller, &mut controller, None)?;
    if c.files.is_empty() {
        bail!("--controller {}: no controller--<eventId>.journal files (is it the Controller's state directory?)", controller_dir.display());
    }
    let controller_id = controller.controller_id.clone().unwrap_or_else(|| "controller".to_string());

    for (path, dir) in &agents {
        check_agent(sink, &controller, c.usable, path, dir)?;
    }
    // Without the Controller's recovered state there is nothing to compare with.
    if c.usable {
        report_coupling_failures(sink, &controller);
    }
    if let Some(standby) = &standby_dir {
        check_cluster(sink, &c, &controller, standby)?;
    }
    if let Some(db) = &opts.joc_db
        && c.usable
    {
        check_joc(sink, params, db, &opts.db_name, &controller, &controller_id, c.last_event_id)?;
    }
    Ok(())
}

/// `js7/coupling-failed`: an `AgentCouplingFailed` no `AgentCoupled`/`AgentReady` followed.
fn report_coupling_failures(sink: &Sink, controller: &ControllerState) {
    for (path, agent) in &controller.agents {
        if let Some((event_id, problem)) = &agent.coupling_failed {
            let code = problem.get("code").and_then(Value::as_str).unwrap_or("unknown");
            let message = problem.get("message").and_then(Value::as_str).unwrap_or_default();
            sink.emit(
                Rule::CouplingFailed,
                format!("agent {path}"),
                format!("the Controller's last word on Agent '{path}' is AgentCouplingFailed: {code}: {}", message.split_whitespace().collect::<Vec<_>>().join(" ")),
                details! { "agent" => path, "code" => code, "problem" => problem, "event_id" => event_id },
                None,
            );
        }
    }
}

/// What was read of one state directory.
struct StateRead {
    files: Vec<JournalFile>,
    /// The current file's summary.
    current: Option<FileSummary>,
    /// The oldest retained file's number.
    oldest: Option<i64>,
    /// The last committed EventId of the current file.
    last_event_id: i64,
    journal_ids: BTreeSet<String>,
    /// The current file was read to its end: the state computed from it is the one the
    /// instance would recover. When not, the checks that compare states are skipped.
    usable: bool,
}

struct Both<'a>(&'a mut dyn Visitor, &'a mut dyn Visitor);

impl Visitor for Both<'_> {
    fn header(&mut self, h: &journal::Header) {
        self.0.header(h);
        self.1.header(h);
    }
    fn snapshot_object(&mut self, o: &Value) {
        self.0.snapshot_object(o);
        self.1.snapshot_object(o);
    }
    fn event(&mut self, id: i64, e: &Value) {
        self.0.event(id, e);
        self.1.event(id, e);
    }
}

struct Nothing;
impl Visitor for Nothing {
    fn header(&mut self, _: &journal::Header) {}
    fn snapshot_object(&mut self, _: &Value) {}
    fn event(&mut self, _: i64, _: &Value) {}
}

/// Reads every journal file of a state directory: the current one into `state`, all of
/// them (when `finder` is given) to look for EventIds. Reports the file-level rules.
fn read_journal(sink: &Sink, dir: &Path, label: &str, base: Base, state: &mut dyn Visitor, mut finder: Option<&mut Finder>) -> Result<StateRead> {
    let (files, leftovers) = journal::list(dir, base).map_err(|e| anyhow::anyhow!("{}: cannot read ({e})", dir.display()))?;
    sink.stats.add_entries((files.len() + leftovers.len()) as u64);
    report_leftovers(sink, label, &leftovers);
    check_lock(sink, dir, label, base);
    let mut read = StateRead { files: files.clone(), current: None, oldest: files.first().map(|f| f.file_event_id), last_event_id: 0, journal_ids: BTreeSet::new(), usable: false };
    let mut earlier = Earlier::default();
    for (i, file) in files.iter().enumerate() {
        let is_current = i + 1 == files.len();
        let summary = match read_file(file, is_current, state, finder.as_deref_mut()) {
            Ok(s) => s,
            Err(e) => {
                sink.emit(Rule::JournalUnreadable, format!("{label}/{}", file.name), format!("cannot be read: {e}"), details! { "file" => file.name }, None);
                earlier = Earlier { previous: None, before: Some((file.name.as_str(), None)) };
                continue;
            }
        };
        let subject = format!("{label}/{}", file.name);
        let refused = FileFindings { sink, subject: &subject, base, file, summary: &summary, is_current }.report(&earlier);
        earlier = Earlier::after(file, &summary);
        if let Some(h) = &summary.header {
            read.journal_ids.insert(h.journal_id.clone());
        }
        if is_current {
            read.last_event_id = summary.last_event_id.unwrap_or(file.file_event_id);
            read.usable = summary.header.is_some() && summary.damage.is_none() && !refused;
            read.current = Some(summary);
        }
    }
    report_mixed_journals(sink, label, &read.journal_ids);
    Ok(read)
}

/// What the file before the one being read left, for the findings about it.
#[derive(Default)]
struct Earlier<'f> {
    /// The previous file's name and last committed EventId: a new file is named after it.
    previous: Option<(&'f str, i64)>,
    /// The file before this one as it was read: its name, and its last committed EventId when
    /// it could be read to its end. What is left when the newest file cannot be recovered.
    before: Option<(&'f str, Option<i64>)>,
}

impl<'f> Earlier<'f> {
    /// What `file`, read as `summary`, leaves for the next one.
    fn after(file: &'f JournalFile, summary: &FileSummary) -> Self {
        let readable = summary.damage.is_none();
        Earlier {
            previous: if readable { summary.last_event_id.map(|last| (file.name.as_str(), last)) } else { None },
            before: Some((file.name.as_str(), readable.then_some(summary.last_event_id).flatten())),
        }
    }
}

/// `js7/journal-leftover` for each file of the journal that is not read.
fn report_leftovers(sink: &Sink, label: &str, leftovers: &[Leftover]) {
    for l in leftovers {
        sink.emit(Rule::JournalLeftover, format!("{label}/{}", l.name), format!("{}: {}", l.name, l.why), details! { "file" => l.name }, None);
    }
}

/// `js7/journal-unreadable` when the files carry more than one journal id.
fn report_mixed_journals(sink: &Sink, label: &str, journal_ids: &BTreeSet<String>) {
    if journal_ids.len() > 1 {
        sink.emit(
            Rule::JournalUnreadable,
            label.to_string(),
            format!("the journal files carry {} different journal ids: files of another journal were mixed in", journal_ids.len()),
            details! { "journal_ids" => journal_ids.iter().collect::<Vec<_>>() },
            None,
        );
    }
}

/// `js7/journal-unreadable` for a `lock` that is not a regular file, `js7/instance-running`
/// when another process holds it.
fn check_lock(sink: &Sink, dir: &Path, label: &str, base: Base) {
    // The lock is opened only when it is a regular file: a FIFO there would block.
    let lock = dir.join("lock");
    if let Ok(t) = crate::engine::io::file_type(&lock)
        && let Some(what) = crate::engine::io::kind_name(t)
    {
        sink.emit(
            Rule::JournalUnreadable,
            format!("{label}/lock"),
            format!("the lock file is {what}, not a regular file: the {} cannot take its lock and does not start; it was not opened", base.as_str()),
            details! { "file" => "lock", "kind" => what },
            None,
        );
    } else if let Some(pid) = journal::lock_holder(dir) {
        // The lock file holds the PID the instance wrote at its start; the kernel's answer is
        // 0 for a holder in another PID namespace (a container) and -1 for an OFD lock.
        let written: Option<i64> = crate::engine::io::open_regular(&lock).ok().and_then(|f| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::Read::take(f, 64), &mut text).ok()?;
            text.trim().parse().ok()
        });
        let holder = if pid > 0 { format!("process {pid}") } else { "another process".to_string() };
        sink.emit(
            Rule::InstanceRunning,
            format!("{label}/lock"),
            format!("the {} is running ({holder} holds state/lock): a copy taken now is not consistent", base.as_str()),
            details! { "pid" => (pid > 0).then_some(pid), "pid_in_lock_file" => written },
            None,
        );
    }
}

/// Reads one journal file: into `state` when it is the current one, and into `finder`
/// when there is one.
fn read_file(file: &JournalFile, is_current: bool, state: &mut dyn Visitor, finder: Option<&mut Finder>) -> std::io::Result<FileSummary> {
    let (mut not_current, mut no_finder) = (Nothing, Nothing);
    let primary: &mut dyn Visitor = if is_current { state } else { &mut not_current };
    let secondary: &mut dyn Visitor = match finder {
        Some(f) => f,
        None => &mut no_finder,
    };
    journal::read(file, &mut Both(primary, secondary))
}

/// One journal file as it was read, for the findings about it.
struct FileFindings<'a> {
    sink: &'a Sink,
    subject: &'a str,
    base: Base,
    file: &'a JournalFile,
    summary: &'a FileSummary,
    is_current: bool,
}

impl FileFindings<'_> {
    /// Reports what is wrong with the file, given what the `earlier` files left; whether
    /// recovery refuses its header.
    fn report(&self, earlier: &Earlier) -> bool {
        self.report_damage(earlier.before);
        self.check_follows(earlier.previous);
        let refused = self.header_refused();
        self.report_out_of_order();
        self.report_tail();
        refused
    }

    /// `js7/journal-unreadable` for format damage; `before` is the file before this one.
    fn report_damage(&self, before: Option<(&str, Option<i64>)>) {
        let (sink, file, summary) = (self.sink, self.file, self.summary);
        let Some(d) = &summary.damage else { return };
        if self.is_current && summary.header.is_none() {
            emit_headerless_current(sink, self.subject, self.base, file, summary, d, before);
        } else {
            let consequence = if self.is_current {
                format!("the {} cannot recover from its current file; the checks that need its state are skipped", self.base.as_str())
            } else {
                "the file cannot be read to its end".to_string()
            };
            sink.emit(Rule::JournalUnreadable, self.subject, format!("line {}: {}: {consequence}", d.line, d.what), details! { "file" => file.name, "line" => d.line, "problem" => d.what }, None);
        }
    }

    /// `js7/journal-order` when the file starts before the `previous` one (name, last
    /// committed EventId) ends.
    fn check_follows(&self, previous: Option<(&str, i64)>) {
        let file = self.file;
        // A new file is named after the last committed EventId before it, so no file can
        // start before the previous one ends.
        if let Some((previous_name, previous_last)) = previous
            && file.file_event_id < previous_last
        {
            self.sink.emit(
                Rule::JournalOrder,
                self.subject,
                format!("the file starts at EventId {} but {previous_name} goes on to {previous_last}: the files are from different histories", file.file_event_id),
                details! { "file" => file.name, "previous_file" => previous_name, "previous_last_event_id" => previous_last, "file_event_id" => file.file_event_id },
                None,
            );
        }
    }

    /// Whether recovery refuses the file's header (reported).
    fn header_refused(&self) -> bool {
        let (sink, file, base) = (self.sink, self.file, self.base);
        // What recovery refuses in the header besides its absence: an eventId other than the
        // name's (js7 StateRecoverer.recoverAll) and a journal of the other kind (js7
        // JournalHeader.checkedHeader, JournalTypeMismatch).
        let mut refused = false;
        let skipped = if self.is_current { "; the checks that need its state are skipped" } else { "" };
        let Some(h) = &self.summary.header else { return false };
        if h.event_id != file.file_event_id {
            refused = true;
            sink.emit(
                Rule::JournalNameMismatch,
                self.subject,
                format!("the header's eventId is {} but the file name says {}: recovery refuses it{skipped}", h.event_id, file.file_event_id),
                details! { "file" => file.name, "header_event_id" => h.event_id, "name_event_id" => file.file_event_id },
                None,
            );
        }
        if let Some(t) = &h.type_name
            && t != base.type_name()
        {
            refused = true;
            sink.emit(
                Rule::JournalUnreadable,
                self.subject,
                format!("a {t} journal where a {} journal belongs: recovery refuses it{skipped}", base.type_name()),
                details! { "file" => file.name, "type_name" => t },
                None,
            );
        }
        refused
    }

    /// `js7/journal-order` for an EventId that does not increase.
    fn report_out_of_order(&self) {
        if let Some((line, prev, this)) = self.summary.out_of_order {
            self.sink.emit(
                Rule::JournalOrder,
                self.subject,
                format!("line {line}: EventId {this} does not follow {prev}: the journal is corrupt"),
                details! { "file" => self.file.name, "line" => line, "previous" => prev, "event_id" => this },
                None,
            );
        }
    }

    /// `js7/journal-truncated` for a crash tail.
    fn report_tail(&self) {
        let (file, summary, who) = (self.file, self.summary, self.base.as_str());
        match &summary.tail {
            Some(Tail::CutLine { line }) => self.sink.emit(
                Rule::JournalTruncated,
                self.subject,
                format!("line {line} has no newline: the {who} stopped while writing (a crash); the committed part up to EventId {} is used", summary.last_event_id.unwrap_or(0)),
                details! { "file" => file.name, "line" => line, "committed_event_id" => summary.last_event_id },
                None,
            ),
            Some(Tail::Uncommitted { line, events, cut_line }) => self.sink.emit(
                Rule::JournalTruncated,
                self.subject,
                format!(
                    "the transaction from line {line} ({events} complete event{}) has no COMMIT{}: the {who} stopped while writing (a crash); the transaction is not committed, the committed part up to EventId {} is used",
                    if *events == 1 { "" } else { "s" },
                    cut_line.map(|c| format!(" and line {c} has no newline")).unwrap_or_default(),
                    summary.last_event_id.unwrap_or(0)
                ),
                details! { "file" => file.name, "line" => line, "uncommitted_events" => events, "cut_line" => cut_line, "committed_event_id" => summary.last_event_id },
                None,
            ),
            None => {}
        }
    }
}

/// `js7/journal-unreadable` for a newest file without a header (empty, its first line cut,
/// or no JS7.Journal header). Recovery reads only the newest `<base>--<n>.journal` and
/// starts with its header: without one it stops ("Missing JournalHeader in file '…'", js7
/// `StateRecoverer.recover`) and the instance does not start. The file is named after the last
/// EventId committed before it, so everything committed up to that number lies in the
/// previous file, which recovery uses once this one is gone.
fn emit_headerless_current(sink: &Sink, subject: &str, base: Base, file: &JournalFile, summary: &FileSummary, damage: &journal::Damage, before: Option<(&str, Option<i64>)>) {
    let who = base.as_str();
    let n = file.file_event_id;
    let what = if summary.nothing_committed {
        format!("{} — recovery reads only the newest journal file and stops with \"Missing JournalHeader in file '{}'\": the {who} does not start", damage.what, file.name)
    } else {
        format!("line {}: {} — recovery reads only the newest journal file and cannot read this one: the {who} does not start", damage.line, damage.what)
    };
    let left = match before {
        Some((previous, Some(last))) => {
            let lost = if last < n { format!(" (it ends at EventId {last}, before {n}: the events in between are in no file)") } else { String::new() };
            let remove = if summary.nothing_committed {
                format!("removing the {} file lets recovery use {previous}", if summary.bytes == 0 { "empty" } else { "cut" })
            } else {
                format!("restore this file, or remove it to recover from {previous} (whatever it holds after EventId {n} is then lost)")
            };
            format!("everything committed up to EventId {n} (this file's number) lies in the previous file {previous}{lost}; {remove}")
        }
        Some((previous, None)) => format!("the previous file {previous} cannot be read to its end either (see its finding): restore the state directory as a whole from one moment"),
        None => format!("no earlier journal file is left: without this file the {who} starts with a new, empty journal"),
    };
    let (previous_file, previous_last) = before.unzip();
    sink.emit(
        Rule::JournalUnreadable,
        subject,
        format!("{what}; {left}; the checks that need its state are skipped"),
        details! {
            "file" => file.name, "line" => damage.line, "problem" => damage.what, "bytes" => summary.bytes, "file_event_id" => n,
            "previous_file" => previous_file, "previous_last_event_id" => previous_last.flatten(),
        },
        None,
    );
}

fn check_agent(sink: &Sink, controller: &ControllerState, controller_usable: bool, path: &str, dir: &Path) -> Result<()> {
    // JS7 2.x names agents without a leading slash (1.x paths had one): accept either.
    let path = if controller.agents.contains_key(path) { path } else { path.trim_start_matches('/') };
    let label = format!("agent {path}");
    let agent_ref = controller.agents.get(path);
    let wanted = agent_ref.map(|a| a.event_id).unwrap_or(0);
    let mut finder = Finder { wanted: vec![wanted], found: vec![false] };
    let mut agent = AgentState::default();
    let a = read_journal(sink, dir, &format!("agent:{path}"), Base::Agent, &mut agent, Some(&mut finder))?;
    // A journal that cannot be recovered has been reported; its state means nothing here.
    if !controller_usable || (!a.files.is_empty() && !a.usable) {
        return Ok(());
    }
    let Some(agent_ref) = agent_ref else {
        sink.emit(
            Rule::AgentControllerMismatch,
            &label,
            format!("the Controller has no AgentRef '{path}': the Agent is not the Controller's"),
            details! { "agent" => path, "known_agents" => controller.agents.keys().collect::<Vec<_>>() },
            None,
        );
        return Ok(());
    };
    let pair = AgentPair::new(sink, controller, label, path, dir, agent_ref, &agent, &a);
    if a.files.is_empty() {
        pair.report_no_journal();
        return Ok(());
    }
    // 1. AgentRunId = the Agent journal's id. 2. Dedicated to this Controller. Both are
    // reported when both fail (an Agent of another Controller has another run id too); the
    // EventId positions of another journal mean nothing, so they are compared only after.
    let other_run = pair.run_id_differs();
    let other_controller = pair.dedicated_elsewhere();
    if other_run || other_controller {
        return Ok(());
    }
    pair.check_position(finder.found[0]);
    pair.check_released();
    Ok(())
}

/// An Agent's journal and the Controller's view of the Agent, for the findings about the two.
struct AgentPair<'a> {
    sink: &'a Sink,
    label: String,
    path: &'a str,
    dir: &'a Path,
    agent_ref: &'a AgentRef,
    agent: &'a AgentState,
    read: &'a StateRead,
    controller_id: String,
    controller_run_id: Option<String>,
    /// The repair of the findings a reset of the Agent's journal repairs.
    reset: Option<crate::engine::finding::Repair>,
    /// That repair in words, for the messages.
    steps: String,
}

impl<'a> AgentPair<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(sink: &'a Sink, controller: &ControllerState, label: String, path: &'a str, dir: &'a Path, agent_ref: &'a AgentRef, agent: &'a AgentState, read: &'a StateRead) -> Self {
        let reset = Some(Repair::ResetAgentJournal { agent: path.to_string(), state_dir: dir.display().to_string() }.into());
        // The Controller dedicates an Agent only while it holds no AgentRunId for it
        // (AgentDriver.dedicateAgentIfNeeded), so a fresh Agent journal needs the Controller-side
        // reset as well.
        let steps = format!(
            "stop the Agent, empty {}, start it, then reset Agent '{path}' in JOC Cockpit with force (Reset-JS7Agent -Force) so the Controller dedicates it anew and re-syncs it",
            dir.display()
        );
        let controller_id = controller.controller_id.clone().unwrap_or_default();
        let controller_run_id = controller.header.as_ref().map(|h| h.journal_id.clone());
        AgentPair { sink, label, path, dir, agent_ref, agent, read, controller_id, controller_run_id, reset, steps }
    }

    /// An empty state directory: the Agent starts with a new journal and the Controller,
    /// which still knows an AgentRunId, gets AgentNotDedicated.
    fn report_no_journal(&self) {
        let (path, agent_ref) = (self.path, self.agent_ref);
        if agent_ref.agent_run_id.is_some() {
            self.sink.emit(
                Rule::AgentRunIdMismatch,
                &self.label,
                format!("the Agent's state directory has no journal, but the Controller dedicated '{path}' with run {}: coupling fails with AgentNotDedicated until the Agent is reset in JOC Cockpit with force (Reset-JS7Agent -Force)", agent_ref.agent_run_id.as_deref().unwrap_or_default()),
                details! { "agent" => path, "controller_agent_run_id" => agent_ref.agent_run_id, "agent_journal_id" => Value::Null },
                self.reset.clone(),
            );
        }
    }

    /// Whether the Controller knows the Agent by another AgentRunId than the Agent's
    /// journal id (reported).
    fn run_id_differs(&self) -> bool {
        let (path, steps) = (self.path, &self.steps);
        let agent_journal_id = self.agent.header.as_ref().map(|h| h.journal_id.clone());
        let (Some(want), Some(have)) = (&self.agent_ref.agent_run_id, &agent_journal_id) else { return false };
        if want == have {
            return false;
        }
        self.sink.emit(
            Rule::AgentRunIdMismatch,
            &self.label,
            format!("the Controller knows Agent '{path}' as run {want}, this Agent's journal is {have}: coupling fails with AgentRunIdMismatch (the Agent was reset, or this is another Agent's copy); repair: {steps}"),
            details! { "agent" => path, "controller_agent_run_id" => want, "agent_journal_id" => have },
            self.reset.clone(),
        );
        true
    }

    /// Whether the Agent is dedicated to another agent path, Controller or Controller run
    /// (reported). An Agent never dedicated is reported when the Controller has a run id for
    /// it, but its journal is still this Controller's to compare.
    fn dedicated_elsewhere(&self) -> bool {
        let (path, controller_id, controller_run_id) = (self.path, &self.controller_id, &self.controller_run_id);
        let Some(meta) = &self.agent.meta else {
            if self.agent_ref.agent_run_id.is_some() {
                self.sink.emit(
                    Rule::AgentControllerMismatch,
                    &self.label,
                    format!("the Agent was never dedicated (no AgentMetaState), but the Controller has a run id for '{path}': AgentNotDedicated"),
                    details! { "agent" => path },
                    self.reset.clone(),
                );
            }
            return false;
        };
        let mut wrong = Vec::new();
        if meta.agent_path.as_deref().is_some_and(|p| p != path) {
            wrong.push(format!("agent path {} (not {path})", meta.agent_path.as_deref().unwrap_or_default()));
        }
        if meta.controller_id.as_deref().is_some_and(|id| id != controller_id) {
            wrong.push(format!("Controller '{}' (not '{controller_id}')", meta.controller_id.as_deref().unwrap_or_default()));
        }
        if let (Some(run), Some(c_run)) = (&meta.controller_run_id, controller_run_id)
            && run != c_run
        {
            wrong.push(format!("Controller run {run} (this Controller's journal is {c_run})"));
        }
        if wrong.is_empty() {
            return false;
        }
        self.sink.emit(
            Rule::AgentControllerMismatch,
            &self.label,
            format!("the Agent is dedicated to {}: coupling fails (AgentPathMismatch, AgentWrongController or \"ControllerRunId does not match\"); repair: {}", wrong.join(", "), self.steps),
            details! { "agent" => path, "agent_meta" => serde_json::json!({"agentPath": meta.agent_path, "controllerId": meta.controller_id, "controllerRunId": meta.controller_run_id}), "controller_id" => controller_id, "controller_run_id" => controller_run_id },
            self.reset.clone(),
        );
        true
    }

    /// Step 3: the Controller's stored Agent EventId must be one the Agent still has
    /// (`found`: some file of the Agent's journal has it).
    fn check_position(&self, found: bool) {
        let (sink, label, path, steps) = (self.sink, &self.label, self.path, &self.steps);
        let e = self.agent_ref.event_id;
        let oldest = self.read.oldest.unwrap_or(0);
        let last = self.read.last_event_id;
        if e > last {
            sink.emit(
                Rule::AgentBehindController,
                label,
                format!("the Controller has committed Agent events up to {e}, the Agent's journal ends at {last}: the Agent was restored from an older copy (coupling fails with UnknownEventId); repair: {steps}"),
                details! { "agent" => path, "controller_agent_event_id" => e, "agent_last_event_id" => last, "agent_oldest_file_event_id" => oldest, "state_dir" => self.dir.display().to_string() },
                self.reset.clone(),
            );
        } else if e < oldest && e != 0 {
            sink.emit(
                Rule::ControllerBehindAgent,
                label,
                format!("the Controller's position in the Agent's events ({e}) is before the Agent's oldest journal file ({oldest}): the Controller journal is older than the Agent's, or the Agent's files were pruned"),
                details! { "agent" => path, "controller_agent_event_id" => e, "agent_oldest_file_event_id" => oldest, "agent_last_event_id" => last },
                None,
            );
        } else if e != 0 && !found {
            sink.emit(
                Rule::AgentBehindController,
                label,
                format!("the Controller's position {e} is not an EventId of the Agent's journal: the Agent's history is not the one the Controller observed (coupling fails with UnknownEventId)"),
                details! { "agent" => path, "controller_agent_event_id" => e, "agent_last_event_id" => last, "agent_oldest_file_event_id" => oldest },
                self.reset.clone(),
            );
        }
    }

    /// Step 4: the Controller releases only what it has committed.
    fn check_released(&self) {
        let e = self.agent_ref.event_id;
        if let Some(released) = self.agent.released.get(&self.controller_id)
            && *released > e
            && e >= self.read.oldest.unwrap_or(0)
        {
            self.sink.emit(
                Rule::ControllerBehindAgent,
                &self.label,
                format!("the Agent says the Controller released its events up to {released}, but the Controller's journal has only {e}: the Controller journal is older than the Agent's"),
                details! { "agent" => self.path, "agent_released_event_id" => released, "controller_agent_event_id" => e },
                None,
            );
        }
    }
}

/// Compares the standby node's journal with the active node's (js7 `ClusterState.scala`,
/// `JournalTruncator.scala`): the passive node
/// copies the active journal byte for byte into files of the same names, so each file both
/// nodes hold must be equal or a byte prefix (the standby's newest file may be behind).
/// Obsolete files are deleted by each node on its own, so only the range of files both still
/// hold is compared.
fn check_cluster(sink: &Sink, active: &StateRead, active_state: &ControllerState, standby_dir: &Path) -> Result<()> {
    let mut standby_state = ControllerState::default();
    let standby = read_journal(sink, standby_dir, "standby", Base::Controller, &mut standby_state, None)?;
    if standby.files.is_empty() {
        sink.emit(Rule::ClusterStandbyBehind, "standby", "the standby node has no journal: it was never coupled, or it was wiped".to_string(), details! {}, None);
        return Ok(());
    }
    let nodes = Nodes {
        sink,
        active,
        standby: &standby,
        // Each node's last ClusterState, for the reader of a finding.
        states: details! { "active_cluster_state" => active_state.cluster_state, "standby_cluster_state" => standby_state.cluster_state },
        active_last: active.files.last().map(|f| f.file_event_id).unwrap_or(0),
        standby_last: standby.files.last().map(|f| f.file_event_id).unwrap_or(0),
    };
    if nodes.journal_ids_differ() {
        return Ok(());
    }
    let (diverged, last_shorter) = nodes.compare_files()?;
    if diverged || (nodes.standby_last == nodes.active_last && last_shorter.is_none()) {
        return Ok(());
    }
    nodes.report_standby_behind(last_shorter);
    Ok(())
}

/// Why a standby can be ahead of the active node.
const STANDBY_AHEAD: &str = "the standby went on as the active node (a fail-over or switch-over: check which node is active), or the active node's copy was taken earlier";

/// The two cluster nodes' journals, for the findings that compare them.
struct Nodes<'a> {
    sink: &'a Sink,
    active: &'a StateRead,
    standby: &'a StateRead,
    states: serde_json::Map<String, Value>,
    /// The number of each node's newest file.
    active_last: i64,
    standby_last: i64,
}

/// How a file both nodes hold compares.
enum Copies {
    Same,
    /// The standby's newest file is a strict prefix of the active node's copy: (active bytes,
    /// standby bytes).
    StandbyNewestShorter(u64, u64),
    /// Reported.
    Diverged,
}

impl Nodes<'_> {
    /// A `js7/cluster-journal-diverged` finding, with each node's ClusterState.
    fn diverged(&self, subject: String, message: String, mut details: serde_json::Map<String, Value>) {
        details.extend(self.states.clone());
        self.sink.emit(Rule::ClusterJournalDiverged, subject, message, details, None);
    }

    /// Whether the nodes hold different journals (reported).
    fn journal_ids_differ(&self) -> bool {
        let (active, standby) = (&self.active.journal_ids, &self.standby.journal_ids);
        if active.is_empty() || standby.is_empty() || active == standby {
            return false;
        }
        self.diverged(
            "standby".to_string(),
            format!("the nodes have different journals (active {active:?}, standby {standby:?}): one node was reset or holds a foreign journal"),
            details! { "active_journal_ids" => active.iter().collect::<Vec<_>>(), "standby_journal_ids" => standby.iter().collect::<Vec<_>>() },
        );
        true
    }

    /// Compares the files of the range both nodes still hold: whether they diverged
    /// (reported), and the sizes when the standby's newest file is a strict prefix of the
    /// active node's copy.
    fn compare_files(&self) -> Result<(bool, Option<(u64, u64)>)> {
        let (active, standby) = (self.active, self.standby);
        let from = active.oldest.unwrap_or(0).max(standby.oldest.unwrap_or(0));
        let ids: BTreeSet<i64> = active.files.iter().chain(&standby.files).map(|f| f.file_event_id).filter(|id| *id >= from).collect();
        let mut diverged = false;
        let mut last_shorter = None;
        for id in ids {
            let af = active.files.iter().find(|f| f.file_event_id == id);
            let sf = standby.files.iter().find(|f| f.file_event_id == id);
            match (af, sf) {
                (Some(af), Some(sf)) => match self.compare_copies(id, af, sf)? {
                    Copies::Same => {}
                    Copies::StandbyNewestShorter(a_len, s_len) => last_shorter = Some((a_len, s_len)),
                    Copies::Diverged => diverged = true,
                },
                (None, Some(sf)) => {
                    diverged = true;
                    let why = if id > self.active_last { STANDBY_AHEAD } else { "the nodes' journals went separate ways" };
                    self.diverged(
                        format!("standby/{}", sf.name),
                        format!("the standby has a journal file the active node does not have: {why}"),
                        details! { "file" => sf.name, "active_last_file" => self.active_last, "standby_last_file" => self.standby_last },
                    );
                }
                (Some(af), None) if id < self.standby_last => {
                    diverged = true;
                    self.diverged(
                        format!("standby/{}", af.name),
                        "the standby lacks a journal file the active node has before the standby's newest: the nodes' journals went separate ways".to_string(),
                        details! { "file" => af.name, "active_last_file" => self.active_last, "standby_last_file" => self.standby_last },
                    );
                }
                (Some(_), None) | (None, None) => {}
            }
        }
        Ok((diverged, last_shorter))
    }

    /// Compares the nodes' copies of file `id`: equal, or the standby's newest file behind,
    /// else a divergence (reported).
    fn compare_copies(&self, id: i64, af: &JournalFile, sf: &JournalFile) -> Result<Copies> {
        let subject = format!("standby/{}", sf.name);
        match compare_prefix(&af.path, &sf.path)? {
            Prefix::Equal => return Ok(Copies::Same),
            Prefix::StandbyShorter(a_len, s_len) if id == self.standby_last => return Ok(Copies::StandbyNewestShorter(a_len, s_len)),
            Prefix::StandbyShorter(a_len, s_len) => self.diverged(
                subject,
                format!("the standby's copy is cut at {s_len} of {a_len} bytes, yet the standby has newer files: it went on without this file's end"),
                details! { "file" => sf.name, "active_bytes" => a_len, "standby_bytes" => s_len },
            ),
            Prefix::StandbyLonger(a_len, s_len) => self.diverged(
                subject,
                format!("the standby's copy goes on past the active node's ({s_len} > {a_len} bytes, the same bytes up to there): {STANDBY_AHEAD}"),
                details! { "file" => sf.name, "active_bytes" => a_len, "standby_bytes" => s_len },
            ),
            Prefix::Differ(at, line) => {
                self.diverged(subject, format!("the copies differ at byte {at} (line {line}): the nodes' journals diverged"), details! { "file" => sf.name, "offset" => at, "line" => line })
            }
        }
        Ok(Copies::Diverged)
    }

    /// `js7/cluster-standby-behind`: the standby's journal is a shorter byte prefix of the
    /// active node's.
    fn report_standby_behind(&self, last_shorter: Option<(u64, u64)>) {
        let (active_last, standby_last) = (self.active_last, self.standby_last);
        let newest = self.standby.files.last().map(|f| f.name.clone()).unwrap_or_default();
        let (active_bytes, standby_bytes) = last_shorter.unzip();
        let how = match last_shorter {
            Some((a_len, s_len)) if standby_last == active_last => format!("its copy of the current file has {s_len} of {a_len} bytes"),
            Some((a_len, s_len)) => format!("its newest file {newest} has {s_len} of {a_len} bytes, and the active node has newer files up to {active_last}"),
            None => format!("its newest file is {newest}, the active node's goes up to {active_last}"),
        };
        let mut details = details! { "active_last_file" => active_last, "standby_last_file" => standby_last, "active_bytes" => active_bytes, "standby_bytes" => standby_bytes };
        details.extend(self.states.clone());
        self.sink.emit(
            Rule::ClusterStandbyBehind,
            "standby".to_string(),
            format!("the standby's journal is a byte prefix of the active node's but shorter: {how}; a fail-over now would lose the rest"),
            details,
            None,
        );
    }
}

enum Prefix {
    Equal,
    StandbyShorter(u64, u64),
    StandbyLonger(u64, u64),
    /// Byte offset and line.
    Differ(u64, u64),
}

/// Compares two files: equal, one a byte prefix of the other, or differing at an offset
/// (with the 1-based line it is on).
fn compare_prefix(active: &Path, standby: &Path) -> Result<Prefix> {
    let mut a = std::io::BufReader::with_capacity(1 << 20, crate::engine::io::open_regular(active)?);
    let mut s = std::io::BufReader::with_capacity(1 << 20, crate::engine::io::open_regular(standby)?);
    let (mut ab, mut sb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    let mut offset = 0u64;
    let mut newlines = 0u64;
    let count = |bytes: &[u8]| bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    loop {
        let an = crate::engine::io::read_full(&mut a, &mut ab)?;
        let sn = crate::engine::io::read_full(&mut s, &mut sb)?;
        let n = an.min(sn);
        if ab[..n] != sb[..n] {
            let i = ab[..n].iter().zip(&sb[..n]).position(|(x, y)| x != y).unwrap_or(0);
            return Ok(Prefix::Differ(offset + i as u64, newlines + count(&ab[..i]) + 1));
        }
        offset += n as u64;
        newlines += count(&ab[..n]);
        if an != sn {
            let a_len = std::fs::metadata(active)?.len();
            let s_len = std::fs::metadata(standby)?.len();
            return Ok(if an > sn { Prefix::StandbyShorter(a_len, s_len) } else { Prefix::StandbyLonger(a_len, s_len) });
        }
        if an == 0 {
            return Ok(Prefix::Equal);
        }
    }
}

fn check_joc(sink: &Sink, params: &Params, db: &DbSource, db_name: &str, controller: &ControllerState, controller_id: &str, last_event_id: i64) -> Result<()> {
    let mut every = sink.manifest().map(|m| m.tables_of("joc_db"));
    let joc = super::joc::read(db, db_name, every.as_mut().map(|e| e as &mut dyn crate::engine::tables::EveryTable))?;
    sink.stats.add_db_rows(joc.rows);
    let deployed: Vec<&super::joc::Deployed> = joc.deployed.iter().filter(|d| d.controller_id == controller_id).collect();
    // What needs redeploying: items missing from the journal or at another version.
    let mut missing = Vec::new();
    for d in &deployed {
        match controller.items.get(&(d.kind.clone(), d.name.clone())) {
            None => missing.push((*d, None)),
            Some(version) if d.kind == "Workflow" && d.commit_id.is_some() && version.as_ref() != d.commit_id.as_ref() => missing.push((*d, Some(version.clone()))),
            Some(_) => {}
        }
    }
    let items: Vec<String> = missing.iter().map(|(d, _)| format!("{}:{}", d.kind, d.name)).collect();
    for (d, found) in &missing {
        let subject = format!("{controller_id}/{}:{}", d.kind, d.name);
        let message = match found {
            None => format!("JOC says {} '{}' is deployed to '{controller_id}', the Controller's journal has no such item: redeploy", d.kind, d.name),
            Some(v) => format!("JOC deployed {} '{}' as version {}, the Controller holds version {}: redeploy", d.kind, d.name, d.commit_id.as_deref().unwrap_or("?"), v.as_deref().unwrap_or("none")),
        };
        sink.emit(
            Rule::DeploymentMissing,
            subject,
            message,
            details! { "controller" => controller_id, "kind" => d.kind, "name" => d.name, "commit_id" => d.commit_id, "controller_version" => found.clone().flatten() },
            Some(Repair::Redeploy { controller: controller_id.to_string(), items: items.clone() }.into()),
        );
    }
    let kinds = &params.deployment_unknown.kinds;
    let known: BTreeSet<(&str, &str)> = deployed.iter().map(|d| (d.kind.as_str(), d.name.as_str())).collect();
    for ((kind, name), version) in &controller.items {
        if kinds.iter().any(|k| k == kind) && !known.contains(&(kind.as_str(), name.as_str())) {
            sink.emit(
                Rule::DeploymentUnknown,
                format!("{controller_id}/{kind}:{name}"),
                format!("the Controller holds {kind} '{name}' but JOC has no deployment of it: the JOC database is older than the journal"),
                details! { "controller" => controller_id, "kind" => kind, "name" => name, "version" => version },
                None,
            );
        }
    }
    // The history service's position and the newest ControllerReady JOC recorded are both
    // Controller EventIds: neither can be after the Controller's last event.
    let history = joc.history.get(controller_id).copied();
    let ready = joc.ready.get(controller_id).copied();
    let (mut ahead, mut sources) = (Vec::new(), Vec::new());
    if let Some(h) = history.filter(|h| *h > last_event_id) {
        ahead.push(format!("JOC_VARIABLES history_{controller_id} = {h}"));
        sources.push("JOC_VARIABLES");
    }
    if let Some(r) = ready.filter(|r| *r > last_event_id) {
        ahead.push(format!("HISTORY_CONTROLLERS.READY_EVENT_ID = {r}"));
        sources.push("HISTORY_CONTROLLERS.READY_EVENT_ID");
    }
    if !ahead.is_empty() {
        sink.emit(
            Rule::HistoryAhead,
            format!("{controller_id}/history"),
            format!(
                "JOC has read Controller events the Controller's journal does not have ({}; the journal ends at {last_event_id}): the journal was restored older than the JOC database",
                ahead.join(", ")
            ),
            details! { "controller" => controller_id, "sources" => sources, "history_event_id" => history, "ready_event_id" => ready, "controller_last_event_id" => last_event_id },
            None,
        );
    }
    Ok(())
}
