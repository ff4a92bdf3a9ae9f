//! The scripts Vector's `copydb` writes (Ingres `src/front/misc/xferdb`: `xf.qsh` GO_STMT,
//! `xfcopy.c` xftables, `writecopy`): statements ended by a line `\p\g`, `\nocontinue` /
//! `\continue`, `create table <t>(…)`, and `copy <t> () from '<file>'` (copy.in) or
//! `copy <t> () into '<file>'` (copy.out); and the terminal monitor's log of running one
//! (Ingres `src/front/tm`, errors as `src/front/utils/ug/ugerr.c` formats them).

use std::io::BufRead;

/// One `copy` statement: the table and the data file as the script names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub table: String,
    pub file: String,
    /// The line the statement starts on.
    pub line: usize,
}

/// What a script holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// Tables created (copy.in).
    pub tables: Vec<String>,
    pub copies: Vec<Copy>,
    /// The line of the `\nocontinue` in force when the first `create table` or `copy`
    /// runs: from there on the restore stops at the first error.
    pub nocontinue: Option<usize>,
    pub statements: usize,
}

/// A table name as the script writes it: `"Name"` keeps its case, a bare name is lower case
/// (Ingres folds regular identifiers), an owner prefix `hubble.` is dropped.
fn table_name(s: &str) -> String {
    let s = s.trim();
    let s = match s.rsplit_once('.') {
        Some((_, t)) if !s.ends_with('"') || t.starts_with('"') => t,
        _ => s,
    };
    match s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(quoted) => quoted.to_string(),
        None => s.to_ascii_lowercase(),
    }
}

/// Parses a script; never fails (unknown lines are skipped).
pub fn parse(text: &str) -> Script {
    let mut script = Script::default();
    let mut statement = String::new();
    let mut statement_line = 0;
    // The line of the \nocontinue in force, if one is.
    let mut in_force: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        match raw.trim() {
            "\\nocontinue" => in_force = Some(number),
            "\\continue" => in_force = None,
            // xf.qsh: GO_STMT is "\n\\p\\g\n".
            "\\p\\g" | "\\g" | "\\p\\g;" => {
                finish(&mut script, &statement, statement_line, in_force);
                statement.clear();
            }
            _ => {
                if statement.is_empty() {
                    statement_line = number;
                }
                statement.push_str(raw);
                statement.push('\n');
            }
        }
    }
    finish(&mut script, &statement, statement_line, in_force);
    script
}

/// Drops `/* … */` comments (copydb heads sections with them: `/* TABLES */`).
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start..].find("*/") {
            Some(end) => rest = &rest[start + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The name that starts `s`: up to `(` or white space outside double quotes.
fn name_after(s: &str) -> &str {
    let s = s.trim_start();
    let mut quoted = false;
    let end = s
        .char_indices()
        .find(|&(_, c)| {
            if c == '"' {
                quoted = !quoted;
            }
            !quoted && (c == '(' || c.is_whitespace())
        })
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    &s[..end]
}

/// What follows the optional keyword of `COPY [TABLE] [schema.]table_name (…) FROM|INTO …`.
/// `table` is a reserved word: a table of that name is written quoted, so an unquoted
/// `table` followed by a name is the keyword.
fn after_table_keyword(s: &str) -> &str {
    let s = s.trim_start();
    match s.get(..5) {
        Some(word) if word.eq_ignore_ascii_case("table") && s[5..].starts_with(char::is_whitespace) && !s[5..].trim_start().starts_with('(') => &s[5..],
        _ => s,
    }
}

fn finish(script: &mut Script, statement: &str, line: usize, in_force: Option<usize>) {
    static FILE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"(?i)\b(?:from|into)\s*'([^']*)'").expect("valid regex"));
    let statement = strip_comments(statement);
    let s = statement.trim();
    if s.is_empty() {
        return;
    }
    script.statements += 1;
    let lower = s.to_ascii_lowercase();
    let loads = if lower.starts_with("create table ") {
        script.tables.push(table_name(name_after(&s["create table ".len()..])));
        true
    } else if lower.starts_with("copy ") {
        // The file is the last quoted string after "from"/"into": a portable script's column
        // list holds quoted null markers (`with null(']^NULL^[')`) before it.
        if let Some(file) = FILE.captures_iter(s).last().and_then(|c| c.get(1)) {
            script.copies.push(Copy { table: table_name(name_after(after_table_keyword(&s["copy ".len()..]))), file: file.as_str().to_string(), line });
        }
        true
    } else {
        false
    };
    if loads && script.nocontinue.is_none() {
        script.nocontinue = in_force;
    }
}

