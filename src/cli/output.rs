//! The common options of commands that produce a report, and the flow they share:
//! catalogue → sink → check → report printers → exit code.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::engine::report::{FailOn, Format};
use crate::engine::rules::Catalogue;
use crate::engine::sink::Sink;

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Report format on standard output [default: table on a terminal, json otherwise].
    #[arg(long, global = true, value_parser = super::products::choices(Format::CHOICES))]
    pub format: Option<Format>,
    /// Also write the report to this file, in the format its extension names (.json, .jsonl,
    /// .csv, .xml = JUnit, .prom = Prometheus, .txt = table, .html). Repeatable.
    #[arg(long, value_name = "FILE", global = true)]
    pub output: Vec<PathBuf>,
    /// Exit 1 when a finding is at or above this severity: error, warning, info, never.
    #[arg(long, value_name = "SEVERITY", default_value = "error", global = true, value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// A directory of rule files (<product>.toml) replacing the bundled ones.
    #[arg(long, value_name = "DIR", global = true)]
    pub rules: Option<PathBuf>,
    /// Worker threads for walking and hashing [default: the number of cores].
    #[arg(long, value_name = "N", global = true)]
    pub jobs: Option<usize>,
    /// No report on standard output and no progress: only the exit code and --output files.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

impl OutputArgs {
    /// The format for standard output, if anything goes there.
    fn stdout_format(&self) -> Option<Format> {
        if self.quiet {
            return None;
        }
        match self.format {
            Some(f) => Some(f),
            None if !self.output.is_empty() => None,
            None if std::io::stdout().is_terminal() => Some(Format::Table),
            None => Some(Format::Json),
        }
    }

    fn file_formats(&self) -> Result<Vec<(PathBuf, Format)>> {
        self.output
            .iter()
            .map(|p| match Format::from_path(p) {
                Some(f) => Ok((p.clone(), f)),
                None => bail!("--output {}: cannot tell the format from the extension (use .json, .jsonl, .csv, .xml, .prom, .txt or .html)", p.display()),
            })
            .collect()
    }

    pub fn catalogue(&self) -> Result<Catalogue> {
        crate::products::catalogue(self.rules.as_deref())
    }

    /// Runs `check` with a sink, then writes the report everywhere it was asked for.
    pub fn run(&self, catalogue: Catalogue, check: impl FnOnce(&Sink) -> Result<()>) -> Result<ExitCode> {
        if let Some(n) = self.jobs {
            if n == 0 {
                bail!("--jobs must be at least 1");
            }
            // Fails only if the pool was already built (a second run in one process).
            let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
        }
        let files = self.file_formats()?;
        let stdout_format = self.stdout_format();
        // JSON Lines is written as findings are found.
        // JSON Lines files are written beside their name and renamed when the run is
        // complete, like every other report file: never a half-written file.
        let mut live: Vec<Box<dyn Write + Send>> = Vec::new();
        let mut pending_jsonl = Vec::new();
        for (path, format) in &files {
            if *format == Format::Jsonl {
                let tmp = temp_beside(path)?;
                let file = tmp.reopen().with_context(|| format!("--output {}: cannot write", path.display()))?;
                live.push(Box::new(BufWriter::new(file)));
                pending_jsonl.push((path, tmp));
            }
        }
        if stdout_format == Some(Format::Jsonl) {
            live.push(Box::new(std::io::stdout()));
        }
        let sink = Sink::new(Arc::new(catalogue), live)?.with_plan(crate::products::plan_unit, crate::products::plan_action);
        let progress = (!self.quiet && std::io::stderr().is_terminal()).then(|| Progress::start(&sink));
        let result = check(&sink);
        if let Some(p) = progress {
            p.stop();
        }
        result?;
        let report = sink.finish()?;
        for (path, tmp) in pending_jsonl {
            tmp.persist(path).with_context(|| format!("--output {}: cannot write", path.display()))?;
        }
        for (path, format) in &files {
            if *format != Format::Jsonl {
                write_file(path, |out| report.write(*format, out, self.fail_on))?;
            }
        }
        if let Some(format) = stdout_format
            && format != Format::Jsonl
        {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            report.write(format, &mut out, self.fail_on)?;
            out.flush()?;
        }
        Ok(if report.summary.fails(self.fail_on) { ExitCode::from(1) } else { ExitCode::SUCCESS })
    }

    /// Writes a finished result (not a check's report: `diff`) to every `--output` file and
    /// to standard output, each in its format. Nothing is written when a file name does not
    /// tell its format.
    pub fn emit(&self, write: impl Fn(Format, &mut dyn Write) -> Result<()>) -> Result<()> {
        let files = self.file_formats()?;
        for (path, format) in &files {
            write_file(path, |out| write(*format, out))?;
        }
        if let Some(format) = self.stdout_format() {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            write(format, &mut out)?;
            out.flush()?;
        }
        Ok(())
    }
}

/// Writes beside the target and renames, so a report file is never half-written.
fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let mut tmp = temp_beside(path)?;
    {
        let mut out = BufWriter::new(tmp.as_file_mut());
        write(&mut out).with_context(|| format!("--output {}", path.display()))?;
        out.flush()?;
    }
    tmp.persist(path).with_context(|| format!("--output {}: cannot write", path.display()))?;
    Ok(())
}

/// A temporary file in the directory of `path`, to be renamed to it.
fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    tempfile::NamedTempFile::new_in(dir).with_context(|| format!("--output {}: cannot write in {}", path.display(), dir.display()))
}

/// A progress line on stderr while the check runs (only on a terminal).
struct Progress {
    stop: std::sync::mpsc::Sender<()>,
    handle: std::thread::JoinHandle<()>,
}

impl Progress {
    fn start(sink: &Sink) -> Progress {
        let (stop, rx) = std::sync::mpsc::channel();
        let stats = sink.stats_handle();
        let handle = std::thread::spawn(move || {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()));
            loop {
                let s = stats.snapshot();
                bar.set_message(format!("{}: {} db rows, {} entries walked, {} hashed", s.phase, s.db_rows, s.entries_walked, indicatif::HumanBytes(s.bytes_hashed)));
                bar.tick();
                if rx.recv_timeout(Duration::from_millis(150)).is_ok() {
                    break;
                }
            }
            bar.finish_and_clear();
        });
        Progress { stop, handle }
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.handle.join();
    }
}
