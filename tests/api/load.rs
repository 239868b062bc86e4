//! Load runs: virtual users against a target started inside the test, live figures at a bounded rate,
//! thresholds deciding the outcome, cancellation.

use std::time::{Duration, Instant};

use livecheck::protocol::{RunSnapshot, RunStatus, ServerMessage};

use crate::{
    helpers::*,
    suites::{run, spawn_target},
};

#[tokio::test]
async fn an_iteration_bounded_load_run_counts_every_request_and_passes_its_thresholds() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Things under load
variables: {{ base: "http://{target}" }}
load:
  users: 4
  iterations: 150
  thresholds: ["p99 < 5s", "error_rate < 1%", "rps > 1"]
steps:
  - url: ${{base}}/things
    checks: {{ status: 200 }}
    capture: {{ id: {{ json: "$.items[0].id" }} }}
  - url: ${{base}}/things/${{id}}
    checks: {{ json: [{{ path: "$.ok", equals: true }}] }}
"#
    );
    let run = run(&app, &token, &suite).await;
    assert_eq!(run.status, RunStatus::Completed, "{run:?}");
    let summary = run.load_summary.expect("a load summary");
    assert_eq!(summary.users, 4);
    assert_eq!(summary.iterations, 150);
    // Two steps per iteration; the capture carried the id into the second.
    assert_eq!(summary.requests, 300);
    assert_eq!(summary.errors, 0, "{:?}", summary.errors_by_kind);
    assert!(summary.p50_ms > 0.0 && summary.p50_ms <= summary.p99_ms);
    assert_eq!(summary.thresholds.len(), 3);
    assert!(summary.thresholds.iter().all(|t| t.passed));
    // Thresholds are the run's steps, so the UI and JUnit show them like checks.
    assert_eq!(run.steps.len(), 3);
    assert_eq!(run.steps[1].name, "error_rate < 1%");
}

#[tokio::test]
async fn failing_requests_are_counted_by_kind_and_fail_the_default_threshold() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Missing things
load: {{ users: 2, iterations: 20 }}
steps:
  - url: http://{target}/things/7
    checks: {{ status: 200 }}
"#
    );
    let run = run(&app, &token, &suite).await;
    assert_eq!(run.status, RunStatus::Failed);
    let summary = run.load_summary.unwrap();
    assert_eq!(summary.errors, 20);
    assert_eq!(summary.errors_by_kind.get("status 404"), Some(&20));
    assert_eq!(summary.thresholds[0].threshold, "error_rate <= 0%");
    assert!(!summary.thresholds[0].passed);
    assert!(run.steps[0].error.as_deref().unwrap().contains("100.000%"));
}

#[tokio::test]
async fn live_figures_arrive_at_most_ten_times_a_second_and_cancel_stops_the_run() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    let suite = format!(
        r#"
name: Long load
load: {{ users: 8, duration: 60s, ramp_up: 1s }}
steps:
  - url: http://{target}/things
"#
    );
    let (status, body) = app.call(&token, "run_suite", &[("suite", &suite)]).await;
    assert_eq!(status, 200, "{body}");
    let started: RunSnapshot = serde_json::from_str(&body).unwrap();

    let follow = follow_to_end(&mut ws, &started.test_id);
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(2_000)).await;
        let asked = Instant::now();
        let (status, body) = app
            .call(&token, "cancel_test", &[("test_id", &started.test_id)])
            .await;
        assert_eq!(status, 200, "{body}");
        asked
    };
    let ((snapshot, events), asked) = tokio::join!(follow, cancel);
    let ended = Instant::now();
    let mut state = snapshot;
    for e in &events {
        state.apply(e);
    }
    assert_eq!(state.status, RunStatus::Cancelled);
    // Cancelled long before its 60 s were up; the exact bound (1 s) is the engine's, not timed here.
    assert!(ended.duration_since(asked) < Duration::from_secs(10));

    let load_events: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ServerMessage::TestProgress(p) => p.load.as_ref().map(|l| (p.timestamp, l.clone())),
            _ => None,
        })
        .collect();
    assert!(load_events.len() >= 3, "{load_events:?}");
    // However many requests were made, figures came at most 10 times a second (5 in fact).
    for pair in load_events.windows(2) {
        assert!(pair[1].0 >= pair[0].0 + 100, "{pair:?}");
        assert!(pair[1].1.requests >= pair[0].1.requests);
    }
    let last = &load_events.last().unwrap().1;
    assert!(last.requests > 0 && last.rps > 0.0, "{last:?}");
    assert!(last.active_users <= 8);
    // The chart's points were kept in the snapshot.
    assert_eq!(state.load_series.len(), load_events.len());
}

