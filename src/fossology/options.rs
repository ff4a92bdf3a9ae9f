//! What `check fossology` is asked to do, as one struct of command-line arguments (a site
//! file's target takes the same keys), and the same inputs for `plan` and `repair`: the
//! database, the repository, the configuration; the level; the part of the name space.

use std::path::PathBuf;

use clap::{Args, ValueHint};

use crate::engine::product::choices;
use crate::engine::tables::DbSource;

/// What every FOSSology command reads: the database, the repository, the layout.
#[derive(Debug, Clone, Args)]
pub struct Inputs {
    /// The metadata: a postgres:// URL (read in one read-only transaction) or a dump read
    /// without a server: pg_dump / pg_dumpall plain SQL (COPY or --inserts; gzip, lz4,
    /// zstd or none), or a custom (-Fc), directory (-Fd) or tar (-Ft) archive.
    #[arg(long, value_name = "URL|DUMP", value_hint = ValueHint::AnyPath, value_parser = DbSource::arg)]
    pub db: DbSource,
    /// The database to read from a pg_dumpall file (other dumps hold one).
    #[arg(long, value_name = "NAME", default_value = "fossology")]
    pub db_name: String,
    /// The repository root ([FOSSOLOGY] path, e.g. /srv/fossology/repository, or a copy of it).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub repo: PathBuf,
    /// fossology.conf (or the directory holding it and Db.conf): depth and [REPOSITORY] hosts.
    /// Without it the layout is inferred from the repository.
    #[arg(long, value_name = "FILE|DIR", value_hint = ValueHint::AnyPath)]
    pub conf: Option<PathBuf>,
}

/// What `check fossology` was asked to do.
#[derive(Debug, Clone, Args)]
pub struct CheckOptions {
    #[command(flatten)]
    pub inputs: Inputs,
    /// How deeply to verify objects.
    #[arg(long, default_value = "exists", value_parser = choices(Level::CHOICES))]
    pub level: Level,
    /// Check only objects whose names start in this hex range, e.g. 00-7f (one shard).
    #[arg(long, value_name = "LO-HI", value_parser = NameRange::parse, conflicts_with = "shard")]
    pub range: Option<NameRange>,
    /// Check the K-th of N equal shards of the name space (1/4 … 4/4): one runner's share
    /// when only its index is known. Merge the N reports with repocheck merge.
    #[arg(long, value_name = "K/N", value_parser = NameRange::shard)]
    pub shard: Option<NameRange>,
    /// With --level content: re-hash only subset K of N (by name), the rest at size level;
    /// auto/N picks K from the date, so N nightly runs re-hash every object once.
    #[arg(long, value_name = "K/N|auto/N", value_parser = Subset::parse)]
    pub subset: Option<Subset>,
    /// Check only this [REPOSITORY] host's share of a multi-host repository.
    #[arg(long, value_name = "KEY")]
    pub host: Option<String>,
}

/// How deeply objects are verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The object is there.
    Exists,
    /// …and its size is the size in its name.
    Size,
    /// …and its content hashes to its name (SHA-1 by default; the digests of
    /// `fossology/content-mismatch`).
    Content,
}

impl Level {
    /// Every level, with what it checks.
    pub const CHOICES: &'static [(Level, &'static str, &'static str)] = &[
        (Level::Exists, "exists", "the object is there"),
        (Level::Size, "size", "…and its size is the size in its name (stat)"),
        (Level::Content, "content", "…and its content hashes to its name (SHA-1; MD5, SHA-256 too as the digests parameter asks; reads every byte)"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Exists => "exists",
            Level::Size => "size",
            Level::Content => "content",
        }
    }
}

/// A hex name range `lo-hi` (inclusive, compared on the length of each bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRange {
    pub lo: String,
    pub hi: String,
}

impl NameRange {
    pub fn parse(s: &str) -> Result<NameRange, String> {
        let (lo, hi) = s.split_once('-').ok_or_else(|| format!("--range '{s}': expected <lo>-<hi>, e.g. 00-7f"))?;
        let ok = |x: &str| !x.is_empty() && x.len() <= 40 && x.bytes().all(|c| c.is_ascii_hexdigit());
        if !ok(lo) || !ok(hi) {
            return Err(format!("--range '{s}': bounds must be hex prefixes of object names"));
        }
        let (lo, hi) = (lo.to_ascii_lowercase(), hi.to_ascii_lowercase());
        let n = lo.len().min(hi.len());
        if lo[..n] > hi[..n] {
            return Err(format!("--range '{s}': {lo} is after {hi}"));
        }
        Ok(NameRange { lo, hi })
    }

    /// Whether a name lies in the range: its first characters, as many as each bound has,
    /// are at or after `lo` and at or before `hi`.
    pub fn contains(&self, name: &str) -> bool {
        self.may_contain_prefix(name)
    }

    /// Whether some name starting with `prefix` may lie in the range.
    pub fn may_contain_prefix(&self, prefix: &str) -> bool {
        let l = prefix.len().min(self.lo.len());
        let h = prefix.len().min(self.hi.len());
        prefix[..l] >= self.lo[..l] && prefix[..h] <= self.hi[..h]
    }
}

