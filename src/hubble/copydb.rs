//! The scripts Vector's `copydb` writes (facts/hubble.md §C.2): statements ended by a line
//! `\p\g`, `\nocontinue` / `\continue`, `create table <t>(…)`, and
//! `copy <t> () from '<file>'` (copy.in) or `copy <t> () into '<file>'` (copy.out).

/// What a script holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// Tables created (copy.in).
    pub tables: Vec<String>,
    /// `(table, data file as written, line)`.
    pub copies: Vec<(String, String, usize)>,
    /// Lines of `\nocontinue` that are in force when the tables section starts.
    pub nocontinue: Vec<usize>,
    pub statements: usize,
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(s);
    s.to_ascii_lowercase()
}

/// Parses a script; never fails (unknown lines are skipped).
pub fn parse(text: &str) -> Script {
    let mut script = Script::default();
    let mut statement = String::new();
    let mut statement_line = 0;
    let mut continue_mode = true;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let number = i + 1;
        match line {
            "\\nocontinue" => {
                continue_mode = false;
                script.nocontinue.push(number);
                continue;
            }
            "\\continue" => {
                continue_mode = true;
                continue;
            }
            "\\p\\g" | "\\g" | "\\p\\g;" => {
                finish(&mut script, &statement, statement_line);
                statement.clear();
                continue;
            }
            _ => {}
        }
        if statement.is_empty() {
            statement_line = number;
        }
        statement.push_str(raw);
        statement.push('\n');
    }
    finish(&mut script, &statement, statement_line);
    // Only a \nocontinue still in force matters.
    if continue_mode {
        script.nocontinue.clear();
    } else if let Some(last) = script.nocontinue.last().copied() {
        script.nocontinue = vec![last];
    }
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

fn finish(script: &mut Script, statement: &str, line: usize) {
    let statement = strip_comments(statement);
    let s = statement.trim();
    if s.is_empty() {
        return;
    }
    script.statements += 1;
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("create table ") {
        let name = rest.split(|c: char| c == '(' || c.is_whitespace()).next().unwrap_or_default();
        script.tables.push(unquote(name));
    } else if let Some(rest) = lower.strip_prefix("copy ") {
        let table = rest.split(|c: char| c == '(' || c.is_whitespace()).next().unwrap_or_default();
        // The file is the quoted string after "from" or "into"; keep its original case.
        for keyword in [" from ", " into ", "\nfrom ", "\ninto ", ")from ", ")into "] {
            if let Some(pos) = lower.find(keyword) {
                let after = &s[pos + keyword.len()..];
                if let Some(start) = after.find('\'') {
                    let quoted = &after[start + 1..];
                    if let Some(end) = quoted.find('\'') {
                        script.copies.push((unquote(table), quoted[..end].to_string(), line));
                        break;
                    }
                }
            }
        }
    }
}

/// `E_` errors of a restore log: the code (8 characters, as the terminal monitor prints it),
/// the message, and the table it names.
pub fn restore_errors(log: &str) -> Vec<(String, String, Option<String>, usize)> {
    static E: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"^(E_[A-Z]{2}[0-9A-F]{4})(?:_[0-9A-F]+)?\s+(.*)$").expect("valid regex"));
    static TABLE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| regex::Regex::new(r"[Tt]able '([^']+)'").expect("valid regex"));
    log.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let c = E.captures(l.trim_end())?;
            let message = c[2].to_string();
            let table = TABLE.captures(&message).map(|t| t[1].to_ascii_lowercase());
            Some((c[1].to_string(), message, table, i + 1))
        })
        .collect()
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
            any::<String>(),
        ], 0..40)) {
            let text = parts.concat();
            let _ = parse(&text);
            let _ = restore_errors(&text);
        }
    }

    const COPY_IN: &str = "/* SQL script created by COPYDB, version II 6.2.0. */\n\n\\sql\nset autocommit on\n\\p\\g\nset nojournaling\n\\p\\g\n\n\t/* TABLES */\n\\nocontinue\ncreate table budget_entry(\n\tid integer not null,\n\tamount decimal(18,2)\n)\nwith duplicates,\nnojournaling\n\\p\\g\ncopy budget_entry () from '/import/dbbackup/x/budget_entry.hubble'\nwith row_estimate = 1200\n\\p\\g\n";

    #[test]
    fn reads_a_copy_in_script() {
        let s = parse(COPY_IN);
        assert_eq!(s.tables, vec!["budget_entry"]);
        assert_eq!(s.copies, vec![("budget_entry".to_string(), "/import/dbbackup/x/budget_entry.hubble".to_string(), 18)]);
        let sectioned = parse(&COPY_IN.replace("\\nocontinue\n", "\\nocontinue\n/* a comment */\n"));
        assert_eq!(sectioned.tables, vec!["budget_entry"]);
        assert_eq!(s.nocontinue, vec![10]);
        let relaxed = parse(&COPY_IN.replace("\\nocontinue", "\\continue"));
        assert!(relaxed.nocontinue.is_empty());
    }

    #[test]
    fn reads_restore_errors() {
        let log = "Executing . . .\n\nE_US0845 Table 'ar_receipt_classes' does not exist or is not owned by you.\n    (Tue Mar  5 10:11:12 2024)\nE_US0847_2119 User 'x' does not own table 'y'.\ncontinue\n";
        let e = restore_errors(log);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].0, "E_US0845");
        assert_eq!(e[0].2.as_deref(), Some("ar_receipt_classes"));
        assert_eq!(e[1].0, "E_US0847");
    }
}
