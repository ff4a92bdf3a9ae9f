//! PostgreSQL plain-format dumps, read directly: the rows of their `COPY … FROM stdin;`
//! blocks, without a server.
//!
//! Accepted: `pg_dump` and `pg_dumpall` plain SQL, gzip-compressed or not (detected by the
//! magic bytes; `pg_dumpall | gzip` output, multi-member gzip too). In a `pg_dumpall` file
//! each database's part follows a `\connect` line; only the part of the requested database
//! is delivered. Custom and tar formats are refused with the command that converts them.
//!
//! Rows are delivered as they are read, before the end of the file is known. A dump is
//! only complete if the requested database's part ends with
//! `-- PostgreSQL database dump complete` (pg_dump writes it last for each database), so
//! the caller must treat rows as provisional until [`read_dump`] returns `Ok`: a truncated
//! or corrupt file is an `Err` at the end, never a short success.
//!
//! The same COPY text decoding serves a live server's `COPY (…) TO STDOUT`
//! ([`CopyStreamDecoder`]).

mod copy_text;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};

pub use copy_text::{CopyRow, CopyStreamDecoder};

/// Receives the rows of COPY blocks.
pub trait CopySink {
    /// Start of a COPY block. `table` is unqualified (schema in `schema`), columns in header
    /// order. Return false to skip the block's rows (they are still framed).
    fn begin_table(&mut self, schema: Option<&str>, table: &str, columns: &[String]) -> Result<bool>;
    /// One row of an accepted block.
    fn row(&mut self, row: &CopyRow<'_>) -> Result<()>;
    /// End of an accepted block.
    fn end_table(&mut self) -> Result<()>;
}

/// What a dump held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpSummary {
    /// The databases of `\connect` lines, in order (empty for a plain single-database dump).
    pub databases: Vec<String>,
    /// COPY blocks of the selected database.
    pub tables_read: u64,
    /// Rows delivered.
    pub rows: u64,
    /// Uncompressed bytes read.
    pub bytes: u64,
}

const COMPLETE: &[u8] = b"-- PostgreSQL database dump complete";

/// Reads the COPY blocks of `db_name` from the dump at `path` into `sink`.
pub fn read_dump(path: &Path, db_name: &str, sink: &mut dyn CopySink) -> Result<DumpSummary> {
    let shown = path.display();
    let mut file = File::open(path).with_context(|| format!("{shown}: cannot open the dump"))?;
    let mut magic = [0u8; 5];
    let n = crate::engine::io::read_full(&mut file, &mut magic).with_context(|| format!("{shown}: cannot read the dump"))?;
    let input: Box<dyn Read> = {
        use std::io::Seek;
        file.rewind().with_context(|| format!("{shown}: cannot read the dump"))?;
        if n >= 2 && magic[..2] == [0x1f, 0x8b] {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, file)))
        } else {
            Box::new(file)
        }
    };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    read_plain(&mut reader, db_name, sink).map_err(|e| {
        // A gzip error surfaces as an I/O error from the decoder.
        let gzip = n >= 2 && magic[..2] == [0x1f, 0x8b] && e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some());
        if gzip { e.context(format!("{shown}: the gzip stream is corrupt or truncated")) } else { e.context(format!("{shown}")) }
    })
}

/// The state of the part of the dump being read.
struct Parts<'a> {
    wanted: &'a str,
    /// `\connect` seen at all.
    connects: bool,
    /// The database of the current part (`None` before any `\connect`).
    current: Option<String>,
    databases: Vec<String>,
    /// The wanted part was seen, and ended with the completion line.
    seen: bool,
    complete: bool,
}

impl Parts<'_> {
    fn selected(&self) -> bool {
        match &self.current {
            None => !self.connects,
            Some(db) => db == self.wanted,
        }
    }
}

