//! User suites run by the API engine against a target started inside the test: checks that pass and
//! fail, captures and templating, timeouts, an unreachable target, the address guard, invalid suites.

use std::{net::SocketAddr, time::Duration};

use axum::{
    extract::Path,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use livecheck::protocol::{RunSnapshot, RunStatus};
use serde_json::{json, Value};

use crate::helpers::*;

/// A small API to test against, on its own port.
pub async fn spawn_target() -> SocketAddr {
    let app = Router::new()
        .route(
            "/things",
            get(|| async {
                (
                    [("etag", "\"v7\"")],
                    Json(json!({ "items": [{ "id": 42, "name": "gizmo" }], "count": 1 })),
                )
            }),
        )
        .route(
            "/things/{id}",
            get(|Path(id): Path<u64>| async move {
                if id == 42 {
                    (StatusCode::OK, Json(json!({ "id": 42, "ok": true }))).into_response()
                } else {
                    StatusCode::NOT_FOUND.into_response()
                }
            }),
        )
        .route(
            "/echo",
            post(|headers: HeaderMap, body: String| async move {
                let tag = headers
                    .get("if-match")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                Json(json!({ "if_match": tag, "body": body }))
            }),
        )
        .route(
            "/close",
            get(|| async { ([("connection", "close")], "closing") }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

pub async fn run(app: &TestApp, token: &str, suite: &str) -> RunSnapshot {
    let (status, body) = app.call(token, "run_suite", &[("suite", suite)]).await;
    assert_eq!(status, 200, "{body}");
    let run: RunSnapshot = serde_json::from_str(&body).unwrap();
    app.wait_for_run(token, &run.test_id, |r| r.status.is_finished())
        .await
}

#[tokio::test]
async fn a_passing_suite_captures_and_templates_across_steps() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Things
variables:
  host: "{target}"
  api: http://${{host}}
steps:
  - name: list
    url: ${{api}}/things
    checks:
      status: 200
      headers:
        etag: {{ equals: '"v7"' }}
      json:
        - {{ path: "$.count", equals: 1 }}
        - {{ path: "$.items[0].name", matches: "^giz" }}
        - {{ path: "$.items", type: array }}
        - {{ path: "$.missing", exists: false }}
      body_contains: gizmo
      body_regex: '"id":\s*42'
      max_latency_ms: 5000
      json_schema:
        type: object
        required: [items, count]
        properties:
          count: {{ type: integer, minimum: 1 }}
          items: {{ type: array, items: {{ required: [id, name] }} }}
    capture:
      id: {{ json: "$.items[0].id" }}
      tag: {{ header: etag }}
      name: {{ regex: '"name":"(\w+)"' }}
  - name: read the captured id
    url: ${{api}}/things/${{id}}
    checks:
      status: [200, 203]
      json:
        - {{ path: "$.ok", equals: true }}
  - name: send captures back
    method: POST
    url: ${{api}}/echo
    headers:
      if-match: ${{tag}}
    body:
      text: "name=${{name}}"
    checks:
      json:
        - {{ path: "$.if_match", equals: '"v7"' }}
        - {{ path: "$.body", equals: "name=gizmo" }}
  - name: a JSON body is templated too
    method: POST
    url: ${{api}}/echo
    body:
      json: {{ id: "${{id}}", name: "${{name}}", tags: ["t-${{id}}"], n: 1 }}
    checks:
      json:
        - {{ path: "$.body", equals: '{{"id":"42","n":1,"name":"gizmo","tags":["t-42"]}}' }}
"#
    );
    let done = run(&app, &token, &suite).await;
    assert_eq!(done.status, RunStatus::Completed, "{:#?}", done.steps);
    assert_eq!(done.steps.len(), 4);
    // Every check is reported, each with what it asked.
    let checks = &done.steps[0].checks;
    assert_eq!(checks.len(), 10, "{checks:#?}");
    assert!(checks.iter().all(|c| c.passed && c.detail.is_none()));
    let labels: Vec<&str> = checks.iter().map(|c| c.check.as_str()).collect();
    for want in [
        "status 200",
        "header etag equals \"\\\"v7\\\"\"",
        "$.items[0].name matches /^giz/",
        "$.missing is absent",
        "body matches the JSON schema",
    ] {
        assert!(labels.contains(&want), "{want:?} not in {labels:#?}");
    }
    // The run keeps what each step captured, for the run's page.
    let captured = &done.steps[0].captured;
    assert_eq!(captured.get("id").map(String::as_str), Some("42"));
    assert_eq!(captured.get("tag").map(String::as_str), Some("\"v7\""));
    assert_eq!(captured.get("name").map(String::as_str), Some("gizmo"));
    assert!(done.steps[2].captured.is_empty());
    assert!(done.steps.iter().all(|s| s.passed), "{:#?}", done.steps);
}

#[tokio::test]
async fn failures_say_which_check_failed_and_why() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Failures
on_failure: continue
steps:
  - url: http://{target}/things/7
    checks: {{ status: "2xx" }}
  - url: http://{target}/things
    checks: {{ json: [ {{ path: "$.count", type: string }} ] }}
  - url: http://{target}/things
    checks: {{ body_contains: "no such text" }}
  - url: http://{target}/things
    checks:
      json_schema:
        type: object
        required: [items]
        properties: {{ items: {{ type: array, items: {{ properties: {{ id: {{ type: string }} }} }} }} }}
  - url: http://{target}/slow
    timeout_ms: 300
  - url: http://127.0.0.1:1/unreachable
  - url: http://169.254.169.254/latest/meta-data/
  - url: http://{target}/things
    checks:
      status: 201
      json:
        - {{ path: "$.count", equals: 1 }}
        - {{ path: "$.nope", exists: true }}
"#
    );
    let done = run(&app, &token, &suite).await;
    assert_eq!(done.status, RunStatus::Failed);
    let errors: Vec<String> = done
        .steps
        .iter()
        .map(|s| s.error.clone().unwrap_or_default())
        .collect();
    let expect = [
        "expected status 2xx, got 404",
        "$.count: expected a string, got 1",
        "body does not contain \"no such text\"",
        "body does not match the JSON schema at /items/0/id: 42 is not of type \"string\"",
        "no response within 300 ms",
        "could not connect to the target",
        "the target address is not allowed",
        "expected status 201, got 200: {\"count\":1,\"items\":[{\"id\":42",
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    for (got, want) in errors.iter().zip(expect) {
        assert!(got.starts_with(want), "{got:?} should start with {want:?}");
    }
    // Not only the first failure: every check's outcome, the failed ones with why.
    let outcomes: Vec<(&str, bool, Option<&str>)> = done.steps[7]
        .checks
        .iter()
        .map(|c| (c.check.as_str(), c.passed, c.detail.as_deref()))
        .collect();
    assert_eq!(outcomes.len(), 3, "{outcomes:#?}");
    assert_eq!(outcomes[0].0, "status 201");
    assert!(!outcomes[0].1);
    assert_eq!(outcomes[1], ("$.count equals 1", true, None));
    assert_eq!(
        outcomes[2],
        (
            "$.nope exists",
            false,
            Some("$.nope: expected a value, found none")
        )
    );
    // A request that got no response has no check outcomes, only its error.
    assert!(done.steps[5].checks.is_empty());
}

#[tokio::test]
async fn a_failed_step_stops_the_run_by_default() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        "name: Stops\nsteps:\n  - url: http://{target}/things/1\n    checks: {{ status: 200 }}\n  - url: http://{target}/things\n"
    );
    let done = run(&app, &token, &suite).await;
    assert_eq!(done.status, RunStatus::Failed);
    assert_eq!(done.steps.len(), 1, "the second step never ran");
}

