use super::*;

#[test]
fn seed_ranges_lists_and_fields_parse_and_bad_ones_are_refused() {
    assert_eq!(parse_seeds("0..3", "--seeds").unwrap(), vec![0, 1, 2]);
    assert_eq!(parse_seeds("5,1", "--seeds").unwrap(), vec![5, 1]);
    assert!(parse_seeds("3..3", "--seeds").is_err());
    assert!(
        parse_seeds("1,1", "--init-seeds")
            .unwrap_err()
            .contains("--init-seeds")
    );
    assert!(parse_list::<usize>("1,x", "--threads").is_err());
    assert!(parse_list::<usize>("", "--threads").is_err());
    let (path, values) = parse_set("optimizer.lr=0.001, 0.01").unwrap();
    assert_eq!(path, "optimizer.lr");
    assert_eq!(values, [serde_json::json!(0.001), serde_json::json!(0.01)]);
    let (_, values) = parse_set("model.hidden=[64,32],[16]").unwrap();
    assert_eq!(
        values,
        [serde_json::json!([64, 32]), serde_json::json!([16])]
    );
    let (_, values) = parse_set("optimizer.kind=sgd").unwrap();
    assert_eq!(values, [serde_json::json!("sgd")]);
    assert!(parse_set("optimizer.lr").is_err());
    assert!(parse_set("=1").is_err());
    assert!(parse_set("x=").is_err());
}
