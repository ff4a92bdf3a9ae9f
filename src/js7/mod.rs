//! JS7 JobScheduler: Controller journal ↔ Agent journals (coupling identities and
//! EventIds), cluster node journals, JOC Cockpit deployment records ↔ Controller journal.
//!
//! Facts: `shared/facts/js7.md` (read from `sos-berlin/js7` and `sos-berlin/sos-components`).

pub mod check;
pub mod joc;
pub mod journal;
pub mod state;

pub use check::{CheckOptions, check};

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
        DeploymentUnknown = "deployment-unknown" [params: "kinds"],
        /// JOC's history has read past the Controller's last event.
        HistoryAhead = "history-ahead",
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/js7.toml");
