//! The `uploadtree` shape ununpack gives an upload (`src/ununpack/agent/traverse.c`,
//! `utils.c` `DBInsertUploadTree`), built from the archive's bytes.
//!
//! What ununpack does, and this mirrors:
//! - The uploaded file is the top row, named `upload_filename`, mode `st_mode & 0177000` of
//!   the repository copy (`fo_RepImport` made it `S_ISGID|0664`, so `0102000`), plus the
//!   container bit when it unpacks.
//! - A container is unpacked into `<name>.dir/`; that directory is a row of its own named
//!   `artifact.dir` (artifact and container bits, no pfile), and what came out of it hangs
//!   below (`TreeDaoTest.php`: `archive.tar.gz` → `artifact.dir` → `archive.tar` →
//!   `artifact.dir` → …).
//! - A gzip stream decompresses to one file named after the archive with its last suffix
//!   removed (`RemovePostfix`: `x.tar.gz` → `x.tar`, `x.crate` → `x`, `x.tgz` → `x`); it is an
//!   ordinary file (a container if it is a tar), not an artifact.
//! - Modes are masked per unpacker (`ununpack_globals.h`): gzip keeps `0177000` of files and
//!   directories, tar `0177000` of directories and all of `0177777` of files. The
//!   repository's directories are set-gid (`chmod 2770`), so every directory made while
//!   unpacking is too: `040000|02000`. tar runs as fossy, so member permissions lose the
//!   umask (022).
//! - Every regular file gets a pfile, empty ones too; directories, symlinks and other
//!   entries get `pfile_fk` 0.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{Context, Result};

/// `ufile_mode` bits (`src/ununpack/agent/utils.c` enum BITS).
pub const BIT_CONTAINER: i64 = 1 << 29;
pub const BIT_ARTIFACT: i64 = 1 << 28;
/// The top row's mode bits: `S_IFREG|S_ISGID` of the repository copy under mask `0177000`.
pub const TOP_FILE: i64 = 0o102000;
/// A directory made under the set-gid repository, under mask `0177000`.
pub const DIR: i64 = 0o042000;
/// A file gzip wrote, under gzip's mask `0177000`.
pub const GZIP_OUTPUT: i64 = 0o100000;
const UMASK: u32 = 0o022;
/// How deep archives inside archives are unpacked (ununpack stops repeating names at 3).
const MAX_NESTING: u32 = 8;

/// One row-to-be of `uploadtree`.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub mode: i64,
    /// The content of a regular file (it gets a pfile); `None` for directories and others.
    pub content: Option<Vec<u8>>,
    /// What produced this file: the upload itself, a decompression, or an archive member.
    pub origin: Origin,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Upload,
    /// The output of a gzip stream (an intermediate, e.g. the `.tar` of a `.tar.gz`).
    Decompressed,
    Member,
}

impl Node {
    fn dir(name: &str, mode: i64) -> Node {
        Node { name: name.to_string(), mode, content: None, origin: Origin::Member, children: Vec::new() }
    }

    fn artifact_dir() -> Node {
        Node::dir("artifact.dir", BIT_CONTAINER | BIT_ARTIFACT | DIR)
    }
}

/// The tree of an upload of `bytes` named `filename`.
pub fn upload_tree(filename: &str, bytes: Vec<u8>) -> Result<Node> {
    let mut top = Node { name: filename.to_string(), mode: TOP_FILE, content: Some(bytes), origin: Origin::Upload, children: Vec::new() };
    expand(&mut top, 0).with_context(|| format!("{filename}: cannot unpack"))?;
    Ok(top)
}

/// `RemovePostfix`: drops the last `.suffix` unless it starts with a digit.
pub fn remove_postfix(name: &str) -> &str {
    match name.rfind('.') {
        Some(dot) if !name[dot + 1..].starts_with(|c: char| c.is_ascii_digit()) => &name[..dot],
        _ => name,
    }
}

fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

fn is_tar(bytes: &[u8]) -> bool {
    // POSIX and GNU tar both put "ustar" at offset 257 (what file(1) looks for).
    bytes.len() >= 512 && &bytes[257..262] == b"ustar"
}

/// Unpacks `node` (a regular file) if it is a container, as ununpack recurses (`-R`).
fn expand(node: &mut Node, nesting: u32) -> Result<()> {
    if nesting > MAX_NESTING {
        return Ok(());
    }
    let bytes = node.content.as_deref().expect("a file");
    if is_gzip(bytes) {
        let mut raw = Vec::new();
        if flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut raw).is_err() {
            // zcat fails: ununpack -C keeps the file as it is.
            return Ok(());
        }
        let mut inner = Node { name: remove_postfix(&node.name).to_string(), mode: GZIP_OUTPUT, content: Some(raw), origin: Origin::Decompressed, children: Vec::new() };
        expand(&mut inner, nesting + 1)?;
        let mut dir = Node::artifact_dir();
        dir.children.push(inner);
        node.mode |= BIT_CONTAINER;
        node.children.push(dir);
    } else if is_tar(bytes) {
        let mut dir = Node::artifact_dir();
        read_tar(bytes, &mut dir)?;
        for child in dir.children.iter_mut() {
            expand_members(child, nesting + 1)?;
        }
        node.mode |= BIT_CONTAINER;
        node.children.push(dir);
    }
    Ok(())
}

fn expand_members(node: &mut Node, nesting: u32) -> Result<()> {
    if node.content.is_some() {
        expand(node, nesting)
    } else {
        for child in node.children.iter_mut() {
            expand_members(child, nesting)?;
        }
        Ok(())
    }
}

