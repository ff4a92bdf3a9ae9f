//! What the engine needs of a product, and the one way every product's check runs.
//!
//! A product is a folder: its rules (`product_rules!`), its typed rule parameters, its
//! options (one struct deriving `clap::Args`), its check, and the hooks of the commands
//! that are not the check (`plan`, `repair`, what `merge` makes of its shards). It
//! implements [`Product`] and is registered with one line in `crate::products::PRODUCTS`;
//! the command line, site files and the rule catalogue take every product from there.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{ArgMatches, Args, FromArgMatches, ValueHint};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::finding::Finding;
use super::manifest;
use super::plan::{self, PlanUnit, Unit};
use super::report::Target;
use super::rules::{Catalogue, ProductRules, RuleCode};
use super::sink::Sink;
use super::spool::LineSpool;

/// One product repocheck checks.
pub trait Product: 'static {
    /// The product's name: the prefix of its rule ids, `check <name>`, `product = "<name>"`.
    const NAME: &'static str;
    /// What `check <name>` checks, in one line (its `--help`).
    const ABOUT: &'static str;
    /// The bundled `rules/<name>.toml`.
    const RULES_TOML: &'static str;
    /// The rules its code emits.
    type Rule: RuleCode;
    /// Its rule parameters, typed: `#[serde(deny_unknown_fields)]` and no defaults (the
    /// bundled rule file holds them), so a wrong name or type fails when the catalogue loads.
    type Params: DeserializeOwned;
    /// What one check of it is asked to do, as the command line and a site file's target
    /// give it: its inputs and how deeply to look.
    type Options: Args + FromArgMatches;
    /// The options vetted and resolved (inputs that exist, a configuration read, a layout
    /// found): what the check runs on.
    type Valid: 'static;

    /// Vets and resolves the options, and builds the report's target (inputs as given,
    /// level). Fails on an input that cannot be checked at all (a missing directory, an
    /// unknown `--host`), before anything runs, so a site file's bad target is found before
    /// its other targets take an hour.
    fn validate(opts: Self::Options) -> Result<(Target, Self::Valid)>;

    /// Whether a rule runs on this check (one that compares with an input not given does
    /// not; it is then not listed as passed).
    fn runs(_rule: Self::Rule, _check: &Self::Valid) -> bool {
        true
    }

    /// Runs every rule that [`Product::runs`] on one installation.
    fn check(check: &Self::Valid, params: &Self::Params, sink: &Sink) -> Result<()>;

    /// What a manifest of this check records: its input trees and files, and the names of
    /// its database inputs (whose tables the check hands to `Sink::manifest` as it reads).
    fn manifest_inputs(check: &Self::Valid) -> ManifestInputs;

    /// The repair plan unit a finding belongs to (an upload, an Agent); `None`: the
    /// installation as a whole.
    fn plan_unit(_finding: &Finding) -> Option<Unit> {
        None
    }

    /// What to do about a unit, in a sentence (`re-unpack upload 12: 214 files missing`).
    fn plan_action(unit: &PlanUnit) -> String {
        plan::generic_action(unit)
    }

    /// `repocheck plan <name>`: what a backup must contain, where the product has it.
    const PLAN: Option<Command> = None;
    /// `repocheck repair <name>`: the report's repairs as the product's own jobs.
    const REPAIR: Option<Command> = None;

    /// What `merge` makes of the deduplicated findings of this product's shards and the
    /// side records they left (`Sink::side`), into `sink`: by default each finding as it is.
    fn merge(findings: &mut LineSpool, _side: &mut LineSpool, sink: &Sink) -> Result<()> {
        for f in findings.read::<Finding>()? {
            sink.record(f?);
        }
        Ok(())
    }

    /// The scope of the union of parts of one installation (each part's target scope): by
    /// default the first part's.
    fn merge_scope(scopes: &[Map<String, Value>]) -> Map<String, Value> {
        scopes.first().cloned().unwrap_or_default()
    }
}

/// A command of a product besides the check (`plan <name>`, `repair <name>`): its
/// arguments, one struct deriving `clap::Args`, and what running it does.
pub trait ProductCommand: Args + FromArgMatches {
    /// What the command does, in one line (its `--help`).
    const ABOUT: &'static str;
    fn run(self) -> Result<ExitCode>;
}

/// A [`ProductCommand`] as the command line sees it.
#[derive(Clone, Copy)]
pub struct Command {
    pub about: &'static str,
    /// Adds its arguments to a `clap::Command`.
    pub args: fn(clap::Command) -> clap::Command,
    pub run: fn(&ArgMatches) -> Result<ExitCode>,
}

/// The [`Command`] of a [`ProductCommand`].
pub const fn command<C: ProductCommand>() -> Command {
    Command { about: C::ABOUT, args: <C as Args>::augment_args, run: run_command::<C> }
}

