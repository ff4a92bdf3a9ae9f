//! What the engine needs of a product, and the one way every product's check runs.
//!
//! A product is a folder with its rules (`product_rules!`), its typed rule parameters, its
//! options and its check; it implements [`Product`] and is listed once in
//! `crate::products::PRODUCTS`. The command line (`cli`) adds the product's arguments.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::finding::Finding;
use super::manifest;
use super::plan::{self, PlanUnit, Unit};

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

    /// What a manifest of this check records: its input trees and files, and the names of
    /// its database inputs (whose tables the check hands to `Sink::manifest` as it reads).
    fn manifest_inputs(opts: &Self::Options) -> ManifestInputs;

    /// The repair plan unit a finding belongs to (an upload, an Agent); `None`: the
    /// installation as a whole.
    fn plan_unit(_finding: &Finding) -> Option<Unit> {
        None
    }

    /// What to do about a unit, in a sentence (`re-unpack upload 12: 214 files missing`).
    fn plan_action(unit: &PlanUnit) -> String {
        plan::generic_action(unit)
    }
}

/// The inputs a manifest records for one check.
#[derive(Debug, Clone, Default)]
pub struct ManifestInputs {
    pub files: Vec<manifest::Input>,
    pub databases: Vec<String>,
}

/// `--manifest-out` and `--against` of one check.
#[derive(Debug, Clone, Default)]
pub struct ManifestOptions {
    /// Record a manifest of what the check read here.
    pub out: Option<PathBuf>,
    /// Compare what the check reads with this manifest.
    pub against: Option<PathBuf>,
}

impl ManifestOptions {
    pub fn wanted(&self) -> bool {
        self.out.is_some() || self.against.is_some()
    }
}

/// A product as the catalogue sees it (`crate::products::PRODUCTS` lists one per product).
pub const fn rules_of<P: Product>() -> ProductRules {
    ProductRules { name: P::NAME, rules_toml: P::RULES_TOML, ids: P::Rule::IDS, validate: validate::<P>, unit_of: P::plan_unit, action: P::plan_action }
}

fn validate<P: Product>(catalogue: &Catalogue) -> Result<()> {
    catalogue.params::<P::Params>(P::NAME).map(|_| ())
}

/// Records `target` and the rules that run on it, then runs the check, recording and
/// comparing a manifest as `manifest` asks.
pub fn run_target<P: Product>(opts: &P::Options, target: Target, manifest: &ManifestOptions, sink: &Sink) -> Result<()> {
    let params: P::Params = sink.catalogue().params(P::NAME)?;
    let mut rules: Vec<&'static str> = P::Rule::ALL.iter().filter(|r| P::runs(**r, opts)).map(|r| r.id()).collect();
    if !manifest.wanted() {
        sink.begin_target(target, &rules);
        return P::check(opts, &params, sink);
    }
    // A manifest to compare with is checked end to end before anything runs: a damaged or
    // edited one, or one of another product, is an error, never a wrong verdict.
    let against = manifest.against.as_deref().map(|path| manifest::verify(path, P::NAME).map(|_| path)).transpose()?;
    if against.is_some() {
        rules.extend(<manifest::Rule as RuleCode>::IDS);
    }
    let header = manifest::Header::new(P::NAME, target.inputs.clone(), target.level.clone());
    sink.begin_target(target, &rules);
    let inputs = P::manifest_inputs(opts);
    let recorder = Arc::new(manifest::Recorder::default());
    let recording = sink.with_manifest(Arc::clone(&recorder));
    let mut writer = manifest.out.as_deref().map(|path| manifest::ManifestWriter::create(path, &header)).transpose()?;
    let main_inputs: Vec<String> = inputs.files.iter().filter(|i| i.main).map(|i| i.name.clone()).collect();
    let mut comparer = match against {
        None => None,
        Some(path) => {
            Some(manifest::Comparer::new(manifest::ManifestReader::open(path)?, sink, main_inputs, inputs.files.iter().map(|i| i.name.clone()).collect(), inputs.databases.iter().cloned().collect())?)
        }
    };
    // The files are walked beside the check, written and compared as they come — or, when
    // the check walks parts of a tree itself, after it, with the files it handed over.
    let after = inputs.files.iter().any(|i| i.covered_by_check);
    let mut walk_files = |covered| {
        manifest::walk::walk_inputs(&inputs.files, &sink.stats, covered, &mut |entry| {
            if let Some(c) = comparer.as_mut() {
                c.file(&entry)?;
            }
            if let Some(w) = writer.as_mut() {
                w.entry(&manifest::Entry::File(entry))?;
            }
            Ok(())
        })
    };
    let (walked, checked) = if after {
        let checked = P::check(opts, &params, &recording);
        let walked = match checked {
            Ok(()) => recorder.take_covered().and_then(|covered| walk_files(Some(covered))),
            Err(_) => Ok(()),
        };
        (walked, checked)
    } else {
        std::thread::scope(|scope| {
            let walker = scope.spawn(|| walk_files(None));
            let checked = P::check(opts, &params, &recording);
            (walker.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the manifest walk failed"))), checked)
        })
    };
    checked?;
    walked?;
    drop(recording);
    let tables = recorder.take_tables();
    let mut scope = serde_json::Map::new();
    if let Some(w) = writer.as_mut() {
        for table in &tables {
            w.entry(&manifest::Entry::Table(table.clone()))?;
        }
    }
    if let Some(c) = comparer.as_mut() {
        c.tables(tables)?;
        scope.insert("against".into(), json!({"manifest": manifest.against.as_ref().map(|p| p.display().to_string()), "recorded_at": c.header().created_at, "files_compared": c.compared_files, "tables_compared": c.compared_tables, "inputs_not_compared": c.not_compared}));
    }
    if let Some(w) = writer {
        w.finish()?;
        scope.insert("written".into(), json!(manifest.out.as_ref().map(|p| p.display().to_string())));
    }
    sink.scope("manifest", serde_json::Value::Object(scope));
    Ok(())
}
