//! Database tables as a check reads them: from a live PostgreSQL server (one read-only
//! REPEATABLE READ transaction, `COPY (SELECT …) TO STDOUT`) or from a plain `pg_dump` /
//! `pg_dumpall` file read directly. Both deliver the same rows through the same COPY text
//! decoder, so both sources give the same answer.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::pgdump::{CopyRow, CopySink, CopyStreamDecoder, read_dump};

/// Where the metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbSource {
    /// A `postgres://` (or `postgresql://`) URL of a live server.
    Url(String),
    /// A plain-SQL dump file, optionally gzip-compressed.
    Dump(PathBuf),
}

impl DbSource {
    pub fn parse(arg: &str) -> DbSource {
        if arg.starts_with("postgres://") || arg.starts_with("postgresql://") {
            DbSource::Url(arg.to_string())
        } else {
            DbSource::Dump(PathBuf::from(arg))
        }
    }

    /// For reports and messages: a URL without its password.
    pub fn display(&self) -> String {
        match self {
            DbSource::Url(url) => redact_url(url),
            DbSource::Dump(path) => path.display().to_string(),
        }
    }
}

/// Removes the password from a connection URL (`postgres://user:secret@host/db` →
/// `postgres://user@host/db`), and any `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some(parts) => parts,
        None => return url.to_string(),
    };
    // The last '@' ends the user information, even when an unencoded password holds '/' or '?'.
    let (authority, tail) = match rest.rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            let after = &rest[at + 1..];
            let split = after.find(['/', '?']).unwrap_or(after.len());
            (format!("{user}@{}", &after[..split]), &after[split..])
        }
        None => {
            let split = rest.find(['/', '?']).unwrap_or(rest.len());
            (rest[..split].to_string(), &rest[split..])
        }
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query.split('&').filter(|kv| !kv.to_ascii_lowercase().starts_with("password=")).collect();
            if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) }
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// A table a check reads, with the columns it needs, in the order the check wants them.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    /// Also read the tables that inherit it, as a query without `ONLY` would
    /// (FOSSology's `uploadtree_a`, `uploadtree_<n>`). In a dump they are the tables named
    /// `<name>_<suffix>` whose suffix matches `children`.
    pub children: Option<fn(&str) -> bool>,
    pub columns: &'static [&'static str],
    /// A missing table is an error unless this is set (then it is read as empty).
    pub optional: bool,
}

/// Receives the rows of the requested tables, fields in the order of the spec's columns.
pub trait TableSink {
    fn row(&mut self, table: usize, row: &Row<'_, '_>) -> Result<()>;
}

/// One row, its fields in the order the [`TableSpec`] listed its columns.
pub struct Row<'r, 'a> {
    row: &'r CopyRow<'a>,
    map: &'r [usize],
}

impl Row<'_, '_> {
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.row.get(self.map[i])
    }
    pub fn str(&self, i: usize) -> Result<Option<&str>> {
        self.row.get_str(self.map[i])
    }
    pub fn i64(&self, i: usize) -> Result<Option<i64>> {
        self.row.get_i64(self.map[i])
    }
}

/// Reads `specs` from `source` into `sink`. For a dump, `db_name` picks the database of a
/// `pg_dumpall` file. Returns the number of rows read.
pub fn read_tables(source: &DbSource, db_name: &str, specs: &[TableSpec], sink: &mut dyn TableSink) -> Result<u64> {
    match source {
        DbSource::Dump(path) => read_from_dump(path, db_name, specs, sink),
        DbSource::Url(url) => read_from_server(url, specs, sink),
    }
}

struct DumpAdapter<'s> {
    specs: &'s [TableSpec],
    sink: &'s mut dyn TableSink,
    current: Option<(usize, Vec<usize>)>,
    seen: Vec<bool>,
    rows: u64,
    error_context: String,
}

impl CopySink for DumpAdapter<'_> {
    fn begin_table(&mut self, _schema: Option<&str>, table: &str, columns: &[String]) -> Result<bool> {
        let found = self.specs.iter().position(|spec| {
            table == spec.name
                || spec.children.is_some_and(|is_child| table.strip_prefix(spec.name).and_then(|s| s.strip_prefix('_')).is_some_and(is_child))
        });
        let Some(index) = found else {
            self.current = None;
            return Ok(false);
        };
        let spec = &self.specs[index];
        let mut map = Vec::with_capacity(spec.columns.len());
        for wanted in spec.columns {
            let Some(pos) = columns.iter().position(|c| c == wanted) else {
                bail!("{}: table {table} has no column {wanted} (it has: {})", self.error_context, columns.join(", "));
            };
            map.push(pos);
        }
        self.seen[index] = true;
        self.current = Some((index, map));
        Ok(true)
    }

    fn row(&mut self, row: &CopyRow<'_>) -> Result<()> {
        if let Some((index, map)) = &self.current {
            self.rows += 1;
            self.sink.row(*index, &Row { row, map })?;
        }
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        self.current = None;
        Ok(())
    }
}

