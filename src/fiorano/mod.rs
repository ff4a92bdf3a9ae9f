//! Fiorano ESB: event processes (`EventProcess.xml` and the files it references), component
//! references against the user and system component repositories, policies against alerts,
//! transient stores in a backup set.
//!
//! Facts: `shared/facts/fiorano.md`, `shared/sources/fiorano-enterprise-repository.txt`.

pub mod check;
pub mod model;

pub use check::{CheckOptions, check};

crate::product_rules! {
    /// Every Fiorano rule. Ids, severities and explanations: `rules/fiorano.toml`.
    pub enum Rule for "fiorano" {
        /// EventProcess.xml missing, or a file it references absent.
        EventProcessIncomplete = "event-process-incomplete" [params: "require_env_file"],
        /// EventProcess.xml does not parse, or its guid/version are not its folder's.
        EventProcessInvalid = "event-process-invalid",
        /// A route names an unknown instance or port.
        RouteDangling = "route-dangling",
        /// A service instance's component is in no component repository.
        ComponentMissing = "component-missing",
        /// A component's descriptor is missing or broken, or a file it lists is absent.
        ComponentIncomplete = "component-incomplete" [params: "case_insensitive_names"],
        /// A component's serviceref resolves to no component.
        ServicerefMissing = "serviceref-missing",
        /// A policy refers to an alert that does not exist.
        PolicyAlertMissing = "policy-alert-missing" [params: "alert_elements"],
        /// Transient runtime stores in a backup set.
        TransientInBackup = "transient-in-backup" [params: "files", "prefixes", "dirs"],
    }
}

/// The bundled rule file.
pub const RULES_TOML: &str = include_str!("../../rules/fiorano.toml");
