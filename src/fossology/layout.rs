//! Repository path arithmetic (`fo_RepMkPathTmp` in `src/lib/c/libfossrepo.c`): an object
//! named `sha1.md5.size` (lower-case hex) lives at
//! `<repo>/<host>/<type>/<n1n2>/<n3n4>/…/<name>` with `depth` pairs of the name's characters.

use std::cmp::Ordering;
use std::fmt;
use std::path::Path;

use super::conf::{HostRange, Layout};
use super::fs::{EntryKind, gone, is_pair, read_dir_sorted};

/// The two repository types this tool checks. (`logs`, `license` and `test` hold no
/// pfile objects.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectType {
    /// Each upload's original file.
    Gold,
    /// Every regular file of every unpacked upload.
    Files,
}

impl ObjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Gold => "gold",
            ObjectType::Files => "files",
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An object's identity: what `pfile_sha1 || '.' || pfile_md5 || '.' || pfile_size` names.
/// Ordered as the lower-case name string is, so database rows and a sorted walk merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    pub sha1: [u8; 20],
    pub md5: [u8; 16],
    pub size: u64,
}

impl ObjectKey {
    /// From database columns (FOSSology stores upper-case hex; `char(n)` may be blank-padded).
    pub fn from_columns(sha1: &str, md5: &str, size: i64) -> Option<ObjectKey> {
        let mut key = ObjectKey { sha1: [0; 20], md5: [0; 16], size: u64::try_from(size).ok()? };
        hex::decode_to_slice(sha1.trim_end(), &mut key.sha1).ok()?;
        hex::decode_to_slice(md5.trim_end(), &mut key.md5).ok()?;
        Some(key)
    }

    /// From a repository file name: exactly `40 hex . 32 hex . decimal` in lower case, the
    /// size without leading zeros — the only names FOSSology writes.
    pub fn parse_name(name: &str) -> Option<ObjectKey> {
        let b = name.as_bytes();
        if b.len() < 40 + 1 + 32 + 1 + 1 || b[40] != b'.' || b[73] != b'.' {
            return None;
        }
        if !b[..40].iter().chain(&b[41..73]).all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)) {
            return None;
        }
        let size = &name[74..];
        if !size.bytes().all(|c| c.is_ascii_digit()) || (size.len() > 1 && size.starts_with('0')) {
            return None;
        }
        let mut key = ObjectKey { sha1: [0; 20], md5: [0; 16], size: size.parse().ok()? };
        hex::decode_to_slice(&name[..40], &mut key.sha1).ok()?;
        hex::decode_to_slice(&name[41..73], &mut key.md5).ok()?;
        Some(key)
    }

    /// A name that would be an object's if it were lower case (FOSSology never writes
    /// upper case, so such a file is not found by it).
    pub fn parse_name_any_case(name: &str) -> Option<ObjectKey> {
        ObjectKey::parse_name(&name.to_ascii_lowercase())
    }

    pub fn name(&self) -> String {
        format!("{}.{}.{}", hex::encode(self.sha1), hex::encode(self.md5), self.size)
    }
}

impl Ord for ObjectKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sha1.cmp(&other.sha1).then_with(|| self.md5.cmp(&other.md5)).then_with(|| decimal_cmp(self.size, other.size))
    }
}

impl PartialOrd for ObjectKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two numbers as their decimal strings compare ("10" < "9"), which is the order
/// of file names in a directory.
pub fn decimal_cmp(a: u64, b: u64) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
    let sa = digits(a, &mut da);
    let sb = digits(b, &mut db);
    sa.cmp(sb)
}

fn digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// The directory pairs of a name: `depth` pairs of its characters, lower case, padded with
/// `_` when the name is shorter than `2 × depth`.
pub fn dir_pairs(name: &str, depth: u32) -> Vec<String> {
    let b = name.as_bytes();
    (0..depth as usize)
        .map(|i| {
            let pick = |j: usize| b.get(j).map(|c| c.to_ascii_lowercase() as char).unwrap_or('_');
            let mut pair = String::with_capacity(2);
            pair.push(pick(2 * i));
            pair.push(pick(2 * i + 1));
            pair
        })
        .collect()
}

/// Where FOSSology puts `name` of `object_type` on `host` (`None`: no host component),
/// relative to the repository root.
pub fn object_path(layout: &Layout, host: Option<&str>, object_type: ObjectType, name: &str) -> String {
    let mut path = String::with_capacity(name.len() + 32);
    if let Some(host) = host {
        path.push_str(host);
        path.push('/');
    }
    path.push_str(object_type.as_str());
    for pair in dir_pairs(name, layout.depth) {
        path.push('/');
        path.push_str(&pair);
    }
    path.push('/');
    path.push_str(&name.to_ascii_lowercase());
    path
}

/// The path `fo_RepMkPath` gives a missing object: the first host the ranges allow.
pub fn preferred_path(layout: &Layout, object_type: ObjectType, name: &str) -> String {
    let hosts = layout.hosts_for(object_type.as_str(), name);
    object_path(layout, hosts.first().copied(), object_type, name)
}

