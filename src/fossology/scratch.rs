//! `scratch-leftover`: what interrupted unpack and download jobs leave in the repository.

use std::path::Path;

use super::Rule;
use super::walk::{EntryKind, read_dir_sorted};
use crate::details;
use crate::engine::sink::Sink;

/// `scratch-leftover`: ununpack and wget_agent work in `<repo>/<hostname>/ununpack/…` and
/// `<repo>/<hostname>/wget/…` (`%R/%H/ununpack/%U` in ununpack.conf, where `%H` is the
/// machine's hostname) and remove their directories when done; what is left is from
/// interrupted jobs.
pub(super) fn report_scratch(repo: &Path, dirs: &[String], sink: &Sink) {
    for (host, kind) in read_dir_sorted(repo).unwrap_or_default() {
        if kind != EntryKind::Dir {
            continue;
        }
        for d in dirs {
            let scratch = repo.join(&host).join(d);
            if !scratch.is_dir() || scratch.is_symlink() {
                continue;
            }
            let entries = read_dir_sorted(&scratch).unwrap_or_default();
            if entries.is_empty() {
                continue;
            }
            let (files, bytes) = tree_size(&scratch);
            let rel = format!("{}/{d}", host.to_string_lossy());
            sink.emit(
                Rule::ScratchLeftover,
                &rel,
                format!("{} leftover scratch entr{} ({files} files, {bytes} bytes) from interrupted {d} jobs", entries.len(), if entries.len() == 1 { "y" } else { "ies" }),
                details! { "entries" => entries.len(), "files" => files, "bytes" => bytes },
                None,
            );
        }
    }
}

fn tree_size(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    for (name, kind) in read_dir_sorted(dir).unwrap_or_default() {
        let path = dir.join(name);
        match kind {
            EntryKind::Dir => {
                let (f, b) = tree_size(&path);
                files += f;
                bytes += b;
            }
            _ => {
                files += 1;
                bytes += std::fs::symlink_metadata(&path).map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    (files, bytes)
}
