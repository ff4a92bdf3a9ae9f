//! Every escaper of the printers, each once: what a format needs done to text that comes
//! from the data (names, subjects, messages, excerpts of input) so the data cannot steer
//! what reads it.
//!
//! - [`text`], [`bytes`], [`clipped`]: a terminal. Control characters are escaped the way
//!   `ls -b` and git quote a path: `\a \b \t \n \v \f \r` for those, `\xNN` for the other
//!   C0 controls, DEL and any byte that is not UTF-8, `\u{NN}` for the C1 controls
//!   (U+0080–U+009F, which some terminals obey as escape sequences); everything else as it
//!   is, a backslash too. The table and csv formats and the error line use this; JSON and
//!   JSON Lines keep the exact text (JSON escapes control characters itself).
//! - [`excerpt`], [`toml_error`]: the few characters of a bad input an error message quotes.
//! - [`html`]: HTML content and attribute values.
//! - [`xml`]: XML 1.0 content and attribute values (JUnit).
//! - [`prometheus_label`]: a label value of the Prometheus text format.
//!
//! The terminal escaping itself is [`repocheck_pgdump::escape`]'s, in its terminal style
//! (the dump reader's errors use the same escaper).

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

/// Text for HTML content and attribute values: the five characters markup gives meaning
/// (`& < > " '`) as references. Control characters other than tab and newline, which HTML
/// does not allow, are shown as a terminal shows them ([`text`]), so a name holding them
/// reads the same in every format.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match markup(c, "&#39;") {
            Some(entity) => out.push_str(entity),
            None if c == '\t' || c == '\n' => out.push(c),
            None if esc::needs_escape(c, Style::Terminal) => esc::push_escaped(&mut out, c, Style::Terminal),
            None => out.push(c),
        }
    }
    out
}

/// Text for XML 1.0 content and attribute values: the five predefined entities for
/// `& < > " '`, and U+FFFD for the C0 controls other than tab, newline and carriage
/// return, which XML 1.0 forbids even as character references (its `Char` production).
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match markup(c, "&apos;") {
            Some(entity) => out.push_str(entity),
            None if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => out.push('\u{FFFD}'),
            None => out.push(c),
        }
    }
    out
}

/// The reference for a character markup gives meaning, `apos` for the single quote (HTML
/// has no `&apos;` before HTML5, so the page uses `&#39;`).
fn markup(c: char, apos: &'static str) -> Option<&'static str> {
    Some(match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => apos,
        _ => return None,
    })
}

/// A label value of the Prometheus text exposition format, which escapes a backslash, a
/// double quote and a line feed, and nothing else.
pub fn prometheus_label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
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

    #[test]
    fn html_escapes_markup_quotes_and_control_characters() {
        assert_eq!(html("<img src=x onerror=\"a('b')\">&amp;"), "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;amp;");
        assert_eq!(html("a\u{0}b\u{1b}c\td\u{7}\r\n\u{9b}"), "a\\x00b\\x1bc\td\\a\\r\n\\u{9b}");
    }

    #[test]
    fn xml_escapes_markup_and_replaces_what_xml_forbids() {
        assert_eq!(xml("<a b=\"c\">'d' & e</a>"), "&lt;a b=&quot;c&quot;&gt;&apos;d&apos; &amp; e&lt;/a&gt;");
        assert_eq!(xml("a\u{0}b\u{1b}c\td\re\nf\u{7f}"), "a\u{FFFD}b\u{FFFD}c\td\re\nf\u{7f}");
        assert!(roxmltree::Document::parse(&format!("<t a=\"{0}\">{0}</t>", xml("\u{1}<&>\"'\u{1f}"))).is_ok());
    }

    #[test]
    fn a_prometheus_label_escapes_backslash_quote_and_newline() {
        assert_eq!(prometheus_label("a\\b\"c\nd\te"), "a\\\\b\\\"c\\nd\te");
        assert_eq!(prometheus_label("fossology/file-missing"), "fossology/file-missing");
    }
}
