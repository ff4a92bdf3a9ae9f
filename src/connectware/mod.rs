//! Cybus Connectware: the Docker volume backup against the PostgreSQL (user database)
//! backup — both present, the same version, taken at about the same time.
//!
//! Facts: `shared/facts/connectware.md`, `shared/sources/connectware-backup-restore.txt`.

pub mod check;

pub use check::{CheckOptions, check};

crate::product_rules! {
    /// Every Connectware rule. Ids, severities and explanations: `rules/connectware.toml`.
    pub enum Rule for "connectware" {
        /// A required volume is absent from the volume backup.
        VolumeMissing = "volume-missing" [params: "required", "recommended", "project"],
        /// The database backup is absent, empty or unreadable.
        DbBackupMissing = "db-backup-missing" [params: "format"],
        /// The volume and database backups were taken too far apart.
        BackupSkew = "backup-skew" [params: "tolerance_minutes"],
        /// The database backup's version is not the installed version (with `--version`).
        VersionMismatch = "version-mismatch",
        /// The maintenance status reports a failed backup or restore (with `--status`).
        BackupFailed = "backup-failed",
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/connectware.toml");
