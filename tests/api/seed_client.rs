//! A client written the way the seed's is: after `start_test` it sends `subscribe_test` and waits for
//! `test_completed` or `test_error`, knowing nothing of snapshots. A run that ended before it
//! subscribed (the demo run takes milliseconds without a delay) must still end for it, and every
//! message comes in a frame of its own, however many the server sends at once.

use std::time::Duration;

use futures::StreamExt;
use livecheck::protocol::{RunStatus, ServerMessage};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

/// Sends `subscribe_test` and reads nothing: the answer is read with everything after it.
async fn send_subscribe(ws: &mut Ws, test_id: &str) {
    send_json(ws, json!({ "type": "subscribe_test", "test_id": test_id })).await;
}

/// Reads frames as the seed's client does, each one JSON routed by its `type`, until one ends the run:
/// `test_completed`, `test_error`, or `test_status_update` with a final status. What ended it.
async fn wait_for_end(ws: &mut Ws, test_id: &str) -> ServerMessage {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let text = match ws.raw.next().await {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(_)) => continue,
                other => panic!("the socket ended before the run did: {other:?}"),
            };
            let frame: Value = serde_json::from_str(&text).unwrap();
            let kind = frame["type"].as_str().unwrap_or_default();
            assert!(
                kind != "batch" && frame.get("messages").is_none(),
                "one message per frame: {text}"
            );
            let ours = frame["test_id"] == test_id;
            let end = match kind {
                "test_completed" | "test_error" => true,
                "test_status_update" => {
                    serde_json::from_value::<RunStatus>(frame["status"].clone())
                        .unwrap()
                        .is_finished()
                }
                _ => false,
            };
            if ours && end {
                return serde_json::from_value(frame).unwrap();
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
        send_subscribe(&mut ws, &run.test_id).await;
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
    send_subscribe(&mut ws, &run.test_id).await;
    match wait_for_end(&mut ws, &run.test_id).await {
        ServerMessage::TestStatusUpdate { status, .. } => assert_eq!(status, RunStatus::Cancelled),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_seed_style_client_following_a_fast_run_live_hears_its_end_in_a_frame_of_its_own() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    // Many events a second: several wait in the connection's queue at once, and go out together.
    let run = app
        .start_with(
            &token,
            &[("key", "synthetic"), ("events", "2000"), ("rate", "5000")],
        )
        .await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    send_subscribe(&mut ws, &run.test_id).await;
    match wait_for_end(&mut ws, &run.test_id).await {
        ServerMessage::TestCompleted { success, .. } => assert!(success),
        other => panic!("{other:?}"),
    }
    // The demo run, subscribed to as soon as it started: it ends in milliseconds.
    let run = app.start_test(&token, "demo", 0).await;
    send_subscribe(&mut ws, &run.test_id).await;
    match wait_for_end(&mut ws, &run.test_id).await {
        ServerMessage::TestCompleted { success, .. } => assert!(success),
        other => panic!("{other:?}"),
    }
}
