//! The manifest file: gzip-compressed JSON Lines.
//!
//! ```text
//! {"format":"repocheck-manifest/1","tool":{…},"product":"fossology","inputs":{…},"level":"size","created_at":"…"}
//! {"file":{"input":"repo","path":"localhost/files/40/3c/2b/403c…35328","type":"file","size":35328,"addressed":true}}
//! {"file":{"input":"conf","path":"fossology.conf","type":"file","size":1712,"blake3":"…"}}
//! {"table":{"input":"db","name":"public.pfile","columns":[…],"rows":345,"digest":"…"}}
//! {"end":{"files":2,"tables":1,"blake3":"…"}}
//! ```
//! Files come first, in [`super::file_order`], then tables by input and name. The last
//! line holds the counts and the BLAKE3 of every byte before it (uncompressed), so a
//! damaged, cut or edited manifest is refused, never compared.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Entry;
use crate::engine::report::Tool;

/// The format this version writes and reads.
pub const FORMAT: &str = "repocheck-manifest/1";

/// The first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub tool: Tool,
    pub product: String,
    /// The inputs as given when it was recorded (URLs redacted).
    pub inputs: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub created_at: String,
}

impl Header {
    pub fn new(product: &str, inputs: Map<String, Value>, level: Option<String>) -> Header {
        Header { format: FORMAT.to_string(), tool: Tool::current(), product: product.to_string(), inputs, level, created_at: crate::engine::report::rfc3339(time::OffsetDateTime::now_utc()) }
    }
}

/// The last line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    files: u64,
    tables: u64,
    blake3: String,
}

#[derive(Serialize, Deserialize)]
struct EndLine {
    end: End,
}

/// Writes a manifest beside its final name and renames it when complete.
pub struct ManifestWriter {
    out: GzEncoder<BufWriter<tempfile::NamedTempFile>>,
    hasher: blake3::Hasher,
    path: PathBuf,
    files: u64,
    tables: u64,
}

impl ManifestWriter {
    pub fn create(path: &Path, header: &Header) -> Result<ManifestWriter> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("--manifest-out {}: cannot write in {}", path.display(), dir.display()))?;
        let mut writer =
            ManifestWriter { out: GzEncoder::new(BufWriter::with_capacity(1 << 16, tmp), flate2::Compression::fast()), hasher: blake3::Hasher::new(), path: path.to_path_buf(), files: 0, tables: 0 };
        writer.line(header)?;
        Ok(writer)
    }

    fn line(&mut self, value: &impl Serialize) -> Result<()> {
        let mut bytes = serde_json::to_vec(value)?;
        bytes.push(b'\n');
        self.hasher.update(&bytes);
        self.out.write_all(&bytes).with_context(|| format!("--manifest-out {}: cannot write", self.path.display()))
    }

    pub fn entry(&mut self, entry: &Entry) -> Result<()> {
        match entry {
            Entry::File(_) => self.files += 1,
            Entry::Table(_) => self.tables += 1,
        }
        self.line(entry)
    }

    /// Writes the end line and puts the file in place.
    pub fn finish(mut self) -> Result<()> {
        let end = EndLine { end: End { files: self.files, tables: self.tables, blake3: self.hasher.finalize().to_hex().to_string() } };
        let mut bytes = serde_json::to_vec(&end)?;
        bytes.push(b'\n');
        let shown = self.path.display().to_string();
        self.out.write_all(&bytes).with_context(|| format!("--manifest-out {shown}: cannot write"))?;
        let buffered = self.out.finish().with_context(|| format!("--manifest-out {shown}: cannot write"))?;
        let tmp = buffered.into_inner().map_err(|e| e.into_error()).with_context(|| format!("--manifest-out {shown}: cannot write"))?;
        tmp.as_file().sync_all().with_context(|| format!("--manifest-out {shown}: cannot write"))?;
        tmp.persist(&self.path).with_context(|| format!("--manifest-out {shown}: cannot write"))?;
        Ok(())
    }
}

/// Reads a manifest line by line, checking its end line when it gets there.
pub struct ManifestReader {
    lines: BufReader<MultiGzDecoder<BufReader<File>>>,
    hasher: blake3::Hasher,
    header: Header,
    path: PathBuf,
    files: u64,
    tables: u64,
    done: bool,
    line: Vec<u8>,
    /// The number of the last line read.
    number: u64,
}