fn read_from_dump(path: &Path, db_name: &str, specs: &[TableSpec], sink: &mut dyn TableSink) -> Result<u64> {
    let mut adapter = DumpAdapter { specs, sink, current: None, seen: vec![false; specs.len()], rows: 0, error_context: path.display().to_string() };
    read_dump(path, db_name, &mut adapter)?;
    for (spec, seen) in specs.iter().zip(&adapter.seen) {
        if !seen && !spec.optional {
            bail!(
                "{}: the dump of database '{db_name}' has no data for table {} (is it the right database? dumps made with --inserts are not read: use pg_dump's default COPY format)",
                path.display(),
                spec.name
            );
        }
    }
    Ok(adapter.rows)
}

struct StreamAdapter<'s> {
    sink: &'s mut dyn TableSink,
    index: usize,
    map: Vec<usize>,
    rows: u64,
}

impl CopySink for StreamAdapter<'_> {
    fn begin_table(&mut self, _: Option<&str>, _: &str, _: &[String]) -> Result<bool> {
        Ok(true)
    }
    fn row(&mut self, row: &CopyRow<'_>) -> Result<()> {
        self.rows += 1;
        self.sink.row(self.index, &Row { row, map: &self.map })
    }
    fn end_table(&mut self) -> Result<()> {
        Ok(())
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn read_from_server(url: &str, specs: &[TableSpec], sink: &mut dyn TableSink) -> Result<u64> {
    let shown = redact_url(url);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the database client runtime")?;
    runtime.block_on(async {
        use futures_util::StreamExt;
        use sqlx::Connection;

        let options: sqlx::postgres::PgConnectOptions = url.parse().with_context(|| format!("{shown}: not a valid PostgreSQL URL"))?;
        let mut conn = sqlx::postgres::PgConnection::connect_with(&options)
            .await
            .map_err(|e| anyhow::anyhow!("{shown}: cannot connect: {}", one_line(&e.to_string())))?;
        // One snapshot for every table: a concurrent writer cannot tear the view.
        let mut tx = conn
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(|e| anyhow::anyhow!("{shown}: cannot start a read-only transaction: {}", one_line(&e.to_string())))?;
        let mut total = 0u64;
        for (index, spec) in specs.iter().enumerate() {
            let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
                .bind(spec.name)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| anyhow::anyhow!("{shown}: {}", one_line(&e.to_string())))?;
            if exists.is_none() {
                if spec.optional {
                    continue;
                }
                bail!("{shown}: the database has no table {} (is it the right database?)", spec.name);
            }
            let columns: Vec<String> = spec.columns.iter().map(|c| quote_ident(c)).collect();
            let only = if spec.children.is_some() { "" } else { "ONLY " };
            let statement = format!("COPY (SELECT {} FROM {only}{}) TO STDOUT", columns.join(", "), quote_ident(spec.name));
            let mut stream = tx
                .copy_out_raw(&statement)
                .await
                .map_err(|e| anyhow::anyhow!("{shown}: reading table {}: {}", spec.name, one_line(&e.to_string())))?;
            let mut decoder = CopyStreamDecoder::new(spec.columns.len());
            let mut adapter = StreamAdapter { sink, index, map: (0..spec.columns.len()).collect(), rows: 0 };
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| anyhow::anyhow!("{shown}: reading table {}: {}", spec.name, one_line(&e.to_string())))?;
                decoder.feed(&chunk, &mut adapter)?;
            }
            decoder.finish(&mut adapter)?;
            total += adapter.rows;
        }
        tx.rollback().await.ok();
        Ok(total)
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("postgres://fossy:fossy@db.example/fossology"), "postgres://fossy@db.example/fossology");
        assert_eq!(redact_url("postgres://fossy@db/fossology?password=x&sslmode=require"), "postgres://fossy@db/fossology?sslmode=require");
        assert_eq!(redact_url("postgresql://u:p%40ss@h:5432"), "postgresql://u@h:5432");
        assert_eq!(redact_url("postgres://h/db?host=/tmp/s"), "postgres://h/db?host=/tmp/s");
        assert_eq!(redact_url("postgres://u:a/b?c@h/db"), "postgres://u@h/db");
    }
}
