//! An external merge sort: records are sorted in memory up to a budget, spilled to
//! temporary files as sorted runs, and merged back. The streaming checks use it to put
//! database rows into repository order while keeping memory flat however many rows
//! there are.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};

use anyhow::{Context, Result};

/// A record that can be sorted externally: ordered, and written to and read from a run file.
pub trait SortRecord: Ord + Sized + Send {
    /// Approximate bytes this record occupies in memory (for the budget).
    fn mem_size(&self) -> usize;
    fn write_to(&self, out: &mut impl Write) -> io::Result<()>;
    /// `Ok(None)` at the end of the run.
    fn read_from(input: &mut impl Read) -> io::Result<Option<Self>>;
}

/// Collects records, spilling sorted runs to temporary files beyond `budget` bytes.
pub struct ExternalSorter<T: SortRecord> {
    buffer: Vec<T>,
    buffered_bytes: usize,
    budget: usize,
    runs: Vec<File>,
    pushed: u64,
}

impl<T: SortRecord> ExternalSorter<T> {
    pub fn new(budget_bytes: usize) -> Self {
        ExternalSorter { buffer: Vec::new(), buffered_bytes: 0, budget: budget_bytes.max(1 << 16), runs: Vec::new(), pushed: 0 }
    }

    pub fn push(&mut self, record: T) -> Result<()> {
        self.buffered_bytes += record.mem_size() + std::mem::size_of::<T>();
        self.buffer.push(record);
        self.pushed += 1;
        if self.buffered_bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.pushed
    }

    pub fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    fn spill(&mut self) -> Result<()> {
        self.buffer.sort_unstable();
        let file = tempfile::tempfile().context("cannot create a temporary file for sorting")?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        for record in self.buffer.drain(..) {
            record.write_to(&mut out).context("cannot write a sort run (is the temporary directory full?)")?;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error()).context("cannot write a sort run")?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(0)).context("cannot rewind a sort run")?;
        self.runs.push(file);
        self.buffered_bytes = 0;
        Ok(())
    }

    /// All records in order.
    pub fn finish(mut self) -> Result<SortedIter<T>> {
        if self.runs.is_empty() {
            self.buffer.sort_unstable();
            return Ok(SortedIter { memory: self.buffer.into_iter(), heap: BinaryHeap::new(), readers: Vec::new() });
        }
        if !self.buffer.is_empty() {
            self.spill()?;
        }
        let mut readers: Vec<BufReader<File>> = self.runs.into_iter().map(|f| BufReader::with_capacity(1 << 16, f)).collect();
        let mut heap = BinaryHeap::new();
        for (run, reader) in readers.iter_mut().enumerate() {
            if let Some(record) = T::read_from(reader).context("cannot read a sort run")? {
                heap.push(Head { record, run });
            }
        }
        Ok(SortedIter { memory: Vec::new().into_iter(), heap, readers })
    }
}

struct Head<T> {
    record: T,
    run: usize,
}

impl<T: Ord> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T: Ord> Eq for Head<T> {}
impl<T: Ord> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: Ord> Ord for Head<T> {
    // BinaryHeap is a max-heap: reverse for ascending order; ties by run keep it stable.
    fn cmp(&self, other: &Self) -> Ordering {
        other.record.cmp(&self.record).then_with(|| other.run.cmp(&self.run))
    }
}

/// The sorted records, from memory or merged from runs.
pub struct SortedIter<T: SortRecord> {
    memory: std::vec::IntoIter<T>,
    heap: BinaryHeap<Head<T>>,
    readers: Vec<BufReader<File>>,
}

impl<T: SortRecord> Iterator for SortedIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.readers.is_empty() {
            return self.memory.next().map(Ok);
        }
        let Head { record, run } = self.heap.pop()?;
        match T::read_from(&mut self.readers[run]) {
            Ok(Some(next)) => self.heap.push(Head { record: next, run }),
            Ok(None) => {}
            Err(e) => return Some(Err(anyhow::Error::new(e).context("cannot read a sort run"))),
        }
        Some(Ok(record))
    }
}

/// Helpers for writing records: little-endian integers and length-prefixed bytes.
pub mod codec {
    use std::io::{self, Read, Write};

    pub fn put_u64(out: &mut impl Write, v: u64) -> io::Result<()> {
        out.write_all(&v.to_le_bytes())
    }

    pub fn put_i64(out: &mut impl Write, v: i64) -> io::Result<()> {
        out.write_all(&v.to_le_bytes())
    }

    pub fn put_bytes(out: &mut impl Write, v: &[u8]) -> io::Result<()> {
        put_u64(out, v.len() as u64)?;
        out.write_all(v)
    }

    pub fn put_i64s(out: &mut impl Write, v: &[i64]) -> io::Result<()> {
        put_u64(out, v.len() as u64)?;
        v.iter().try_for_each(|x| put_i64(out, *x))
    }

    /// Reads the first u64 of a record; `None` at a clean end of the run.
    pub fn first_u64(input: &mut impl Read) -> io::Result<Option<u64>> {
        let mut buf = [0u8; 8];
        let mut filled = 0;
        while filled < 8 {
            match input.read(&mut buf[filled..])? {
                0 if filled == 0 => return Ok(None),
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => filled += n,
            }
        }
        Ok(Some(u64::from_le_bytes(buf)))
    }

    pub fn get_u64(input: &mut impl Read) -> io::Result<u64> {
        let mut buf = [0u8; 8];
        input.read_exact(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }

    pub fn get_i64(input: &mut impl Read) -> io::Result<i64> {
        Ok(get_u64(input)? as i64)
    }

    pub fn get_bytes_len(input: &mut impl Read, len: u64) -> io::Result<Vec<u8>> {
        let mut v = vec![0u8; len as usize];
        input.read_exact(&mut v)?;
        Ok(v)
    }

    pub fn get_bytes(input: &mut impl Read) -> io::Result<Vec<u8>> {
        let len = get_u64(input)?;
        get_bytes_len(input, len)
    }

    pub fn get_i64s(input: &mut impl Read) -> io::Result<Vec<i64>> {
        let len = get_u64(input)?;
        (0..len).map(|_| get_i64(input)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct Rec(String, i64);

    impl SortRecord for Rec {
        fn mem_size(&self) -> usize {
            self.0.len() + 8
        }
        fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
            codec::put_bytes(out, self.0.as_bytes())?;
            codec::put_i64(out, self.1)
        }
        fn read_from(input: &mut impl Read) -> io::Result<Option<Self>> {
            let Some(len) = codec::first_u64(input)? else { return Ok(None) };
            let s = String::from_utf8(codec::get_bytes_len(input, len)?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            Ok(Some(Rec(s, codec::get_i64(input)?)))
        }
    }

    proptest! {
        #[test]
        fn sorts_like_a_vec(records in proptest::collection::vec(("[a-f0-9]{0,12}", any::<i64>()), 0..600)) {
            // A tiny budget forces many runs.
            let mut sorter = ExternalSorter::new(0);
            sorter.budget = 256;
            let mut expected: Vec<Rec> = records.iter().map(|(s, n)| Rec(s.clone(), *n)).collect();
            for r in &expected {
                sorter.push(r.clone()).unwrap();
            }
            expected.sort();
            let got: Vec<Rec> = sorter.finish().unwrap().map(|r| r.unwrap()).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
