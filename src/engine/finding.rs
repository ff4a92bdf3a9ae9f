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

/// What would fix a finding: an action and its fields, serialized flat
/// (`{"action": "reunpack", "upload": 12}`). Products own their actions (FOSSology's
/// re-unpack, JS7's agent reset) as typed enums that convert into this; the engine only
/// knows the one every product shares, [`Repair::restore_from_backup`]. Repairs are
/// proposals: nothing is changed without `repair … --apply`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Repair {
    pub action: String,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

// By hand, so the fields keep the order they were written in (serde's flatten does not).
impl<'de> Deserialize<'de> for Repair {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Map::<String, Value>::deserialize(deserializer)?;
        match fields.shift_remove("action") {
            Some(Value::String(action)) => Ok(Repair { action, fields }),
            _ => Err(serde::de::Error::missing_field("action")),
        }
    }
}

impl Repair {
    /// Only a backup can bring this back.
    pub fn restore_from_backup(path: impl Into<String>) -> Repair {
        let mut fields = Map::new();
        fields.insert("path".into(), Value::String(path.into()));
        Repair { action: "restore-from-backup".into(), fields }
    }

    /// A product's typed action, serialized with `#[serde(tag = "action")]`.
    pub fn from_action(action: &impl Serialize) -> Repair {
        match serde_json::to_value(action) {
            Ok(Value::Object(mut fields)) => {
                let action = match fields.shift_remove("action") {
                    Some(Value::String(a)) => a,
                    _ => String::new(),
                };
                Repair { action, fields }
            }
            _ => Repair { action: String::new(), fields: Map::new() },
        }
    }

    /// The product's typed action back, if this is one of its actions.
    pub fn to_action<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        let mut map = self.fields.clone();
        map.insert("action".into(), Value::String(self.action.clone()));
        serde_json::from_value(Value::Object(map)).ok()
    }

    /// The key repairs are deduplicated by in a report's `repairs` list: the action and
    /// all its fields (`serde_json` keeps a map's keys in order, so equal repairs give
    /// equal keys).
    pub fn key(&self) -> String {
        let mut fields: Vec<(&String, &Value)> = self.fields.iter().collect();
        fields.sort_by_key(|(k, _)| *k);
        format!("{}:{}", self.action, serde_json::to_string(&fields).unwrap_or_default())
    }

    /// A string field of the action (`path`, `from`, …).
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
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

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "action", rename_all = "kebab-case")]
    enum Demo {
        ResetAgentJournal { agent: String, state_dir: String },
    }

    #[test]
    fn a_product_action_round_trips_through_the_flat_repair() {
        let typed = Demo::ResetAgentJournal { agent: "/agent-1".into(), state_dir: "/var/a".into() };
        let r = Repair::from_action(&typed);
        assert_eq!(r.action, "reset-agent-journal");
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"action":"reset-agent-journal","agent":"/agent-1","state_dir":"/var/a"}"#);
        assert_eq!(r.to_action::<Demo>(), Some(typed));
        let back: Repair = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        assert_eq!(Repair::restore_from_backup("x").to_action::<Demo>(), None);
    }

    #[test]
    fn equal_repairs_have_equal_keys_whatever_the_field_order() {
        let a: Repair = serde_json::from_str(r#"{"action":"move","from":"a","to":"b"}"#).unwrap();
        let b: Repair = serde_json::from_str(r#"{"to":"b","action":"move","from":"a"}"#).unwrap();
        assert_eq!(a.key(), b.key());
        let c: Repair = serde_json::from_str(r#"{"action":"move","from":"a","to":"c"}"#).unwrap();
        assert_ne!(a.key(), c.key());
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
        assert_eq!("warning".parse::<Severity>().unwrap(), Severity::Warning);
        assert!("fatal".parse::<Severity>().is_err());
    }
}
