//! The products repocheck knows: one line each. Adding a product is its folder (which
//! implements `engine::product::Product`), its `rules/<name>.toml`, one line here and its
//! README section; the command line, site files, the rule catalogue, `merge`, `plan` and
//! `repair` take every product from this list.

use crate::engine::finding::Finding;
use crate::engine::plan::{PlanUnit, Unit};
use crate::engine::product::{Registered, register};
use crate::engine::rules::{Catalogue, ProductRules};

/// Every product, in the order `repocheck check --help` lists them.
pub const PRODUCTS: &[Registered] = &[
    register::<crate::fossology::Fossology>(),
    register::<crate::js7::Js7>(),
    register::<crate::fiorano::Fiorano>(),
    register::<crate::connectware::Connectware>(),
    register::<crate::hubble::Hubble>(),
];

/// A product by name.
pub fn find(name: &str) -> Option<&'static Registered> {
    PRODUCTS.iter().find(|p| p.name() == name)
}

/// The products' names, for messages (`fossology, js7, …`).
pub fn names() -> Vec<&'static str> {
    PRODUCTS.iter().map(Registered::name).collect()
}

/// Every rule set the catalogue loads: the products', and the comparison with a manifest
/// (not a product: the same for every product).
pub fn rule_sets() -> Vec<ProductRules> {
    PRODUCTS.iter().map(|p| p.rules).chain([crate::engine::manifest::RULES]).collect()
}

/// The rule set of a product or of the manifest comparison, by name.
fn rule_set(name: &str) -> Option<ProductRules> {
    find(name).map(|p| p.rules).or_else(|| (crate::engine::manifest::RULES.name == name).then_some(crate::engine::manifest::RULES))
}

/// The repair plan unit of a finding, as its product says.
pub fn plan_unit(f: &Finding) -> Option<Unit> {
    let product = f.rule.split('/').next()?;
    rule_set(product).and_then(|p| (p.unit_of)(f))
}

/// What to do about a plan unit, as its product says.
pub fn plan_action(product: &str, unit: &PlanUnit) -> String {
    match rule_set(product) {
        Some(p) => (p.action)(unit),
        None => crate::engine::plan::generic_action(unit),
    }
}

/// Every rule any product's code can emit.
pub fn known_rules() -> Vec<&'static str> {
    rule_sets().iter().flat_map(|p| p.ids.iter().copied()).collect()
}

/// The bundled catalogue, with a site's `--rules` directory replacing product files;
/// every product's parameters are checked as it loads.
pub fn catalogue(rules_dir: Option<&std::path::Path>) -> anyhow::Result<Catalogue> {
    Catalogue::load(&rule_sets(), rules_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report schema's list of products is this registry's: a product added here and
    /// not there (or the other way round) fails.
    #[test]
    fn the_report_schema_names_every_registered_product() {
        let schema: serde_json::Value = serde_json::from_str(include_str!("../reports/repocheck-report.schema.json")).unwrap();
        let listed: Vec<&str> =
            schema["properties"]["targets"]["items"]["properties"]["product"]["enum"].as_array().expect("targets[].product is an enum").iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(listed, names());
    }

    #[test]
    fn every_product_has_a_check_command_and_its_hooks() {
        let command = <crate::cli::Cli as clap::CommandFactory>::command();
        let sub = |path: &[&str]| path.iter().try_fold(&command, |c, name| c.find_subcommand(name)).is_some();
        for p in PRODUCTS {
            assert!(sub(&["check", p.name()]), "check {}", p.name());
            assert_eq!(sub(&["plan", p.name()]), p.plan.is_some(), "plan {}", p.name());
            assert_eq!(sub(&["repair", p.name()]), p.repair.is_some(), "repair {}", p.name());
        }
    }
}
