//! `livecheck import` and the `import_suite` server function: real Postman exports (the fixtures in
//! tests/fixtures/import) become suites that validate, save and run; what a suite cannot express is
//! reported, and other documents are refused with a clear message.

use std::{path::PathBuf, process::Output};

use livecheck::{protocol::api::ImportPreview, suite::parse_suite};
use serde_json::json;

use crate::{helpers::*, suites::spawn_target};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

async fn livecheck(args: &[&std::ffi::OsStr], dir: &std::path::Path) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_livecheck"))
        .args(args)
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .unwrap()
}

/// `livecheck import FILE -o suite.yaml`, then `livecheck run suite.yaml` with `run_args`: the run's
/// standard output, after both exited 0.
async fn import_then_run(dir: &std::path::Path, file: &str, run_args: &[&str]) -> String {
    let out = livecheck(
        &[
            "import".as_ref(),
            file.as_ref(),
            "-o".as_ref(),
            "suite.yaml".as_ref(),
        ],
        dir,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut args: Vec<&std::ffi::OsStr> = vec!["run".as_ref(), "suite.yaml".as_ref()];
    args.extend(run_args.iter().map(|a| std::ffi::OsStr::new(*a)));
    let out = livecheck(&args, dir).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("PASSED"), "{stdout}");
    stdout
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn livecheck_import_writes_a_valid_suite_and_lists_what_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let petstore = fixture("swagger-petstore.postman_collection.json");
    let out = livecheck(
        &[
            "import".as_ref(),
            petstore.as_os_str(),
            "-o".as_ref(),
            "petstore.yaml".as_ref(),
        ],
        dir.path(),
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("\"Swagger Petstore\": 20 steps"),
        "{stderr}"
    );
    assert!(stderr.contains("used but not defined"), "{stderr}");
    let yaml = std::fs::read_to_string(dir.path().join("petstore.yaml")).unwrap();
    let suite = parse_suite(&yaml).unwrap();
    assert_eq!(suite.steps.len(), 20);

    // To standard output, with the notes on standard error.
    let team = fixture("team-api.postman_collection.json");
    let out = livecheck(&["import".as_ref(), team.as_os_str()], dir.path()).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("note: request \"Users / List users\": test script not imported"),
        "{stderr}"
    );
    assert!(stderr.contains("oauth2 auth not imported"), "{stderr}");
    assert!(text(&out.stdout).contains("url: ${baseUrl}/users?limit=${page_size}"));
}

#[tokio::test]
async fn livecheck_import_refuses_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("openapi.json"),
        r#"{"openapi": "3.1.0", "paths": {}}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
    std::fs::write(dir.path().join("swagger.json"), r#"{"swagger": "2.0"}"#).unwrap();
    for (file, says) in [
        (
            "openapi.json",
            "not a valid OpenAPI 3.1.0: missing field `info`",
        ),
        ("swagger.json", "a Swagger 2.0 document"),
        ("broken.json", "not JSON"),
        ("missing.json", "No such file"),
    ] {
        let out = livecheck(&["import".as_ref(), file.as_ref()], dir.path()).await;
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert!(
            text(&out.stderr).contains(says),
            "{file}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
}

#[tokio::test]
async fn an_imported_collection_runs_against_its_api() {
    let target = spawn_target().await;
    let dir = tempfile::tempdir().unwrap();
    let collection = json!({
        "info": {
            "name": "Things",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "variable": [{ "key": "base", "value": "http://127.0.0.1:1" }],
        "item": [{
            "name": "Things",
            "item": [
                { "name": "List", "request": { "method": "GET", "url": "{{base}}/things" },
                  "response": [{ "name": "OK", "code": 200 }] },
                { "name": "One", "request": { "method": "GET", "url": {
                    "raw": "{{base}}/things/:id", "variable": [{ "key": "id", "value": "42" }] } },
                  "response": [{ "name": "OK", "code": 200 }] },
                { "name": "Missing", "request": { "method": "GET", "url": "{{base}}/things/7" },
                  "response": [{ "name": "Not found", "code": 404 }] }
            ]
        }]
    });
    std::fs::write(dir.path().join("things.json"), collection.to_string()).unwrap();
    let base = format!("base=http://{target}");
    let stdout = import_then_run(dir.path(), "things.json", &["--var", &base]).await;
    assert!(stdout.contains("Things / One"), "{stdout}");
}

#[tokio::test]
async fn an_imported_openapi_document_runs_against_its_api() {
    let target = spawn_target().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        r##"openapi: 3.0.3
info: {{ title: Things API, version: "1" }}
servers: [{{ url: "http://{target}" }}]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: the things
          content:
            application/json:
              schema:
                type: object
                required: [items, count]
                properties:
                  items: {{ type: array, items: {{ $ref: "#/components/schemas/Thing" }} }}
                  count: {{ type: integer }}
  /things/{{thingId}}:
    get:
      operationId: getThing
      parameters:
        - {{ name: thingId, in: path, required: true, schema: {{ type: integer }}, example: 42 }}
      responses:
        "200": {{ description: one thing }}
        "404": {{ description: no such thing }}
components:
  schemas:
    Thing:
      type: object
      required: [id, name]
      properties:
        id: {{ type: integer }}
        name: {{ type: string }}
        note: {{ type: string, nullable: true }}
"##
    );
    std::fs::write(dir.path().join("things.yaml"), spec).unwrap();
    let stdout = import_then_run(dir.path(), "things.yaml", &[]).await;
    assert!(stdout.contains("getThing"), "{stdout}");
}

#[tokio::test]
async fn the_import_server_function_previews_and_the_preview_saves() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let team = std::fs::read_to_string(fixture("team-api.postman_collection.json")).unwrap();
    let (status, body) = app.call(&token, "import_suite", &[("text", &team)]).await;
    assert_eq!(status, 200, "{body}");
    let preview: ImportPreview = serde_json::from_str(&body).unwrap();
    assert_eq!(preview.format, "Postman Collection v2.1");
    assert_eq!(preview.name, "Team API");
    assert_eq!(preview.steps, 8);
    assert!(preview.problems.is_empty(), "{:?}", preview.problems);
    assert!(preview
        .notes
        .iter()
        .any(|n| n.contains("multipart form-data body not imported")));

    let (status, body) = app
        .call(&token, "save_suite", &[("text", &preview.yaml)])
        .await;
    assert_eq!(status, 200, "{body}");

    // Refusals: a clear message, nothing saved.
    let (status, body) = app
        .call(
            &token,
            "import_suite",
            &[("text", r#"{"openapi": "3.0.3"}"#)],
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("OpenAPI"), "{body}");
    let (status, _) = app
        .call("not-a-token", "import_suite", &[("text", &team)])
        .await;
    assert_eq!(status, 401);
}
