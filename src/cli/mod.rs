//! The command line: argument definitions and one thin function per subcommand.

mod check;
mod diff;
mod merge;
mod output;
pub mod products;
mod rules;
mod site;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use output::OutputArgs;
pub use products::CheckProduct;

#[derive(Debug, Parser)]
#[command(name = "repocheck", version, about = "Verifies installations whose state is split between a filesystem repository and database metadata or journals", max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an installation (or a backup of one) and report what is wrong.
    Check(Box<CheckCmd>),
    /// The rule catalogue: list the rules, or explain one.
    Rules(RulesCmd),
    /// Combine the JSON reports of several shards or hosts into one report.
    Merge(MergeCmd),
    /// What changed between two JSON reports: new, resolved and unchanged findings.
    Diff(DiffCmd),
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
    pub product: products::ProductSubcommand<products::Plan>,
}

#[derive(Debug, Args)]
pub struct RepairCmd {
    #[command(subcommand)]
    pub product: products::ProductSubcommand<products::Repair>,
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

#[derive(Debug, Args)]
pub struct DiffCmd {
    /// The earlier JSON report (`--format json`, or of `merge`).
    #[arg(value_name = "BEFORE.json")]
    pub before: PathBuf,
    /// The later JSON report. A finding is the same in both when its rule and subject are;
    /// `--fail-on` applies to the new findings only.
    #[arg(value_name = "AFTER.json")]
    pub after: PathBuf,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The longest error line printed (the readers quote only excerpts of their input; this is
/// the last guard).
const MAX_ERROR_CHARS: usize = 2000;

/// Runs the command line; errors become one line on stderr and exit code 2.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the readers put in it: control characters escaped (a name
            // from the data cannot steer the terminal), and never more than a screenful.
            let message = crate::engine::escape::clipped(&format!("{e:#}").replace('\n', " "), MAX_ERROR_CHARS);
            eprintln!("repocheck: error: {message}");
            ExitCode::from(2)
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(cmd) => check::run(*cmd),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Merge(cmd) => merge::run(cmd),
        Command::Diff(cmd) => diff::run(cmd),
        Command::Repair(cmd) => cmd.product.run(),
        Command::Plan(cmd) => cmd.product.run(),
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
