//! Reading a JSON report back (`repocheck-report/1` or `/2`), streaming, for `merge`,
//! `diff` and `repair`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::{RepairEntry, SCHEMAS_READ, StatsOut, Summary, Target, Tool};
use crate::engine::finding::Finding;
use crate::engine::plan::PlanUnit;

/// A report as read from a JSON file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportFile {
    pub schema: String,
    pub tool: Tool,
    pub started_at: String,
    pub finished_at: String,
    pub targets: Vec<Target>,
    pub stats: StatsOut,
    pub summary: Summary,
    /// The repair plan (`repocheck-report/2`; empty in /1 reports).
    #[serde(default)]
    pub plan: Vec<PlanUnit>,
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub repairs: Vec<RepairEntry>,
}

/// Reads a JSON report, checking its schema id; the findings are kept in memory.
pub fn read_report(path: &Path) -> Result<ReportFile> {
    let mut findings = Vec::new();
    let mut report = stream_report(path, &mut |f| findings.push(f))?;
    report.findings = findings;
    Ok(report)
}

/// Reads a JSON report, handing each finding to `on_finding` as it is parsed instead of
/// keeping them (a merged report of millions of findings stays out of memory). The returned
/// report has no findings.
pub fn stream_report(path: &Path, on_finding: &mut dyn FnMut(Finding)) -> Result<ReportFile> {
    stream_report_with(path, on_finding, &mut |_| {})
}

/// As [`stream_report`], also handing over the records a shard left for merge (`side`).
pub fn stream_report_with(path: &Path, on_finding: &mut dyn FnMut(Finding), on_side: &mut dyn FnMut(serde_json::Value)) -> Result<ReportFile> {
    let file = crate::engine::io::open_regular(path).with_context(|| format!("{}: cannot open the report", path.display()))?;
    let mut de = serde_json::Deserializer::from_reader(StringLimit::new(std::io::BufReader::with_capacity(1 << 16, file)));
    let report = serde::de::DeserializeSeed::deserialize(ReportSeed { on_finding, on_side }, &mut de).with_context(|| format!("{}: not a repocheck JSON report", path.display()))?;
    de.end().with_context(|| format!("{}: not a repocheck JSON report", path.display()))?;
    if !SCHEMAS_READ.contains(&report.schema.as_str()) {
        bail!("{}: report schema is '{}', this repocheck reads {}", path.display(), report.schema, SCHEMAS_READ.join(" and "));
    }
    Ok(report)
}

/// The longest JSON string a report may hold (a subject, a message, a detail). A report is
/// read streaming — a one-line report of millions of findings is normal — so a string is the
/// one thing the parser holds whole; a longer one is refused before it is.
pub const MAX_STRING: u64 = 64 << 20;

/// Passes JSON through, failing when a string runs longer than [`MAX_STRING`] bytes.
struct StringLimit<R> {
    inner: R,
    in_string: bool,
    escaped: bool,
    run: u64,
    max: u64,
}

impl<R> StringLimit<R> {
    fn new(inner: R) -> Self {
        StringLimit { inner, in_string: false, escaped: false, run: 0, max: MAX_STRING }
    }
}

impl<R: std::io::Read> std::io::Read for StringLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if !self.in_string {
                if b == b'"' {
                    (self.in_string, self.run) = (true, 0);
                }
                continue;
            }
            self.run += 1;
            if self.run > self.max {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a string longer than {}, more than a report holds", crate::engine::io::size(self.max))));
            }
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
        }
        Ok(n)
    }
}

struct ReportSeed<'a> {
    on_finding: &'a mut dyn FnMut(Finding),
    on_side: &'a mut dyn FnMut(serde_json::Value),
}

impl<'de> serde::de::DeserializeSeed<'de> for ReportSeed<'_> {
    type Value = ReportFile;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<ReportFile, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ReportSeed<'_> {
    type Value = ReportFile;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a repocheck report object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ReportFile, A::Error> {
        use serde::de::Error;
        let (mut schema, mut tool, mut started_at, mut finished_at, mut targets, mut stats, mut summary, mut repairs) = (None, None, None, None, None, None, None, None);
        let mut plan = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "schema" => schema = Some(map.next_value()?),
                "tool" => tool = Some(map.next_value()?),
                "started_at" => started_at = Some(map.next_value()?),
                "finished_at" => finished_at = Some(map.next_value()?),
                "targets" => targets = Some(map.next_value()?),
                "stats" => stats = Some(map.next_value()?),
                "summary" => summary = Some(map.next_value()?),
                "repairs" => repairs = Some(map.next_value()?),
                "plan" => plan = Some(map.next_value()?),
                "findings" => map.next_value_seed(EachSeed { each: &mut *self.on_finding, what: "an array of findings" })?,
                "side" => map.next_value_seed(EachSeed { each: &mut *self.on_side, what: "an array of records" })?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(ReportFile {
            schema: schema.ok_or_else(|| A::Error::missing_field("schema"))?,
            tool: tool.ok_or_else(|| A::Error::missing_field("tool"))?,
            started_at: started_at.ok_or_else(|| A::Error::missing_field("started_at"))?,
            finished_at: finished_at.ok_or_else(|| A::Error::missing_field("finished_at"))?,
            targets: targets.ok_or_else(|| A::Error::missing_field("targets"))?,
            stats: stats.ok_or_else(|| A::Error::missing_field("stats"))?,
            summary: summary.ok_or_else(|| A::Error::missing_field("summary"))?,
            plan: plan.unwrap_or_default(),
            findings: Vec::new(),
            repairs: repairs.unwrap_or_default(),
        })
    }
}

/// An array handed over one element at a time (`what` names it in errors), never held.
struct EachSeed<'a, T> {
    each: &'a mut dyn FnMut(T),
    what: &'static str,
}

impl<'de, T: serde::Deserialize<'de>> serde::de::DeserializeSeed<'de> for EachSeed<'_, T> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for EachSeed<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.what)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(element) = seq.next_element::<T>()? {
            (self.each)(element);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn strings_are_limited_and_the_rest_passes_through() {
        let read = |text: &str, max: u64| {
            let mut out = Vec::new();
            let mut r = StringLimit { max, ..StringLimit::new(text.as_bytes()) };
            r.read_to_end(&mut out).map(|_| String::from_utf8(out).unwrap())
        };
        let ok = r#"{"a":"x\"yz","b":[1,2,"\\"],"c":"12345"}"#;
        assert_eq!(read(ok, 6).unwrap(), ok);
        let e = read(r#"{"a":"1234567"}"#, 6).unwrap_err();
        assert!(e.to_string().starts_with("a string longer than 6 bytes"), "{e}");
        // long runs outside strings (numbers, whitespace) are the parser's business
        assert!(read(&format!("[{}1]", " ".repeat(100)), 6).is_ok());
    }
}
