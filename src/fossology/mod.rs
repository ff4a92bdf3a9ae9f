//! FOSSology: the PostgreSQL metadata (`pfile`, `upload`, `uploadtree`, `job*`) against the
//! repository tree (`<host>/gold`, `<host>/files`).
//!
//! Facts: `shared/facts/fossology.md` (read from `fossology/fossology` at 4.7.1-124).

pub mod check;
pub mod conf;
pub mod layout;
pub mod metadata;
pub mod plan;
pub mod repair;
pub mod walk;

pub use check::{CheckOptions, check};

crate::product_rules! {
    /// Every FOSSology rule. Ids, severities and explanations: `rules/fossology.toml`.
    pub enum Rule for "fossology" {
        /// A referenced pfile has no object in `files`.
        FileMissing = "file-missing",
        /// An upload's gold object is absent.
        GoldMissing = "gold-missing",
        /// An upload has missing content and no gold to re-unpack it from.
        UploadUnrecoverable = "upload-unrecoverable",
        /// An upload has its gold but no `uploadtree` rows.
        UploadTreeMissing = "upload-tree-missing",
        /// An object no database row references.
        FileOrphaned = "file-orphaned",
        /// An object's size differs from the size in its name.
        SizeMismatch = "size-mismatch",
        /// An object's SHA-1 or MD5 differs from its name.
        ContentMismatch = "content-mismatch" [params: "digests"],
        /// A well-named object in the wrong directory or on the wrong host.
        MisplacedFile = "misplaced-file",
        /// An entry in a type tree that is not a repository object.
        UnexpectedEntry = "unexpected-entry",
        /// A directory or file that could not be read.
        EntryUnreadable = "entry-unreadable",
        /// A `pfile_fk` that names no `pfile` row.
        DanglingPfileRef = "dangling-pfile-ref",
        /// Jobs started and not ended: the scheduler is not quiesced.
        JobsActive = "jobs-active",
        /// The gold and files copies of an uploaded archive are separate inodes.
        GoldFilesNotLinked = "gold-files-not-linked",
        /// Leftover ununpack / wget_agent scratch directories.
        ScratchLeftover = "scratch-leftover" [params: "dirs"],
        /// A configuration file a restore needs is missing or unreadable.
        ConfigMissing = "config-missing",
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/fossology.toml");
