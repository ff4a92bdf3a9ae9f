//! The digest of a table's rows: the same from a live server's `COPY … TO STDOUT` and from
//! every dump format, whatever order the rows come in.
//!
//! Each row is encoded canonically from its decoded field values (the text COPY gives,
//! after unescaping): per field, `0xff` for NULL, else `0x00`, the length as 8 bytes
//! little-endian, and the bytes. Its BLAKE3 is read as a 128-bit little-endian number; the
//! table's digest is the wrapping sum of those numbers, so the order of the rows does not
//! matter and a row added, lost or changed changes the sum.

use super::{Recorder, TableEntry};

/// The running digest of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableDigest {
    pub rows: u64,
    sum: u128,
}

impl TableDigest {
    /// Adds one row, its fields decoded (`None` is NULL).
    pub fn add_row<'a>(&mut self, fields: impl IntoIterator<Item = Option<&'a [u8]>>) {
        let mut hasher = blake3::Hasher::new();
        for field in fields {
            match field {
                None => {
                    hasher.update(&[0xff]);
                }
                Some(bytes) => {
                    hasher.update(&[0x00]);
                    hasher.update(&(bytes.len() as u64).to_le_bytes());
                    hasher.update(bytes);
                }
            }
        }
        let hash = hasher.finalize();
        let mut low = [0u8; 16];
        low.copy_from_slice(&hash.as_bytes()[..16]);
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(low));
        self.rows += 1;
    }

    pub fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

/// Digests every table of one database input as the check reads it, into a [`Recorder`].
pub struct TableRecorder<'r> {
    recorder: &'r Recorder,
    input: String,
    current: Option<(String, Vec<String>, TableDigest)>,
}

impl<'r> TableRecorder<'r> {
    pub(super) fn new(recorder: &'r Recorder, input: &str) -> TableRecorder<'r> {
        TableRecorder { recorder, input: input.to_string(), current: None }
    }

    /// A table starts: `schema.table` and its columns in order.
    pub fn begin(&mut self, schema: &str, table: &str, columns: &[String]) {
        self.current = Some((format!("{schema}.{table}"), columns.to_vec(), TableDigest::default()));
    }

    pub fn row<'a>(&mut self, fields: impl IntoIterator<Item = Option<&'a [u8]>>) {
        if let Some((_, _, digest)) = &mut self.current {
            digest.add_row(fields);
        }
    }

    /// The table is complete.
    pub fn end(&mut self) {
        if let Some((name, columns, digest)) = self.current.take() {
            self.recorder.add_table(TableEntry { input: self.input.clone(), name, columns, rows: digest.rows, digest: digest.hex() });
        }
    }
}

impl crate::engine::tables::EveryTable for TableRecorder<'_> {
    fn begin(&mut self, schema: &str, table: &str, columns: &[String]) -> anyhow::Result<()> {
        TableRecorder::begin(self, schema, table, columns);
        Ok(())
    }

    fn row(&mut self, fields: &[Option<&[u8]>]) -> anyhow::Result<()> {
        TableRecorder::row(self, fields.iter().copied());
        Ok(())
    }

    fn end(&mut self) -> anyhow::Result<()> {
        TableRecorder::end(self);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn digest(rows: &[Vec<Option<Vec<u8>>>]) -> TableDigest {
        let mut d = TableDigest::default();
        for row in rows {
            d.add_row(row.iter().map(|f| f.as_deref()));
        }
        d
    }

    proptest! {
        #[test]
        fn the_order_of_the_rows_does_not_matter(rows in proptest::collection::vec(proptest::collection::vec(proptest::option::of(proptest::collection::vec(any::<u8>(), 0..6)), 1..4), 0..12), seed in any::<u64>()) {
            let mut shuffled = rows.clone();
            let n = shuffled.len();
            for i in 0..n {
                shuffled.swap(i, (seed as usize).wrapping_mul(i + 7) % n.max(1));
            }
            prop_assert_eq!(digest(&rows), digest(&shuffled));
        }
    }

    #[test]
    fn null_empty_and_split_fields_differ() {
        let a = digest(&[vec![None]]);
        let b = digest(&[vec![Some(vec![])]]);
        assert_ne!(a, b);
        let c = digest(&[vec![Some(b"ab".to_vec()), Some(b"c".to_vec())]]);
        let d = digest(&[vec![Some(b"a".to_vec()), Some(b"bc".to_vec())]]);
        assert_ne!(c.hex(), d.hex());
        assert_ne!(digest(&[vec![Some(b"x".to_vec())]]).hex(), digest(&[vec![Some(b"x".to_vec())], vec![Some(b"x".to_vec())]]).hex());
    }
}
