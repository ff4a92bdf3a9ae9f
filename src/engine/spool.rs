//! Lines on disk: findings or records written once and read back as often as needed, so a
//! pass over millions of them holds none in memory. Also the byte line the external sort
//! orders, for exact deduplication.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};

use anyhow::{Context, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::extsort::{SortRecord, codec};

/// JSON lines in a temporary file.
pub struct LineSpool {
    writer: BufWriter<File>,
}

impl LineSpool {
    pub fn new() -> Result<LineSpool> {
        Ok(LineSpool { writer: BufWriter::with_capacity(1 << 16, tempfile::tempfile().context("cannot create a temporary file")?) })
    }

    pub fn push(&mut self, value: &impl Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.writer, value)?;
        self.writer.write_all(b"\n")?;
        Ok(())
    }

    /// A line that is already JSON.
    pub fn push_raw(&mut self, line: &[u8]) -> Result<()> {
        self.writer.write_all(line)?;
        self.writer.write_all(b"\n")?;
        Ok(())
    }

    /// Every line from the start, parsed.
    pub fn read<T: DeserializeOwned>(&mut self) -> Result<impl Iterator<Item = Result<T>> + '_> {
        Ok(self.lines()?.map(|line| Ok(serde_json::from_str(&line?)?)))
    }

    /// Every line from the start, as it was written.
    pub fn lines(&mut self) -> Result<impl Iterator<Item = Result<String>> + '_> {
        self.writer.flush()?;
        let file = self.writer.get_mut();
        file.rewind()?;
        let reader = BufReader::with_capacity(1 << 16, file.try_clone()?);
        Ok(reader.lines().map(|line| line.context("cannot read a temporary file")))
    }
}

/// A line ordered by its bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line(pub Vec<u8>);

impl SortRecord for Line {
    fn mem_size(&self) -> usize {
        self.0.capacity()
    }
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        codec::put_bytes(out, &self.0)
    }
    fn read_from(input: &mut impl Read) -> io::Result<Option<Self>> {
        let Some(len) = codec::first_u64(input)? else { return Ok(None) };
        Ok(Some(Line(codec::get_bytes_len(input, len)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::extsort::ExternalSorter;

    #[test]
    fn lines_sort_and_read_back() {
        let mut sorter = ExternalSorter::new(0);
        for s in ["b", "a", "c", "a"] {
            sorter.push(Line(s.as_bytes().to_vec())).unwrap();
        }
        let sorted: Vec<Vec<u8>> = sorter.finish().unwrap().map(|l| l.unwrap().0).collect();
        assert_eq!(sorted, [b"a".to_vec(), b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        let mut spool = LineSpool::new().unwrap();
        spool.push(&1).unwrap();
        spool.push_raw(b"2").unwrap();
        let read: Vec<i64> = spool.read().unwrap().map(|v| v.unwrap()).collect();
        assert_eq!(read, [1, 2]);
        let again: Vec<i64> = spool.read().unwrap().map(|v| v.unwrap()).collect();
        assert_eq!(again, [1, 2]);
    }
}
