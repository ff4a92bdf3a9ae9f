//! The files of a check's inputs, as a manifest records them: each input in name order,
//! each tree depth-first with every directory sorted ([`super::file_order`]), so entries
//! stream out in manifest order and memory stays flat.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::Result;

use super::{FileEntry, Input, InputKind, file_order};
use crate::engine::sink::Stats;

/// Calls `each` with every file of `inputs`, in manifest order.
pub fn walk_inputs(inputs: &[Input], stats: &Stats, each: &mut dyn FnMut(FileEntry) -> Result<()>) -> Result<()> {
    let mut inputs: Vec<&Input> = inputs.iter().collect();
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    for input in inputs {
        match input.kind {
            InputKind::File => {
                if let Some(entry) = file_entry(input, &input.path, String::new(), stats) {
                    each(entry)?;
                }
            }
            InputKind::Tree => walk_tree(input, stats, each)?,
            InputKind::TreeOrArchive if input.path.is_dir() => walk_tree(input, stats, each)?,
            InputKind::TreeOrArchive => walk_archive(input, stats, each)?,
        }
    }
    Ok(())
}

fn walk_tree(input: &Input, stats: &Stats, each: &mut dyn FnMut(FileEntry) -> Result<()>) -> Result<()> {
    let root = &input.path;
    for entry in walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // A directory that cannot be read: its files were not seen.
                let Some(path) = e.path() else { continue };
                let rel = relative(root, path);
                let error = e.io_error().map(|io| io.to_string()).unwrap_or_else(|| e.to_string());
                each(FileEntry { input: input.name.clone(), path: rel, kind: "unreadable".into(), size: None, blake3: None, addressed: false, error: Some(error) })?;
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = relative(root, entry.path());
        if let Some(file) = file_entry(input, entry.path(), rel, stats) {
            each(file)?;
        }
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// One file of a tree (or a single-file input); `None` when it does not exist.
fn file_entry(input: &Input, path: &Path, rel: String, stats: &Stats) -> Option<FileEntry> {
    use std::os::unix::fs::FileTypeExt;
    let mut entry = FileEntry { input: input.name.clone(), path: rel, kind: String::new(), size: None, blake3: None, addressed: false, error: None };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            entry.kind = "unreadable".into();
            entry.error = Some(e.to_string());
            return Some(entry);
        }
    };
    let t = meta.file_type();
    stats.add_entries(1);
    if t.is_symlink() {
        entry.kind = "symlink".into();
        match std::fs::read_link(path) {
            Ok(target) => {
                let text = target.to_string_lossy();
                entry.size = Some(text.len() as u64);
                entry.blake3 = Some(blake3::hash(text.as_bytes()).to_hex().to_string());
            }
            Err(e) => entry.error = Some(e.to_string()),
        }
    } else if t.is_file() {
        entry.kind = "file".into();
        entry.size = Some(meta.len());
        if input.addressed.is_some_and(|by_name| by_name(&entry.path)) {
            entry.addressed = true;
        } else {
            match crate::engine::hash::open_nofollow(path).and_then(|f| hash(f, stats)) {
                Ok(h) => entry.blake3 = Some(h),
                Err(e) => {
                    entry.kind = "unreadable".into();
                    entry.error = Some(e.to_string());
                }
            }
        }
    } else {
        entry.kind = if t.is_fifo() {
            "fifo"
        } else if t.is_socket() {
            "socket"
        } else {
            "device"
        }
        .into();
    }
    Some(entry)
}

fn hash(reader: impl Read, stats: &Stats) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let mut counted = Counted { inner: reader, stats };
    hasher.update_reader(&mut counted)?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// Counts the bytes hashed for the progress line.
struct Counted<'s, R> {
    inner: R,
    stats: &'s Stats,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.stats.add_hashed(n as u64);
        Ok(n)
    }
}

/// An archive's members stand for a tree: regular files hashed, links by their target.
/// Members come in the archive's order, so they are sorted before they go out; what
/// cannot be read past is one `unreadable` entry for the archive.
fn walk_archive(input: &Input, stats: &Stats, each: &mut dyn FnMut(FileEntry) -> Result<()>) -> Result<()> {
    let unreadable = |error: String| FileEntry { input: input.name.clone(), path: String::new(), kind: "unreadable".into(), size: None, blake3: None, addressed: false, error: Some(error) };
    let file = match File::open(&input.path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return each(unreadable(e.to_string())),
    };
    let mut magic = [0u8; 2];
    let gzip = File::open(&input.path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == [0x1f, 0x8b];
    let reader: Box<dyn Read> =
        if gzip { Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, file))) } else { Box::new(std::io::BufReader::with_capacity(1 << 20, file)) };
    let mut archive = tar::Archive::new(reader);
    let mut members = Vec::new();
    let mut damage = None;
    match archive.entries() {
        Err(e) => damage = Some(e.to_string()),
        Ok(entries) => {
            for entry in entries {
                let mut entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        damage = Some(e.to_string());
                        break;
                    }
                };
                let path = match entry.path() {
                    Ok(p) => p.to_string_lossy().trim_start_matches("./").trim_end_matches('/').to_string(),
                    Err(e) => {
                        damage = Some(e.to_string());
                        break;
                    }
                };
                let kind = entry.header().entry_type();
                if kind.is_dir() || path.is_empty() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() || kind.is_gnu_longname() || kind.is_gnu_longlink() {
                    continue;
                }
                stats.add_entries(1);
                let mut member = FileEntry { input: input.name.clone(), path, kind: "file".into(), size: Some(entry.size()), blake3: None, addressed: false, error: None };
                if kind.is_symlink() || kind.is_hard_link() {
                    member.kind = if kind.is_symlink() { "symlink" } else { "hardlink" }.into();
                    let target = entry.link_name().ok().flatten().map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
                    member.size = Some(target.len() as u64);
                    member.blake3 = Some(blake3::hash(target.as_bytes()).to_hex().to_string());
                } else if kind.is_file() || kind.is_contiguous() {
                    match hash(&mut entry, stats) {
                        Ok(h) => member.blake3 = Some(h),
                        Err(e) => {
                            damage = Some(e.to_string());
                            break;
                        }
                    }
                } else {
                    member.kind = "device".into();
                }
                members.push(member);
            }
        }
    }
    // A member named twice is extracted twice: the later one is what a restore leaves.
    members.sort_by(file_order);
    members.dedup_by(|later, earlier| {
        let same = later.path == earlier.path;
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });
    if let Some(d) = damage {
        each(unreadable(format!("the archive cannot be read to its end: {d}")))?;
    }
    for m in members {
        each(m)?;
    }
    Ok(())
}
