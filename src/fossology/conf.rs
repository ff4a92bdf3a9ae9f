//! `fossology.conf`: the repository's depth and path (`[FOSSOLOGY]`) and which host holds
//! which objects (`[REPOSITORY]`). Read as FOSSology's `fossconfig.c` and `libfossrepo.c`
//! read it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::engine::escape::excerpt_str;
use crate::engine::io;

/// FOSSology's built-in depth when the configuration does not set one
/// (`RepDepth = 2` in `src/lib/c/libfossrepo.c`; the shipped file says 3).
pub const CODE_DEFAULT_DEPTH: u32 = 2;
/// The depth of the shipped `fossology.conf`.
pub const SHIPPED_DEPTH: u32 = 3;

/// One `[REPOSITORY]` list entry: `host[] = <type|*> <start-hex> <end-hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRange {
    /// The key, which is also the host's directory under the repository path.
    pub host: String,
    /// `None` for `*` (every type).
    pub object_type: Option<String>,
    pub start: String,
    pub end: String,
}

impl HostRange {
    /// `_RepGetHost`: the entry matches when its type is `*` or `object_type`, and the name's
    /// first `len(start)` characters are ≥ start and its first `len(end)` characters ≤ end,
    /// compared case-insensitively (`strncasecmp`).
    pub fn matches(&self, object_type: &str, name: &str) -> bool {
        if self.object_type.as_deref().is_some_and(|t| t != object_type) {
            return false;
        }
        strncasecmp(&self.start, name) != std::cmp::Ordering::Greater && strncasecmp(&self.end, name) != std::cmp::Ordering::Less
    }
}

/// `strncasecmp(a, b, strlen(a))`: compares `a` with the first `len(a)` bytes of `b`.
fn strncasecmp(a: &str, b: &str) -> std::cmp::Ordering {
    let b = b.as_bytes();
    for (i, x) in a.bytes().enumerate() {
        let x = x.to_ascii_lowercase();
        // Past the end of b, C compares against its NUL terminator.
        let y = b.get(i).map(|c| c.to_ascii_lowercase()).unwrap_or(0);
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

/// The repository layout as the configuration describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub depth: u32,
    /// `[REPOSITORY]` entries, hosts in `strcmp` order (FOSSology keeps the keys in a sorted
    /// tree), each host's entries in file order.
    pub hosts: Vec<HostRange>,
    /// Where the layout came from, for the report.
    pub origin: String,
}

impl Layout {
    /// The shipped default: depth 3, `localhost[] = * 00 ff`.
    pub fn shipped() -> Layout {
        Layout { depth: SHIPPED_DEPTH, hosts: vec![HostRange { host: "localhost".into(), object_type: None, start: "00".into(), end: "ff".into() }], origin: "shipped defaults".into() }
    }

    /// The hosts that may hold `name` of `object_type`, in the order `fo_RepMkPath` tries
    /// them (`Which` = 1, 2, …). Empty when no entry matches: FOSSology then leaves the
    /// host out of the path.
    pub fn hosts_for(&self, object_type: &str, name: &str) -> Vec<&str> {
        self.hosts.iter().filter(|h| h.matches(object_type, name)).map(|h| h.host.as_str()).collect()
    }

    /// Every host directory named by the configuration, sorted, without repeats.
    pub fn host_dirs(&self) -> Vec<&str> {
        let mut hosts: Vec<&str> = self.hosts.iter().map(|h| h.host.as_str()).collect();
        hosts.dedup();
        hosts
    }
}

/// What `--conf` found.
#[derive(Debug, Clone)]
pub struct ConfFiles {
    pub fossology_conf: PathBuf,
    pub db_conf: PathBuf,
    /// The layout, when `fossology.conf` could be read.
    pub layout: Option<Layout>,
    /// `[FOSSOLOGY] path`, informational: `--repo` is what is checked.
    pub repo_path: Option<String>,
    /// Files a restore needs that are missing or unreadable, with the reason.
    pub problems: Vec<(PathBuf, String)>,
    /// `[DIRECTORIES] PROJECTUSER` and `PROJECTGROUP`, when set.
    pub project: (Option<String>, Option<String>),
}

/// Reads `--conf`: a `fossology.conf` file, or the directory holding it. `Db.conf` is
/// looked for beside it. A missing or unreadable file is a problem to report; a file that
/// FOSSology itself would refuse (bad `[REPOSITORY]` entry, bad depth) is an error.
pub fn read_conf(arg: &Path) -> Result<ConfFiles> {
    // The path given must be the file or its directory; what lies in the directory is the
    // installation's, and a problem there is a finding.
    let is_dir = match io::check_regular_or_dir(arg) {
        Ok(is_dir) => is_dir,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => bail!("--conf {}: {e}", arg.display()),
    };
    let (fossology_conf, dir) = if is_dir { (arg.join("fossology.conf"), arg.to_path_buf()) } else { (arg.to_path_buf(), arg.parent().map(Path::to_path_buf).unwrap_or_default()) };
    let db_conf = dir.join("Db.conf");
    let mut problems = Vec::new();
    let mut layout = None;
    let mut repo_path = None;
    let mut project = (None, None);
    match io::read_text_file(&fossology_conf, io::CONFIG) {
        Ok(text) => {
            project = project_names(&text);
            let parsed = parse_fossology_conf(&text).with_context(|| format!("{}", fossology_conf.display()))?;
            repo_path = parsed.1;
            let mut l = parsed.0;
            l.origin = fossology_conf.display().to_string();
            layout = Some(l);
        }
        Err(e) => problems.push((fossology_conf.clone(), io_reason(&e))),
    }
    match io::read_text_file(&db_conf, io::CONFIG) {
        Ok(text) => {
            if !text.split(';').any(|kv| kv.trim().starts_with("dbname")) {
                problems.push((db_conf.clone(), "has no dbname= entry".into()));
            }
        }
        Err(e) => problems.push((db_conf.clone(), io_reason(&e))),
    }
    Ok(ConfFiles { fossology_conf, db_conf, layout, repo_path, problems, project })
}

/// `[DIRECTORIES] PROJECTUSER` and `PROJECTGROUP` (the user and group the agents run as;
/// `install/fo-postinstall` reads the group from there and `chown -R`s the repository to
/// them).
pub fn project_names(text: &str) -> (Option<String>, Option<String>) {
    let mut group = "";
    let (mut user, mut grp) = (None, None);
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            group = name.trim();
        } else if group == "DIRECTORIES"
            && let Some((k, v)) = line.split_once('=')
        {
            let v = v.trim().trim_matches('"').to_string();
            match k.trim() {
                "PROJECTUSER" if !v.is_empty() => user = Some(v),
                "PROJECTGROUP" if !v.is_empty() => grp = Some(v),
                _ => {}
            }
        }
    }
    (user, grp)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "missing".into(),
        std::io::ErrorKind::PermissionDenied => "unreadable (permission denied)".into(),
        std::io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => format!("unreadable ({e})"),
    }
}