#[tokio::test]
async fn an_invalid_suite_is_refused_whole_with_every_problem() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (status, body) = app
        .call(
            &token,
            "run_suite",
            &[(
                "suite",
                "name: x\nsteps:\n  - url: http://a/${nope}\n    checks: { status: 700 }\n",
            )],
        )
        .await;
    assert_eq!(status, 400);
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["code"], "invalid_suite", "{body}");
    assert!(err["error"]
        .as_str()
        .unwrap()
        .starts_with("the suite is invalid: "));
    let problems = err["problems"].as_array().expect("problems").clone();
    // Each problem names the field, its line and why.
    let text: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p["path"].as_str().unwrap(),
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    let lines: Vec<Option<u64>> = problems.iter().map(|p| p["line"].as_u64()).collect();
    assert_eq!(lines, [Some(3), Some(4)], "{problems:?}");
    assert!(
        text.iter()
            .any(|p| p.starts_with("steps[0].url: unknown variable `nope`")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|p| p.starts_with("steps[0].checks.status")),
        "{text:?}"
    );
    let (_, runs) = app.call(&token, "runs", &[]).await;
    assert_eq!(runs, "[]", "nothing was started");

    let (status, body) = app
        .call(&token, "run_suite", &[("suite", "name: [unclosed")])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"line\":1"), "{body}");
}

