//! Backup sets that are either a `.tar.gz`/`.tgz`/`.tar` archive (read streaming, never
//! unpacked) or an unpacked directory: the same listing of members for both.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

use anyhow::{Context, Result};

/// One member: its size and modification time (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub size: u64,
    pub mtime: i64,
    pub is_dir: bool,
}

/// The members of a backup set by path (relative, `/`-separated, without a leading `./`),
/// and the contents of the members the caller asked for.
#[derive(Debug, Default)]
pub struct Listing {
    pub members: BTreeMap<String, Member>,
    pub contents: BTreeMap<String, Vec<u8>>,
    /// Set when the archive could not be read to its end: the listing is partial.
    pub damage: Option<String>,
    /// The archive file's own modification time.
    pub mtime: Option<i64>,
}

/// Members larger than this are never read into memory.
pub const MAX_CONTENT: u64 = 64 << 20;

fn normal(path: &str) -> String {
    let p = path.trim_start_matches("./").trim_end_matches('/');
    p.to_string()
}

/// Lists `path` (archive or directory); reads the members for which `want` is true.
pub fn list(path: &Path, want: &dyn Fn(&str) -> bool) -> Result<Listing> {
    if path.is_dir() {
        return list_dir(path, want);
    }
    let mut file = super::io::open_regular(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mtime = file.metadata().ok().and_then(|m| m.modified().ok()).map(unix);
    let mut magic = [0u8; 2];
    let gzip = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    file.rewind().with_context(|| format!("{}: cannot read", path.display()))?;
    let reader: Box<dyn Read> =
        if gzip { Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, file))) } else { Box::new(std::io::BufReader::with_capacity(1 << 20, file)) };
    let mut listing = Listing { mtime, ..Listing::default() };
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            listing.damage = Some(e.to_string());
            return Ok(listing);
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                listing.damage = Some(if gzip { format!("gzip/tar stream: {e}") } else { format!("tar stream: {e}") });
                break;
            }
        };
        let name = match entry.path() {
            Ok(p) => normal(&p.to_string_lossy()),
            Err(e) => {
                listing.damage = Some(format!("a member name: {e}"));
                break;
            }
        };
        let header = entry.header();
        let member = Member { size: header.size().unwrap_or(0), mtime: header.mtime().map(|m| m as i64).unwrap_or(0), is_dir: header.entry_type().is_dir() };
        if !member.is_dir && want(&name) && member.size <= MAX_CONTENT {
            let mut buf = Vec::with_capacity(member.size as usize);
            if let Err(e) = entry.read_to_end(&mut buf) {
                listing.damage = Some(format!("{name}: {e}"));
                break;
            }
            listing.contents.insert(name.clone(), buf);
        }
        if !name.is_empty() {
            listing.members.insert(name, member);
        }
    }
    // A gzip stream cut short may end without an error from tar: read to the end to be sure.
    if listing.damage.is_none()
        && let Err(e) = std::io::copy(&mut archive.into_inner(), &mut std::io::sink())
    {
        listing.damage = Some(format!("after the last member: {e}"));
    }
    Ok(listing)
}

fn unix(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn list_dir(root: &Path, want: &dyn Fn(&str) -> bool) -> Result<Listing> {
    let mut listing = Listing { mtime: std::fs::metadata(root).ok().and_then(|m| m.modified().ok()).map(unix), ..Listing::default() };
    // The root must be readable (else nothing can be checked); below it, what cannot be read
    // is damage to report, as for an archive that cannot be read to its end.
    std::fs::read_dir(root).with_context(|| format!("{}: cannot read", root.display()))?;
    let mut unreadable = Vec::new();
    // walkdir never follows symlinks by default: a link is listed as what it is.
    for entry in walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = e.path().map(|p| p.strip_prefix(root).unwrap_or(p).to_string_lossy().into_owned()).unwrap_or_default();
                let cause = e.io_error().map(|io| io.to_string()).unwrap_or_else(|| e.to_string());
                unreadable.push(format!("{at}: {cause}"));
                continue;
            }
        };
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                unreadable.push(format!("{rel}: {e}"));
                continue;
            }
        };
        let member = Member { size: meta.len(), mtime: meta.modified().map(unix).unwrap_or(0), is_dir: meta.is_dir() };
        if meta.is_file() && want(&rel) && meta.len() <= MAX_CONTENT {
            match std::fs::read(path) {
                Ok(bytes) => {
                    listing.contents.insert(rel.clone(), bytes);
                }
                Err(e) => unreadable.push(format!("{rel}: {e}")),
            }
        }
        listing.members.insert(rel, member);
    }
    if !unreadable.is_empty() {
        unreadable.sort();
        let more = if unreadable.len() > 3 { format!(" and {} more", unreadable.len() - 3) } else { String::new() };
        listing.damage = Some(format!("cannot read {}{more}", unreadable.into_iter().take(3).collect::<Vec<_>>().join("; ")));
    }
    Ok(listing)
}