/// Parses the `fossconfig` format: `[GROUP]` headers, `key = value`, list entries
/// `key[] = value`, comments starting with `;` or `#`.
pub fn parse_fossology_conf(text: &str) -> Result<(Layout, Option<String>)> {
    let mut group = String::new();
    let mut depth = None;
    let mut path = None;
    let mut hosts: Vec<HostRange> = Vec::new();
    // The scheduler's own check of an entry (`fo_RepValidate`).
    static ENTRY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"^(\*|gold|files|logs|license|test)\s+([[:xdigit:]]+)\s+([[:xdigit:]]+)$").expect("valid regex"));
    let entry = &*ENTRY;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            group = name.trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            // Only the groups the layout comes from must be well-formed; others are FOSSology's business.
            if group == "FOSSOLOGY" || group == "REPOSITORY" {
                bail!("line {}: '{}' in [{}] is not key = value", number + 1, excerpt_str(line), excerpt_str(&group));
            }
            continue;
        };
        let (key, value) = (key.trim(), value.trim().trim_matches('"'));
        match group.as_str() {
            "FOSSOLOGY" if key == "depth" => {
                let d: u32 = value.parse().with_context(|| format!("line {}: [FOSSOLOGY] depth '{}' is not a number", number + 1, excerpt_str(value)))?;
                if d > 20 {
                    bail!("line {}: [FOSSOLOGY] depth {d} is not plausible (names have 20 hex pairs)", number + 1);
                }
                depth = Some(d);
            }
            "FOSSOLOGY" if key == "path" => path = Some(value.to_string()),
            "REPOSITORY" => {
                let Some(host) = key.strip_suffix("[]").map(str::trim) else {
                    let key = excerpt_str(key);
                    bail!("line {}: [REPOSITORY] key '{key}' must be a list entry ('{key}[] = * 00 ff')", number + 1);
                };
                check_host_key(host).with_context(|| format!("line {}", number + 1))?;
                let Some(caps) = entry.captures(value) else {
                    bail!("line {}: [REPOSITORY] entry '{}' is not '<*|gold|files|logs|license|test> <start-hex> <end-hex>' (FOSSology's scheduler would refuse it)", number + 1, excerpt_str(value));
                };
                let (start, end) = (caps[2].to_ascii_lowercase(), caps[3].to_ascii_lowercase());
                if hex_cmp(&start, &end) != std::cmp::Ordering::Less {
                    bail!("line {}: [REPOSITORY] entry '{}': start must be below end (FOSSology's scheduler would refuse it)", number + 1, excerpt_str(value));
                }
                let object_type = (&caps[1] != "*").then(|| caps[1].to_string());
                hosts.push(HostRange { host: host.to_string(), object_type, start, end });
            }
            _ => {}
        }
    }
    // Keys are kept in a tree sorted by strcmp; a key's entries keep file order.
    hosts.sort_by(|a, b| a.host.as_bytes().cmp(b.host.as_bytes()));
    Ok((Layout { depth: depth.unwrap_or(CODE_DEFAULT_DEPTH), hosts, origin: String::new() }, path))
}

