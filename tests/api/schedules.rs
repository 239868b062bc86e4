//! Schedules: a stored suite runs on a cron pattern (with seconds here, the shortest interval lowered
//! to 1 s), its runs are in the history, a webhook hears of failures and recoveries once each, bad
//! input is refused with its reason, and each fire runs exactly once with two nodes on one database
//! and across a restart.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU16, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{
    extract::State,
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use livecheck::{
    engine::guard::TargetPolicy,
    protocol::api::{Role, ScheduleInfo, SuiteSaved},
    protocol::RunStatus,
};
use serde_json::Value;

use crate::helpers::*;

/// A target whose answer the test sets, and a webhook receiver that keeps what it is sent.
#[derive(Clone, Default)]
struct Outside {
    status: Arc<AtomicU16>,
    hooks: Arc<Mutex<Vec<Value>>>,
}

impl Outside {
    async fn spawn() -> (Self, SocketAddr) {
        let outside = Self::default();
        outside.status.store(500, Ordering::Relaxed);
        let app = Router::new()
            .route(
                "/target",
                get(|State(o): State<Outside>| async move {
                    StatusCode::from_u16(o.status.load(Ordering::Relaxed)).unwrap()
                }),
            )
            .route(
                "/hook",
                post(
                    |State(o): State<Outside>, Json(body): Json<Value>| async move {
                        o.hooks.lock().unwrap().push(body);
                        StatusCode::OK
                    },
                ),
            )
            .with_state(outside.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (outside, addr)
    }

    fn hooks(&self) -> Vec<Value> {
        self.hooks.lock().unwrap().clone()
    }
}

fn every_second(c: &mut livecheck::server::Config) {
    c.schedule_min_interval = Duration::from_secs(1);
}

async fn save_suite(app: &TestApp, token: &str, target: SocketAddr) -> i64 {
    let text = format!(
        "name: Nightly check\nsteps:\n  - name: target answers\n    url: http://{target}/target\n    checks: {{ status: 200 }}\n"
    );
    let (status, body) = app.call(token, "save_suite", &[("text", &text)]).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<SuiteSaved>(&body).unwrap().id
}

async fn schedule(app: &TestApp, token: &str, form: &[(&str, &str)]) -> (u16, String) {
    app.call(token, "save_schedule", form).await
}

/// Waits (15 s at most) until `done` holds.
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_schedule_runs_its_suite_and_alerts_on_failure_and_recovery_once_each() {
    let app = spawn_app_with(every_second).await;
    let token = app.login_demo().await;
    let (outside, addr) = Outside::spawn().await;
    let suite = save_suite(&app, &token, addr).await.to_string();
    let hook = format!("http://{addr}/hook");
    let (status, body) = schedule(
        &app,
        &token,
        &[
            ("suite_id", &suite),
            ("cron", "* * * * * *"),
            ("timezone", "Asia/Shanghai"),
            ("webhook_url", &hook),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let info: ScheduleInfo = serde_json::from_str(&body).unwrap();
    assert!(info.enabled && info.next_at.is_some());
    // The next fire on its own clock too ("2026-12-04 09:00"), for the page to show.
    assert!(
        info.next_local.as_ref().is_some_and(|t| t.len() == 16),
        "{info:?}"
    );
    assert_eq!(info.webhook.as_deref(), Some(&*format!("http://{addr}/…")));
    let store = &app.state.store;

    // The target fails: one "failed" alert, however many runs fail after it.
    until("three failed runs", async || {
        let fires = store.fires_of(info.id).await.unwrap();
        fires.iter().filter(|f| f.2 == RunStatus::Failed).count() >= 3
    })
    .await;
    until("the failed alert", async || !outside.hooks().is_empty()).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let hooks = outside.hooks();
    assert_eq!(hooks.len(), 1, "{hooks:#?}");
    let failed = &hooks[0];
    assert_eq!(failed["event"], "failed");
    assert_eq!(failed["msg_type"], "text");
    let text = failed["text"].as_str().unwrap();
    assert!(text.contains("Nightly check failed"), "{text}");
    assert_eq!(failed["content"]["text"], text);
    assert_eq!(failed["suite"]["name"], "Nightly check");
    assert_eq!(failed["schedule"]["timezone"], "Asia/Shanghai");
    let run_id = failed["run"]["id"].as_str().unwrap();
    assert!(text.ends_with(&format!("/runs/{run_id}")), "{text}");

    // Each scheduled run is in the history, as the schedule's user.
    let (status, body) = app.call(&token, "runs", &[("suite", &suite)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(run_id), "{body}");

    // It recovers: one "recovered" alert.
    outside.status.store(200, Ordering::Relaxed);
    until("the recovered alert", async || outside.hooks().len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let hooks = outside.hooks();
    assert_eq!(hooks.len(), 2, "{hooks:#?}");
    assert_eq!(hooks[1]["event"], "recovered");
    assert_eq!(hooks[1]["run"]["status"], "completed");

    // Paused, it starts nothing more.
    let id = info.id.to_string();
    let (status, body) = app
        .call(
            &token,
            "set_schedule_enabled",
            &[("id", &id), ("enabled", "false")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let paused = store.fires_of(info.id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(store.fires_of(info.id).await.unwrap(), paused);

    // The list shows it with its last run; deleted, it is gone and its runs stay.
    let (_, body) = app.call(&token, "schedules", &[]).await;
    let list: Vec<ScheduleInfo> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 1);
    assert!(!list[0].enabled && list[0].next_at.is_none());
    assert!(list[0].last_run.is_some());
    let (status, _) = app.call(&token, "delete_schedule", &[("id", &id)]).await;
    assert_eq!(status, 200);
    let (_, body) = app.call(&token, "schedules", &[]).await;
    assert_eq!(body, "[]");
    let (_, body) = app.call(&token, "runs", &[("suite", &suite)]).await;
    assert!(body.contains(run_id));
}

#[tokio::test]
async fn bad_schedules_are_refused_with_their_reason() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (_, addr) = Outside::spawn().await;
    let suite = save_suite(&app, &token, addr).await.to_string();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("cron", "61 * * * *")], "cron:"),
        (&[("cron", "* * *")], "cron:"),
        (&[("cron", &"* ".repeat(200))], "cron: at most"),
        (&[("timezone", "Mars/Olympus")], "time zone"),
        // The binary's default shortest interval is a minute.
        (&[("cron", "*/10 * * * * *")], "more often than every 60 s"),
        (&[("cron", "0 0 31 2 *")], "never fires"),
        (&[("webhook_url", "ftp://example.com/x")], "webhook"),
        (&[("webhook_url", "not a url")], "webhook"),
        // Cloud metadata is never a target, whatever the configuration allows.
        (
            &[("webhook_url", "http://169.254.169.254/latest/meta-data")],
            "not allowed",
        ),
        (&[("environment", "nowhere")], "no environment"),
    ];
    for (fields, reason) in cases {
        let mut form = vec![
            ("suite_id", suite.as_str()),
            ("cron", "0 9 * * *"),
            ("timezone", "UTC"),
        ];
        for (k, v) in fields.iter() {
            form.retain(|(key, _)| key != k);
            form.push((k, v));
        }
        let (status, body) = schedule(&app, &token, &form).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        assert!(body.contains(reason), "{fields:?}: {body}");
    }
    let (_, body) = app.call(&token, "schedules", &[]).await;
    assert_eq!(body, "[]", "nothing refused was saved");

    // Another user's suite and schedules are not found; a viewer may not schedule.
    app.create_user("mallory", "mallory-password").await;
    let other = app.login("mallory", "mallory-password").await;
    let form = [
        ("suite_id", suite.as_str()),
        ("cron", "0 9 * * *"),
        ("timezone", "UTC"),
    ];
    assert_eq!(schedule(&app, &other, &form).await.0, 404);
    let (status, body) = schedule(&app, &token, &form).await;
    assert_eq!(status, 200, "{body}");
    let mine: ScheduleInfo = serde_json::from_str(&body).unwrap();
    let id = mine.id.to_string();
    assert!(!mine.description.is_empty());
    assert_eq!(
        app.call(&other, "delete_schedule", &[("id", &id)]).await.0,
        404
    );
    let (status, _) = app
        .call(
            &other,
            "set_schedule_enabled",
            &[("id", &id), ("enabled", "false")],
        )
        .await;
    assert_eq!(status, 404);
    app.create_user_with_role("val", "val-password", Role::Viewer)
        .await;
    let viewer = app.login("val", "val-password").await;
    assert_eq!(schedule(&app, &viewer, &form).await.0, 403);
}

#[tokio::test]
async fn each_fire_runs_once_on_two_nodes_and_a_missed_fire_once_after_a_restart() {
    let mut a = spawn_app_with(every_second).await;
    let dir = a.data_dir();
    let b = spawn_app_with(|c| {
        every_second(c);
        c.data_dir = dir.clone();
    })
    .await;
    let token = a.login_demo().await;
    let (outside, addr) = Outside::spawn().await;
    outside.status.store(200, Ordering::Relaxed);
    let suite = save_suite(&a, &token, addr).await.to_string();
    let (status, body) = schedule(
        &a,
        &token,
        &[
            ("suite_id", &suite),
            ("cron", "* * * * * *"),
            ("timezone", "UTC"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = serde_json::from_str::<ScheduleInfo>(&body).unwrap().id;
    let store = a.state.store.clone();

    // Both nodes' schedulers look every half second; every fire has one run, none is skipped.
    until("five fires", async || {
        store.fires_of(id).await.unwrap().len() >= 5
    })
    .await;
    let fires = store.fires_of(id).await.unwrap();
    for pair in fires.windows(2) {
        assert_eq!(pair[1].1 - pair[0].1, 1000, "one run per second: {fires:?}");
    }
    // Node A stops, then B too: for three seconds nothing runs the schedule.
    a.stop();
    drop(b);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let before_gap = store.fires_of(id).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        store.fires_of(id).await.unwrap().len(),
        before_gap.len(),
        "nothing runs while down"
    );

    // A server starts on the same database: the missed fires are made up once, then it goes on.
    let c = spawn_app_with(|c| {
        every_second(c);
        c.data_dir = dir.clone();
    })
    .await;
    until("two more fires", async || {
        store.fires_of(id).await.unwrap().len() >= before_gap.len() + 2
    })
    .await;
    let after = store.fires_of(id).await.unwrap();
    let new = &after[before_gap.len()..];
    let last_before = before_gap.last().unwrap().1;
    assert_eq!(
        new[0].1,
        last_before + 1000,
        "the first missed fire runs: {after:?}"
    );
    assert!(
        new[1].1 >= new[0].1 + 3000,
        "the other missed fires do not: {after:?}"
    );
    drop(c);
}

#[tokio::test]
async fn a_webhook_the_target_policy_refuses_is_refused_when_saved() {
    // The binary's defaults: loopback is not a target.
    let app = spawn_app_with(|c| c.targets = TargetPolicy::default()).await;
    let token = app.login_demo().await;
    let (_, addr) = Outside::spawn().await;
    let suite = save_suite(&app, &token, addr).await.to_string();
    for hook in [
        "http://127.0.0.1:9/hook",
        "http://[::1]:9/hook",
        "http://localhost:9/hook",
    ] {
        let form = [
            ("suite_id", suite.as_str()),
            ("cron", "0 9 * * *"),
            ("timezone", "UTC"),
            ("webhook_url", hook),
        ];
        let (status, body) = schedule(&app, &token, &form).await;
        assert_eq!(status, 400, "{hook}: {body}");
        assert!(body.contains("not allowed"), "{hook}: {body}");
    }
    let (_, body) = app.call(&token, "schedules", &[]).await;
    assert_eq!(body, "[]", "nothing refused was saved");
}

/// Saving a schedule again with an empty `webhook_url` (what an emptied form field sends) removes its
/// webhook; with an address, sets it. The page never shows the address's credentials or path.
#[tokio::test]
async fn saving_a_schedule_with_an_empty_webhook_removes_it() {
    let app = spawn_app_with(every_second).await;
    let token = app.login_demo().await;
    let (_outside, addr) = Outside::spawn().await;
    let suite = save_suite(&app, &token, addr).await.to_string();
    let hook = format!("http://user:secret@{addr}/hook/secret-path");
    let save = |id: Option<String>, webhook: String| {
        let (app, token, suite) = (&app, &token, suite.clone());
        async move {
            let mut form = vec![
                ("suite_id", suite),
                ("cron", "0 9 * * *".to_owned()),
                ("timezone", "UTC".to_owned()),
                ("webhook_url", webhook),
            ];
            if let Some(id) = id {
                form.push(("id", id));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = schedule(app, token, &form).await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_str::<ScheduleInfo>(&body).unwrap()
        }
    };
    let info = save(None, hook).await;
    assert_eq!(info.webhook.as_deref(), Some(&*format!("http://{addr}/…")));
    let info = save(Some(info.id.to_string()), String::new()).await;
    assert_eq!(info.webhook, None, "{info:?}");
}
