//! One table's data as an archive holds it (a custom-format data block, a directory-format
//! file, a tar member): COPY text ended by `\.`, or INSERT statements; delivered to the sink
//! as COPY rows. Any damage is an error naming the table.

use std::io::{BufRead, BufReader, Read};

use crate::error::{Context as _, Result, bail};

use std::collections::HashSet;

use super::copy_text::{CopyRow, LineDecoder};
use super::ddl::Catalog;
use super::error::{Error, only_white_space, quote, quote_name, read_line};
use super::inserts::{Field, InsertHeader, InsertParser, Src};
use super::toc::TocEntry;
use super::{CopySink, DumpSummary, parse_copy_header};

/// A TABLE DATA entry of an archive.
#[derive(Debug, Clone)]
pub(crate) struct DataEntry {
    pub schema: String,
    pub table: String,
    /// The COPY statement's columns; `None` for INSERT data.
    pub copy_columns: Option<Vec<String>>,
    pub filename: Option<String>,
}

/// Entry types whose data an archive holds (`dumpTableData`, `dumpLOs`): `BLOBS` (large
/// objects) is not read, but is no damage.
const TABLE_DATA: &str = "TABLE DATA";
const BLOBS: &str = "BLOBS";

/// An entry's schema as the reader names tables (`public` when it has none).
fn schema_of(e: &TocEntry) -> String {
    e.namespace.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "public".into())
}

/// How an entry is named in a message: its dump id, type and name, quoted.
pub(crate) fn entry_name(e: &TocEntry) -> String {
    let name = match (&e.namespace, &e.tag) {
        (Some(s), Some(t)) if !s.is_empty() => format!("{}.{}", quote_name(s), quote_name(t)),
        (_, Some(t)) => quote_name(t),
        _ => "(no name)".into(),
    };
    format!("TOC entry {} ('{}' {name})", e.dump_id, quote(e.desc.as_bytes()))
}

/// The TABLE DATA entries of an archive's TOC, checked against the rest of it: every entry
/// that has data (`has_data`: an offset or a file name, or a data dumper) is table data or
/// large objects; every TABLE DATA entry has data and names a table the TOC creates (unless
/// the TOC creates none, as `pg_dump --data-only` writes). Anything else is damage: data
/// the reader would otherwise pass over, and a table read as empty.
pub(crate) fn data_entries(toc: &[TocEntry], has_data: impl Fn(&TocEntry) -> bool) -> Result<Vec<(i64, DataEntry)>> {
    let created: HashSet<(String, String)> = toc.iter().filter(|e| e.desc == "TABLE" || e.desc == "FOREIGN TABLE").filter_map(|e| Some((schema_of(e), e.tag.clone()?))).collect();
    let mut out = Vec::new();
    for e in toc {
        let data = has_data(e) || e.had_dumper;
        if e.desc == TABLE_DATA {
            let table = e.tag.clone().with_context(|| format!("{}: a TABLE DATA entry without a name: the archive is damaged", entry_name(e)))?;
            let schema = schema_of(e);
            let qualified = format!("{}.{}", quote_name(&schema), quote_name(&table));
            if !has_data(e) {
                return Err(Error::in_table(qualified.clone(), format!("{}: the data of table {qualified} is not in the archive (its entry says it has none): the archive is damaged", entry_name(e))));
            }
            if !created.is_empty() && !created.contains(&(schema.clone(), table.clone())) {
                return Err(Error::in_table(
                    qualified.clone(),
                    format!("{}: data for table {qualified}, which the archive never creates (no TABLE entry for it): the archive is damaged", entry_name(e)),
                ));
            }
            let copy_columns = match e.copy_stmt.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(stmt) => Some(
                    parse_copy_header(stmt)
                        .map_err(|err| Error::in_table(qualified.clone(), format!("{}: cannot read its COPY statement '{}': {err:#}: the archive is damaged", entry_name(e), quote(stmt.as_bytes()))))?
                        .2,
                ),
                None => None,
            };
            out.push((e.dump_id, DataEntry { schema, table, copy_columns, filename: e.filename.clone() }));
        } else if data && e.desc != BLOBS {
            return Err(Error::located(
                e.tag.as_ref().map(|t| format!("{}.{}", quote_name(&schema_of(e)), quote_name(t))),
                None,
                format!("{} has data, but is of a type that holds none: the archive is damaged", entry_name(e)),
            ));
        }
    }
    Ok(out)
}

impl DataEntry {
    /// `schema.table`, for messages.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_name(&self.schema), quote_name(&self.table))
    }
}

/// What the data of an archive needs besides its own bytes.
pub(crate) struct Context<'a> {
    pub catalog: &'a Catalog,
    pub std_strings: bool,
}

/// Reads the whole of `input` as the data of `entry`.
pub(crate) fn deliver(input: &mut dyn Read, entry: &DataEntry, ctx: &Context<'_>, sink: &mut dyn CopySink, summary: &mut DumpSummary) -> Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let result = match &entry.copy_columns {
        Some(columns) => deliver_copy(&mut reader, entry, columns, sink, summary),
        None => deliver_inserts(&mut reader, entry, ctx, sink, summary),
    };
    let table = entry.qualified();
    result.map_err(|e| e.context_at(Some(table.clone()), None, format!("the data of table {table} is damaged")))
}

