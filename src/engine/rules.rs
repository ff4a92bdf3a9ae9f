//! The rule catalogue: ids, severities, explanations and parameters, loaded from
//! `rules/<product>.toml`. The checks themselves are code; a catalogue lets a site tune a
//! rule's severity, disable it, or set a parameter.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::finding::Severity;

/// A rule the code can emit. Each product has one enum of these, declared with
/// [`product_rules!`], so a rule without an id does not compile.
pub trait RuleCode: Copy + 'static {
    /// Every rule of the product.
    const ALL: &'static [Self];
    /// Their ids, in the same order.
    const IDS: &'static [&'static str];
    /// Stable id, `<product>/<kebab-name>`.
    fn id(self) -> &'static str;
}

/// Declares a product's rule enum: its variants and their ids.
///
/// ```ignore
/// product_rules! {
///     /// FOSSology rules.
///     pub enum Rule for "fossology" {
///         /// doc
///         FileMissing = "file-missing",
///     }
/// }
/// ```
#[macro_export]
macro_rules! product_rules {
    (
        $(#[$meta:meta])*
        pub enum $name:ident for $product:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $kebab:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $crate::engine::rules::RuleCode for $name {
            const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];
            const IDS: &'static [&'static str] = &[ $( concat!($product, "/", $kebab) ),+ ];
            fn id(self) -> &'static str {
                match self { $( $name::$variant => concat!($product, "/", $kebab) ),+ }
            }
        }

        impl $name {
            /// The rule of a finding's id (`None` for another product's or an unknown id):
            /// code matches rules by variant, so a renamed rule cannot go unnoticed.
            #[allow(dead_code)]
            pub fn from_id(id: &str) -> Option<$name> {
                match id { $( concat!($product, "/", $kebab) => Some($name::$variant), )+ _ => None }
            }
        }
    };
}

/// One rule as a rule file describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub severity: Severity,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub summary: String,
    pub explain: String,
    #[serde(default)]
    pub params: toml::Table,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    product: String,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

/// What the catalogue needs to know of a product: its bundled rule file, the rules its code
/// emits, and how to check its parameters (part of `engine::product::Registered`).
#[derive(Clone, Copy)]
pub struct ProductRules {
    pub name: &'static str,
    pub rules_toml: &'static str,
    pub ids: &'static [&'static str],
    /// Deserializes the product's typed parameters from a catalogue: a wrong name or type
    /// is a load error, before any check runs.
    pub validate: fn(&Catalogue) -> Result<()>,
    /// The repair plan unit of one of its findings.
    pub unit_of: crate::engine::plan::UnitOf,
    /// What to do about one of its units, in a sentence.
    pub action: fn(&crate::engine::plan::PlanUnit) -> String,
}

/// All rules of all products, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    rules: BTreeMap<String, RuleSpec>,
    /// Which file each product's rules came from (for messages).
    sources: BTreeMap<String, String>,
}

impl Catalogue {
    /// The bundled rule files, each replaced by a site's file of the same product.
    ///
    /// Every file is checked against what the code knows: unknown keys, duplicate ids, ids
    /// the code cannot emit and rules the code emits that the file does not describe are
    /// load errors. A site's file need not repeat a parameter: what it leaves out keeps
    /// the bundled value, so the bundled files are the only place defaults live. Last, each
    /// product's parameters are deserialized into its typed `Params`.
    pub fn from_files(products: &[ProductRules], overrides: &[(String, String)]) -> Result<Catalogue> {
        let mut catalogue = Catalogue::default();
        for p in products {
            catalogue.add_file(&format!("rules/{}.toml (bundled)", p.name), p.rules_toml, products, false)?;
        }
        let mut replaced = BTreeMap::new();
        for (name, text) in overrides {
            let product = catalogue.add_file(name, text, products, true)?;
            if let Some(previous) = replaced.insert(product.clone(), name.clone()) {
                bail!("{name}: product '{product}' is already described by {previous}");
            }
        }
        for p in products {
            let file = &catalogue.sources[p.name];
            if let Some(id) = p.ids.iter().find(|id| !catalogue.rules.contains_key(**id)) {
                bail!("{file}: rule '{id}' is emitted by repocheck but not described");
            }
            (p.validate)(&catalogue).with_context(|| file.clone())?;
        }
        Ok(catalogue)
    }

