//! The JS7 journal file format (sos-berlin/js7: `js7-journal` `JournalFiles`,
//! `JournalSeparators`, `SnapshotJournalWriter`, `recover/JournalReader`): JSON Lines, one
//! value a line.
//!
//! ```text
//! {"TYPE":"JS7.Journal","journalId":…,"eventId":<fileEventId>,…}   header
//! "-------SNAPSHOT-------"
//! {"TYPE":…}…                                                       snapshot objects
//! "-------END OF SNAPSHOT-------"
//! "-------EVENTS-------"
//! {"eventId":…,"TYPE":"SnapshotTaken"}                               first event
//! {"eventId":…,["Key":…,]"TYPE":…,…}…, and "TRANSACTION" … "COMMIT"
//! ```
//! Files are `<base>--<fileEventId>.journal`; the highest number is the current one and
//! the only one recovery reads. A crash leaves a last line without newline, or a
//! `"TRANSACTION"` without `"COMMIT"`: both are dropped, the committed prefix counts.
//! Files are read streaming, one line at a time, in one pass.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::engine::io::{self, LineEnd};

/// The longest journal line read (a snapshot object or event: a large workflow is a few
/// megabytes). A longer one ending the file is a crash tail, else damage.
pub const MAX_LINE: usize = 64 << 20;

/// Which process wrote a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Controller,
    Agent,
}

impl Base {
    pub fn as_str(self) -> &'static str {
        match self {
            Base::Controller => "controller",
            Base::Agent => "agent",
        }
    }

    /// The header's `typeName` (present since v2.6).
    pub fn type_name(self) -> &'static str {
        match self {
            Base::Controller => "ControllerState",
            Base::Agent => "AgentState",
        }
    }
}

/// One journal file of a state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalFile {
    pub path: PathBuf,
    pub name: String,
    /// The number in the name: the EventId of the last event before this file.
    pub file_event_id: i64,
}

/// A file in the state directory that belongs to the journal but is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub name: String,
    pub why: &'static str,
}

/// The journal files (sorted by number) and leftovers of a state directory.
pub fn list(state: &Path, base: Base) -> std::io::Result<(Vec<JournalFile>, Vec<Leftover>)> {
    let prefix = format!("{}--", base.as_str());
    let mut files = Vec::new();
    let mut leftovers = Vec::new();
    for entry in std::fs::read_dir(state)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        let Some(rest) = name.strip_prefix(&prefix) else {
            if name == format!("{}-DELETE!", base.as_str()) {
                leftovers.push(Leftover { name, why: "a deletion marker: the journal is deleted at the next start (Agent reset)" });
            }
            continue;
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let tail = &rest[digits.len()..];
        let Ok(file_event_id) = digits.parse::<i64>() else {
            if !digits.is_empty() && tail.starts_with(".journal") {
                leftovers.push(Leftover { name, why: "its number is beyond any EventId (a 64-bit integer): not a journal file JS7 can use" });
            }
            continue;
        };
        match tail {
            ".journal" => files.push(JournalFile { path: entry.path(), name, file_event_id }),
            ".journal.tmp" => leftovers.push(Leftover { name, why: "a snapshot being written when the copy was taken (never recovered)" }),
            t if t.starts_with(".journal~") && t.ends_with("-AFTER-FAILOVER") => leftovers.push(Leftover { name, why: "cut off by a cluster failover (kept for analysis, never recovered)" }),
            _ => {}
        }
    }
    files.sort_by_key(|f| f.file_event_id);
    leftovers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((files, leftovers))
}

/// The header line.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub journal_id: String,
    pub event_id: i64,
    pub type_name: Option<String>,
    pub version: String,
    pub js7_version: Option<String>,
}

/// Something wrong with a file's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub line: u64,
    pub what: String,
}

/// A crash tail: what was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// The last line has no newline.
    CutLine { line: u64 },
    /// A transaction without `"COMMIT"`: its events are not committed. `cut_line` is the
    /// line without newline the file ends in, if it does.
    Uncommitted { line: u64, events: u64, cut_line: Option<u64> },
}

