//! The reader's limits and errors: how long a line or record may be, how much of the input an
//! error message may quote, and [`DumpError`], which says which table and where.
//!
//! Inside the reader an error is an [`Error`]: its message and the contexts around it, as
//! `anyhow` chains them (`outer: inner: cause`), and the table and position of the damage
//! when known. [`crate::read_dump`] makes it one [`DumpError`] line.

use std::error::Error as StdError;
use std::fmt::{self, Display};
use std::io::{BufRead, Read};

use crate::escape::{self, Style};

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

/// What a [`crate::CopySink`] fails with: any error of the caller's (an `anyhow::Error`
/// converts into it with `?` or `.into()`).
pub type SinkError = Box<dyn StdError + Send + Sync + 'static>;

/// An error of the reader, as [`crate::read_dump`], [`crate::CopyStreamDecoder`] and
/// [`crate::CopyRow`] return it.
///
/// The message (its `Display`) is one line for a person: what is wrong, the table and where
/// when known; from [`crate::read_dump`] it names the input, quotes at most 40 characters of
/// it, and has control and non-UTF-8 bytes escaped. The message already holds the text of
/// the cause ([`DumpError::Io`], [`DumpError::Sink`]), so the cause is not its `source()`;
/// only a [`DumpError::Field`]'s is.
#[derive(Debug)]
#[non_exhaustive]
pub enum DumpError {
    /// The dump cannot be read as one: damaged, truncated, not a dump, of an archive version
    /// this reader does not know, or over a limit ([`MAX_RECORD`]).
    Damaged {
        /// The table whose data is damaged (`schema.table`), when one is.
        table: Option<String>,
        at: Option<At>,
        message: String,
    },
    /// The input could not be opened or read (for a compressed input, also a stream the
    /// decompressor refused).
    Io { table: Option<String>, at: Option<At>, message: String, cause: std::io::Error },
    /// The sink refused what it was given.
    Sink { table: Option<String>, at: Option<At>, message: String, cause: SinkError },
    /// A field of a row is not of the type asked for ([`crate::CopyRow::get_str`],
    /// [`crate::CopyRow::get_i64`]); `field` counts from 0, the message from 1.
    Field { field: usize, message: String, cause: Box<dyn StdError + Send + Sync + 'static> },
}

impl DumpError {
    /// The table whose data is damaged (`schema.table`), when known.
    pub fn table(&self) -> Option<&str> {
        match self {
            DumpError::Damaged { table, .. } | DumpError::Io { table, .. } | DumpError::Sink { table, .. } => table.as_deref(),
            DumpError::Field { .. } => None,
        }
    }

    /// Where the damage is, when known.
    pub fn at(&self) -> Option<At> {
        match self {
            DumpError::Damaged { at, .. } | DumpError::Io { at, .. } | DumpError::Sink { at, .. } => *at,
            DumpError::Field { .. } => None,
        }
    }

    /// The message, as `Display` shows it.
    pub fn message(&self) -> &str {
        match self {
            DumpError::Damaged { message, .. } | DumpError::Io { message, .. } | DumpError::Sink { message, .. } | DumpError::Field { message, .. } => message,
        }
    }

    /// Field `field` (from 0) is not of its type: `message` names it, `cause` says why.
    pub(crate) fn field(field: usize, message: String, cause: impl StdError + Send + Sync + 'static) -> DumpError {
        DumpError::Field { field, message, cause: Box::new(cause) }
    }
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl StdError for DumpError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            DumpError::Field { cause, .. } => Some(&**cause),
            _ => None,
        }
    }
}

/// The cause at the root of an [`Error`], kept for [`DumpError`]'s variant.
#[derive(Debug)]
enum Cause {
    None,
    Io(std::io::Error),
    Sink(SinkError),
}

