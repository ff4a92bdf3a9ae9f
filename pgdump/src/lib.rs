//! PostgreSQL backups read directly, without a server or `pg_restore`: the table rows of
//! every format pg_dump writes, streamed.
//!
//! Accepted:
//! - plain SQL from `pg_dump` or `pg_dumpall` (with COPY data, or INSERT statements from
//!   `--inserts`, `--column-inserts`, `--rows-per-insert=N`), uncompressed or compressed with
//!   gzip (also `… | gzip`, several members), lz4 or zstd (`pg_dump -Z lz4|zstd`, PostgreSQL
//!   16+), detected by their magic bytes;
//! - the custom format (`pg_dump -Fc`), its data uncompressed, zlib (gzip), lz4 or zstd;
//!   written to a file or to a pipe (no offsets in the TOC: the blocks are read in order);
//! - the directory format (`pg_dump -Fd`): the directory, its `toc.dat` and `<id>.dat` files,
//!   each plain, `.gz`, `.lz4` or `.zst`;
//! - the tar format (`pg_dump -Ft`), also wrapped in gzip/lz4/zstd (`-Ft | gzip`), as is a
//!   custom archive.
//!
//! Archive versions (`K_VERS_1_x` in the header of custom, directory and tar archives) 1.12 to
//! 1.16 are read, any revision: pg_dump of PostgreSQL 9.0 to 17 (12–15 write 1.14, 16 writes
//! 1.15, which names the compression algorithm, 17 writes 1.16, which adds the relation kind
//! to each TOC entry). Other versions are refused with an error naming them.
//!
//! Which database: an archive and a plain `pg_dump` file (with `--create` or not) hold one
//! database, read whatever its name. Only a `pg_dumpall` file (`-- PostgreSQL database cluster
//! dump`) holds several, each after a `\connect` line; the part of the requested database is
//! delivered.
//!
//! Tables are given with their schema; INSERT values are delivered as the COPY text of the
//! same row would decode (`true` as `t`, `B'01'` as `01`, string literals unescaped), and
//! plain `--inserts` values (no column names) follow the column order of the dump's
//! `CREATE TABLE` (inherited columns first), generated columns (`DEFAULT`) left out as COPY
//! leaves them out.
//!
//! Rows are delivered as they are read, before the end of the input is known: the caller
//! must treat them as provisional until [`read_dump`] returns `Ok`. A truncated or corrupt
//! dump is an `Err` (naming the table whose data is damaged, for archives), never a short
//! success: a plain dump must end its database's part with `-- PostgreSQL database dump
//! complete`; an archive must hold a whole data block, file or member for every table its TOC
//! lists, each ending as pg_dump ends it (`\.` after COPY data, an empty line after INSERTs,
//! the compressed stream's end mark).
//!
//! Every data section is accounted for. In a plain dump, the entry after a `-- Data for
//! Name: …; Type: TABLE DATA` comment holds that data and nothing else but blank lines,
//! comments and pg_dump's session settings; a line there that is not a readable COPY or
//! INSERT statement is an error naming the table and the line, and so is a data section
//! without a COPY statement in a dump whose other tables have one (pg_dump writes one for an
//! empty table too). In an archive, an entry that has data must be `TABLE DATA` (or `BLOBS`,
//! large objects, not read), and a block must be of a known type for an entry of that type.
//! Data for a table the dump never creates (no `CREATE TABLE`, no `TABLE` entry) is an
//! error, unless the dump creates none (`pg_dump --data-only`). Entries whose text is code (a
//! function's body, a view) are not read for statements.
//!
//! Nothing is held whole: a line, COPY row, INSERT row or statement, or TOC string longer
//! than [`MAX_RECORD`] is an error naming the table and the line, before it is in memory; a
//! compressed stream is decompressed as it is read, so a bomb stops at the same limit.
//! Errors are [`DumpError`]s: one line, at most 40 characters of the input quoted, control
//! and non-UTF-8 bytes escaped.
//!
//! The same COPY text decoding serves a live server's `COPY … TO STDOUT`
//! ([`CopyStreamDecoder`]).

