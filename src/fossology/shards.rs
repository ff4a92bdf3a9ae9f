//! Merging the reports of shards (`--range`, `--shard`, `--host`) into exactly what one
//! whole run says.
//!
//! A shard walks only its own directories. An object it finds there whose name is another
//! shard's (in the wrong directory, or on the wrong host) it cannot judge: whether it is the
//! missing object of the other shard (then it is a move), a second copy, or referenced by
//! nothing depends on what that shard found. It leaves such objects on the side of its
//! report; here they are paired with the other shards' `file-missing` findings and the
//! findings a whole run would have made are made. A `file-missing` a move explains goes,
//! and so does an `upload-unrecoverable` no other missing or damaged file of the upload
//! still calls for. `layout-mismatch` findings of the same tree add up their objects.
//!
//! Everything goes through sorts on disk; what is held in memory is bounded by the
//! number of such cross-shard objects and of `layout-mismatch` findings.

use std::collections::{BTreeMap, HashSet};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Rule;
use super::layout::ObjectType;
use super::merge::misplaced_finding;
use super::walk::Why;
use crate::engine::extsort::ExternalSorter;
use crate::engine::finding::Finding;
use crate::engine::sink::Sink;
use crate::engine::spool::{Line, LineSpool};

/// The record a shard leaves on the side of its report about one object whose name is
/// another shard's (`Run::foreign`): the one wire form of it, written there and read back
/// here. The report's `side` array holds it as
/// `{"product": "fossology", "record": "foreign-object", "type", "name", "rel", "why",
/// "expected", "allowed", "copy_at", "referenced"}`, nulls included.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SideRecord {
    product: String,
    record: String,
    #[serde(flatten)]
    pub(super) object: Foreign,
}

impl SideRecord {
    const PRODUCT: &str = "fossology";
    const RECORD: &str = "foreign-object";

    pub(super) fn new(object: Foreign) -> SideRecord {
        SideRecord { product: SideRecord::PRODUCT.into(), record: SideRecord::RECORD.into(), object }
    }

    /// As the sink takes it.
    pub(super) fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a side record is strings, booleans and nulls")
    }
}

/// One object out of its shard, as the shard saw it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Foreign {
    #[serde(rename = "type")]
    pub(super) object_type: ObjectType,
    pub(super) name: String,
    pub(super) rel: String,
    pub(super) why: Why,
    pub(super) expected: String,
    /// It lies on a host the ranges allow for it: the object is present.
    pub(super) allowed: bool,
    /// A copy where the layout puts it, as the shard saw the file system.
    pub(super) copy_at: Option<String>,
    /// Whether a database row names it, when the shard knew.
    pub(super) referenced: Option<bool>,
}

const BUDGET: usize = 32 << 20;

/// Whether a side record is a foreign object's (a report's `side` may hold other records).
pub fn is_side_record(v: &Value) -> bool {
    v.get("product").and_then(Value::as_str) == Some(SideRecord::PRODUCT) && v.get("record").and_then(Value::as_str) == Some(SideRecord::RECORD)
}

/// Hands every finding of `unique` (deduplicated findings of all shards) to `sink`,
/// making with `side` (the shards' side records) what a whole run would have said.
pub fn merge(unique: &mut LineSpool, side: &mut LineSpool, sink: &Sink) -> Result<()> {
    let (foreign, owned) = sort_places(unique, side)?;
    let pairing = pair(foreign, owned)?;
    emit(unique, pairing, sink)
}

/// What pairing the cross-shard objects with the owning shards' findings decided.
struct Pairing {
    /// Findings (as JSON) a whole run would not have made.
    dropped: HashSet<String>,
    /// Uploads whose `upload-unrecoverable` may have been caused by a dropped finding alone.
    candidates: HashSet<i64>,
    /// The `misplaced-file` findings a whole run makes of the cross-shard objects.
    made: Vec<Made>,
}

