//! The comparison of a run with a manifest: both in manifest order, merged as the walk
//! goes (files) and at the end (tables).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde_json::json;

use super::{Entry, FileEntry, Header, ManifestReader, Rule, TableEntry, file_order, subject};
use crate::details;
use crate::engine::finding::Repair;
use crate::engine::sink::Sink;

/// Compares the entries of this run, handed over in manifest order, with a manifest.
pub struct Comparer<'s> {
    reader: ManifestReader,
    next: Option<Entry>,
    sink: &'s Sink,
    recorded_at: String,
    main_inputs: Vec<String>,
    /// The file inputs of this run: a manifest's input this run was not given is not
    /// compared (its files are counted in the scope).
    inputs: BTreeSet<String>,
    /// The database inputs of this run.
    databases: BTreeSet<String>,
    /// A directory this run cannot read: the manifest's files below it were not seen.
    unreadable: Option<(String, String)>,
    pub not_compared: BTreeMap<String, u64>,
    pub compared_files: u64,
    pub compared_tables: u64,
}

impl<'s> Comparer<'s> {
    pub fn new(reader: ManifestReader, sink: &'s Sink, main_inputs: Vec<String>, inputs: BTreeSet<String>, databases: BTreeSet<String>) -> Result<Comparer<'s>> {
        let recorded_at = reader.header().created_at.clone();
        let mut c = Comparer { reader, next: None, sink, recorded_at, main_inputs, inputs, databases, unreadable: None, not_compared: BTreeMap::new(), compared_files: 0, compared_tables: 0 };
        c.next = c.reader.next_entry()?;
        Ok(c)
    }

    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    fn advance(&mut self) -> Result<()> {
        self.next = self.reader.next_entry()?;
        Ok(())
    }

    fn subject(&self, input: &str, path: &str) -> String {
        subject(&self.main_inputs, input, path)
    }

    /// One file of this run.
    pub fn file(&mut self, now: &FileEntry) -> Result<()> {
        while let Some(Entry::File(old)) = &self.next {
            let old = old.clone();
            match file_order(&old, now) {
                std::cmp::Ordering::Less => {
                    self.gone(&old);
                    self.advance()?;
                }
                std::cmp::Ordering::Equal => {
                    self.compare(&old, now);
                    self.advance()?;
                    return Ok(());
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        self.added(now);
        Ok(())
    }

    /// The rest of the manifest's files are not here.
    pub fn end_of_files(&mut self) -> Result<()> {
        while let Some(Entry::File(old)) = &self.next {
            let old = old.clone();
            self.gone(&old);
            self.advance()?;
        }
        Ok(())
    }

    fn under_unreadable(&self, old: &FileEntry) -> bool {
        self.unreadable.as_ref().is_some_and(|(input, dir)| *input == old.input && (old.path == *dir || old.path.starts_with(&format!("{dir}/"))))
    }

    fn gone(&mut self, old: &FileEntry) {
        if !self.inputs.contains(&old.input) {
            *self.not_compared.entry(old.input.clone()).or_default() += 1;
            return;
        }
        if self.under_unreadable(old) {
            return;
        }
        self.compared_files += 1;
        let subject = self.subject(&old.input, &old.path);
        // An object whose name is its content address is the product's to explain (a
        // FOSSology object missing is its file-missing, with its re-unpack): the proof
        // stands here, the repair is not doubled.
        let (repair, how) = if old.addressed { (None, "the product's own findings name its repair") } else { (Some(Repair::restore_from_backup(subject.clone())), "only the backup has it") };
        self.sink.emit(
            Rule::FileMissing,
            &subject,
            format!("{} recorded at {} is not here{}; {how}", old.kind, self.recorded_at, old.size.map(|s| format!(" ({s} bytes)")).unwrap_or_default()),
            details! { "input" => old.input, "path" => old.path, "type" => old.kind, "size" => old.size, "recorded_at" => self.recorded_at },
            repair,
        );
    }

    fn added(&mut self, now: &FileEntry) {
        if now.kind == "unreadable" {
            self.cannot_read(now);
            return;
        }
        self.compared_files += 1;
        let subject = self.subject(&now.input, &now.path);
        self.sink.emit(
            Rule::FileAdded,
            &subject,
            format!("{} not in the manifest of {}", now.kind, self.recorded_at),
            details! { "input" => now.input, "path" => now.path, "type" => now.kind, "size" => now.size },
            None,
        );
    }

    fn cannot_read(&mut self, now: &FileEntry) {
        let subject = self.subject(&now.input, &now.path);
        self.unreadable = Some((now.input.clone(), now.path.clone()));
        self.sink.emit(
            Rule::FileChanged,
            &subject,
            format!("cannot be read now ({}): it and what lies below it cannot be compared with the manifest", now.error.as_deref().unwrap_or("unreadable")),
            details! { "input" => now.input, "path" => now.path, "error" => now.error },
            None,
        );
    }

    fn compare(&mut self, old: &FileEntry, now: &FileEntry) {
        if now.kind == "unreadable" {
            self.cannot_read(now);
            return;
        }
        self.compared_files += 1;
        let mut what = Vec::new();
        if old.kind != now.kind {
            what.push(format!("type {} → {}", old.kind, now.kind));
        }
        if old.size != now.size {
            what.push(format!("size {} → {}", old.size.unwrap_or(0), now.size.unwrap_or(0)));
        }
        if old.kind == now.kind && old.blake3.is_some() && now.blake3.is_some() && old.blake3 != now.blake3 {
            what.push("content (BLAKE3)".to_string());
        }
        if what.is_empty() {
            return;
        }
        let subject = self.subject(&now.input, &now.path);
        let repair = (!old.addressed).then(|| Repair::restore_from_backup(subject.clone()));
        self.sink.emit(
            Rule::FileChanged,
            &subject,
            format!("differs from the manifest of {}: {}", self.recorded_at, what.join(", ")),
            details! {
                "input" => now.input, "path" => now.path, "changed" => what,
                "recorded" => json!({"type": old.kind, "size": old.size, "blake3": old.blake3}),
                "found" => json!({"type": now.kind, "size": now.size, "blake3": now.blake3}),
            },
            repair,
        );
    }

    /// The tables of this run (sorted by input and name) against the manifest's.
    pub fn tables(&mut self, mut now: Vec<TableEntry>) -> Result<()> {
        self.end_of_files()?;
        now.sort_by(|a, b| (&a.input, &a.name).cmp(&(&b.input, &b.name)));
        let mut now = now.into_iter().peekable();
        loop {
            let old = match &self.next {
                Some(Entry::Table(t)) => Some(t.clone()),
                _ => None,
            };
            match (old, now.peek()) {
                (None, None) => break,
                (Some(o), Some(n)) if (&o.input, &o.name) == (&n.input, &n.name) => {
                    let n = now.next().expect("peeked");
                    self.compare_table(&o, &n);
                    self.advance()?;
                }
                (Some(o), n) if n.is_none_or(|n| (&o.input, &o.name) < (&n.input, &n.name)) => {
                    self.table_gone(&o);
                    self.advance()?;
                }
                (_, Some(_)) => {
                    let n = now.next().expect("peeked");
                    self.compared_tables += 1;
                    self.sink.emit(
                        Rule::TableAdded,
                        &n.name,
                        format!("{} rows; not in the manifest of {}", n.rows, self.recorded_at),
                        details! { "input" => n.input, "table" => n.name, "rows" => n.rows },
                        None,
                    );
                }
                (Some(_), None) => unreachable!("handled above"),
            }
        }
        Ok(())
    }

    fn table_gone(&mut self, old: &TableEntry) {
        if !self.databases.contains(&old.input) {
            *self.not_compared.entry(old.input.clone()).or_default() += 1;
            return;
        }
        self.compared_tables += 1;
        self.sink.emit(
            Rule::TableMissing,
            &old.name,
            format!("table of {} rows recorded at {} is not in the database", old.rows, self.recorded_at),
            details! { "input" => old.input, "table" => old.name, "rows_recorded" => old.rows, "recorded_at" => self.recorded_at },
            Some(Repair::restore_from_backup(format!("{} {}", old.input, old.name))),
        );
    }

    fn compare_table(&mut self, old: &TableEntry, now: &TableEntry) {
        self.compared_tables += 1;
        if old.rows == now.rows && old.digest == now.digest && old.columns == now.columns {
            return;
        }
        let what = if old.columns != now.columns {
            "its columns differ".to_string()
        } else if old.rows != now.rows {
            format!("{} rows recorded, {} now", old.rows, now.rows)
        } else {
            format!("the same {} rows in number, but not the same rows", now.rows)
        };
        self.sink.emit(
            Rule::TableRowsDiffer,
            &now.name,
            format!("differs from the manifest of {}: {what}", self.recorded_at),
            details! {
                "input" => now.input, "table" => now.name, "rows_recorded" => old.rows, "rows_now" => now.rows,
                "digest_recorded" => old.digest, "digest_now" => now.digest, "columns_recorded" => old.columns, "columns_now" => now.columns,
            },
            Some(Repair::restore_from_backup(format!("{} {}", now.input, now.name))),
        );
    }
}
