//! The one finding type every product emits, and the repairs a finding can call for.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!("unknown severity '{other}' (expected error, warning or info)")),
        }
    }
}

/// What would fix a finding. Repairs are proposals: nothing is changed without
/// `repair … --apply`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Repair {
    /// FOSSology: queue the upload's re-unpack job (restores every file of the upload from its gold).
    Reunpack { upload: i64 },
    /// Move a misplaced object to where the product looks for it (paths relative to the checked root).
    Move { from: String, to: String },
    /// Hard-link a surviving copy of an object to where a second copy is expected
    /// (FOSSology's gold and files copies of an uploaded archive are one inode).
    Link { from: String, to: String },
    /// Download the upload's original again (manual: its origin is a URL).
    Refetch { upload: i64, origin: String },
    /// JS7: stop the Agent, empty its state directory, restart it (the Controller re-syncs it).
    ResetAgentJournal { agent: String, state_dir: String },
    /// JS7: redeploy these items from JOC Cockpit to the Controller.
    Redeploy { controller: String, items: Vec<String> },
    /// Only a backup can bring this back.
    RestoreFromBackup { path: String },
}

impl Repair {
    /// The key repairs are deduplicated by in a report's `repairs` list.
    pub fn key(&self) -> String {
        match self {
            Repair::Reunpack { upload } => format!("reunpack:{upload}"),
            Repair::Move { from, .. } => format!("move:{from}"),
            Repair::Link { to, .. } => format!("link:{to}"),
            Repair::Refetch { upload, .. } => format!("refetch:{upload}"),
            Repair::ResetAgentJournal { agent, .. } => format!("reset-agent-journal:{agent}"),
            Repair::Redeploy { controller, .. } => format!("redeploy:{controller}"),
            Repair::RestoreFromBackup { path } => format!("restore-from-backup:{path}"),
        }
    }

    pub fn action(&self) -> &'static str {
        match self {
            Repair::Reunpack { .. } => "reunpack",
            Repair::Move { .. } => "move",
            Repair::Link { .. } => "link",
            Repair::Refetch { .. } => "refetch",
            Repair::ResetAgentJournal { .. } => "reset-agent-journal",
            Repair::Redeploy { .. } => "redeploy",
            Repair::RestoreFromBackup { .. } => "restore-from-backup",
        }
    }
}

/// One thing found wrong (or worth knowing) about a checked installation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id, `<product>/<kebab-name>`.
    pub rule: String,
    pub severity: Severity,
    /// What it is about: a path relative to the checked root, or a key such as `upload 12`.
    pub subject: String,
    /// One line, for a person.
    pub message: String,
    /// The facts: ids, expected vs found.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair: Option<Repair>,
}

/// Builds the `details` object of a finding: `details!{"pfile" => 3, "uploads" => vec![1, 2]}`.
#[macro_export]
macro_rules! details {
    () => { ::serde_json::Map::new() };
    ($($key:literal => $value:expr),+ $(,)?) => {{
        let mut map = ::serde_json::Map::new();
        $( map.insert($key.to_string(), ::serde_json::json!($value)); )+
        map
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_serializes_with_action_tag() {
        let r = Repair::Reunpack { upload: 12 };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"action":"reunpack","upload":12}"#);
        let r = Repair::ResetAgentJournal { agent: "/agent-1".into(), state_dir: "/var/a".into() };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["action"], "reset-agent-journal");
        assert_eq!(v["state_dir"], "/var/a");
        let back: Repair = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
        assert_eq!("warning".parse::<Severity>().unwrap(), Severity::Warning);
        assert!("fatal".parse::<Severity>().is_err());
    }
}