/// One `E_` line of a restore log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreError {
    /// The code as the terminal monitor prints it: 8 characters (`E_US0845`).
    pub code: String,
    pub message: String,
    /// The table (or object) it names, lower case.
    pub table: Option<String>,
    pub line: usize,
}

/// What a restore log tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    Error(RestoreError),
    /// ` - Terminated by Errors` (ermf.msg F_MF000D): `\nocontinue` stopped the script here.
    Terminated {
        line: usize,
    },
}

/// What one line of a restore log starts.
enum Start {
    /// An error's first line: its code and the text on that line.
    Error(String, String),
    Terminated,
}

fn start(text: &str) -> Option<Start> {
    // ugerr.c: the error name shortened to 8 characters, a space, the message.
    static E: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"^(E_[A-Z]{2}[0-9A-F]{4})(?:_[0-9A-F]+)?(?:\s+(.*))?$").expect("valid regex"));
    let text = text.trim_end();
    if text.contains("Terminated by Errors") {
        return Some(Start::Terminated);
    }
    let c = E.captures(text)?;
    Some(Start::Error(c[1].to_string(), c.get(2).map(|m| m.as_str().to_string()).unwrap_or_default()))
}

/// An error from its code and whole message: the table (or object) it names. A table name
/// is folded to lower case as Ingres folds regular identifiers; a file path keeps its case.
fn error(code: String, message: String, line: usize) -> RestoreError {
    static TABLE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"[Tt]able '([^']+)'").expect("valid regex"));
    // A quoted name opens after a non-letter: the apostrophe of "can't" opens nothing.
    static QUOTED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"(?:^|[^A-Za-z0-9])'([^']+)'").expect("valid regex"));
    let table = match TABLE.captures(&message) {
        Some(t) => Some(t[1].to_ascii_lowercase()),
        None => QUOTED.captures(&message).map(|q| if q[1].contains(['/', '\\']) { q[1].to_string() } else { q[1].to_ascii_lowercase() }),
    };
    RestoreError { code, message, table, line }
}

/// Ingres writes a message longer than a line over several (ugerr.c,
/// IIUGfemFormatErrorMessage): the first line is cut at column 74 (UG_STDLINE) back to its
/// last space, and what followed that space starts the second line; each further line is
/// indented by four spaces (indent_sp) and takes up to 73 more characters, cut at their last
/// space — or, when they have none, right there in the middle of a word (a long file name),
/// and the next line goes on without a space. A last indented line in parentheses is the
/// timestamp.
const INDENT: &str = "    ";
const LINE: usize = 74;

/// An error being read, up to its last continuation line.
struct Pending {
    code: String,
    message: String,
    line: usize,
    /// The characters the first line's cut moved to the start of the second line.
    moved: usize,
    continuations: usize,
    /// The last line was cut in the middle of a word: the next goes on without a space.
    glued: bool,
}

impl Pending {
    fn new(code: String, message: String, line: usize, first_line: &str) -> Pending {
        let moved = (LINE - 1).saturating_sub(first_line.trim_end().len());
        Pending { code, message, line, moved, continuations: 0, glued: false }
    }

    fn push(&mut self, rest: &str) {
        if !self.glued && !self.message.is_empty() {
            self.message.push(' ');
        }
        self.message.push_str(rest);
        self.continuations += 1;
        // A cut in the middle of a word leaves a full line without a space.
        let full = if self.continuations == 1 { self.moved + LINE - 1 } else { LINE - 1 };
        self.glued = rest.len() == full && !rest.contains(' ');
    }
}

fn is_timestamp(rest: &str) -> bool {
    rest.starts_with('(') && rest.ends_with(')') && rest.contains(':') && rest.chars().any(|c| c.is_ascii_digit())
}

/// The longest restore log line read: the terminal monitor writes lines of a few hundred
/// bytes; a longer one is not its output.
pub const MAX_LOG_LINE: usize = 16 << 20;