impl ManifestReader {
    /// Opens a manifest and reads its header: a format this version does not read is an
    /// error naming it.
    pub fn open(path: &Path) -> Result<ManifestReader> {
        let shown = path.display();
        let file = crate::engine::io::open_regular(path).with_context(|| format!("--against {shown}: cannot open the manifest"))?;
        let mut lines = BufReader::with_capacity(1 << 16, MultiGzDecoder::new(BufReader::new(file)));
        let mut line = Vec::new();
        let mut number = 0;
        read_line(&mut lines, &mut line, &mut number).with_context(|| format!("--against {shown}: not a repocheck manifest (not gzip-compressed JSON Lines)"))?;
        let value: Value = serde_json::from_slice(&line).with_context(|| format!("--against {shown}: not a repocheck manifest (its first line is not JSON)"))?;
        match value.get("format").and_then(Value::as_str) {
            Some(FORMAT) => {}
            Some(other) => bail!("--against {shown}: a manifest in format {other}, which this version of repocheck does not read (it reads {FORMAT})"),
            None => bail!("--against {shown}: not a repocheck manifest (no format in its first line)"),
        }
        let header: Header = serde_json::from_value(value).with_context(|| format!("--against {shown}: its header is damaged"))?;
        let mut hasher = blake3::Hasher::new();
        hasher.update(&line);
        Ok(ManifestReader { lines, hasher, header, path: path.to_path_buf(), files: 0, tables: 0, done: false, line, number })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next entry; `None` after the end line, once the checksum and counts are right.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        if self.done {
            return Ok(None);
        }
        let shown = format!("--against {}", self.path.display());
        if !read_line(&mut self.lines, &mut self.line, &mut self.number).with_context(|| format!("{shown}: the manifest is damaged"))? {
            bail!("{shown}: the manifest ends without its end line: it is truncated");
        }
        if self.line.starts_with(b"{\"end\":") {
            let end: EndLine = serde_json::from_slice(&self.line).with_context(|| format!("{shown}: the manifest's end line is damaged"))?;
            let sum = self.hasher.finalize().to_hex().to_string();
            if sum != end.end.blake3 || end.end.files != self.files || end.end.tables != self.tables {
                bail!("{shown}: the manifest's checksum does not match its content: it was damaged or edited after it was written");
            }
            let mut rest = Vec::new();
            if read_line(&mut self.lines, &mut rest, &mut self.number).with_context(|| format!("{shown}: the manifest is damaged"))? {
                bail!("{shown}: the manifest has lines after its end line: it was edited after it was written");
            }
            self.done = true;
            return Ok(None);
        }
        self.hasher.update(&self.line);
        let entry: Entry = serde_json::from_slice(&self.line).with_context(|| format!("{shown}: the manifest has a damaged line"))?;
        match entry {
            Entry::File(_) => self.files += 1,
            Entry::Table(_) => self.tables += 1,
        }
        Ok(Some(entry))
    }
}

/// The longest manifest line read (a file's path and digests, or a table's columns).
pub const MAX_LINE: usize = 16 << 20;

/// One line with its newline; false at the end of the stream. A last line without a
/// newline is damage, and so is a line longer than [`MAX_LINE`].
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>, number: &mut u64) -> Result<bool> {
    use crate::engine::io::{LineEnd, read_line, too_long};
    let Some(end) = read_line(input, line, MAX_LINE)? else { return Ok(false) };
    *number += 1;
    match end {
        LineEnd::Newline => Ok(true),
        LineEnd::Eof => bail!("its last line is cut off"),
        LineEnd::TooLong => Err(too_long(*number, MAX_LINE).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::manifest::{FileEntry, TableEntry};

    fn sample(dir: &Path) -> PathBuf {
        let path = dir.join("m.gz");
        let mut w = ManifestWriter::create(&path, &Header::new("fossology", Map::new(), Some("size".into()))).unwrap();
        w.entry(&Entry::File(FileEntry { input: "repo".into(), path: "a/b".into(), kind: "file".into(), size: Some(3), blake3: Some("x".into()), addressed: false, error: None })).unwrap();
        w.entry(&Entry::Table(TableEntry { input: "db".into(), name: "public.t".into(), columns: vec!["a".into()], rows: 1, digest: "y".into() })).unwrap();
        w.finish().unwrap();
        path
    }

    fn read_all(path: &Path) -> Result<Vec<Entry>> {
        let mut r = ManifestReader::open(path)?;
        let mut all = Vec::new();
        while let Some(e) = r.next_entry()? {
            all.push(e);
        }
        Ok(all)
    }

    fn rewrite(path: &Path, edit: impl Fn(String) -> String) {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut MultiGzDecoder::new(File::open(path).unwrap()), &mut text).unwrap();
        let mut enc = GzEncoder::new(File::create(path).unwrap(), flate2::Compression::fast());
        enc.write_all(edit(text).as_bytes()).unwrap();
        enc.finish().unwrap();
    }

    #[test]
    fn round_trips_and_refuses_any_edit() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        assert_eq!(read_all(&path).unwrap().len(), 2);

        rewrite(&path, |t| t.replace("\"size\":3", "\"size\":4"));
        let e = read_all(&path).unwrap_err();
        assert!(format!("{e:#}").contains("checksum does not match"), "{e:#}");

        let path = sample(dir.path());
        rewrite(&path, |t| t.lines().filter(|l| !l.contains("\"table\"")).map(|l| format!("{l}\n")).collect());
        assert!(format!("{:#}", read_all(&path).unwrap_err()).contains("checksum"));

        let path = sample(dir.path());
        rewrite(&path, |t| t.lines().take(2).map(|l| format!("{l}\n")).collect());
        assert!(format!("{:#}", read_all(&path).unwrap_err()).contains("truncated"));

        let path = sample(dir.path());
        rewrite(&path, |t| t.replace(FORMAT, "repocheck-manifest/9"));
        assert!(format!("{:#}", read_all(&path).unwrap_err()).contains("format repocheck-manifest/9, which this version of repocheck does not read"));

        let path = sample(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(read_all(&path).is_err());
    }
}