/// Receives a file's content as it is read.
pub trait Visitor {
    fn header(&mut self, header: &Header);
    fn snapshot_object(&mut self, object: &Value);
    /// A committed event.
    fn event(&mut self, event_id: i64, event: &Value);
}

/// What reading a file found.
#[derive(Debug, Clone, Default)]
pub struct FileSummary {
    pub header: Option<Header>,
    pub first_event_id: Option<i64>,
    /// The last committed EventId (the file's number when it has no event).
    pub last_event_id: Option<i64>,
    pub events: u64,
    /// Byte length of the committed content (up to the end of the last committed line).
    pub committed_bytes: u64,
    pub tail: Option<Tail>,
    pub damage: Option<Damage>,
    /// The file has no complete line (it is empty, or its only line lacks its newline):
    /// nothing in it was ever committed.
    pub nothing_committed: bool,
    /// Bytes read, a cut last line included.
    pub bytes: u64,
    /// EventIds that did not increase: (line, previous, this).
    pub out_of_order: Option<(u64, i64, i64)>,
}

const SNAPSHOT: &str = "-------SNAPSHOT-------";
const END_OF_SNAPSHOT: &str = "-------END OF SNAPSHOT-------";
const EVENTS: &str = "-------EVENTS-------";

#[derive(PartialEq)]
enum Section {
    Header,
    BeforeSnapshot,
    Snapshot,
    BeforeEvents,
    Events,
}

/// Reads one file, streaming. Format damage stops the reading (what was read stays valid).
pub fn read(file: &JournalFile, visitor: &mut dyn Visitor) -> std::io::Result<FileSummary> {
    let mut reader = BufReader::with_capacity(1 << 20, crate::engine::io::open_regular(&file.path)?);
    let mut read = FileRead::new(visitor);
    let mut line = Vec::with_capacity(4096);
    while let Some(end) = io::read_line(&mut reader, &mut line, MAX_LINE)? {
        read.number += 1;
        read.summary.bytes += line.len() as u64;
        match end {
            LineEnd::TooLong => {
                let (rest, newline) = io::skip_line(&mut reader)?;
                read.too_long(rest, newline);
                break;
            }
            LineEnd::Eof => {
                // What a crash leaves: the reader discards it (InputStreamJsonSeqReader).
                read.summary.tail = Some(Tail::CutLine { line: read.number });
                break;
            }
            LineEnd::Newline => {
                if let Err(what) = read.complete_line(&line) {
                    read.summary.damage = Some(Damage { line: read.number, what });
                    break;
                }
            }
        }
    }
    Ok(read.finish())
}

/// One file being read: where the reading is, and what it has found so far.
struct FileRead<'v> {
    visitor: &'v mut dyn Visitor,
    summary: FileSummary,
    section: Section,
    /// The number of the line being read (1-based).
    number: u64,
    /// The end of the last complete line.
    offset: u64,
    /// The open transaction: the line of its `"TRANSACTION"` and the events it holds so far.
    transaction: Option<(u64, Vec<(i64, Value)>)>,
    last_id: Option<i64>,
}

impl<'v> FileRead<'v> {
    fn new(visitor: &'v mut dyn Visitor) -> Self {
        FileRead { visitor, summary: FileSummary::default(), section: Section::Header, number: 0, offset: 0, transaction: None, last_id: None }
    }

    /// A line longer than [`MAX_LINE`], read past without keeping it (`rest` more bytes):
    /// cut off at the end (the zeros a crash can leave behind the last line) it is a crash
    /// tail, else the file is damaged.
    fn too_long(&mut self, rest: u64, newline: bool) {
        self.summary.bytes += rest;
        if !newline {
            self.summary.tail = Some(Tail::CutLine { line: self.number });
        } else {
            self.summary.damage = Some(Damage { line: self.number, what: format!("the line is longer than {}, more than a journal line can be", io::size(MAX_LINE as u64)) });
        }
    }

