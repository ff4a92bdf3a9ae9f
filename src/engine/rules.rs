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
    /// Stable id, `<product>/<kebab-name>`.
    fn id(self) -> &'static str;
}

/// What the code knows of a rule: its id and the parameters it reads.
#[derive(Debug, Clone, Copy)]
pub struct RuleDecl {
    pub id: &'static str,
    pub params: &'static [&'static str],
}

/// Declares a product's rule enum: variants, their ids, and the parameters each reads.
///
/// ```ignore
/// product_rules! {
///     /// FOSSology rules.
///     pub enum Rule for "fossology" {
///         /// doc
///         FileMissing = "file-missing",
///         ScratchLeftover = "scratch-leftover" [params: "dirs"],
///     }
/// }
/// ```
#[macro_export]
macro_rules! product_rules {
    (
        $(#[$meta:meta])*
        pub enum $name:ident for $product:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $kebab:literal $([params: $($param:literal),*])? ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            pub const PRODUCT: &'static str = $product;
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];
            /// Every rule of the product with the parameters it reads.
            pub const DECLS: &'static [$crate::engine::rules::RuleDecl] = &[
                $( $crate::engine::rules::RuleDecl {
                    id: concat!($product, "/", $kebab),
                    params: &[ $($($param),*)? ],
                } ),+
            ];
        }

        impl $crate::engine::rules::RuleCode for $name {
            fn id(self) -> &'static str {
                match self { $( $name::$variant => concat!($product, "/", $kebab) ),+ }
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

/// All rules of all products, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    rules: BTreeMap<String, RuleSpec>,
    /// Which file each product's rules came from (for messages).
    sources: BTreeMap<String, String>,
}

impl Catalogue {
    /// Parses rule files given as `(name, text)`, checking them against what the code knows:
    /// unknown keys, duplicate ids, ids the code cannot emit, parameters it does not read,
    /// and rules the code emits that no file describes are all load errors.
    pub fn from_files(files: &[(String, String)], known: &[RuleDecl]) -> Result<Catalogue> {
        let mut catalogue = Catalogue::default();
        for (name, text) in files {
            catalogue.add_file(name, text, known)?;
        }
        for decl in known {
            let product = decl.id.split('/').next().unwrap_or_default();
            if catalogue.sources.contains_key(product) && !catalogue.rules.contains_key(decl.id) {
                let file = &catalogue.sources[product];
                bail!("{file}: rule '{}' is emitted by repocheck but not described", decl.id);
            }
        }
        Ok(catalogue)
    }

    fn add_file(&mut self, name: &str, text: &str, known: &[RuleDecl]) -> Result<()> {
        let file: RuleFile = toml::from_str(text).with_context(|| format!("{name}: not a valid rule file"))?;
        if let Some(previous) = self.sources.get(&file.product) {
            bail!("{name}: product '{}' is already described by {previous}", file.product);
        }
        // A replaced product's bundled rules go: the new file describes all of them.
        self.rules.retain(|id, _| !id.starts_with(&format!("{}/", file.product)));
        for rule in file.rules {
            let Some(decl) = known.iter().find(|d| d.id == rule.id) else {
                bail!("{name}: rule '{}' is not known to this version of repocheck", rule.id);
            };
            if !rule.id.starts_with(&format!("{}/", file.product)) {
                bail!("{name}: rule '{}' does not belong to product '{}'", rule.id, file.product);
            }
            if let Some(param) = rule.params.keys().find(|p| !decl.params.contains(&p.as_str())) {
                bail!("{name}: rule '{}' has no parameter '{param}' (it reads: {})", rule.id, decl.params.join(", "));
            }
            if self.rules.contains_key(&rule.id) {
                bail!("{name}: rule '{}' is described twice", rule.id);
            }
            self.rules.insert(rule.id.clone(), rule);
        }
        self.sources.insert(file.product, name.to_string());
        Ok(())
    }

