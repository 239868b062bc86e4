//! Account changes reach every node of a cluster: a member removed from a room on node A stops
//! hearing the room on node B, and signing out on A closes the user's sockets on B.

use livecheck::protocol::{close_code, ServerMessage};
use serde_json::json;

use crate::{cluster::two_nodes_with, helpers::*};

#[tokio::test]
async fn a_room_removal_and_a_sign_out_on_a_reach_the_users_socket_on_b() {
    let (a, b) = two_nodes_with(|_| {}).await;
    a.create_user("alice", "alice-password").await;
    let demo = a.login_demo().await;
    for (endpoint, form) in [
        ("create_room", vec![("name", "qa")]),
        (
            "add_room_member",
            vec![("room", "qa"), ("username", "alice")],
        ),
    ] {
        assert_eq!(a.call(&demo, endpoint, &form).await.0, 200, "{endpoint}");
    }
    // alice, signed in on B, is in the room there and follows a run that executes on A.
    let alice = b.login("alice", "alice-password").await;
    let mut ws = b.ws_with_cookie(&alice).await.unwrap();
    expect_hello(&mut ws).await;
    send_json(&mut ws, json!({ "type": "join_room", "room": "qa" })).await;
    assert!(matches!(
        next_msg(&mut ws).await,
        ServerMessage::RoomJoined { .. }
    ));
    let run = a
        .start_with(
            &demo,
            &[
                ("key", "synthetic"),
                ("events", "100"),
                ("rate", "10"),
                ("room", "qa"),
            ],
        )
        .await;
    assert!(matches!(
        next_msg(&mut ws).await,
        ServerMessage::RoomRunStarted { .. }
    ));
    assert!(matches!(
        subscribe(&mut ws, &run.test_id, None).await,
        ServerMessage::Subscribed { .. }
    ));

    // Removed on A: her socket on B leaves the room and the run.
    let (status, body) = a
        .call(
            &demo,
            "remove_room_member",
            &[("room", "qa"), ("username", "alice")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (mut left, mut unsubscribed) = (false, false);
    while !(left && unsubscribed) {
        match next_msg(&mut ws).await {
            ServerMessage::RoomLeft { room } => left = room == "qa",
            ServerMessage::Unsubscribed { test_id } => unsubscribed = test_id == run.test_id,
            error @ ServerMessage::Error { .. } => panic!("{error:?}"),
            // The run's events already on their way before the removal.
            _ => {}
        }
    }

    // She signs out on A (a session of hers there): the socket on B closes with 4001.
    let on_a = a.login("alice", "alice-password").await;
    let res = a
        .http
        .post(a.url("/api/logout"))
        .header("cookie", format!("livecheck_session={on_a}"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    assert_eq!(close_code(&mut ws).await, Some(close_code::UNAUTHORIZED));
}