mod compress;
mod copy_text;
mod custom;
mod data;
mod ddl;
mod directory;
mod error;
pub mod escape;
#[doc(hidden)]
pub mod inserts;
pub mod io;
mod tar_format;
mod toc;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Context, Error, Result, bail};

pub use copy_text::{CopyRow, CopyStreamDecoder};
pub use error::{At, DumpError, MAX_RECORD, SinkError};
pub use toc::Compression;

use error::{MAX_RECORD_TEXT, quote, quote_name, read_line, read_line_max};

use ddl::{Catalog, parse_create_table, statement_complete};
use inserts::{InsertParser, Src};

/// Receives the rows of the tables a dump holds.
pub trait CopySink {
    /// Start of a table's data. `table` is unqualified (schema in `schema`), columns in the
    /// order of the rows. Return false to skip the table's rows (they are still read).
    fn begin_table(&mut self, schema: Option<&str>, table: &str, columns: &[String]) -> Result<bool, SinkError>;
    /// One row of an accepted table.
    fn row(&mut self, row: &CopyRow<'_>) -> Result<(), SinkError>;
    /// End of an accepted table's data.
    fn end_table(&mut self) -> Result<(), SinkError>;
}

/// The kind of dump read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DumpFormat {
    #[default]
    Plain,
    Custom,
    Directory,
    Tar,
}

/// What a dump held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpSummary {
    pub format: DumpFormat,
    /// For a plain dump, the databases of `\connect` lines, in order (empty for a plain
    /// dump without them); for an archive, the database it was made of.
    pub databases: Vec<String>,
    /// Tables delivered (accepted by the sink).
    pub tables_read: u64,
    /// Rows delivered.
    pub rows: u64,
    /// Uncompressed bytes of table data (all of a plain dump) read.
    pub bytes: u64,
    /// An archive's version (`1.14.0`).
    pub archive_version: Option<String>,
    /// An archive's compression, as its header says.
    pub compression: Option<Compression>,
}

const COMPLETE: &[u8] = b"-- PostgreSQL database dump complete";

/// Reads the tables of the dump at `path` (a file, or a directory-format dump) into `sink`.
/// `db_name` picks the database of a `pg_dumpall` file and is ignored for any other dump.
/// An error is a [`DumpError`]: one line naming the input, and the table and where when the
/// damage is in a table's data.
pub fn read_dump(path: &Path, db_name: &str, sink: &mut dyn CopySink) -> Result<DumpSummary, DumpError> {
    read_dump_inner(path, db_name, sink).map_err(|e| e.into_dump_error(true))
}

fn read_dump_inner(path: &Path, db_name: &str, sink: &mut dyn CopySink) -> Result<DumpSummary> {
    let shown = path.display();
    let mut summary = DumpSummary::default();
    if path.is_dir() {
        if !directory::is_dump_dir(path) {
            bail!("{shown}: a directory without toc.dat is not a directory-format dump (pg_dump -Fd)");
        }
        summary.format = DumpFormat::Directory;
        directory::read_directory(path, sink, &mut summary).with_context(|| format!("{shown}"))?;
        return Ok(summary);
    }
    // Not a FIFO or device, even one swapped in after the type was checked.
    let mut file = io::open_regular(path).with_context(|| format!("{shown}: cannot open the dump"))?;
    let mut magic = [0u8; 4];
    let n = io::read_full(&mut file, &mut magic).with_context(|| format!("{shown}: cannot read the dump"))?;
    {
        use std::io::Seek;
        file.rewind().with_context(|| format!("{shown}: cannot read the dump"))?;
    }
    let outer = compress::sniff(&magic[..n]);
    let input: Box<dyn Read> = compress::decoder(outer, BufReader::with_capacity(1 << 20, file), false).with_context(|| format!("{shown}: cannot read the dump"))?;
    let mut reader = BufReader::with_capacity(1 << 20, input);
    // What is inside: an archive or SQL text.
    let head = peek(&mut reader, 512).with_context(|| format!("{shown}: cannot read the dump"))?;
    let result = if head.starts_with(b"PGDMP") {
        summary.format = DumpFormat::Custom;
        custom::read_custom(&mut reader, sink, &mut summary)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        summary.format = DumpFormat::Tar;
        tar_format::read_tar(&mut reader, sink, &mut summary)
    } else {
        read_plain(&mut reader, db_name, sink, &mut summary)
    };
    result.map_err(|e| {
        // A decompression error surfaces as an I/O error from the decoder.
        if outer != Compression::None && e.is_io() { e.context(format!("{shown}: the {} stream is corrupt or truncated", outer.name())) } else { e.context(format!("{shown}")) }
    })?;
    Ok(summary)
}