/// A layout inferred from the repository, and why the inference may be short of it.
#[derive(Debug)]
pub struct Inferred {
    pub layout: Layout,
    /// Why the repository root could not be listed: then neither the hosts nor the depth
    /// were seen, and the layout is the shipped one. The inference has no sink: its caller
    /// reports this (`entry-unreadable` of [`ROOT`](super::fs::ROOT)).
    pub root_unreadable: Option<std::io::Error>,
}

/// Without `--conf`: the hosts are the repository's directories that hold a `gold` or
/// `files` tree, and the depth is the one its objects are found at (the shipped layout
/// when the repository is empty).
///
/// A directory below a type tree that cannot be listed is passed over here and found by
/// the walk, which lists it again and reports it (`entry-unreadable`), or by the walk of
/// the run whose `--range` or `--host` holds it; reporting it here too would make two
/// findings of one directory. What it costs the inference — a depth not seen but assumed —
/// is said in the layout's origin.
pub fn infer_layout(repo: &Path) -> Inferred {
    let mut layout = Layout::shipped();
    let listing = match read_dir_sorted(repo) {
        Ok(listing) => listing,
        Err(e) => {
            layout.origin = format!("shipped defaults: no --conf, and the repository root could not be read to infer the layout ({e})");
            return Inferred { layout, root_unreadable: Some(e) };
        }
    };
    let hosts: Vec<String> = listing.into_iter().filter_map(|(name, _)| name.into_string().ok()).filter(|name| ["gold", "files"].iter().any(|t| repo.join(name).join(t).is_dir())).collect();
    if !hosts.is_empty() {
        layout.hosts = hosts.iter().map(|h| HostRange { host: h.clone(), object_type: None, start: "00".into(), end: "ff".into() }).collect();
    }
    let mut unread = Vec::new();
    let mut found = false;
    'probe: for host in &hosts {
        for t in ["files", "gold"] {
            if let Some(depth) = first_object_depth(&repo.join(host).join(t), &format!("{host}/{t}"), 0, &mut unread) {
                layout.depth = depth;
                found = true;
                break 'probe;
            }
        }
    }
    let depth = match unread.first() {
        Some((rel, e)) if !found => format!("{} (the shipped depth: no object was found, and {rel} could not be read: {e})", layout.depth),
        _ => layout.depth.to_string(),
    };
    layout.origin = format!("inferred from the repository (no --conf): depth {depth}, hosts {}", layout.host_dirs().join(", "));
    Inferred { layout, root_unreadable: None }
}

