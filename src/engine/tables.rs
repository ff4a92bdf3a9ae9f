//! Database tables as a check reads them: from a live PostgreSQL server (one read-only
//! REPEATABLE READ transaction, `COPY … TO STDOUT`, with the session settings pg_dump uses)
//! or from a dump in any format pg_dump writes, read directly ([`super::pgdump`]). Both
//! deliver the same rows through the same COPY text decoding, so both sources give the same
//! answer.
//!
//! A [`TableSpec`] names a table in a schema (`public` unless it says otherwise); a table of
//! the same name in another schema is never mixed in, from either source.
//!
//! [`read_tables_with`] can also show every table's rows to an [`EveryTable`] observer in the
//! same pass: every ordinary table (as pg_dump dumps them: not in `pg_catalog`,
//! `information_schema` or `pg_toast`, not temporary, not an extension's), its columns in
//! table order without generated columns, its values as COPY text decodes them. For a
//! database and its dump, the multiset of rows seen per table is the same from both.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::pgdump::{CopyRow, CopySink, CopyStreamDecoder, SinkError, read_dump};

/// The schema a [`TableSpec`] is looked up in unless it names another.
pub const DEFAULT_SCHEMA: &str = "public";

/// Where the metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbSource {
    /// A `postgres://` (or `postgresql://`) URL of a live server.
    Url(String),
    /// A dump: plain SQL (optionally compressed), a custom or tar archive file, or a
    /// directory-format dump.
    Dump(PathBuf),
}

impl DbSource {
    pub fn parse(arg: &str) -> DbSource {
        if arg.starts_with("postgres://") || arg.starts_with("postgresql://") { DbSource::Url(arg.to_string()) } else { DbSource::Dump(PathBuf::from(arg)) }
    }

    /// `parse` as a command-line value parser (every string is one or the other).
    pub fn arg(arg: &str) -> Result<DbSource, std::convert::Infallible> {
        Ok(DbSource::parse(arg))
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

/// A dump given as `--db` must be a regular file or a directory (the directory format): a
/// FIFO, device or symlink loop is refused before anything opens it.
pub fn check_dump(option: &str, path: &Path) -> Result<()> {
    match super::io::check_regular_or_dir(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("{option} {}: no such dump file (give a postgres:// URL or a pg_dump/pg_dumpall file)", path.display()),
        Err(e) => bail!("{option} {}: {e}", path.display()),
    }
}

/// A table a check reads, with the columns it needs, in the order the check wants them.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// The table's schema ([`DEFAULT_SCHEMA`] for the products' tables).
    pub schema: &'static str,
    pub name: &'static str,
    /// Also read the tables that inherit it, as a query without `ONLY` would
    /// (FOSSology's `uploadtree_a`, `uploadtree_<n>`), in the same schema only. In a dump they
    /// are the tables of that schema named `<name>_<suffix>` whose suffix matches `children`.
    pub children: Option<fn(&str) -> bool>,
    pub columns: &'static [&'static str],
    /// A missing table is an error unless this is set (then it is read as empty).
    pub optional: bool,
}

/// Receives the rows of the requested tables, fields in the order of the spec's columns.
pub trait TableSink {
    fn row(&mut self, table: usize, row: &Row<'_, '_>) -> Result<()>;
}

/// Sees every table's rows (see the module documentation for which tables). Calls come in
/// `begin`, `row`…, `end` order per table; rows are provisional until the read returns `Ok`.
pub trait EveryTable {
    /// A table starts: its schema, name and columns (table order, generated ones left out).
    fn begin(&mut self, schema: &str, table: &str, columns: &[String]) -> Result<()>;
    /// One row: each field as COPY text decodes it, `None` for NULL.
    fn row(&mut self, fields: &[Option<&[u8]>]) -> Result<()>;
    fn end(&mut self) -> Result<()>;
}

/// One row, its fields in the order the [`TableSpec`] listed its columns.
pub struct Row<'r, 'a> {
    row: &'r CopyRow<'a>,
    map: &'r [usize],
}

impl Row<'_, '_> {
    /// The number of fields (the spec's columns).
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.row.get(self.map[i])
    }
    pub fn str(&self, i: usize) -> Result<Option<&str>> {
        Ok(self.row.get_str(self.map[i])?)
    }
    pub fn i64(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.row.get_i64(self.map[i])?)
    }
}

