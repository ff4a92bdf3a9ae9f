//! Fiorano ESB: event processes (`EventProcess.xml` and the files it references), component
//! references against the user and system component repositories, policies against alerts,
//! transient stores in a backup set.
//!
//! Sources: Fiorano's enterprise repository documentation ("Fiorano Enterprise Repository")
//! and the server's source as published (`ApplicationParser`, `MicroServiceRepoManager`,
//! `JVMCommandProvider`), cited where each fact is used.

pub mod check;
pub mod model;

use anyhow::Result;
use serde::Deserialize;

use crate::engine::finding::Finding;
use crate::engine::manifest::Input;
use crate::engine::plan::{self, PlanUnit, Unit};
use crate::engine::product::{ManifestInputs, Product};
use crate::engine::report::Target;
use crate::engine::sink::Sink;
pub use check::CheckOptions;

crate::product_rules! {
    /// Every Fiorano rule. Ids, severities and explanations: `rules/fiorano.toml`.
    pub enum Rule for "fiorano" {
        /// EventProcess.xml missing, or a file it references absent.
        EventProcessIncomplete = "event-process-incomplete",
        /// EventProcess.xml does not parse, or its guid/version are not its folder's.
        EventProcessInvalid = "event-process-invalid",
        /// A route names an unknown instance or port.
        RouteDangling = "route-dangling",
        /// A service instance's component is in no component repository.
        ComponentMissing = "component-missing",
        /// A component's descriptor is missing or broken, or a file it lists is absent.
        ComponentIncomplete = "component-incomplete",
        /// A component's serviceref resolves to no component.
        ServicerefMissing = "serviceref-missing",
        /// A policy refers to an alert that does not exist.
        PolicyAlertMissing = "policy-alert-missing",
        /// Transient runtime stores in a backup set.
        TransientInBackup = "transient-in-backup",
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/fiorano.toml");

/// The rule parameters of `rules/fiorano.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Params {
    pub event_process_incomplete: EventProcessIncompleteParams,
    pub component_incomplete: ComponentIncompleteParams,
    pub policy_alert_missing: PolicyAlertMissingParams,
    pub transient_in_backup: TransientInBackupParams,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventProcessIncompleteParams {
    /// Also require `env/<deployment label>.xml`.
    pub require_env_file: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentIncompleteParams {
    /// Match the files a descriptor lists ignoring case (a server on a case-insensitive
    /// file system); exact by default, as `new File(path).exists()` is on Linux.
    pub case_insensitive_names: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyAlertMissingParams {
    /// Element and attribute names read as alert references.
    pub alert_elements: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransientInBackupParams {
    pub files: Vec<String>,
    /// File names starting so.
    pub prefixes: Vec<String>,
    /// Path endings.
    pub dirs: Vec<String>,
}

/// Fiorano ESB, as the engine runs it.
pub struct Fiorano;

impl Product for Fiorano {
    const NAME: &'static str = "fiorano";
    const ABOUT: &'static str = "Fiorano ESB: event processes, components, policies and alerts, transient stores";
    const RULES_TOML: &'static str = RULES_TOML;
    type Rule = Rule;
    type Params = Params;
    type Options = CheckOptions;
    type Valid = CheckOptions;

    fn validate(opts: CheckOptions) -> Result<(Target, CheckOptions)> {
        Ok((check::target(&opts)?, opts))
    }

    fn check(opts: &CheckOptions, params: &Params, sink: &Sink) -> Result<()> {
        check::check(opts, params, sink)
    }

    /// Event processes and components by their folders (`…/applications/<GUID>/<version>`,
    /// `…/components/<GUID>/<version>`), policies, and the backup set's transient stores.
    fn plan_unit(f: &Finding) -> Option<Unit> {
        match Rule::from_id(&f.rule)? {
            Rule::TransientInBackup => return Some(Unit { unit: "backup set", key: String::new(), bytes: 0 }),
            Rule::PolicyAlertMissing => return Some(Unit { unit: "policies", key: String::new(), bytes: 0 }),
            _ => {}
        }
        if let Some(s) = f.subject.strip_prefix("serviceref ") {
            return Some(Unit { unit: "component", key: s.replace(':', " "), bytes: 0 });
        }
        let parts: Vec<&str> = f.subject.split('/').collect();
        for (i, p) in parts.iter().enumerate() {
            let unit = match p.to_ascii_lowercase().as_str() {
                "applications" => "event process",
                "components" => "component",
                _ => continue,
            };
            if let (Some(guid), Some(version)) = (parts.get(i + 1), parts.get(i + 2)) {
                return Some(Unit { unit, key: format!("{guid} {version}"), bytes: 0 });
            }
        }
        None
    }

    fn plan_action(u: &PlanUnit) -> String {
        match u.unit.as_str() {
            "event process" => format!("redeploy event process {} from its source (or restore its folder from the backup): {} finding(s)", u.key, u.total()),
            "component" => format!("redeploy component {} to the repository (or restore its folder from the backup): {} finding(s)", u.key, u.total()),
            "backup set" => format!("delete the {} transient store(s) from the restored copy before starting the servers", u.total()),
            _ => plan::generic_action(u),
        }
    }

    fn manifest_inputs(opts: &CheckOptions) -> ManifestInputs {
        let mut files = vec![Input::tree("runtimedata", &opts.runtimedata).main()];
        if let Some(i) = &opts.install {
            files.push(Input::tree("install", i));
        }
        ManifestInputs { files, databases: Vec::new() }
    }
}