    /// A line with its newline: one JSON value of the section the file is in. `Err` is the
    /// damage that stops the reading.
    fn complete_line(&mut self, line: &[u8]) -> Result<(), String> {
        self.offset += line.len() as u64;
        let text = std::str::from_utf8(&line[..line.len() - 1]).map_err(|_| "not UTF-8".to_string())?.trim_end_matches('\r');
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        match self.section {
            Section::Header => {
                let header = parse_header(&value)?;
                self.visitor.header(&header);
                self.summary.header = Some(header);
                self.section = Section::BeforeSnapshot;
            }
            Section::BeforeSnapshot => self.section = separator(&value, SNAPSHOT, Section::Snapshot)?,
            Section::Snapshot => self.snapshot_line(&value)?,
            Section::BeforeEvents => self.section = separator(&value, EVENTS, Section::Events)?,
            // There only what commits moves the committed end.
            Section::Events => return self.events_line(value),
        }
        self.summary.committed_bytes = self.offset;
        Ok(())
    }

    /// A snapshot object, or the end of the snapshot.
    fn snapshot_line(&mut self, value: &Value) -> Result<(), String> {
        if value.as_str() == Some(END_OF_SNAPSHOT) {
            self.section = Section::BeforeEvents;
        } else if value.get("TYPE").is_some() {
            self.visitor.snapshot_object(value);
        } else {
            return Err("a snapshot line without TYPE".into());
        }
        Ok(())
    }

    /// A line of the events section: an event, or the start or end of a transaction. An event
    /// outside a transaction is committed at once, a transaction's events at its COMMIT.
    fn events_line(&mut self, value: Value) -> Result<(), String> {
        match value.as_str() {
            Some("TRANSACTION") => {
                if self.transaction.is_some() {
                    return Err("TRANSACTION inside a transaction".into());
                }
                self.transaction = Some((self.number, Vec::new()));
            }
            Some("COMMIT") => {
                let (_, events) = self.transaction.take().ok_or("COMMIT without TRANSACTION")?;
                for (id, event) in events {
                    self.commit(id, &event);
                }
                self.summary.committed_bytes = self.offset;
            }
            Some(other) => return Err(format!("unexpected line \"{}\"", crate::engine::escape::excerpt_str(other))),
            None => {
                let id = value.get("eventId").and_then(Value::as_i64).ok_or("an event without eventId")?;
                match &mut self.transaction {
                    Some((_, events)) => events.push((id, value)),
                    None => {
                        self.commit(id, &value);
                        self.summary.committed_bytes = self.offset;
                    }
                }
            }
        }
        Ok(())
    }

    fn commit(&mut self, id: i64, event: &Value) {
        let summary = &mut self.summary;
        if let Some(prev) = self.last_id
            && id <= prev
            && summary.out_of_order.is_none()
        {
            summary.out_of_order = Some((self.number, prev, id));
        }
        self.last_id = Some(id);
        summary.first_event_id.get_or_insert(id);
        summary.last_event_id = Some(id);
        summary.events += 1;
        self.visitor.event(id, event);
    }

    /// The end of the file: what recovery would refuse in what was read, and what a crash
    /// left uncommitted.
    fn finish(mut self) -> FileSummary {
        self.refuse_without_header();
        self.drop_uncommitted_transaction();
        self.refuse_without_events();
        let summary = &mut self.summary;
        if summary.last_event_id.is_none() {
            summary.last_event_id = summary.header.as_ref().map(|h| h.event_id);
        }
        self.summary
    }

    fn refuse_without_header(&mut self) {
        // Recovery reads the newest file's header first; a file without one (empty, or its first
        // line cut and dropped) ends recovery with "Missing JournalHeader in file '…'"
        // (js7 StateRecoverer.recover).
        let summary = &mut self.summary;
        if summary.header.is_none() && summary.damage.is_none() {
            summary.nothing_committed = true;
            let what = match summary.tail {
                Some(Tail::CutLine { .. }) => "no JournalHeader: the file's only line has no newline (its header was being written when it stopped)",
                _ => "no JournalHeader: the file is empty (0 bytes)",
            };
            summary.damage = Some(Damage { line: self.number.max(1), what: what.into() });
        }
    }

