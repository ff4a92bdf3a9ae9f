//! The files of a check's inputs, as a manifest records them: each input in name order,
//! each tree depth-first with every directory sorted ([`super::file_order`]), so entries
//! stream out in manifest order and memory stays flat.

use std::io::Read;
use std::path::Path;

use anyhow::Result;

use std::collections::BTreeMap;

use super::{CoveredFiles, FileEntry, Input, InputKind, file_order, order_key};
use crate::engine::sink::Stats;

/// Calls `each` with every file of `inputs`, in manifest order. `covered`: directories the
/// check walked itself, by input, and their files in manifest order — merged in, not walked.
pub fn walk_inputs(inputs: &[Input], stats: &Stats, covered: Option<(BTreeMap<String, Vec<String>>, CoveredFiles)>, each: &mut dyn FnMut(FileEntry) -> Result<()>) -> Result<()> {
    let mut inputs: Vec<&Input> = inputs.iter().collect();
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    let (roots, files) = match covered {
        Some((roots, files)) => (roots, Some(files)),
        None => (BTreeMap::new(), None),
    };
    let mut files = files.map(|f| f.peekable());
    for input in inputs {
        let skip: &[String] = roots.get(&input.name).map(Vec::as_slice).unwrap_or_default();
        // The check's files of this input, merged in path order with the walk's.
        let mut merged = |entry: Option<FileEntry>| -> Result<()> {
            if let Some(files) = files.as_mut() {
                let until = entry.as_ref().map(|e| order_key(&e.input, &e.path)).unwrap_or_else(|| {
                    let mut end = order_key(&input.name, "");
                    end.push(0xff);
                    end
                });
                while let Some(f) = files.next_if(|f| f.as_ref().map_or(true, |f| f.input == input.name && order_key(&f.input, &f.path) < until)) {
                    each(f?)?;
                }
            }
            match entry {
                Some(e) => each(e),
                None => Ok(()),
            }
        };
        match input.kind {
            InputKind::File => {
                if let Some(entry) = file_entry(&input.name, input.addressed, &input.path, String::new(), stats) {
                    merged(Some(entry))?;
                }
            }
            InputKind::Tree => walk_tree(input, skip, stats, &mut |e| merged(Some(e)))?,
            InputKind::TreeOrArchive if input.path.is_dir() => walk_tree(input, skip, stats, &mut |e| merged(Some(e)))?,
            InputKind::TreeOrArchive => walk_archive(input, stats, &mut |e| merged(Some(e)))?,
        }
        merged(None)?;
    }
    Ok(())
}

fn walk_tree(input: &Input, skip: &[String], stats: &Stats, each: &mut dyn FnMut(FileEntry) -> Result<()>) -> Result<()> {
    let root = &input.path;
    let mut walk = walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // A directory that cannot be read: its files were not seen.
                let Some(path) = e.path() else { continue };
                let rel = relative(root, path);
                let error = e.io_error().map(|io| io.to_string()).unwrap_or_else(|| e.to_string());
                each(FileEntry::unreadable(&input.name, rel, error))?;
                continue;
            }
        };
        if entry.file_type().is_dir() {
            // A directory the check walked itself: its files come from the check.
            if !skip.is_empty() && skip.iter().any(|d| Path::new(root).join(d) == entry.path()) {
                walk.skip_current_dir();
            }
            continue;
        }
        let rel = relative(root, entry.path());
        // An object whose name is its content address: the directory entry says it is a
        // file, the name says its size — no stat, as the check's own walk needs none.
        if entry.file_type().is_file()
            && let Some(size) = input.addressed.and_then(|by_name| by_name(&rel))
        {
            stats.add_entries(1);
            each(FileEntry::addressed(&input.name, rel, size))?;
            continue;
        }
        if let Some(file) = file_entry(&input.name, input.addressed, entry.path(), rel, stats) {
            each(file)?;
        }
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// One file of a tree (or a single-file input) of the input `input`; `None` when it does
/// not exist. (The check's own walk makes its entries with this too.)
pub fn file_entry(input: &str, addressed: Option<fn(&str) -> Option<u64>>, path: &Path, rel: String, stats: &Stats) -> Option<FileEntry> {
    use std::os::unix::fs::FileTypeExt;
    if let Some(size) = addressed.and_then(|by_name| by_name(&rel))
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
    {
        stats.add_entries(1);
        return Some(FileEntry::addressed(input, rel, size));
    }
    let mut entry = FileEntry { input: input.to_string(), path: rel, kind: String::new(), size: None, blake3: None, addressed: false, error: None };
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
        match crate::engine::hash::open_nofollow(path).and_then(|f| hash(f, stats)) {
            Ok(h) => entry.blake3 = Some(h),
            Err(e) => {
                entry.kind = "unreadable".into();
                entry.error = Some(e.to_string());
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
    let unreadable = |error: String| FileEntry::unreadable(&input.name, String::new(), error);
    let mut file = match crate::engine::io::open_regular(&input.path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return each(unreadable(e.to_string())),
    };
    let mut magic = [0u8; 2];
    let gzip = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    if let Err(e) = std::io::Seek::rewind(&mut file) {
        return each(unreadable(e.to_string()));
    }
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
