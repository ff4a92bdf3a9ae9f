//! The products repocheck knows: their bundled rule files and the rules their code emits.

use crate::engine::rules::{Catalogue, RuleDecl};

/// `(product, bundled rules/<product>.toml)`.
pub const BUNDLED_RULES: &[(&str, &str)] = &[
    ("fossology", crate::fossology::RULES_TOML), ("js7", crate::js7::RULES_TOML), ("fiorano", crate::fiorano::RULES_TOML),
    ("connectware", crate::connectware::RULES_TOML),
    ("hubble", crate::hubble::RULES_TOML),
];

/// Every rule any product's code can emit.
pub fn known_rules() -> Vec<RuleDecl> {
    let mut all = Vec::new();
    all.extend_from_slice(crate::fossology::Rule::DECLS);
    all.extend_from_slice(crate::js7::Rule::DECLS);
    all.extend_from_slice(crate::fiorano::Rule::DECLS);
    all.extend_from_slice(crate::connectware::Rule::DECLS);
    all.extend_from_slice(crate::hubble::Rule::DECLS);
    all
}

/// The bundled catalogue, with a site's `--rules` directory replacing product files.
pub fn catalogue(rules_dir: Option<&std::path::Path>) -> anyhow::Result<Catalogue> {
    Catalogue::load(BUNDLED_RULES, rules_dir, &known_rules())
}
