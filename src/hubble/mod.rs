//! Hubble accelerator backups: the archive (Qlik `Replication_Definition.json`, the Vector
//! copydb scripts `copy.in`/`copy.out` and their data files), the restore log, the backup
//! target.
//!
//! Facts: `shared/facts/hubble.md`, `shared/sources/hubble-backup-api.txt`.

pub mod check;
pub mod copydb;

pub use check::{CheckOptions, check};

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
        DataFileUnreferenced = "data-file-unreferenced" [params: "restore_outputs"],
        /// copy.in stops at the first error.
        Nocontinue = "nocontinue",
        /// E_ errors in the restore log.
        RestoreErrors = "restore-errors" [params: "benign_codes", "benign_severity"],
        /// The backup directory is missing, on the root file system, or too small.
        BackupDirUnfit = "backup-dir-unfit" [params: "min_free_gb"],
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/hubble.toml");
