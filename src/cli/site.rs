//! `repocheck check --site <site.toml>`: several targets in one run, one report.
//!
//! ```toml
//! [[target]]
//! product = "fossology"
//! db = "backup/fossology.sql.gz"      # the same options as on the command line
//! repo = "/srv/fossology/repository"
//! level = "size"
//! [target.rules]                       # overrides for this target only
//! "fossology/file-orphaned" = { severity = "error" }
//! "fossology/scratch-leftover" = { enabled = false }
//! ```
//! A target's keys are its product's command-line options (`db-name` or `db_name`), so a
//! site file accepts exactly what the command line does. Relative paths are relative to the
//! site file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::Deserialize;

use clap::ValueHint;

use super::{CheckProduct, OutputArgs};
use crate::engine::finding::Severity;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    /// A name for the site, given in each target's scope.
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "target", default)]
    targets: Vec<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleOverride {
    severity: Option<Severity>,
    enabled: Option<bool>,
}

/// Parses one target's options as the command line would.
#[derive(Debug, Parser)]
#[command(name = "target", no_binary_name = true)]
struct TargetArgs {
    #[command(subcommand)]
    product: CheckProduct,
}

pub fn run(site: &Path, out: &OutputArgs) -> Result<ExitCode> {
    let text = crate::engine::io::read_text_file(site, crate::engine::io::CONFIG).with_context(|| format!("--site {}: cannot read", site.display()))?;
    let file: SiteFile = toml::from_str(&text).map_err(|e| anyhow::anyhow!("--site {}: not a valid site file: {}", site.display(), crate::engine::escape::toml_error(&text, &e)))?;
    if file.targets.is_empty() {
        bail!("--site {}: no [[target]] tables", site.display());
    }
    let base = site.parent().map(Path::to_path_buf).unwrap_or_default();
    let catalogue = out.catalogue()?;
    // Every target is parsed and its inputs vetted before the first one runs.
    let mut targets = Vec::new();
    for (i, table) in file.targets.into_iter().enumerate() {
        let what = || format!("--site {}: target {}", site.display(), i + 1);
        let (product, overrides) = parse_target(table, &base).with_context(what)?;
        let own = if overrides.is_empty() {
            None
        } else {
            let mut own = catalogue.clone();
            for (id, o) in &overrides {
                own.override_rule(id, o.severity, o.enabled).with_context(what)?;
            }
            Some(Arc::new(own))
        };
        targets.push((product.plan().with_context(what)?, own));
    }
    out.run(catalogue, |sink| {
        for (planned, own) in targets {
            match own {
                None => planned.run(sink)?,
                // A target with its own rule overrides sees the run through its catalogue;
                // its findings, counters and progress stay the site's.
                Some(own) => planned.run(&sink.with_catalogue(own))?,
            }
            if let Some(name) = &file.name {
                sink.scope("site", name.clone().into());
            }
        }
        Ok(())
    })
}

fn parse_target(mut table: toml::Table, base: &Path) -> Result<(CheckProduct, Vec<(String, RuleOverride)>)> {
    let product = match table.remove("product") {
        Some(toml::Value::String(p)) => p,
        _ => bail!("needs product = \"<{}>\"", crate::products::names().join("|")),
    };
    let mut overrides = Vec::new();
    if let Some(rules) = table.remove("rules") {
        let rules: toml::Table = rules.try_into().context("rules must be a table of rule ids")?;
        for (id, value) in rules {
            let o: RuleOverride = value.try_into().with_context(|| format!("rules.\"{id}\": expected {{ severity = \"…\", enabled = … }}"))?;
            overrides.push((id, o));
        }
    }
    let command = <TargetArgs as clap::CommandFactory>::command();
    let Some(sub) = command.find_subcommand(&product) else {
        let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).filter(|n| *n != "help").collect();
        bail!("product = \"{product}\": no such product ({})", names.join(", "));
    };
    let mut args: Vec<String> = vec![product.clone()];
    for (key, value) in table {
        let flag = key.replace('_', "-");
        let kind = sub.get_arguments().find(|a| a.get_long() == Some(flag.as_str())).map(path_kind).unwrap_or(PathKind::NotPath);
        let values = match value {
            toml::Value::Array(items) => items,
            v => vec![v],
        };
        for v in values {
            let s = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Boolean(true) => {
                    args.push(format!("--{flag}"));
                    continue;
                }
                toml::Value::Boolean(false) => continue,
                other => bail!("{key}: unsupported value {other}"),
            };
            args.push(format!("--{flag}"));
            args.push(match kind {
                PathKind::NotPath => s,
                PathKind::Path => resolve(base, &s),
                PathKind::AfterEquals => match s.split_once('=') {
                    Some((name, path)) => format!("{name}={}", resolve(base, path)),
                    None => s,
                },
            });
        }
    }
    let parsed = TargetArgs::try_parse_from(&args).map_err(|e| anyhow::anyhow!("{}", clap_error_line(&e.to_string())))?;
    Ok((parsed.product, overrides))
}

