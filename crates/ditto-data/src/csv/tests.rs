//! The CSV reader on hand-written files; every expected value is written out by hand.

use std::path::Path;

use super::*;
use crate::Dataset;

fn opts(label: LabelColumn, header: bool) -> CsvOptions {
    CsvOptions {
        label,
        header,
        ..CsvOptions::default()
    }
}

fn named(label: &str) -> CsvOptions {
    opts(LabelColumn::Name(label.into()), true)
}

fn one(text: &str, o: &CsvOptions) -> Result<CsvData, Error> {
    parse_files(&[(text.as_bytes(), Path::new("t.csv"))], o)
}

fn err(text: &str, o: &CsvOptions) -> Error {
    match one(text, o) {
        Ok(d) => panic!("accepted: {d:?}"),
        Err(e) => e,
    }
}

#[track_caller]
fn has(e: &Error, want: &str) {
    assert!(e.to_string().contains(want), "{want:?} not in: {e}");
}

#[test]
fn label_by_name_or_index_and_classes_inferred() {
    let text = "a,class,b\n1,2,3\n\n4,0,5.5\n";
    let by_name = parse_with(text, Path::new("t.csv"), &named("class")).unwrap();
    let by_index =
        parse_with(text, Path::new("t.csv"), &opts(LabelColumn::Index(1), true)).unwrap();
    assert_eq!(by_name, by_index);
    assert_eq!(by_name.classes(), 3);
    assert_eq!(by_name.labels(), &[2, 0]);
    assert_eq!(by_name.get(1).unwrap().features, vec![4.0, 5.5]);
    assert_eq!(one(text, &named("class")).unwrap().class_names, None);
}

#[test]
fn quoted_fields_hold_commas_doubled_quotes_and_line_breaks() {
    // RFC 4180: a quoted field may hold the separator, a doubled quote and a line break.
    let text = "\"x,1\",\"y \"\"q\"\"\",label\n\
                \"1.5\",2,\"a,b\"\n\
                3, 4 ,\"say \"\"hi\"\"\"\n\
                5,6,\"two\nlines\"\n";
    let d = one(text, &named("label")).unwrap();
    let names = ["a,b", "say \"hi\"", "two\nlines"]
        .map(String::from)
        .to_vec();
    assert_eq!(d.class_names, Some(names));
    assert_eq!(d.sets[0].labels(), &[0, 1, 2]);
    assert_eq!(d.sets[0].get(0).unwrap().features, vec![1.5, 2.0]);
    assert_eq!(d.sets[0].get(1).unwrap().features, vec![3.0, 4.0]);
    // The header's quoted names are the columns' names in messages; the record after the
    // two-line field is on line 6.
    let e = err(&format!("{text}7,\"x,y\",\"a,b\"\n"), &named("label"));
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    has(
        &e,
        "t.csv: corrupt file: line 6, column 2 (`y \"q\"`): \"x,y\" is not a number",
    );
}

#[test]
fn crlf_line_ends_and_blank_lines_keep_line_numbers() {
    let text = "a,b\r\n1,0\r\n\r\n2,1\r\n";
    let ds = parse_with(text, Path::new("t.csv"), &opts(LabelColumn::Index(1), true)).unwrap();
    assert_eq!(ds.labels(), &[0, 1]);
    assert_eq!(ds.get(1).unwrap().features, vec![2.0]);
    let e = err(
        "1,0\r\n\r\n\r\n2,x\r\n",
        &opts(LabelColumn::Index(0), false),
    );
    has(&e, "line 4, column 2: \"x\" is not a number");
    let e = err("1,0\r\r2,x\r", &opts(LabelColumn::Index(0), false));
    has(&e, "line 3, column 2: \"x\" is not a number");
}

#[test]
fn text_labels_map_in_sorted_byte_order() {
    // Bytes, not alphabet: 'Z' (0x5a) sorts before 'a' (0x61).
    let text = "f,label\n1,banana\n2,Zebra\n3,apple\n4,banana\n";
    let d = one(text, &named("label")).unwrap();
    let want = ["Zebra", "apple", "banana"].map(String::from).to_vec();
    assert_eq!(d.class_names, Some(want));
    assert_eq!(d.sets[0].labels(), &[2, 0, 1, 2]);
    assert_eq!(d.sets[0].classes(), 3);
    // One cell that is not a number makes the whole column text, numbers included.
    let d = one("0,1\n1,cat\n2,-1\n", &opts(LabelColumn::Index(1), false)).unwrap();
    let want = ["-1", "1", "cat"].map(String::from).to_vec();
    assert_eq!(d.class_names, Some(want));
    assert_eq!(d.sets[0].labels(), &[1, 2, 0]);
}

#[test]
fn numbers_that_are_not_class_ids_are_refused_unless_named() {
    // A column of numbers with a negative or fractional one: more often a regression target
    // or the wrong column than class names, so refused, naming the first such cell.
    for (text, cell) in [
        ("0,1\n1,1\n2,-1\n", "line 3, column 2: label -1"),
        ("0,0.5\n", "line 1, column 2: label 0.5"),
    ] {
        let e = err(text, &opts(LabelColumn::Index(1), false));
        assert_eq!(e.kind(), ErrorKind::LabelOutOfRange);
        has(&e, cell);
        has(&e, "class_names");
    }
    // Listed as class names, they are names.
    let mut o = opts(LabelColumn::Index(1), false);
    o.class_names = Some(vec!["1".into(), "-1".into()]);
    let d = one("0,1\n1,1\n2,-1\n", &o).unwrap();
    assert_eq!(d.sets[0].labels(), &[0, 0, 1]);
}