    /// Adds one rule file; returns its product.
    fn add_file(&mut self, name: &str, text: &str, products: &[ProductRules], replaces: bool) -> Result<String> {
        let file: RuleFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{name}: not a valid rule file: {}", super::escape::toml_error(text, &e)))?;
        let Some(product) = products.iter().find(|p| p.name == file.product) else {
            let names: Vec<&str> = products.iter().map(|p| p.name).collect();
            bail!("{name}: no product '{}' (products: {})", file.product, names.join(", "));
        };
        // A replaced product's rules go: the new file describes all of them. Their
        // parameters stay as the base the new file's parameters are laid over.
        let prefix = format!("{}/", file.product);
        let mut bundled = BTreeMap::new();
        if replaces {
            let ids: Vec<String> = self.rules.keys().filter(|id| id.starts_with(&prefix)).cloned().collect();
            for id in ids {
                if let Some(rule) = self.rules.remove(&id) {
                    bundled.insert(id, rule.params);
                }
            }
        }
        for mut rule in file.rules {
            if !rule.id.starts_with(&prefix) {
                bail!("{name}: rule '{}' does not belong to product '{}'", rule.id, file.product);
            }
            if !product.ids.contains(&rule.id.as_str()) {
                bail!("{name}: rule '{}' is not known to this version of repocheck", rule.id);
            }
            if self.rules.contains_key(&rule.id) {
                bail!("{name}: rule '{}' is described twice", rule.id);
            }
            if let Some(mut base) = bundled.remove(&rule.id) {
                base.extend(std::mem::take(&mut rule.params));
                rule.params = base;
            }
            self.rules.insert(rule.id.clone(), rule);
        }
        self.sources.insert(file.product.clone(), name.to_string());
        Ok(file.product)
    }

