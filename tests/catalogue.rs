//! The bundled rule files against the code: every rule the code can emit is described, and
//! every described rule is one the code emits (the loader refuses anything else). The list
//! of ids is snapshotted, so a rename shows as a diff.

#[test]
fn bundled_catalogue_loads_and_matches_the_code() {
    let catalogue = repocheck::products::catalogue(None).expect("bundled rules load");
    let ids: Vec<&str> = catalogue.rules().map(|r| r.id.as_str()).collect();
    let known: Vec<&str> = repocheck::products::known_rules().iter().map(|d| d.id).collect();
    let mut sorted_known = known.clone();
    sorted_known.sort();
    assert_eq!(ids, sorted_known);
    insta::assert_snapshot!(ids.join("\n"));
}

#[test]
fn every_rule_has_an_explanation_worth_reading() {
    let catalogue = repocheck::products::catalogue(None).unwrap();
    for rule in catalogue.rules() {
        assert!(!rule.summary.trim().is_empty() && !rule.summary.contains('\n'), "{}: summary must be one line", rule.id);
        assert!(rule.explain.trim().len() > 80, "{}: explain is too thin", rule.id);
    }
}