impl NameRange {
    /// `K/N`: the K-th (from 1) of N equal ranges of the first four hex digits, so a runner
    /// only needs its index (a Kubernetes Indexed Job, a Slurm array).
    pub fn shard(s: &str) -> Result<NameRange, String> {
        let (k, n) = fraction(s, "--shard")?;
        if n > 65536 {
            return Err(format!("--shard '{s}': at most 65536 shards"));
        }
        let lo = (k - 1) * 65536 / n;
        let hi = k * 65536 / n - 1;
        Ok(NameRange { lo: format!("{lo:04x}"), hi: format!("{hi:04x}") })
    }
}

/// `K/N` with 1 ≤ K ≤ N.
fn fraction(s: &str, option: &str) -> Result<(u64, u64), String> {
    let (k, n) = s.split_once('/').ok_or_else(|| format!("{option} '{s}': expected K/N, e.g. 1/4"))?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| format!("{option} '{s}': K is not a number"))?, n.trim().parse().map_err(|_| format!("{option} '{s}': N is not a number"))?);
    if n == 0 || k == 0 || k > n {
        return Err(format!("{option} '{s}': K must be between 1 and N"));
    }
    Ok((k, n))
}

/// `--subset K/N`: which objects a content run re-hashes — those whose name's fifth to
/// eighth hex digits fall in the K-th of N equal ranges (not the first four, so subsets
/// cut across shards) — the others are checked at size level. As restic's
/// `check --read-data-subset`, N runs with K = 1…N re-hash every object once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subset {
    pub k: u64,
    pub n: u64,
}

impl Subset {
    /// `K/N`, or `auto/N` (K from the date: day number modulo N, so N nightly runs cover
    /// every object once).
    pub fn parse(s: &str) -> Result<Subset, String> {
        if let Some(n) = s.strip_prefix("auto/") {
            let n: u64 = n.trim().parse().ok().filter(|n| (1..=65536).contains(n)).ok_or_else(|| format!("--subset '{s}': N must be a number from 1 to 65536"))?;
            let day = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() / 86400).unwrap_or(0);
            return Ok(Subset { k: day % n + 1, n });
        }
        let (k, n) = fraction(s, "--subset")?;
        if n > 65536 {
            return Err(format!("--subset '{s}': at most 65536 subsets"));
        }
        Ok(Subset { k, n })
    }

    /// Whether the object `name` (lower-case hex) is in the subset.
    pub fn contains(&self, name: &str) -> bool {
        let Some(v) = name.get(4..8).and_then(|h| u64::from_str_radix(h, 16).ok()) else { return true };
        v * self.n / 65536 + 1 == self.k
    }
}

impl std::fmt::Display for Subset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl std::fmt::Display for NameRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.lo, self.hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_name_space_in_equal_contiguous_ranges() {
        for n in [1u64, 2, 3, 7, 16, 17, 256, 65536] {
            let shards: Vec<NameRange> = (1..=n).map(|k| NameRange::shard(&format!("{k}/{n}")).unwrap()).collect();
            assert_eq!(shards[0].lo, "0000");
            assert_eq!(shards[n as usize - 1].hi, "ffff");
            for w in shards.windows(2) {
                assert_eq!(u64::from_str_radix(&w[0].hi, 16).unwrap() + 1, u64::from_str_radix(&w[1].lo, 16).unwrap(), "{n}");
            }
            // Every name is in exactly one shard.
            for name in ["0000aa", "7fffff", "8000", "5c9c5f1d", "ffffffff"] {
                assert_eq!(shards.iter().filter(|r| r.contains(name)).count(), 1, "{name} {n}");
            }
        }
        assert!(NameRange::shard("0/4").is_err() && NameRange::shard("5/4").is_err() && NameRange::shard("x").is_err());
    }

    #[test]
    fn subsets_cover_every_name_once_and_cut_across_shards() {
        for n in [1u64, 3, 7, 30] {
            for name in ["00000000ab", "5c9c5f1d00", "ffffffff", "1234abcd"] {
                let hits = (1..=n).filter(|&k| Subset { k, n }.contains(name)).count();
                assert_eq!(hits, 1, "{name} {n}");
            }
        }
        // The first four digits (the shard) do not decide the subset.
        let s = Subset { k: 1, n: 2 };
        assert!(s.contains("00000000") && !s.contains("0000ffff"));
        let auto = Subset::parse("auto/7").unwrap();
        assert!(auto.n == 7 && (1..=7).contains(&auto.k));
        assert!(Subset::parse("8/7").is_err() && Subset::parse("auto/0").is_err());
    }

    #[test]
    fn ranges() {
        let r = NameRange::parse("00-7f").unwrap();
        assert!(r.contains("00ab"));
        assert!(r.contains("7fff"));
        assert!(!r.contains("80aa"));
        assert!(r.may_contain_prefix("7"));
        assert!(!r.may_contain_prefix("8"));
        let r = NameRange::parse("80-FF").unwrap();
        assert!(r.contains("ffff"));
        assert!(!r.contains("7fff"));
        assert!(NameRange::parse("80-7f").is_err());
        assert!(NameRange::parse("zz-ff").is_err());
        assert!(NameRange::parse("00").is_err());
    }
}