    /// The bundled catalogue, with the product files of `dir` (if any) replacing bundled ones.
    pub fn load(products: &[ProductRules], dir: Option<&Path>) -> Result<Catalogue> {
        let mut overrides: Vec<(String, String)> = Vec::new();
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).with_context(|| format!("--rules {}: cannot read the directory", dir.display()))?;
            for entry in entries {
                let path = entry.with_context(|| format!("--rules {}", dir.display()))?.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let text = super::io::read_text_file(&path, super::io::CONFIG).with_context(|| format!("{}: cannot read", path.display()))?;
                    overrides.push((path.display().to_string(), text));
                }
            }
            if overrides.is_empty() {
                bail!("--rules {}: no *.toml rule files in the directory", dir.display());
            }
            overrides.sort();
        }
        Catalogue::from_files(products, &overrides)
    }

    pub fn get(&self, id: &str) -> Option<&RuleSpec> {
        self.rules.get(id)
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleSpec> {
        self.rules.values()
    }

    /// A product's parameters as its typed `Params`: a table keyed by the rule's name
    /// without the product (`scratch-leftover = { dirs = [...] }`) holding each rule's
    /// `params`.
    pub fn params<T: serde::de::DeserializeOwned>(&self, product: &str) -> Result<T> {
        let prefix = format!("{product}/");
        let mut table = toml::Table::new();
        for (id, rule) in self.rules.range(prefix.clone()..) {
            let Some(name) = id.strip_prefix(&prefix) else { break };
            if !rule.params.is_empty() {
                table.insert(name.to_string(), toml::Value::Table(rule.params.clone()));
            }
        }
        T::deserialize(toml::Value::Table(table)).map_err(|e| anyhow::anyhow!("rule parameters of {product}: {}", e.to_string().trim()))
    }

    /// Applies a site's overrides of severity and enablement.
    pub fn override_rule(&mut self, id: &str, severity: Option<Severity>, enabled: Option<bool>) -> Result<()> {
        let Some(rule) = self.rules.get_mut(id) else { bail!("no rule '{id}' to override") };
        if let Some(severity) = severity {
            rule.severity = severity;
        }
        if let Some(enabled) = enabled {
            rule.enabled = enabled;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct DemoParams {
        b: BParams,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct BParams {
        limit: i64,
        names: Vec<String>,
    }

    const GOOD: &str = r#"product = "demo"
[[rule]]
id = "demo/a"
severity = "error"
summary = "a"
explain = "a"
[[rule]]
id = "demo/b"
severity = "info"
enabled = false
summary = "b"
explain = "b"
params = { limit = 3, names = ["x"] }
"#;

    fn demo(bundled: &'static str) -> [ProductRules; 1] {
        [ProductRules {
            name: "demo",
            rules_toml: bundled,
            ids: &["demo/a", "demo/b"],
            validate: |c| c.params::<DemoParams>("demo").map(|_| ()),
            unit_of: |_| None,
            action: crate::engine::plan::generic_action,
        }]
    }

    fn site(text: &str) -> Vec<(String, String)> {
        vec![("site/demo.toml".to_string(), text.to_string())]
    }

    #[test]
    fn loads_a_good_file_and_its_typed_parameters() {
        let c = Catalogue::from_files(&demo(GOOD), &[]).unwrap();
        assert_eq!(c.get("demo/b").unwrap().severity, Severity::Info);
        assert!(!c.get("demo/b").unwrap().enabled);
        let p: DemoParams = c.params("demo").unwrap();
        assert_eq!(p, DemoParams { b: BParams { limit: 3, names: vec!["x".into()] } });
    }

    #[test]
    fn a_site_file_keeps_the_bundled_parameters_it_does_not_set() {
        let partial = GOOD.replace("params = { limit = 3, names = [\"x\"] }", "params = { limit = 9 }");
        let c = Catalogue::from_files(&demo(GOOD), &site(&partial)).unwrap();
        let p: DemoParams = c.params("demo").unwrap();
        assert_eq!(p.b, BParams { limit: 9, names: vec!["x".into()] });
        assert_eq!(c.sources["demo"], "site/demo.toml");
    }

    #[test]
    fn a_wrong_parameter_name_or_type_fails_at_load() {
        let wrong_type = GOOD.replace("limit = 3", "limit = \"three\"");
        let e = Catalogue::from_files(&demo(GOOD), &site(&wrong_type)).unwrap_err();
        assert!(format!("{e:#}").contains("site/demo.toml") && format!("{e:#}").contains("limit"), "{e:#}");
        let wrong_name = GOOD.replace("limit = 3", "lmit = 3");
        let e = Catalogue::from_files(&demo(GOOD), &site(&wrong_name)).unwrap_err();
        assert!(format!("{e:#}").contains("lmit"), "{e:#}");
        // A parameter on a rule that has none.
        let stray = GOOD.replace("summary = \"a\"", "summary = \"a\"\nparams = { limit = 1 }");
        let e = Catalogue::from_files(&demo(GOOD), &site(&stray)).unwrap_err();
        assert!(format!("{e:#}").contains("unknown field `a`"), "{e:#}");
        // The bundled file must hold every parameter: there are no defaults in the code.
        let e = Catalogue::from_files(&demo(&*GOOD.replace(", names = [\"x\"]", "").leak()), &[]).unwrap_err();
        assert!(format!("{e:#}").contains("names"), "{e:#}");
    }

    #[test]
    fn rejects_unknown_keys_duplicates_and_unknown_rules() {
        let unknown_key = GOOD.replace("summary = \"a\"", "summary = \"a\"\ncolour = \"red\"");
        let e = Catalogue::from_files(&demo(GOOD), &site(&unknown_key)).unwrap_err();
        assert!(format!("{e:#}").contains("colour"), "{e:#}");

        let duplicate = format!("{GOOD}\n[[rule]]\nid = \"demo/a\"\nseverity = \"error\"\nsummary = \"x\"\nexplain = \"x\"\n");
        let e = Catalogue::from_files(&demo(GOOD), &site(&duplicate)).unwrap_err();
        assert!(format!("{e:#}").contains("described twice"), "{e:#}");

        let unknown_rule = GOOD.replace("demo/a", "demo/zzz");
        let e = Catalogue::from_files(&demo(GOOD), &site(&unknown_rule)).unwrap_err();
        assert!(format!("{e:#}").contains("not known"), "{e:#}");

        let twice = vec![site(GOOD).remove(0), ("site/other.toml".to_string(), GOOD.to_string())];
        let e = Catalogue::from_files(&demo(GOOD), &twice).unwrap_err();
        assert!(format!("{e:#}").contains("already described"), "{e:#}");
    }

    #[test]
    fn a_rule_the_code_emits_must_be_described() {
        let only_a = "product = \"demo\"\n[[rule]]\nid = \"demo/a\"\nseverity = \"error\"\nsummary = \"a\"\nexplain = \"a\"\n";
        let e = Catalogue::from_files(&demo(GOOD), &site(only_a)).unwrap_err();
        assert!(format!("{e:#}").contains("'demo/b' is emitted by repocheck but not described"), "{e:#}");
    }
}
