//! Account changes reach every node of a cluster: a member removed from a room on node A stops
//! hearing the room on node B, and signing out on A closes the user's sockets on B.

use livecheck::protocol::close_code;

use crate::{
    cluster::two_nodes_with,
    helpers::*,
    rooms::{alice_follows_a_room_run, remove_alice},
};

#[tokio::test]
async fn a_room_removal_and_a_sign_out_on_a_reach_the_users_socket_on_b() {
    let (a, b) = two_nodes_with(|_| {}).await;
    a.create_user("alice", "alice-password").await;
    let demo = a.login_demo().await;
    // alice, signed in on B, is in the room there and follows a run that executes on A.
    let alice = b.login("alice", "alice-password").await;
    let mut ws = b.ws_with_cookie(&alice).await.unwrap();
    let run = alice_follows_a_room_run(&a, &demo, &mut ws).await;
    // Removed on A: her socket on B leaves the room and the run.
    remove_alice(&a, &demo, &mut ws, &run).await;

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
