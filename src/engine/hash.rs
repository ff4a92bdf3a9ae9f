//! Content hashing: each file is read once and fed to the digests asked for — SHA-1 alone
//! by default (it detects any changed byte), MD5 and SHA-256 beside it when a site checks
//! every digest the database holds.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use md5::Md5;
use sha1::{Digest, Sha1};
use sha2::Sha256;

/// The digests (those computed) and length of a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub sha1: Option<[u8; 20]>,
    pub md5: Option<[u8; 16]>,
    pub sha256: Option<[u8; 32]>,
    pub size: u64,
}

impl Digests {
    pub fn sha1_hex(&self) -> String {
        self.sha1.map(hex::encode).unwrap_or_default()
    }
    pub fn md5_hex(&self) -> String {
        self.md5.map(hex::encode).unwrap_or_default()
    }
    pub fn sha256_hex(&self) -> String {
        self.sha256.map(hex::encode).unwrap_or_default()
    }
}

/// Which digests to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Which {
    pub sha1: bool,
    pub md5: bool,
    pub sha256: bool,
}

impl Which {
    /// SHA-1 and MD5: the two digests of a FOSSology object's name.
    pub const BOTH: Which = Which { sha1: true, md5: true, sha256: false };
    pub const SHA1: Which = Which { sha1: true, md5: false, sha256: false };

    /// The names of the digests computed, in the order `digests` lists them.
    pub fn names(self) -> Vec<&'static str> {
        [(self.sha1, "sha1"), (self.md5, "md5"), (self.sha256, "sha256")].into_iter().filter(|(on, _)| *on).map(|(_, n)| n).collect()
    }
}

const CHUNK: usize = 256 * 1024;

thread_local! {
    static BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; CHUNK]);
}

/// Reads `path` to the end, hashing as it goes. Never follows a symlink at the last
/// component (`O_NOFOLLOW`): the walk reports symlinks instead.
pub fn hash_file(path: &Path, which: Which) -> io::Result<Digests> {
    hash_reader_with(open_nofollow(path)?, which)
}

/// Hashes an open file (the walk opens it once, for its `fstat` and its bytes).
pub fn hash_open(file: File, which: Which) -> io::Result<Digests> {
    hash_reader_with(file, which)
}

/// SHA-1 and MD5 of everything `file` yields.
pub fn hash_reader(file: impl Read) -> io::Result<Digests> {
    hash_reader_with(file, Which::BOTH)
}

pub fn hash_reader_with(mut file: impl Read, which: Which) -> io::Result<Digests> {
    BUFFER.with(|buf| {
        let mut buf = buf.borrow_mut();
        let mut sha1 = which.sha1.then(Sha1::new);
        let mut md5 = which.md5.then(Md5::new);
        let mut sha256 = which.sha256.then(Sha256::new);
        let mut size = 0u64;
        loop {
            let n = match file.read(&mut buf[..]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(h) = &mut sha1 {
                h.update(&buf[..n]);
            }
            if let Some(h) = &mut md5 {
                h.update(&buf[..n]);
            }
            if let Some(h) = &mut sha256 {
                h.update(&buf[..n]);
            }
            size += n as u64;
        }
        Ok(Digests { sha1: sha1.map(|h| h.finalize().into()), md5: md5.map(|h| h.finalize().into()), sha256: sha256.map(|h| h.finalize().into()), size })
    })
}

/// Opens a file for hashing without following a final symlink.
pub fn open_nofollow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let d = hash_reader(&b"abc"[..]).unwrap();
        assert_eq!(d.sha1_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(d.md5_hex(), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(d.sha256, None);
        assert_eq!(d.size, 3);
        let empty = hash_reader(&b""[..]).unwrap();
        assert_eq!(empty.sha1_hex(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(empty.md5_hex(), "d41d8cd98f00b204e9800998ecf8427e");
        let only = hash_reader_with(&b"abc"[..], Which::SHA1).unwrap();
        assert_eq!(only.sha1_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(only.md5, None);
        let all = hash_reader_with(&b"abc"[..], Which { sha1: true, md5: true, sha256: true }).unwrap();
        assert_eq!(all.sha256_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(Which { sha1: true, md5: false, sha256: true }.names(), ["sha1", "sha256"]);
    }
}
