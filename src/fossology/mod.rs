//! FOSSology: the PostgreSQL metadata (`pfile`, `upload`, `uploadtree`, `job*`) against the
//! repository tree (`<host>/gold`, `<host>/files`).
//!
//! Sources: FOSSology's own code (`fossology/fossology` 4.7: `src/lib/c/fossconfig.c`,
//! `src/lib/c/fossrepo.c`, `src/ununpack/agent`, `src/wget_agent/agent`,
//! `src/scheduler/agent`, `src/www/ui`), cited where each fact is used.

pub mod check;
pub mod conf;
mod decide;
pub mod fs;
pub mod layout;
mod live;
pub(crate) mod merge;
pub mod metadata;
pub mod options;
mod perms;
pub mod plan;
pub mod repair;
mod scratch;
pub mod shards;
mod summary;
mod trees;
pub mod walk;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::engine::finding::Finding;
use crate::engine::manifest::Input;
use crate::engine::plan::{PlanUnit, Unit, generic_action, plural};
use crate::engine::product::{Command, ManifestInputs, Product, command};
use crate::engine::report::Target;
use crate::engine::rules::RuleCode;
use crate::engine::sink::Sink;
use crate::engine::spool::LineSpool;
pub use options::{CheckOptions, Level};

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
        /// An object's SHA-1 or MD5 differs from its name (or its SHA-256 from `pfile_sha256`).
        ContentMismatch = "content-mismatch",
        /// A well-named object in the wrong directory or on the wrong host.
        MisplacedFile = "misplaced-file",
        /// The objects of a tree mostly lie at another depth or on another host than the
        /// configuration says.
        LayoutMismatch = "layout-mismatch",
        /// An entry in a type tree that is not a repository object.
        UnexpectedEntry = "unexpected-entry",
        /// A directory or file that could not be read.
        EntryUnreadable = "entry-unreadable",
        /// A `pfile_fk` that names no `pfile` row.
        DanglingPfileRef = "dangling-pfile-ref",
        /// Jobs started and not ended: the scheduler is not quiesced.
        JobsActive = "jobs-active",
        /// Repository entries the project user and group cannot use.
        Permissions = "permissions",
        /// Leftover ununpack / wget_agent scratch directories.
        ScratchLeftover = "scratch-leftover",
        /// A configuration file a restore needs is missing or unreadable.
        ConfigMissing = "config-missing",
        /// What looks like damage is FOSSology's own work in progress: a job of the upload
        /// is queued or running, the upload is too new to be queued, or an object is being
        /// written.
        InFlight = "in-flight",
    }
}

