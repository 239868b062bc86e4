use super::*;
use crate::i18n::template::{fill, values_in};

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn templates_match_with_their_values_and_nothing_else() {
    assert_eq!(
        values_in("at most {} steps", "at most 50 steps"),
        Some(vec!["50"])
    );
    assert_eq!(values_in("at most {} steps", "at most 50 stages"), None);
    assert_eq!(
        values_in("must not be empty", "must not be empty"),
        Some(vec![])
    );
    assert_eq!(values_in("must not be empty", "must not be empty!"), None);
    assert_eq!(
        values_in(
            "{}: `{}` is not a date like 2026-11-28",
            "from: `x` is not a date like 2026-11-28"
        ),
        Some(vec!["from", "x"])
    );
    assert_eq!(fill("最多 {} 个步骤", &["50"]), "最多 50 个步骤");
}

#[test]
fn english_stays_english_and_unknown_text_stays_as_it_is() {
    assert_eq!(Lang::En.say("at most 50 steps"), "at most 50 steps");
    assert_eq!(Lang::Zh.say("at most 50 steps"), "最多 50 个步骤");
    assert_eq!(
        Lang::Zh.say("the run has already ended"),
        "这个运行已经结束"
    );
    assert_eq!(
        Lang::Zh.say("expected `,` at line 3"),
        "expected `,` at line 3"
    );
}

#[test]
fn every_problem_of_a_bad_suite_is_said_in_chinese() {
    let text = r#"
name: ""
variables: { "bad name": "x" }
steps:
  - name: s
    method: FETCH
    url: ftp://example.com/
    headers: { "bad header": "x" }
    timeout_ms: 0
    capture: { "a b": { json: "$.id" }, c: { regex: "no group" } }
    checks: { status: [99], max_latency_ms: 0 }
load: { users: 0, duration: 0s, ramp_up: 2h }
"#;
    let problems = crate::suite::parse_suite(text).expect_err("the suite is refused");
    assert!(problems.len() >= 8, "{problems:?}");
    for p in problems {
        let said = Lang::Zh.say(&p.message);
        assert!(
            has_chinese(&said),
            "{}: {} is left in English",
            p.path,
            p.message
        );
    }
}

/// What serde and the YAML and JSON readers say about a suite of the wrong shape.
#[test]
fn a_suite_of_the_wrong_shape_is_explained_in_chinese() {
    for text in [
        "name: x\nsteps:\n  - url: http://a/\n    checks: { colour: blue }\n",
        "name: x\nsteps:\n  - url: http://a/\n    body: hi\n",
        "name: [1]\nsteps: []\n",
        "steps:\n  - url: http://a/\n",
        "name: x\nsteps:\n  - url: http://a/\n    method: 5\n    method: 6\n",
        "name: x\nsteps:\n  - url: http://a/\n    checks: { status: true }\n",
        "name: x\nsteps:\n  - url: http://a/\n    timeout_ms: -1\n",
        "name: x\nsteps:\n- url: a: b\n",
        "name: x\n  steps: 1\n",
        "name: x\nsteps:\n  - url: \"http://a/\n",
        "name: x\nsteps:\n\t- url: http://a/\n",
        "{\"name\": \"x\", \"steps\": [}",
        "{\"name\": \"x\", \"steps\": []",
        "{\"name\": \"x\"} extra",
        "{\"name\" \"x\"}",
        "",
    ] {
        let problems = crate::suite::parse_suite(text).expect_err(text);
        for p in problems {
            let said = Lang::Zh.say(&p.message);
            assert!(
                has_chinese(&said),
                "{text:?}: {} is left in English",
                p.message
            );
        }
    }
}

#[test]
fn audit_entries_are_said_in_chinese_with_their_codes() {
    let entry = crate::protocol::api::AuditRecord {
        at: 1,
        actor: "demo".into(),
        ip: None,
        action: "run_start".into(),
        target: Some("run 6ee0".into()),
        detail: Some("suite 2 (REST API)".into()),
    };
    let said = Lang::Zh.say_audit(entry.clone());
    assert_eq!(said.action, "开始运行（run_start）");
    assert_eq!(said.target.as_deref(), Some("运行 6ee0"));
    assert_eq!(said.detail.as_deref(), Some("套件 2（REST API）"));
    assert_eq!(Lang::En.say_audit(entry.clone()), entry);
    for (code, _) in ACTIONS {
        let mut e = entry.clone();
        e.action = (*code).to_owned();
        assert_ne!(Lang::Zh.say_audit(e).action, *code);
    }
}

#[test]
fn serde_words_and_import_notes_are_said_in_chinese() {
    assert_eq!(
        Lang::Zh.say("invalid type: sequence, expected a string"),
        "类型不对：这里是列表，应为字符串"
    );
    assert_eq!(
        Lang::Zh.say("unknown field `colour`, expected one of `status`, `json`"),
        "未知字段 `colour`，应为以下之一：`status`, `json`"
    );
    assert_eq!(Lang::Zh.say("missing field `name`"), "缺少字段 `name`");
    assert_eq!(
        Lang::Zh.say_note("request \"Login\": test script not imported (3 lines); write its assertions as suite checks"),
        "请求 \"Login\"：未导入测试脚本（3 行）；请把其中的断言写成套件的检查"
    );
    assert_eq!(
        Lang::Zh.say_note("the collection: pre-request script not imported (1 line); set what it computes as variables"),
        "集合：未导入预请求脚本（1 行）；请把它计算的值设为变量"
    );
    assert_eq!(
        Lang::Zh.say_note("TRACE /pets: method TRACE not imported (a suite sends GET, POST)"),
        "TRACE /pets：未导入方法 TRACE（套件支持 GET, POST）"
    );
    assert_eq!(Lang::En.say_note("whatever"), "whatever");
}