/// Reads a restore log line by line (bytes that are not UTF-8 are replaced), joining the
/// continuation lines of each error, and hands each event on as it is found.
pub fn scan_restore_log(mut log: impl BufRead, mut each: impl FnMut(LogEvent)) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut line = 0;
    let mut pending: Option<Pending> = None;
    let flush = |pending: &mut Option<Pending>, each: &mut dyn FnMut(LogEvent)| {
        if let Some(p) = pending.take() {
            each(LogEvent::Error(error(p.code, p.message, p.line)));
        }
    };
    loop {
        let Some(end) = crate::engine::io::read_line(&mut log, &mut buf, MAX_LOG_LINE)? else {
            flush(&mut pending, &mut each);
            return Ok(());
        };
        line += 1;
        if end == crate::engine::io::LineEnd::TooLong {
            return Err(crate::engine::io::too_long(line as u64, MAX_LOG_LINE));
        }
        let raw = String::from_utf8_lossy(&buf);
        let text = raw.trim_end_matches(['\n', '\r']);
        if let Some(p) = pending.as_mut()
            && let Some(rest) = text.strip_prefix(INDENT)
            && !rest.starts_with(' ')
            && !rest.is_empty()
        {
            let rest = rest.trim_end();
            if is_timestamp(rest) {
                flush(&mut pending, &mut each);
            } else {
                p.push(rest);
            }
            continue;
        }
        flush(&mut pending, &mut each);
        match start(text) {
            Some(Start::Error(code, message)) => pending = Some(Pending::new(code, message, line, text)),
            Some(Start::Terminated) => each(LogEvent::Terminated { line }),
            None => {}
        }
    }
}

