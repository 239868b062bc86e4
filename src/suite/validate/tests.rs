//! Unit tests of suite reading and validation: good suites in YAML and JSON, every kind of problem
//! with its path and line, variables, environments, load settings, and the documented examples.

use super::*;
use crate::suite::parse_suite;

const GOOD: &str = r#"
name: Items
variables:
  base: http://127.0.0.1:3000
steps:
  - name: Create
    method: POST
    url: ${base}/demo/items
    body:
      json: { "name": "widget" }
    checks:
      status: 201
      headers:
        content-type: { matches: "^application/json" }
      json:
        - { path: "$.id", exists: true }
        - { path: "$.name", equals: widget }
    capture:
      item_id: { json: "$.id" }
  - url: ${base}/demo/items/${item_id}
    checks:
      status: "2xx"
      max_latency_ms: 500
"#;

#[test]
fn a_good_suite_parses_from_yaml_and_json() {
    let suite = parse_suite(GOOD).unwrap();
    assert_eq!(suite.steps.len(), 2);
    assert_eq!(suite.steps[1].method, "GET");
    assert!(suite.steps[1].checks.status.as_ref().unwrap().accepts(204));
    let json = serde_json::to_string(&suite).unwrap();
    assert_eq!(parse_suite(&json).unwrap(), suite);
}

#[test]
fn shape_errors_name_the_field_and_line() {
    let bad = GOOD.replace("status: 201", "status: 201\n      colour: blue");
    let errors = parse_suite(&bad).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, "steps[0].checks.colour");
    assert!(
        errors[0].message.starts_with("unknown field `colour`"),
        "the path is said once, beside the message: {}",
        errors[0].message
    );
    assert_eq!(errors[0].line, Some(13));
}

/// The importers write list items at their key's indent; problems still point at their own line.
#[test]
fn problems_in_items_at_their_keys_indent_are_on_their_lines() {
    let text = "name: x
steps:
- name: a
  url: http://127.0.0.1:3000/json
- name: b
  method: TRACE
  url: http://127.0.0.1:3000/json
- name: c
  url: http://127.0.0.1:3000/${nope}
";
    let errors = parse_suite(text).unwrap_err();
    let at = |path: &str| errors.iter().find(|e| e.path == path).and_then(|e| e.line);
    assert_eq!(at("steps[1].method"), Some(6), "{errors:?}");
    assert_eq!(at("steps[2].url"), Some(9), "{errors:?}");
}

#[test]
fn a_huge_number_where_a_whole_one_belongs_is_written_short() {
    let bad = GOOD.replace("status: 201", "status: 201\n      max_latency_ms: 1e300");
    let errors = parse_suite(&bad).unwrap_err();
    assert_eq!(errors[0].path, "steps[0].checks.max_latency_ms");
    assert_eq!(
        errors[0].message,
        "invalid type: floating point `1e300`, expected a whole number (0 or more)"
    );
    // Ordinary floats are left as serde wrote them.
    let bad = GOOD.replace("status: 201", "status: 201\n      max_latency_ms: 2.5");
    let errors = parse_suite(&bad).unwrap_err();
    assert!(errors[0].message.contains("`2.5`"), "{}", errors[0].message);
}

#[test]
fn every_semantic_problem_is_reported_with_its_step() {
    let bad = r#"
name: ""
steps:
  - method: FETCH
    url: ftp://example.com/${missing}
    checks:
      status: 999
      json:
        - { path: "$[", exists: true }
        - { path: "$.a", exists: true, equals: 1 }
      body_regex: "("
      json_schema: { type: 12 }
    capture:
      id: { regex: "no group" }
  - url: http://example.com/${id}
"#;
    let errors = parse_suite(bad).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    let line_of = |path: &str| errors.iter().find(|e| e.path == path).and_then(|e| e.line);
    // Semantic problems carry the line they are written on, for the editor.
    assert_eq!(line_of("name"), Some(2), "{errors:#?}");
    assert_eq!(line_of("steps[0].method"), Some(4), "{errors:#?}");
    assert_eq!(line_of("steps[0].url"), Some(5), "{errors:#?}");
    assert_eq!(line_of("steps[0].checks.status"), Some(7), "{errors:#?}");
    assert_eq!(line_of("steps[0].checks.json[1]"), Some(10), "{errors:#?}");
    assert_eq!(line_of("steps[0].capture.id"), Some(14), "{errors:#?}");
    for want in [
        "name",
        "steps[0].method",
        "steps[0].url",
        "steps[0].checks.status",
        "steps[0].checks.json[0].path",
        "steps[0].checks.json[1]",
        "steps[0].checks.body_regex",
        "steps[0].checks.json_schema",
        "steps[0].capture.id",
    ] {
        assert!(paths.contains(&want), "missing {want} in {errors:#?}");
    }
    // `${id}` in step 1 is fine: step 0 captures it.
    assert!(!paths.contains(&"steps[1].url"), "{errors:#?}");
}

#[test]
fn variables_may_use_each_other_but_not_in_a_circle_and_json_bodies_are_checked() {
    let suite = r#"
name: Vars
variables:
  host: example.com
  base: http://${host}
  a: ${b}
  b: ${a}
environments:
  loop: { host: "${base}" }
steps:
  - method: POST
    url: ${base}/x
    body: { json: { id: "${nope}", ok: "${host}" } }
"#;
    let errors = parse_suite(suite).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert!(paths.contains(&"variables.a"), "{errors:#?}");
    assert!(paths.contains(&"environments.loop"), "{errors:#?}");
    let body = errors
        .iter()
        .find(|e| e.path == "steps[0].body.json")
        .expect("the unknown variable in the JSON body");
    assert!(body.message.contains("`nope`"), "{body:#?}");
    assert!(!paths.contains(&"variables.base"), "{errors:#?}");
    assert!(!paths.contains(&"steps[0].url"), "{errors:#?}");
}

#[test]
fn the_documented_examples_are_valid_suites() {
    let doc = include_str!("../../../docs/suites.md");
    let suites: Vec<&str> = doc
        .split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| block.contains("steps:"))
        .collect();
    assert_eq!(suites.len(), 3, "the format, data and load examples");
    for suite in suites {
        if let Err(errors) = parse_suite(suite) {
            panic!("{errors:#?}\nin\n{suite}");
        }
    }
}

#[test]
fn status_checks_accept_what_they_say() {
    assert!(StatusCheck::Set(vec![200, 201]).accepts(201));
    assert!(!StatusCheck::Class("4xx".into()).accepts(500));
    assert!(StatusCheck::Range { min: 200, max: 299 }.accepts(250));
    assert!(!StatusCheck::Exact(200).accepts(404));
}

#[test]
fn a_status_that_is_no_status_says_what_a_status_is() {
    for bad in ["99999", "-1", "2.5", "{min: 200}"] {
        let errors =
            parse_suite(&GOOD.replace("status: 201", &format!("status: {bad}"))).unwrap_err();
        assert_eq!(
            errors[0].path, "steps[0].checks.status",
            "{bad}: {errors:#?}"
        );
        let message = &errors[0].message;
        assert!(
            message.contains("a class such as \"2xx\""),
            "{bad}: {message}"
        );
        assert!(!message.contains("untagged"), "{bad}: {message}");
    }
}
