//! Table data dumped as INSERT statements (`pg_dump --inserts`, `--column-inserts`,
//! `--rows-per-insert`), read back into the values COPY would have given.
//!
//! `dumpTableData_insert` (pg_dump.c) writes `INSERT INTO schema.table [(columns)]
//! [OVERRIDING SYSTEM VALUE] VALUES (…)[,\n\t(…)…] [ON CONFLICT DO NOTHING];` (or `DEFAULT
//! VALUES` for a table without columns). Values: integers, floats, numeric and oid unquoted
//! when they are made only of `0-9 +-eE.` (else quoted, as `'NaN'`); booleans as `true` and
//! `false` (COPY gives `t` and `f`); bit strings as `B'0101'`; `NULL`; `DEFAULT` for a
//! generated column when the columns are not named; everything else as a string literal:
//! `'…'` with `''` for a quote, and backslashes doubled when `standard_conforming_strings` is
//! off (pg_dump writes no `E'…'`, but one is read with its escapes too).

use std::io::BufRead;
use std::ops::Range;

use crate::error::{Context, DumpError, Error, Result, bail};

use super::error::{MAX_RECORD, MAX_RECORD_TEXT, quote};

/// Bytes from a `BufRead`, one at a time, counting lines.
pub(crate) struct Src<R> {
    r: R,
    pub consumed: u64,
    pub newlines: u64,
    /// Newlines since the last byte that is not white space.
    trailing: u64,
    /// `consumed` past which reading is refused: [`MAX_RECORD`] after the start of the
    /// statement or row being read.
    limit: u64,
}

impl<R: BufRead> Src<R> {
    pub fn new(r: R) -> Self {
        Src { r, consumed: 0, newlines: 0, trailing: 0, limit: MAX_RECORD as u64 }
    }

    /// Starts a statement or row: at most [`MAX_RECORD`] bytes from here.
    fn start_record(&mut self) {
        self.limit = self.consumed + MAX_RECORD as u64;
    }

    fn too_long(&self) -> Error {
        Error::msg(format!("an INSERT row (or the space before a statement) longer than {MAX_RECORD_TEXT}, the limit: the dump is damaged"))
    }

    pub fn into_inner(self) -> R {
        self.r
    }

    pub fn peek(&mut self) -> Result<Option<u8>> {
        Ok(self.r.fill_buf().context("cannot read the dump")?.first().copied())
    }

    pub fn next(&mut self) -> Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            if self.consumed >= self.limit {
                return Err(self.too_long());
            }
            self.r.consume(1);
            self.consumed += 1;
            self.newlines += u64::from(b == b'\n');
            if b == b'\n' {
                self.trailing += 1;
            } else if !b.is_ascii_whitespace() {
                self.trailing = 0;
            }
        }
        Ok(b)
    }

    /// Newlines after the last byte that is not white space.
    pub fn trailing_newlines(&self) -> u64 {
        self.trailing
    }

    fn skip_ws(&mut self) -> Result<()> {
        while let Some(b) = self.peek()? {
            if !b.is_ascii_whitespace() {
                break;
            }
            self.next()?;
        }
        Ok(())
    }

    /// Skips white space and `-- …` comments; false at the end of the input.
    fn skip_ws_comments(&mut self) -> Result<bool> {
        loop {
            self.skip_ws()?;
            match self.peek()? {
                None => return Ok(false),
                Some(b'-') => {
                    let buf = self.r.fill_buf()?;
                    if buf.len() >= 2 && buf[1] == b'-' {
                        while let Some(b) = self.next()? {
                            if b == b'\n' {
                                break;
                            }
                        }
                    } else {
                        return Ok(true);
                    }
                }
                Some(_) => return Ok(true),
            }
        }
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        match self.next()? {
            Some(b) if b == c => Ok(()),
            Some(b) => bail!("expected '{}' but found '{}'", c as char, (b as char).escape_default()),
            None => bail!("the data ends inside an INSERT statement: it is truncated"),
        }
    }

    /// A run of word characters (letters, digits, `_ $ + - .`).
    fn word(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        while let Some(b) = self.peek()? {
            if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'+' | b'-' | b'.') || b >= 0x80 {
                out.push(b);
                self.next()?;
            } else {
                break;
            }
        }
        Ok(())
    }

    fn keyword(&mut self, word: &str) -> Result<()> {
        self.skip_ws()?;
        let mut w = Vec::new();
        self.identifier_word(&mut w)?;
        if !w.eq_ignore_ascii_case(word.as_bytes()) {
            bail!("expected {word} but found '{}'", quote(&w));
        }
        Ok(())
    }

    fn identifier_word(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        while let Some(b) = self.peek()? {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 {
                out.push(b);
                self.next()?;
            } else {
                break;
            }
        }
        Ok(())
    }

    /// An identifier: `"quoted"` (with `""`) or unquoted (folded to lower case).
    fn identifier(&mut self) -> Result<String> {
        self.skip_ws()?;
        if self.peek()? == Some(b'"') {
            self.next()?;
            let mut out = Vec::new();
            loop {
                match self.next()? {
                    None => bail!("the data ends inside a quoted identifier: it is truncated"),
                    Some(b'"') => {
                        if self.peek()? == Some(b'"') {
                            self.next()?;
                            out.push(b'"');
                        } else {
                            break;
                        }
                    }
                    Some(b) => out.push(b),
                }
            }
            return String::from_utf8(out).context("an identifier is not UTF-8");
        }
        let mut w = Vec::new();
        self.identifier_word(&mut w)?;
        if w.is_empty() {
            let found = self.peek()?.map(|b| (b as char).escape_default().to_string()).unwrap_or_else(|| "the end".into());
            bail!("expected an identifier but found '{found}'");
        }
        Ok(String::from_utf8(w).context("an identifier is not UTF-8")?.to_ascii_lowercase())
    }
}