    fn drop_uncommitted_transaction(&mut self) {
        let summary = &mut self.summary;
        if let Some((line, events)) = self.transaction.take()
            && summary.damage.is_none()
        {
            // A transaction without COMMIT is dropped (JournalReader): not committed.
            let cut_line = match summary.tail {
                Some(Tail::CutLine { line }) => Some(line),
                _ => None,
            };
            summary.tail = Some(Tail::Uncommitted { line, events: events.len() as u64, cut_line });
        }
    }

    fn refuse_without_events(&mut self) {
        // Recovery needs the events section and at least its SnapshotTaken ("Journal file
        // contains no event — it must start with SnapshotTaken").
        let summary = &mut self.summary;
        if summary.damage.is_none() && summary.header.is_some() {
            if self.section != Section::Events {
                summary.damage = Some(Damage { line: self.number, what: "the file ends before its events section".into() });
            } else if summary.events == 0 {
                summary.damage = Some(Damage { line: self.number, what: "the file contains no committed event (it must start with SnapshotTaken)".into() });
            }
        }
    }
}

/// The separator line `expected`, after which the file goes on in section `next`.
fn separator(value: &Value, expected: &str, next: Section) -> Result<Section, String> {
    if value.as_str() != Some(expected) {
        return Err(format!("expected \"{expected}\""));
    }
    Ok(next)
}

fn parse_header(value: &Value) -> Result<Header, String> {
    if value.get("TYPE").and_then(Value::as_str) != Some("JS7.Journal") {
        return Err("the first line is not a JS7.Journal header".into());
    }
    let journal_id = value.get("journalId").and_then(Value::as_str).ok_or("the header has no journalId")?.to_string();
    let event_id = value.get("eventId").and_then(Value::as_i64).ok_or("the header has no eventId")?;
    let version = value.get("version").and_then(Value::as_str).unwrap_or("1").to_string();
    // "0.42" is read as "1"; any other version is refused by the engine.
    if version != "1" && version != "0.42" {
        return Err(format!("journal version {}, the engine reads 1", crate::engine::escape::excerpt_str(&version)));
    }
    Ok(Header {
        journal_id,
        event_id,
        type_name: value.get("typeName").and_then(Value::as_str).map(str::to_string),
        version,
        js7_version: value.get("js7Version").and_then(Value::as_str).map(str::to_string),
    })
}

