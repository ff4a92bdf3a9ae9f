//! Small I/O helpers the readers share: opening an input that must be a regular file without
//! ever blocking on a FIFO or touching a device, reading lines of bounded length, and reading
//! a small text file whole within a size limit.
//!
//! Every path a person gives as a file input goes through [`open_regular`] (or
//! [`check_regular`] when another reader opens it): a FIFO, socket, device or symlink loop is
//! refused before it is read, with what it is. Every line-oriented reader of outside input
//! reads through [`read_line`], which never holds more than its limit of one line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// The regular-file checks and [`read_full`] are the dump reader's, shared.
pub use repocheck_pgdump::io::{check_regular, check_regular_or_dir, file_type, kind_name, open_regular, read_full};

/// How a line read by [`read_line`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// With its newline (the last byte of the buffer).
    Newline,
    /// At the end of the input, without a newline.
    Eof,
    /// The line is longer than the limit: the buffer holds its first `max + 1` bytes and the
    /// input is left just after them ([`skip_line`] reads past the rest).
    TooLong,
}

/// Reads one line into `buf` (cleared first; the newline kept when there is one), holding at
/// most `max + 1` bytes of it. `None` at the end of the input.
pub fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Option<LineEnd>> {
    buf.clear();
    let n = r.by_ref().take(max as u64 + 1).read_until(b'\n', buf)?;
    Ok(if n == 0 {
        None
    } else if buf.last() == Some(&b'\n') {
        Some(LineEnd::Newline)
    } else if n > max {
        Some(LineEnd::TooLong)
    } else {
        Some(LineEnd::Eof)
    })
}

/// Reads past the rest of a line without keeping it: the bytes read, and whether a newline
/// ended it (else the input ended).
pub fn skip_line(r: &mut impl BufRead) -> io::Result<(u64, bool)> {
    let mut scratch = Vec::with_capacity(1 << 16);
    let mut total = 0u64;
    loop {
        scratch.clear();
        let n = r.by_ref().take(1 << 16).read_until(b'\n', &mut scratch)?;
        total += n as u64;
        if n == 0 {
            return Ok((total, false));
        }
        if scratch.last() == Some(&b'\n') {
            return Ok((total, true));
        }
    }
}

/// A byte count for a person: `1 MiB`, `64 MiB`, `1 GiB`, else bytes.
pub fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// The limit of [`read_line`] passed: which line, and the limit.
pub fn too_long(number: u64, max: usize) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("line {number} is longer than {} (the limit of a line of this input)", size(max as u64)))
}

/// Limits of a small text input read whole (configuration, site, status files).
#[derive(Debug, Clone, Copy)]
pub struct TextLimits {
    pub line: usize,
    pub total: u64,
}

/// Configuration files: `fossology.conf`, `Db.conf`, site and rule files.
pub const CONFIG: TextLimits = TextLimits { line: 1 << 20, total: 16 << 20 };

/// Reads a small text input whole from an open file: each line at most `limits.line` bytes,
/// the whole at most `limits.total`; bytes that are not UTF-8 are replaced.
pub fn read_text(file: File, limits: TextLimits) -> io::Result<String> {
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut out = Vec::new();
    let mut line = Vec::new();
    let mut number = 0u64;
    while let Some(end) = read_line(&mut r, &mut line, limits.line)? {
        number += 1;
        if end == LineEnd::TooLong {
            return Err(too_long(number, limits.line));
        }
        if (out.len() + line.len()) as u64 > limits.total {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("longer than {} (the limit of this input)", size(limits.total))));
        }
        out.extend_from_slice(&line);
    }
    Ok(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// [`open_regular`] then [`read_text`].
pub fn read_text_file(path: &Path, limits: TextLimits) -> io::Result<String> {
    read_text(open_regular(path)?, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_at_the_limit_and_skipped_past() {
        let input = b"short\nabcdefghij\nlast";
        let mut r = &input[..];
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, 8).unwrap(), Some(LineEnd::Newline));
        assert_eq!(buf, b"short\n");
        assert_eq!(read_line(&mut r, &mut buf, 8).unwrap(), Some(LineEnd::TooLong));
        assert_eq!(buf, b"abcdefghi");
        assert_eq!(skip_line(&mut r).unwrap(), (2, true));
        assert_eq!(read_line(&mut r, &mut buf, 8).unwrap(), Some(LineEnd::Eof));
        assert_eq!(buf, b"last");
        assert_eq!(read_line(&mut r, &mut buf, 8).unwrap(), None);
        // a line of exactly the limit, with its newline, is not too long
        let mut r = &b"12345678\n"[..];
        assert_eq!(read_line(&mut r, &mut buf, 8).unwrap(), Some(LineEnd::Newline));
        let mut r = &b"123456789"[..];
        assert_eq!(read_line(&mut r, &mut buf, 8).unwrap(), Some(LineEnd::TooLong));
        assert_eq!(skip_line(&mut r).unwrap(), (0, false));
    }

    #[test]
    fn a_regular_file_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x\n").unwrap();
        assert_eq!(read_text_file(&file, CONFIG).unwrap(), "x\n");
    }

    #[test]
    fn text_limits_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, format!("a\nb\n{}\n", "x".repeat(100))).unwrap();
        let e = read_text_file(&file, TextLimits { line: 50, total: 1000 }).unwrap_err();
        assert_eq!(e.to_string(), "line 3 is longer than 50 bytes (the limit of a line of this input)");
        let e = read_text_file(&file, TextLimits { line: 200, total: 50 }).unwrap_err();
        assert!(e.to_string().starts_with("longer than 50 bytes"), "{e}");
    }
}