/// An error inside the reader: the messages from the outermost context to the root cause,
/// and the table and position of the damage.
#[derive(Debug)]
pub(crate) struct Error {
    chain: Vec<String>,
    table: Option<String>,
    at: Option<At>,
    cause: Cause,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// The messages of `e` and of its sources, outermost first.
fn chain_of(e: &(dyn StdError + 'static)) -> Vec<String> {
    let mut chain = vec![e.to_string()];
    let mut next = e.source();
    while let Some(s) = next {
        chain.push(s.to_string());
        next = s.source();
    }
    chain
}

impl Error {
    /// An error with `message` alone.
    pub(crate) fn msg(message: impl Display) -> Error {
        Error { chain: vec![message.to_string()], table: None, at: None, cause: Cause::None }
    }

    /// An error with `message`, in the data of `table` (when known) at `at` (when known).
    pub(crate) fn located(table: Option<String>, at: Option<At>, message: impl Display) -> Error {
        Error { table, at, ..Error::msg(message) }
    }

    /// Damage in the data of `table` at `at`.
    pub(crate) fn damage(table: impl Into<String>, at: At, message: impl Display) -> Error {
        Error::located(Some(table.into()), Some(at), message)
    }

    /// Damage in the data of `table`, where is not known.
    pub(crate) fn in_table(table: impl Into<String>, message: impl Display) -> Error {
        Error::located(Some(table.into()), None, message)
    }

    /// `self` with `context` around it.
    pub(crate) fn context(mut self, context: impl Display) -> Error {
        self.chain.insert(0, context.to_string());
        self
    }

    /// `self` with `context` around it, which names the table and where (when it does, the
    /// outer context's table and position are the error's).
    pub(crate) fn context_at(self, table: Option<String>, at: Option<At>, context: impl Display) -> Error {
        let mut e = self.context(context);
        e.table = table.or(e.table);
        e.at = at.or(e.at);
        e
    }

    /// Whether an I/O error is at its root (a decompressor's error is one).
    pub(crate) fn is_io(&self) -> bool {
        match &self.cause {
            Cause::None => false,
            Cause::Io(_) => true,
            Cause::Sink(e) => {
                let mut next: Option<&(dyn StdError + 'static)> = Some(&**e);
                while let Some(s) = next {
                    if s.is::<std::io::Error>() {
                        return true;
                    }
                    next = s.source();
                }
                false
            }
        }
    }

    /// The public error: its message the whole chain, made safe for a terminal when `escape`.
    pub(crate) fn into_dump_error(self, escape: bool) -> DumpError {
        let message = self.chain.join(": ");
        let message = if escape { escape::text(&message, Style::Message).into_owned() } else { message };
        let Error { table, at, cause, .. } = self;
        match cause {
            Cause::None => DumpError::Damaged { table, at, message },
            Cause::Io(cause) => DumpError::Io { table, at, message, cause },
            Cause::Sink(cause) => DumpError::Sink { table, at, message, cause },
        }
    }
}

impl fmt::Display for Error {
    /// The outermost message; with `{:#}` the whole chain, as `anyhow` shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() { f.write_str(&self.chain.join(": ")) } else { f.write_str(&self.chain[0]) }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error { chain: chain_of(&e), table: None, at: None, cause: Cause::Io(e) }
    }
}

impl From<SinkError> for Error {
    fn from(e: SinkError) -> Error {
        Error { chain: chain_of(&*e), table: None, at: None, cause: Cause::Sink(e) }
    }
}

impl From<DumpError> for Error {
    fn from(e: DumpError) -> Error {
        let (table, at) = (e.table().map(str::to_string), e.at());
        match e {
            DumpError::Damaged { message, .. } => Error::located(table, at, message),
            DumpError::Io { message, cause, .. } => Error { chain: vec![message], table, at, cause: Cause::Io(cause) },
            DumpError::Sink { message, cause, .. } => Error { chain: vec![message], table, at, cause: Cause::Sink(cause) },
            e @ DumpError::Field { .. } => Error { chain: chain_of(&e), table, at, cause: Cause::None },
        }
    }
}

/// Errors of the standard library that are damage in the dump, their text the message.
macro_rules! damage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Error {
                Error { chain: chain_of(&e), table: None, at: None, cause: Cause::None }
            }
        }
    )*};
}
damage_from!(std::str::Utf8Error, std::string::FromUtf8Error, std::num::TryFromIntError, std::num::ParseIntError);

/// `anyhow::Context` for the reader's [`Error`].
pub(crate) trait Context<T> {
    fn context<C: Display>(self, context: C) -> Result<T>;
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

impl<T> Context<T> for Option<T> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.ok_or_else(|| Error::msg(context))
    }
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.ok_or_else(|| Error::msg(f()))
    }
}

/// `anyhow::bail!` for the reader's [`Error`].
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::msg(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// Input bytes as a message quotes them: at most [`QUOTE_CHARS`] characters, then `…`;
/// control characters and bytes that are not UTF-8 escaped (`\x00`, `\xff`).
pub(crate) fn quote(bytes: &[u8]) -> String {
    escape::excerpt(bytes, QUOTE_CHARS, Style::Message)
}

/// A name (a table's, a schema's) as a message shows it: escaped as [`quote`] does, cut
/// after 64 characters (PostgreSQL's names have at most 63 bytes).
pub(crate) fn quote_name(name: &str) -> String {
    escape::excerpt(name.as_bytes(), 64, Style::Message)
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
    pub(crate) fn at(self, number: u64, table: Option<&str>) -> Error {
        match (self, table) {
            (LineError::Io(e), _) => Error::from(e).context("cannot read the dump"),
            (LineError::TooLong, Some(t)) => {
                Error::damage(t, At::Line(number), format!("line {number}: a line longer than {MAX_RECORD_TEXT} (the limit of a row or statement) in the data of table {t}: the dump is damaged"))
            }
            (LineError::TooLong, None) => {
                Error::located(None, Some(At::Line(number)), format!("line {number}: a line longer than {MAX_RECORD_TEXT} (the limit of a row or statement): the dump is damaged"))
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
        assert_eq!(escape::text("a\tb\u{9b}c", Style::Message), "a\\tb\\x9bc");
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
