//! Backup sets of Cybus Connectware and the Hubble accelerator, as their documents describe
//! them (Cybus "Backup and Restore"; the Hubble backup document, Ingres copydb and the
//! terminal monitor), for tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

/// Writes a `.tar.gz` of `(path in archive, bytes, mtime)` members.
pub fn tar_gz(out: &Path, members: &[(String, Vec<u8>, u64)]) {
    let file = std::fs::File::create(out).unwrap();
    let mut builder = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    for (path, bytes, mtime) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(*mtime);
        header.set_cksum();
        builder.append_data(&mut header, path, &bytes[..]).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

/// Sets a file's modification time.
pub fn set_mtime(path: &Path, unix: i64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix as u64)).unwrap();
}

/// 2026-11-01T02:00:00Z.
pub const BACKUP_TIME: i64 = 1_793_498_400;

/// The volumes of a Connectware docker-compose installation (project `connectware`).
pub const VOLUMES: &[&str] = &["brokerData", "brokerLog", "certs", "postgresql", "service-manager", "systemControlServerData", "workbench"];

fn volume_files(volume: &str) -> Vec<(String, Vec<u8>)> {
    match volume {
        "certs" => ["cybus_ca.crt", "cybus_server.crt", "cybus_server.key", "shared_yearly_ca.crt"].iter().map(|f| (f.to_string(), b"-----BEGIN CERTIFICATE-----\n".to_vec())).collect(),
        "service-manager" => vec![("services/opcua-machine/commissioning.yml".into(), b"description: OPC UA machine\nresources: {}\n".to_vec())],
        "postgresql" => vec![("PG_VERSION".into(), b"13\n".to_vec()), ("base/1/112".into(), vec![0; 64])],
        other => vec![(format!("{other}.dat"), b"data".to_vec())],
    }
}

/// A Connectware backup set: `volumes/` (like /var/lib/docker/volumes), `volumes.tgz` (the
/// documented `tar cvfz` of it), `connectware-db-backup.tgz` and `status.json`.
pub struct ConnectwareBackup {
    pub dir: PathBuf,
    pub volumes_dir: PathBuf,
    pub volumes_tgz: PathBuf,
    pub db_backup: PathBuf,
    pub status: PathBuf,
}

pub fn connectware(dir: &Path, version: &str, volumes: &[&str], db_offset_secs: i64, backup_ok: bool) -> ConnectwareBackup {
    let volumes_dir = dir.join("volumes");
    let mut members = Vec::new();
    for v in volumes {
        for (f, bytes) in volume_files(v) {
            let p = volumes_dir.join(format!("connectware_{v}/_data/{f}"));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &bytes).unwrap();
            set_mtime(&p, BACKUP_TIME - 3600);
            members.push((format!("./connectware_{v}/_data/{f}"), bytes, (BACKUP_TIME - 3600) as u64));
        }
    }
    let volumes_tgz = dir.join("connectware-volume-backup.tgz");
    tar_gz(&volumes_tgz, &members);
    set_mtime(&volumes_tgz, BACKUP_TIME);
    let db_time = BACKUP_TIME + db_offset_secs;
    let stamp = time::OffsetDateTime::from_unix_timestamp(db_time).unwrap().format(&time::format_description::well_known::Rfc3339).unwrap().replace('Z', ".242Z");
    let id = format!("{version}_{stamp}");
    let db_backup = dir.join("connectware-db-backup.tgz");
    tar_gz(&db_backup, &[("cybus_connectware.sql".into(), b"-- PostgreSQL database dump\n".to_vec(), db_time as u64)]);
    set_mtime(&db_backup, db_time + 5);
    let status = dir.join("status.json");
    std::fs::write(
        &status,
        format!(
            r#"{{"running":false,"backup":{{"succeded":{backup_ok},"id":"{id}","statusMessage":"{}","startDate":"{stamp}","endDate":"{stamp}"}},"restore":{{"succeded":true,"id":"1.0.73_2022-02-16T10:19:11.377Z","statusMessage":"OK","startDate":"2022-02-16T15:38:39.197Z","endDate":"2022-02-16T15:38:39.385Z"}}}}"#,
            if backup_ok { "OK" } else { "pg_dump exited with code 1" }
        ),
    )
    .unwrap();
    ConnectwareBackup { dir: dir.to_path_buf(), volumes_dir, volumes_tgz, db_backup, status }
}

/// A Hubble accelerator backup: the documented two folders in a `.tar.gz`.
pub struct HubbleBackup {
    pub archive: PathBuf,
    pub members: Vec<(String, Vec<u8>, u64)>,
}

/// The tables of the example backup (budgeting and activity tables).
pub const TABLES: &[&str] = &["gl_budget", "is_generic", "activity_log", "activity_session"];

pub fn copy_in(tables: &[&str], nocontinue: bool) -> String {
    let mut s = String::from(
        "/* SQL script created by COPYDB, version II 6.2.0 (a64.lnx/100). */\n\n\\sql\nset autocommit on\n\\p\\g\nset nojournaling\n\\p\\g\n\\sql\nset session with privileges=all\n\\p\\g\nset nocreate_compression\n\\p\\g\n\n\t/* TABLES */\n",
    );
    s.push_str(if nocontinue { "\\nocontinue\n" } else { "\\continue\n" });
    for t in tables {
        s.push_str(&format!(
            "create table {t}(\n\tid integer not null,\n\tamount decimal(18,2),\n\tnote varchar(200)\n)\nwith duplicates,\nnojournaling,\npage_size = 8192,\nlocation = (ii_database)\n\\p\\g\ncopy {t} () from '/import/dbbackup/hubble_schema_backup_2026_11_01_02_00_00/DatabaseBackup/{t}.hubble'\nwith row_estimate = 1200\n\\p\\g\n"
        ));
    }
    s.push_str("\n\t/* SYNONYMS */\ncreate synonym ar_receipt_classes for ar.ar_receipt_classes\n\\p\\g\n");
    s
}