/// The depth of the first object below `dir` (named `rel`), in name order; the
/// directories that could not be listed go to `unread`.
fn first_object_depth(dir: &Path, rel: &str, level: u32, unread: &mut Vec<(String, std::io::Error)>) -> Option<u32> {
    if level > 8 {
        return None;
    }
    let entries = match read_dir_sorted(dir) {
        Ok(entries) => entries,
        // No such tree (a host with `files` and no `gold`), or one removed a moment after it
        // was listed (FOSSology's agents remove what they are done with): nothing to see.
        Err(e) if gone(&e) => return None,
        // A file where the type directory should be: the walk reports it (`unexpected-entry`).
        Err(e) if level == 0 && e.kind() == std::io::ErrorKind::NotADirectory => return None,
        Err(e) => {
            unread.push((rel.to_string(), e));
            return None;
        }
    };
    for (name, kind) in entries {
        match kind {
            EntryKind::File if name.to_str().and_then(ObjectKey::parse_name).is_some() => return Some(level),
            EntryKind::Dir if name.to_str().is_some_and(is_pair) => {
                if let Some(d) = first_object_depth(&dir.join(&name), &format!("{rel}/{}", name.to_string_lossy()), level + 1, unread) {
                    return Some(d);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a path relative to the repository root is an object of a `gold` or `files`
/// tree — a valid `sha1.md5.size` name below one of them, so its name is its content
/// address — and the size its name states.
pub fn object_path_size(rel: &str) -> Option<u64> {
    let mut parts = rel.rsplit('/');
    let key = ObjectKey::parse_name(parts.next()?)?;
    parts.any(|p| p == "gold" || p == "files").then_some(key.size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The two listings the inference makes, each failing as it does for root too (mode
    /// bits do not stop root, a missing path or a symlink loop does): the root, and a type
    /// directory of a host.
    #[test]
    fn what_the_inference_could_not_read_is_not_claimed_as_seen() {
        let dir = tempfile::tempdir().unwrap();
        // The repository root replaced by a dangling symlink (a mount moved away): listing
        // it fails with ENOENT, and that is the root, not an entry gone while listed.
        let repo = dir.path().join("repo");
        std::os::unix::fs::symlink(dir.path().join("unmounted"), &repo).unwrap();
        let inferred = infer_layout(&repo);
        assert_eq!(inferred.root_unreadable.as_ref().map(std::io::Error::kind), Some(std::io::ErrorKind::NotFound));
        assert!(!inferred.layout.origin.contains("inferred from the repository"), "{}", inferred.layout.origin);
        assert!(inferred.layout.origin.contains("could not be read"), "{}", inferred.layout.origin);

        // A host whose files tree is a symlink loop (ELOOP, for root too) and whose gold
        // tree is empty: no object was seen, so the depth is the shipped one, and said so.
        let repo = dir.path().join("repo2");
        std::fs::create_dir_all(repo.join("localhost/gold")).unwrap();
        std::os::unix::fs::symlink("files", repo.join("localhost/files")).unwrap();
        let inferred = infer_layout(&repo);
        assert!(inferred.root_unreadable.is_none());
        assert_eq!(inferred.layout.host_dirs(), vec!["localhost"]);
        let origin = &inferred.layout.origin;
        assert!(origin.contains("the shipped depth: no object was found, and localhost/files could not be read"), "{origin}");

        // The same repository with an object in gold: the depth is seen.
        std::fs::create_dir_all(repo.join("localhost/gold/ab/cd/ef")).unwrap();
        std::fs::write(repo.join(format!("localhost/gold/ab/cd/ef/abcdef{}.{}.0", "0".repeat(34), "0".repeat(32))), "").unwrap();
        let inferred = infer_layout(&repo);
        assert_eq!(inferred.layout.origin, "inferred from the repository (no --conf): depth 3, hosts localhost");
    }

    #[test]
    fn worked_example_from_the_facts() {
        let key = ObjectKey::from_columns("403C2B25B9B02A2EBB6817C459B37AFC1F9BA3B5", "149FD9DAC3A1FF6AD491F95F49E90BF2", 35328).unwrap();
        let name = key.name();
        assert_eq!(name, "403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.35328");
        let layout = Layout::shipped();
        assert_eq!(preferred_path(&layout, ObjectType::Files, &name), "localhost/files/40/3c/2b/403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.35328");
        assert_eq!(
            preferred_path(&layout, ObjectType::Gold, "00000cb69c3c9c9fd15cadbf4652bd1552c349de.6caae94bdb579d7c9ada36726cf2e97f.776"),
            "localhost/gold/00/00/0c/00000cb69c3c9c9fd15cadbf4652bd1552c349de.6caae94bdb579d7c9ada36726cf2e97f.776"
        );
        assert_eq!(ObjectKey::parse_name(&name), Some(key));
    }

    #[test]
    fn short_names_are_padded() {
        assert_eq!(dir_pairs("abcde", 3), vec!["ab", "cd", "e_"]);
        let mut layout = Layout::shipped();
        layout.hosts.clear();
        assert_eq!(object_path(&layout, None, ObjectType::Files, "ABCDE"), "files/ab/cd/e_/abcde");
    }

    #[test]
    fn rejects_names_fossology_never_writes() {
        let good = "403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.35328";
        assert!(ObjectKey::parse_name(good).is_some());
        for bad in [
            &good.to_ascii_uppercase()[..],
            "403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.035328",
            "403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.",
            "403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.353x",
            "403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.35328.I",
            "403c2b25b9b02a2ebb6817c459b37afc1f9ba3b.5149fd9dac3a1ff6ad491f95f49e90bf2.35328",
            "",
        ] {
            assert!(ObjectKey::parse_name(bad).is_none(), "{bad}");
        }
        assert!(ObjectKey::parse_name_any_case(&good.to_ascii_uppercase()).is_some());
        assert!(ObjectKey::parse_name("403c2b25b9b02a2ebb6817c459b37afc1f9ba3b5.149fd9dac3a1ff6ad491f95f49e90bf2.0").is_some());
    }

    proptest! {
        #[test]
        fn key_order_is_name_order(a in any::<([u8; 20], [u8; 16], u64)>(), b in any::<([u8; 20], [u8; 16], u64)>(), same_prefix in any::<bool>()) {
            let ka = ObjectKey { sha1: a.0, md5: a.1, size: a.2 };
            let kb = if same_prefix { ObjectKey { size: b.2, ..ka } } else { ObjectKey { sha1: b.0, md5: b.1, size: b.2 } };
            prop_assert_eq!(ka.cmp(&kb), ka.name().cmp(&kb.name()));
            prop_assert_eq!(ObjectKey::parse_name(&ka.name()), Some(ka));
        }

        #[test]
        fn path_is_pairs_of_the_name(key in any::<([u8; 20], [u8; 16], u64)>(), depth in 0u32..6) {
            let k = ObjectKey { sha1: key.0, md5: key.1, size: key.2 };
            let name = k.name();
            let mut layout = Layout::shipped();
            layout.depth = depth;
            let path = object_path(&layout, Some("localhost"), ObjectType::Gold, &name);
            let parts: Vec<&str> = path.split('/').collect();
            prop_assert_eq!(parts.len(), 3 + depth as usize);
            prop_assert_eq!(parts[0], "localhost");
            prop_assert_eq!(parts[1], "gold");
            for i in 0..depth as usize {
                prop_assert_eq!(parts[2 + i], &name[2 * i..2 * i + 2]);
                prop_assert!(is_pair(parts[2 + i]));
            }
            prop_assert_eq!(*parts.last().unwrap(), name.as_str());
        }
    }
}