/// Reads `specs` from `source` into `sink`. For a dump, `db_name` picks the database of a
/// `pg_dumpall` file (any other dump holds one database and is read whatever its name).
/// Returns the number of rows read.
pub fn read_tables(source: &DbSource, db_name: &str, specs: &[TableSpec], sink: &mut dyn TableSink) -> Result<u64> {
    read_tables_with(source, db_name, specs, sink, None)
}

/// [`read_tables`], and every table's rows shown to `every` in the same pass (for a dump) or
/// the same snapshot (for a server).
pub fn read_tables_with(source: &DbSource, db_name: &str, specs: &[TableSpec], sink: &mut dyn TableSink, every: Option<&mut dyn EveryTable>) -> Result<u64> {
    match source {
        DbSource::Dump(path) => {
            super::io::check_regular_or_dir(path).with_context(|| path.display().to_string())?;
            read_from_dump(path, db_name, specs, sink, every)
        }
        DbSource::Url(url) => read_from_server(url, specs, sink, every),
    }
}

/// Whether `schema.table` is what `spec` reads (itself, or a child by name).
fn spec_matches(spec: &TableSpec, schema: &str, table: &str) -> bool {
    schema == spec.schema && (table == spec.name || spec.children.is_some_and(|is_child| table.strip_prefix(spec.name).and_then(|s| s.strip_prefix('_')).is_some_and(is_child)))
}

struct DumpAdapter<'s> {
    specs: &'s [TableSpec],
    sink: &'s mut dyn TableSink,
    every: Option<&'s mut dyn EveryTable>,
    current: Option<(usize, Vec<usize>)>,
    seen: Vec<bool>,
    rows: u64,
}

/// A server's tables go through these too ([`read_from_server`]); a dump's through the
/// [`CopySink`] below.
impl DumpAdapter<'_> {
    fn begin_table(&mut self, schema: Option<&str>, table: &str, columns: &[String]) -> Result<bool> {
        let schema = schema.unwrap_or(DEFAULT_SCHEMA);
        self.current = None;
        if let Some(index) = self.specs.iter().position(|spec| spec_matches(spec, schema, table)) {
            let spec = &self.specs[index];
            let mut map = Vec::with_capacity(spec.columns.len());
            for wanted in spec.columns {
                let Some(pos) = columns.iter().position(|c| c == wanted) else {
                    // read_dump names the input.
                    // A damaged dump's names can be long: a few, cut (read_dump escapes them).
                    let short = |s: &str| if s.chars().count() > 64 { format!("{}…", s.chars().take(64).collect::<String>()) } else { s.to_string() };
                    let mut has: Vec<String> = columns.iter().take(30).map(|c| short(c)).collect();
                    if columns.len() > has.len() {
                        has.push(format!("and {} more", columns.len() - has.len()));
                    }
                    bail!("table {}.{} has no column {wanted} (it has: {})", short(schema), short(table), has.join(", "));
                };
                map.push(pos);
            }
            self.seen[index] = true;
            self.current = Some((index, map));
        }
        match &mut self.every {
            Some(every) => {
                every.begin(schema, table, columns)?;
                Ok(true)
            }
            None => Ok(self.current.is_some()),
        }
    }

    fn row(&mut self, row: &CopyRow<'_>) -> Result<()> {
        if let Some(every) = &mut self.every {
            let fields: Vec<Option<&[u8]>> = (0..row.len()).map(|i| row.get(i)).collect();
            every.row(&fields)?;
        }
        if let Some((index, map)) = &self.current {
            self.rows += 1;
            self.sink.row(*index, &Row { row, map })?;
        }
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        self.current = None;
        if let Some(every) = &mut self.every {
            every.end()?;
        }
        Ok(())
    }
}

impl CopySink for DumpAdapter<'_> {
    fn begin_table(&mut self, schema: Option<&str>, table: &str, columns: &[String]) -> Result<bool, SinkError> {
        Ok(DumpAdapter::begin_table(self, schema, table, columns)?)
    }
    fn row(&mut self, row: &CopyRow<'_>) -> Result<(), SinkError> {
        Ok(DumpAdapter::row(self, row)?)
    }
    fn end_table(&mut self) -> Result<(), SinkError> {
        Ok(DumpAdapter::end_table(self)?)
    }
}

