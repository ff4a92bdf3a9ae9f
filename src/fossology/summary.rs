//! `layout-mismatch`: when the objects of a tree mostly lie at another depth, or on
//! another host, than the configuration says, that is one finding — the layout found
//! against the layout configured, and the one fix — not a move per object.
//!
//! Misplaced-object findings wait in a spool on disk with their class (the depth of the
//! layout they lie in, or the host they lie on) until the walk is done and the counts are
//! known; then each class is either summarized or its findings go out as they are.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Rule;
use super::layout::ObjectType;
use crate::details;
use crate::engine::finding::Repair;
use crate::engine::sink::Sink;
use crate::engine::spool::LineSpool;

/// The class of a misplaced object that a summary can stand for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(super) enum Class {
    /// Objects of `type` lying in a consistent layout of another depth.
    Depth(ObjectType, u32),
    /// Objects of `type` lying on `host`, whose ranges name another host.
    Host(ObjectType, String),
}

/// A misplaced-object finding held back until the counts are known.
#[derive(Debug, Serialize, Deserialize)]
struct Held {
    class: Class,
    subject: String,
    message: String,
    details: Map<String, Value>,
    repair: Option<Repair>,
    referenced: bool,
    object_type: ObjectType,
    name: String,
    size: u64,
}

/// The spool of held findings, and the counts of the host classes.
#[derive(Default)]
pub(super) struct Summary {
    spool: RefCell<Option<LineSpool>>,
    error: RefCell<Option<anyhow::Error>>,
    pub(super) hosts: RefCell<BTreeMap<(ObjectType, String), u64>>,
}

/// What decides a summary (the rule's parameters).
pub(super) struct Totals {
    /// Per type: objects found in place plus misplaced ones.
    pub(super) objects: BTreeMap<ObjectType, u64>,
    /// Misplaced objects per depth class.
    pub(super) depths: BTreeMap<(ObjectType, u32), u64>,
}

impl Summary {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn hold(&self, class: Class, subject: &str, message: String, details: Map<String, Value>, repair: Option<Repair>, referenced: bool, object_type: ObjectType, name: &str, size: u64) {
        if let Class::Host(t, h) = &class {
            *self.hosts.borrow_mut().entry((*t, h.clone())).or_default() += 1;
        }
        let held = Held { class, subject: subject.to_string(), message, details, repair, referenced, object_type, name: name.into(), size };
        let result = (|| -> Result<()> {
            let mut spool = self.spool.borrow_mut();
            if spool.is_none() {
                *spool = Some(LineSpool::new()?);
            }
            spool.as_mut().expect("just made").push(&held)
        })();
        if let Err(e) = result {
            self.error.borrow_mut().get_or_insert(e);
        }
    }

    /// Decides which classes are summarized, then lets the held findings out: those of a
    /// summarized class become one `layout-mismatch` each (an unreferenced object among
    /// them is an orphan of the layout found), the others go out as they are.
    pub(super) fn finish(self, totals: &Totals, configured_depth: u32, origin: &str, min_objects: u64, share: f64, sink: &Sink) -> Result<()> {
        if let Some(e) = self.error.into_inner() {
            return Err(e);
        }
        let big = |n: u64, t: ObjectType| n >= min_objects && n as f64 > share * totals.objects.get(&t).copied().unwrap_or(0) as f64;
        let mut summarized: BTreeMap<Class, u64> = BTreeMap::new();
        for ((t, d), n) in &totals.depths {
            if big(*n, *t) {
                summarized.insert(Class::Depth(*t, *d), *n);
            }
        }
        for ((t, h), n) in self.hosts.borrow().iter() {
            if big(*n, *t) {
                summarized.insert(Class::Host(*t, h.clone()), *n);
            }
        }
        if let Some(mut spool) = self.spool.into_inner() {
            for held in spool.read::<Held>()? {
                let held = held?;
                if !summarized.contains_key(&held.class) {
                    sink.emit(Rule::MisplacedFile, held.subject, held.message, held.details, held.repair);
                } else if !held.referenced {
                    // In the layout found, an unreferenced object is an orphan.
                    sink.emit(
                        Rule::FileOrphaned,
                        held.subject,
                        "no uploadtree or upload row references this object".to_string(),
                        details! { "type" => held.object_type.as_str(), "name" => held.name, "size" => held.size },
                        None,
                    );
                }
            }
        }
        let seen: BTreeSet<&Class> = summarized.keys().collect();
        for class in seen {
            let n = summarized[class];
            match class {
                Class::Depth(t, d) => sink.emit(
                    Rule::LayoutMismatch,
                    format!("{t} depth {d}"),
                    format!(
                        "{t} objects lie at depth {d}, not at depth {configured_depth} as the layout says ({origin}): FOSSology looks for them at depth {configured_depth} and finds none; set depth = {d} in [FOSSOLOGY] of fossology.conf, or move the tree to depth {configured_depth}"
                    ),
                    details! { "type" => t.as_str(), "found_depth" => d, "configured_depth" => configured_depth, "objects" => n },
                    None,
                ),
                Class::Host(t, h) => sink.emit(
                    Rule::LayoutMismatch,
                    format!("{h}/{t}"),
                    format!("{t} objects on host directory {h} belong, by the [REPOSITORY] ranges ({origin}), to other hosts: correct the [REPOSITORY] lines of fossology.conf, or move the objects to the hosts the ranges name"),
                    details! { "type" => t.as_str(), "host" => h, "objects" => n },
                    None,
                ),
            }
        }
        Ok(())
    }
}
