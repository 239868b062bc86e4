//! Rooms: membership is checked; a run started in a room is visible to its members and nobody else.

use livecheck::protocol::{ErrorCode, RunSnapshot, ServerMessage};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn room_members_see_each_others_runs_and_outsiders_see_nothing() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password").await;
    app.create_user("mallory", "mallory-password").await;
    let demo = app.login_demo().await;
    let alice = app.login("alice", "alice-password").await;
    let mallory = app.login("mallory", "mallory-password").await;

    assert_eq!(
        app.call(&demo, "create_room", &[("name", "qa")]).await.0,
        200
    );
    assert_eq!(
        app.call(
            &demo,
            "add_room_member",
            &[("room", "qa"), ("username", "alice")]
        )
        .await
        .0,
        200
    );
    // Only members can add members.
    assert_eq!(
        app.call(
            &mallory,
            "add_room_member",
            &[("room", "qa"), ("username", "mallory")]
        )
        .await
        .0,
        404
    );

    let mut a = app.ws_with_cookie(&alice).await.unwrap();
    expect_hello(&mut a).await;
    send_json(&mut a, json!({ "type": "join_room", "room": "qa" })).await;
    assert!(matches!(
        next_msg(&mut a).await,
        ServerMessage::RoomJoined {
            members_online: 1,
            ..
        }
    ));

    let mut m = app.ws_with_cookie(&mallory).await.unwrap();
    expect_hello(&mut m).await;
    send_json(&mut m, json!({ "type": "join_room", "room": "qa" })).await;
    let refused = next_msg(&mut m).await;
    send_json(
        &mut m,
        json!({ "type": "join_room", "room": "no-such-room" }),
    )
    .await;
    let missing = next_msg(&mut m).await;
    match (refused, missing) {
        (
            ServerMessage::Error {
                code: ErrorCode::NotFound,
                message: a,
            },
            ServerMessage::Error {
                code: ErrorCode::NotFound,
                message: b,
            },
        ) => assert_eq!(a.replace("qa", "X"), b.replace("no-such-room", "X")),
        other => panic!("expected two not_found errors, got {other:?}"),
    }

    // demo joins too: alice hears it; demo starts a run in the room: alice hears that.
    let mut d = app.ws_with_cookie(&demo).await.unwrap();
    expect_hello(&mut d).await;
    send_json(&mut d, json!({ "type": "join_room", "room": "qa" })).await;
    assert!(matches!(
        next_msg(&mut d).await,
        ServerMessage::RoomJoined {
            members_online: 2,
            ..
        }
    ));
    assert!(matches!(
        next_msg(&mut a).await,
        ServerMessage::RoomPresence {
            members_online: 2,
            ..
        }
    ));
    let run = app
        .start_with(
            &demo,
            &[("key", "demo"), ("delay_ms", "50"), ("room", "qa")],
        )
        .await;
    match next_msg(&mut a).await {
        ServerMessage::RoomRunStarted {
            test_id,
            started_by,
            ..
        } => {
            assert_eq!(test_id, run.test_id);
            assert_eq!(started_by, "demo");
        }
        other => panic!("expected room_run_started, got {other:?}"),
    }

    // alice follows it to the end; mallory cannot, by socket or by server function.
    send_json(
        &mut a,
        json!({ "type": "subscribe_test", "test_id": run.test_id }),
    )
    .await;
    let snap = match next_msg(&mut a).await {
        ServerMessage::Subscribed {
            snapshot: Some(s), ..
        } => s,
        other => panic!("expected subscribed, got {other:?}"),
    };
    let events = events_until_end(&mut a, snap.seq).await;
    assert!(matches!(
        events.last(),
        Some(ServerMessage::TestCompleted { success: true, .. })
    ));

    send_json(
        &mut m,
        json!({ "type": "subscribe_test", "test_id": run.test_id }),
    )
    .await;
    assert!(matches!(
        next_msg(&mut m).await,
        ServerMessage::Error {
            code: ErrorCode::NotFound,
            ..
        }
    ));
    assert_eq!(
        app.call(&mallory, "run", &[("test_id", &run.test_id)])
            .await
            .0,
        404
    );
    assert_eq!(
        app.call(&alice, "run", &[("test_id", &run.test_id)])
            .await
            .0,
        200
    );
    let (_, listed) = app.call(&alice, "runs", &[]).await;
    assert!(
        listed.contains(&run.test_id),
        "alice's history lists the room's run"
    );
    let (_, listed) = app.call(&mallory, "runs", &[]).await;
    assert!(!listed.contains(&run.test_id));

    // Starting a run in a room you are not in is refused.
    assert_eq!(
        app.call(&mallory, "start_test", &[("key", "demo"), ("room", "qa")])
            .await
            .0,
        404
    );

    // Leaving: the others see the count drop.
    assert!(matches!(
        next_msg(&mut d).await,
        ServerMessage::RoomRunStarted { .. }
    ));
    send_json(&mut d, json!({ "type": "leave_room", "room": "qa" })).await;
    assert!(matches!(
        next_msg(&mut d).await,
        ServerMessage::RoomLeft { .. }
    ));
    assert!(matches!(
        next_msg(&mut a).await,
        ServerMessage::RoomPresence {
            members_online: 1,
            ..
        }
    ));
}