fn read_plain(reader: &mut dyn BufRead, db_name: &str, sink: &mut dyn CopySink) -> Result<DumpSummary> {
    let mut summary = DumpSummary::default();
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    let mut parts = Parts { wanted: db_name, connects: false, current: None, databases: Vec::new(), seen: false, complete: false };
    let mut header_seen = false;
    let mut decoder = copy_text::LineDecoder::default();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).context("cannot read the dump")?;
        if n == 0 {
            break;
        }
        number += 1;
        summary.bytes += n as u64;
        if !header_seen {
            if number == 1 && line.starts_with(b"PGDMP") {
                bail!("a custom-format dump (pg_dump -Fc): convert it first with pg_restore -f dump.sql <file>");
            }
            if line.starts_with(b"-- PostgreSQL database dump") || line.starts_with(b"-- PostgreSQL database cluster dump") {
                header_seen = true;
            } else if number > 50 || (!line.starts_with(b"--") && !line.iter().all(u8::is_ascii_whitespace) && !line.starts_with(b"\\restrict")) {
                if number <= 2 && line.len() > 262 && &line[257..262] == b"ustar" {
                    bail!("a tar-format dump (pg_dump -Ft): convert it first with pg_restore -f dump.sql <file>");
                }
                bail!("not a PostgreSQL plain-format dump (no '-- PostgreSQL database dump' header)");
            }
            continue;
        }
        if line.starts_with(b"\\connect") {
            let name = connect_target(trim_eol(&line)).with_context(|| format!("line {number}: cannot read the \\connect line"))?;
            parts.connects = true;
            if parts.current.as_deref() == Some(db_name) && !parts.complete {
                bail!("the part of database '{db_name}' ends at line {number} without '-- PostgreSQL database dump complete': the dump is truncated");
            }
            if !parts.databases.contains(&name) {
                parts.databases.push(name.clone());
            }
            parts.seen |= name == db_name;
            parts.current = Some(name);
            continue;
        }
        if line.starts_with(COMPLETE) {
            if parts.selected() {
                parts.complete = true;
            }
            continue;
        }
        if line.starts_with(b"COPY ") && trim_eol(&line).ends_with(b" FROM stdin;") {
            let text = std::str::from_utf8(trim_eol(&line)).with_context(|| format!("line {number}: COPY line is not UTF-8"))?;
            let (schema, table, columns) = parse_copy_header(text).with_context(|| format!("line {number}: cannot read '{text}'"))?;
            let accept = parts.selected() && sink.begin_table(schema.as_deref(), &table, &columns)?;
            if accept {
                summary.tables_read += 1;
            }
            let start = number;
            loop {
                line.clear();
                let n = reader.read_until(b'\n', &mut line).context("cannot read the dump")?;
                if n == 0 {
                    bail!("the data of table {table} (from line {start}) has no end marker '\\.': the dump is truncated");
                }
                number += 1;
                summary.bytes += n as u64;
                if line.last() != Some(&b'\n') {
                    bail!("line {number}: the last line is cut off: the dump is truncated");
                }
                let data = trim_eol(&line);
                if data == b"\\." {
                    break;
                }
                if data.starts_with(b"\\connect ") {
                    bail!("line {number}: a \\connect inside the data of table {table}: the dump is damaged");
                }
                if accept {
                    decoder.decode(data, columns.len()).with_context(|| format!("line {number} (table {table})"))?;
                    sink.row(&decoder.row()).with_context(|| format!("line {number} (table {table})"))?;
                    summary.rows += 1;
                }
            }
            if accept {
                sink.end_table()?;
            }
        }
    }
    if !header_seen {
        bail!("empty, or not a PostgreSQL plain-format dump");
    }
    summary.databases = parts.databases.clone();
    if parts.connects && !parts.seen {
        bail!("has no database '{db_name}' (it has: {}); choose one with --db-name", parts.databases.join(", "));
    }
    if !parts.complete {
        bail!("the part of database '{db_name}' does not end with '-- PostgreSQL database dump complete': the dump is truncated");
    }
    Ok(summary)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `\connect fossology`, `\connect "Mixed Name"`, `\connect -reuse-previous=on "dbname='x'"`.
fn connect_target(line: &[u8]) -> Result<String> {
    let text = std::str::from_utf8(line).context("not UTF-8")?;
    let rest = text.strip_prefix("\\connect").unwrap_or(text).trim();
    let rest = rest.strip_prefix("-reuse-previous=on").map(str::trim).unwrap_or(rest);
    let word = if let Some(q) = rest.strip_prefix('"') {
        // A double-quoted word: "" stands for ".
        let mut out = String::new();
        let mut chars = q.chars().peekable();
        loop {
            match chars.next() {
                Some('"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    out.push('"');
                }
                Some('"') | None => break,
                Some(c) => out.push(c),
            }
        }
        out
    } else if let Some(q) = rest.strip_prefix('\'') {
        q.split('\'').next().unwrap_or_default().to_string()
    } else {
        rest.split_whitespace().next().unwrap_or_default().to_string()
    };
    // A connection string names the database in dbname='…'.
    if let Some(pos) = word.find("dbname=") {
        let value = &word[pos + 7..];
        let name = if let Some(q) = value.strip_prefix('\'') {
            let mut out = String::new();
            let mut chars = q.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '\'' => break,
                    c => out.push(c),
                }
            }
            out
        } else {
            value.split_whitespace().next().unwrap_or_default().to_string()
        };
        return Ok(name);
    }
    if word.is_empty() {
        bail!("no database name");
    }
    Ok(word)
}

/// `COPY public.pfile (pfile_pk, "Odd Name") FROM stdin;` → schema, table, columns.
fn parse_copy_header(text: &str) -> Result<(Option<String>, String, Vec<String>)> {
    let body = text.strip_prefix("COPY ").and_then(|t| t.strip_suffix(" FROM stdin;")).context("not a COPY line")?;
    let mut idents = Vec::new();
    let mut rest = body.trim_start();
    // The qualified table name: one or two identifiers joined by '.'.
    loop {
        let (ident, after) = identifier(rest)?;
        idents.push(ident);
        rest = after;
        match rest.strip_prefix('.') {
            Some(r) => rest = r,
            None => break,
        }
    }
    let table = idents.pop().context("no table name")?;
    let schema = idents.pop();
    let rest = rest.trim_start();
    let mut columns = Vec::new();
    if let Some(list) = rest.strip_prefix('(') {
        let mut r = list.trim_start();
        loop {
            let (ident, after) = identifier(r)?;
            columns.push(ident);
            r = after.trim_start();
            if let Some(a) = r.strip_prefix(',') {
                r = a.trim_start();
            } else if r.starts_with(')') {
                break;
            } else {
                bail!("bad column list");
            }
        }
    }
    Ok((schema, table, columns))
}

fn identifier(s: &str) -> Result<(String, &str)> {
    if let Some(q) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut idx = 0;
        let bytes = q.as_bytes();
        while idx < bytes.len() {
            if bytes[idx] == b'"' {
                if bytes.get(idx + 1) == Some(&b'"') {
                    out.push('"');
                    idx += 2;
                    continue;
                }
                return Ok((out, &q[idx + 1..]));
            }
            let c = q[idx..].chars().next().context("bad identifier")?;
            out.push(c);
            idx += c.len_utf8();
        }
        bail!("unterminated quoted identifier")
    } else {
        let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).unwrap_or(s.len());
        if end == 0 {
            bail!("expected an identifier at '{}'", s.chars().take(20).collect::<String>());
        }
        Ok((s[..end].to_string(), &s[end..]))
    }
}

#[cfg(test)]
mod tests;
