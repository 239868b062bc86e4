//! Two nodes, one database, one Redis (`./run test` starts Redis and gives its address in
//! `LIVECHECK_TEST_REDIS`): a run executes on the node that started it, and a client on the other
//! node watches it live with gap-free `seq`, resumes it there after a drop, cancels it from there,
//! and hears the room messages of both.

use std::path::PathBuf;

use livecheck::{
    protocol::RunStatus,
    protocol::ServerMessage,
    runs::queue::RunLimits,
    server::config::{Config, DEMO_ROOM},
};
use serde_json::json;

use crate::helpers::*;

fn redis_url() -> String {
    std::env::var("LIVECHECK_TEST_REDIS").expect(
        "the cluster tests need Redis: LIVECHECK_TEST_REDIS=redis://… (./run test starts one)",
    )
}

/// Two nodes on one data directory (its SQLite file, or its PostgreSQL database) and one Redis,
/// under a prefix of their own (the tests run side by side on one Redis).
async fn two_nodes() -> (TestApp, TestApp) {
    two_nodes_with(|_| {}).await
}

async fn two_nodes_with(configure: impl Fn(&mut Config) + Clone + 'static) -> (TestApp, TestApp) {
    let prefix = format!("test-{:08x}", rand::random::<u32>());
    let (also, p) = (configure.clone(), prefix.clone());
    let a = spawn_app_with(move |c| {
        c.redis_url = Some(redis_url());
        c.redis_prefix = p;
        also(c);
    })
    .await;
    let dir: PathBuf = a.data_dir();
    let b = spawn_app_with(move |c| {
        c.data_dir = dir;
        c.redis_url = Some(redis_url());
        c.redis_prefix = prefix;
        configure(c);
    })
    .await;
    (a, b)
}

async fn subscribe(ws: &mut Ws, test_id: &str, resume: Option<(u64, &str)>) -> ServerMessage {
    let mut msg = json!({ "type": "subscribe_test", "test_id": test_id });
    if let Some((since, epoch)) = resume {
        msg["since_seq"] = json!(since);
        msg["epoch"] = json!(epoch);
    }
    send_json(ws, msg).await;
    next_msg(ws).await
}

#[tokio::test]
async fn a_client_on_b_watches_a_run_started_on_a_live_with_every_seq_once() {
    let (a, b) = two_nodes().await;
    let on_a = a.login_demo().await;
    let on_b = b.login_demo().await;
    let run = a.start_test(&on_a, "demo", 150).await;
    assert!(!b.state.hub.is_local(&run.test_id));

    let mut ws = b.ws_with_cookie(&on_b).await.unwrap();
    expect_hello(&mut ws).await;
    let (snapshot, events) = follow_to_end(&mut ws, &run.test_id).await;
    // follow_to_end checked that `seq` goes on from the snapshot's without a gap or a repeat.
    assert!(!events.is_empty(), "live events reached node B");
    assert!(matches!(
        events.last(),
        Some(ServerMessage::TestCompleted { .. })
    ));
    let steps = |msg: &ServerMessage| match msg {
        ServerMessage::TestProgress(p) => p.step.is_some() as usize,
        _ => 0,
    };
    let total = snapshot.steps.len() + events.iter().map(steps).sum::<usize>();
    assert_eq!(total, 8, "every step once, from the snapshot or live");
    let stored = a
        .wait_for_run(&on_a, &run.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(stored.status, RunStatus::Completed);
}

#[tokio::test]
async fn a_client_dropped_on_a_resumes_on_b_with_every_step_once() {
    let (a, b) = two_nodes().await;
    let token = a.login_demo().await;
    let run = a.start_test(&token, "demo", 200).await;

    let mut first = a.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut first).await;
    let snapshot = match subscribe(&mut first, &run.test_id, None).await {
        ServerMessage::Subscribed {
            snapshot: Some(s), ..
        } => s,
        other => panic!("expected a snapshot, got {other:?}"),
    };
    // Hear a few events on A, then drop.
    let mut last = snapshot.seq;
    while last < snapshot.seq + 3 {
        let seq = next_msg(&mut first).await.run_event().unwrap().1;
        assert_eq!(seq, last + 1);
        last = seq;
    }
    drop(first);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // Resume on B from the last `seq` heard: the missed events are replayed (from the run's
    // stream in Redis), then the live ones follow, each once.
    let mut second = b.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut second).await;
    match subscribe(&mut second, &run.test_id, Some((last, &snapshot.epoch))).await {
        ServerMessage::Subscribed {
            recovered: Some(true),
            ..
        } => {}
        other => panic!("expected recovered: true, got {other:?}"),
    }
    let rest = events_until_end(&mut second, last).await;
    assert!(matches!(
        rest.last(),
        Some(ServerMessage::TestCompleted { .. })
    ));
}