/// demo makes room `qa` with alice in it (on `app`); alice's socket `ws` (of any node) joins it,
/// and follows a run demo starts there that goes on for seconds.
pub(crate) async fn alice_follows_a_room_run(
    app: &TestApp,
    demo: &str,
    ws: &mut Ws,
) -> RunSnapshot {
    for (endpoint, form) in [
        ("create_room", vec![("name", "qa")]),
        (
            "add_room_member",
            vec![("room", "qa"), ("username", "alice")],
        ),
    ] {
        assert_eq!(app.call(demo, endpoint, &form).await.0, 200, "{endpoint}");
    }
    expect_hello(ws).await;
    send_json(ws, json!({ "type": "join_room", "room": "qa" })).await;
    assert!(matches!(
        next_msg(ws).await,
        ServerMessage::RoomJoined { .. }
    ));
    let run = app
        .start_with(
            demo,
            &[
                ("key", "synthetic"),
                ("events", "100"),
                ("rate", "10"),
                ("room", "qa"),
            ],
        )
        .await;
    assert!(matches!(
        next_msg(ws).await,
        ServerMessage::RoomRunStarted { .. }
    ));
    assert!(matches!(
        subscribe(ws, &run.test_id, None).await,
        ServerMessage::Subscribed { .. }
    ));
    run
}

/// demo removes alice from `qa`; her socket is told it left the room and no longer follows `run`,
/// as if she had asked (events of the run already on their way may come first).
pub(crate) async fn remove_alice(app: &TestApp, demo: &str, ws: &mut Ws, run: &RunSnapshot) {
    let (status, body) = app
        .call(
            demo,
            "remove_room_member",
            &[("room", "qa"), ("username", "alice")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (mut left, mut unsubscribed) = (false, false);
    while !(left && unsubscribed) {
        match next_msg(ws).await {
            ServerMessage::RoomLeft { room } => left = room == "qa",
            ServerMessage::Unsubscribed { test_id } => unsubscribed = test_id == run.test_id,
            error @ ServerMessage::Error { .. } => panic!("{error:?}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_member_removed_from_a_room_stops_hearing_it_at_once() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password").await;
    let demo = app.login_demo().await;
    let alice = app.login("alice", "alice-password").await;
    let mut a = app.ws_with_cookie(&alice).await.unwrap();
    let run = alice_follows_a_room_run(&app, &demo, &mut a).await;
    remove_alice(&app, &demo, &mut a, &run).await;

    // Then she hears nothing more of either.
    let another = app
        .start_with(
            &demo,
            &[("key", "demo"), ("delay_ms", "10"), ("room", "qa")],
        )
        .await;
    send_json(&mut a, json!({ "type": "ping", "timestamp": 7 })).await;
    // The pong comes next: no event of the first run, no word of the second.
    match next_msg(&mut a).await {
        ServerMessage::Pong {
            timestamp: Some(7), ..
        } => {}
        other => panic!("expected only the pong, got {other:?}"),
    }
    assert_eq!(app.state.hub.subscriber_count(&run.test_id), 0);
    // And she can neither rejoin nor follow the room's runs again.
    for msg in [
        json!({ "type": "join_room", "room": "qa" }),
        json!({ "type": "subscribe_test", "test_id": another.test_id }),
    ] {
        send_json(&mut a, msg).await;
        assert!(matches!(
            next_msg(&mut a).await,
            ServerMessage::Error {
                code: ErrorCode::NotFound,
                ..
            }
        ));
    }
}
