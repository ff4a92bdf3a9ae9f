//! Where FOSSology keeps a repository object, computed the way `fo_RepMkPathTmp` and
//! `_RepGetHost` in `src/lib/c/libfossrepo.c` compute it.
//!
//! Written apart from `crate::fossology::layout` and `crate::fossology::conf` on purpose:
//! the tests compare the two, so this one must not share their code.

/// One `[REPOSITORY]` list entry, `host[] = <type|*> <start> <end>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    /// The key: also the host's directory under `[FOSSOLOGY] path`.
    pub host: String,
    /// `*` or one of `gold files logs license test`.
    pub object_type: String,
    pub start: String,
    pub end: String,
}

impl HostEntry {
    pub fn new(host: &str, object_type: &str, start: &str, end: &str) -> HostEntry {
        HostEntry { host: host.into(), object_type: object_type.into(), start: start.into(), end: end.into() }
    }

    /// The configuration line, as `fossology.conf` spells it.
    pub fn conf_line(&self) -> String {
        format!("{}[] = {} {} {}", self.host, self.object_type, self.start, self.end)
    }
}

/// `[FOSSOLOGY] depth` and the `[REPOSITORY]` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLayout {
    pub depth: u32,
    /// In the order the lines were written; lookups use FOSSology's key order.
    pub hosts: Vec<HostEntry>,
}

impl Default for RepoLayout {
    /// The shipped configuration: depth 3, `localhost[] = * 00 ff`.
    fn default() -> Self {
        RepoLayout { depth: 3, hosts: vec![HostEntry::new("localhost", "*", "00", "ff")] }
    }
}

impl RepoLayout {
    pub fn new(depth: u32, hosts: Vec<HostEntry>) -> RepoLayout {
        RepoLayout { depth, hosts }
    }

    /// Every entry matching `name` of `object_type`, in the order `_RepGetHost` counts
    /// matches (`Which` = 1, 2, …). fossconfig keeps the keys of a group in a GLib tree
    /// sorted by `strcmp`, and each key's list in file order.
    pub fn hosts_for(&self, object_type: &str, name: &str) -> Vec<&str> {
        let mut keys: Vec<&str> = self.hosts.iter().map(|h| h.host.as_str()).collect();
        keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        keys.dedup();
        let mut out = Vec::new();
        for key in keys {
            for entry in self.hosts.iter().filter(|h| h.host == key) {
                let type_ok = entry.object_type == "*" || entry.object_type == object_type;
                if type_ok && strncasecmp(&entry.start, name) <= 0 && strncasecmp(&entry.end, name) >= 0 {
                    out.push(entry.host.as_str());
                }
            }
        }
        out
    }

    /// The path of `name` of `object_type` relative to `[FOSSOLOGY] path`, for the
    /// `which`-th matching host (1 = where FOSSology writes). `None` where
    /// `fo_RepMkPathTmp` returns NULL: an invalid type or name, or no `which`-th host
    /// (`which` > 1). With no host at all and `which` = 1 the host part is left out.
    pub fn rel_path_which(&self, object_type: &str, name: &str, which: usize) -> Option<String> {
        if !valid_type(object_type) || !valid_name(name) || which == 0 {
            return None;
        }
        let host = self.hosts_for(object_type, name).get(which - 1).copied();
        if host.is_none() && which > 1 {
            return None;
        }
        let mut path = String::new();
        if let Some(h) = host {
            path.push_str(h);
            path.push('/');
        }
        path.push_str(object_type);
        path.push('/');
        path.push_str(&depth_dirs(self.depth, name));
        path.push_str(&name.to_ascii_lowercase());
        Some(path)
    }

    /// Where FOSSology writes `name` of `object_type` (`Which` = 1).
    pub fn rel_path(&self, object_type: &str, name: &str) -> Option<String> {
        self.rel_path_which(object_type, name, 1)
    }
}