#[tokio::test]
async fn cancel_from_b_stops_the_run_on_a() {
    let (a, b) = two_nodes().await;
    let on_a = a.login_demo().await;
    let on_b = b.login_demo().await;
    let run = a.start_test(&on_a, "demo", 1000).await;
    let (status, body) = b
        .call(&on_b, "cancel_test", &[("test_id", &run.test_id)])
        .await;
    assert_eq!(status, 200, "{body}");
    let done = a
        .wait_for_run(&on_a, &run.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(done.status, RunStatus::Cancelled);
    assert!(done.steps.len() < 8, "stopped early: {done:?}");
}

#[tokio::test]
async fn a_run_started_in_a_room_on_a_is_announced_to_its_members_on_b() {
    let (a, b) = two_nodes().await;
    let on_a = a.login_demo().await;
    let on_b = b.login_demo().await;
    let mut member = b.ws_with_cookie(&on_b).await.unwrap();
    expect_hello(&mut member).await;
    send_json(
        &mut member,
        json!({ "type": "join_room", "room": DEMO_ROOM }),
    )
    .await;
    assert!(matches!(
        next_msg(&mut member).await,
        ServerMessage::RoomJoined { .. }
    ));
    let run = a
        .start_with(
            &on_a,
            &[("key", "demo"), ("delay_ms", "50"), ("room", DEMO_ROOM)],
        )
        .await;
    match next_msg(&mut member).await {
        ServerMessage::RoomRunStarted { test_id, room, .. } => {
            assert_eq!(test_id, run.test_id);
            assert_eq!(room, DEMO_ROOM);
        }
        other => panic!("expected room_run_started, got {other:?}"),
    }
}

#[tokio::test]
async fn the_run_limit_holds_across_the_cluster() {
    // One run at a time in the whole cluster: a run started on B waits while A's runs.
    let (a, b) = two_nodes_with(|c| {
        c.run_limits = RunLimits {
            global: 1,
            per_user: 1,
        }
    })
    .await;
    let on_a = a.login_demo().await;
    let on_b = b.login_demo().await;
    let first = a.start_test(&on_a, "demo", 250).await;
    a.wait_for_run(&on_a, &first.test_id, |r| r.status == RunStatus::Running)
        .await;
    let second = b.start_test(&on_b, "demo", 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let waiting = b.wait_for_run(&on_b, &second.test_id, |_| true).await;
    assert_eq!(waiting.status, RunStatus::Queued, "{waiting:?}");
    assert!(
        waiting.message.contains("cluster"),
        "it says what it waits for: {}",
        waiting.message
    );
    // When A's run ends, B's starts and runs to its end.
    let first = a
        .wait_for_run(&on_a, &first.test_id, |r| r.status.is_finished())
        .await;
    let second = b
        .wait_for_run(&on_b, &second.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(second.status, RunStatus::Completed);
    assert!(
        second.started_at >= first.finished_at,
        "B's run started after A's ended: {second:?} {first:?}"
    );
}
