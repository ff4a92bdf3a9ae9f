//! The column order of the tables a dump creates, from its `CREATE TABLE` statements: the
//! order the values of a plain `--inserts` statement (no column names) follow.
//!
//! pg_dump writes one column a line (`    name type …`), table constraints as
//! `CONSTRAINT name …`, and leaves inherited columns to the parents named in
//! `INHERITS (…)` (or `PARTITION OF parent`). A restored table has its parents' columns
//! first, merged by name, then its own (`MergeAttributes`). Generated columns
//! (`GENERATED ALWAYS AS (…)`) are written as `DEFAULT` by `--inserts` and left out by COPY.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result, bail};

/// One column of a `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    pub generated: bool,
}

/// What a `CREATE TABLE` says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct TableDef {
    pub schema: Option<String>,
    pub name: String,
    pub columns: Vec<Column>,
    /// `INHERITS (…)` or `PARTITION OF …`: (schema, name).
    pub parents: Vec<(Option<String>, String)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String, bool),
    Punct(char),
    Str,
    Other,
}

fn tokens(sql: &str) -> Vec<Tok> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"' {
            let mut s = Vec::new();
            i += 1;
            while i < b.len() {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        s.push(b'"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                s.push(b[i]);
                i += 1;
            }
            i += 1;
            out.push(Tok::Ident(String::from_utf8_lossy(&s).into_owned(), true));
        } else if c == b'\'' {
            i += 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Str);
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                i += 1;
            }
            out.push(Tok::Ident(sql[start..i].to_ascii_lowercase(), false));
        } else if matches!(c, b'(' | b')' | b',' | b'.' | b';') {
            out.push(Tok::Punct(c as char));
            i += 1;
        } else {
            out.push(Tok::Other);
            i += 1;
        }
    }
    out
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Ident(w, false)) if w == kw)
}

fn qname(t: &[Tok], at: &mut usize) -> Result<(Option<String>, String)> {
    let Some(Tok::Ident(first, _)) = t.get(*at) else { bail!("expected a table name") };
    *at += 1;
    if t.get(*at) == Some(&Tok::Punct('.')) {
        let Some(Tok::Ident(second, _)) = t.get(*at + 1) else { bail!("expected a table name after '.'") };
        *at += 2;
        return Ok((Some(first.clone()), second.clone()));
    }
    Ok((None, first.clone()))
}

/// The items of a parenthesized list starting at `t[*at] == '('`, each as its tokens.
fn items<'t>(t: &'t [Tok], at: &mut usize) -> Result<Vec<&'t [Tok]>> {
    if t.get(*at) != Some(&Tok::Punct('(')) {
        bail!("expected '('");
    }
    *at += 1;
    let mut depth = 0;
    let mut start = *at;
    let mut out = Vec::new();
    while let Some(tok) = t.get(*at) {
        match tok {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') if depth == 0 => {
                if *at > start {
                    out.push(&t[start..*at]);
                }
                *at += 1;
                return Ok(out);
            }
            Tok::Punct(')') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                out.push(&t[start..*at]);
                start = *at + 1;
            }
            _ => {}
        }
        *at += 1;
    }
    bail!("an unterminated '('")
}

/// The name of the table a `CREATE [UNLOGGED|FOREIGN|…] TABLE` creates, and the position after it.
fn created_name(t: &[Tok]) -> Result<(usize, Option<String>, String)> {
    let mut at = t.iter().position(|x| is_kw(Some(x), "create")).ok_or_else(|| Error::msg("no CREATE"))? + 1;
    while !is_kw(t.get(at), "table") {
        match t.get(at) {
            Some(Tok::Ident(w, false)) if ["unlogged", "foreign", "temporary", "temp", "global", "local"].contains(&w.as_str()) => at += 1,
            _ => bail!("not a CREATE TABLE statement"),
        }
    }
    at += 1;
    if is_kw(t.get(at), "if") {
        at += 3; // IF NOT EXISTS
    }
    let (schema, name) = qname(t, &mut at)?;
    Ok((at, schema, name))
}

