//! PostgreSQL's COPY text format: one row a line, fields separated by tabs, `\N` for NULL,
//! backslash escapes (`\\ \t \n \r \b \f \v`, octal `\NNN`, hex `\xHH`, any other `\c` = `c`).

use std::ops::Range;

use crate::error::{DumpError, Result, bail};

use super::CopySink;
use super::error::{MAX_RECORD, MAX_RECORD_TEXT};

/// Decodes lines into a reused buffer (no allocation per row once warm).
#[derive(Debug, Default)]
pub(crate) struct LineDecoder {
    buf: Vec<u8>,
    fields: Vec<Option<Range<usize>>>,
}

impl LineDecoder {
    /// Decodes one line (without its newline) that must have `columns` fields.
    pub(crate) fn decode(&mut self, line: &[u8], columns: usize) -> Result<()> {
        self.buf.clear();
        self.fields.clear();
        if columns == 0 && line.is_empty() {
            // A row of a table without columns.
            return Ok(());
        }
        for raw in line.split(|&b| b == b'\t') {
            if raw == b"\\N" {
                self.fields.push(None);
                continue;
            }
            let start = self.buf.len();
            if !raw.contains(&b'\\') {
                self.buf.extend_from_slice(raw);
            } else {
                unescape(raw, &mut self.buf);
            }
            self.fields.push(Some(start..self.buf.len()));
        }
        if self.fields.len() != columns {
            bail!("the row has {} fields, the COPY header names {columns} columns", self.fields.len());
        }
        Ok(())
    }

    pub(crate) fn row(&self) -> CopyRow<'_> {
        CopyRow { buf: &self.buf, fields: &self.fields }
    }
}

fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' || i + 1 == raw.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let c = raw[i + 1];
        i += 2;
        match c {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut k = 0;
                while k < 2 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                    v = v * 8 + u32::from(raw[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            b'x' if i < raw.len() && raw[i].is_ascii_hexdigit() => {
                let mut v = hex_value(raw[i]);
                i += 1;
                if i < raw.len() && raw[i].is_ascii_hexdigit() {
                    v = v * 16 + hex_value(raw[i]);
                    i += 1;
                }
                out.push(v);
            }
            other => out.push(other),
        }
    }
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// One decoded row; fields borrow the decoder's buffer.
#[derive(Debug, Clone, Copy)]
pub struct CopyRow<'a> {
    buf: &'a [u8],
    fields: &'a [Option<Range<usize>>],
}

impl<'a> CopyRow<'a> {
    /// A row over `buf`, each field a range of it (`None` for NULL).
    pub(crate) fn from_parts(buf: &'a [u8], fields: &'a [Option<Range<usize>>]) -> Self {
        CopyRow { buf, fields }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The field's bytes, `None` for NULL (or past the last field).
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.fields.get(i)?.clone().map(|r| &self.buf[r])
    }

    /// The field as text; an error ([`DumpError::Field`]) when it is not UTF-8.
    pub fn get_str(&self, i: usize) -> Result<Option<&'a str>, DumpError> {
        self.get(i).map(|b| std::str::from_utf8(b).map_err(|e| DumpError::field(i, format!("field {} is not UTF-8", i + 1), e))).transpose()
    }

    /// The field as an integer; an error ([`DumpError::Field`]) when it is not one.
    pub fn get_i64(&self, i: usize) -> Result<Option<i64>, DumpError> {
        match self.get_str(i)? {
            None => Ok(None),
            Some(s) => s.trim().parse().map(Some).map_err(|e| DumpError::field(i, format!("field {} ('{}') is not an integer", i + 1, s.chars().take(40).collect::<String>()), e)),
        }
    }
}

/// COPY text arriving in chunks (a live server's `COPY … TO STDOUT`): lines may be split
/// across chunks.
#[derive(Debug)]
pub struct CopyStreamDecoder {
    columns: usize,
    partial: Vec<u8>,
    line: LineDecoder,
    ended: bool,
}

impl CopyStreamDecoder {
    pub fn new(columns: usize) -> Self {
        CopyStreamDecoder { columns, partial: Vec::new(), line: LineDecoder::default(), ended: false }
    }

    /// Feeds a chunk; every complete line goes to `sink.row`. The error's message is the
    /// decoder's or the sink's, as it is (not escaped: the printer escapes it).
    pub fn feed(&mut self, chunk: &[u8], sink: &mut dyn CopySink) -> Result<(), DumpError> {
        self.feed_inner(chunk, sink).map_err(|e| e.into_dump_error(false))
    }

    fn feed_inner(&mut self, chunk: &[u8], sink: &mut dyn CopySink) -> Result<()> {
        let mut rest = chunk;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(pos);
            rest = &tail[1..];
            if self.partial.is_empty() {
                self.line_done(head, sink)?;
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(head);
                self.line_done(&line, sink)?;
                line.clear();
                self.partial = line;
            }
        }
        if self.partial.len() + rest.len() > MAX_RECORD {
            // As a dump's row is limited, so is a server's: both sources give one answer.
            bail!("a row longer than {MAX_RECORD_TEXT}, the limit");
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    fn line_done(&mut self, line: &[u8], sink: &mut dyn CopySink) -> Result<()> {
        if self.ended {
            bail!("data after the end marker of a COPY stream");
        }
        if line == b"\\." {
            self.ended = true;
            return Ok(());
        }
        self.line.decode(line, self.columns)?;
        Ok(sink.row(&self.line.row())?)
    }

    /// The end of the stream: a partial line left over is an error.
    pub fn finish(&mut self) -> Result<(), DumpError> {
        if !self.partial.is_empty() {
            return Err(DumpError::Damaged { table: None, at: None, message: "the COPY stream ended in the middle of a row".into() });
        }
        Ok(())
    }
}
