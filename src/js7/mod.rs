//! JS7 JobScheduler: Controller journal ↔ Agent journals (coupling identities and
//! EventIds), cluster node journals, JOC Cockpit deployment records ↔ Controller journal.
//!
//! Sources: the JS7 engine (`sos-berlin/js7`: `js7-journal`, `js7-controller`, `js7-agent`)
//! and JOC Cockpit (`sos-berlin/sos-components`), cited where each fact is used.

pub mod check;
pub mod joc;
pub mod journal;
pub mod state;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::engine::finding::Finding;
use crate::engine::manifest::Input;
use crate::engine::plan::{self, PlanUnit, Unit};
use crate::engine::product::{ManifestInputs, Product};
use crate::engine::report::Target;
use crate::engine::sink::Sink;
pub use check::CheckOptions;

crate::product_rules! {
    /// Every JS7 rule. Ids, severities and explanations: `rules/js7.toml`.
    pub enum Rule for "js7" {
        /// A journal file whose header, JSON or sections are not the journal format.
        JournalUnreadable = "journal-unreadable",
        /// The file name's EventId is not the header's eventId.
        JournalNameMismatch = "journal-name-mismatch",
        /// A last line without newline or an uncommitted transaction: what a crash leaves.
        JournalTruncated = "journal-truncated",
        /// EventIds that do not increase.
        JournalOrder = "journal-order",
        /// `.tmp` and `~…-AFTER-FAILOVER` files, deletion markers.
        JournalLeftover = "journal-leftover",
        /// The `lock` file is held: the instance is running.
        InstanceRunning = "instance-running",
        /// The Controller's AgentRunId for an Agent is not the Agent's journal id.
        AgentRunIdMismatch = "agent-run-id-mismatch",
        /// The Agent's journal ends before what the Controller has committed of it.
        AgentBehindController = "agent-behind-controller",
        /// The Agent is dedicated to another Controller, path or Controller run.
        AgentControllerMismatch = "agent-controller-mismatch",
        /// The Controller's journal is older than the Agent's.
        ControllerBehindAgent = "controller-behind-agent",
        /// The last word on an Agent is AgentCouplingFailed.
        CouplingFailed = "coupling-failed",
        /// The cluster nodes' journals differ.
        ClusterJournalDiverged = "cluster-journal-diverged",
        /// The standby's journal is behind the active node's.
        ClusterStandbyBehind = "cluster-standby-behind",
        /// JOC says deployed; the Controller has no such item or another version.
        DeploymentMissing = "deployment-missing",
        /// The Controller holds an item JOC has no deployment record of.
        DeploymentUnknown = "deployment-unknown",
        /// JOC's history has read past the Controller's last event.
        HistoryAhead = "history-ahead",
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/js7.toml");

/// The rule parameters of `rules/js7.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Params {
    pub deployment_unknown: DeploymentUnknownParams,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentUnknownParams {
    /// The item kinds compared with JOC's deployments.
    pub kinds: Vec<String>,
}

/// The repairs JS7 findings call for: manual steps, for the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Repair {
    /// Stop the Agent, empty its state directory, start it, and reset it in JOC Cockpit
    /// with force: the Controller dedicates it anew.
    ResetAgentJournal { agent: String, state_dir: String },
    /// Redeploy these items from JOC Cockpit to the Controller.
    Redeploy { controller: String, items: Vec<String> },
}

impl From<Repair> for crate::engine::finding::Repair {
    fn from(r: Repair) -> Self {
        crate::engine::finding::Repair::from_action(&r)
    }
}

/// JS7 JobScheduler, as the engine runs it.
pub struct Js7;

impl Product for Js7 {
    const NAME: &'static str = "js7";
    const ABOUT: &'static str = "JS7: Controller journal ↔ Agent journals, cluster nodes, JOC Cockpit deployments";
    const RULES_TOML: &'static str = RULES_TOML;
    type Rule = Rule;
    type Params = Params;
    type Options = CheckOptions;
    type Valid = CheckOptions;

    fn validate(opts: CheckOptions) -> Result<(Target, CheckOptions)> {
        Ok((check::target(&opts)?, opts))
    }

    fn runs(rule: Rule, opts: &CheckOptions) -> bool {
        match rule {
            Rule::ClusterJournalDiverged | Rule::ClusterStandbyBehind => opts.standby.is_some(),
            Rule::DeploymentMissing | Rule::DeploymentUnknown | Rule::HistoryAhead => opts.joc_db.is_some(),
            Rule::AgentRunIdMismatch | Rule::AgentBehindController | Rule::AgentControllerMismatch | Rule::ControllerBehindAgent => !opts.agents.is_empty(),
            _ => true,
        }
    }

    fn check(opts: &CheckOptions, params: &Params, sink: &Sink) -> Result<()> {
        check::check(opts, params, sink)
    }

    /// Agents, JOC's records of a Controller, the cluster, and each journal.
    fn plan_unit(f: &Finding) -> Option<Unit> {
        let rule = Rule::from_id(&f.rule)?;
        let agent = f.details.get("agent").and_then(serde_json::Value::as_str).map(str::to_string).or_else(|| f.repair.as_ref().and_then(|r| r.field_str("agent")).map(str::to_string));
        let controller = f.details.get("controller").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
        Some(match rule {
            Rule::DeploymentMissing | Rule::DeploymentUnknown | Rule::HistoryAhead => Unit { unit: "JOC records of controller", key: controller, bytes: 0 },
            Rule::ClusterJournalDiverged | Rule::ClusterStandbyBehind => Unit { unit: "cluster", key: String::new(), bytes: 0 },
            _ => match agent {
                Some(a) => Unit { unit: "agent", key: a, bytes: 0 },
                None => Unit { unit: "journal", key: f.subject.split('/').next().unwrap_or_default().to_string(), bytes: 0 },
            },
        })
    }

    fn plan_action(u: &PlanUnit) -> String {
        match u.repairs.iter().find_map(|r| r.to_action::<Repair>()) {
            Some(Repair::ResetAgentJournal { agent, state_dir }) => {
                format!("reset Agent {agent}: stop it, empty {state_dir}, start it, then reset it in JOC Cockpit with force (Reset-JS7Agent -Force)")
            }
            Some(Repair::Redeploy { controller, items }) => format!("redeploy {} from JOC Cockpit to Controller {controller}", plan::plural(items.len() as u64, "item")),
            None => plan::generic_action(u),
        }
    }

    fn manifest_inputs(opts: &CheckOptions) -> ManifestInputs {
        let mut files = vec![Input::tree("controller", &opts.controller)];
        if let Some(s) = &opts.standby {
            files.push(Input::tree("standby", s));
        }
        for (path, dir) in &opts.agents {
            files.push(Input::tree(&format!("agent {path}"), dir));
        }
        ManifestInputs { files, databases: opts.joc_db.iter().map(|_| "joc_db".to_string()).collect() }
    }
}
