//! A statement of a real (short) run: it parses back, refuses other formats and newer
//! layouts, holds against itself, and names each claim that a changed value breaks.

use burn::backend::NdArray;

use super::*;
use crate::data::TrainData;
use crate::trainer::Trainer;

fn statement() -> (tempfile::TempDir, Statement) {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let config = TrainConfig {
        max_steps: Some(3),
        ..TrainConfig::default()
    };
    let data = TrainData::from_config(&config).unwrap();
    Trainer::new(config)
        .unwrap()
        .out(&out)
        .fit_bundled::<NdArray>(&data, &Default::default())
        .unwrap();
    let s = Statement::of_run(&out).unwrap();
    (t, s)
}

#[test]
fn statements_parse_back_and_refuse_other_layouts() {
    let (_t, s) = statement();
    assert_eq!(Statement::parse(&s.to_json(), None).unwrap(), s);
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
    v["version"] = (STATEMENT_VERSION + 1).into();
    let e = Statement::parse(&v.to_string(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Version, "{e}");
    v["version"] = STATEMENT_VERSION.into();
    v["format"] = "ditto-checkpoint".into();
    let e = Statement::parse(&v.to_string(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    assert!(Statement::parse("{}", None).is_err());
    assert_eq!(s.origin(), ModelOrigin::Config);
    assert!(matches!(s.reproduce, Reproduce::Replay { .. }));
}

#[test]
fn a_statement_holds_against_itself_and_names_each_broken_claim() {
    let (_t, s) = statement();
    let same = s.check_against(&s, true);
    assert!(same.holds(), "{same}");
    assert!(same.skipped.is_empty(), "{same}");
    let data = s.check_data(None);
    assert!(data.holds(), "{data}");

    let mut other = s.clone();
    other.result.fingerprint = "00".into();
    let m = other.model.as_mut().unwrap();
    m.parameters[0].init_blake3 = "ff".into();
    m.parameters.pop();
    other.data.bundled[0].sha256 = Some("11".into());
    let c = s.check_against(&other, false);
    let claims: Vec<&str> = c.differ.iter().map(|d| d.claim.as_str()).collect();
    let first = &s.model.as_ref().unwrap().parameters;
    assert_eq!(
        claims,
        [
            "final fingerprint".to_owned(),
            format!("parameter {}", first[0].path),
            format!("parameter {}", first[first.len() - 1].path),
            "bundled digits.csv.gz".to_owned(),
        ],
        "{c}"
    );
    assert_eq!(c.differ[0].found, "00");
    assert_eq!(c.differ[0].statement, s.result.fingerprint);
    assert_eq!(c.differ[2].found, "no such parameter");
    assert_eq!(c.skipped.len(), 1, "the run identity, not compared: {c}");

    // The statement's own data claim against what is compiled in.
    let mut forged = s.clone();
    forged.data.bundled[0].sha256 = Some("11".into());
    let d = forged.check_data(None);
    assert!(!d.holds(), "{d}");
    assert!(
        d.differ
            .iter()
            .any(|x| x.found.contains("6ebb3d2fee246a4e")),
        "{d}"
    );
}

#[test]
fn a_statement_without_a_model_record_takes_its_origin_from_the_config() {
    let (_t, mut s) = statement();
    s.model = None;
    assert_eq!(s.origin(), ModelOrigin::Config);
    let mut custom = s.config().unwrap();
    custom.model = crate::config::ModelConfig::Custom(crate::config::CustomModelConfig {
        name: Some("Net".into()),
    });
    s.config_toml = custom.to_toml().unwrap();
    assert_eq!(s.origin(), ModelOrigin::Program);
    s.config_toml = "not toml [".into();
    assert_eq!(s.origin(), ModelOrigin::Program);
}