fn run_command<C: ProductCommand>(matches: &ArgMatches) -> Result<ExitCode> {
    C::from_arg_matches(matches)?.run()
}

/// A value parser for an enum given as `(value, name, help)` choices (a product's
/// `--level`, say).
pub fn choices<T: Copy + Send + Sync + 'static>(choices: &'static [(T, &'static str, &'static str)]) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(choices.iter().map(|(_, name, help)| PossibleValue::new(*name).help(*help)))
        .map(move |s| choices.iter().find(|(_, name, _)| *name == s).map(|(v, _, _)| *v).expect("clap accepted only listed names"))
}

/// The inputs a manifest records for one check.
#[derive(Debug, Clone, Default)]
pub struct ManifestInputs {
    pub files: Vec<manifest::Input>,
    pub databases: Vec<String>,
}

/// `--manifest-out` and `--against` of one check: restore proof, for every product.
#[derive(Debug, Clone, Default, Args)]
pub struct ManifestOptions {
    /// Pre-backup audit: also record a manifest of every file and table the check read
    /// (keep it beside the backup).
    #[arg(id = "manifest_out", long = "manifest-out", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub out: Option<PathBuf>,
    /// Post-restore validation: also compare with the manifest recorded at the audit, so a
    /// restore that lost files and rows alike does not pass.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub against: Option<PathBuf>,
}

impl ManifestOptions {
    pub fn wanted(&self) -> bool {
        self.out.is_some() || self.against.is_some()
    }
}

/// A product as the rest of repocheck sees it: what `crate::products::PRODUCTS` lists,
/// one per product, made by [`register`].
#[derive(Clone, Copy)]
pub struct Registered {
    /// Its name, rules and plan hooks, as the catalogue sees them.
    pub rules: ProductRules,
    pub about: &'static str,
    /// Adds the arguments of `check <name>` (its options and the restore proof's).
    pub check_args: fn(clap::Command) -> clap::Command,
    /// Vets the parsed arguments of `check <name>` into a check ready to run.
    pub prepare: fn(&ArgMatches) -> Result<Prepared>,
    pub plan: Option<Command>,
    pub repair: Option<Command>,
    pub merge: fn(&mut LineSpool, &mut LineSpool, &Sink) -> Result<()>,
    pub merge_scope: MergeScope,
}

impl Registered {
    pub fn name(&self) -> &'static str {
        self.rules.name
    }
}

/// How the scopes of a product's parts make one ([`Product::merge_scope`]).
pub type MergeScope = fn(&[Map<String, Value>]) -> Map<String, Value>;

/// The registry's entry of a product.
pub const fn register<P: Product>() -> Registered {
    Registered {
        rules: ProductRules { name: P::NAME, rules_toml: P::RULES_TOML, ids: P::Rule::IDS, validate: validate_params::<P>, unit_of: P::plan_unit, action: P::plan_action },
        about: P::ABOUT,
        check_args: check_args::<P>,
        prepare: prepare::<P>,
        plan: P::PLAN,
        repair: P::REPAIR,
        merge: P::merge,
        merge_scope: P::merge_scope,
    }
}

fn validate_params<P: Product>(catalogue: &Catalogue) -> Result<()> {
    catalogue.params::<P::Params>(P::NAME).map(|_| ())
}

fn check_args<P: Product>(cmd: clap::Command) -> clap::Command {
    let cmd = ManifestOptions::augment_args(cmd.next_help_heading("Restore proof"));
    P::Options::augment_args(cmd)
}

/// A check whose inputs were vetted and whose target is built, ready to run into a sink.
pub struct Prepared(Box<RunCheck>);

type RunCheck = dyn FnOnce(&Sink) -> Result<()>;

impl Prepared {
    pub fn run(self, sink: &Sink) -> Result<()> {
        (self.0)(sink)
    }
}

fn prepare<P: Product>(matches: &ArgMatches) -> Result<Prepared> {
    let manifest = ManifestOptions::from_arg_matches(matches)?;
    let opts = P::Options::from_arg_matches(matches)?;
    if let (Some(out), Some(against)) = (&manifest.out, &manifest.against)
        && out == against
    {
        anyhow::bail!("--manifest-out {} is also --against: record to another file", out.display());
    }
    let (target, valid) = P::validate(opts)?;
    Ok(Prepared(Box::new(move |sink| run_target::<P>(&valid, target, &manifest, sink))))
}

/// Records `target` and the rules that run on it, then runs the check, recording and
/// comparing a manifest as `manifest` asks.
fn run_target<P: Product>(opts: &P::Valid, target: Target, manifest: &ManifestOptions, sink: &Sink) -> Result<()> {
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
