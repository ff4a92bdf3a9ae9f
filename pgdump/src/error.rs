//! The reader's limits and errors: how long a line or record may be, how much of the input an
//! error message may quote, and [`DumpError`], which says which table and where.

use std::fmt::{self, Write as _};
use std::io::{BufRead, Read};

/// The longest line, COPY row, INSERT row or statement, or archive TOC string read: 64 MiB.
/// FOSSology's and JS7's rows are a few hundred bytes; a longer record is damage (or a
/// decompression bomb), refused before it is held in memory whole.
pub const MAX_RECORD: usize = 64 << 20;

/// The limit as people read it.
pub(crate) const MAX_RECORD_TEXT: &str = "64 MiB";

/// The most characters of the input an error message quotes.
pub(crate) const QUOTE_CHARS: usize = 40;

/// Where in a dump an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// A line of a plain dump (from 1), or of a table's data in an archive.
    Line(u64),
    /// A byte offset in an archive (of its uncompressed stream).
    Byte(u64),
}

/// A dump that cannot be read, as [`super::read_dump`] returns it: one line for a person (the
/// input, what is wrong, the table and where when known, at most [`QUOTE_CHARS`] characters
/// of the input quoted, control and non-UTF-8 bytes escaped), and the table and position for
/// a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpError {
    /// The table whose data is damaged (`schema.table`), when one is.
    pub table: Option<String>,
    pub at: Option<At>,
    message: String,
}

impl DumpError {
    pub(crate) fn new(table: Option<String>, at: Option<At>, message: impl Into<String>) -> DumpError {
        DumpError { table, at, message: message.into() }
    }

    /// Damage in the data of `table` at `at`.
    pub(crate) fn damage(table: impl Into<String>, at: At, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(DumpError::new(Some(table.into()), Some(at), message))
    }

    /// Damage in the data of `table`, where is not known.
    pub(crate) fn in_table(table: impl Into<String>, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(DumpError::new(Some(table.into()), None, message))
    }

    /// The whole chain of `e`, made safe for a terminal, with the table and position the
    /// [`DumpError`]s in it give.
    pub(crate) fn of(e: &anyhow::Error) -> DumpError {
        let found: Vec<&DumpError> = e.chain().filter_map(|c| c.downcast_ref::<DumpError>()).collect();
        DumpError { table: found.iter().find_map(|d| d.table.clone()), at: found.iter().find_map(|d| d.at), message: escape_controls(&format!("{e:#}")) }
    }
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DumpError {}

fn unsafe_char(c: char) -> bool {
    // Controls, and the invisible characters that reorder or hide text.
    c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `text` with control characters escaped (`\n`, `\x1b`, `\u{202e}`).
pub(crate) fn escape_controls(text: &str) -> String {
    if !text.chars().any(unsafe_char) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) { push_escaped(&mut out, c) } else { out.push(c) }
    }
    out
}

/// Input bytes as a message quotes them: at most [`QUOTE_CHARS`] characters, then `…`;
/// control characters and bytes that are not UTF-8 escaped (`\x00`, `\xff`).
pub(crate) fn quote(bytes: &[u8]) -> String {
    quote_max(bytes, QUOTE_CHARS)
}

fn quote_max(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if n == max {
                out.push('…');
                return out;
            }
            if unsafe_char(c) {
                push_escaped(&mut out, c)
            } else {
                out.push(c)
            }
            n += 1;
        }
        for b in chunk.invalid() {
            if n == max {
                out.push('…');
                return out;
            }
            let _ = write!(out, "\\x{b:02x}");
            n += 1;
        }
    }
    out
}

/// A name (a table's, a schema's) as a message shows it: escaped as [`quote`] does, cut
/// after 64 characters (PostgreSQL's names have at most 63 bytes).
pub(crate) fn quote_name(name: &str) -> String {
    quote_max(name.as_bytes(), 64)
}

