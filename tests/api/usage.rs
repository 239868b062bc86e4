//! The usage figures: runs per day and how they ended, the pass rate, each stored suite's p95 per day,
//! over the runs the caller may see.

use livecheck::protocol::{
    api::{SuiteSaved, Usage, UsageDay},
    RunSnapshot, RunStatus,
};

use crate::{helpers::*, suites::spawn_target};

async fn run_saved(app: &TestApp, token: &str, id: i64) -> RunSnapshot {
    let id = id.to_string();
    let (status, body) = app.call(token, "run_saved_suite", &[("id", &id)]).await;
    assert_eq!(status, 200, "{body}");
    let run: RunSnapshot = serde_json::from_str(&body).unwrap();
    app.wait_for_run(token, &run.test_id, |r| r.status.is_finished())
        .await
}

#[tokio::test]
async fn usage_counts_runs_per_day_with_the_pass_rate_and_a_p95_per_suite() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let text = format!(
        "name: Usage things\nsteps:\n  - url: http://{target}/things\n    checks: {{ status: 200 }}\n  - url: http://{target}/things/42\n"
    );
    let (status, body) = app.call(&token, "save_suite", &[("text", &text)]).await;
    assert_eq!(status, 200, "{body}");
    let saved: SuiteSaved = serde_json::from_str(&body).unwrap();
    for _ in 0..2 {
        assert_eq!(
            run_saved(&app, &token, saved.id).await.status,
            RunStatus::Completed
        );
    }
    // A failing run of a suite that is not stored counts in the day, not in any suite's trend.
    let failing = format!(
        "name: Failing\nsteps:\n  - url: http://{target}/things/7\n    checks: {{ status: 200 }}\n"
    );
    let (status, body) = app.call(&token, "run_suite", &[("suite", &failing)]).await;
    assert_eq!(status, 200, "{body}");
    let run: RunSnapshot = serde_json::from_str(&body).unwrap();
    app.wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
        .await;

    // The usage figures come from the store, and a run's end is published to its watchers (which
    // `wait_for_run` reads) just before it is written there: the figures catch up a moment later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let usage = loop {
        let (status, body) = app.call(&token, "usage", &[("days", "7")]).await;
        assert_eq!(status, 200, "{body}");
        let usage: Usage = serde_json::from_str(&body).unwrap();
        let runs: u32 = usage.days.iter().map(|d| d.runs).sum();
        if runs >= 3 || std::time::Instant::now() > deadline {
            break usage;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    // One day (two, should the test run across midnight UTC).
    assert!((1..=2).contains(&usage.days.len()), "{usage:?}");
    // The period asked for, which the charts span: seven days ending today, days start at 00:00 UTC.
    let day_ms = 86_400_000;
    assert_eq!(usage.period_days, 7);
    assert_eq!(usage.first_day % day_ms, 0);
    assert!(
        usage
            .days
            .iter()
            .all(|d| (usage.first_day..usage.first_day + 7 * day_ms).contains(&d.day)),
        "{usage:?}"
    );
    let sum = |f: fn(&UsageDay) -> u32| usage.days.iter().map(f).sum::<u32>();
    assert_eq!(
        (sum(|d| d.runs), sum(|d| d.passed), sum(|d| d.failed)),
        (3, 2, 1)
    );
    if let [today] = usage.days.as_slice() {
        let rate = today.pass_rate().unwrap();
        assert!((rate - 200.0 / 3.0).abs() < 1e-9, "{rate}");
    }
    assert_eq!(usage.suites.len(), 1, "{usage:?}");
    assert_eq!(usage.suites[0].name, "Usage things");
    assert_eq!(usage.suites[0].suite_id, saved.id);
    let points = &usage.suites[0].p95_ms;
    assert!(
        !points.is_empty() && points.iter().all(|p| p.1 >= 0.0),
        "{points:?}"
    );
    assert!(points
        .iter()
        .all(|p| usage.days.iter().any(|d| d.day == p.0)));

    // Another user sees none of it; a period out of range is refused.
    app.create_user("eve", "eve-password-1").await;
    let eve = app.login("eve", "eve-password-1").await;
    let (_, body) = app.call(&eve, "usage", &[]).await;
    let theirs: Usage = serde_json::from_str(&body).unwrap();
    assert!(
        theirs.days.is_empty() && theirs.suites.is_empty(),
        "{theirs:?}"
    );
    let (status, body) = app.call(&token, "usage", &[("days", "0")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("days"), "{body}");

    // The page draws it.
    let (status, html) = app.page(&token, "/usage").await;
    assert_eq!(status, 200);
    assert!(html.contains("Runs per day"), "{html}");
    assert!(html.contains("Usage things — p95"), "{html}");
}