/// Every note the importers write about the shipped fixtures and a collection made to have
/// each kind of note is said in Chinese.
#[test]
fn the_importers_notes_are_said_in_chinese() {
    let mut notes = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    for entry in std::fs::read_dir(&dir).expect("the import fixtures") {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if let Ok(imported) = crate::import::import(&text) {
            notes.extend(imported.notes);
        }
    }
    let collection = serde_json::json!({
        "info": { "name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
        "event": [{ "listen": "prerequest", "script": { "exec": ["pm.variables.set('a', 1)"] } }],
        "item": [
            { "name": "multi", "request": { "method": "POST", "url": "http://x/{{undefined var}}",
              "body": { "mode": "formdata", "formdata": [] } },
              "event": [{ "listen": "test", "script": { "exec": ["a", "b"] } }] },
            { "name": "file", "request": { "method": "PUT", "url": "http://x/{{$guid}}", "body": { "mode": "file" } } },
            { "name": "copy", "request": { "method": "COPY", "url": "http://x/" } },
            { "name": "nourl", "request": { "method": "GET" } },
            { "name": "oauth", "request": { "method": "GET", "url": "http://x/",
              "auth": { "type": "oauth2", "oauth2": [] } } },
            { "name": "basic", "request": { "method": "GET", "url": "http://x/",
              "auth": { "type": "basic", "basic": [{ "key": "username", "value": "{{u}}" }] } } }
        ]
    });
    notes.extend(
        crate::import::import(&collection.to_string())
            .unwrap()
            .notes,
    );
    assert!(notes.len() >= 8, "{notes:?}");
    for note in notes {
        let said = Lang::Zh.say_note(&note);
        assert!(has_chinese(&said), "{note} is left in English");
    }
}

#[test]
fn refused_schedules_imports_and_yaml_bounds_are_said_in_chinese() {
    use crate::schedule::pattern::{Pattern, PatternError};
    let mut refusals: Vec<String> = [
        ("not a cron", "UTC"),
        ("61 * * * *", "UTC"),
        ("0 9 * * *", "Mars/Olympus"),
    ]
    .iter()
    .map(|(cron, zone)| Pattern::parse(cron, zone).unwrap_err().to_string())
    .collect();
    refusals.push(PatternError::TooOften(60).to_string());
    for document in [
        "",
        "{nope",
        "a: [",
        r#"{"info": {}}"#,
        r#"{"swagger": "2.0"}"#,
        r#"{"openapi": "2.0"}"#,
        r#"{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/"}}"#,
    ] {
        refusals.push(crate::import::import(document).unwrap_err().to_string());
    }
    refusals.push(crate::suite::check_yaml_expansion(&"[".repeat(200)).unwrap_err());
    for english in refusals {
        let said = Lang::Zh.say(&english);
        assert!(has_chinese(&said), "{english} is left in English");
    }
}

/// jsonschema's own sentences, as its validator writes them, read in Chinese inside a failed schema
/// check's message.
#[test]
fn jsonschemas_sentences_are_said_in_chinese() {
    use serde_json::json;
    for (schema, body) in [
        (json!({"required": ["name"]}), json!({})),
        (json!({"type": "integer"}), json!("x")),
        (json!({"type": ["integer", "null"]}), json!("x")),
        (json!({"enum": ["a", "b"]}), json!("c")),
        (json!({"const": 1}), json!(2)),
        (json!({"minimum": 5}), json!(1)),
        (json!({"maximum": 5}), json!(9)),
        (json!({"exclusiveMinimum": 5}), json!(5)),
        (json!({"maxLength": 3}), json!("abcd")),
        (json!({"minLength": 1}), json!("")),
        (json!({"maxItems": 1}), json!([1, 2])),
        (json!({"minItems": 2}), json!([1])),
        (json!({"minProperties": 1}), json!({})),
        (json!({"pattern": "^a"}), json!("b")),
        (json!({"multipleOf": 2}), json!(3)),
        (json!({"uniqueItems": true}), json!([1, 1])),
        (json!({"additionalProperties": false}), json!({"x": 1})),
        (
            json!({"additionalProperties": false}),
            json!({"x": 1, "y": 2}),
        ),
        (
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
            json!(1),
        ),
        (
            json!({"oneOf": [{"type": "string"}, {"type": "null"}]}),
            json!(1),
        ),
        (
            json!({"oneOf": [{"type": "integer"}, {"minimum": 0}]}),
            json!(1),
        ),
    ] {
        let validator = crate::suite::compile_json_schema(&schema).unwrap();
        let why = validator
            .iter_errors(&body)
            .next()
            .unwrap_or_else(|| panic!("{schema} accepts {body}"))
            .to_string();
        let said = Lang::Zh.say_step(&format!("body does not match the JSON schema at /: {why}"));
        let (_, said_why) = said.split_once('：').unwrap();
        assert!(has_chinese(said_why), "{schema}: {why} is left in English");
    }
}
