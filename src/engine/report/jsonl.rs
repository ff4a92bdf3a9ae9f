//! JSON Lines of a diff: one line per new or resolved finding. (A run's JSON Lines are
//! written by the sink as the findings are found: see the module above.)

use std::io::Write;

use anyhow::Result;
use serde_json::{Map, Value};

use super::diff::{Change, Diff};

/// `{"change": "new"|"resolved", ...finding}`, the new findings then the resolved ones.
pub(super) fn write_diff(diff: &Diff, out: &mut dyn Write) -> Result<()> {
    for change in Change::LISTED {
        diff.for_each(change, |f| {
            let mut line = Map::new();
            line.insert("change".into(), Value::String(change.as_str().into()));
            if let Value::Object(fields) = serde_json::to_value(&f)? {
                line.extend(fields);
            }
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
            Ok(())
        })?;
    }
    Ok(())
}