/// The (schema, name) of the first `CREATE … TABLE` statement of `sql`, also when its
/// columns cannot be read (a typed table).
pub(crate) fn create_table_name(sql: &str) -> Option<(Option<String>, String)> {
    created_name(&tokens(sql)).ok().map(|(_, schema, name)| (schema, name))
}

/// Parses the first `CREATE [UNLOGGED|FOREIGN|…] TABLE` statement of `sql`.
pub(crate) fn parse_create_table(sql: &str) -> Result<TableDef> {
    let t = tokens(sql);
    let (mut at, schema, name) = created_name(&t)?;
    let mut def = TableDef { schema, name, ..TableDef::default() };
    if is_kw(t.get(at), "partition") && is_kw(t.get(at + 1), "of") {
        at += 2;
        def.parents.push(qname(&t, &mut at)?);
    } else if is_kw(t.get(at), "of") {
        bail!("a typed table (CREATE TABLE … OF type): its columns are not listed");
    }
    if t.get(at) == Some(&Tok::Punct('(')) {
        for item in items(&t, &mut at)? {
            match item.first() {
                Some(Tok::Ident(w, false)) if ["constraint", "check", "primary", "unique", "foreign", "exclude", "like"].contains(&w.as_str()) => continue,
                Some(Tok::Ident(w, _)) => {
                    let generated = item.windows(4).any(|x| is_kw(Some(&x[0]), "generated") && is_kw(Some(&x[1]), "always") && is_kw(Some(&x[2]), "as") && x[3] == Tok::Punct('('));
                    def.columns.push(Column { name: w.clone(), generated });
                }
                _ => bail!("cannot read a column of CREATE TABLE {}", def.name),
            }
        }
    }
    while let Some(tok) = t.get(at) {
        if *tok == Tok::Punct(';') {
            break;
        }
        if is_kw(Some(tok), "inherits") {
            at += 1;
            let list = items(&t, &mut at)?;
            for item in list {
                let mut i = 0;
                def.parents.push(qname(item, &mut i)?);
            }
            continue;
        }
        at += 1;
    }
    Ok(def)
}

/// Whether `sql` holds a whole statement: a `;` outside quotes and parentheses.
pub(crate) fn statement_complete(sql: &[u8]) -> bool {
    let (mut depth, mut quote) = (0i32, None::<u8>);
    for &c in sql {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'\'' | b'"' => quote = Some(c),
                b'(' => depth += 1,
                b')' => depth -= 1,
                b';' if depth <= 0 => return true,
                _ => {}
            },
        }
    }
    false
}

/// The tables a dump creates, by (schema, name).
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    tables: HashMap<(String, String), TableDef>,
    /// Every table created, its columns read or not.
    created: HashSet<(String, String)>,
}

impl Catalog {
    /// Adds a table; an unqualified name is in `default_schema`.
    pub fn add(&mut self, mut def: TableDef, default_schema: &str) {
        let schema = def.schema.get_or_insert_with(|| default_schema.to_string()).clone();
        for p in &mut def.parents {
            p.0.get_or_insert_with(|| schema.clone());
        }
        self.created.insert((schema.clone(), def.name.clone()));
        self.tables.insert((schema, def.name.clone()), def);
    }

    /// Notes a table created whose columns are not known.
    pub fn note(&mut self, schema: Option<String>, name: String, default_schema: &str) {
        self.created.insert((schema.unwrap_or_else(|| default_schema.to_string()), name));
    }

    /// Whether the dump creates `schema.name`.
    pub fn creates(&self, schema: &str, name: &str) -> bool {
        self.created.contains(&(schema.to_string(), name.to_string()))
    }

