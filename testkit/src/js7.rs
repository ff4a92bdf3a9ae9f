//! JS7 state directories for tests, written in the documented journal format
//! (js7 `JournalSeparators.scala`, `SnapshotJournalWriter.scala`): header fields in the engine's order, the section separators, events
//! with EventIds of milliseconds × 1000, `SnapshotTaken` first, transactions, and the
//! snapshot objects a later file starts with.
//!
//! `Scenario::healthy()` is a consistent Controller / Agent pair with two journal files
//! each; tests break copies of it the ways the vendor warns about.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// One line group of the events section.
#[derive(Debug, Clone)]
pub enum Entry {
    Event(Value),
    Transaction(Vec<Value>),
}

/// One journal file to write.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub file_event_id: i64,
    pub generation: i64,
    pub snapshot: Vec<Value>,
    pub events: Vec<Entry>,
}

/// Writes `<base>--<fileEventId>.journal` files into `dir`.
pub fn write_journal(dir: &Path, base: &str, type_name: &str, journal_id: &str, files: &[FileSpec]) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let mut paths = Vec::new();
    let mut total = 0i64;
    for f in files {
        let path = dir.join(format!("{base}--{}.journal", f.file_event_id));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let header = json!({
            "TYPE": "JS7.Journal", "typeName": type_name, "journalId": journal_id, "eventId": f.file_event_id,
            "generation": f.generation, "totalEventCount": total, "totalRunningTime": 3600.5,
            "timestamp": "2026-11-01T10:00:00.000Z", "initiallyStartedAt": "2026-11-01T08:00:00.000Z",
            "version": "1", "js7Version": "2.7.8", "buildId": "testkit"
        });
        writeln!(out, "{header}").unwrap();
        writeln!(out, "\"-------SNAPSHOT-------\"").unwrap();
        for o in &f.snapshot {
            writeln!(out, "{o}").unwrap();
        }
        writeln!(out, "\"-------END OF SNAPSHOT-------\"").unwrap();
        writeln!(out, "\"-------EVENTS-------\"").unwrap();
        for e in &f.events {
            match e {
                Entry::Event(v) => {
                    writeln!(out, "{v}").unwrap();
                    total += 1;
                }
                Entry::Transaction(vs) => {
                    writeln!(out, "\"TRANSACTION\"").unwrap();
                    for v in vs {
                        writeln!(out, "{v}").unwrap();
                    }
                    writeln!(out, "\"COMMIT\"").unwrap();
                    total += vs.len() as i64;
                }
            }
        }
        paths.push(path);
    }
    std::fs::write(dir.join("lock"), "12345\n").unwrap();
    paths
}

/// An EventId: epoch milliseconds × 1000 + a counter.
pub fn event_id(ms: i64, n: i64) -> i64 {
    ms * 1000 + n
}

fn ev(id: i64, key: Option<&str>, kind: &str, fields: Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("eventId".into(), json!(id));
    if let Some(k) = key {
        m.insert("Key".into(), json!(k));
    }
    m.insert("TYPE".into(), json!(kind));
    if let Value::Object(f) = fields {
        m.extend(f);
    }
    Value::Object(m)
}

fn signed(item: Value) -> Value {
    json!({"signed": {"string": item.to_string(), "signature": {"TYPE": "X509", "signatureString": "MEUCIQ…"}}})
}

/// A consistent installation and the knobs the failure scenarios turn.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub controller_id: String,
    pub controller_journal_id: String,
    pub agent_path: String,
    pub agent_journal_id: String,
    /// The Agent's view of its dedication.
    pub agent_meta_controller_id: String,
    pub agent_meta_path: String,
    /// The base time of the events (ms).
    pub t0: i64,
    /// Workflow name and the versionId the Controller holds.
    pub workflow: (String, String),
    /// Whether the Controller's current file ends with a coupling failure.
    pub coupling_failure: Option<Value>,
}

impl Scenario {
    pub fn healthy() -> Scenario {
        Scenario {
            controller_id: "controller".into(),
            controller_journal_id: "q3c0b2Jm4U6mS1vQ6b7L1w".into(),
            agent_path: "agent-1".into(),
            agent_journal_id: "ABEiM0RVZneImaq7zN3u_w".into(),
            agent_meta_controller_id: "controller".into(),
            agent_meta_path: "agent-1".into(),
            t0: 1_793_527_200_000,
            workflow: ("daily-report".into(), "6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11".into()),
            coupling_failure: None,
        }
    }

