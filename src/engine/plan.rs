//! The repair plan: findings grouped by what a person acts on — a FOSSology upload, a JS7
//! Agent, a JOC item, a Fiorano event process — each with its counts, the bytes involved
//! and the one repair, so a report opens with what to do.
//!
//! Which unit a finding belongs to is the product's to say (`crate::products::plan_unit`);
//! the plan is built as findings are recorded and is bounded by the number of units with
//! findings, not by the number of findings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::finding::{Finding, Repair, Severity};

/// The unit a finding belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// What kind of thing: `upload`, `agent`, `event process`, `repository`.
    pub unit: &'static str,
    /// Which one (an upload id, an Agent path); empty for a product-wide unit.
    pub key: String,
    /// Bytes this finding is about (a missing object's size), 0 when none.
    pub bytes: u64,
}

/// Says which unit a finding belongs to; `None`: the product as a whole.
pub type UnitOf = fn(&Finding) -> Option<Unit>;

/// Phrases a unit's repairs as the one thing to do (`re-unpack upload 12`).
pub type PhraseOf = fn(product: &str, unit: &PlanUnit) -> String;

/// One unit of the plan, as the JSON report writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanUnit {
    pub product: String,
    pub unit: String,
    pub key: String,
    /// For a person: `upload 12 (openssl-3.0.tar.gz)`.
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The worst finding's severity.
    pub severity: Severity,
    /// Findings by rule.
    pub findings: BTreeMap<String, u64>,
    pub bytes: u64,
    /// What to do, in a sentence.
    pub action: String,
    /// The first distinct repairs its findings call for (`repairs_total` counts the
    /// findings that call for one).
    pub repairs: Vec<Repair>,
    #[serde(default)]
    pub repairs_total: u64,
}

impl PlanUnit {
    pub fn total(&self) -> u64 {
        self.findings.values().sum()
    }
}

/// How many distinct repairs a unit keeps (a unit of 10,000 moves keeps a few and counts).
const KEPT_REPAIRS: usize = 20;

/// The plan being built: bounded by the number of units, whatever the number of findings.
#[derive(Debug, Default)]
pub struct Plan {
    units: BTreeMap<(String, String, String), PlanUnit>,
}

impl Plan {
    /// Adds a finding to its unit.
    pub fn add(&mut self, finding: &Finding, unit_of: Option<UnitOf>) {
        let product = finding.rule.split('/').next().unwrap_or_default().to_string();
        let unit = unit_of.and_then(|f| f(finding)).unwrap_or(Unit { unit: "installation", key: String::new(), bytes: 0 });
        let id = (product.clone(), unit.unit.to_string(), unit.key.clone());
        let entry = self.units.entry(id).or_insert_with(|| PlanUnit {
            product: product.clone(),
            unit: unit.unit.to_string(),
            key: unit.key.clone(),
            title: if unit.key.is_empty() { format!("{product} {}", unit.unit) } else { format!("{} {}", unit.unit, unit.key) },
            owner: None,
            severity: finding.severity,
            findings: BTreeMap::new(),
            bytes: 0,
            action: String::new(),
            repairs: Vec::new(),
            repairs_total: 0,
        });
        entry.severity = entry.severity.max(finding.severity);
        *entry.findings.entry(finding.rule.clone()).or_default() += 1;
        entry.bytes += unit.bytes;
        if let Some(repair) = &finding.repair {
            entry.repairs_total += 1;
            if entry.repairs.len() < KEPT_REPAIRS && !entry.repairs.contains(repair) {
                entry.repairs.push(repair.clone());
            }
        }
    }

    /// Gives a unit its title and owner (a product knows them: the upload's file name).
    pub fn describe(&mut self, product: &str, unit: &str, key: &str, title: String, owner: Option<String>) {
        if let Some(u) = self.units.get_mut(&(product.to_string(), unit.to_string(), key.to_string())) {
            u.title = title;
            u.owner = owner;
        }
    }

    /// The keys of a product's units of one kind (for the product to describe them).
    pub fn keys(&self, product: &str, unit: &str) -> Vec<String> {
        self.units.keys().filter(|(p, u, _)| p == product && u == unit).map(|(_, _, k)| k.clone()).collect()
    }

    /// The plan in the order to act on it: worst severity first, then most findings.
    pub fn finish(self, phrase: Option<PhraseOf>) -> Vec<PlanUnit> {
        let mut units: Vec<PlanUnit> = self
            .units
            .into_values()
            .map(|mut u| {
                u.action = phrase.map(|p| p(&u.product.clone(), &u)).unwrap_or_default();
                u
            })
            .collect();
        units.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| b.total().cmp(&a.total())).then_with(|| (&a.product, &a.unit, &a.key).cmp(&(&b.product, &b.unit, &b.key))));
        units
    }
}

/// What to do when the product has nothing more specific to say: the repairs by action,
/// or, without any, what the findings ask.
pub fn generic_action(u: &PlanUnit) -> String {
    let mut by_action: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &u.repairs {
        *by_action.entry(r.action.as_str()).or_default() += 1;
    }
    if by_action.is_empty() {
        return match u.severity {
            Severity::Info => "nothing to repair (for information)".to_string(),
            _ => format!("see the {} finding(s): no automatic repair", u.total()),
        };
    }
    let more = u.repairs_total.saturating_sub(u.repairs.len() as u64);
    let parts: Vec<String> = by_action
        .iter()
        .map(|(action, n)| match *action {
            "restore-from-backup" => format!("restore {} from the backup", plural(*n + if by_action.len() == 1 { more } else { 0 }, "path")),
            other => format!("{other} ×{n}"),
        })
        .collect();
    parts.join("; ")
}

/// `3 paths`, `1 path`.
pub fn plural(n: u64, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, severity: Severity, upload: i64, repair: Option<Repair>) -> Finding {
        let mut details = serde_json::Map::new();
        details.insert("upload".into(), upload.into());
        Finding { rule: rule.into(), severity, subject: format!("s{upload}"), message: String::new(), details, repair }
    }

    fn by_upload(f: &Finding) -> Option<Unit> {
        Some(Unit { unit: "upload", key: f.details["upload"].to_string(), bytes: 10 })
    }

    #[test]
    fn groups_by_unit_worst_first_with_distinct_repairs() {
        let mut plan = Plan::default();
        let restore = Repair::restore_from_backup("x");
        plan.add(&finding("p/a", Severity::Warning, 1, None), Some(by_upload));
        for _ in 0..3 {
            plan.add(&finding("p/b", Severity::Error, 2, Some(restore.clone())), Some(by_upload));
        }
        plan.add(&finding("p/c", Severity::Info, 3, None), None);
        plan.describe("p", "upload", "2", "upload 2 (x.tar)".into(), Some("fossy".into()));
        let units = plan.finish(Some(|_, u| format!("{} repairs", u.repairs_total)));
        assert_eq!(units.iter().map(|u| u.title.as_str()).collect::<Vec<_>>(), ["upload 2 (x.tar)", "upload 1", "p installation"]);
        assert_eq!(units[0].findings["p/b"], 3);
        assert_eq!(units[0].bytes, 30);
        assert_eq!(units[0].repairs, [restore]);
        assert_eq!(units[0].action, "3 repairs", "findings calling for a repair");
        assert_eq!(units[0].owner.as_deref(), Some("fossy"));
    }
}