/// The start of one INSERT statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InsertHeader {
    pub schema: Option<String>,
    pub table: String,
    /// The columns named (`--column-inserts`), else `None`.
    pub columns: Option<Vec<String>>,
    /// `DEFAULT VALUES`: one row with no fields.
    pub default_values: bool,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Null,
    /// `DEFAULT`: a generated column, which COPY leaves out.
    Default,
    Value(Range<usize>),
}

/// Parses INSERT statements; rows go into a reused buffer.
#[derive(Debug)]
pub(crate) struct InsertParser {
    /// `standard_conforming_strings`: when off, backslashes escape in `'…'` too.
    pub std_strings: bool,
    pub buf: Vec<u8>,
    pub fields: Vec<Field>,
    /// Rows read of the current statement; `None` between statements.
    rows_in_statement: Option<u64>,
    default_values: bool,
    word: Vec<u8>,
}

impl InsertParser {
    pub fn new(std_strings: bool) -> Self {
        InsertParser { std_strings, buf: Vec::new(), fields: Vec::new(), rows_in_statement: None, default_values: false, word: Vec::new() }
    }

    /// Reads up to `VALUES` of the next statement; `None` at the end of the input.
    pub fn header<R: BufRead>(&mut self, src: &mut Src<R>) -> Result<Option<InsertHeader>> {
        if self.rows_in_statement.is_some() {
            bail!("the previous INSERT statement was not read to its end");
        }
        src.start_record();
        if !src.skip_ws_comments()? {
            return Ok(None);
        }
        src.keyword("INSERT")?;
        src.keyword("INTO")?;
        let first = src.identifier()?;
        let (schema, table) = if src.peek()? == Some(b'.') {
            src.next()?;
            (Some(first), src.identifier()?)
        } else {
            (None, first)
        };
        src.skip_ws()?;
        let mut columns = None;
        if src.peek()? == Some(b'(') {
            src.next()?;
            let mut list = Vec::new();
            loop {
                list.push(src.identifier()?);
                src.skip_ws()?;
                match src.next()? {
                    Some(b',') => continue,
                    Some(b')') => break,
                    _ => bail!("a bad column list in an INSERT statement"),
                }
            }
            columns = Some(list);
        }
        src.skip_ws()?;
        let mut w = Vec::new();
        src.identifier_word(&mut w)?;
        if w.eq_ignore_ascii_case(b"OVERRIDING") {
            src.keyword("SYSTEM")?;
            src.keyword("VALUE")?;
            src.skip_ws()?;
            src.identifier_word(&mut w)?;
        }
        let default_values = if w.eq_ignore_ascii_case(b"DEFAULT") {
            src.keyword("VALUES")?;
            true
        } else if w.eq_ignore_ascii_case(b"VALUES") {
            false
        } else {
            bail!("expected VALUES but found '{}'", quote(&w));
        };
        self.rows_in_statement = Some(0);
        self.default_values = default_values;
        Ok(Some(InsertHeader { schema, table, columns, default_values }))
    }