/// The entries of a tar as `tar -xSf` leaves them on disk, as children of `dir`.
fn read_tar(bytes: &[u8], dir: &mut Node) -> Result<()> {
    let mut archive = tar::Archive::new(bytes);
    // Hard links are files with the content of their target.
    let mut contents: BTreeMap<Vec<String>, Vec<u8>> = BTreeMap::new();
    for entry in archive.entries().context("not a tar")? {
        let mut entry = entry.context("bad tar entry")?;
        let Some(parts) = clean_path(&entry.path_bytes()) else { continue };
        let header = entry.header();
        let kind = header.entry_type();
        let perm = header.mode().unwrap_or(0o644) & 0o7777 & !UMASK;
        let (dirs, leaf) = parts.split_at(parts.len() - 1);
        if kind.is_dir() {
            make_dirs(dir, &parts);
            continue;
        }
        let node = if kind.is_file() || kind == tar::EntryType::Continuous || kind == tar::EntryType::GNUSparse {
            let mut content = Vec::new();
            entry.read_to_end(&mut content).context("cannot read a tar member")?;
            contents.insert(parts.clone(), content.clone());
            Node { name: leaf[0].clone(), mode: 0o100000 | perm as i64, content: Some(content), origin: Origin::Member, children: Vec::new() }
        } else if kind.is_hard_link() {
            let target = entry.link_name_bytes().and_then(|t| clean_path(&t));
            let Some(content) = target.and_then(|t| contents.get(&t).cloned()) else { continue };
            contents.insert(parts.clone(), content.clone());
            Node { name: leaf[0].clone(), mode: 0o100000 | perm as i64, content: Some(content), origin: Origin::Member, children: Vec::new() }
        } else if kind.is_symlink() {
            // lstat of a symlink: 0120777; a row without a pfile.
            Node { name: leaf[0].clone(), mode: 0o120777, content: None, origin: Origin::Member, children: Vec::new() }
        } else {
            // Devices cannot be made without root; pax/GNU headers are not entries.
            continue;
        };
        let parent = make_dirs(dir, dirs);
        // A later entry of the same name replaces the earlier one, as tar overwrites.
        parent.children.retain(|c| c.name != node.name);
        parent.children.push(node);
    }
    sort(dir);
    Ok(())
}

/// The directory `parts` below `dir`, made (as tar does) where missing.
fn make_dirs<'a>(dir: &'a mut Node, parts: &[String]) -> &'a mut Node {
    let mut node = dir;
    for part in parts {
        let pos = match node.children.iter().position(|c| &c.name == part && c.content.is_none() && c.mode & 0o170000 == 0o040000) {
            Some(p) => p,
            None => {
                node.children.retain(|c| &c.name != part);
                node.children.push(Node::dir(part, BIT_CONTAINER | DIR));
                node.children.len() - 1
            }
        };
        node = &mut node.children[pos];
    }
    node
}

/// Path components as tar extracts them: no `.`, no leading `/`; `None` for `..` (GNU tar
/// refuses those) or an empty path. Names become `ufile_name` with ununpack's
/// substitution of `~` for unprintable characters.
fn clean_path(raw: &[u8]) -> Option<Vec<String>> {
    let parts: Vec<String> =
        raw.split(|b| *b == b'/').filter(|p| !p.is_empty() && *p != b".").map(|p| String::from_utf8_lossy(p).chars().map(|c| if c.is_control() || c == '\\' { '~' } else { c }).collect()).collect();
    if parts.is_empty() || parts.iter().any(|p| p == "..") { None } else { Some(parts) }
}

fn sort(node: &mut Node) {
    node.children.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    for c in node.children.iter_mut() {
        sort(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o664);
            h.set_cksum();
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn remove_postfix_as_ununpack() {
        assert_eq!(remove_postfix("x.tar.gz"), "x.tar");
        assert_eq!(remove_postfix("itoa-1.0.18.crate"), "itoa-1.0.18");
        assert_eq!(remove_postfix("x.tgz"), "x");
        assert_eq!(remove_postfix("lib.so.1"), "lib.so.1");
        assert_eq!(remove_postfix("plain"), "plain");
    }

    #[test]
    fn a_tar_gz_is_archive_artifact_tar_artifact_members() {
        let t = upload_tree("a.tar.gz", gzip(&tar_of(&[("a/x.txt", b"x"), ("a/empty", b"")]))).unwrap();
        assert_eq!(t.mode, BIT_CONTAINER | TOP_FILE);
        let art = &t.children[0];
        assert_eq!((art.name.as_str(), art.mode), ("artifact.dir", BIT_CONTAINER | BIT_ARTIFACT | DIR));
        let tar = &art.children[0];
        assert_eq!((tar.name.as_str(), tar.mode, tar.origin), ("a.tar", BIT_CONTAINER | GZIP_OUTPUT, Origin::Decompressed));
        let a = &tar.children[0].children[0];
        assert_eq!((a.name.as_str(), a.mode), ("a", BIT_CONTAINER | DIR));
        let names: Vec<_> = a.children.iter().map(|c| (c.name.as_str(), c.mode, c.content.as_ref().map(Vec::len))).collect();
        assert_eq!(names, vec![("empty", 0o100644, Some(0)), ("x.txt", 0o100644, Some(1))]);
    }

    #[test]
    fn a_plain_file_is_one_row() {
        let t = upload_tree("notes.txt", b"hello".to_vec()).unwrap();
        assert_eq!((t.mode, t.children.len()), (TOP_FILE, 0));
    }
}