/// The `depth` directory levels of `name`, each two lower-cased characters and a `/`; a
/// name shorter than `2 * depth` is padded with `_` (`abcde`, depth 3 → `ab/cd/e_/`).
pub fn depth_dirs(depth: u32, name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(3 * depth as usize);
    for i in 0..2 * depth as usize {
        let c = bytes.get(i).map(|b| b.to_ascii_lowercase() as char).unwrap_or('_');
        out.push(c);
        if i % 2 == 1 {
            out.push('/');
        }
    }
    out
}

/// `_RepCheckString`: no leading `.`, only `[A-Za-z0-9@%_.=+-]`.
pub fn valid_name(name: &str) -> bool {
    !name.starts_with('.') && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"@%_.=+-".contains(&b))
}

/// `_RepCheckType`: only `[A-Za-z0-9@%_=+-]`.
pub fn valid_type(object_type: &str) -> bool {
    object_type.bytes().all(|b| b.is_ascii_alphanumeric() || b"@%_=+-".contains(&b))
}

/// C's `strncasecmp(bound, name, strlen(bound))` as a sign: -1, 0 or 1. Bytes past the end
/// of `name` compare as its NUL terminator.
fn strncasecmp(bound: &str, name: &str) -> i32 {
    let (a, b) = (bound.as_bytes(), name.as_bytes());
    let mut i = 0;
    while i < a.len() {
        let x = a[i].to_ascii_lowercase() as i32;
        let y = b.get(i).map_or(0, |c| c.to_ascii_lowercase() as i32);
        if x != y {
            return (x - y).signum();
        }
        if y == 0 {
            break;
        }
        i += 1;
    }
    0
}

/// The repository name of an object: `sha1.md5.size`, hex in lower case.
pub fn object_name(sha1: &str, md5: &str, size: u64) -> String {
    format!("{}.{}.{size}", sha1.to_ascii_lowercase(), md5.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_padded() {
        assert_eq!(depth_dirs(3, "abcde"), "ab/cd/e_/");
        assert_eq!(depth_dirs(2, ""), "__/__/");
        assert_eq!(depth_dirs(0, "abc"), "");
        assert_eq!(RepoLayout::default().rel_path("files", "abcde").unwrap(), "localhost/files/ab/cd/e_/abcde");
    }

    #[test]
    fn names_and_types_fossology_refuses() {
        let l = RepoLayout::default();
        assert_eq!(l.rel_path("files", ".hidden"), None);
        assert_eq!(l.rel_path("files", "a/b"), None);
        assert_eq!(l.rel_path("fi.les", "abc"), None);
        assert_eq!(l.rel_path_which("files", "abc", 2), None);
    }

    #[test]
    fn ranges_compare_only_as_many_characters_as_the_bound_has() {
        let l = RepoLayout::new(3, vec![HostEntry::new("b", "*", "8", "FF"), HostEntry::new("a", "*", "00", "7fff")]);
        assert_eq!(l.hosts_for("files", "7fff0"), vec!["a"]);
        assert_eq!(l.hosts_for("files", "80"), vec!["b"]);
        // A name shorter than the bound compares below it (its NUL ends it).
        assert_eq!(l.hosts_for("files", "7f"), vec!["a"]);
        assert_eq!(l.hosts_for("files", "7"), vec!["a"]);
        assert_eq!(l.hosts_for("gold", "fF12"), vec!["b"]);
    }

    #[test]
    fn keys_are_tried_in_strcmp_order_and_no_host_means_no_host_part() {
        let l = RepoLayout::new(2, vec![HostEntry::new("zeta", "*", "00", "ff"), HostEntry::new("Zeta", "gold", "00", "ff"), HostEntry::new("alpha", "files", "00", "7f")]);
        // "Zeta" < "alpha" < "zeta" in strcmp order.
        assert_eq!(l.hosts_for("files", "12ab"), vec!["alpha", "zeta"]);
        assert_eq!(l.hosts_for("gold", "12ab"), vec!["Zeta", "zeta"]);
        let only_gold = RepoLayout::new(1, vec![HostEntry::new("g", "gold", "00", "ff")]);
        assert_eq!(only_gold.rel_path("files", "ab12").unwrap(), "files/ab/ab12");
        assert_eq!(only_gold.rel_path("gold", "AB12").unwrap(), "g/gold/ab/ab12");
    }
}