    /// Reads the next row of the statement into `buf`/`fields`; false at its end (`;`).
    pub fn next_row<R: BufRead>(&mut self, src: &mut Src<R>) -> Result<bool> {
        let Some(rows) = self.rows_in_statement else { bail!("no INSERT statement is being read") };
        if rows > 0 {
            src.start_record();
        }
        self.buf.clear();
        self.fields.clear();
        if self.default_values {
            if rows == 0 {
                self.rows_in_statement = Some(1);
                return Ok(true);
            }
            self.end_statement(src)?;
            return Ok(false);
        }
        src.skip_ws()?;
        if rows > 0 {
            match src.peek()? {
                Some(b',') => {
                    src.next()?;
                    src.skip_ws()?;
                }
                _ => {
                    self.end_statement(src)?;
                    return Ok(false);
                }
            }
        }
        src.expect(b'(')?;
        loop {
            src.skip_ws()?;
            self.value(src)?;
            src.skip_ws()?;
            match src.next()? {
                Some(b',') => continue,
                Some(b')') => break,
                Some(b) => bail!("expected ',' or ')' after a value but found '{}'", (b as char).escape_default()),
                None => bail!("the data ends inside an INSERT statement: it is truncated"),
            }
        }
        self.rows_in_statement = Some(rows + 1);
        Ok(true)
    }

    /// `[ON CONFLICT DO NOTHING] ;`
    fn end_statement<R: BufRead>(&mut self, src: &mut Src<R>) -> Result<()> {
        src.skip_ws()?;
        if matches!(src.peek()?, Some(b'o' | b'O')) {
            src.keyword("ON")?;
            src.keyword("CONFLICT")?;
            src.keyword("DO")?;
            src.keyword("NOTHING")?;
            src.skip_ws()?;
        }
        src.expect(b';')?;
        self.rows_in_statement = None;
        Ok(())
    }

    fn value<R: BufRead>(&mut self, src: &mut Src<R>) -> Result<()> {
        let Some(first) = src.peek()? else { bail!("the data ends inside an INSERT statement: it is truncated") };
        if first == b'\'' {
            src.next()?;
            let start = self.buf.len();
            self.string(src, !self.std_strings)?;
            self.fields.push(Field::Value(start..self.buf.len()));
            return Ok(());
        }
        src.word(&mut self.word)?;
        if self.word.is_empty() {
            bail!("expected a value but found '{}'", (first as char).escape_default());
        }
        if src.peek()? == Some(b'\'') && self.word.len() == 1 {
            src.next()?;
            let start = self.buf.len();
            match self.word[0] {
                b'E' | b'e' => self.string(src, true)?,
                b'B' | b'b' => {
                    self.string(src, false)?;
                    if !self.buf[start..].iter().all(|b| matches!(b, b'0' | b'1')) {
                        bail!("a bit string with other digits than 0 and 1");
                    }
                }
                b'X' | b'x' => {
                    let hex_start = self.buf.len();
                    self.string(src, false)?;
                    let hex: Vec<u8> = self.buf.drain(hex_start..).collect();
                    for h in hex {
                        let v = (h as char).to_digit(16).context("a hexadecimal bit string with a non-hex digit")?;
                        self.buf.extend(format!("{v:04b}").bytes());
                    }
                }
                other => bail!("an unknown string prefix {}", other as char),
            }
            self.fields.push(Field::Value(start..self.buf.len()));
            return Ok(());
        }
        let w = &self.word;
        if w.eq_ignore_ascii_case(b"NULL") {
            self.fields.push(Field::Null);
        } else if w.eq_ignore_ascii_case(b"DEFAULT") {
            self.fields.push(Field::Default);
        } else if w.eq_ignore_ascii_case(b"true") {
            let start = self.buf.len();
            self.buf.push(b't');
            self.fields.push(Field::Value(start..start + 1));
        } else if w.eq_ignore_ascii_case(b"false") {
            let start = self.buf.len();
            self.buf.push(b'f');
            self.fields.push(Field::Value(start..start + 1));
        } else if w.iter().all(|b| b"0123456789+-eE.".contains(b)) && w.iter().any(u8::is_ascii_digit) {
            let start = self.buf.len();
            self.buf.extend_from_slice(w);
            self.fields.push(Field::Value(start..self.buf.len()));
        } else {
            bail!("an unexpected value '{}' in an INSERT statement", quote(w));
        }
        Ok(())
    }

