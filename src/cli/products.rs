//! The products on the command line: each one's arguments and how they become its
//! options. `check <product>` and the targets of a `--site` file both parse into
//! [`CheckProduct`], and both run it through [`CheckProduct::plan`].

use std::path::PathBuf;

use anyhow::Result;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand, ValueHint};

use crate::engine::product::{self, ManifestOptions, Product};
use crate::engine::sink::Sink;
use crate::engine::tables::DbSource;
use crate::fossology::walk::{Level, NameRange, Subset};
use crate::{connectware, fiorano, fossology, hubble, js7};

#[derive(Debug, Subcommand)]
pub enum CheckProduct {
    /// FOSSology: the database (pfile, upload, uploadtree, jobs) against the repository tree.
    Fossology(FossologyArgs),
    /// JS7: Controller journal ↔ Agent journals, cluster nodes, JOC Cockpit deployments.
    Js7(Js7Args),
    /// Fiorano ESB: event processes, components, policies and alerts, transient stores.
    Fiorano(FioranoArgs),
    /// Cybus Connectware: the volume backup against the database backup.
    Connectware(ConnectwareArgs),
    /// Hubble accelerator: the backup archive, the restore log, the backup directory.
    Hubble(HubbleArgs),
}

/// A check whose inputs were vetted and whose target is built, ready to run into a sink.
pub struct Planned(RunCheck);

type RunCheck = Box<dyn FnOnce(&Sink) -> Result<()>>;

impl Planned {
    fn of<P: Product>(opts: P::Options, manifest: ManifestArgs) -> Result<Planned> {
        let target = P::target(&opts)?;
        let manifest = ManifestOptions { out: manifest.manifest_out, against: manifest.against };
        if let (Some(out), Some(against)) = (&manifest.out, &manifest.against)
            && out == against
        {
            anyhow::bail!("--manifest-out {} is also --against: record to another file", out.display());
        }
        Ok(Planned(Box::new(move |sink| product::run_target::<P>(&opts, target, &manifest, sink))))
    }

    pub fn run(self, sink: &Sink) -> Result<()> {
        (self.0)(sink)
    }
}

impl CheckProduct {
    /// Vets the inputs (a missing directory is an error now, before anything runs).
    pub fn plan(self) -> Result<Planned> {
        match self {
            CheckProduct::Fossology(a) => {
                let m = a.manifest.clone();
                Planned::of::<fossology::Fossology>(a.into(), m)
            }
            CheckProduct::Js7(a) => {
                let m = a.manifest.clone();
                Planned::of::<js7::Js7>(a.into(), m)
            }
            CheckProduct::Fiorano(a) => {
                let m = a.manifest.clone();
                Planned::of::<fiorano::Fiorano>(a.into(), m)
            }
            CheckProduct::Connectware(a) => {
                let m = a.manifest.clone();
                Planned::of::<connectware::Connectware>(a.into(), m)
            }
            CheckProduct::Hubble(a) => {
                let m = a.manifest.clone();
                Planned::of::<hubble::Hubble>(a.into(), m)
            }
        }
    }
}

/// A value parser for an enum given as `(value, name, help)` choices.
pub fn choices<T: Copy + Send + Sync + 'static>(choices: &'static [(T, &'static str, &'static str)]) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(choices.iter().map(|(_, name, help)| PossibleValue::new(*name).help(*help)))
        .map(move |s| choices.iter().find(|(_, name, _)| *name == s).map(|(v, _, _)| *v).expect("clap accepted only listed names"))
}

/// Restore proof, for every product.
#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// Pre-backup audit: also record a manifest of every file and table the check read
    /// (keep it beside the backup).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub manifest_out: Option<PathBuf>,
    /// Post-restore validation: also compare with the manifest recorded at the audit, so a
    /// restore that lost files and rows alike does not pass.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub against: Option<PathBuf>,
}