fn deliver_copy(reader: &mut dyn BufRead, entry: &DataEntry, columns: &[String], sink: &mut dyn CopySink, summary: &mut DumpSummary) -> Result<()> {
    let accept = sink.begin_table(Some(&entry.schema), &entry.table, columns)?;
    if accept {
        summary.tables_read += 1;
    }
    let mut decoder = LineDecoder::default();
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    let table = entry.qualified();
    loop {
        line.clear();
        let n = read_line(reader, &mut line).map_err(|e| e.at(number + 1, Some(&table)))?;
        if n == 0 {
            bail!("it ends after {number} lines without the end marker '\\.': it is truncated");
        }
        number += 1;
        summary.bytes += n as u64;
        if line.last() != Some(&b'\n') {
            bail!("line {number} is cut off: it is truncated");
        }
        let data = &line[..line.len() - 1];
        if data == b"\\." {
            break;
        }
        if accept {
            decoder.decode(data, columns.len()).with_context(|| format!("line {number}"))?;
            sink.row(&decoder.row()).with_context(|| format!("line {number}"))?;
            summary.rows += 1;
        }
    }
    // pg_dump ends the data with "\.\n\n\n": only blank lines may follow.
    if !only_white_space(reader).context("cannot read the data")? {
        bail!("there is more after its end marker '\\.'");
    }
    if accept {
        sink.end_table()?;
    }
    Ok(())
}

/// Maps the fields of INSERT rows onto the table's COPY columns.
pub(crate) struct InsertTable {
    pub columns: Vec<String>,
    /// For statements naming their columns: the named list seen last and, per COPY column,
    /// its position in it.
    named: Option<(Vec<String>, Vec<usize>)>,
    out: Vec<Option<std::ops::Range<usize>>>,
}

impl InsertTable {
    pub fn new(columns: Vec<String>) -> Self {
        InsertTable { columns, named: None, out: Vec::new() }
    }

    /// The row just parsed, as COPY would give it.
    pub fn row<'p>(&'p mut self, header: &InsertHeader, parser: &'p InsertParser) -> Result<CopyRow<'p>> {
        self.out.clear();
        match &header.columns {
            Some(named) => {
                if self.named.as_ref().is_none_or(|(n, _)| n != named) {
                    let mut map = Vec::with_capacity(self.columns.len());
                    for c in &self.columns {
                        map.push(named.iter().position(|n| n == c).with_context(|| format!("an INSERT statement does not name column {c}"))?);
                    }
                    if let Some(extra) = named.iter().find(|n| !self.columns.contains(n)) {
                        bail!("an INSERT statement names column {extra}, which the table does not have (it has: {})", self.columns.join(", "));
                    }
                    self.named = Some((named.clone(), map));
                }
                let (named, map) = self.named.as_ref().expect("just set");
                if parser.fields.len() != named.len() {
                    bail!("an INSERT row has {} values for {} columns", parser.fields.len(), named.len());
                }
                for &i in map {
                    self.out.push(match &parser.fields[i] {
                        Field::Value(r) => Some(r.clone()),
                        Field::Null => None,
                        Field::Default => bail!("DEFAULT for column {} in an INSERT that names its columns", named[i]),
                    });
                }
            }
            None => {
                for f in &parser.fields {
                    match f {
                        Field::Value(r) => self.out.push(Some(r.clone())),
                        Field::Null => self.out.push(None),
                        Field::Default => {}
                    }
                }
                if self.out.len() != self.columns.len() {
                    bail!("an INSERT row has {} values (generated columns left out) for the {} columns of the table ({})", self.out.len(), self.columns.len(), self.columns.join(", "));
                }
            }
        }
        Ok(CopyRow::from_parts(&parser.buf, &self.out))
    }
}

fn deliver_inserts(reader: &mut dyn BufRead, entry: &DataEntry, ctx: &Context<'_>, sink: &mut dyn CopySink, summary: &mut DumpSummary) -> Result<()> {
    let mut src = Src::new(reader);
    let mut parser = InsertParser::new(ctx.std_strings);
    let known = ctx.catalog.copy_columns(&entry.schema, &entry.table);
    let mut table: Option<(InsertTable, bool)> = None;
    let begin = |columns: Vec<String>, sink: &mut dyn CopySink, summary: &mut DumpSummary| -> Result<(InsertTable, bool)> {
        let accept = sink.begin_table(Some(&entry.schema), &entry.table, &columns)?;
        summary.tables_read += u64::from(accept);
        Ok((InsertTable::new(columns), accept))
    };
    if let Some(columns) = known.clone() {
        table = Some(begin(columns, sink, summary)?);
    }
    while let Some(header) = parser.header(&mut src).with_context(|| format!("near byte {}", src.consumed))? {
        if table.is_none() {
            let Some(named) = header.columns.clone() else {
                bail!("its INSERT statements do not name their columns and the dump has no CREATE TABLE for it: the column order is unknown");
            };
            table = Some(begin(named, sink, summary)?);
        }
        let (t, accept) = table.as_mut().expect("begun");
        while parser.next_row(&mut src).with_context(|| format!("near byte {}", src.consumed))? {
            if *accept {
                let row = t.row(&header, &parser)?;
                sink.row(&row)?;
                summary.rows += 1;
            }
        }
    }
    summary.bytes += src.consumed;
    // pg_dump ends INSERT data with an empty line ("…;\n\n\n"): without it the data was cut
    // between two statements.
    if !ends_with_blank_line(&mut src) {
        bail!("it does not end as pg_dump ends INSERT data (an empty line): it is truncated");
    }
    if let Some((_, true)) = table {
        sink.end_table()?;
    }
    Ok(())
}

fn ends_with_blank_line<R: BufRead>(src: &mut Src<R>) -> bool {
    src.trailing_newlines() >= 2
}