/// The cross-shard objects sorted by where they belong, then path; and what the owning
/// shards said of the same places (a missing file, or a copy of it they found out of place
/// themselves), sorted by place.
fn sort_places(unique: &mut LineSpool, side: &mut LineSpool) -> Result<(ExternalSorter<Line>, ExternalSorter<Line>)> {
    let mut foreign = ExternalSorter::new(BUDGET);
    for v in side.read::<Value>()? {
        let v = v?;
        if is_side_record(&v) {
            let f = serde_json::from_value::<SideRecord>(v.clone())?.object;
            foreign.push(Line(format!("{}\0{}\0{}", f.expected, f.rel, v).into_bytes()))?;
        }
    }
    let mut owned = ExternalSorter::new(BUDGET);
    if !foreign.is_empty() {
        for f in unique.read::<Finding>()? {
            let f = f?;
            let place = match Rule::from_id(&f.rule) {
                Some(Rule::FileMissing) => Some(f.subject.clone()),
                Some(Rule::MisplacedFile) if f.details.get("referenced") == Some(&Value::Bool(true)) => f.details.get("expected").and_then(Value::as_str).map(str::to_string),
                _ => None,
            };
            if let Some(place) = place {
                owned.push(Line(format!("{place}\0{}", serde_json::to_string(&f)?).into_bytes()))?;
            }
        }
    }
    Ok((foreign, owned))
}

/// Each cross-shard object with the owning shard's findings of its place: what a whole run
/// would have said of them.
fn pair(foreign: ExternalSorter<Line>, owned: ExternalSorter<Line>) -> Result<Pairing> {
    let mut dropped: HashSet<String> = HashSet::new();
    let mut candidates: HashSet<i64> = HashSet::new();
    let mut made: Vec<Made> = Vec::new();
    let mut owned = owned.finish()?.peekable();
    let mut foreign = foreign.finish()?.peekable();
    while let Some(first) = foreign.next() {
        let first = parse_foreign(&first?)?;
        let expected = first.expected.clone();
        let mut group = vec![first];
        while let Some(next) = foreign.next_if(|l| l.as_ref().is_ok_and(|l| l.0.starts_with(format!("{expected}\0").as_bytes()))) {
            group.push(parse_foreign(&next?)?);
        }
        let mut fm: Option<Finding> = None;
        let mut theirs: Vec<Finding> = Vec::new();
        while let Some(l) = owned.next_if(|l| l.as_ref().is_ok_and(|l| split(&l.0).0.as_str() <= expected.as_str())) {
            let (place, json) = split(&l?.0);
            if place == expected {
                let f: Finding = serde_json::from_str(&json)?;
                if Rule::from_id(&f.rule) == Some(Rule::FileMissing) { fm = Some(f) } else { theirs.push(f) }
            }
        }
        // Every copy of the object out of its place, as a whole run sees them together.
        let mut copies: Vec<Foreign> = group.iter().filter(|g| !g.allowed).cloned().collect();
        for f in &theirs {
            dropped.insert(serde_json::to_string(f)?);
            let s = |k: &str| f.details.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            let typed = |k: &str| f.details.get(k).cloned().unwrap_or_default();
            let (object_type, why) = (serde_json::from_value(typed("type")), serde_json::from_value(typed("why")));
            let (Ok(object_type), Ok(why)) = (object_type, why) else {
                anyhow::bail!("a misplaced-file finding of {} names no object type or reason", f.subject);
            };
            let copy_at = f.details.get("duplicate_of").and_then(Value::as_str).map(str::to_string);
            copies.push(Foreign { object_type, name: s("name"), rel: f.subject.clone(), why, expected: expected.clone(), allowed: false, copy_at, referenced: Some(true) });
        }
        copies.sort_by(|a, b| a.rel.cmp(&b.rel));
        let moved = theirs.iter().any(|f| f.repair.as_ref().is_some_and(|r| r.action == "move"));
        let mut explained = false;
        if let Some(present) = group.iter().find(|g| g.allowed) {
            // A copy on a host the ranges allow: the object is there.
            explained = true;
            for c in &copies {
                made.push(finding(c, true, Some(&present.rel)));
            }
        } else if fm.is_some() || moved {
            explained = true;
            for (i, c) in copies.iter().enumerate() {
                made.push(finding(c, true, (i > 0).then_some(expected.as_str())));
            }
        } else {
            for c in &copies {
                made.push(match (&c.copy_at, c.referenced) {
                    (Some(copy), _) => finding(c, true, Some(copy)),
                    (None, Some(true)) => finding(c, true, None),
                    _ => finding(c, false, None),
                });
            }
        }
        if let (true, Some(fm)) = (explained, fm) {
            // With no usable gold, this file made its uploads unrecoverable.
            if fm.repair.as_ref().is_some_and(|r| r.action == "restore-from-backup") {
                candidates.extend(uploads_of(&fm));
            }
            dropped.insert(serde_json::to_string(&fm)?);
        }
    }
    Ok(Pairing { dropped, candidates, made })
}

