//! The command line: argument definitions and one thin function per subcommand.

mod check;
mod merge;
mod output;
mod plan;
mod repair;
mod rules;
mod site;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use output::OutputArgs;

#[derive(Debug, Parser)]
#[command(name = "repocheck", version, about = "Verifies installations whose state is split between a filesystem repository and database metadata or journals", max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an installation (or a backup of one) and report what is wrong.
    Check(CheckCmd),
    /// The rule catalogue: list the rules, or explain one.
    Rules(RulesCmd),
    /// Combine the JSON reports of several shards or hosts into one report.
    Merge(MergeCmd),
    /// Turn a report's repairs into the product's own jobs (dry run unless --apply).
    Repair(RepairCmd),
    /// What a backup must contain: repository paths for `rsync --files-from`.
    Plan(PlanCmd),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory.
    Man {
        /// Write repocheck.1, repocheck-check.1, repocheck-check-fossology.1, … here.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct PlanCmd {
    #[command(subcommand)]
    pub product: PlanProduct,
}

#[derive(Debug, Subcommand)]
pub enum PlanProduct {
    /// The FOSSology repository paths a backup must contain.
    Fossology(FossologyPlanArgs),
}

#[derive(Debug, Args)]
pub struct FossologyPlanArgs {
    #[command(flatten)]
    pub inputs: FossologyInputs,
    /// full: every referenced object; gold-only: each upload's gold (re-unpack after a restore).
    #[arg(long, value_enum)]
    pub strategy: crate::fossology::plan::Strategy,
    /// Leave out gold whose upload came from a URL (it can be downloaded again).
    #[arg(long)]
    pub skip_refetchable: bool,
    /// Write the list here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RepairCmd {
    #[command(subcommand)]
    pub product: RepairProduct,
}

#[derive(Debug, Subcommand)]
pub enum RepairProduct {
    /// Queue FOSSology re-unpack jobs (printed as SQL unless --apply), move misplaced objects.
    Fossology(FossologyRepairArgs),
}

#[derive(Debug, Args)]
pub struct FossologyRepairArgs {
    /// A JSON report of `repocheck check fossology` (or of `repocheck merge`).
    #[arg(long, value_name = "REPORT.json")]
    pub queue: PathBuf,
    /// The live FOSSology database (postgres:// URL).
    #[arg(long, value_name = "URL")]
    pub db: String,
    /// The repository root, for moving misplaced objects and linking gold back (with --apply).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Queue the jobs of uploads whose owner is no longer in `users` as this user (an administrator's user_pk).
    #[arg(long, value_name = "USER_PK")]
    pub user: Option<i64>,
    /// Tell the scheduler to look at the queue now (host:port of [FOSSOLOGY] address/port, e.g. localhost:24693).
    #[arg(long, value_name = "HOST:PORT")]
    pub notify: Option<String>,
    /// Make the changes. Without it, nothing is changed: the SQL and the shell script are printed.
    #[arg(long)]
    pub apply: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = false)]
