//! `repocheck rules [list [product] | explain <rule>]`

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::{RulesAction, RulesCmd};

pub fn run(cmd: RulesCmd) -> Result<ExitCode> {
    let catalogue = crate::products::catalogue(cmd.rules.as_deref())?;
    match cmd.action.unwrap_or(RulesAction::List { product: None }) {
        RulesAction::List { product } => {
            let mut table = crate::engine::report::table::new_table();
            table.set_header(["rule", "severity", "enabled", "summary"]);
            let mut n = 0;
            for rule in catalogue.rules() {
                if product.as_ref().is_some_and(|p| !rule.id.starts_with(&format!("{p}/"))) {
                    continue;
                }
                n += 1;
                table.add_row([rule.id.clone(), rule.severity.to_string(), if rule.enabled { "yes" } else { "no" }.to_string(), rule.summary.clone()]);
            }
            if n == 0 {
                bail!("no rules for product '{}'", product.unwrap_or_default());
            }
            println!("{table}");
        }
        RulesAction::Explain { rule } => {
            let Some(spec) = catalogue.get(&rule) else {
                let close: Vec<&str> = catalogue.rules().map(|r| r.id.as_str()).filter(|id| id.contains(rule.rsplit('/').next().unwrap_or(&rule))).collect();
                let hint = if close.is_empty() { String::new() } else { format!(" (did you mean {}?)", close.join(", ")) };
                bail!("no rule '{rule}'{hint}; see repocheck rules list");
            };
            println!("{}  [{}{}]", spec.id, spec.severity, if spec.enabled { "" } else { ", disabled" });
            println!("{}\n", spec.summary);
            println!("{}", spec.explain.trim());
            if !spec.params.is_empty() {
                println!("\nparameters:");
                for (k, v) in &spec.params {
                    println!("  {k} = {v}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
