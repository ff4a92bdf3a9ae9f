//! `scratch-leftover`: what interrupted unpack and download jobs leave in the repository.

use std::path::Path;

use super::Rule;
use super::fs::{EntryKind, ROOT, gone, read_dir_sorted, report_unreadable};
use crate::details;
use crate::engine::sink::Sink;

/// `scratch-leftover`: ununpack and wget_agent work in `<repo>/<hostname>/ununpack/…` and
/// `<repo>/<hostname>/wget/…` (`%R/%H/ununpack/%U` in ununpack.conf, where `%H` is the
/// machine's hostname) and remove their directories when done; what is left is from
/// interrupted jobs.
///
/// A directory that cannot be listed is `entry-unreadable`, and the leftover it lies in
/// says that its counts leave it out. One that is gone (the agent finished and removed its
/// directory while the check looked) is no damage and counts nothing.
pub(super) fn report_scratch(repo: &Path, dirs: &[String], sink: &Sink) {
    let hosts = match read_dir_sorted(repo) {
        Ok(hosts) => hosts,
        Err(e) => {
            report_unreadable(sink, ROOT, &e.to_string());
            return;
        }
    };
    for (host, kind) in hosts {
        if kind != EntryKind::Dir {
            continue;
        }
        for d in dirs {
            let scratch = repo.join(&host).join(d);
            if !scratch.is_dir() || scratch.is_symlink() {
                continue;
            }
            let rel = format!("{}/{d}", host.to_string_lossy());
            let entries = match read_dir_sorted(&scratch) {
                Ok(entries) => entries,
                Err(e) if gone(&e) => continue,
                Err(e) => {
                    report_unreadable(sink, &rel, &e.to_string());
                    continue;
                }
            };
            if entries.is_empty() {
                continue;
            }
            let mut size = TreeSize::default();
            size.add(&scratch, &rel, sink);
            let TreeSize { files, bytes, unreadable } = size;
            let unread = match unreadable {
                0 => String::new(),
                1 => ", and 1 directory that could not be read".to_string(),
                n => format!(", and {n} directories that could not be read"),
            };
            let mut details = details! { "entries" => entries.len(), "files" => files, "bytes" => bytes };
            if unreadable > 0 {
                details.insert("unreadable".into(), unreadable.into());
            }
            sink.emit(
                Rule::ScratchLeftover,
                &rel,
                format!("{} leftover scratch entr{} ({files} files, {bytes} bytes{unread}) from interrupted {d} jobs", entries.len(), if entries.len() == 1 { "y" } else { "ies" }),
                details,
                None,
            );
        }
    }
}

/// What a scratch directory holds, as far as it could be read.
#[derive(Debug, Default)]
struct TreeSize {
    files: u64,
    bytes: u64,
    /// Directories below it that could not be listed (each an `entry-unreadable`).
    unreadable: u64,
}

impl TreeSize {
    /// Adds what is below `dir` (named `rel`).
    fn add(&mut self, dir: &Path, rel: &str, sink: &Sink) {
        let entries = match read_dir_sorted(dir) {
            Ok(entries) => entries,
            Err(e) if gone(&e) => return,
            Err(e) => {
                report_unreadable(sink, rel, &e.to_string());
                self.unreadable += 1;
                return;
            }
        };
        for (name, kind) in entries {
            let path = dir.join(&name);
            match kind {
                EntryKind::Dir => self.add(&path, &format!("{rel}/{}", name.to_string_lossy()), sink),
                _ => {
                    self.files += 1;
                    self.bytes += std::fs::symlink_metadata(&path).map(|m| m.len()).unwrap_or(0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// ununpack unpacks archives within archives into its scratch directory, so a leftover
    /// can be deeper than `PATH_MAX` (4096 bytes): the directory past it cannot be listed by
    /// its path (ENAMETOOLONG, for root too). Such a tree is made by moving a short one
    /// into a deep one, as no path to it can be created.
    #[test]
    fn a_scratch_directory_that_cannot_be_listed_is_unreadable_and_not_counted() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let mut rel = "srv1/ununpack/1732280000l".to_string();
        let segment = "d".repeat(250);
        while repo.join(&rel).as_os_str().len() < 3700 {
            rel = format!("{rel}/{segment}");
        }
        std::fs::create_dir_all(repo.join(&rel)).unwrap();
        std::fs::write(repo.join(&rel).join("part"), vec![7u8; 1000]).unwrap();
        let side = dir.path().join("x".repeat(250));
        std::fs::create_dir_all(side.join("y".repeat(250))).unwrap();
        std::fs::write(side.join("y".repeat(250)).join("unseen"), vec![7u8; 500]).unwrap();
        std::fs::rename(&side, repo.join(&rel).join("x".repeat(250))).unwrap();
        let deep = format!("{rel}/{}/{}", "x".repeat(250), "y".repeat(250));
        assert!(repo.join(&deep).as_os_str().len() >= 4096);

        let sink = Sink::new(Arc::new(crate::products::catalogue(None).unwrap()), Vec::new()).unwrap();
        report_scratch(&repo, &["ununpack".to_string(), "wget".to_string()], &sink);
        let mut findings = Vec::new();
        sink.finish()
            .unwrap()
            .for_each_finding(|f| {
                findings.push(f);
                Ok(())
            })
            .unwrap();
        let unreadable: Vec<_> = findings.iter().filter(|f| f.rule == "fossology/entry-unreadable").collect();
        assert_eq!(unreadable.len(), 1, "{findings:?}");
        assert_eq!(unreadable[0].subject, deep);
        assert!(unreadable[0].details["error"].as_str().unwrap().contains("too long"), "{:?}", unreadable[0].details);
        let leftover: Vec<_> = findings.iter().filter(|f| f.rule == "fossology/scratch-leftover").collect();
        assert_eq!(leftover.len(), 1, "{findings:?}");
        assert_eq!(leftover[0].subject, "srv1/ununpack");
        // What was read is counted; what was not is not claimed to be empty.
        assert_eq!((&leftover[0].details["files"], &leftover[0].details["bytes"], &leftover[0].details["unreadable"]), (&1.into(), &1000.into(), &1.into()));
        assert!(leftover[0].message.contains("1 directory that could not be read"), "{}", leftover[0].message);
    }
}