    /// Agent EventIds: dedication, ready, orders, the second file's number and its events.
    pub fn agent_ids(&self) -> AgentIds {
        let t = self.t0;
        AgentIds {
            snapshot_taken: event_id(t + 100, 0),
            dedicated: event_id(t + 101, 0),
            ready: event_id(t + 105, 0),
            orders: (1..=4).map(|i| event_id(t + 2000 + i, 0)).collect(),
            second_file: event_id(t + 2004, 0),
            later: (1..=3).map(|i| event_id(t + 9000 + i, 0)).collect(),
        }
    }

    /// The Controller's last committed Agent EventId (what it has observed).
    pub fn observed(&self) -> i64 {
        *self.agent_ids().later.last().unwrap()
    }

    pub fn write_agent(&self, dir: &Path) -> Vec<PathBuf> {
        let a = self.agent_ids();
        let meta = json!({"directors": [self.agent_meta_path], "agentPath": self.agent_meta_path, "agentRunId": self.agent_journal_id, "controllerId": self.agent_meta_controller_id, "controllerRunId": self.controller_journal_id});
        let mut first = vec![
            Entry::Event(ev(a.snapshot_taken, None, "SnapshotTaken", json!({}))),
            Entry::Event(ev(a.dedicated, None, "AgentDedicated", meta.clone())),
            Entry::Event(ev(a.dedicated + 1, None, "AgentStarted", json!({}))),
            Entry::Event(ev(a.dedicated + 2, None, "JournalEventsReleased", json!({"userId": self.agent_meta_controller_id, "untilEventId": 0}))),
            Entry::Event(ev(a.ready, None, "AgentReady", json!({"timezone": "Europe/Berlin", "totalRunningTime": 0.2}))),
        ];
        for (i, id) in a.orders.iter().enumerate() {
            first.push(Entry::Event(ev(
                *id,
                Some(&format!("order-{i}")),
                "OrderAttachedToAgent",
                json!({"workflowPosition": {"workflowId": {"path": self.workflow.0, "versionId": self.workflow.1}, "position": [0]}}),
            )));
        }
        let mut meta_state = meta.clone();
        meta_state["TYPE"] = json!("AgentMetaState");
        let second = FileSpec {
            file_event_id: a.second_file,
            generation: 2,
            snapshot: vec![json!({"TYPE": "JournalState", "userIdToReleasedEventId": {self.agent_meta_controller_id.clone(): a.ready}}), meta_state],
            events: std::iter::once(Entry::Event(ev(a.later[0], None, "SnapshotTaken", json!({}))))
                .chain(a.later[1..].iter().map(|id| Entry::Event(ev(*id, Some("order-0"), "OrderProcessed", json!({"outcome": {"TYPE": "Succeeded"}})))))
                .collect(),
        };
        write_journal(dir, "agent", "AgentState", &self.agent_journal_id, &[FileSpec { file_event_id: 0, generation: 1, snapshot: vec![], events: first }, second])
    }

    /// Controller EventIds (distinct from the Agent's).
    pub fn controller_ids(&self) -> (i64, i64) {
        (event_id(self.t0 + 10_000, 0), event_id(self.t0 + 20_000, 0))
    }

