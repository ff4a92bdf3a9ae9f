//! Where checks put their findings. The sink applies the catalogue (severity overrides,
//! disabled rules) in one place, counts, collects the repairs, and spools findings to a
//! temporary file so a report of millions of findings does not live in memory.

use std::collections::BTreeMap;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Map, Value};

use super::extsort::ExternalSorter;
use super::finding::{Finding, Repair, Severity};
use super::manifest::Recorder;
use super::plan::{PhraseOf, Plan, UnitOf};
use super::report::{Repairs, Report, RuleCount, Summary, Target};
use super::spool::Line;

/// Bytes of repairs held in memory before they spill.
const REPAIRS_BUDGET: usize = 16 << 20;
use super::rules::{Catalogue, RuleCode};

/// Counters shown as progress while a check runs and reported in `stats`.
#[derive(Debug, Default)]
pub struct Stats {
    pub db_rows: AtomicU64,
    pub entries_walked: AtomicU64,
    pub bytes_hashed: AtomicU64,
    pub objects_hashed: AtomicU64,
    /// Candidate findings a second look found resolved (the product had moved on).
    pub resolved_on_second_look: AtomicU64,
    /// Candidate findings reported as in flight (a job of the product was working on them).
    pub in_flight: AtomicU64,
    /// A shard's part of the counts above (`StatsOut::share`), when the run is a shard.
    pub share: Mutex<Option<super::report::Share>>,
    /// What the check is doing now, for the progress line.
    pub phase: Mutex<String>,
}