#[test]
fn a_test_file_maps_by_the_same_table() {
    let train = b"x,y\n1,b\n2,c\n3,b\n";
    let test = b"x,y\n4,c\n5,a\n";
    let d = parse_files(
        &[
            (train, Path::new("train.csv")),
            (test, Path::new("test.csv")),
        ],
        &named("y"),
    )
    .unwrap();
    assert_eq!(
        d.class_names,
        Some(vec!["a".into(), "b".into(), "c".into()])
    );
    assert_eq!(d.sets[0].labels(), &[1, 2, 1]);
    assert_eq!(d.sets[1].labels(), &[2, 0]);
    assert_eq!((d.sets[0].classes(), d.sets[1].classes()), (3, 3));
    // Integer labels: both files get the larger class count.
    let d = parse_files(
        &[(b"1,0\n2,1\n", Path::new("a")), (b"3,3\n", Path::new("b"))],
        &opts(LabelColumn::Index(1), false),
    )
    .unwrap();
    assert_eq!((d.sets[0].classes(), d.sets[1].classes()), (4, 4));
    assert_eq!(d.class_names, None);
}

#[test]
fn class_names_given_are_the_mapping() {
    let mut o = named("y");
    o.class_names = Some(["virginica", "setosa", "0"].map(String::from).to_vec());
    let d = one("x,y\n1,setosa\n2,0\n3,virginica\n4,setosa\n", &o).unwrap();
    assert_eq!(d.sets[0].labels(), &[1, 2, 0, 1]);
    assert_eq!(d.sets[0].classes(), 3);
    assert_eq!(d.class_names, o.class_names);
    // A label not in the list: the first one in the file, with its line and column.
    let e = err("x,y\n1,setosa\n2,rose\n3,daisy\n4,rose\n", &o);
    assert_eq!(e.kind(), ErrorKind::LabelOutOfRange);
    has(
        &e,
        "t.csv: label out of range: line 3, column 2 (`y`): label \"rose\" is not one of the \
         3 class names (\"virginica\", \"setosa\", \"0\")",
    );
    o.classes = Some(2);
    let e = err("x,y\n1,setosa\n", &o);
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    has(&e, "classes = 2, but class_names has 3 names");
    o.classes = None;
    o.class_names = Some(vec!["a".into(), "b".into(), "a".into()]);
    has(&err("x,y\n1,a\n", &o), "class_names holds \"a\" twice");
    o.class_names = Some(Vec::new());
    assert_eq!(err("x,y\n1,a\n", &o).kind(), ErrorKind::InvalidConfig);
}

#[test]
fn classes_must_agree_with_text_labels() {
    let mut o = named("y");
    o.classes = Some(3);
    let e = err("x,y\n1,a\n2,b\n", &o);
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    has(
        &e,
        "classes = 3, but the label column holds 2 distinct text labels (\"a\", \"b\")",
    );
    o.classes = Some(2);
    assert_eq!(one("x,y\n1,a\n2,b\n", &o).unwrap().sets[0].classes(), 2);
}

#[test]
fn errors_name_line_and_column() {
    let p = Path::new("t.csv");
    let e = parse_with("a,b\n1,2\n3,x\n", p, &opts(LabelColumn::Index(0), true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    has(&e, "line 3, column 2 (`b`): \"x\" is not a number");
    has(
        &err("1,2\n3,x\n", &opts(LabelColumn::Index(0), false)),
        "line 2, column 2:",
    );
    // No guessing: a header row read as a sample is refused.
    has(
        &err("a,b\n1,2\n", &opts(LabelColumn::Index(0), false)),
        "line 1, column 2: \"b\" is not a number",
    );
    let e = err("1,2\n1,2,3\n", &opts(LabelColumn::Index(0), false));
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    has(&e, "line 2: 3 cells, the first row has 2");
    for (text, o) in [
        ("1,2\n", opts(LabelColumn::Index(5), false)),
        ("a,b\n1,2\n", named("c")),
        ("1,2\n", opts(LabelColumn::Name("c".into()), false)),
    ] {
        assert_eq!(err(text, &o).kind(), ErrorKind::InvalidConfig, "{text}");
    }
    let mut o = opts(LabelColumn::Index(0), false);
    o.classes = Some(2);
    let e = err("1,2\n2,3\n3,4\n", &o);
    assert_eq!(e.kind(), ErrorKind::LabelOutOfRange);
    has(&e, "line 2, column 1: label 2 is not below 2 classes");
    let e = err("a,b\n\n", &opts(LabelColumn::Index(0), true));
    assert_eq!(e.kind(), ErrorKind::Empty);
    let e = err("1,\"\"\n", &opts(LabelColumn::Index(1), false));
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    has(&e, "line 1, column 2: the label is empty");
    let e = parse_files(&[(b"1,\xff\n", p)], &opts(LabelColumn::Index(0), false)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    has(&e, "line 1, column 2: not UTF-8");
    let long = format!("1,{}\n", "9".repeat(30) + &"x".repeat(30));
    has(
        &err(&long, &opts(LabelColumn::Index(0), false)),
        &format!(
            "\"{}...\" is not a number",
            "9".repeat(30) + &"x".repeat(10)
        ),
    );
    // The test file's errors name the test file.
    let mut o = opts(LabelColumn::Index(1), false);
    o.classes = Some(2);
    let e = parse_files(&[(b"1,0\n", p), (b"1,1\n2,5\n", Path::new("u.csv"))], &o).unwrap_err();
    has(&e, "u.csv: label out of range: line 2, column 2: label 5");
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_name() {
    let d = one("\u{feff}x,y\n1,0\n", &named("x")).unwrap();
    assert_eq!(d.sets[0].labels(), &[1]);
}