/// The first `n` bytes of `reader` (fewer at its end), left unread.
fn peek(reader: &mut BufReader<Box<dyn Read>>, n: usize) -> std::io::Result<Vec<u8>> {
    let buf = reader.fill_buf()?;
    if buf.len() >= n || buf.is_empty() {
        return Ok(buf[..buf.len().min(n)].to_vec());
    }
    // The buffer holds less than asked: take it and more, and put them back in front.
    let mut head = buf.to_vec();
    reader.consume(head.len());
    let mut more = vec![0u8; n - head.len()];
    let got = io::read_full(reader, &mut more)?;
    head.extend_from_slice(&more[..got]);
    let rest = std::mem::replace(reader, BufReader::new(Box::new(std::io::empty())));
    let chained: Box<dyn Read> = Box::new(std::io::Cursor::new(head.clone()).chain(rest));
    *reader = BufReader::with_capacity(1 << 20, chained);
    Ok(head)
}

/// The state of the part of the dump being read.
struct Parts<'a> {
    wanted: &'a str,
    /// A `pg_dumpall` file: only the wanted database's part is read.
    cluster: bool,
    /// The database of the current part (`None` before any `\connect`).
    current: Option<String>,
    databases: Vec<String>,
    /// The wanted part was seen, and ended with the completion line.
    seen: bool,
    complete: bool,
}

impl Parts<'_> {
    fn selected(&self) -> bool {
        !self.cluster || self.current.as_deref() == Some(self.wanted)
    }
}

/// A table whose data is INSERT statements, being delivered.
struct PlainInserts {
    schema: String,
    table: String,
    t: data::InsertTable,
    accept: bool,
}

/// What the entry being read holds, as the comment pg_dump writes before each entry says
/// (`-- Name: …; Type: …` or `-- Data for Name: …; Type: TABLE DATA`, `_printTocEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A table's data: only its COPY or INSERT statements may be there (and session settings).
    Data,
    /// A definition with a body (a function, view, rule, comment…): its lines are not read,
    /// an `INSERT INTO` at the start of one included.
    Code,
    /// Any other entry, or before the first.
    Other,
}

/// Entry types whose text may hold statements of their own.
const CODE_TYPES: &[&str] = &["FUNCTION", "PROCEDURE", "AGGREGATE", "RULE", "VIEW", "MATERIALIZED VIEW", "TRIGGER", "EVENT TRIGGER", "POLICY", "COMMENT"];

/// The entry being read.
struct Section {
    kind: Kind,
    /// For a data section, the table the comment names: (schema, name).
    table: Option<(String, String)>,
    /// The line of its comment.
    line: u64,
    /// A COPY or INSERT statement was read in it.
    data: bool,
}

impl Section {
    fn of(comment: &str, line: u64) -> Section {
        if let Some(table) = data_comment(comment) {
            return Section { kind: Kind::Data, table: Some(table), line, data: false };
        }
        let kind = match comment.split_once("; Type: ").map(|(_, rest)| rest.split("; ").next().unwrap_or_default()) {
            Some(t) if CODE_TYPES.contains(&t) => Kind::Code,
            _ => Kind::Other,
        };
        Section { kind, table: None, line, data: false }
    }

    fn qualified(&self) -> Option<String> {
        self.table.as_ref().map(|(s, t)| qualified(s, t))
    }
}