/// Every event of a restore log held in memory.
pub fn restore_events(log: &[u8]) -> Vec<LogEvent> {
    let mut events = Vec::new();
    // Reading from a slice cannot fail.
    let _ = scan_restore_log(log, |e| events.push(e));
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_parses_without_panic(parts in proptest::collection::vec(prop_oneof![
            Just("\\p\\g\n".to_string()), Just("copy t () from '".to_string()), Just("create table ".to_string()),
            Just("\\nocontinue\n".to_string()), Just("E_US0845 Table '".to_string()), Just("/*".to_string()), Just("\n".to_string()),
            Just("\"".to_string()), Just(".".to_string()), Just(" - Terminated by Errors\n".to_string()),
            any::<String>(),
        ], 0..40)) {
            let text = parts.concat();
            let _ = parse(&text);
            let _ = restore_events(text.as_bytes());
        }

        #[test]
        fn any_bytes_scan_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = restore_events(&bytes);
            let _ = parse(&String::from_utf8_lossy(&bytes));
        }
    }

    const COPY_IN: &str = "/* SQL script created by COPYDB, version II 6.2.0. */\n\n\\sql\nset autocommit on\n\\p\\g\nset nojournaling\n\\p\\g\n\n\t/* TABLES */\n\\nocontinue\ncreate table budget_entry(\n\tid integer not null,\n\tamount decimal(18,2)\n)\nwith duplicates,\nnojournaling\n\\p\\g\ncopy budget_entry () from '/import/dbbackup/x/budget_entry.hubble'\nwith row_estimate = 1200\n\\p\\g\n";

    #[test]
    fn reads_a_copy_in_script() {
        let s = parse(COPY_IN);
        assert_eq!(s.tables, vec!["budget_entry"]);
        assert_eq!(s.copies, vec![Copy { table: "budget_entry".into(), file: "/import/dbbackup/x/budget_entry.hubble".into(), line: 18 }]);
        assert_eq!(s.nocontinue, Some(10));
        assert_eq!(s.statements, 4);
        let sectioned = parse(&COPY_IN.replace("\\nocontinue\n", "\\nocontinue\n/* a comment */\n"));
        assert_eq!(sectioned.tables, vec!["budget_entry"]);
        // The vendor's edit: \continue lets the restore run through.
        assert_eq!(parse(&COPY_IN.replace("\\nocontinue", "\\continue")).nocontinue, None);
        // copydb -nologging: \nocontinue around "set nologging" only, then \continue.
        let nologging = COPY_IN.replace("\\nocontinue\n", "\\continue\n").replace("set nojournaling\n", "\\nocontinue\nset nologging\n\\p\\g\n\\continue\nset nojournaling\n");
        assert_eq!(parse(&nologging).nocontinue, None);
    }

    #[test]
    fn reads_quoted_owned_and_portable_copies() {
        let s = parse(
            "create table hubble.\"Budget Entry\" (\n\tid integer\n)\n\\p\\g\ncopy \"Budget Entry\"(\n\tid= c0tab with null(']^NULL^['),\n\tnl= d0nl)\nfrom '/d/budget_entry.hubble'\n\\p\\g\ncopy GL_Budget () into '/d/gl_budget.hubble'\n\\p\\g\n",
        );
        assert_eq!(s.tables, vec!["Budget Entry"]);
        assert_eq!(s.copies.iter().map(|c| (c.table.as_str(), c.file.as_str())).collect::<Vec<_>>(), vec![("Budget Entry", "/d/budget_entry.hubble"), ("gl_budget", "/d/gl_budget.hubble")]);
        assert_eq!(s.nocontinue, None);
    }

    #[test]
    fn the_optional_table_keyword_is_not_the_table() {
        let s = parse(
            "copy table budget_entry () from '/d/budget_entry.hubble'\nwith row_estimate = 1200\n\\p\\g\nCOPY TABLE hubble.\"Budget Entry\"(\n\tid= c0tab,\n\tnl= d0nl)\nfrom '/d/b2.hubble'\n\\p\\g\ncopy table\tgl_budget () into '/d/gl_budget.hubble'\n\\p\\g\n",
        );
        assert_eq!(s.copies.iter().map(|c| c.table.as_str()).collect::<Vec<_>>(), vec!["budget_entry", "Budget Entry", "gl_budget"]);
        // A table named "table" is written quoted; so is one whose name starts so.
        let s = parse("copy \"table\" () from '/d/t.hubble'\n\\p\\g\ncopy tablespace_usage () from '/d/u.hubble'\n\\p\\g\n");
        assert_eq!(s.copies.iter().map(|c| c.table.as_str()).collect::<Vec<_>>(), vec!["table", "tablespace_usage"]);
    }

    #[test]
    fn reads_restore_errors() {
        let log = "Executing . . .\n\nE_US0845 Table 'ar_receipt_classes' does not exist or is not owned by you.\n    (Tue Mar  5 10:11:12 2024)\nE_US0847_2119 User 'x' does not own table 'Y'.\nE_US07DA Duplicate object name 'activity_log'.\nE_QE0002\ncontinue\n - Terminated by Errors\n";
        let e = restore_events(log.as_bytes());
        let errors: Vec<(&str, Option<&str>)> = e
            .iter()
            .filter_map(|e| match e {
                LogEvent::Error(r) => Some((r.code.as_str(), r.table.as_deref())),
                LogEvent::Terminated { .. } => None,
            })
            .collect();
        assert_eq!(errors, vec![("E_US0845", Some("ar_receipt_classes")), ("E_US0847", Some("y")), ("E_US07DA", Some("activity_log")), ("E_QE0002", None)]);
        assert_eq!(e.last(), Some(&LogEvent::Terminated { line: 9 }));
        // Wrapped as ugerr.c wraps: continuation lines joined, a word cut mid-way glued back,
        // the timestamp line left out; the line is the first one's.
        let long = format!("/import/dbbackup/{}/DatabaseBackup/gl_budget_balances_by_period.hubble", "hubble_schema_backup_2026_11_01_02_00_00_nightly_full_copy_of_the_hubble_schema");
        let text = format!("COPY: can't open file '{long}'.");
        let wrapped = repocheck_testkit::backups::ingres_error("E_CO0005_FILE_OPEN_ERR", &text);
        assert!(wrapped.lines().count() >= 3, "{wrapped}");
        let log = format!("Executing . . .\n\n{wrapped}\n    (Sun Nov  1 02:10:11 2026)\n\ncontinue\n");
        match &restore_events(log.as_bytes())[..] {
            [LogEvent::Error(e)] => {
                assert_eq!(e.message, text);
                assert_eq!(e.table.as_deref(), Some(long.as_str()));
                assert_eq!(e.line, 3);
            }
            other => panic!("{other:?}"),
        }
        let message = "COPY: Warning: Copy completed with 3 warnings.  1200 rows successfully copied from the file into table 'activity_log' of the hubble schema.";
        let log = repocheck_testkit::backups::ingres_error("E_CO0028_WARNINGS", message);
        assert!(matches!(&restore_events(log.as_bytes())[..], [LogEvent::Error(e)] if e.message == message && e.table.as_deref() == Some("activity_log")));
        // Not UTF-8: still read, line numbers kept.
        let e = restore_events(b"\xff\xfe\nE_US0845 Table 'caf\xe9' does not exist.\n");
        assert!(matches!(&e[..], [LogEvent::Error(RestoreError { line: 2, .. })]));
    }
}