fn read_from_dump(path: &Path, db_name: &str, specs: &[TableSpec], sink: &mut dyn TableSink, every: Option<&mut dyn EveryTable>) -> Result<u64> {
    let every = every.map(|e| e as &mut dyn EveryTable);
    let mut adapter = DumpAdapter { specs, sink, every, current: None, seen: vec![false; specs.len()], rows: 0 };
    read_dump(path, db_name, &mut adapter)?;
    for (spec, seen) in specs.iter().zip(&adapter.seen) {
        if !seen && !spec.optional {
            bail!("{}: the dump has no data for table {}.{} (is it a dump of the right database, made without --schema-only or table filters?)", path.display(), spec.schema, spec.name);
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
    fn begin_table(&mut self, _: Option<&str>, _: &str, _: &[String]) -> Result<bool, SinkError> {
        Ok(true)
    }
    fn row(&mut self, row: &CopyRow<'_>) -> Result<(), SinkError> {
        self.rows += 1;
        Ok(self.sink.row(self.index, &Row { row, map: &self.map })?)
    }
    fn end_table(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The settings pg_dump's `setup_connection` makes before it reads data, so values print as
/// they print in a dump: ISO dates, `postgres` intervals, floats to the last digit, row
/// security an error rather than a filter, no timeouts.
const DUMP_SESSION: &[&str] = &[
    "SET DateStyle = ISO",
    "SET IntervalStyle = postgres",
    "SET extra_float_digits TO 3",
    "SET synchronize_seqscans TO off",
    "SET statement_timeout = 0",
    "SET lock_timeout = 0",
    "SET idle_in_transaction_session_timeout = 0",
    "SET row_security = off",
];

/// The time zone pg_dump's session would have (timestamps with time zone print in it):
/// `PGTZ` if set, else the database's and role's setting, else the configuration file's,
/// else the server's log time zone (initdb writes both alike). sqlx asks for UTC at
/// connection, which pg_dump does not.
async fn dump_time_zone(conn: &mut sqlx::postgres::PgConnection) -> Option<String> {
    if let Some(tz) = std::env::var("PGTZ").ok().filter(|t| !t.is_empty()) {
        return Some(tz);
    }
    const DB_ROLE: &str = "SELECT split_part(cfg, '=', 2) FROM pg_catalog.pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) AS cfg \
        WHERE lower(split_part(cfg, '=', 1)) = 'timezone' \
          AND s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())) \
          AND s.setrole IN (0, (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)) \
        ORDER BY (s.setdatabase <> 0)::int + 2 * (s.setrole <> 0)::int DESC LIMIT 1";
    const FILE: &str = "SELECT setting FROM pg_catalog.pg_file_settings WHERE lower(name) = 'timezone' AND applied ORDER BY seqno DESC LIMIT 1";
    for query in [DB_ROLE, FILE, "SELECT current_setting('log_timezone')"] {
        if let Ok(Some(tz)) = sqlx::query_scalar::<_, String>(query).fetch_optional(&mut *conn).await
            && !tz.is_empty()
        {
            return Some(tz);
        }
    }
    None
}

fn read_from_server(url: &str, specs: &[TableSpec], sink: &mut dyn TableSink, every: Option<&mut dyn EveryTable>) -> Result<u64> {
    let shown = redact_url(url);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the database client runtime")?;
    runtime.block_on(async {
        use futures_util::StreamExt;
        use sqlx::Connection;

        let fail = |e: sqlx::Error| anyhow::anyhow!("{shown}: {}", one_line(&e.to_string()));
        let options: sqlx::postgres::PgConnectOptions = url.parse().with_context(|| format!("{shown}: not a valid PostgreSQL URL"))?;
        let mut conn = sqlx::postgres::PgConnection::connect_with(&options).await.map_err(|e| anyhow::anyhow!("{shown}: cannot connect: {}", one_line(&e.to_string())))?;
        for set in DUMP_SESSION {
            sqlx::query(*set).execute(&mut conn).await.map_err(fail)?;
        }
        if let Some(tz) = dump_time_zone(&mut conn).await {
            sqlx::query("SELECT set_config('TimeZone', $1, false)").bind(&tz).execute(&mut conn).await.map_err(fail)?;
        }
        // One snapshot for every table: a concurrent writer cannot tear the view.
        let mut tx =
            conn.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await.map_err(|e| anyhow::anyhow!("{shown}: cannot start a read-only transaction: {}", one_line(&e.to_string())))?;
        let mut total = 0u64;
        let Some(every) = every else {
            for (index, spec) in specs.iter().enumerate() {
                let found: Option<(i64, i64)> =
                    sqlx::query_as("SELECT c.oid::int8, n.oid::int8 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2")
                        .bind(spec.schema)
                        .bind(spec.name)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(fail)?;
                let Some((_, namespace)) = found else {
                    if spec.optional {
                        continue;
                    }
                    bail!("{shown}: the database has no table {}.{} (is it the right database?)", spec.schema, spec.name);
                };
                let columns: Vec<String> = spec.columns.iter().map(|c| quote_ident(c)).collect();
                let table = format!("{}.{}", quote_ident(spec.schema), quote_ident(spec.name));
                let statement = if spec.children.is_some() {
                    // The table and the tables inheriting it, of its own schema only.
                    format!("COPY (SELECT {} FROM {table} WHERE tableoid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = {namespace})) TO STDOUT", columns.join(", "))
                } else {
                    format!("COPY (SELECT {} FROM ONLY {table}) TO STDOUT", columns.join(", "))
                };
                let mut stream = tx.copy_out_raw(&statement).await.map_err(|e| anyhow::anyhow!("{shown}: reading table {}.{}: {}", spec.schema, spec.name, one_line(&e.to_string())))?;
                let mut decoder = CopyStreamDecoder::new(spec.columns.len());
                let mut adapter = StreamAdapter { sink, index, map: (0..spec.columns.len()).collect(), rows: 0 };
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|e| anyhow::anyhow!("{shown}: reading table {}.{}: {}", spec.schema, spec.name, one_line(&e.to_string())))?;
                    decoder.feed(&chunk, &mut adapter)?;
                }
                decoder.finish()?;
                total += adapter.rows;
            }
            tx.rollback().await.ok();
            return Ok(total);
        };
        // Every table, each read once: its rows go to the observer, and to the check when
        // the check reads it (matched by schema and name as in a dump, children by name).
        let version: i32 = sqlx::query_scalar("SELECT current_setting('server_version_num')::int").fetch_one(&mut *tx).await.map_err(fail)?;
        let generated = if version >= 120000 { "AND a.attgenerated = ''" } else { "" };
        let tables: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT c.oid::int8, n.nspname::text, c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND c.relpersistence <> 't' \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') \
             ORDER BY n.nspname, c.relname",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?;
        let mut adapter = DumpAdapter { specs, sink, every: Some(every), current: None, seen: vec![false; specs.len()], rows: 0 };
        for (oid, schema, name) in tables {
            let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped {generated} ORDER BY a.attnum"
            )))
            .bind(oid)
            .fetch_all(&mut *tx)
            .await
            .map_err(fail)?;
            let list = if columns.is_empty() { String::new() } else { format!(" ({})", columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")) };
            let statement = format!("COPY {}.{}{list} TO STDOUT", quote_ident(&schema), quote_ident(&name));
            adapter.begin_table(Some(&schema), &name, &columns).with_context(|| shown.clone())?;
            let mut stream = tx.copy_out_raw(&statement).await.map_err(|e| anyhow::anyhow!("{shown}: reading table {schema}.{name}: {}", one_line(&e.to_string())))?;
            let mut decoder = CopyStreamDecoder::new(columns.len());
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| anyhow::anyhow!("{shown}: reading table {schema}.{name}: {}", one_line(&e.to_string())))?;
                decoder.feed(&chunk, &mut adapter).with_context(|| format!("{shown}: table {schema}.{name}"))?;
            }
            decoder.finish()?;
            adapter.end_table()?;
        }
        for (spec, seen) in specs.iter().zip(&adapter.seen) {
            if !seen && !spec.optional {
                bail!("{shown}: the database has no table {}.{} (is it the right database?)", spec.schema, spec.name);
            }
        }
        total = adapter.rows;
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
