//! The part of a Controller's or Agent's state the checks need, computed from the current
//! journal file's snapshot and committed events (js7 `js7-data`:
//! `agent/AgentRefState.scala`, `cluster/ClusterState.scala`, `item/*ItemEvent.scala`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::journal::{Header, Visitor};

/// What the Controller keeps of one Agent (`AgentRefState`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentRef {
    /// The AgentRunId the Controller dedicated the Agent with (= the Agent journal's id).
    pub agent_run_id: Option<String>,
    /// The last Agent EventId the Controller has committed.
    pub event_id: i64,
    pub coupling: Option<String>,
    /// The last `AgentCouplingFailed` problem while nothing cleared it since, with the
    /// event's EventId (none when it comes from the snapshot's `problem`).
    pub coupling_failed: Option<(Option<i64>, Value)>,
}

/// A deployable item in the Controller's state: (kind, name) → version.
pub type Items = BTreeMap<(String, String), Option<String>>;

/// The Controller's state.
#[derive(Debug, Clone, Default)]
pub struct ControllerState {
    pub header: Option<Header>,
    pub controller_id: Option<String>,
    pub agents: BTreeMap<String, AgentRef>,
    /// Workflows with their versionId; other items with `None`.
    pub items: Items,
    pub versions: Vec<String>,
    pub cluster_state: Option<String>,
    pub released: BTreeMap<String, i64>,
}

impl ControllerState {
    fn agent(&mut self, path: &str) -> &mut AgentRef {
        self.agents.entry(path.to_string()).or_default()
    }

    fn add_item(&mut self, item: &Value) {
        let kind = item.get("TYPE").and_then(Value::as_str).unwrap_or_default();
        let Some(path) = item.get("path").and_then(Value::as_str) else { return };
        let kind = normal_kind(kind);
        if kind == "AgentRef" {
            self.agent(path);
            return;
        }
        let version = item.get("versionId").and_then(Value::as_str).map(str::to_string);
        self.items.insert((kind.to_string(), path.to_string()), version);
    }

    /// `{"signed":{"string":"<item JSON>","signature":…}}`: the item is a JSON string.
    fn add_signed(&mut self, event: &Value) {
        if let Some(s) = event.pointer("/signed/string").and_then(Value::as_str)
            && let Ok(item) = serde_json::from_str::<Value>(s)
        {
            self.add_item(&item);
        }
    }