    /// The rest of a string literal after its opening quote, decoded into `buf`.
    fn string<R: BufRead>(&mut self, src: &mut Src<R>, escapes: bool) -> Result<()> {
        loop {
            // Copy plain runs straight from the reader's buffer.
            let chunk = src.r.fill_buf().context("cannot read the dump")?;
            if chunk.is_empty() {
                bail!("the data ends inside a string literal: it is truncated");
            }
            let stop = chunk.iter().position(|&b| b == b'\'' || (escapes && b == b'\\')).unwrap_or(chunk.len());
            if stop > 0 {
                if src.consumed + stop as u64 > src.limit {
                    return Err(src.too_long());
                }
                let chunk = src.r.fill_buf().context("cannot read the dump")?;
                let run = &chunk[..stop];
                let newlines = run.iter().filter(|&&b| b == b'\n').count() as u64;
                self.buf.extend_from_slice(run);
                src.r.consume(stop);
                src.consumed += stop as u64;
                src.newlines += newlines;
                src.trailing = 0;
                continue;
            }
            match src.next()? {
                Some(b'\'') => {
                    if src.peek()? == Some(b'\'') {
                        src.next()?;
                        self.buf.push(b'\'');
                    } else {
                        return Ok(());
                    }
                }
                Some(b'\\') => self.escape(src)?,
                _ => unreachable!("stopped at a quote or backslash"),
            }
        }
    }

    /// A backslash escape of an `E'…'` string (or of `'…'` without standard strings).
    fn escape<R: BufRead>(&mut self, src: &mut Src<R>) -> Result<()> {
        let Some(c) = src.next()? else { bail!("the data ends inside a string literal: it is truncated") };
        match c {
            b'b' => self.buf.push(0x08),
            b'f' => self.buf.push(0x0c),
            b'n' => self.buf.push(b'\n'),
            b'r' => self.buf.push(b'\r'),
            b't' => self.buf.push(b'\t'),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match src.peek()? {
                        Some(d @ b'0'..=b'7') => {
                            src.next()?;
                            v = v * 8 + u32::from(d - b'0');
                        }
                        _ => break,
                    }
                }
                self.buf.push(v as u8);
            }
            b'x' => {
                let mut v = None::<u32>;
                for _ in 0..2 {
                    match src.peek()?.and_then(|d| (d as char).to_digit(16)) {
                        Some(d) => {
                            src.next()?;
                            v = Some(v.unwrap_or(0) * 16 + d);
                        }
                        None => break,
                    }
                }
                match v {
                    Some(v) => self.buf.push(v as u8),
                    None => self.buf.push(b'x'),
                }
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let mut v = 0u32;
                for _ in 0..n {
                    let d = src.next()?.and_then(|d| (d as char).to_digit(16)).context("a bad unicode escape in a string literal")?;
                    v = v * 16 + d;
                }
                let ch = char::from_u32(v).context("a unicode escape outside Unicode")?;
                let mut tmp = [0u8; 4];
                self.buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
            other => self.buf.push(other),
        }
        Ok(())
    }
}

/// Formats a value as pg_dump writes it (for tests and fuzzing): `kind` is the column's
/// type class.
#[doc(hidden)]
pub fn format_value(kind: ValueKind, value: Option<&[u8]>, std_strings: bool) -> Vec<u8> {
    let Some(v) = value else { return b"NULL".to_vec() };
    match kind {
        ValueKind::Number if v.iter().all(|b| b"0123456789 +-eE.".contains(b)) => v.to_vec(),
        ValueKind::Number => {
            let mut out = vec![b'\''];
            out.extend_from_slice(v);
            out.push(b'\'');
            out
        }
        ValueKind::Bool => {
            if v == b"t" {
                b"true".to_vec()
            } else {
                b"false".to_vec()
            }
        }
        ValueKind::Bits => {
            let mut out = b"B'".to_vec();
            out.extend_from_slice(v);
            out.push(b'\'');
            out
        }
        ValueKind::Text => {
            // appendStringLiteral: quotes doubled, and backslashes too without standard strings.
            let mut out = vec![b'\''];
            for &b in v {
                if b == b'\'' || (!std_strings && b == b'\\') {
                    out.push(b);
                }
                out.push(b);
            }
            out.push(b'\'');
            out
        }
    }
}

