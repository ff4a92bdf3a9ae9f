//! What JOC Cockpit's database says is deployed to each Controller, and how far its history
//! service has read (JOC Cockpit, `sos-components`:
//! `sos-joc/sos-joc-db/src/main/java/com/sos/joc/db/DBLayer.java`, `db/deployment/*.java`).
//!
//! `DEP_CONFIGURATIONS` is a view in current JOC: per (controller, name, type) the
//! `DEP_HISTORY` row with the highest id among those with `STATE = 0` (deployed), when its
//! `OPERATION` is 0 (update, not delete). Views have no data in a dump, so it is computed
//! here from `DEP_HISTORY` for both sources; an old JOC whose `DEP_CONFIGURATIONS` is a
//! table is read as it is. The history service's position is `JOC_VARIABLES`
//! `history_<controllerId>`; `HISTORY_CONTROLLERS.READY_EVENT_ID` is the Controller EventId
//! of each `ControllerReady` it recorded.
//!
//! Names: JOC's PostgreSQL DDL creates its tables unquoted (`CREATE TABLE DEP_HISTORY (…)`,
//! so PostgreSQL stores them in lower case) but quotes every column in upper case
//! (`"ID" BIGINT …, "NAME" VARCHAR(255) …`), because its Hibernate entities name them
//! `[NAME]`, which Hibernate quotes. The columns are therefore read as `"NAME"`, not `name`.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::engine::tables::{DbSource, EveryTable, Row, TableSink, TableSpec, read_tables_with};

/// One item JOC believes is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub controller_id: String,
    pub name: String,
    /// The Controller's item kind (`Workflow`, `Lock`, …).
    pub kind: String,
    pub commit_id: Option<String>,
}

/// JOC's deployment type codes (`DeployType`) of items that go to the Controller.
pub fn kind_of_type(code: i64) -> Option<&'static str> {
    match code {
        1 => Some("Workflow"),
        4 => Some("Lock"),
        9 => Some("FileWatch"),
        10 => Some("JobResource"),
        11 => Some("Board"),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub struct Joc {
    pub deployed: Vec<Deployed>,
    /// `history_<controllerId>` → EventId.
    pub history: BTreeMap<String, i64>,
    /// Per controller, the newest `HISTORY_CONTROLLERS.READY_EVENT_ID`.
    pub ready: BTreeMap<String, i64>,
    pub rows: u64,
}

const TABLES: &[TableSpec] = &[
    TableSpec { schema: "public", name: "dep_history", children: None, columns: &["ID", "NAME", "TYPE", "CONTROLLER_ID", "COMMIT_ID", "STATE", "OPERATION"], optional: false },
    TableSpec { schema: "public", name: "dep_configurations", children: None, columns: &["NAME", "TYPE", "CONTROLLER_ID", "COMMIT_ID"], optional: true },
    TableSpec { schema: "public", name: "joc_variables", children: None, columns: &["NAME", "TEXT_VALUE"], optional: false },
    TableSpec { schema: "public", name: "history_controllers", children: None, columns: &["CONTROLLER_ID", "READY_EVENT_ID"], optional: true },
];

/// (controller, name, type) → (id, operation, commit) of the newest deployed row.
type Latest = BTreeMap<(String, String, i64), (i64, i64, Option<String>)>;

#[derive(Default)]
struct Reader {
    latest: Latest,
    history_rows: u64,
    configurations: Vec<Deployed>,
    history: BTreeMap<String, i64>,
    ready: BTreeMap<String, i64>,
}

impl TableSink for Reader {
    fn row(&mut self, table: usize, row: &Row<'_, '_>) -> Result<()> {
        match table {
            0 => {
                self.history_rows += 1;
                // Only deployed rows (STATE = 0) count; JOC flips failed ones to 1.
                if row.i64(5)? != Some(0) {
                    return Ok(());
                }
                let key = (row.str(3)?.unwrap_or_default().to_string(), row.str(1)?.unwrap_or_default().to_string(), row.i64(2)?.unwrap_or(-1));
                let id = row.i64(0)?.unwrap_or(0);
                let value = (id, row.i64(6)?.unwrap_or(0), row.str(4)?.map(str::to_string));
                match self.latest.get(&key) {
                    Some((old, _, _)) if *old >= id => {}
                    _ => {
                        self.latest.insert(key, value);
                    }
                }
            }
            1 => {
                if let Some(kind) = row.i64(1)?.and_then(kind_of_type) {
                    self.configurations.push(Deployed {
                        controller_id: row.str(2)?.unwrap_or_default().to_string(),
                        name: row.str(0)?.unwrap_or_default().to_string(),
                        kind: kind.to_string(),
                        commit_id: row.str(3)?.map(str::to_string),
                    });
                }
            }
            2 => {
                if let Some(controller) = row.str(0)?.and_then(|n| n.strip_prefix("history_"))
                    && let Some(id) = row.str(1)?.and_then(|v| v.trim().parse::<i64>().ok())
                {
                    self.history.insert(controller.to_string(), id);
                }
            }
            3 => {
                if let (Some(controller), Some(id)) = (row.str(0)?, row.i64(1)?) {
                    let newest = self.ready.entry(controller.to_string()).or_insert(id);
                    *newest = (*newest).max(id);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Reads JOC's deployment records and history positions.
/// `every` sees every table of the database in the same pass (a manifest being recorded).
pub fn read(source: &DbSource, db_name: &str, every: Option<&mut dyn EveryTable>) -> Result<Joc> {
    let mut reader = Reader::default();
    let rows = read_tables_with(source, db_name, TABLES, &mut reader, every)?;
    let deployed = if reader.history_rows > 0 {
        reader
            .latest
            .into_iter()
            .filter(|(_, (_, operation, _))| *operation == 0)
            .filter_map(|((controller_id, name, code), (_, _, commit_id))| Some(Deployed { controller_id, name, kind: kind_of_type(code)?.to_string(), commit_id }))
            .collect()
    } else {
        reader.configurations
    };
    Ok(Joc { deployed, history: reader.history, ready: reader.ready, rows })
}