/// Every finding, with what a whole run would not have said taken out and what it would
/// have said put in.
fn emit(unique: &mut LineSpool, pairing: Pairing, sink: &Sink) -> Result<()> {
    let Pairing { dropped, candidates, made } = pairing;
    // The findings, with what a whole run would not have said taken out.
    let mut held_unrecoverable = Vec::new();
    let mut still: HashSet<i64> = HashSet::new();
    let mut layout: BTreeMap<(String, String), Finding> = BTreeMap::new();
    for f in unique.read::<Finding>()? {
        let f = f?;
        let rule = Rule::from_id(&f.rule);
        match rule {
            Some(Rule::FileMissing | Rule::MisplacedFile) if !dropped.is_empty() && dropped.contains(&serde_json::to_string(&f)?) => continue,
            Some(Rule::UploadUnrecoverable) if f.details.get("upload").and_then(Value::as_i64).is_some_and(|u| candidates.contains(&u)) => {
                held_unrecoverable.push(f);
                continue;
            }
            Some(Rule::LayoutMismatch) => {
                match layout.get_mut(&(f.subject.clone(), f.message.clone())) {
                    Some(kept) => {
                        let add = f.details.get("objects").and_then(Value::as_u64).unwrap_or(0);
                        let sum = kept.details.get("objects").and_then(Value::as_u64).unwrap_or(0) + add;
                        kept.details.insert("objects".into(), sum.into());
                    }
                    None => {
                        layout.insert((f.subject.clone(), f.message.clone()), f);
                    }
                }
                continue;
            }
            // A files object no gold can restore makes its uploads unrecoverable (a damaged
            // gold is its own finding, not a cause).
            Some(Rule::FileMissing | Rule::SizeMismatch | Rule::ContentMismatch)
                if f.repair.as_ref().is_some_and(|r| r.action == "restore-from-backup") && f.details.get("type").and_then(Value::as_str) != Some("gold") =>
            {
                still.extend(uploads_of(&f).into_iter().filter(|u| candidates.contains(u)));
            }
            _ => {}
        }
        sink.record(f);
    }
    for f in held_unrecoverable {
        if f.details.get("upload").and_then(Value::as_i64).is_some_and(|u| still.contains(&u)) {
            sink.record(f);
        }
    }
    for (subject, (message, details, repair)) in made {
        sink.emit(Rule::MisplacedFile, subject, message, details, repair);
    }
    for f in layout.into_values() {
        sink.record(f);
    }
    Ok(())
}

fn parse_foreign(line: &Line) -> Result<Foreign> {
    let text = std::str::from_utf8(&line.0)?;
    let json = text.splitn(3, '\0').nth(2).unwrap_or_default();
    Ok(serde_json::from_str::<SideRecord>(json)?.object)
}

/// `(subject, json)` of a keyed line.
fn split(bytes: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(bytes);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    (a.to_string(), b.to_string())
}

fn uploads_of(f: &Finding) -> Vec<i64> {
    f.details.get("uploads").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default()
}

/// A `misplaced-file` finding to make: its subject, message, details and repair (its
/// severity comes from the catalogue when it is emitted).
type Made = (String, (String, serde_json::Map<String, Value>, Option<crate::engine::finding::Repair>));

/// The `misplaced-file` finding a whole run makes of this object.
fn finding(g: &Foreign, referenced: bool, duplicate_of: Option<&str>) -> Made {
    (g.rel.clone(), misplaced_finding(g.object_type, &g.rel, &g.name, g.why, &g.expected, referenced, duplicate_of))
}