#[tokio::test]
async fn invalid_load_sections_are_refused_with_their_field() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let suite = r#"
name: Bad load
load: { users: 0, duration: 3 fortnights, thresholds: ["p95 < fast"] }
steps:
  - url: http://127.0.0.1:1/
"#;
    let (status, body) = app.call(&token, "run_suite", &[("suite", suite)]).await;
    assert_eq!(status, 400, "{body}");
    for field in ["load.users", "load.duration", "load.thresholds[0]"] {
        assert!(body.contains(field), "{field} missing from {body}");
    }
}

#[tokio::test]
async fn load_requests_fail_by_kind_without_hanging_and_reconnect_after_a_close() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Every way to fail
on_failure: continue
load: {{ users: 2, iterations: 6 }}
steps:
  - url: http://{target}/close
    checks: {{ body_contains: closing }}
  - url: http://{target}/slow
    timeout_ms: 200
  - url: http://127.0.0.1:1/
  - url: http://169.254.169.254/latest/meta-data/
  - url: http://{target}/things
    checks: {{ status: 200 }}
"#
    );
    let run = run(&app, &token, &suite).await;
    assert_eq!(run.status, RunStatus::Failed);
    let summary = run.load_summary.unwrap();
    assert_eq!(summary.requests, 30, "{summary:?}");
    let kinds = &summary.errors_by_kind;
    assert_eq!(kinds.get("timeout"), Some(&6), "{kinds:?}");
    assert_eq!(kinds.get("connect"), Some(&6), "{kinds:?}");
    assert_eq!(kinds.get("denied"), Some(&6), "{kinds:?}");
    // The server closing after every response, and the timeouts, leave nothing broken behind:
    // every request to the healthy routes succeeded on a fresh connection.
    assert_eq!(summary.errors, 18, "{kinds:?}");
}

#[tokio::test]
async fn a_load_run_whose_requests_are_all_refused_ends_on_time_without_spinning() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    // The guard refuses cloud-metadata addresses before any request is sent: nothing in an
    // iteration waits. Such a run once never yielded, never saw its end, and held the workers.
    let suite = r#"
name: Refused
load: { users: 4, duration: 1s }
steps:
  - url: http://169.254.169.254/latest/meta-data/
"#;
    let started = Instant::now();
    let run = tokio::time::timeout(Duration::from_secs(20), run(&app, &token, suite))
        .await
        .expect("the run ends after its one second");
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let summary = run.load_summary.expect("a load summary");
    assert!(
        summary.errors > 0 && summary.errors == summary.requests,
        "{summary:?}"
    );
    // Each user pauses after a refused iteration instead of spinning through millions of them.
    assert!(summary.requests <= 4 * 12, "{} requests", summary.requests);
    // And the server answered all along.
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

/// When the duration is up, the requests in flight finish (here: time out) and are counted: a target
/// that never answers makes a failed run, not a pass with nothing measured.
#[tokio::test]
async fn requests_still_in_flight_when_the_duration_ends_are_counted() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Never answers
load: {{ users: 3, duration: 1s }}
steps:
  - url: http://{target}/hang
    timeout_ms: 2000
"#
    );
    let run = run(&app, &token, &suite).await;
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    let summary = run.load_summary.unwrap();
    assert_eq!(summary.requests, 3, "{summary:?}");
    assert_eq!(
        summary.errors_by_kind.get("timeout"),
        Some(&3),
        "{summary:?}"
    );
    assert!(!summary.thresholds[0].passed, "{summary:?}");
}
