//! Opening an input that must be a regular file without ever blocking on a FIFO or touching
//! a device, and reading a buffer full.
//!
//! Every path given as a file input goes through [`open_regular`] (or [`check_regular`] when
//! another reader opens it): a FIFO, socket, device or symlink loop is refused before it is
//! read, with what it is.

use std::fs::{File, FileType};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use rustix::fs::OFlags;

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// What a file type is when it is not a regular file.
pub fn kind_name(t: FileType) -> Option<&'static str> {
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_symlink() {
        Some("a symlink")
    } else {
        Some("not a file")
    }
}

/// The error for a path of file type `t` where a regular file belongs ("is a FIFO, not a
/// regular file"); a directory keeps its own error kind.
fn not_regular(t: FileType) -> io::Error {
    let what = kind_name(t).unwrap_or("not a file");
    let kind = if t.is_dir() { io::ErrorKind::IsADirectory } else { io::ErrorKind::InvalidInput };
    io::Error::new(kind, format!("is {what}, not a regular file"))
}

/// Names a symlink loop as what it is; other errors stay as they are.
fn described(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        return io::Error::new(io::ErrorKind::InvalidInput, "is a symlink loop (too many levels of symbolic links)");
    }
    e
}

/// The file type of `path`, symlinks followed; a symlink loop is an error saying so.
pub fn file_type(path: &Path) -> io::Result<FileType> {
    std::fs::metadata(path).map(|m| m.file_type()).map_err(described)
}

/// `Ok` when `path` is a regular file (symlinks followed); else what it is, without opening
/// it: "is a FIFO, not a regular file", "is a symlink loop …", or the lookup's error.
pub fn check_regular(path: &Path) -> io::Result<()> {
    let t = file_type(path)?;
    if t.is_file() { Ok(()) } else { Err(not_regular(t)) }
}

/// As [`check_regular`], a directory also allowed (an input that may be a file or a tree).
/// Returns whether it is a directory.
pub fn check_regular_or_dir(path: &Path) -> io::Result<bool> {
    let t = file_type(path)?;
    if t.is_dir() {
        Ok(true)
    } else if t.is_file() {
        Ok(false)
    } else {
        Err(not_regular(t))
    }
}

/// Opens a regular file for reading. A FIFO, socket, device or symlink loop is refused before
/// it is opened; the file is opened non-blocking and without becoming a controlling terminal,
/// so a FIFO swapped in after the check cannot block either, and is refused by its `fstat`.
pub fn open_regular(path: &Path) -> io::Result<File> {
    check_regular(path)?;
    let file = std::fs::OpenOptions::new().read(true).custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32).open(path).map_err(described)?;
    let t = file.metadata()?.file_type();
    if !t.is_file() {
        return Err(not_regular(t));
    }
    // O_NONBLOCK means nothing to a regular file, but the descriptor is left as a plain one.
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_regular_inputs_are_named_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR).unwrap();
        let e = open_regular(&fifo).unwrap_err();
        assert_eq!(e.to_string(), "is a FIFO, not a regular file");
        let e = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(e.to_string(), "is a character device, not a regular file");
        let a = dir.path().join("a");
        std::os::unix::fs::symlink(dir.path().join("b"), &a).unwrap();
        std::os::unix::fs::symlink(&a, dir.path().join("b")).unwrap();
        assert!(open_regular(&a).unwrap_err().to_string().contains("symlink loop"));
        assert_eq!(open_regular(dir.path()).unwrap_err().kind(), io::ErrorKind::IsADirectory);
        assert_eq!(open_regular(&dir.path().join("none")).unwrap_err().kind(), io::ErrorKind::NotFound);
        let file = dir.path().join("f");
        std::fs::write(&file, "x\n").unwrap();
        let f = open_regular(&file).unwrap();
        assert!(!rustix::fs::fcntl_getfl(&f).unwrap().contains(OFlags::NONBLOCK));
        assert!(check_regular_or_dir(dir.path()).unwrap());
    }
}