#[tokio::test]
async fn the_guard_judges_the_addresses_a_host_name_resolves_to_in_both_engines() {
    // Deny loopback, so `localhost` (a name, not a literal) must be stopped after resolution.
    let app = spawn_app_with(|c| {
        c.targets =
            livecheck::engine::guard::TargetPolicy::from_lists("127.0.0.0/8,::1/128", "").unwrap()
    })
    .await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let url = format!("http://localhost:{}/things", target.port());

    let once = run(
        &app,
        &token,
        &format!("name: Named\nsteps:\n  - url: {url}\n    checks: {{ status: 200 }}\n"),
    )
    .await;
    assert_eq!(once.status, RunStatus::Failed, "{:#?}", once.steps);
    assert_eq!(
        once.steps[0].error.as_deref(),
        Some(
            "the target address is not allowed (loopback, link-local, cloud metadata or denied by configuration)"
        )
    );

    let load = run(
        &app,
        &token,
        &format!("name: Named load\nload: {{ users: 2, iterations: 4 }}\nsteps:\n  - url: {url}\n"),
    )
    .await;
    let summary = load.load_summary.expect("a load summary");
    assert_eq!(
        summary.errors_by_kind.get("denied"),
        Some(&4),
        "{summary:?}"
    );
}

#[tokio::test]
async fn cancel_interrupts_a_request_in_flight() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        "name: Hangs\nsteps:\n  - url: http://{target}/hang\n    timeout_ms: 25000\n  - url: http://{target}/things\n"
    );
    let (status, body) = app.call(&token, "run_suite", &[("suite", &suite)]).await;
    assert_eq!(status, 200, "{body}");
    let run: RunSnapshot = serde_json::from_str(&body).unwrap();
    app.wait_for_run(&token, &run.test_id, |r| r.status == RunStatus::Running)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let asked = std::time::Instant::now();
    let (status, body) = app
        .call(&token, "cancel_test", &[("test_id", &run.test_id)])
        .await;
    assert_eq!(status, 200, "{body}");
    let done = app
        .wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(done.status, RunStatus::Cancelled);
    assert!(done.steps.is_empty(), "{:?}", done.steps);
    // The request would have held the run for 25 s; cancel does not wait for it (the engine's bound
    // is 1 s; this only shows the request is abandoned, with room for a busy machine).
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
}

#[tokio::test]
async fn a_new_suite_starts_from_a_template_that_runs_green_against_this_server() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (status, body) = app.call(&token, "suite_template", &[]).await;
    assert_eq!(status, 200, "{body}");
    let text: String = serde_json::from_str(&body).unwrap();
    // The address this server's runs reach it at (here a port the OS chose), not a fixed one.
    assert!(
        text.contains(&format!("base: http://{}\n", app.addr)),
        "{text}"
    );
    let (status, body) = app.call(&token, "run_suite", &[("suite", &text)]).await;
    assert_eq!(status, 200, "{body}");
    let run: RunSnapshot = serde_json::from_str(&body).unwrap();
    let done = app
        .wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(done.status, RunStatus::Completed, "{done:?}");
    let (status, _) = app.call("not-a-token", "suite_template", &[]).await;
    assert_eq!(status, 401);
}