pub struct CheckCmd {
    #[command(subcommand)]
    pub product: Option<CheckProduct>,
    /// A site file naming several targets (products, inputs, levels, rule overrides), checked
    /// in one run into one report.
    #[arg(long, value_name = "SITE.toml")]
    pub site: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

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

#[derive(Debug, Args)]
pub struct ConnectwareArgs {
    /// The volume backup: a directory like /var/lib/docker/volumes, or its tar czf archive.
    #[arg(long, value_name = "DIR|ARCHIVE")]
    pub volumes: PathBuf,
    /// The database backup file downloaded from /api/maintenance/db/backup.
    #[arg(long, value_name = "FILE")]
    pub db_backup: PathBuf,
    /// The maintenance status JSON (GET /api/maintenance/db).
    #[arg(long, value_name = "FILE")]
    pub status: Option<PathBuf>,
    /// The installed Connectware version.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
}

#[derive(Debug, Args)]
pub struct HubbleArgs {
    /// The backup archive (.tar.gz) or the directory it was unpacked into.
    #[arg(long, value_name = "ARCHIVE|DIR")]
    pub archive: PathBuf,
    /// The restore log (output.txt of `sql db -uhubble < copy.in > output.txt`).
    #[arg(long, value_name = "FILE")]
    pub restore_log: Option<PathBuf>,
    /// The backup target directory to vet (e.g. /import/dbbackup).
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FioranoArgs {
    /// FIORANO_HOME/runtimedata (or a backup copy of it).
    #[arg(long, value_name = "DIR")]
    pub runtimedata: PathBuf,
    /// FIORANO_INSTALL_DIR, for the system component and application repositories.
    #[arg(long, value_name = "DIR")]
    pub install: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Js7Args {
    /// The Controller's state directory (JS7_CONTROLLER_DATA/state, or the data directory).
    #[arg(long, value_name = "DIR")]
    pub controller: PathBuf,
    /// The standby cluster node's state directory.
    #[arg(long, value_name = "DIR")]
    pub standby: Option<PathBuf>,
    /// An Agent as the Controller names it, and its state directory. Repeatable.
    #[arg(long, value_name = "PATH=DIR", value_parser = crate::js7::check::parse_agent)]
    pub agent: Vec<(String, PathBuf)>,
    /// JOC Cockpit's database: a postgres:// URL or a pg_dump / pg_dumpall file.
    #[arg(long, value_name = "URL|DUMP")]
    pub joc_db: Option<String>,
    /// The database to read from a pg_dumpall file.
    #[arg(long, value_name = "NAME", default_value = "joc")]
    pub db_name: String,
}

/// What every FOSSology command reads: the database, the repository, the layout.
#[derive(Debug, Args)]
pub struct FossologyInputs {
    /// The metadata: a postgres:// URL (read in one read-only transaction) or a pg_dump /
    /// pg_dumpall file, plain or gzip-compressed, read without a server.
    #[arg(long, value_name = "URL|DUMP")]
    pub db: String,
    /// The database to read from a pg_dumpall file.
    #[arg(long, value_name = "NAME", default_value = "fossology")]
    pub db_name: String,
    /// The repository root ([FOSSOLOGY] path, e.g. /srv/fossology/repository, or a copy of it).
    #[arg(long, value_name = "DIR")]
    pub repo: PathBuf,
    /// fossology.conf (or the directory holding it and Db.conf): depth and [REPOSITORY] hosts.
    /// Without it the layout is inferred from the repository.
    #[arg(long, value_name = "FILE|DIR")]
    pub conf: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FossologyArgs {
    #[command(flatten)]
    pub inputs: FossologyInputs,
    /// How deeply to verify objects: exists, size (stat), content (SHA-1 and MD5).
    #[arg(long, value_enum, default_value = "exists")]
    pub level: crate::fossology::walk::Level,
    /// Check only objects whose names start in this hex range, e.g. 00-7f (one shard).
    #[arg(long, value_name = "LO-HI", value_parser = crate::fossology::walk::NameRange::parse)]
    pub range: Option<crate::fossology::walk::NameRange>,
    /// Check only this [REPOSITORY] host's share of a multi-host repository.
    #[arg(long, value_name = "KEY")]
    pub host: Option<String>,
}

#[derive(Debug, Args)]
pub struct RulesCmd {
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    /// A directory of rule files replacing the bundled ones.
    #[arg(long, value_name = "DIR", global = true)]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Every rule with its severity and summary.
    List {
        /// Only this product's rules.
        product: Option<String>,
    },
    /// What a rule means, why it matters, and how to fix what it finds.
    Explain { rule: String },
}

#[derive(Debug, Args)]
pub struct MergeCmd {
    /// JSON reports (`--format json`) of the shards or hosts.
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Runs the command line; errors become one line on stderr and exit code 2.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let message = format!("{e:#}").replace('\n', " ");
            eprintln!("repocheck: error: {message}");
            ExitCode::from(2)
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(cmd) => check::run(cmd),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Merge(cmd) => merge::run(cmd),
        Command::Repair(cmd) => repair::run(cmd),
        Command::Plan(cmd) => plan::run(cmd),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "repocheck", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir } => {
            let command = <Cli as clap::CommandFactory>::command();
            match dir {
                None => clap_mangen::Man::new(command).render(&mut std::io::stdout())?,
                Some(dir) => {
                    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("--dir {}: {e}", dir.display()))?;
                    write_man_pages(&dir, command, "repocheck")?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One page per command, named after its path (`repocheck-check-fossology.1`).
fn write_man_pages(dir: &std::path::Path, command: clap::Command, name: &str) -> anyhow::Result<()> {
    let command = command.name(name.to_string());
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    std::fs::write(dir.join(format!("{name}.1")), page)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        write_man_pages(dir, sub.clone(), &format!("{name}-{}", sub.get_name()))?;
    }
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
