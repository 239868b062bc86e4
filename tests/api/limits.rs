//! Concurrent-run limits: runs over the per-user or global limit wait with the status `queued`, start
//! in order when a slot frees, and can be cancelled while they wait.

use livecheck::{
    protocol::{ErrorCode, RunSnapshot, RunStatus, ServerMessage},
    runs::queue::RunLimits,
};
use serde_json::json;

use crate::helpers::*;

async fn status_of(app: &TestApp, token: &str, id: &str) -> RunSnapshot {
    let (status, body) = app.call(token, "run", &[("test_id", id)]).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn a_run_over_the_per_user_limit_waits_queued_then_runs() {
    let app = spawn_app_with(|c| {
        c.run_limits = RunLimits {
            global: 10,
            per_user: 1,
        }
    })
    .await;
    let token = app.login_demo().await;
    // Eight steps of 150 ms: the first run holds the user's only slot for over a second.
    let first = app.start_test(&token, "demo", 150).await;
    let second = app.start_test(&token, "demo", 0).await;

    let waiting = status_of(&app, &token, &second.test_id).await;
    assert_eq!(waiting.status, RunStatus::Queued, "{waiting:?}");
    assert!(
        waiting
            .message
            .starts_with("Queued: waiting for a free slot"),
        "{waiting:?}"
    );
    assert_eq!(
        status_of(&app, &token, &first.test_id).await.status,
        RunStatus::Running
    );

    let second = app
        .wait_for_run(&token, &second.test_id, |r| r.status.is_finished())
        .await;
    let first = status_of(&app, &token, &first.test_id).await;
    assert_eq!(first.status, RunStatus::Completed);
    assert_eq!(second.status, RunStatus::Completed);
    assert!(second.started_at.unwrap() >= first.finished_at.unwrap());
}

#[tokio::test]
async fn the_global_limit_queues_other_users_and_a_queued_run_can_be_cancelled() {
    let app = spawn_app_with(|c| {
        c.run_limits = RunLimits {
            global: 1,
            per_user: 5,
        }
    })
    .await;
    let demo = app.login_demo().await;
    app.create_user("bob", "bob-password-1").await;
    let bob = app.login("bob", "bob-password-1").await;

    let running = app.start_test(&demo, "demo", 150).await;
    let queued = app.start_test(&bob, "demo", 0).await;
    assert_eq!(
        status_of(&app, &bob, &queued.test_id).await.status,
        RunStatus::Queued
    );
    let behind = app.start_test(&demo, "demo", 0).await;
    let waiting = status_of(&app, &demo, &behind.test_id).await;
    assert_eq!(waiting.status, RunStatus::Queued);
    assert!(waiting.message.ends_with("(1 run ahead)"), "{waiting:?}");

    let (status, body) = app
        .call(&bob, "cancel_test", &[("test_id", &queued.test_id)])
        .await;
    assert_eq!(status, 200, "{body}");
    let cancelled = app
        .wait_for_run(&bob, &queued.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    assert!(cancelled.steps.is_empty(), "it never ran: {cancelled:?}");
    assert_eq!(cancelled.started_at, None);
    // The run behind it moved up, and says so.
    let moved = app
        .wait_for_run(&demo, &behind.test_id, |r| {
            r.message.ends_with("(0 runs ahead)")
        })
        .await;
    assert_eq!(moved.status, RunStatus::Queued);

    // The slot is still the first run's, and it finishes normally.
    let done = app
        .wait_for_run(&demo, &running.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(done.status, RunStatus::Completed);
    let last = app
        .wait_for_run(&demo, &behind.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(last.status, RunStatus::Completed);
}

/// A run that ended is no longer followed: a client that never sends `unsubscribe_test` (as the seed's
/// does not) can go on following new runs past the per-connection limit, which still holds for runs
/// that are live.
#[tokio::test]
async fn runs_that_ended_do_not_count_against_the_subscription_limit() {
    let app = spawn_app_with(|c| c.connection.max_subscriptions = 2).await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    for _ in 0..3 {
        let run = app.start_test(&token, "demo", 0).await;
        follow_to_end(&mut ws, &run.test_id).await;
    }
    // Two live runs fill the connection's room; a third is refused.
    let mut live = Vec::new();
    for _ in 0..3 {
        live.push(app.start_test(&token, "demo", 500).await.test_id);
    }
    let mut answers = Vec::new();
    for id in &live {
        send_json(&mut ws, json!({ "type": "subscribe_test", "test_id": id })).await;
        // Skip the events of the runs already followed.
        let answer = loop {
            match next_msg(&mut ws).await {
                msg @ (ServerMessage::Subscribed { .. } | ServerMessage::Error { .. }) => {
                    break msg
                }
                _ => continue,
            }
        };
        answers.push(answer);
    }
    assert!(
        matches!(answers[0], ServerMessage::Subscribed { .. }),
        "{answers:?}"
    );
    assert!(
        matches!(answers[1], ServerMessage::Subscribed { .. }),
        "{answers:?}"
    );
    assert!(
        matches!(
            &answers[2],
            ServerMessage::Error {
                code: ErrorCode::TooManySubscriptions,
                ..
            }
        ),
        "{answers:?}"
    );
}
