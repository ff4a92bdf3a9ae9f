//! Hubble accelerator backups: the archive (Qlik `Replication_Definition.json`, the Vector
//! copydb scripts `copy.in`/`copy.out` and their data files), the restore log, the backup
//! target.
//!
//! Sources: the Hubble accelerator's backup documentation ("Backup API"), Actian's
//! `copydb` and terminal monitor (`sql`) documentation and Ingres's `ugerr.c`, cited where
//! each fact is used.

pub mod check;
pub mod copydb;

use anyhow::Result;
use serde::Deserialize;

use crate::engine::finding::Finding;
use crate::engine::finding::Severity;
use crate::engine::manifest::Input;
use crate::engine::plan::Unit;
use crate::engine::product::{ManifestInputs, Product};
use crate::engine::report::Target;
use crate::engine::sink::Sink;
pub use check::CheckOptions;

crate::product_rules! {
    /// Every Hubble rule. Ids, severities and explanations: `rules/hubble.toml`.
    pub enum Rule for "hubble" {
        /// The archive cannot be opened or read to its end.
        ArchiveUnreadable = "archive-unreadable",
        /// AttunityBackup/Replication_Definition.json is absent.
        ReplicationDefinitionMissing = "replication-definition-missing",
        /// Replication_Definition.json is not valid, or a task names an unknown database.
        ReplicationDefinitionInvalid = "replication-definition-invalid",
        /// copy.in or copy.out is absent.
        CopyScriptMissing = "copy-script-missing",
        /// A copy statement names a data file that is absent.
        DataFileMissing = "data-file-missing",
        /// A data file no copy statement names.
        DataFileUnreferenced = "data-file-unreferenced",
        /// copy.in stops at the first error.
        Nocontinue = "nocontinue",
        /// E_ errors in the restore log.
        RestoreErrors = "restore-errors",
        /// The backup directory is missing, on the root file system, or too small.
        BackupDirUnfit = "backup-dir-unfit",
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/hubble.toml");

/// The rule parameters of `rules/hubble.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Params {
    pub data_file_unreferenced: DataFileUnreferencedParams,
    pub restore_errors: RestoreErrorsParams,
    pub backup_dir_unfit: BackupDirUnfitParams,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFileUnreferencedParams {
    /// Files the restore itself writes into DatabaseBackup (the terminal monitor's output).
    pub restore_outputs: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreErrorsParams {
    /// Error codes that are known to be harmless on a table the backup does not create.
    pub benign_codes: Vec<String>,
    /// The most those are reported as.
    pub benign_severity: Severity,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupDirUnfitParams {
    pub min_free_gb: f64,
}

/// The Hubble accelerator, as the engine runs it.
pub struct Hubble;

impl Product for Hubble {
    const NAME: &'static str = "hubble";
    const ABOUT: &'static str = "Hubble accelerator: the backup archive, the restore log, the backup directory";
    const RULES_TOML: &'static str = RULES_TOML;
    type Rule = Rule;
    type Params = Params;
    type Options = CheckOptions;
    type Valid = CheckOptions;

    fn validate(opts: CheckOptions) -> Result<(Target, CheckOptions)> {
        Ok((check::target(&opts)?, opts))
    }

    fn runs(rule: Rule, opts: &CheckOptions) -> bool {
        match rule {
            Rule::RestoreErrors => opts.restore_log.is_some(),
            Rule::BackupDirUnfit => opts.backup_dir.is_some(),
            _ => true,
        }
    }

    fn check(opts: &CheckOptions, params: &Params, sink: &Sink) -> Result<()> {
        check::check(opts, params, sink)
    }

    /// One backup set: everything found is about it.
    fn plan_unit(_: &Finding) -> Option<Unit> {
        Some(Unit { unit: "backup set", key: String::new(), bytes: 0 })
    }

    fn manifest_inputs(opts: &CheckOptions) -> ManifestInputs {
        let mut files = vec![Input::tree_or_archive("archive", &opts.archive)];
        if let Some(l) = &opts.restore_log {
            files.push(Input::file("restore_log", l));
        }
        ManifestInputs { files, databases: Vec::new() }
    }
}