impl Rule {
    /// A finding of a file object that one re-unpack of any upload referencing it restores
    /// (ununpack re-imports every file of the upload).
    pub fn restored_by_reunpack(self) -> bool {
        matches!(self, Rule::FileMissing | Rule::SizeMismatch | Rule::ContentMismatch)
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/fossology.toml");

/// The repository's name as a manifest input.
pub const REPO_INPUT: &str = "repo";

/// The rule parameters of `rules/fossology.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Params {
    pub content_mismatch: ContentMismatchParams,
    pub layout_mismatch: LayoutMismatchParams,
    pub scratch_leftover: ScratchLeftoverParams,
    pub in_flight: InFlightParams,
    #[serde(default)]
    pub permissions: PermissionsParams,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InFlightParams {
    /// An upload made less than this many seconds ago and not yet unpacked, and an object
    /// or `.I` file younger than this while a job is open, are in flight.
    pub grace_seconds: i64,
    /// The agents whose unfinished jobs on an upload make its problems in flight: those
    /// that write the repository or the upload's rows.
    pub agents: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionsParams {
    /// The project user's and group's numeric ids, for a copy checked on a machine that
    /// does not have them (default: looked up by name in /etc/passwd and /etc/group).
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentMismatchParams {
    /// Which digests of the name to compare at `--level content`.
    #[serde(deserialize_with = "digests")]
    pub digests: crate::engine::hash::Which,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutMismatchParams {
    /// At least this many objects of one class …
    pub min_objects: u64,
    /// … and more than this share of the tree's objects make one finding instead of one
    /// per object.
    pub share: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScratchLeftoverParams {
    /// Scratch directory names looked for under each top-level directory of the repository.
    pub dirs: Vec<String>,
}

/// `digests = ["sha1"]` (the default), `["sha1", "md5"]`, `["sha1", "md5", "sha256"]`: at
/// least one digest of the name; `sha256` is compared where `pfile.pfile_sha256` is filled.
fn digests<'de, D: serde::Deserializer<'de>>(d: D) -> Result<crate::engine::hash::Which, D::Error> {
    #[derive(Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Digest {
        Sha1,
        Md5,
        Sha256,
    }
    let names = Vec::<Digest>::deserialize(d)?;
    let which = crate::engine::hash::Which { sha1: names.contains(&Digest::Sha1), md5: names.contains(&Digest::Md5), sha256: names.contains(&Digest::Sha256) };
    if !which.sha1 && !which.md5 {
        return Err(serde::de::Error::custom("digests must name sha1, md5 or both (the digests of an object's name), and may add sha256"));
    }
    Ok(which)
}

/// The repairs FOSSology findings call for (besides the engine's restore-from-backup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Repair {
    /// Queue the upload's re-unpack job: ununpack imports every file of the upload again
    /// from its gold.
    Reunpack { upload: i64 },
    /// Move a misplaced object to where FOSSology looks for it (relative paths).
    Move { from: String, to: String },
    /// Copy a surviving object to where the second copy belongs: a gold whose files copy
    /// survives. After ununpack the top-level files object is a copy of the gold of its
    /// own, byte for byte (`AddToRepository` in `src/ununpack/agent/utils.c` calls
    /// `fo_RepImport(…, 1)` on the files object itself; `link()` fails with EEXIST and
    /// `fo_RepImport` in `src/lib/c/libfossrepo.c` writes `<name>.I` and renames it over
    /// the name). A copy restores that state; a hard link would tie the two copies, so a
    /// damage to one would be a damage to the gold a re-unpack restores from.
    Copy { from: String, to: String },
    /// Download the upload's original again (manual: its origin is a URL).
    Refetch { upload: i64, origin: String },
}

impl From<Repair> for crate::engine::finding::Repair {
    fn from(r: Repair) -> Self {
        crate::engine::finding::Repair::from_action(&r)
    }
}

/// FOSSology, as the engine runs it.
pub struct Fossology;

impl Product for Fossology {
    const NAME: &'static str = "fossology";
    const ABOUT: &'static str = "FOSSology: the database (pfile, upload, uploadtree, jobs) against the repository tree";
    const RULES_TOML: &'static str = RULES_TOML;
    type Rule = Rule;
    type Params = Params;
    type Options = CheckOptions;
    type Valid = check::Resolved;

    fn validate(opts: CheckOptions) -> Result<(Target, check::Resolved)> {
        check::validate(opts)
    }

    fn runs(rule: Rule, check: &check::Resolved) -> bool {
        match rule {
            Rule::SizeMismatch => check.opts.level >= Level::Size,
            Rule::ContentMismatch => check.opts.level == Level::Content,
            Rule::ConfigMissing => check.opts.inputs.conf.is_some(),
            _ => true,
        }
    }

    fn check(check: &check::Resolved, params: &Params, sink: &Sink) -> Result<()> {
        check::check(check, params, sink)
    }

    const PLAN: Option<Command> = Some(command::<plan::PlanArgs>());
    const REPAIR: Option<Command> = Some(command::<repair::RepairArgs>());

    fn merge(findings: &mut LineSpool, side: &mut LineSpool, sink: &Sink) -> Result<()> {
        shards::merge(findings, side, sink)
    }

    fn merge_scope(scopes: &[serde_json::Map<String, serde_json::Value>]) -> serde_json::Map<String, serde_json::Value> {
        shards::merge_scope(scopes)
    }

    /// Findings about objects and uploads go to the upload whose repair restores them;
    /// the repository's layout, the scheduler and the configuration are units of their own.
    fn plan_unit(f: &Finding) -> Option<Unit> {
        let unit = match Rule::from_id(&f.rule)? {
            Rule::MisplacedFile | Rule::LayoutMismatch | Rule::FileOrphaned | Rule::UnexpectedEntry | Rule::EntryUnreadable | Rule::ScratchLeftover | Rule::Permissions => "repository",
            Rule::JobsActive => "scheduler",
            Rule::InFlight if f.details.get("upload").is_none() => "repository",
            Rule::ConfigMissing => "configuration",
            Rule::FileMissing | Rule::GoldMissing | Rule::UploadUnrecoverable | Rule::UploadTreeMissing | Rule::SizeMismatch | Rule::ContentMismatch | Rule::DanglingPfileRef | Rule::InFlight => {
                "upload"
            }
        };
        let bytes = f.subject.rsplit('/').next().and_then(layout::ObjectKey::parse_name).map(|k| k.size).unwrap_or(0);
        if unit != "upload" {
            return Some(Unit { unit, key: String::new(), bytes });
        }
        let from_repair = f.repair.as_ref().and_then(|r| r.fields.get("upload")).and_then(serde_json::Value::as_i64);
        let from_details = f.details.get("upload").and_then(serde_json::Value::as_i64).or_else(|| f.details.get("uploads").and_then(|u| u.get(0)).and_then(serde_json::Value::as_i64));
        let upload = from_repair.or(from_details)?;
        Some(Unit { unit: "upload", key: upload.to_string(), bytes })
    }

    fn plan_action(u: &PlanUnit) -> String {
        if u.unit == "repository" {
            // The repository's only repairs are moves (misplaced objects).
            let moves = if u.repairs.iter().all(|r| r.action == "move") { u.repairs_total } else { u.repairs.iter().filter(|r| r.action == "move").count() as u64 };
            return match moves {
                0 => generic_action(u),
                n => format!("move {} to where FOSSology looks for them (repair fossology --apply --repo moves them)", plural(n, "misplaced object")),
            };
        }
        if u.unit != "upload" {
            return generic_action(u);
        }
        let n = |rule: Rule| u.findings.get(rule.id()).copied().unwrap_or(0);
        if u.repairs.is_empty() && n(Rule::InFlight) + n(Rule::JobsActive) == u.total() {
            return format!("nothing to repair: FOSSology is working on {}; check again once its jobs have ended", u.title);
        }
        let mut what = Vec::new();
        if n(Rule::FileMissing) > 0 {
            what.push(format!("{} missing", plural(n(Rule::FileMissing), "file")));
        }
        if n(Rule::SizeMismatch) + n(Rule::ContentMismatch) > 0 {
            what.push(format!("{} damaged", plural(n(Rule::SizeMismatch) + n(Rule::ContentMismatch), "file")));
        }
        if n(Rule::GoldMissing) > 0 {
            what.push("its gold missing".to_string());
        }
        if n(Rule::UploadTreeMissing) > 0 {
            what.push("no uploadtree rows".to_string());
        }
        if n(Rule::DanglingPfileRef) > 0 {
            what.push("references to pfiles that do not exist".to_string());
        }
        let bytes = if u.bytes > 0 { format!(" ({} bytes)", u.bytes) } else { String::new() };
        let what = if what.is_empty() { format!("{} finding(s)", u.total()) } else { what.join(", ") };
        let actions: Vec<Repair> = u.repairs.iter().filter_map(|r| r.to_action::<Repair>()).collect();
        let restores = u.repairs.iter().filter(|r| r.action == "restore-from-backup").count();
        let todo = if n(Rule::UploadUnrecoverable) > 0 {
            match actions.iter().find_map(|a| match a {
                Repair::Refetch { origin, .. } => Some(origin.clone()),
                _ => None,
            }) {
                Some(origin) => format!("download {} again from {origin}, then re-unpack it", u.title),
                None => format!("restore {} from the backup (its gold is gone, a re-unpack cannot bring it back)", u.title),
            }
        } else if actions.iter().any(|a| matches!(a, Repair::Reunpack { .. })) {
            let link = if actions.iter().any(|a| matches!(a, Repair::Copy { .. })) { "copy its gold back from the files copy, then " } else { "" };
            format!("{link}re-unpack {}", u.title)
        } else if actions.iter().any(|a| matches!(a, Repair::Copy { .. })) {
            format!("copy the gold of {} back from its files copy", u.title)
        } else if restores > 0 {
            format!("restore {} of {} from the backup", plural(u.repairs_total, "path"), u.title)
        } else {
            format!("review {}", u.title)
        };
        format!("{todo}: {what}{bytes}")
    }

    fn manifest_inputs(check: &check::Resolved) -> ManifestInputs {
        let opts = &check.opts;
        let mut repo = Input::tree(REPO_INPUT, &opts.inputs.repo).main().addressed(layout::object_path_size);
        // The check's walk reads the gold and files trees: the manifest takes their files
        // from it rather than reading them again (not for a shard, which walks part of one).
        if opts.range.is_none() && opts.host.is_none() {
            repo = repo.covered_by_check();
        }
        let mut files = vec![repo];
        if let Some(conf) = &opts.inputs.conf {
            let dir = if conf.is_dir() { conf.clone() } else { conf.parent().map(|p| p.to_path_buf()).unwrap_or_default() };
            let file = if conf.is_dir() { conf.join("fossology.conf") } else { conf.clone() };
            files.push(Input::file("conf/fossology.conf", file));
            files.push(Input::file("conf/Db.conf", dir.join("Db.conf")));
        }
        ManifestInputs { files, databases: vec!["db".into()] }
    }
}