/// A column's type class, as `dumpTableData_insert` tells them apart.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Number,
    Bool,
    Bits,
    Text,
}

/// A statement's table and one of its rows' values (`None` for NULL).
#[doc(hidden)]
pub type ParsedRow = (InsertHeaderPublic, Vec<Option<Vec<u8>>>);

/// Parses `data` (INSERT statements) and returns each row's decoded values, for fuzzing.
#[doc(hidden)]
pub fn parse_all(data: &[u8], std_strings: bool) -> Result<Vec<ParsedRow>, DumpError> {
    parse_all_inner(data, std_strings).map_err(|e| e.into_dump_error(false))
}

fn parse_all_inner(data: &[u8], std_strings: bool) -> Result<Vec<ParsedRow>> {
    let mut src = Src::new(data);
    let mut p = InsertParser::new(std_strings);
    let mut out = Vec::new();
    while let Some(h) = p.header(&mut src)? {
        let public = InsertHeaderPublic { schema: h.schema.clone(), table: h.table.clone(), columns: h.columns.clone() };
        while p.next_row(&mut src)? {
            let row = p
                .fields
                .iter()
                .filter(|f| **f != Field::Default)
                .map(|f| match f {
                    Field::Value(r) => Some(p.buf[r.clone()].to_vec()),
                    _ => None,
                })
                .collect();
            out.push((public.clone(), row));
            if out.len() > 1_000_000 {
                bail!("too many rows");
            }
        }
    }
    Ok(out)
}