    /// A snapshot object or an event (`event_id` is `None` for a snapshot object).
    fn apply(&mut self, value: &Value, event_id: Option<i64>) {
        let kind = value.get("TYPE").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "ControllerMetaState" | "ControllerInitialized" => {
                if let Some(id) = value.get("controllerId").and_then(Value::as_str) {
                    self.controller_id = Some(id.to_string());
                }
            }
            "AgentRefState" => self.apply_agent_ref_state(value),
            "JournalState" | "JournalEventsReleased" => apply_released(&mut self.released, value),
            _ if kind.starts_with("Cluster") => self.apply_cluster(kind, value),
            // An Agent event is keyed by the Agent's path; one without a key changes nothing.
            _ if kind.starts_with("Agent") => {
                if let Some(path) = value.get("Key").and_then(Value::as_str) {
                    self.apply_agent_event(kind, path, value, event_id);
                }
            }
            _ => self.apply_item(kind, value),
        }
    }

    /// The snapshot's `AgentRefState` of one Agent.
    fn apply_agent_ref_state(&mut self, value: &Value) {
        let Some(path) = value.pointer("/agentRef/path").and_then(Value::as_str) else { return };
        let a = self.agent(path);
        a.agent_run_id = value.get("agentRunId").and_then(Value::as_str).map(str::to_string);
        a.event_id = value.get("eventId").and_then(Value::as_i64).unwrap_or(0);
        a.coupling = value.pointer("/couplingState/TYPE").and_then(Value::as_str).map(str::to_string);
        // AgentRefState.problem is only ever set by AgentCouplingFailed.
        a.coupling_failed = value.get("problem").map(|p| (None, p.clone()));
    }

    /// How AgentRefState.applyEvent changes the Controller's view of an Agent
    /// (js7-data AgentRefState.scala).
    fn apply_agent_event(&mut self, kind: &str, path: &str, value: &Value, event_id: Option<i64>) {
        match kind {
            // AgentCreated is the older name of AgentDedicated.
            "AgentDedicated" | "AgentCreated" => {
                let a = self.agent(path);
                a.agent_run_id = value.get("agentRunId").and_then(Value::as_str).map(str::to_string);
                a.event_id = value.get("agentEventId").and_then(Value::as_i64).unwrap_or(0);
                a.coupling_failed = None;
            }
            "AgentEventsObserved" => {
                let a = self.agent(path);
                if let Some(e) = value.get("untilEventId").and_then(Value::as_i64) {
                    a.event_id = e;
                }
            }
            // AgentCoupled is ignored while a reset is under way.
            "AgentCoupled" => {
                let a = self.agent(path);
                if a.coupling.as_deref() != Some("Resetting") {
                    a.coupling = Some("Coupled".into());
                    a.coupling_failed = None;
                }
            }
            "AgentReady" => {
                let a = self.agent(path);
                a.coupling = Some("Coupled".into());
                a.coupling_failed = None;
            }
            "AgentShutDown" => {
                let a = self.agent(path);
                a.coupling = Some("ShutDown".into());
                a.coupling_failed = None;
            }
            "AgentCouplingFailed" => self.agent(path).coupling_failed = Some((event_id, value.get("problem").cloned().unwrap_or(Value::Null))),
            "AgentResetStarted" => {
                let a = self.agent(path);
                a.event_id = 0;
                a.coupling = Some("Resetting".into());
                a.coupling_failed = None;
                if value.get("force").and_then(Value::as_bool).unwrap_or(false) {
                    a.agent_run_id = None;
                }
            }
            "AgentReset" => {
                let a = self.agent(path);
                a.agent_run_id = None;
                a.event_id = 0;
                a.coupling = Some("Reset".into());
                a.coupling_failed = None;
            }
            _ => {}
        }
    }

    /// The snapshot's ClusterState and the events that change its type.
    fn apply_cluster(&mut self, kind: &str, value: &Value) {
        let state = match kind {
            "ClusterStateSnapshot" => value.pointer("/clusterState/TYPE").and_then(Value::as_str),
            "ClusterCoupled" => Some("Coupled"),
            "ClusterPassiveLost" => Some("PassiveLost"),
            "ClusterFailedOver" => Some("FailedOver"),
            "ClusterSwitchedOver" => Some("SwitchedOver"),
            "ClusterNodesAppointed" => Some("NodesAppointed"),
            _ => return,
        };
        self.cluster_state = state.map(str::to_string);
    }

    /// The item events: versions, and items added, changed, removed and deleted.
    fn apply_item(&mut self, kind: &str, value: &Value) {
        match kind {
            "VersionAdded" => {
                if let Some(v) = value.get("versionId").and_then(Value::as_str) {
                    self.versions.push(v.to_string());
                }
            }
            "VersionedItemAdded" | "VersionedItemChanged" | "SignedItemAdded" | "SignedItemChanged" => self.add_signed(value),
            "UnsignedSimpleItemAdded" | "UnsignedSimpleItemChanged" => {
                if let Some(item) = value.get("item") {
                    self.add_item(item);
                }
            }
            "VersionedItemRemoved" => {
                if let Some(path) = value.get("path").and_then(Value::as_str) {
                    // `path` may be "Workflow:name" (a typed path) or a bare name.
                    let (kind, name) = path.split_once(':').unwrap_or(("Workflow", path));
                    self.items.remove(&(normal_kind(kind).to_string(), name.to_string()));
                }
            }
            "ItemDeleted" => {
                if let Some((kind, name)) = value.get("key").and_then(Value::as_str).and_then(|k| k.split_once(':')) {
                    let name = name.split('~').next().unwrap_or(name);
                    self.items.remove(&(normal_kind(kind).to_string(), name.to_string()));
                    if kind == "Agent" || kind == "AgentRef" {
                        self.agents.remove(name);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `JournalState.userIdToReleasedEventId` (snapshot) and `JournalEventsReleased` (event):
/// the EventIds each user has released.
fn apply_released(released: &mut BTreeMap<String, i64>, value: &Value) {
    if let Some(m) = value.get("userIdToReleasedEventId").and_then(Value::as_object) {
        *released = m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_i64()?))).collect();
    } else if let (Some(u), Some(e)) = (value.get("userId").and_then(Value::as_str), value.get("untilEventId").and_then(Value::as_i64)) {
        released.insert(u.to_string(), e);
    }
}

/// Item kinds as JOC's deployment types name them (Board was renamed GlobalBoard in v2.7.2).
pub fn normal_kind(kind: &str) -> &str {
    match kind {
        "GlobalBoard" | "PlannableBoard" | "NoticeBoard" => "Board",
        "FileOrderSource" => "FileWatch",
        other => other,
    }
}

impl Visitor for ControllerState {
    fn header(&mut self, header: &Header) {
        self.header = Some(header.clone());
    }
    fn snapshot_object(&mut self, object: &Value) {
        self.apply(object, None);
    }
    fn event(&mut self, event_id: i64, event: &Value) {
        self.apply(event, Some(event_id));
    }
}

/// The Agent's dedication (`AgentMetaState`, set by `AgentDedicated`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentMeta {
    pub agent_path: Option<String>,
    pub agent_run_id: Option<String>,
    pub controller_id: Option<String>,
    pub controller_run_id: Option<String>,
}

/// The Agent's state.
#[derive(Debug, Clone, Default)]
pub struct AgentState {
    pub header: Option<Header>,
    pub meta: Option<AgentMeta>,
    pub released: BTreeMap<String, i64>,
}

impl AgentState {
    fn apply(&mut self, value: &Value) {
        match value.get("TYPE").and_then(Value::as_str).unwrap_or_default() {
            // AgentCreated is the older name of the Agent's AgentDedicated (AgentEvent.scala).
            "AgentMetaState" | "AgentDedicated" | "AgentCreated" => {
                let s = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
                self.meta = Some(AgentMeta { agent_path: s("agentPath"), agent_run_id: s("agentRunId"), controller_id: s("controllerId"), controller_run_id: s("controllerRunId") });
            }
            "JournalState" | "JournalEventsReleased" => apply_released(&mut self.released, value),
            _ => {}
        }
    }
}

impl Visitor for AgentState {
    fn header(&mut self, header: &Header) {
        self.header = Some(header.clone());
    }
    fn snapshot_object(&mut self, object: &Value) {
        self.apply(object);
    }
    fn event(&mut self, _event_id: i64, event: &Value) {
        self.apply(event);
    }
}

/// Watches historic files for one EventId (the Controller's stored Agent position).
#[derive(Debug, Default)]
pub struct Finder {
    pub wanted: Vec<i64>,
    pub found: Vec<bool>,
}

impl Visitor for Finder {
    fn header(&mut self, header: &Header) {
        for (w, f) in self.wanted.iter().zip(self.found.iter_mut()) {
            *f |= *w == header.event_id;
        }
    }
    fn snapshot_object(&mut self, _: &Value) {}
    fn event(&mut self, event_id: i64, _: &Value) {
        for (w, f) in self.wanted.iter().zip(self.found.iter_mut()) {
            *f |= *w == event_id;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn controller(lines: &[Value]) -> ControllerState {
        let mut state = ControllerState::default();
        for line in lines {
            match line.get("eventId").and_then(Value::as_i64) {
                Some(id) => state.event(id, line),
                None => state.snapshot_object(line),
            }
        }
        state
    }

    fn failed(id: i64) -> Value {
        json!({"eventId": id, "Key": "agent-1", "TYPE": "AgentCouplingFailed", "problem": {"code": "UnknownEventId", "message": "An unknown EventId has been requested"}})
    }

    #[test]
    fn a_coupling_failure_stays_the_last_word_until_something_clears_it() {
        let snapshot =
            json!({"TYPE": "AgentRefState", "agentRef": {"path": "agent-1"}, "agentRunId": "run", "couplingState": {"TYPE": "Coupled"}, "eventId": 7000, "problem": {"code": "AgentRunIdMismatch"}});
        let s = controller(std::slice::from_ref(&snapshot));
        assert_eq!(s.agents["agent-1"].coupling_failed.as_ref().map(|(id, p)| (*id, p["code"].clone())), Some((None, json!("AgentRunIdMismatch"))));
        assert_eq!(s.agents["agent-1"].event_id, 7000);
        let s = controller(&[snapshot.clone(), failed(10)]);
        assert_eq!(s.agents["agent-1"].coupling_failed.as_ref().map(|(id, _)| *id), Some(Some(10)));
        for clearing in ["AgentCoupled", "AgentReady", "AgentShutDown"] {
            let s = controller(&[snapshot.clone(), failed(10), json!({"eventId": 11, "Key": "agent-1", "TYPE": clearing})]);
            assert_eq!(s.agents["agent-1"].coupling_failed, None, "{clearing}");
        }
        // An event of another Agent does not clear it.
        let s = controller(&[snapshot.clone(), failed(10), json!({"eventId": 11, "Key": "agent-2", "TYPE": "AgentCoupled"})]);
        assert!(s.agents["agent-1"].coupling_failed.is_some());
    }

    #[test]
    fn a_reset_forgets_the_run_and_position_and_ignores_a_late_coupling() {
        let snapshot = json!({"TYPE": "AgentRefState", "agentRef": {"path": "agent-1"}, "agentRunId": "run", "couplingState": {"TYPE": "Coupled"}, "eventId": 7000});
        let s = controller(&[snapshot.clone(), json!({"eventId": 10, "Key": "agent-1", "TYPE": "AgentResetStarted", "force": true}), json!({"eventId": 11, "Key": "agent-1", "TYPE": "AgentCoupled"})]);
        let a = &s.agents["agent-1"];
        assert_eq!((a.agent_run_id.as_deref(), a.event_id, a.coupling.as_deref()), (None, 0, Some("Resetting")));
        let s = controller(&[
            snapshot,
            json!({"eventId": 10, "Key": "agent-1", "TYPE": "AgentResetStarted", "force": false}),
            json!({"eventId": 12, "Key": "agent-1", "TYPE": "AgentReset"}),
            json!({"eventId": 13, "Key": "agent-1", "TYPE": "AgentDedicated", "agentRunId": "new-run", "agentEventId": 9000}),
            json!({"eventId": 14, "Key": "agent-1", "TYPE": "AgentEventsObserved", "untilEventId": 9500}),
        ]);
        let a = &s.agents["agent-1"];
        assert_eq!((a.agent_run_id.as_deref(), a.event_id), (Some("new-run"), 9500));
    }

    #[test]
    fn items_and_versions_follow_the_repo_events() {
        let workflow = |v: &str| json!({"signed": {"string": json!({"TYPE": "Workflow", "path": "wf", "versionId": v}).to_string(), "signature": {}}});
        let mut added = workflow("v1");
        added["eventId"] = json!(1);
        added["TYPE"] = json!("VersionedItemAdded");
        let mut changed = workflow("v2");
        changed["eventId"] = json!(3);
        changed["TYPE"] = json!("VersionedItemChanged");
        let s = controller(&[
            json!({"eventId": 0, "TYPE": "VersionAdded", "versionId": "v1"}),
            added,
            json!({"eventId": 2, "TYPE": "VersionAdded", "versionId": "v2"}),
            changed,
            json!({"eventId": 4, "TYPE": "UnsignedSimpleItemAdded", "item": {"TYPE": "GlobalBoard", "path": "b", "itemRevision": 0}}),
            json!({"eventId": 5, "TYPE": "UnsignedSimpleItemAdded", "item": {"TYPE": "Lock", "path": "l", "itemRevision": 0}}),
            json!({"eventId": 6, "TYPE": "ItemDeleted", "key": "Lock:l"}),
        ]);
        assert_eq!(s.items.get(&("Workflow".to_string(), "wf".to_string())), Some(&Some("v2".to_string())));
        assert!(s.items.contains_key(&("Board".to_string(), "b".to_string())));
        assert!(!s.items.contains_key(&("Lock".to_string(), "l".to_string())));
        assert_eq!(s.versions, vec!["v1", "v2"]);
    }
}