/// What every FOSSology command reads: the database, the repository, the layout.
#[derive(Debug, Args)]
pub struct FossologyInputs {
    /// The metadata: a postgres:// URL (read in one read-only transaction) or a dump read
    /// without a server: pg_dump / pg_dumpall plain SQL (COPY or --inserts; gzip, lz4,
    /// zstd or none), or a custom (-Fc), directory (-Fd) or tar (-Ft) archive.
    #[arg(long, value_name = "URL|DUMP", value_hint = ValueHint::AnyPath)]
    pub db: String,
    /// The database to read from a pg_dumpall file (other dumps hold one).
    #[arg(long, value_name = "NAME", default_value = "fossology")]
    pub db_name: String,
    /// The repository root ([FOSSOLOGY] path, e.g. /srv/fossology/repository, or a copy of it).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub repo: PathBuf,
    /// fossology.conf (or the directory holding it and Db.conf): depth and [REPOSITORY] hosts.
    /// Without it the layout is inferred from the repository.
    #[arg(long, value_name = "FILE|DIR", value_hint = ValueHint::AnyPath)]
    pub conf: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FossologyArgs {
    #[command(flatten, next_help_heading = "Restore proof")]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub inputs: FossologyInputs,
    /// How deeply to verify objects.
    #[arg(long, default_value = "exists", value_parser = choices(Level::CHOICES))]
    pub level: Level,
    /// Check only objects whose names start in this hex range, e.g. 00-7f (one shard).
    #[arg(long, value_name = "LO-HI", value_parser = NameRange::parse, conflicts_with = "shard")]
    pub range: Option<NameRange>,
    /// Check the K-th of N equal shards of the name space (1/4 … 4/4): one runner's share
    /// when only its index is known. Merge the N reports with repocheck merge.
    #[arg(long, value_name = "K/N", value_parser = NameRange::shard)]
    pub shard: Option<NameRange>,
    /// With --level content: re-hash only subset K of N (by name), the rest at size level;
    /// auto/N picks K from the date, so N nightly runs re-hash every object once.
    #[arg(long, value_name = "K/N|auto/N", value_parser = Subset::parse)]
    pub subset: Option<Subset>,
    /// Check only this [REPOSITORY] host's share of a multi-host repository.
    #[arg(long, value_name = "KEY")]
    pub host: Option<String>,
}

impl From<FossologyArgs> for fossology::CheckOptions {
    fn from(a: FossologyArgs) -> Self {
        fossology::CheckOptions {
            db: DbSource::parse(&a.inputs.db),
            db_name: a.inputs.db_name,
            repo: a.inputs.repo,
            conf: a.inputs.conf,
            level: a.level,
            range: a.range.or(a.shard),
            host: a.host,
            subset: a.subset,
        }
    }
}

#[derive(Debug, Args)]
pub struct Js7Args {
    #[command(flatten, next_help_heading = "Restore proof")]
    pub manifest: ManifestArgs,
    /// The Controller's state directory (JS7_CONTROLLER_DATA/state, or the data directory).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub controller: PathBuf,
    /// The standby cluster node's state directory.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub standby: Option<PathBuf>,
    /// An Agent as the Controller names it, and its state directory. Repeatable.
    #[arg(long, value_name = "PATH=DIR", value_parser = js7::check::parse_agent)]
    pub agent: Vec<(String, PathBuf)>,
    /// JOC Cockpit's database: a postgres:// URL or a dump in any pg_dump format.
    #[arg(long, value_name = "URL|DUMP", value_hint = ValueHint::AnyPath)]
    pub joc_db: Option<String>,
    /// The database to read from a pg_dumpall file.
    #[arg(long, value_name = "NAME", default_value = "joc")]
    pub db_name: String,
}

impl From<Js7Args> for js7::CheckOptions {
    fn from(a: Js7Args) -> Self {
        js7::CheckOptions { controller: a.controller, standby: a.standby, agents: a.agent, joc_db: a.joc_db.as_deref().map(DbSource::parse), db_name: a.db_name }
    }
}

#[derive(Debug, Args)]
pub struct FioranoArgs {
    #[command(flatten, next_help_heading = "Restore proof")]
    pub manifest: ManifestArgs,
    /// FIORANO_HOME/runtimedata (or a backup copy of it).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub runtimedata: PathBuf,
    /// FIORANO_INSTALL_DIR, for the system component and application repositories.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub install: Option<PathBuf>,
}

impl From<FioranoArgs> for fiorano::CheckOptions {
    fn from(a: FioranoArgs) -> Self {
        fiorano::CheckOptions { runtimedata: a.runtimedata, install: a.install }
    }
}

#[derive(Debug, Args)]
pub struct ConnectwareArgs {
    #[command(flatten, next_help_heading = "Restore proof")]
    pub manifest: ManifestArgs,
    /// The volume backup: a directory like /var/lib/docker/volumes, or its tar czf archive.
    #[arg(long, value_name = "DIR|ARCHIVE", value_hint = ValueHint::AnyPath)]
    pub volumes: PathBuf,
    /// The database backup file downloaded from /api/maintenance/db/backup.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub db_backup: PathBuf,
    /// The maintenance status JSON (GET /api/maintenance/db).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub status: Option<PathBuf>,
    /// The installed Connectware version.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
}

impl From<ConnectwareArgs> for connectware::CheckOptions {
    fn from(a: ConnectwareArgs) -> Self {
        connectware::CheckOptions { volumes: a.volumes, db_backup: a.db_backup, status: a.status, version: a.version }
    }
}

#[derive(Debug, Args)]
pub struct HubbleArgs {
    #[command(flatten, next_help_heading = "Restore proof")]
    pub manifest: ManifestArgs,
    /// The backup archive (.tar.gz) or the directory it was unpacked into.
    #[arg(long, value_name = "ARCHIVE|DIR", value_hint = ValueHint::AnyPath)]
    pub archive: PathBuf,
    /// The restore log (output.txt of `sql db -uhubble < copy.in > output.txt`).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub restore_log: Option<PathBuf>,
    /// The backup target directory to vet (e.g. /import/dbbackup).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub backup_dir: Option<PathBuf>,
}

impl From<HubbleArgs> for hubble::CheckOptions {
    fn from(a: HubbleArgs) -> Self {
        hubble::CheckOptions { archive: a.archive, restore_log: a.restore_log, backup_dir: a.backup_dir }
    }
}
