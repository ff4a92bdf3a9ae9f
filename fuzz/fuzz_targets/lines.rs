//! The bounded line reader and the terminal escaping every reader and printer shares: any
//! bytes, no panic, no line held past its limit, nothing lost or invented, and no control
//! character left in what a terminal is shown.
#![no_main]
use libfuzzer_sys::fuzz_target;
use repocheck::engine::escape;
use repocheck::engine::io::{LineEnd, read_line, skip_line};

fuzz_target!(|data: &[u8]| {
    // The first byte picks a small limit, so long lines are common.
    let Some((&limit, input)) = data.split_first() else { return };
    let max = (limit as usize % 64) + 1;
    let mut r = input;
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    while let Some(end) = read_line(&mut r, &mut buf, max).unwrap() {
        assert!(buf.len() <= max + 1, "held {} bytes past a limit of {max}", buf.len());
        seen.extend_from_slice(&buf);
        match end {
            LineEnd::Newline => assert_eq!(buf.last(), Some(&b'\n')),
            LineEnd::Eof => assert!(r.is_empty() && !buf.contains(&b'\n')),
            LineEnd::TooLong => {
                assert!(!buf.contains(&b'\n'));
                let before = r;
                let (n, newline) = skip_line(&mut r).unwrap();
                seen.extend_from_slice(&before[..n as usize]);
                assert_eq!(newline, before[..n as usize].last() == Some(&b'\n'));
            }
        }
    }
    assert_eq!(seen, input, "the lines and skipped rests are the input");

    let shown = escape::bytes(input);
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    let excerpt = escape::excerpt(input);
    assert!(!excerpt.chars().any(char::is_control) && excerpt.chars().count() <= escape::EXCERPT_CHARS * 10 + 1, "{excerpt:?}");
    let text = String::from_utf8_lossy(input);
    assert!(!escape::text(&text).chars().any(char::is_control));
    assert!(escape::clipped(&text, 20).chars().count() <= 21);
});