    pub fn write_controller(&self, dir: &Path) -> Vec<PathBuf> {
        let t = self.t0;
        let a = self.agent_ids();
        let second_file = self.controller_ids().0;
        let c = |ms: i64, n: i64| event_id(t + ms, n);
        let workflow = json!({"TYPE": "Workflow", "path": self.workflow.0, "versionId": self.workflow.1, "instructions": [{"TYPE": "Execute.Anonymous", "job": {"agentPath": self.agent_path, "executable": {"TYPE": "ShellScriptExecutable", "script": "echo hello"}}}]});
        let first = vec![
            Entry::Event(ev(c(50, 0), None, "SnapshotTaken", json!({}))),
            Entry::Event(ev(c(50, 1), None, "ControllerInitialized", json!({"controllerId": self.controller_id, "initiallyStartedAt": t}))),
            Entry::Event(ev(self.controller_ready(), None, "ControllerReady", json!({"timezone": "Europe/Berlin", "totalRunningTime": 0.1}))),
            Entry::Event(ev(c(60, 0), None, "UnsignedSimpleItemAdded", json!({"item": {"TYPE": "AgentRef", "path": self.agent_path, "directors": [self.agent_path], "itemRevision": 0}}))),
            Entry::Event(ev(c(101, 5), Some(&self.agent_path), "AgentDedicated", json!({"agentRunId": self.agent_journal_id, "agentEventId": a.dedicated}))),
            Entry::Event(ev(c(102, 0), Some(&self.agent_path), "AgentCoupled", json!({}))),
            Entry::Transaction(vec![
                ev(c(106, 0), Some(&self.agent_path), "AgentReady", json!({"timezone": "Europe/Berlin"})),
                ev(c(106, 1), Some(&self.agent_path), "AgentEventsObserved", json!({"untilEventId": a.ready})),
            ]),
            Entry::Event(ev(c(1000, 0), None, "VersionAdded", json!({"versionId": self.workflow.1}))),
            Entry::Event(ev(c(1000, 1), None, "VersionedItemAdded", signed(workflow.clone()))),
            Entry::Event(ev(c(1000, 2), None, "UnsignedSimpleItemAdded", json!({"item": {"TYPE": "Lock", "path": "db-lock", "limit": 1, "itemRevision": 0}}))),
            Entry::Event(ev(c(1000, 3), None, "SignedItemAdded", signed(json!({"TYPE": "JobResource", "path": "env", "variables": {}})))),
            Entry::Transaction(vec![ev(c(2010, 0), Some(&self.agent_path), "AgentEventsObserved", json!({"untilEventId": a.orders[3]}))]),
        ];
        let snapshot_agent = json!({"TYPE": "AgentRefState", "agentRef": {"path": self.agent_path, "directors": [self.agent_path], "itemRevision": 0}, "agentRunId": self.agent_journal_id, "couplingState": {"TYPE": "Coupled"}, "eventId": a.orders[3], "timezone": "Europe/Berlin"});
        let mut events = vec![
            Entry::Event(ev(c(10_000, 1), None, "SnapshotTaken", json!({}))),
            Entry::Transaction(vec![
                ev(c(10_001, 0), Some("order-0"), "OrderProcessed", json!({"outcome": {"TYPE": "Succeeded"}})),
                ev(c(10_001, 1), Some(&self.agent_path), "AgentEventsObserved", json!({"untilEventId": self.observed()})),
            ]),
        ];
        if let Some(problem) = &self.coupling_failure {
            events.push(Entry::Event(ev(c(15_000, 0), Some(&self.agent_path), "AgentCouplingFailed", json!({"problem": problem}))));
        }
        events.push(Entry::Event(ev(c(20_000, 0), None, "JournalEventsReleased", json!({"userId": "history", "untilEventId": c(10_000, 1)}))));
        let second = FileSpec {
            file_event_id: second_file,
            generation: 2,
            snapshot: vec![
                json!({"TYPE": "JournalState", "userIdToReleasedEventId": {}}),
                json!({"TYPE": "ControllerMetaState", "controllerId": self.controller_id, "initiallyStartedAt": t, "timezone": "Europe/Berlin"}),
                snapshot_agent,
                json!({"TYPE": "VersionAdded", "versionId": self.workflow.1}),
                json!({"TYPE": "VersionedItemAdded", "signed": {"string": workflow.to_string(), "signature": {"TYPE": "X509", "signatureString": "MEUCIQ…"}}}),
                json!({"TYPE": "UnsignedSimpleItemAdded", "item": {"TYPE": "Lock", "path": "db-lock", "limit": 1, "itemRevision": 0}}),
                json!({"TYPE": "SignedItemAdded", "signed": {"string": json!({"TYPE": "JobResource", "path": "env", "variables": {}}).to_string(), "signature": {"TYPE": "X509", "signatureString": "MEUCIQ…"}}}),
            ],
            events,
        };
        write_journal(dir, "controller", "ControllerState", &self.controller_journal_id, &[FileSpec { file_event_id: 0, generation: 1, snapshot: vec![], events: first }, second])
    }

    /// The EventId of the Controller's `ControllerReady`.
    pub fn controller_ready(&self) -> i64 {
        event_id(self.t0 + 50, 2)
    }

    /// The Controller's last EventId.
    pub fn controller_last(&self) -> i64 {
        event_id(self.t0 + 20_000, 0)
    }
}

