//! What a person reads on a terminal cannot be steered by the data: names, messages and
//! excerpts of input are printed with their control characters escaped, the way `ls -b` and
//! git quote a path. The table and csv formats, the diff's table, and the error line all use
//! this; JSON and JSON Lines keep the exact text (JSON escapes control characters itself).
//!
//! `\a \b \t \n \v \f \r` for those, `\xNN` for the other C0 controls, DEL and any byte that
//! is not UTF-8, `\u{NN}` for the C1 controls (U+0080–U+009F, which some terminals obey as
//! escape sequences); everything else as it is, a backslash too.
//!
//! The escaping itself is [`repocheck_pgdump::escape`]'s, in its terminal style (the dump
//! reader's errors use the same escaper).

use std::borrow::Cow;

use repocheck_pgdump::escape::{self as esc, Style};

/// How many characters of input an error message quotes.
pub const EXCERPT_CHARS: usize = 40;

/// Text for a terminal: control characters escaped, the rest as it is.
pub fn text(s: &str) -> Cow<'_, str> {
    esc::text(s, Style::Terminal)
}

/// Bytes for a terminal: as [`text`], and each byte that is not UTF-8 as `\xNN`.
pub fn bytes(b: &[u8]) -> String {
    esc::excerpt(b, usize::MAX, Style::Terminal)
}

/// At most [`EXCERPT_CHARS`] characters of input, escaped, with `…` when there was more:
/// what an error message quotes of a bad line.
pub fn excerpt(b: &[u8]) -> String {
    esc::excerpt(b, EXCERPT_CHARS, Style::Terminal)
}

/// [`excerpt`] of a string.
pub fn excerpt_str(s: &str) -> String {
    excerpt(s.as_bytes())
}

/// A message for a terminal at most `max` characters long (escaped; `…` when cut): the last
/// guard of the error line, whatever a reader put in it.
pub fn clipped(s: &str, max: usize) -> String {
    let escaped = text(s);
    match escaped.char_indices().nth(max) {
        None => escaped.into_owned(),
        Some((at, _)) => format!("{}…", &escaped[..at]),
    }
}

/// A TOML error in one line: where, and what, quoting no more of the file than an excerpt
/// (toml's own Display quotes the whole line and draws a caret under it).
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = clipped(&e.message().split_whitespace().collect::<Vec<_>>().join(" "), 200);
    let Some(span) = e.span() else { return message };
    let at = span.start.min(text.len());
    let before = &text.as_bytes()[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map(|i| i + 1).unwrap_or(0);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    // What stands there, to the end of its line (toml's span may be empty).
    let rest = &text.as_bytes()[at..];
    let found = &rest[..rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())];
    if found.is_empty() { format!("line {line}, column {column}: {message}") } else { format!("line {line}, column {column}: {message} (at '{}')", excerpt(found)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_the_rest_kept() {
        assert_eq!(text("evil\x1b]0;PWNED\x07\x1b[31mred"), "evil\\x1b]0;PWNED\\a\\x1b[31mred");
        assert!(matches!(text("plain ünïcode \\ name"), Cow::Borrowed(_)));
        assert_eq!(text("a\tb\nc\rd\x7f\u{9b}"), "a\\tb\\nc\\rd\\x7f\\u{9b}");
        assert_eq!(bytes(b"ok\xff\xfe\x1b"), "ok\\xff\\xfe\\x1b");
    }

    #[test]
    fn an_excerpt_is_short_and_escaped() {
        let long = format!("{}\x1b{}", "a".repeat(10), "b".repeat(200_000));
        let e = excerpt(long.as_bytes());
        assert_eq!(e, format!("{}\\x1b{}…", "a".repeat(10), "b".repeat(29)));
        assert_eq!(excerpt(b"short"), "short");
        assert_eq!(excerpt(&[0xff; 100]).matches("\\xff").count(), EXCERPT_CHARS);
        assert_eq!(clipped("abc\x07def", 5), "abc\\a…");
        assert_eq!(clipped("abc", 5), "abc");
    }

    #[test]
    fn a_toml_error_names_its_line_and_quotes_an_excerpt() {
        let text = format!("name = \"x\"\nbad = {}\x1b\n", "y".repeat(5_000_000));
        let e = toml::from_str::<toml::Table>(&text).unwrap_err();
        let m = toml_error(&text, &e);
        assert!(m.starts_with("line 2, column 7: "), "{m}");
        assert!(m.len() < 400 && !m.contains('\x1b'), "{m}");
    }
}