/// Compares two hex numbers of any length (bounds longer than 32 digits are valid).
fn hex_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Host keys become directory names; `_RepCheckType`-like characters only.
fn check_host_key(host: &str) -> Result<()> {
    if host.is_empty() || host.starts_with('.') || !host.bytes().all(|c| c.is_ascii_alphanumeric() || b"@%_=+-.".contains(&c)) {
        bail!("[REPOSITORY] host key '{}' is not a usable directory name", excerpt_str(host));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_bounds_of_any_length_compare_as_numbers() {
        let long_lo = format!("{}1", "0".repeat(39));
        let long_hi = "f".repeat(40);
        let (layout, _) = parse_fossology_conf(&format!("[REPOSITORY]\nlocalhost[] = * {long_lo} {long_hi}\n")).unwrap();
        assert_eq!(layout.hosts[0].start, long_lo);
        let e = parse_fossology_conf(&format!("[REPOSITORY]\nlocalhost[] = * {long_hi} {long_lo}\n")).unwrap_err();
        assert!(format!("{e:#}").contains("start must be below end"), "{e:#}");
        assert_eq!(hex_cmp("00ef", "f0"), std::cmp::Ordering::Less);
        assert_eq!(hex_cmp("00ff", "f0"), std::cmp::Ordering::Greater);
    }

    const SHIPPED: &str = "; FOSSology.conf\n[FOSSOLOGY]\nport = 24693\naddress = localhost\ndepth = 3\npath = /srv/fossology/repository\n\n[HOSTS]\nlocalhost = localhost AGENT_DIR 10\n\n[REPOSITORY]\nlocalhost[] = * 00 ff\n";

    #[test]
    fn reads_the_shipped_file() {
        let (layout, path) = parse_fossology_conf(SHIPPED).unwrap();
        assert_eq!(layout.depth, 3);
        assert_eq!(path.as_deref(), Some("/srv/fossology/repository"));
        assert_eq!(layout.hosts, Layout::shipped().hosts);
    }

    #[test]
    fn depth_defaults_to_two_as_the_code_does() {
        let (layout, _) = parse_fossology_conf("[FOSSOLOGY]\npath=/x\n[REPOSITORY]\nlocalhost[] = * 00 ff\n").unwrap();
        assert_eq!(layout.depth, 2);
    }

    #[test]
    fn multi_host_ranges() {
        let text = "[REPOSITORY]\nzeta[] = gold 00 ff\nalpha[] = * 00 7f\nbeta[] = * 80 ff\n";
        let (layout, _) = parse_fossology_conf(text).unwrap();
        assert_eq!(layout.host_dirs(), vec!["alpha", "beta", "zeta"]);
        assert_eq!(layout.hosts_for("files", "7fab"), vec!["alpha"]);
        assert_eq!(layout.hosts_for("files", "80ab"), vec!["beta"]);
        assert_eq!(layout.hosts_for("gold", "80ab"), vec!["beta", "zeta"]);
        assert_eq!(layout.hosts_for("gold", "A0AB"), vec!["beta", "zeta"]);
        // a one-character range compares one character
        let (l, _) = parse_fossology_conf("[REPOSITORY]\nh[] = * 0 7\n").unwrap();
        assert_eq!(l.hosts_for("files", "7fff"), vec!["h"]);
        assert!(l.hosts_for("files", "8000").is_empty());
    }

    #[test]
    fn other_groups_are_not_its_business() {
        let (layout, _) = parse_fossology_conf("[DIRECTORIES]\nsome odd line\nMODDIR = /usr/share\n[FOSSOLOGY]\ndepth = 3\n[REPOSITORY]\nlocalhost[] = * 00 ff\n").unwrap();
        assert_eq!(layout.depth, 3);
        assert!(parse_fossology_conf("[FOSSOLOGY]\nodd line\n").is_err());
    }

    #[test]
    fn refuses_what_the_scheduler_refuses() {
        for bad in ["[REPOSITORY]\nh[] = blobs 00 ff\n", "[REPOSITORY]\nh[] = * ff 00\n", "[REPOSITORY]\nh = * 00 ff\n", "[FOSSOLOGY]\ndepth = three\n", "[REPOSITORY]\nh[] = * 00 zz\n"] {
            assert!(parse_fossology_conf(bad).is_err(), "{bad}");
        }
    }
}