/// The state of a plain dump's reading.
struct Plain<'s> {
    sink: &'s mut dyn CopySink,
    catalog: Catalog,
    std_strings: bool,
    /// The first schema of `SET search_path` (old dumps name tables unqualified).
    search_path: String,
    section: Section,
    inserts: Option<PlainInserts>,
    /// In the wanted part: a COPY statement was read (a dump with COPY data has one in
    /// every data section, `dumpTableData_copy`).
    copy_seen: bool,
    /// In the wanted part: the data sections without a statement (an empty table of an
    /// `--inserts` dump), and their lines.
    empty: Vec<(String, u64)>,
}

impl Plain<'_> {
    /// Ends the INSERT table being read, and delivers a data section's table with no rows.
    fn close(&mut self, selected: bool, summary: &mut DumpSummary) -> Result<()> {
        if let Some(ins) = self.inserts.take()
            && ins.accept
        {
            self.sink.end_table()?;
        }
        let section = std::mem::replace(&mut self.section, Section { kind: Kind::Other, table: None, line: 0, data: false });
        if section.kind == Kind::Data
            && !section.data
            && selected
            && let Some((schema, table)) = &section.table
        {
            self.empty.push((qualified(schema, table), section.line));
            if let Some(columns) = self.catalog.copy_columns(schema, table)
                && self.sink.begin_table(Some(schema), table, &columns)?
            {
                summary.tables_read += 1;
                self.sink.end_table()?;
            }
        }
        Ok(())
    }

    /// Data for `schema.table` at line `number` of the wanted part: the dump must create it
    /// (unless it creates none, as `pg_dump --data-only` writes).
    fn check_created(&self, statement: &str, schema: &str, table: &str, number: u64) -> Result<()> {
        if !self.catalog.is_empty() && !self.catalog.creates(schema, table) {
            let table = qualified(schema, table);
            return Err(Error::damage(
                table.clone(),
                At::Line(number),
                format!("line {number}: {statement} into table {table}, which the dump never creates (no CREATE TABLE for it): the dump is damaged"),
            ));
        }
        Ok(())
    }

    /// The table whose data is being read, for messages.
    fn data_table(&self) -> Option<String> {
        match &self.inserts {
            Some(i) => Some(qualified(&i.schema, &i.table)),
            None => self.section.qualified(),
        }
    }
}

/// `-- Data for Name: pfile; Type: TABLE DATA; Schema: public; Owner: fossy` → (schema, name).
fn data_comment(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("-- Data for Name: ")?;
    let (name, rest) = rest.split_once("; Type: TABLE DATA; Schema: ")?;
    let schema = rest.split("; Owner: ").next()?.trim_end();
    (schema != "-").then(|| (schema.to_string(), name.to_string()))
}

/// What pg_dump may write in a data section besides its data: blank lines, comments, and
/// the session settings and trigger switches of `_becomeOwner`, `_selectOutputSchema` and
/// `_disableTriggersIfNecessary` (`--disable-triggers`).
fn allowed_in_data(line: &[u8]) -> bool {
    let text = trim_eol(line);
    text.iter().all(u8::is_ascii_whitespace)
        || text.starts_with(b"--")
        || text.starts_with(b"SET ")
        || text.starts_with(b"RESET ")
        || text.starts_with(b"SELECT pg_catalog.set_config(")
        || text.starts_with(b"\\restrict ")
        || text.starts_with(b"\\unrestrict ")
        || (text.starts_with(b"ALTER TABLE ") && text.ends_with(b" TRIGGER ALL;"))
}

