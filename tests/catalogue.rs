//! The bundled rule files against the code: every rule the code can emit is described, and
//! every described rule is one the code emits (the loader refuses anything else). The list
//! of ids is snapshotted, so a rename shows as a diff.

#[test]
fn bundled_catalogue_loads_and_matches_the_code() {
    let catalogue = repocheck::products::catalogue(None).expect("bundled rules load");
    let ids: Vec<&str> = catalogue.rules().map(|r| r.id.as_str()).collect();
    let known: Vec<&str> = repocheck::products::known_rules();
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

/// A site's rule file with a parameter of the wrong type or name fails when the catalogue
/// loads, before anything is checked (not after an hour's walk), and a parameter it leaves
/// out keeps the bundled value.
#[test]
fn a_site_rules_file_is_checked_when_it_loads() {
    let bundled = include_str!("../rules/fossology.toml");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fossology.toml"), bundled.replace(r#"params = { dirs = ["ununpack", "wget"] }"#, r#"params = { dirs = "ununpack" }"#)).unwrap();
    let e = repocheck::products::catalogue(Some(dir.path())).unwrap_err();
    let e = format!("{e:#}");
    assert!(e.contains("fossology.toml") && e.contains("dirs"), "{e}");

    std::fs::write(dir.path().join("fossology.toml"), bundled.replace(r#"params = { dirs = ["ununpack", "wget"] }"#, "")).unwrap();
    let catalogue = repocheck::products::catalogue(Some(dir.path())).unwrap();
    let params: repocheck::fossology::Params = catalogue.params("fossology").unwrap();
    assert_eq!(params.scratch_leftover.dirs, ["ununpack", "wget"]);

    // The binary refuses it at once, with exit 2 and one line.
    // A digest FOSSology does not store, and SHA-256 alone (it is no digest of the name).
    for (digests, says) in [(r#"digests = ["crc32"]"#, "crc32"), (r#"digests = ["sha256"]"#, "digests must name sha1, md5 or both")] {
        std::fs::write(dir.path().join("fossology.toml"), bundled.replace(r#"digests = ["sha1"]"#, digests)).unwrap();
        let out =
            assert_cmd::Command::cargo_bin("repocheck").unwrap().args(["check", "fossology", "--db", "/nonexistent.sql", "--repo", "/nonexistent"]).arg("--rules").arg(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says) && stderr.lines().count() == 1, "{stderr}");
    }
    // The default checks SHA-1 alone; every digest of the name is the documented choice.
    assert_eq!(repocheck::products::catalogue(None).unwrap().params::<repocheck::fossology::Params>("fossology").unwrap().content_mismatch.digests.names(), ["sha1"]);
    std::fs::write(dir.path().join("fossology.toml"), bundled.replace(r#"digests = ["sha1"]"#, r#"digests = ["sha1", "md5", "sha256"]"#)).unwrap();
    let params: repocheck::fossology::Params = repocheck::products::catalogue(Some(dir.path())).unwrap().params("fossology").unwrap();
    assert_eq!(params.content_mismatch.digests.names(), ["sha1", "md5", "sha256"]);
}