/// The Agent EventIds of a scenario.
#[derive(Debug, Clone)]
pub struct AgentIds {
    pub snapshot_taken: i64,
    pub dedicated: i64,
    pub ready: i64,
    pub orders: Vec<i64>,
    pub second_file: i64,
    pub later: Vec<i64>,
}

/// JOC Cockpit's tables as JOC 2.7's PostgreSQL DDL creates them: table names unquoted (so
/// PostgreSQL stores them in lower case), every column quoted in upper case, and the
/// `DEP_CONFIGURATIONS` view over `DEP_HISTORY` — with the deployments of a healthy scenario
/// and the history service at `history_event_id`.
pub fn joc_sql(s: &Scenario, history_event_id: i64) -> String {
    format!(
        r#"
CREATE SEQUENCE SEQ_DEP_HIS INCREMENT BY 1 START WITH 1 MINVALUE 1 CYCLE;
CREATE TABLE DEP_HISTORY (
    "ID"              BIGINT              NOT NULL DEFAULT NEXTVAL('SEQ_DEP_HIS'),
    "ACCOUNT"         VARCHAR(100)        NOT NULL,
    "PATH"            VARCHAR(255)        NOT NULL,
    "FOLDER"          VARCHAR(255)        NOT NULL,
    "NAME"            VARCHAR(255)        DEFAULT '' NOT NULL,
    "TITLE"           VARCHAR(255)        NULL,
    "TYPE"            SMALLINT            NOT NULL,
    "INV_CID"         BIGINT              NOT NULL,
    "INV_IID"         BIGINT              NOT NULL,
    "CONTROLLER_ID"   VARCHAR(100)        NOT NULL,
    "CONTENT"         TEXT                NOT NULL,
    "INV_CONTENT"     TEXT                DEFAULT '' NOT NULL,
    "SIGNATURE"       VARCHAR(2000)       NOT NULL,
    "COMMIT_ID"       VARCHAR(255)        NULL,
    "VERSION"         VARCHAR(50)         NULL,
    "OPERATION"       SMALLINT            NULL,
    "STATE"           SMALLINT            NOT NULL,
    "ERROR_MESSAGE"   VARCHAR(255)        NULL,
    "DEPLOYMENT_DATE" TIMESTAMP           NOT NULL,
    "DELETED_DATE"    TIMESTAMP           NULL,
    "AUDITLOG_ID"     BIGINT              NULL,
    CONSTRAINT UNIQUE_DH_NTCC UNIQUE ("NAME", "TYPE", "CONTROLLER_ID", "COMMIT_ID"),
    PRIMARY KEY ("ID")
);
CREATE VIEW DEP_CONFIGURATIONS_JOIN AS SELECT "CONTROLLER_ID", "NAME", "TYPE", MAX("ID") AS "MAX_ID"
  FROM DEP_HISTORY WHERE "STATE" = 0 GROUP BY "CONTROLLER_ID", "NAME", "TYPE";
CREATE VIEW DEP_CONFIGURATIONS AS SELECT a."ID", a."NAME", a."PATH", a."FOLDER", a."TYPE", a."INV_CID", a."CONTROLLER_ID",
    a."INV_CONTENT" AS "CONTENT", a."COMMIT_ID", a."DEPLOYMENT_DATE" AS "CREATED", a."TITLE"
  FROM DEP_HISTORY a INNER JOIN DEP_CONFIGURATIONS_JOIN b ON a."ID" = b."MAX_ID" WHERE a."OPERATION" = 0;
CREATE TABLE JOC_VARIABLES (
    "NAME"                  VARCHAR(255)  NOT NULL,
    "NUMERIC_VALUE"         INTEGER       NULL,
    "TEXT_VALUE"            VARCHAR(255)  NULL,
    "BINARY_VALUE"          BYTEA         NULL,
    PRIMARY KEY ("NAME")
);
CREATE TABLE HISTORY_CONTROLLERS (
    "READY_EVENT_ID"            NUMERIC(16)     NOT NULL,
    "CONTROLLER_ID"             VARCHAR(100)    NOT NULL,
    "URI"                       VARCHAR(255)    NOT NULL,
    "TIMEZONE"                  VARCHAR(100)    NOT NULL,
    "TOTAL_RUNNING_TIME"        NUMERIC(16)     NOT NULL,
    "READY_TIME"                TIMESTAMP       NOT NULL,
    "SHUTDOWN_TIME"             TIMESTAMP       NULL,
    "LAST_KNOWN_TIME"           TIMESTAMP       NULL,
    "CREATED"                   TIMESTAMP       NOT NULL,
    PRIMARY KEY ("READY_EVENT_ID","CONTROLLER_ID")
);
INSERT INTO JOC_VARIABLES ("NAME", "TEXT_VALUE") VALUES ('version', '2.7.8'), ('history_{c}', '{h}');
INSERT INTO HISTORY_CONTROLLERS ("READY_EVENT_ID", "CONTROLLER_ID", "URI", "TIMEZONE", "TOTAL_RUNNING_TIME", "READY_TIME", "CREATED") VALUES
  ({ready}, '{c}', 'https://controller.example:4443', 'Europe/Berlin', 100, '2026-11-01 08:00:00', '2026-11-01 08:00:01');
INSERT INTO DEP_HISTORY ("ACCOUNT", "PATH", "FOLDER", "NAME", "TYPE", "INV_CID", "INV_IID", "CONTROLLER_ID", "CONTENT", "SIGNATURE", "COMMIT_ID", "OPERATION", "STATE", "DEPLOYMENT_DATE") VALUES
  ('root', '/{w}', '/', '{w}', 1, 1, 1, '{c}', '{{}}', 'sig', 'an-older-commit', 0, 0, '2026-10-30 10:00:00'),
  ('root', '/{w}', '/', '{w}', 1, 1, 1, '{c}', '{{}}', 'sig', '{v}', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/db-lock', '/', 'db-lock', 4, 2, 1, '{c}', '{{}}', 'sig', '{v}', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/env', '/', 'env', 10, 3, 1, '{c}', '{{}}', 'sig', '{v}', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/nightly', '/', 'nightly', 1, 4, 1, '{c}', '{{}}', 'sig', 'a-failed-commit', 0, 1, '2026-11-01 11:00:00'),
  ('root', '/weekly-schedule', '/', 'weekly-schedule', 7, 5, 1, '{c}', '{{}}', 'sig', '{v}', 0, 0, '2026-11-01 10:00:00');
"#,
        c = s.controller_id,
        w = s.workflow.0,
        v = s.workflow.1,
        h = history_event_id,
        ready = s.controller_ready()
    )
}

/// Applied after [`joc_sql`]: a JOC database newer than the Controller's journal. The
/// workflow was deployed again (a new commit) and a board deployed after the journal copy,
/// the history service read further, and a later `ControllerReady` was recorded.
pub fn joc_newer_sql(s: &Scenario) -> String {
    format!(
        r#"
INSERT INTO DEP_HISTORY ("ACCOUNT", "PATH", "FOLDER", "NAME", "TYPE", "INV_CID", "INV_IID", "CONTROLLER_ID", "CONTENT", "SIGNATURE", "COMMIT_ID", "OPERATION", "STATE", "DEPLOYMENT_DATE") VALUES
  ('root', '/{w}', '/', '{w}', 1, 1, 1, '{c}', '{{}}', 'sig', 'a-newer-commit', 0, 0, '2026-11-02 10:00:00'),
  ('root', '/board-1', '/', 'board-1', 11, 6, 1, '{c}', '{{}}', 'sig', 'a-newer-commit', 0, 0, '2026-11-02 10:00:00');
UPDATE JOC_VARIABLES SET "TEXT_VALUE" = '{h}' WHERE "NAME" = 'history_{c}';
INSERT INTO HISTORY_CONTROLLERS ("READY_EVENT_ID", "CONTROLLER_ID", "URI", "TIMEZONE", "TOTAL_RUNNING_TIME", "READY_TIME", "CREATED") VALUES
  ({r}, '{c}', 'https://controller.example:4443', 'Europe/Berlin', 200, '2026-11-02 09:00:00', '2026-11-02 09:00:01');
"#,
        c = s.controller_id,
        w = s.workflow.0,
        h = s.controller_last() + 5_000_000,
        r = s.controller_last() + 4_000_000,
    )
}

/// Applied after [`joc_sql`]: a JOC database older than the Controller's journal — restored
/// from before the job resource `env` was deployed.
pub fn joc_older_sql(_s: &Scenario) -> String {
    r#"DELETE FROM DEP_HISTORY WHERE "NAME" = 'env';"#.to_string()
}