    /// No table created (a `pg_dump --data-only` dump).
    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
    }

    pub fn clear(&mut self) {
        self.tables.clear();
        self.created.clear();
    }

    /// Every column in the order of the restored table, parents' first.
    pub fn all_columns(&self, schema: &str, name: &str) -> Option<Vec<Column>> {
        self.columns_at(schema, name, 0)
    }

    fn columns_at(&self, schema: &str, name: &str, depth: usize) -> Option<Vec<Column>> {
        if depth > 64 {
            return None;
        }
        let def = self.tables.get(&(schema.to_string(), name.to_string()))?;
        let mut out: Vec<Column> = Vec::new();
        for (ps, pn) in &def.parents {
            for c in self.columns_at(ps.as_deref().unwrap_or(schema), pn, depth + 1)? {
                if !out.iter().any(|o| o.name == c.name) {
                    out.push(c);
                }
            }
        }
        for c in &def.columns {
            match out.iter_mut().find(|o| o.name == c.name) {
                Some(o) => o.generated = c.generated,
                None => out.push(c.clone()),
            }
        }
        Some(out)
    }

    /// The columns COPY gives (generated ones left out).
    pub fn copy_columns(&self, schema: &str, name: &str) -> Option<Vec<String>> {
        Some(self.all_columns(schema, name)?.into_iter().filter(|c| !c.generated).map(|c| c.name).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_dump_create_tables() {
        let d = parse_create_table(
            "CREATE TABLE public.\"Awk\"\"ward\" (\n    id integer NOT NULL,\n    \"Text, Value\" text DEFAULT 'a,b'::text,\n    twice integer GENERATED ALWAYS AS ((id * 2)) STORED,\n    ident bigint GENERATED ALWAYS AS IDENTITY,\n    CONSTRAINT c CHECK ((id > 0))\n);\n\nALTER TABLE x;",
        )
        .unwrap();
        assert_eq!(d.schema.as_deref(), Some("public"));
        assert_eq!(d.name, "Awk\"ward");
        let names: Vec<(&str, bool)> = d.columns.iter().map(|c| (c.name.as_str(), c.generated)).collect();
        assert_eq!(names, vec![("id", false), ("Text, Value", false), ("twice", true), ("ident", false)]);
        let child = parse_create_table("CREATE UNLOGGED TABLE s.child (\n    extra text,\n    CONSTRAINT k CHECK ((a = 1))\n)\nINHERITS (public.parent, s.other);").unwrap();
        assert_eq!(child.parents, vec![(Some("public".into()), "parent".into()), (Some("s".into()), "other".into())]);
        let part = parse_create_table("CREATE TABLE public.p1 PARTITION OF public.p\nFOR VALUES FROM (1) TO (10);").unwrap();
        assert_eq!(part.parents, vec![(Some("public".into()), "p".into())]);
        assert!(part.columns.is_empty());
        assert!(parse_create_table("CREATE VIEW public.v AS SELECT 1;").is_err());
    }

    #[test]
    fn inherited_columns_come_first_merged_by_name() {
        let mut c = Catalog::default();
        c.add(parse_create_table("CREATE TABLE public.parent (a int, b int);").unwrap(), "public");
        c.add(parse_create_table("CREATE TABLE public.other (b int, z int GENERATED ALWAYS AS ((b)) STORED);").unwrap(), "public");
        c.add(parse_create_table("CREATE TABLE public.child (\n    c int,\n    a int\n)\nINHERITS (public.parent, public.other);").unwrap(), "public");
        let names: Vec<String> = c.all_columns("public", "child").unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, vec!["a", "b", "z", "c"]);
        assert_eq!(c.copy_columns("public", "child").unwrap(), vec!["a", "b", "c"]);
        assert!(c.all_columns("public", "missing").is_none());
    }

    #[test]
    fn statements_end_at_a_free_semicolon() {
        assert!(!statement_complete(b"CREATE TABLE t (\n    a text CHECK (a <> ';'),\n"));
        assert!(statement_complete(b"CREATE TABLE t (\n    a text CHECK (a <> ';')\n);"));
        assert!(!statement_complete(b"CREATE TABLE \"a;b\" ("));
    }
}
