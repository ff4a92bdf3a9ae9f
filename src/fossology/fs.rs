//! Reading repository directories: the listing every part of the check uses (sorted, with
//! each entry's type from `readdir`), the hex-pair test of the layout's directory names, and
//! the one way a directory that cannot be read is reported.

use std::ffi::OsString;
use std::path::Path;

use super::Rule;
use crate::details;
use crate::engine::sink::Sink;

/// The subject of a finding about the repository root itself.
pub const ROOT: &str = ".";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Other(&'static str),
}

/// A directory's entries sorted by name bytes, with their types from `readdir` (no `stat`
/// unless the file system does not report types).
pub fn read_dir_sorted(dir: &Path) -> std::io::Result<Vec<(OsString, EntryKind)>> {
    use std::os::unix::fs::FileTypeExt;
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let t = entry.file_type()?;
        let kind = if t.is_symlink() {
            EntryKind::Symlink
        } else if t.is_file() {
            EntryKind::File
        } else if t.is_dir() {
            EntryKind::Dir
        } else if t.is_fifo() {
            EntryKind::Other("fifo")
        } else if t.is_socket() {
            EntryKind::Other("socket")
        } else if t.is_block_device() || t.is_char_device() {
            EntryKind::Other("device")
        } else {
            EntryKind::Other("special file")
        };
        entries.push((entry.file_name(), kind));
    }
    use std::os::unix::ffi::OsStrExt;
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(entries)
}

/// Whether a directory name is one of the hex pairs of the layout.
pub fn is_pair(name: &str) -> bool {
    name.len() == 2 && name.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Whether a listing failed because the directory is not there (any more). FOSSology's
/// agents remove what they are done with while the check runs (ununpack and wget_agent
/// their scratch directories, `fo_RepRemove` objects): a directory listed a moment ago and
/// gone now is no damage.
pub fn gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound
}

/// `entry-unreadable` for a directory (`rel`, relative to the repository root) whose
/// listing failed.
pub fn report_unreadable(sink: &Sink, rel: &str, error: &str) {
    sink.emit(Rule::EntryUnreadable, rel, format!("cannot be read ({error}); the objects below it were not checked"), details! { "error" => error }, None);
}
