//! What the engine needs of a product, and the one way every product's check runs.
//!
//! A product is a folder with its rules (`product_rules!`), its typed rule parameters, its
//! options and its check; it implements [`Product`] and is listed once in
//! `crate::products::PRODUCTS`. The command line (`cli`) adds the product's arguments.

use anyhow::Result;
use serde::de::DeserializeOwned;

use super::report::Target;
use super::rules::{Catalogue, ProductRules, RuleCode};
use super::sink::Sink;

/// One product repocheck checks.
pub trait Product: 'static {
    /// The product's name: the prefix of its rule ids, `check <name>`, `product = "<name>"`.
    const NAME: &'static str;
    /// The bundled `rules/<name>.toml`.
    const RULES_TOML: &'static str;
    /// The rules its code emits.
    type Rule: RuleCode;
    /// Its rule parameters, typed: `#[serde(deny_unknown_fields)]` and no defaults (the
    /// bundled rule file holds them), so a wrong name or type fails when the catalogue loads.
    type Params: DeserializeOwned;
    /// What one check of it is asked to do: its inputs and how deeply to look.
    type Options;

    /// The report's target for these options (inputs as given, level, scope). Fails on an
    /// input that cannot be checked at all (a missing directory), before anything runs, so
    /// a site file's bad target is found before its other targets take an hour.
    fn target(opts: &Self::Options) -> Result<Target>;

    /// Whether a rule runs with these options (one that compares with an input not given
    /// does not; it is then not listed as passed).
    fn runs(_rule: Self::Rule, _opts: &Self::Options) -> bool {
        true
    }

    /// Runs every rule that [`Product::runs`] on one installation.
    fn check(opts: &Self::Options, params: &Self::Params, sink: &Sink) -> Result<()>;
}

/// A product as the catalogue sees it (`crate::products::PRODUCTS` lists one per product).
pub const fn rules_of<P: Product>() -> ProductRules {
    ProductRules { name: P::NAME, rules_toml: P::RULES_TOML, ids: P::Rule::IDS, validate: validate::<P> }
}

fn validate<P: Product>(catalogue: &Catalogue) -> Result<()> {
    catalogue.params::<P::Params>(P::NAME).map(|_| ())
}

/// Records `target` and the rules that run on it, then runs the check.
pub fn run_target<P: Product>(opts: &P::Options, target: Target, sink: &Sink) -> Result<()> {
    let params: P::Params = sink.catalogue().params(P::NAME)?;
    let rules: Vec<&'static str> = P::Rule::ALL.iter().filter(|r| P::runs(**r, opts)).map(|r| r.id()).collect();
    sink.begin_target(target, &rules);
    P::check(opts, &params, sink)
}

/// Vets, records and runs one product's check.
pub fn run<P: Product>(opts: &P::Options, sink: &Sink) -> Result<()> {
    run_target::<P>(opts, P::target(opts)?, sink)
}