/// The scope of the union of parts of one installation (`--range`, `--shard`, `--host`,
/// `--subset` runs): the ranges, hosts or subsets they covered together — none where they
/// cover all of it, as a whole run's scope names none. Other keys are the first part's.
pub fn merge_scope(scopes: &[serde_json::Map<String, Value>]) -> serde_json::Map<String, Value> {
    let mut out = scopes.first().cloned().unwrap_or_default();
    let strings = |key: &str| -> Option<Vec<String>> {
        // A part without the key covered all of what the key limits.
        scopes
            .iter()
            .map(|s| s.get(key).map(|v| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_else(|| v.as_str().map(str::to_string).into_iter().collect())))
            .collect()
    };
    let put = |out: &mut serde_json::Map<String, Value>, key: &str, mut values: Vec<String>| match values.len() {
        0 => {
            out.shift_remove(key);
        }
        1 => {
            out.insert(key.into(), values.remove(0).into());
        }
        _ => {
            out.insert(key.into(), values.into());
        }
    };
    match strings("range") {
        Some(ranges) => put(&mut out, "range", range_union(&ranges)),
        None => {
            out.shift_remove("range");
        }
    }
    match strings("host") {
        Some(hosts) => {
            let hosts: std::collections::BTreeSet<String> = hosts.into_iter().collect();
            let all: std::collections::BTreeSet<String> = out
                .get("layout")
                .and_then(|l| l.get("hosts"))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).filter_map(|line| line.split("[]").next()).map(str::to_string).collect())
                .unwrap_or_default();
            put(&mut out, "host", if !all.is_empty() && hosts == all { Vec::new() } else { hosts.into_iter().collect() });
        }
        None => {
            out.shift_remove("host");
        }
    }
    match strings("subset") {
        Some(subsets) => {
            let mut by_n: BTreeMap<u64, std::collections::BTreeSet<u64>> = BTreeMap::new();
            let mut odd = Vec::new();
            for s in &subsets {
                match s.split_once('/').and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?))) {
                    Some((k, n)) => {
                        by_n.entry(n).or_default().insert(k);
                    }
                    None => odd.push(s.clone()),
                }
            }
            let whole = odd.is_empty() && by_n.iter().any(|(n, ks)| ks.len() as u64 == *n);
            let listed = by_n.iter().flat_map(|(n, ks)| ks.iter().map(move |k| format!("{k}/{n}"))).chain(odd).collect();
            put(&mut out, "subset", if whole { Vec::new() } else { listed });
        }
        None => {
            out.shift_remove("subset");
        }
    }
    out
}

/// The union of hex name ranges `lo-hi`: the fewest ranges covering them, none when they
/// cover every name.
fn range_union(ranges: &[String]) -> Vec<String> {
    // Bounds widened to whole names: `lo` with zeros, `hi` with f's.
    let mut spans: Vec<(String, String, &str, &str)> = ranges.iter().filter_map(|r| r.split_once('-')).map(|(lo, hi)| (format!("{lo:0<40}"), format!("{hi:f<40}"), lo, hi)).collect();
    spans.sort();
    let mut merged: Vec<(String, String, &str, &str)> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.0 <= last.1 || next_name(&last.1).as_deref() == Some(span.0.as_str()) => {
                if span.1 > last.1 {
                    last.1 = span.1;
                    last.3 = span.3;
                }
            }
            _ => merged.push(span),
        }
    }
    if merged.len() == 1 && merged[0].0.bytes().all(|b| b == b'0') && merged[0].1.bytes().all(|b| b == b'f') {
        return Vec::new();
    }
    merged.into_iter().map(|(_, _, lo, hi)| format!("{lo}-{hi}")).collect()
}

/// The hex name after `name` (same length), none after the last.
fn next_name(name: &str) -> Option<String> {
    let mut digits: Vec<u8> = name.bytes().collect();
    for d in digits.iter_mut().rev() {
        if *d == b'f' {
            *d = b'0';
        } else {
            *d = if *d == b'9' { b'a' } else { *d + 1 };
            return Some(String::from_utf8_lossy(&digits).into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_record_has_its_fields_in_order_nulls_included_and_reads_back() {
        let object = Foreign {
            object_type: ObjectType::Files,
            name: "ab".into(),
            rel: "localhost/files/ab".into(),
            why: Why::WrongDirectory,
            expected: "localhost/files/a/ab".into(),
            allowed: false,
            copy_at: None,
            referenced: Some(true),
        };
        let value = SideRecord::new(object).to_value();
        assert_eq!(
            value.to_string(),
            r#"{"product":"fossology","record":"foreign-object","type":"files","name":"ab","rel":"localhost/files/ab","why":"in the wrong directory","expected":"localhost/files/a/ab","allowed":false,"copy_at":null,"referenced":true}"#
        );
        assert!(is_side_record(&value));
        let back = serde_json::from_value::<SideRecord>(value).unwrap().object;
        assert_eq!((back.rel.as_str(), back.copy_at, back.referenced), ("localhost/files/ab", None, Some(true)));
    }
}