impl Stats {
    pub fn add_db_rows(&self, n: u64) {
        self.db_rows.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_entries(&self, n: u64) {
        self.entries_walked.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_hashed(&self, n: u64) {
        self.bytes_hashed.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_objects_hashed(&self, n: u64) {
        self.objects_hashed.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_resolved(&self, n: u64) {
        self.resolved_on_second_look.fetch_add(n, Ordering::Relaxed);
    }
    pub fn add_in_flight(&self, n: u64) {
        self.in_flight.fetch_add(n, Ordering::Relaxed);
    }
    /// Marks the run as a shard: its report carries its share of the counts.
    pub fn start_share(&self) {
        let mut share = self.share.lock().unwrap_or_else(|e| e.into_inner());
        share.get_or_insert_with(Default::default);
    }
    /// Adds to the shard's share (see [`Stats::start_share`]).
    pub fn add_share(&self, entries: u64, bytes_hashed: u64, objects_hashed: u64) {
        let mut share = self.share.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = share.as_mut() {
            s.entries_walked += entries;
            s.bytes_hashed += bytes_hashed;
            s.objects_hashed += objects_hashed;
        }
    }
    pub fn set_phase(&self, phase: impl Into<String>) {
        if let Ok(mut p) = self.phase.lock() {
            *p = phase.into();
        }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            phase: self.phase.lock().map(|p| p.clone()).unwrap_or_default(),
            db_rows: self.db_rows.load(Ordering::Relaxed),
            entries_walked: self.entries_walked.load(Ordering::Relaxed),
            bytes_hashed: self.bytes_hashed.load(Ordering::Relaxed),
        }
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Default)]
pub struct StatsSnapshot {
    pub phase: String,
    pub db_rows: u64,
    pub entries_walked: u64,
    pub bytes_hashed: u64,
}

struct Spool {
    plan: Plan,
    /// Records a shard leaves for `merge` (JSON lines, in a temporary file).
    side: Option<BufWriter<std::fs::File>>,
    side_records: u64,
    writer: BufWriter<std::fs::File>,
    live: Vec<Box<dyn Write + Send>>,
    counts: BTreeMap<String, RuleCount>,
    summary: Summary,
    /// `key \0 product \0 rule \0 repair` per finding with a repair, sorted on disk.
    repairs: ExternalSorter<Line>,
    error: Option<String>,
    findings: u64,
}

/// What every view of one run shares: the spool, the targets, the counters.
struct Shared {
    /// How findings group into the repair plan (the products' `plan_unit`), and how a
    /// unit's repairs are said.
    unit_of: Option<UnitOf>,
    phrase: Option<PhraseOf>,
    spool: Mutex<Spool>,
    targets: Mutex<Vec<Target>>,
    /// The longest run among merged reports (shards run side by side).
    merged_elapsed_ms: AtomicU64,
    started: Instant,
    started_at: time::OffsetDateTime,
}

/// Receives findings from any thread.
pub struct Sink {
    catalogue: Arc<Catalogue>,
    shared: Arc<Shared>,
    pub stats: Arc<Stats>,
    /// Set while a check records a manifest: what it reads of its databases goes there too.
    manifest: Option<Arc<Recorder>>,
    /// Set while a check holds some rules' findings back for a second look.
    hold: Option<Arc<Hold>>,
}

/// Findings held back instead of recorded: a check of a live system looks at them again
/// before they stand (what resolved itself is dropped, what a job is doing is in flight).
pub struct Hold {
    rules: Vec<&'static str>,
    spool: Mutex<super::spool::LineSpool>,
    held: AtomicU64,
}

impl Hold {
    /// How many findings are held.
    pub fn len(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The held findings, in the order they were emitted (read back from disk).
    pub fn for_each(&self, mut f: impl FnMut(Finding) -> Result<()>) -> Result<()> {
        let mut spool = self.spool.lock().unwrap_or_else(|e| e.into_inner());
        for finding in spool.read::<Finding>()? {
            f(finding?)?;
        }
        Ok(())
    }
}

impl Sink {
    /// `live` writers get each finding as a JSON line as soon as it is found (`--format jsonl`).
    pub fn new(catalogue: Arc<Catalogue>, live: Vec<Box<dyn Write + Send>>) -> Result<Sink> {
        let file = tempfile::tempfile().context("cannot create a temporary file for the findings")?;
        Ok(Sink {
            catalogue,
            shared: Arc::new(Shared {
                unit_of: None,
                phrase: None,
                spool: Mutex::new(Spool {
                    plan: Plan::default(),
                    side: None,
                    side_records: 0,
                    writer: BufWriter::with_capacity(1 << 16, file),
                    live,
                    counts: BTreeMap::new(),
                    summary: Summary::default(),
                    repairs: ExternalSorter::new(REPAIRS_BUDGET),
                    error: None,
                    findings: 0,
                }),
                targets: Mutex::new(Vec::new()),
                merged_elapsed_ms: AtomicU64::new(0),
                started: Instant::now(),
                started_at: time::OffsetDateTime::now_utc(),
            }),
            stats: Arc::new(Stats::default()),
            manifest: None,
            hold: None,
        })
    }

    /// Groups the findings into a repair plan as they are recorded (before any is).
    pub fn with_plan(mut self, unit_of: UnitOf, phrase: PhraseOf) -> Sink {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.unit_of = Some(unit_of);
            shared.phrase = Some(phrase);
        }
        self
    }

    /// Gives a plan unit its title and owner.
    pub fn describe_unit(&self, product: &str, unit: &str, key: &str, title: String, owner: Option<String>) {
        self.shared.spool.lock().unwrap_or_else(|e| e.into_inner()).plan.describe(product, unit, key, title, owner);
    }

    /// The keys of the plan's units of one kind so far.
    pub fn unit_keys(&self, product: &str, unit: &str) -> Vec<String> {
        self.shared.spool.lock().unwrap_or_else(|e| e.into_inner()).plan.keys(product, unit)
    }

    /// The same run seen through another catalogue (a `--site` target's own severities
    /// and disabled rules): findings, counters and progress stay one run's.
    pub fn with_catalogue(&self, catalogue: Arc<Catalogue>) -> Sink {
        Sink { catalogue, shared: Arc::clone(&self.shared), stats: Arc::clone(&self.stats), manifest: self.manifest.clone(), hold: self.hold.clone() }
    }

    /// The same run, with the findings of `rules` held back (on disk) instead of recorded:
    /// the caller looks at them again and records what still stands through `self`.
    pub fn holding(&self, rules: &[&'static str]) -> Result<(Sink, Arc<Hold>)> {
        let hold = Arc::new(Hold { rules: rules.to_vec(), spool: Mutex::new(super::spool::LineSpool::new()?), held: AtomicU64::new(0) });
        let view = Sink { catalogue: Arc::clone(&self.catalogue), shared: Arc::clone(&self.shared), stats: Arc::clone(&self.stats), manifest: self.manifest.clone(), hold: Some(Arc::clone(&hold)) };
        Ok((view, hold))
    }

    /// The same run, with a manifest recording what the check reads of its databases.
    pub fn with_manifest(&self, recorder: Arc<Recorder>) -> Sink {
        Sink { catalogue: Arc::clone(&self.catalogue), shared: Arc::clone(&self.shared), stats: Arc::clone(&self.stats), manifest: Some(recorder), hold: self.hold.clone() }
    }

    /// The manifest being recorded, if any: a check reading a database hands it every table
    /// (`Recorder::tables_of`).
    pub fn manifest(&self) -> Option<&Recorder> {
        self.manifest.as_deref()
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Whether a rule is enabled (a check may skip work for a disabled rule).
    pub fn enabled(&self, rule: impl RuleCode) -> bool {
        self.catalogue.get(rule.id()).is_none_or(|r| r.enabled)
    }

    /// Records a target about to be checked and the rules that will run on it.
    pub fn begin_target(&self, mut target: Target, rules: &[&'static str]) {
        target.rules = rules.iter().filter(|id| self.catalogue.get(id).is_none_or(|r| r.enabled)).map(|s| s.to_string()).collect();
        self.record_target(target);
    }

    /// Adds to the scope of the target being checked (what a check learns as it starts,
    /// such as the repository layout it found).
    pub fn scope(&self, key: &str, value: Value) {
        let mut targets = self.shared.targets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(target) = targets.last_mut() {
            target.scope.get_or_insert_with(Map::new).insert(key.to_string(), value);
        }
    }

    /// Emits one finding of `rule` (severity from the catalogue; nothing if disabled).
    pub fn emit(&self, rule: impl RuleCode, subject: impl Into<String>, message: impl Into<String>, details: Map<String, Value>, repair: Option<Repair>) {
        self.emit_capped(rule, Severity::Error, subject, message, details, repair);
    }

    /// Emits a finding whose severity is at most `cap` (for known-benign cases a rule file
    /// names, such as Hubble's synonym errors): the catalogue's severity still rules above it.
    pub fn emit_capped(&self, rule: impl RuleCode, cap: Severity, subject: impl Into<String>, message: impl Into<String>, details: Map<String, Value>, repair: Option<Repair>) {
        let id = rule.id();
        let spec = self.catalogue.get(id);
        if spec.is_some_and(|r| !r.enabled) {
            return;
        }
        let severity = spec.map(|r| r.severity).unwrap_or(Severity::Error).min(cap);
        let finding = Finding { rule: id.to_string(), severity, subject: subject.into(), message: message.into(), details, repair };
        if let Some(hold) = self.hold.as_ref().filter(|h| h.rules.contains(&id)) {
            let pushed = hold.spool.lock().unwrap_or_else(|e| e.into_inner()).push(&finding);
            match pushed {
                Ok(()) => {
                    hold.held.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    self.shared.spool.lock().unwrap_or_else(|e| e.into_inner()).error.get_or_insert_with(|| format!("cannot hold a finding for a second look: {e:#}"));
                }
            }
            return;
        }
        self.record(finding);
    }

    /// Records a finding as it is (used when merging reports: severities were already applied).
    pub fn record(&self, finding: Finding) {
        let product = finding.rule.split('/').next().unwrap_or_default().to_string();
        // Encoded before the lock is taken: other threads keep emitting meanwhile.
        let line = serde_json::to_vec(&finding).map(|mut line| {
            line.push(b'\n');
            line
        });
        // The repair's line for the sort of repairs: `key \0 product \0 rule \0 repair`.
        let repair_line = finding.repair.as_ref().map(|repair| -> serde_json::Result<Vec<u8>> {
            let mut line = repair.key().into_bytes();
            line.push(0);
            line.extend_from_slice(product.as_bytes());
            line.push(0);
            line.extend_from_slice(finding.rule.as_bytes());
            line.push(0);
            serde_json::to_writer(&mut line, repair)?;
            Ok(line)
        });
        let mut spool = self.shared.spool.lock().unwrap_or_else(|e| e.into_inner());
        let spool = &mut *spool;
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                spool.error.get_or_insert_with(|| format!("cannot encode a finding: {e}"));
                return;
            }
        };
        spool.plan.add(&finding, self.shared.unit_of);
        let count = spool.counts.entry(finding.rule.clone()).or_default();
        count.add(finding.severity);
        spool.summary.add(finding.severity);
        spool.findings += 1;
        if let Some(repair_line) = repair_line {
            let pushed = repair_line.map_err(anyhow::Error::from).and_then(|l| spool.repairs.push(Line(l)));
            if let Err(e) = pushed {
                spool.error.get_or_insert_with(|| format!("cannot spool a repair: {e:#}"));
            }
        }
        if let Err(e) = spool.writer.write_all(&line) {
            spool.error.get_or_insert_with(|| format!("cannot spool findings to a temporary file: {e}"));
        }
        for out in &mut spool.live {
            if let Err(e) = out.write_all(&line)
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                spool.error.get_or_insert_with(|| format!("cannot write findings: {e}"));
            }
        }
    }

    /// Leaves a record for `merge` beside the findings: what a shard saw that another
    /// shard's findings need (an object in its directories named in another's range).
    /// Reports keep them in `side`; nothing else reads them.
    pub fn side(&self, record: Value) {
        let line = serde_json::to_vec(&record).map(|mut l| {
            l.push(b'\n');
            l
        });
        let mut spool = self.shared.spool.lock().unwrap_or_else(|e| e.into_inner());
        let spool = &mut *spool;
        let result = line.map_err(|e| e.to_string()).and_then(|line| {
            if spool.side.is_none() {
                spool.side = Some(BufWriter::new(tempfile::tempfile().map_err(|e| e.to_string())?));
            }
            let out = spool.side.as_mut().expect("just made");
            out.write_all(&line).map_err(|e| e.to_string())
        });
        match result {
            Ok(()) => spool.side_records += 1,
            Err(e) => {
                spool.error.get_or_insert_with(|| format!("cannot spool a record for merge: {e}"));
            }
        }
    }

    /// The counters, for a progress display on another thread.
    pub fn stats_handle(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    /// Adds a merged report's counters.
    pub fn add_stats(&self, stats: &super::report::StatsOut) {
        self.stats.add_db_rows(stats.db_rows);
        self.stats.add_entries(stats.entries_walked);
        self.stats.add_hashed(stats.bytes_hashed);
        self.stats.add_objects_hashed(stats.objects_hashed);
        self.stats.add_resolved(stats.resolved_on_second_look);
        self.stats.add_in_flight(stats.in_flight);
        self.shared.merged_elapsed_ms.fetch_max(stats.elapsed_ms, Ordering::Relaxed);
    }

    /// Adds a target as it is (used when merging reports).
    pub fn record_target(&self, target: Target) {
        let mut spool = self.shared.spool.lock().unwrap_or_else(|e| e.into_inner());
        for id in &target.rules {
            spool.counts.entry(id.clone()).or_default();
        }
        drop(spool);
        self.shared.targets.lock().unwrap_or_else(|e| e.into_inner()).push(target);
    }

    /// Ends the run: the report, whose findings are read back from the spool. Every view
    /// made by [`Sink::with_catalogue`] must be gone by now.
    pub fn finish(self) -> Result<Report> {
        let Ok(shared) = Arc::try_unwrap(self.shared) else {
            anyhow::bail!("a view of the findings sink outlived its run");
        };
        let elapsed_ms = (shared.started.elapsed().as_millis() as u64).max(shared.merged_elapsed_ms.load(Ordering::Relaxed));
        let finished_at = time::OffsetDateTime::now_utc();
        let mut spool = shared.spool.into_inner().unwrap_or_else(|e| e.into_inner());
        for out in &mut spool.live {
            let _ = out.flush();
        }
        if let Some(error) = spool.error {
            anyhow::bail!(error);
        }
        spool.writer.flush().context("cannot flush the findings spool")?;
        let mut file = spool.writer.into_inner().map_err(|e| e.into_error()).context("cannot flush the findings spool")?;
        file.seek(SeekFrom::Start(0)).context("cannot rewind the findings spool")?;
        let stats = super::report::StatsOut {
            db_rows: self.stats.db_rows.load(Ordering::Relaxed),
            entries_walked: self.stats.entries_walked.load(Ordering::Relaxed),
            bytes_hashed: self.stats.bytes_hashed.load(Ordering::Relaxed),
            objects_hashed: self.stats.objects_hashed.load(Ordering::Relaxed),
            resolved_on_second_look: self.stats.resolved_on_second_look.load(Ordering::Relaxed),
            in_flight: self.stats.in_flight.load(Ordering::Relaxed),
            elapsed_ms,
            share: *self.stats.share.lock().unwrap_or_else(|e| e.into_inner()),
        };
        let side = match spool.side {
            None => None,
            Some(writer) => {
                let mut file = writer.into_inner().map_err(|e| e.into_error()).context("cannot flush the merge records")?;
                file.seek(SeekFrom::Start(0)).context("cannot rewind the merge records")?;
                Some(Mutex::new(file))
            }
        };
        Ok(Report {
            side,
            side_records: spool.side_records,
            plan: spool.plan.finish(shared.phrase),
            started_at: shared.started_at,
            finished_at,
            targets: shared.targets.into_inner().unwrap_or_else(|e| e.into_inner()),
            stats,
            summary: spool.summary,
            rule_counts: spool.counts,
            repairs: Repairs::collect(spool.repairs.finish()?.map(|l| l.map(|l| l.0)))?,
            findings_total: spool.findings,
            spool: Mutex::new(file),
        })
    }
}