    /// The bundled catalogue, with the product files of `dir` (if any) replacing bundled ones.
    pub fn load(bundled: &[(&str, &str)], dir: Option<&Path>, known: &[RuleDecl]) -> Result<Catalogue> {
        let mut files: Vec<(String, String)> = Vec::new();
        let mut overrides = BTreeMap::new();
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).with_context(|| format!("--rules {}: cannot read the directory", dir.display()))?;
            for entry in entries {
                let path = entry.with_context(|| format!("--rules {}", dir.display()))?.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
                    let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                    overrides.insert(stem, (path.display().to_string(), text));
                }
            }
            if overrides.is_empty() {
                bail!("--rules {}: no *.toml rule files in the directory", dir.display());
            }
        }
        for (stem, text) in bundled {
            if !overrides.contains_key(*stem) {
                files.push((format!("rules/{stem}.toml (bundled)"), text.to_string()));
            }
        }
        files.extend(overrides.into_values());
        Catalogue::from_files(&files, known)
    }

    pub fn get(&self, id: &str) -> Option<&RuleSpec> {
        self.rules.get(id)
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleSpec> {
        self.rules.values()
    }

    /// A rule's parameter, or `default` when the file does not set it.
    pub fn param<T: for<'de> Deserialize<'de>>(&self, id: &str, name: &str, default: T) -> Result<T> {
        match self.rules.get(id).and_then(|r| r.params.get(name)) {
            None => Ok(default),
            Some(value) => value
                .clone()
                .try_into()
                .with_context(|| format!("rule '{id}': parameter '{name}' has the wrong type")),
        }
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

    const KNOWN: &[RuleDecl] = &[
        RuleDecl { id: "demo/a", params: &[] },
        RuleDecl { id: "demo/b", params: &["limit"] },
    ];

    fn file(body: &str) -> Vec<(String, String)> {
        vec![("demo.toml".to_string(), format!("product = \"demo\"\n{body}"))]
    }

    const GOOD: &str = r#"
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
params = { limit = 3 }
"#;

    #[test]
    fn loads_a_good_file() {
        let c = Catalogue::from_files(&file(GOOD), KNOWN).unwrap();
        assert_eq!(c.get("demo/b").unwrap().severity, Severity::Info);
        assert!(!c.get("demo/b").unwrap().enabled);
        assert_eq!(c.param("demo/b", "limit", 0i64).unwrap(), 3);
        assert_eq!(c.param("demo/a", "limit", 7i64).unwrap(), 7);
    }

    #[test]
    fn rejects_unknown_keys_duplicates_and_unknown_rules() {
        let unknown_key = GOOD.replace("summary = \"a\"", "summary = \"a\"\ncolour = \"red\"");
        let e = Catalogue::from_files(&file(&unknown_key), KNOWN).unwrap_err();
        assert!(format!("{e:#}").contains("colour"), "{e:#}");

        let duplicate = format!("{GOOD}\n[[rule]]\nid = \"demo/a\"\nseverity = \"error\"\nsummary = \"x\"\nexplain = \"x\"\n");
        let e = Catalogue::from_files(&file(&duplicate), KNOWN).unwrap_err();
        assert!(format!("{e:#}").contains("described twice"), "{e:#}");

        let unknown_rule = GOOD.replace("demo/a", "demo/zzz");
        let e = Catalogue::from_files(&file(&unknown_rule), KNOWN).unwrap_err();
        assert!(format!("{e:#}").contains("not known"), "{e:#}");

        let bad_param = GOOD.replace("limit = 3", "lmit = 3");
        let e = Catalogue::from_files(&file(&bad_param), KNOWN).unwrap_err();
        assert!(format!("{e:#}").contains("no parameter 'lmit'"), "{e:#}");
    }

    #[test]
    fn a_rule_the_code_emits_must_be_described() {
        let only_a = "[[rule]]\nid = \"demo/a\"\nseverity = \"error\"\nsummary = \"a\"\nexplain = \"a\"\n";
        let e = Catalogue::from_files(&file(only_a), KNOWN).unwrap_err();
        assert!(format!("{e:#}").contains("'demo/b' is emitted by repocheck but not described"), "{e:#}");
    }
}
