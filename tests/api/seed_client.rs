//! A client written the way the seed's is: after `start_test` it sends `subscribe_test` and waits for
//! `test_completed` or `test_error`, knowing nothing of snapshots. A run that ended before it
//! subscribed (the demo run takes milliseconds without a delay) must still end for it.

use std::time::Duration;

use livecheck::protocol::{RunStatus, ServerMessage};
use serde_json::json;

use crate::helpers::*;

/// Reads until the run's end, skipping everything else; what ended it.
async fn wait_for_end(ws: &mut Ws, test_id: &str) -> ServerMessage {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let msg = next_msg(ws).await;
            let ours = msg.run_event().is_some_and(|(id, _)| id == test_id);
            let end = match &msg {
                ServerMessage::TestCompleted { .. } | ServerMessage::TestError { .. } => true,
                ServerMessage::TestStatusUpdate { status, .. } => status.is_finished(),
                _ => false,
            };
            if ours && end {
                return msg;
            }
        }
    })
    .await
    .expect("the seed-style client heard the end of the run")
}

#[tokio::test]
async fn a_seed_style_client_hears_how_a_run_ended_even_when_it_ended_before_subscribing() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    for (key, success) in [("demo", true), ("demo-failing", false)] {
        let run = app.start_test(&token, key, 0).await;
        let done = app
            .wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
            .await;
        let mut ws = app.ws_with_cookie(&token).await.unwrap();
        expect_hello(&mut ws).await;
        send_json(
            &mut ws,
            json!({ "type": "subscribe_test", "test_id": run.test_id }),
        )
        .await;
        match wait_for_end(&mut ws, &run.test_id).await {
            ServerMessage::TestCompleted {
                success: s,
                results,
                seq,
                ..
            } => {
                assert_eq!(s, success, "{key}");
                assert_eq!(results.steps.len(), 8);
                // The last event's own `seq`: a client folding events sees nothing new.
                assert_eq!(seq, done.seq);
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    // A cancelled run ends with its status.
    let run = app.start_test(&token, "demo", 2000).await;
    app.call(&token, "cancel_test", &[("test_id", &run.test_id)])
        .await;
    app.wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
        .await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    send_json(
        &mut ws,
        json!({ "type": "subscribe_test", "test_id": run.test_id }),
    )
    .await;
    match wait_for_end(&mut ws, &run.test_id).await {
        ServerMessage::TestStatusUpdate { status, .. } => assert_eq!(status, RunStatus::Cancelled),
        other => panic!("{other:?}"),
    }
}