/// How a site file's value of an option is resolved against the site file's directory,
/// as the option's definition says: a path (`value_hint`), `name=path` (`--agent`), or
/// no path at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathKind {
    NotPath,
    Path,
    AfterEquals,
}

fn path_kind(arg: &clap::Arg) -> PathKind {
    if arg.get_value_names().is_some_and(|names| names.iter().any(|n| n.as_str().ends_with("=DIR"))) {
        return PathKind::AfterEquals;
    }
    match arg.get_value_hint() {
        ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath => PathKind::Path,
        _ => PathKind::NotPath,
    }
}

/// clap's multi-line error as one line, without the usage and help hints.
fn clap_error_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("error: "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A relative path is relative to the site file; a URL stays as it is.
fn resolve(base: &Path, value: &str) -> String {
    if value.contains("://") {
        return value.to_string();
    }
    let p = PathBuf::from(value);
    if p.is_absolute() { value.to_string() } else { base.join(p).display().to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tables::DbSource;

    fn target(toml_text: &str) -> CheckProduct {
        let table: toml::Table = toml::from_str(toml_text).unwrap();
        parse_target(table, Path::new("/site")).unwrap().0
    }

    #[test]
    fn only_path_options_are_resolved_and_an_equals_sign_is_part_of_a_path() {
        let t = target("product = \"fossology\"\nrepo = \"/srv/a=b\"\ndb = \"dump=1.sql\"\ndb_name = \"x=y\"\nhost = \"h\"");
        assert_eq!(t.product().name(), "fossology");
        let a: crate::fossology::CheckOptions = t.options().unwrap();
        assert_eq!(a.inputs.repo, PathBuf::from("/srv/a=b"));
        assert_eq!(a.inputs.db, DbSource::Dump(PathBuf::from("/site/dump=1.sql")));
        assert_eq!(a.inputs.db_name, "x=y");
        assert_eq!(a.host.as_deref(), Some("h"));
        let t = target("product = \"js7\"\ncontroller = \"c\"\nagent = [\"/agent-1=a1\", \"agent-2=/abs/a=2\"]\njoc_db = \"postgres://u@h/joc\"");
        let a: crate::js7::CheckOptions = t.options().unwrap();
        assert_eq!(a.controller, PathBuf::from("/site/c"));
        assert_eq!(a.agents, vec![("/agent-1".to_string(), PathBuf::from("/site/a1")), ("agent-2".to_string(), PathBuf::from("/abs/a=2"))]);
        assert_eq!(a.joc_db, Some(DbSource::Url("postgres://u@h/joc".into())));
    }

    #[test]
    fn an_unknown_product_or_option_is_named() {
        let e = parse_target(toml::from_str("product = \"nope\"").unwrap(), Path::new("/")).err().unwrap();
        assert!(format!("{e:#}").contains("no such product (fossology, js7, fiorano, connectware, hubble)"), "{e:#}");
        let e = parse_target(toml::from_str("product = \"hubble\"\narchive = \"a\"\ncolour = \"red\"").unwrap(), Path::new("/")).err().unwrap();
        assert!(format!("{e:#}").contains("--colour"), "{e:#}");
    }

    /// Every target is vetted and resolved (its layout found, `--host` known to it) before
    /// the first one runs: a wrong third target fails the run, named, and nothing is written.
    #[test]
    fn a_wrong_third_target_fails_before_the_first_is_checked() {
        #[derive(Debug, clap::Parser)]
        struct Out {
            #[command(flatten)]
            out: OutputArgs,
        }
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site.toml");
        let fossology = testdata.join("fossology/example");
        std::fs::write(
            &site,
            format!(
                "[[target]]\nproduct = \"fiorano\"\nruntimedata = \"{fiorano}/runtimedata\"\n\n[[target]]\nproduct = \"hubble\"\narchive = \"{hubble}\"\n\n\
                 [[target]]\nproduct = \"fossology\"\ndb = \"{f}/fossology.sql.gz\"\nrepo = \"{f}/repository\"\nconf = \"{f}/etc/fossology.conf\"\nhost = \"nope\"\n",
                fiorano = testdata.join("fiorano").display(),
                hubble =
                    std::fs::read_dir(testdata.join("hubble")).unwrap().flatten().map(|e| e.path()).find(|p| p.to_string_lossy().ends_with(".tar.gz")).expect("a hubble example archive").display(),
                f = fossology.display(),
            ),
        )
        .unwrap();
        let report = dir.path().join("report.json");
        let out = <Out as clap::Parser>::try_parse_from(["out", "--quiet", "--output", report.to_str().unwrap()]).unwrap().out;
        let e = run(&site, &out).expect_err("an unknown --host fails the run");
        let message = format!("{e:#}");
        assert!(message.contains("target 3") && message.contains("--host nope: not a [REPOSITORY] host"), "{message}");
        assert!(!report.exists(), "nothing ran, so no report was written");
    }
}