pub fn copy_out(tables: &[&str]) -> String {
    let mut s = String::from("/* SQL script created by COPYDB, version II 6.2.0 (a64.lnx/100). */\n\n\\sql\nset autocommit on\n\\p\\g\nset lockmode session where readlock=nolock\n\\p\\g\n");
    for t in tables {
        s.push_str(&format!("copy {t} () into '/import/dbbackup/hubble_schema_backup_2026_11_01_02_00_00/DatabaseBackup/{t}.hubble'\n\\p\\g\n"));
    }
    s
}

pub fn replication_definition(task_target: &str) -> String {
    format!(
        r#"{{"name": "hubble-accelerator", "description": "Host name: hubble01, Time: 2026-11-01T02:00:00",
 "_version": {{"version": "2025.5.0.308"}},
 "cmd.replication_definition": {{
   "tasks": [{{"task": {{"name": "EBS_GL", "source_name": "EBS", "target_names": ["{task_target}"]}},
              "source": {{"rep_source": {{"source_name": "EBS", "database_name": "EBS"}},
                         "source_tables": {{"name": "EBS", "explicit_included_tables": [{{"owner": "GL", "name": "GL_BALANCES"}}]}}}},
              "targets": [{{"rep_target": {{"target_name": "{task_target}", "database_name": "{task_target}"}}}}]}}],
   "databases": [{{"name": "EBS", "role": "SOURCE", "type_id": "ORACLE_COMPONENT_TYPE"}},
                 {{"name": "VECTOR", "role": "TARGET", "type_id": "ACTIAN_VECTOR_COMPONENT_TYPE", "db_settings": {{"$type": "ActianVectorSettings", "schema": "hubble"}}}}]}}}}
"#
    )
}

/// The members of a healthy backup.
pub fn hubble_members() -> Vec<(String, Vec<u8>, u64)> {
    let t = BACKUP_TIME as u64;
    let mut m = vec![
        ("AttunityBackup/Replication_Definition.json".to_string(), replication_definition("VECTOR").into_bytes(), t),
        ("DatabaseBackup/copy.in".to_string(), copy_in(TABLES, true).into_bytes(), t),
        ("DatabaseBackup/copy.out".to_string(), copy_out(TABLES).into_bytes(), t),
    ];
    for table in TABLES {
        m.push((format!("DatabaseBackup/{table}.hubble"), format!("binary rows of {table}").into_bytes(), t));
    }
    m
}

pub fn hubble(dir: &Path, members: &[(String, Vec<u8>, u64)]) -> HubbleBackup {
    let archive = dir.join("hubble_schema_backup_2026_11_01_02_00_00.tar.gz");
    tar_gz(&archive, members);
    HubbleBackup { archive, members: members.to_vec() }
}

/// An error as the terminal monitor prints it (Ingres ugerr.c, IIUGfemFormatErrorMessage):
/// the name cut to 8 characters and a space, then the text over lines of 74 columns — the
/// first cut back to its last space, what followed moving to the start of the second line,
/// every further line indented by four spaces and taking up to 73 characters, cut at their
/// last space or, without one, in the middle of a word. ASCII text without newlines.
pub fn ingres_error(name: &str, text: &str) -> String {
    const LINE: usize = 74;
    let mut out = format!("{} ", &name[..name.len().min(8)]);
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut last_space = None;
    while i < bytes.len() && out.len() < LINE {
        if bytes[i] == b' ' {
            last_space = Some(out.len());
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    if i < bytes.len() {
        if bytes[i] == b' ' {
            out.push_str("\n    ");
            i += 1;
        } else if let Some(at) = last_space {
            out.replace_range(at..at + 1, "\n    ");
        }
        let mut rest = &text[i..];
        while rest.len() > LINE {
            let window = &rest[..LINE - 1];
            let (cut, skip) = match window.rfind(' ') {
                Some(at) => (at, 1),
                None => (LINE - 1, 0),
            };
            out.push_str(&rest[..cut]);
            out.push_str("\n    ");
            rest = &rest[cut + skip..];
        }
        out.push_str(rest);
    }
    out
}

/// A restore log (output.txt) with the given errors among the terminal monitor's output,
/// each followed by its timestamp line.
pub fn restore_log(errors: &[&str]) -> String {
    let mut s =
        String::from("INGRES TERMINAL MONITOR Copyright 2024 Actian Corporation\nVector Linux Version VW 6.2.0 login\nExecuting . . .\n\ncontinue\n* Executing . . .\n\n(1200 rows)\ncontinue\n");
    for e in errors {
        s.push_str(e);
        s.push_str("\n    (Sun Nov  1 02:10:11 2026)\n\ncontinue\n");
    }
    s.push_str("Your SQL statement(s) have been committed.\n\nVector Version VW 6.2.0 logout\n");
    s
}
