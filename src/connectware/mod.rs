//! Cybus Connectware: the Docker volume backup against the PostgreSQL (user database)
//! backup — both present, the same version, taken at about the same time.
//!
//! Sources: Cybus's Connectware documentation, "Backup and Restore" (Docker volumes and the
//! maintenance REST API `/api/maintenance/db`), cited where each fact is used.

pub mod check;

use anyhow::Result;
use serde::Deserialize;

use crate::engine::finding::Finding;
use crate::engine::manifest::Input;
use crate::engine::plan::Unit;
use crate::engine::product::{ManifestInputs, Product};
use crate::engine::report::Target;
use crate::engine::sink::Sink;
pub use check::{CheckOptions, DbFormat};

crate::product_rules! {
    /// Every Connectware rule. Ids, severities and explanations: `rules/connectware.toml`.
    pub enum Rule for "connectware" {
        /// A required volume is absent from the volume backup.
        VolumeMissing = "volume-missing",
        /// The database backup is absent, empty or unreadable.
        DbBackupMissing = "db-backup-missing",
        /// The volume and database backups were taken too far apart.
        BackupSkew = "backup-skew",
        /// The database backup's version is not the installed version (with `--version`).
        VersionMismatch = "version-mismatch",
        /// The maintenance status reports a failed backup or restore (with `--status`).
        BackupFailed = "backup-failed",
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/connectware.toml");

/// The rule parameters of `rules/connectware.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Params {
    pub volume_missing: VolumeMissingParams,
    pub db_backup_missing: DbBackupMissingParams,
    pub backup_skew: BackupSkewParams,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeMissingParams {
    /// Volume names without the compose project (`service-manager`): missing is an error.
    pub required: Vec<String>,
    /// Volumes a restore is poorer without (`certs`): missing is at most a warning.
    pub recommended: Vec<String>,
    /// The compose project; empty: found from the volume names.
    pub project: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbBackupMissingParams {
    pub format: DbFormat,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSkewParams {
    pub tolerance_minutes: i64,
}

/// Cybus Connectware, as the engine runs it.
pub struct Connectware;

impl Product for Connectware {
    const NAME: &'static str = "connectware";
    const ABOUT: &'static str = "Cybus Connectware: the volume backup against the database backup";
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
            Rule::BackupFailed => opts.status.is_some(),
            Rule::VersionMismatch => opts.version.is_some(),
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
        let mut files = vec![Input::tree_or_archive("volumes", &opts.volumes), Input::file("db_backup", &opts.db_backup)];
        if let Some(s) = &opts.status {
            files.push(Input::file("status", s));
        }
        ManifestInputs { files, databases: Vec::new() }
    }
}