/// Why a line could not be read.
#[derive(Debug)]
pub(crate) enum LineError {
    /// Longer than the limit, no newline within it.
    TooLong,
    Io(std::io::Error),
}

impl LineError {
    /// The error, for line `number` (of the data of `table`, if given).
    pub(crate) fn at(self, number: u64, table: Option<&str>) -> anyhow::Error {
        match (self, table) {
            (LineError::Io(e), _) => anyhow::Error::new(e).context("cannot read the dump"),
            (LineError::TooLong, Some(t)) => {
                DumpError::damage(t, At::Line(number), format!("line {number}: a line longer than {MAX_RECORD_TEXT} (the limit of a row or statement) in the data of table {t}: the dump is damaged"))
            }
            (LineError::TooLong, None) => {
                anyhow::Error::new(DumpError::new(None, Some(At::Line(number)), format!("line {number}: a line longer than {MAX_RECORD_TEXT} (the limit of a row or statement): the dump is damaged")))
            }
        }
    }
}

/// Appends the next line of `reader` to `buf`, its `\n` included, reading at most `limit`
/// bytes besides the newline; `Ok(0)` at the end of the input.
pub(crate) fn read_line_max(reader: &mut dyn BufRead, buf: &mut Vec<u8>, limit: usize) -> Result<usize, LineError> {
    let start = buf.len();
    let n = (&mut *reader).take(limit as u64 + 1).read_until(b'\n', buf).map_err(LineError::Io)?;
    if n == limit + 1 && buf.last() != Some(&b'\n') {
        buf.truncate(start);
        return Err(LineError::TooLong);
    }
    Ok(n)
}

/// [`read_line_max`] with the limit [`MAX_RECORD`].
pub(crate) fn read_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> Result<usize, LineError> {
    read_line_max(reader, buf, MAX_RECORD)
}

/// Reads `reader` to its end, which must be white space only (what pg_dump writes after a
/// table's data), without holding it.
pub(crate) fn only_white_space(reader: &mut dyn Read) -> std::io::Result<bool> {
    let mut buf = [0u8; 1 << 14];
    let mut blank = true;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(blank),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if blank && !buf[..n].iter().all(u8::is_ascii_whitespace) {
            // Read on: a compressed stream must still be whole (its end mark checked).
            blank = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_short_and_escaped() {
        assert_eq!(quote(b"COPY public.t (a) FROM stdin;"), "COPY public.t (a) FROM stdin;");
        assert_eq!(quote(b"a\x1b]0;PWNED\x07\xff\n"), "a\\x1b]0;PWNED\\x07\\xff\\n");
        let long = quote(&[b'x'; 10_000]);
        assert_eq!(long.chars().count(), QUOTE_CHARS + 1);
        assert!(long.ends_with('…'));
        assert_eq!(quote("é\u{202e}".as_bytes()), "é\\u{202e}");
        assert_eq!(escape_controls("a\tb\u{9b}c"), "a\\tb\\x9bc");
    }

    #[test]
    fn lines_stop_at_the_limit() {
        let mut r = std::io::Cursor::new(b"abc\ndefgh\nij".to_vec());
        let mut buf = Vec::new();
        assert_eq!(read_line_max(&mut r, &mut buf, 4).unwrap(), 4);
        assert_eq!(buf, b"abc\n");
        buf.clear();
        assert!(matches!(read_line_max(&mut r, &mut buf, 4), Err(LineError::TooLong)));
        let mut r = std::io::Cursor::new(b"abcd\nij".to_vec());
        buf.clear();
        assert_eq!(read_line_max(&mut r, &mut buf, 4).unwrap(), 5, "the limit is of the line without its newline");
        buf.clear();
        assert_eq!(read_line_max(&mut r, &mut buf, 4).unwrap(), 2);
        buf.clear();
        assert_eq!(read_line_max(&mut r, &mut buf, 4).unwrap(), 0);
    }
}
