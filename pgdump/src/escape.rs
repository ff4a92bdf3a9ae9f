//! Text that is safe to show on a terminal: control characters (and the bytes that are not
//! UTF-8) escaped, the way `ls -b` and git quote a path, so data cannot steer the terminal.
//! This is the one escaper of repocheck: the dump reader's errors use it, and so do the
//! tool's printers (`repocheck::engine::escape`).
//!
//! Two styles, both with `\xNN` for each byte that is not UTF-8:
//! - [`Style::Terminal`], the printers': `\a \b \t \n \v \f \r` for those, `\xNN` for the
//!   other C0 controls and DEL, `\u{NN}` for the C1 controls (U+0080–U+009F, which some
//!   terminals obey as escape sequences); everything else as it is, a backslash too.
//! - [`Style::Message`], the dump reader's errors': `\n \r \t`, `\xNN` for the other
//!   controls up to U+00FF, `\u{…}` above; the invisible characters that hide or reorder text
//!   (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF) escaped too.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Which characters are escaped, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The printers' style (tables, csv, the error line).
    Terminal,
    /// The style of the dump reader's error messages.
    Message,
}

/// Whether `c` is shown escaped in `style`.
pub fn needs_escape(c: char, style: Style) -> bool {
    c.is_control() || (style == Style::Message && matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'))
}

/// Appends `c` to `out`, escaped when `style` escapes it.
pub fn push_escaped(out: &mut String, c: char, style: Style) {
    if !needs_escape(c, style) {
        out.push(c);
        return;
    }
    let named = match (c, style) {
        ('\t', _) => Some("\\t"),
        ('\n', _) => Some("\\n"),
        ('\r', _) => Some("\\r"),
        ('\x07', Style::Terminal) => Some("\\a"),
        ('\x08', Style::Terminal) => Some("\\b"),
        ('\x0b', Style::Terminal) => Some("\\v"),
        ('\x0c', Style::Terminal) => Some("\\f"),
        _ => None,
    };
    let hex_below = if style == Style::Terminal { 0x80 } else { 0x100 };
    match named {
        Some(name) => out.push_str(name),
        None if (c as u32) < hex_below => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        None => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` escaped in `style`; borrowed when nothing needs it.
pub fn text(s: &str, style: Style) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c, style)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c, style);
    }
    Cow::Owned(out)
}

/// At most `max` characters of `b` (an escaped byte that is not UTF-8 counts as one), escaped
/// in `style`, with `…` when there was more. `usize::MAX` for all of it.
pub fn excerpt(b: &[u8], max: usize, style: Style) -> String {
    let mut out = String::with_capacity(b.len().min(max.saturating_mul(4)));
    let mut shown = 0;
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if shown == max {
                out.push('…');
                return out;
            }
            push_escaped(&mut out, c, style);
            shown += 1;
        }
        for x in chunk.invalid() {
            if shown == max {
                out.push('…');
                return out;
            }
            let _ = write!(out, "\\x{x:02x}");
            shown += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_styles_differ_only_where_documented() {
        let s = "a\x07\x1b\t\u{9b}\u{202e}é\\";
        assert_eq!(text(s, Style::Terminal), "a\\a\\x1b\\t\\u{9b}\u{202e}é\\");
        assert_eq!(text(s, Style::Message), "a\\x07\\x1b\\t\\x9b\\u{202e}é\\");
        assert!(matches!(text("plain", Style::Message), Cow::Borrowed(_)));
        assert_eq!(excerpt(b"ab\xffcd", 3, Style::Terminal), "ab\\xff…");
        assert_eq!(excerpt(b"ab\xff", usize::MAX, Style::Message), "ab\\xff");
    }
}