/// A capture that finds nothing fails its own step, saying which capture and why; the step that
/// would have used it is never reached with an "unknown variable".
#[tokio::test]
async fn a_capture_that_finds_nothing_fails_its_step_with_the_reason() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    for (capture, reason) in [
        (
            r#"{ json: "$.nope" }"#,
            "capture `cap`: $.nope found nothing in the response body",
        ),
        (
            "{ header: x-nope }",
            "capture `cap`: the response has no header `x-nope`",
        ),
        (
            r#"{ regex: "(zzz)" }"#,
            "capture `cap`: /(zzz)/ does not match the response body",
        ),
    ] {
        let suite = format!(
            r#"
name: Capture nothing
steps:
  - url: http://{target}/things
    capture:
      cap: {capture}
  - url: http://{target}/things/${{cap}}
"#
        );
        let done = run(&app, &token, &suite).await;
        assert_eq!(done.status, RunStatus::Failed, "{done:?}");
        assert!(!done.steps[0].passed, "{done:?}");
        assert_eq!(done.steps[0].error.as_deref(), Some(reason), "{done:?}");
        assert_eq!(
            done.steps.len(),
            1,
            "the run stops at the failed step: {done:?}"
        );
    }
}

/// A host name that does not resolve says so (not "could not connect", which sends people looking
/// for a server that is down), in the step and in a load run's error kinds.
#[tokio::test]
async fn a_name_that_does_not_resolve_says_so() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let suite = "name: Typo\nsteps:\n  - url: http://no-such-host.invalid/x\n";
    let done = run(&app, &token, suite).await;
    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    assert_eq!(
        done.steps[0].error.as_deref(),
        Some("the target's name does not resolve to an address"),
        "{done:?}"
    );
    let load = "name: Typo load\nload: { users: 1, iterations: 2 }\nsteps:\n  - url: http://no-such-host.invalid/x\n";
    let done = run(&app, &token, load).await;
    let summary = done.load_summary.expect("a load summary");
    assert_eq!(summary.errors_by_kind.get("dns"), Some(&2), "{summary:?}");
}

/// A target that answers the first request on each connection and then, like a server whose
/// keep-alive timer fires just as the next request arrives, reads that request and hangs up
/// without an answer. Returns its address and how many requests it answered.
async fn spawn_target_that_drops_kept_alive_connections(
) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answered = Arc::new(AtomicUsize::new(0));
    let count = answered.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                // The first request (small, so one read holds it), answered with keep-alive.
                if socket.read(&mut buf).await.unwrap_or(0) == 0 {
                    return;
                }
                count.fetch_add(1, Ordering::SeqCst);
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
                // The next one is read and dropped with the connection.
                let _ = socket.read(&mut buf).await;
            });
        }
    });
    (addr, answered)
}

#[tokio::test]
async fn a_kept_alive_connection_the_target_closed_does_not_fail_an_idempotent_step() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (target, answered) = spawn_target_that_drops_kept_alive_connections().await;
    let steps: String = (0..5)
        .map(|i| {
            format!(
                "  - name: get {i}\n    url: http://{target}/x\n    checks: {{ status: 200 }}\n"
            )
        })
        .collect();
    let done = run(&app, &token, &format!("name: Reuse\nsteps:\n{steps}")).await;
    assert_eq!(done.status, RunStatus::Completed, "{done:?}");
    assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 5);

    // A POST is not sent twice: the request may have been acted on; the step says what happened.
    let post = format!(
        "name: Post twice\nsteps:\n  - url: http://{target}/x\n  - method: POST\n    url: http://{target}/x\n    body: {{ text: hi }}\n"
    );
    let done = run(&app, &token, &post).await;
    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    assert_eq!(
        done.steps[1].error.as_deref(),
        Some("the request failed before a complete response arrived"),
        "{done:?}"
    );
}
