//! Data-driven suites (rows of CSV or JSON as variables) and load shapes (stages of virtual users, the
//! open model's arrival rate), against a target started inside the test.

use livecheck::protocol::{RunStatus, ServerMessage, Target};

use crate::{
    helpers::*,
    suites::{run, spawn_target},
};

#[tokio::test]
async fn each_csv_row_runs_the_steps_with_its_values() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Things by id
on_failure: continue
variables: {{ base: "http://{target}" }}
data:
  csv: |
    id,expect
    42,true
    7,"false"
steps:
  - name: read ${{id}}
    url: ${{base}}/things/${{id}}
    checks: {{ status: 200 }}
"#
    );
    let run = run(&app, &token, &suite).await;
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    let names: Vec<_> = run.steps.iter().map(|s| s.name.as_str()).collect();
    // A step's name says its row's values.
    assert_eq!(names, ["row 1 · read 42", "row 2 · read 7"]);
    assert!(run.steps[0].passed, "{:?}", run.steps[0]);
    assert_eq!(run.steps[1].status, Some(404));
    assert_eq!(run.total_steps, 2);
}

#[tokio::test]
async fn json_rows_drive_a_load_run_one_row_per_iteration() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Rows under load
on_failure: continue
load: {{ users: 3, iterations: 40 }}
data:
  json: [ {{ "id": 42 }}, {{ "id": 7 }} ]
steps:
  - url: http://{target}/things/${{id}}
    checks: {{ status: 200 }}
"#
    );
    let run = run(&app, &token, &suite).await;
    let summary = run.load_summary.expect("a load summary");
    assert_eq!(summary.requests, 40);
    // The rows alternate, whichever user takes the iteration: half of them ask for the missing thing.
    assert_eq!(
        summary.errors_by_kind.get("status 404"),
        Some(&20),
        "{summary:?}"
    );
}

#[tokio::test]
async fn a_user_keeps_its_row_when_rows_are_per_user() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: One row each
on_failure: continue
load: {{ users: 1, iterations: 12 }}
data:
  csv: "id\n7\n42\n"
  per: user
steps:
  - url: http://{target}/things/${{id}}
    checks: {{ status: 200 }}
"#
    );
    let summary = run(&app, &token, &suite).await.load_summary.unwrap();
    // The only user has the first row (7) for every iteration.
    assert_eq!(
        summary.errors_by_kind.get("status 404"),
        Some(&12),
        "{summary:?}"
    );
}

#[tokio::test]
async fn bad_data_and_bad_shapes_are_refused_with_their_field() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let cases = [
        ("data: { csv: \"a b\\n1\\n\" }", "data"),
        ("data: { csv: \"id\\n\" }", "has no rows"),
        ("data: { file: rows.csv }", "data.file"),
        ("data: { json: [ { id: { deep: 1 } } ] }", "data.json"),
        (
            "load: { stages: [ { duration: 1s, target: 5000 } ] }",
            "load.stages[0].target",
        ),
        (
            "load: { stages: [ { duration: 1s, target: 2 } ], duration: 5s }",
            "load.duration",
        ),
        ("load: { arrival_rate: 10, duration: 1s }", "load.users"),
        (
            "load: { arrival_rate: -1, users: 2, duration: 1s }",
            "load.arrival_rate",
        ),
        (
            "load: { users: 2, stages: [ { duration: 1s, target: 3 } ] }",
            "load.users",
        ),
    ];
    for (section, field) in cases {
        let suite = format!("name: Bad\n{section}\nsteps:\n  - url: http://127.0.0.1:1/${{id}}\n");
        let (status, body) = app.call(&token, "run_suite", &[("suite", &suite)]).await;
        assert_eq!(status, 400, "{section}: {body}");
        assert!(
            body.contains(field),
            "{section}: {field} missing from {body}"
        );
    }
}

#[tokio::test]
async fn stages_ramp_the_users_up_and_down_and_report_their_target() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    let suite = format!(
        r#"
name: Staged
load:
  stages:
    - {{ duration: 1s, target: 4 }}
    - {{ duration: 1s, target: 0 }}
steps:
  - url: http://{target}/things
"#
    );
    let (status, body) = app.call(&token, "run_suite", &[("suite", &suite)]).await;
    assert_eq!(status, 200, "{body}");
    let started: livecheck::protocol::RunSnapshot = serde_json::from_str(&body).unwrap();
    let (snapshot, events) = follow_to_end(&mut ws, &started.test_id).await;
    let mut state = snapshot;
    for e in &events {
        state.apply(e);
    }
    assert_eq!(state.status, RunStatus::Completed, "{state:?}");
    let summary = state.load_summary.as_ref().unwrap();
    assert_eq!(summary.users, 4);
    assert!(summary.requests > 0);
    let targets: Vec<(f64, u32)> = events
        .iter()
        .filter_map(|e| match e {
            ServerMessage::TestProgress(p) => p.load.as_ref().and_then(|l| match l.target {
                Some(Target::Users(t)) => Some((t, l.active_users)),
                _ => None,
            }),
            _ => None,
        })
        .collect();
    assert!(targets.len() >= 4, "{targets:?}");
    let peak = targets.iter().map(|t| t.0).fold(0.0, f64::max);
    assert!(peak > 2.0 && peak <= 4.0, "{targets:?}");
    // Users follow the target: never more than it asks for, give or take the one rounding up.
    assert!(
        targets
            .iter()
            .all(|(t, active)| f64::from(*active) <= t.round() + 1.0),
        "{targets:?}"
    );
    // The chart keeps the target beside the users.
    assert!(state.load_series.iter().any(|p| p.target.is_some()));
}

#[tokio::test]
async fn the_open_model_starts_iterations_at_the_rate_and_drops_what_no_user_can_take() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    // Quick responses: the rate is met.
    let suite = format!(
        r#"
name: At a rate
load: {{ arrival_rate: 40, users: 5, duration: 2s }}
steps:
  - url: http://{target}/things
"#
    );
    let summary = run(&app, &token, &suite).await.load_summary.unwrap();
    assert!((50..=100).contains(&summary.iterations), "{summary:?}");
    assert_eq!(summary.dropped_iterations, 0, "{summary:?}");
    // Responses that never come: two users are busy at once, the rest of the iterations are dropped.
    let suite = format!(
        r#"
name: Too slow for the rate
load: {{ arrival_rate: 20, users: 2, duration: 1500ms, thresholds: ["error_rate <= 100%"] }}
steps:
  - url: http://{target}/hang
    timeout_ms: 5000
"#
    );
    let summary = run(&app, &token, &suite).await.load_summary.unwrap();
    assert!(summary.dropped_iterations >= 15, "{summary:?}");
}