/// What [`parse_all`] says of a statement.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertHeaderPublic {
    pub schema: Option<String>,
    pub table: String,
    pub columns: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rows(sql: &str, std: bool) -> Vec<Vec<Option<String>>> {
        parse_all(sql.as_bytes(), std).unwrap().into_iter().map(|(_, r)| r.into_iter().map(|v| v.map(|b| String::from_utf8(b).unwrap())).collect()).collect()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.into())
    }

    #[test]
    fn pg_dump_statement_shapes() {
        let sql = "INSERT INTO public.t VALUES (1, 'a''b', NULL, true, B'0101', 'NaN', -1.5e+20);\n\
                   INSERT INTO public.t VALUES\n\t(2, 'x', NULL, false, B'', '1', 0),\n\t(3, 'multi\nline', NULL, false, B'1', '2', 3);\n\
                   INSERT INTO public.\"Odd \"\"T\"\"\" (\"A\", b) OVERRIDING SYSTEM VALUE VALUES (4, DEFAULT) ON CONFLICT DO NOTHING;\n\
                   INSERT INTO public.empty DEFAULT VALUES;\n\n\n";
        let all = parse_all(sql.as_bytes(), true).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[0].1.len(), 7);
        let r = rows(sql, true);
        assert_eq!(r[0], vec![s("1"), s("a'b"), None, s("t"), s("0101"), s("NaN"), s("-1.5e+20")]);
        assert_eq!(r[1], vec![s("2"), s("x"), None, s("f"), s(""), s("1"), s("0")]);
        assert_eq!(r[2][1], s("multi\nline"));
        assert_eq!(r[3], vec![s("4")], "DEFAULT (a generated column) is left out");
        assert_eq!(all[3].0.table, "Odd \"T\"");
        assert_eq!(all[3].0.columns, Some(vec!["A".to_string(), "b".to_string()]));
        assert_eq!(r[4], Vec::<Option<String>>::new());
        assert_eq!(all[4].0.table, "empty");
    }

    #[test]
    fn backslashes_follow_standard_conforming_strings() {
        assert_eq!(rows(r"INSERT INTO t VALUES ('a\b');", true)[0][0], s(r"a\b"));
        assert_eq!(rows(r"INSERT INTO t VALUES ('a\\b');", false)[0][0], s(r"a\b"));
        assert_eq!(rows(r"INSERT INTO t VALUES (E'\n\t\x41\101\u00e9\'');", true)[0][0], s("\n\tAAé'"));
        assert_eq!(rows("INSERT INTO t VALUES (X'1F');", true)[0][0], s("00011111"));
    }

    #[test]
    fn cut_or_bad_statements_are_errors() {
        let full = "INSERT INTO public.t VALUES (1, 'abc'), (2, 'def');\n";
        for cut in 1..full.len() - 1 {
            let r = parse_all(&full.as_bytes()[..cut], true);
            assert!(r.is_err(), "cut at {cut}: {r:?}");
        }
        for bad in ["INSERT INTO t VALUES (1 2);", "INSERT INTO t VALUES (foo);", "UPDATE t SET a = 1;", "INSERT INTO t VALUES (B'012');", "INSERT INTO t (a VALUES (1);"] {
            assert!(parse_all(bad.as_bytes(), true).is_err(), "{bad}");
        }
    }

    fn kind() -> impl Strategy<Value = ValueKind> {
        prop_oneof![Just(ValueKind::Number), Just(ValueKind::Bool), Just(ValueKind::Bits), Just(ValueKind::Text)]
    }

    fn value(kind: ValueKind) -> BoxedStrategy<Option<Vec<u8>>> {
        let v: BoxedStrategy<Vec<u8>> = match kind {
            ValueKind::Number => {
                prop_oneof!["-?[0-9]{1,12}(\\.[0-9]{1,6})?(e[+-][0-9]{1,3})?".prop_map(String::into_bytes), Just(b"NaN".to_vec()), Just(b"Infinity".to_vec()), Just(b"-Infinity".to_vec())].boxed()
            }
            ValueKind::Bool => prop_oneof![Just(b"t".to_vec()), Just(b"f".to_vec())].boxed(),
            ValueKind::Bits => "[01]{0,20}".prop_map(String::into_bytes).boxed(),
            ValueKind::Text => proptest::collection::vec(prop_oneof![any::<u8>().prop_filter("no NUL", |b| *b != 0), Just(b'\''), Just(b'\\'), Just(b'\n')], 0..40).boxed(),
        };
        proptest::option::of(v).boxed()
    }

    fn table() -> impl Strategy<Value = Vec<(ValueKind, Vec<Option<Vec<u8>>>)>> {
        (1usize..6, 0usize..7).prop_flat_map(|(ncols, nrows)| proptest::collection::vec(kind().prop_flat_map(move |k| (Just(k), proptest::collection::vec(value(k), nrows))), ncols))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Random values formatted as pg_dump writes them (any rows per statement, either
        /// string setting) read back as the same values.
        #[test]
        fn pg_dump_formatting_round_trips(table in table(), per_insert in 1usize..4, std_strings in any::<bool>(), named in any::<bool>()) {
            let nrows = table[0].1.len();
            let mut sql = Vec::new();
            let names: Vec<String> = (0..table.len()).map(|i| format!("\"c{i}\"")).collect();
            let mut in_statement = 0;
            for r in 0..nrows {
                if in_statement == 0 {
                    sql.extend_from_slice(b"INSERT INTO public.t ");
                    if named { sql.extend_from_slice(format!("({}) ", names.join(", ")).as_bytes()); }
                    sql.extend_from_slice(b"VALUES");
                }
                sql.extend_from_slice(if per_insert == 1 { b" (" } else if in_statement > 0 { b",\n\t(" } else { b"\n\t(" });
                for (c, (k, values)) in table.iter().enumerate() {
                    if c > 0 { sql.extend_from_slice(b", "); }
                    sql.extend(format_value(*k, values[r].as_deref(), std_strings));
                }
                sql.push(b')');
                in_statement += 1;
                if in_statement >= per_insert { sql.extend_from_slice(b";\n"); in_statement = 0; }
            }
            if in_statement > 0 { sql.extend_from_slice(b";\n"); }
            sql.extend_from_slice(b"\n\n");
            let parsed = parse_all(&sql, std_strings).unwrap();
            prop_assert_eq!(parsed.len(), nrows);
            for (r, (_, row)) in parsed.iter().enumerate() {
                for (c, (_, values)) in table.iter().enumerate() {
                    prop_assert_eq!(&row[c], &values[r]);
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), std in any::<bool>()) {
            let mut input = b"INSERT INTO public.t VALUES (".to_vec();
            input.extend_from_slice(&bytes);
            let _ = parse_all(&input, std);
            let _ = parse_all(&bytes, std);
        }
    }
}
