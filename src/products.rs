//! The products repocheck knows. Adding one is its folder, its arguments in
//! `cli/products.rs`, and one line here.

use crate::engine::product::rules_of;
use crate::engine::rules::{Catalogue, ProductRules};

/// Every product, as the rule catalogue sees it.
pub const PRODUCTS: &[ProductRules] = &[
    rules_of::<crate::fossology::Fossology>(),
    rules_of::<crate::js7::Js7>(),
    rules_of::<crate::fiorano::Fiorano>(),
    rules_of::<crate::connectware::Connectware>(),
    rules_of::<crate::hubble::Hubble>(),
    // Not a product: the comparison with a manifest, the same for every product.
    crate::engine::manifest::RULES,
];

/// The repair plan unit of a finding, as its product says.
pub fn plan_unit(f: &crate::engine::finding::Finding) -> Option<crate::engine::plan::Unit> {
    let product = f.rule.split('/').next()?;
    PRODUCTS.iter().find(|p| p.name == product).and_then(|p| (p.unit_of)(f))
}

/// What to do about a plan unit, as its product says.
pub fn plan_action(product: &str, unit: &crate::engine::plan::PlanUnit) -> String {
    match PRODUCTS.iter().find(|p| p.name == product) {
        Some(p) => (p.action)(unit),
        None => crate::engine::plan::generic_action(unit),
    }
}

/// Every rule any product's code can emit.
pub fn known_rules() -> Vec<&'static str> {
    PRODUCTS.iter().flat_map(|p| p.ids.iter().copied()).collect()
}

/// The bundled catalogue, with a site's `--rules` directory replacing product files;
/// every product's parameters are checked as it loads.
pub fn catalogue(rules_dir: Option<&std::path::Path>) -> anyhow::Result<Catalogue> {
    Catalogue::load(PRODUCTS, rules_dir)
}