fn read_plain(reader: &mut dyn BufRead, db_name: &str, sink: &mut dyn CopySink, summary: &mut DumpSummary) -> Result<()> {
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    let mut parts = Parts { wanted: db_name, cluster: false, current: None, databases: Vec::new(), seen: false, complete: false };
    let mut header_seen = false;
    let mut decoder = copy_text::LineDecoder::default();
    let mut st = Plain {
        sink,
        catalog: Catalog::default(),
        std_strings: true,
        search_path: "public".into(),
        section: Section { kind: Kind::Other, table: None, line: 0, data: false },
        inserts: None,
        copy_seen: false,
        empty: Vec::new(),
    };
    let mut parser = InsertParser::new(true);
    loop {
        line.clear();
        let n = read_line(reader, &mut line).map_err(|e| e.at(number + 1, st.data_table().as_deref()))?;
        if n == 0 {
            break;
        }
        number += 1;
        summary.bytes += n as u64;
        if !header_seen {
            if line.starts_with(b"-- PostgreSQL database cluster dump") {
                header_seen = true;
                parts.cluster = true;
            } else if line.starts_with(b"-- PostgreSQL database dump") {
                header_seen = true;
            } else if number > 50 || (!line.starts_with(b"--") && !line.iter().all(u8::is_ascii_whitespace) && !line.starts_with(b"\\restrict")) {
                bail!("not a PostgreSQL dump (no '-- PostgreSQL database dump' header, nor an archive's)");
            }
            continue;
        }
        if line.starts_with(b"\\connect") {
            st.close(parts.selected(), summary)?;
            let name = connect_target(trim_eol(&line)).with_context(|| format!("line {number}: cannot read the \\connect line"))?;
            if parts.cluster {
                if parts.current.as_deref() == Some(db_name) && !parts.complete {
                    bail!("the part of database '{db_name}' ends at line {number} without '-- PostgreSQL database dump complete': the dump is truncated");
                }
                parts.seen |= name == db_name;
                st.catalog.clear();
            }
            if !parts.databases.contains(&name) {
                parts.databases.push(name.clone());
            }
            parts.current = Some(name);
            continue;
        }
        if line.starts_with(COMPLETE) {
            st.close(parts.selected(), summary)?;
            if parts.selected() {
                parts.complete = true;
            }
            continue;
        }
        if line.starts_with(b"-- Name: ") || line.starts_with(b"-- Data for Name: ") {
            st.close(parts.selected(), summary)?;
            st.section = Section::of(&String::from_utf8_lossy(trim_eol(&line)), number);
            continue;
        }
        if line.starts_with(b"SET standard_conforming_strings = ") {
            st.std_strings = !trim_eol(&line).ends_with(b"off;");
            continue;
        }
        if let Some(rest) = line.strip_prefix(b"SET search_path = ") {
            let first = String::from_utf8_lossy(rest).split(',').next().unwrap_or_default().trim().trim_end_matches(';').trim_matches('"').to_string();
            if !first.is_empty() {
                st.search_path = first;
            }
            continue;
        }
        let kind = st.section.kind;
        if kind == Kind::Code {
            continue;
        }
        let is_copy = line.starts_with(b"COPY ");
        let is_insert = line.starts_with(b"INSERT INTO ");
        if kind == Kind::Data && !is_copy && !is_insert {
            if allowed_in_data(&line) {
                continue;
            }
            let table = st.data_table().unwrap_or_default();
            return Err(Error::damage(
                table.clone(),
                At::Line(number),
                format!("line {number}: the data of table {table} (announced at line {}) is not a COPY or INSERT statement: '{}': the dump is damaged", st.section.line, quote(trim_eol(&line))),
            ));
        }
        if [&b"CREATE TABLE "[..], b"CREATE UNLOGGED TABLE ", b"CREATE FOREIGN TABLE "].iter().any(|p| line.starts_with(p)) {
            let start = number;
            let mut statement = line.clone();
            while !statement_complete(&statement) {
                let before = statement.len();
                let n = read_line_max(reader, &mut statement, MAX_RECORD.saturating_sub(before)).map_err(|e| match e {
                    error::LineError::TooLong => Error::located(None, Some(At::Line(start)), format!("line {start}: a CREATE TABLE statement longer than {MAX_RECORD_TEXT}: the dump is damaged")),
                    e => e.at(number + 1, None),
                })?;
                if n == 0 {
                    bail!("line {start}: the CREATE TABLE statement does not end: the dump is truncated");
                }
                number += 1;
                summary.bytes += n as u64;
                let added = &statement[before..];
                if added.starts_with(b"-- Name: ") || added.starts_with(b"-- Data for Name: ") {
                    return Err(Error::located(
                        None,
                        Some(At::Line(start)),
                        format!(
                            "line {start}: the CREATE TABLE statement '{}' does not end before the next entry (line {number}): a quote or parenthesis is unbalanced, the dump is damaged",
                            quote(trim_eol(&line))
                        ),
                    ));
                }
            }
            if parts.selected() {
                let text = String::from_utf8_lossy(&statement);
                match parse_create_table(&text) {
                    Ok(def) => st.catalog.add(def, &st.search_path),
                    Err(_) => {
                        if let Some((schema, name)) = ddl::create_table_name(&text) {
                            st.catalog.note(schema, name, &st.search_path);
                        }
                    }
                }
            }
            continue;
        }
        if is_insert {
            let first_line = line.len() as u64;
            let mut src = Src::new(std::io::Cursor::new(&line[..]).chain(&mut *reader));
            parser.std_strings = st.std_strings;
            let at_table = st.data_table();
            let here = |n: u64| match &at_table {
                Some(t) => format!("line {n} (the data of table {t}): an INSERT statement that cannot be read, the dump is damaged"),
                None => format!("line {n}: an INSERT statement that cannot be read, the dump is damaged"),
            };
            let header =
                parser.header(&mut src).map_err(|e| e.context_at(at_table.clone(), Some(At::Line(number + src.newlines)), here(number + src.newlines)))?.context("an empty INSERT statement")?;
            let schema = header.schema.clone().unwrap_or_else(|| st.search_path.clone());
            let selected = parts.selected();
            if selected {
                st.check_created("INSERT", &schema, &header.table, number)?;
            }
            let same = st.inserts.as_ref().is_some_and(|i| i.schema == schema && i.table == header.table);
            if !same {
                if let Some(ins) = st.inserts.take()
                    && ins.accept
                {
                    st.sink.end_table()?;
                }
                let columns = match (st.catalog.copy_columns(&schema, &header.table), &header.columns) {
                    (Some(c), _) => c,
                    (None, Some(named)) => named.clone(),
                    (None, None) if selected => bail!(
                        "line {number}: the INSERT statements of table {} do not name their columns and the dump has no CREATE TABLE for it: the column order is unknown (dump with --column-inserts)",
                        qualified(&schema, &header.table)
                    ),
                    (None, None) => Vec::new(),
                };
                let accept = selected && st.sink.begin_table(Some(&schema), &header.table, &columns)?;
                summary.tables_read += u64::from(accept);
                st.inserts = Some(PlainInserts { schema, table: header.table.clone(), t: data::InsertTable::new(columns), accept });
            }
            st.section.data = true;
            let ins = st.inserts.as_mut().expect("set above");
            let table_name = qualified(&ins.schema, &ins.table);
            let place = |n: u64| format!("line {n} (table {table_name})");
            while parser.next_row(&mut src).map_err(|e| e.context_at(Some(table_name.clone()), Some(At::Line(number + src.newlines)), place(number + src.newlines)))? {
                if ins.accept {
                    let row = ins.t.row(&header, &parser).with_context(|| place(number + src.newlines))?;
                    st.sink.row(&row).with_context(|| place(number + src.newlines))?;
                    summary.rows += 1;
                }
            }
            let spanned = src.consumed > first_line;
            number += src.newlines.saturating_sub(u64::from(spanned && line.ends_with(b"\n")));
            summary.bytes += src.consumed.saturating_sub(first_line);
            let (cursor, _) = src.into_inner().into_inner();
            let rest = &line[(cursor.position() as usize).min(line.len())..];
            if rest.iter().any(|b| !b.is_ascii_whitespace()) {
                bail!("line {number}: more after the end of an INSERT statement");
            }
            continue;
        }
        if is_copy {
            let text = trim_eol(&line);
            let parsed = if text.ends_with(b" FROM stdin;") {
                std::str::from_utf8(text).map_err(Error::from).and_then(parse_copy_header)
            } else if kind == Kind::Data {
                Err(Error::msg("not 'COPY … FROM stdin;'"))
            } else {
                // Outside a data section (a statement of a definition): not data.
                continue;
            };
            let (schema, table, columns) = match parsed {
                Ok(p) => p,
                Err(e) => {
                    let what = st.data_table().map(|t| format!(" (the data of table {t})")).unwrap_or_default();
                    return Err(Error::located(st.data_table(), Some(At::Line(number)), format!("line {number}{what}: cannot read '{}': {e:#}: the dump is damaged", quote(text))));
                }
            };
            let schema = schema.unwrap_or_else(|| st.search_path.clone());
            if let Some(ins) = st.inserts.take()
                && ins.accept
            {
                st.sink.end_table()?;
            }
            st.section.data = true;
            let selected = parts.selected();
            if selected {
                st.copy_seen = true;
                st.check_created("COPY", &schema, &table, number)?;
            }
            let accept = selected && st.sink.begin_table(Some(&schema), &table, &columns)?;
            if accept {
                summary.tables_read += 1;
            }
            let qualified = qualified(&schema, &table);
            let start = number;
            loop {
                line.clear();
                let n = read_line(reader, &mut line).map_err(|e| e.at(number + 1, Some(&qualified)))?;
                if n == 0 {
                    return Err(Error::damage(qualified.clone(), At::Line(number), format!("the data of table {qualified} (from line {start}) has no end marker '\\.': the dump is truncated")));
                }
                number += 1;
                summary.bytes += n as u64;
                if line.last() != Some(&b'\n') {
                    return Err(Error::damage(qualified.clone(), At::Line(number), format!("line {number}: the last line is cut off: the dump is truncated")));
                }
                let data = trim_eol(&line);
                if data == b"\\." {
                    break;
                }
                if data.starts_with(b"\\connect ") {
                    bail!("line {number}: a \\connect inside the data of table {qualified}: the dump is damaged");
                }
                if accept {
                    decoder.decode(data, columns.len()).map_err(|e| Error::damage(qualified.clone(), At::Line(number), format!("line {number} (table {qualified}): {e:#}")))?;
                    st.sink.row(&decoder.row()).with_context(|| format!("line {number} (table {qualified})"))?;
                    summary.rows += 1;
                }
            }
            if accept {
                st.sink.end_table()?;
            }
        }
    }
    if !header_seen {
        bail!("empty, or not a PostgreSQL dump");
    }
    // A pending table or INSERT table at the very end: the completion line did not come.
    if st.inserts.as_ref().is_some_and(|i| i.accept) {
        st.sink.end_table()?;
    }
    summary.databases = parts.databases.clone();
    if parts.cluster && !parts.seen {
        let mut names: Vec<String> = parts.databases.iter().take(10).map(|d| quote_name(d)).collect();
        if parts.databases.len() > names.len() {
            names.push(format!("and {} more", parts.databases.len() - names.len()));
        }
        bail!("has no database '{db_name}' (it has: {}); choose one with --db-name", names.join(", "));
    }
    if !parts.complete {
        if parts.cluster {
            bail!("the part of database '{db_name}' does not end with '-- PostgreSQL database dump complete': the dump is truncated");
        }
        bail!("the dump does not end with '-- PostgreSQL database dump complete': it is truncated");
    }
    // pg_dump writes a COPY statement for every table's data, an empty table's too: with
    // COPY data, a data section without one lost its statement.
    if st.copy_seen
        && let Some((table, at)) = st.empty.first()
    {
        return Err(Error::damage(table.clone(), At::Line(*at), format!("line {at}: the data of table {table} has no COPY statement, where every other table's has one: the dump is damaged")));
    }
    Ok(())
}

/// `schema.table` for a message.
fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", quote_name(schema), quote_name(table))
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
        // Unquoted identifiers are folded to lower case, as the server folds them.
        Ok((s[..end].to_ascii_lowercase(), &s[end..]))
    }
}

#[cfg(test)]
mod tests;