/// Whether another process holds the `lock` file (Java's `FileChannel.tryLock`, an fcntl
/// lock on Linux). Asked with `F_GETLK`, which takes no lock and changes nothing.
pub fn lock_holder(state: &Path) -> Option<i32> {
    use rustix::process::{Flock, FlockType, fcntl_getlk};
    let file = io::open_regular(&state.join("lock")).ok()?;
    let holder = fcntl_getlk(&file, &Flock::from(FlockType::WriteLock)).ok()??;
    // 0: the kernel cannot name the holder (another PID namespace, or an OFD lock).
    Some(holder.pid.map(|p| p.as_raw_nonzero().get()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    struct Events(Vec<i64>);
    impl Visitor for Events {
        fn header(&mut self, _: &Header) {}
        fn snapshot_object(&mut self, _: &Value) {}
        fn event(&mut self, id: i64, _: &Value) {
            self.0.push(id);
        }
    }

    /// A journal file of `groups` (a group of one is a plain event, more is a transaction),
    /// and per line its end offset, the events it commits, and whether the committed part
    /// reaches to its end (not so for a transaction's lines before its COMMIT).
    fn journal(groups: &[usize]) -> (String, Vec<(usize, Vec<i64>, bool)>) {
        let mut text = String::from(
            r#"{"TYPE":"JS7.Journal","typeName":"AgentState","journalId":"ABEiM0RVZneImaq7zN3u_w","eventId":1000,"generation":2,"totalEventCount":0,"totalRunningTime":1,"timestamp":"2026-11-01T10:00:00Z","initiallyStartedAt":"2026-11-01T08:00:00Z","version":"1","js7Version":"2.7.8","buildId":"t"}"#,
        );
        text.push('\n');
        let mut lines = vec![(text.len(), vec![], true)];
        let mut push = |text: &mut String, line: &str, commits: Vec<i64>, committed: bool| {
            text.push_str(line);
            text.push('\n');
            lines.push((text.len(), commits, committed));
        };
        for line in [r#""-------SNAPSHOT-------""#, r#"{"TYPE":"JournalState","userIdToReleasedEventId":{}}"#, r#""-------END OF SNAPSHOT-------""#, r#""-------EVENTS-------""#] {
            push(&mut text, line, vec![], true);
        }
        let mut id = 2000;
        push(&mut text, &format!(r#"{{"eventId":{id},"TYPE":"SnapshotTaken"}}"#), vec![id], true);
        for &size in groups {
            let ids: Vec<i64> = (1..=size as i64).map(|n| id + n * 1000).collect();
            id = *ids.last().unwrap_or(&id);
            if size == 1 {
                push(&mut text, &format!(r#"{{"eventId":{id},"Key":"order-1","TYPE":"OrderProcessed"}}"#), vec![id], true);
                continue;
            }
            push(&mut text, r#""TRANSACTION""#, vec![], false);
            for i in &ids {
                push(&mut text, &format!(r#"{{"eventId":{i},"Key":"order-1","TYPE":"OrderMoved","to":[1]}}"#), vec![], false);
            }
            push(&mut text, r#""COMMIT""#, ids, true);
        }
        (text, lines)
    }

    #[test]
    fn a_file_number_beyond_any_event_id_is_a_leftover_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["controller--0.journal", "controller--99999999999999999999.journal", "controller--1000.journal.tmp"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let (files, leftovers) = list(dir.path(), Base::Controller).unwrap();
        assert_eq!(files.iter().map(|f| f.file_event_id).collect::<Vec<_>>(), [0]);
        let names: Vec<&str> = leftovers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["controller--1000.journal.tmp", "controller--99999999999999999999.journal"]);
        assert!(leftovers[1].why.contains("beyond any EventId"), "{}", leftovers[1].why);
    }

    proptest! {
        /// A file cut anywhere — what a crash or a copy of a file being written leaves — reads
        /// without panic, and exactly the events committed before the cut count.
        #[test]
        fn a_cut_file_keeps_its_committed_prefix(groups in prop::collection::vec(1usize..4, 0..12), cut_at in 0.0f64..=1.0) {
            let (text, lines) = journal(&groups);
            let cut = ((text.len() as f64) * cut_at) as usize;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("agent--1000.journal");
            std::fs::write(&path, &text.as_bytes()[..cut]).unwrap();
            let mut events = Events(Vec::new());
            let summary = read(&JournalFile { path, name: "agent--1000.journal".into(), file_event_id: 1000 }, &mut events).unwrap();
            let complete = || lines.iter().filter(|(end, _, _)| *end <= cut);
            let committed: Vec<i64> = complete().flat_map(|(_, ids, _)| ids.clone()).collect();
            let committed_bytes = complete().filter(|(_, _, c)| *c).map(|(end, _, _)| *end).max().unwrap_or(0);
            prop_assert_eq!(&events.0, &committed);
            prop_assert_eq!(summary.events, committed.len() as u64);
            prop_assert_eq!(summary.committed_bytes as usize, committed_bytes);
            prop_assert!(summary.out_of_order.is_none());
            if cut == text.len() {
                prop_assert!(summary.tail.is_none() && summary.damage.is_none(), "{:?} {:?}", summary.tail, summary.damage);
                prop_assert_eq!(summary.committed_bytes as usize, text.len());
            }
            if let Some(last) = committed.last() {
                prop_assert_eq!(summary.last_event_id, Some(*last));
            }
        }
    }
}
