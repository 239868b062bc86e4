//! Two nodes, one database, one Redis (`./run test` starts Redis and gives its address in
//! `LIVECHECK_TEST_REDIS`): a run executes on the node that started it, and a client on the other
//! node watches it live with gap-free `seq`, resumes it there after a drop, cancels it from there,
//! and hears the room messages of both.

use std::{net::SocketAddr, path::PathBuf};

use livecheck::{
    protocol::{RunSnapshot, RunStatus, ServerMessage},
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

fn new_prefix() -> String {
    format!("test-{:08x}", rand::random::<u32>())
}

/// A node in a process of its own (the release binary), in the cluster of `peer`.
async fn process_node(peer: &TestApp, prefix: &str) -> crate::crash::Server {
    crate::crash::start_with(
        &peer.data_dir(),
        &[
            ("LIVECHECK_REDIS_URL", redis_url()),
            ("LIVECHECK_REDIS_PREFIX", prefix.to_owned()),
        ],
    )
    .await
}

async fn node_with_prefix(prefix: &str) -> TestApp {
    let prefix = prefix.to_owned();
    spawn_app_with(move |c| {
        c.redis_url = Some(redis_url());
        c.redis_prefix = prefix;
    })
    .await
}

/// A socket to `addr` that subscribed to the run; returns the socket and the snapshot it got.
async fn watch_from_start(addr: SocketAddr, token: &str, test_id: &str) -> (Ws, RunSnapshot) {
    let mut ws = ws_to(addr, token).await.unwrap();
    expect_hello(&mut ws).await;
    match subscribe(&mut ws, test_id, None).await {
        ServerMessage::Subscribed {
            snapshot: Some(s), ..
        } => (ws, s),
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

/// A socket to `addr` that resumed the run after `last` of `epoch` and was told it recovered.
async fn resume_at(addr: SocketAddr, token: &str, test_id: &str, last: u64, epoch: &str) -> Ws {
    let mut ws = ws_to(addr, token).await.unwrap();
    expect_hello(&mut ws).await;
    match subscribe(&mut ws, test_id, Some((last, epoch))).await {
        ServerMessage::Subscribed {
            recovered: Some(true),
            ..
        } => ws,
        other => panic!("expected recovered: true, got {other:?}"),
    }
}

/// Steps reported by run events.
fn steps_in(events: &[ServerMessage]) -> usize {
    events
        .iter()
        .filter(|m| matches!(m, ServerMessage::TestProgress(p) if p.step.is_some()))
        .count()
}

/// Two nodes on one data directory (its SQLite file, or its PostgreSQL database) and one Redis,
/// under a prefix of their own (the tests run side by side on one Redis).
async fn two_nodes() -> (TestApp, TestApp) {
    two_nodes_with(|_| {}).await
}

async fn two_nodes_with(configure: impl Fn(&mut Config) + Clone + 'static) -> (TestApp, TestApp) {
    let prefix = new_prefix();
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

    let (mut first, snapshot) = watch_from_start(a.addr, &token, &run.test_id).await;
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
    let mut second = resume_at(b.addr, &token, &run.test_id, last, &snapshot.epoch).await;
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

#[tokio::test]
async fn node_b_killed_mid_run_its_client_resumes_on_a_with_every_step_once() {
    let prefix = new_prefix();
    let a = node_with_prefix(&prefix).await;
    let mut b = process_node(&a, &prefix).await;
    let token = a.login_demo().await;
    let run = a.start_test(&token, "demo", 250).await;

    // Watching on B, a separate process.
    let (mut ws, snapshot) = watch_from_start(b.addr, &token, &run.test_id).await;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let msg = next_msg(&mut ws).await;
        assert_eq!(
            msg.run_event().unwrap().1,
            snapshot.seq + seen.len() as u64 + 1
        );
        seen.push(msg);
    }
    let last = snapshot.seq + 2;
    b.child.kill().unwrap(); // SIGKILL
    b.child.wait().unwrap();
    assert!(next_or_end(&mut ws).await.is_err(), "B's socket ended");

    // The client reconnects to A and resumes from the last seq it saw.
    let mut again = resume_at(a.addr, &token, &run.test_id, last, &snapshot.epoch).await;
    let rest = events_until_end(&mut again, last).await;
    assert!(matches!(
        rest.last(),
        Some(ServerMessage::TestCompleted { .. })
    ));
    assert_eq!(
        snapshot.steps.len() + steps_in(&seen) + steps_in(&rest),
        8,
        "every step exactly once"
    );
}

#[tokio::test]
async fn node_a_drained_with_sigterm_its_clients_move_to_b_without_a_gap() {
    let prefix = new_prefix();
    let b = node_with_prefix(&prefix).await;
    let a = process_node(&b, &prefix).await;
    let token = b.login_demo().await;
    // The run executes on B; its client watches on A, which is then drained.
    let run = b.start_test(&token, "demo", 300).await;
    let (mut ws, snapshot) = watch_from_start(a.addr, &token, &run.test_id).await;
    let pid = a.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut seen = Vec::new();
    let code = loop {
        match next_or_end(&mut ws).await {
            Ok(msg) => {
                let seq = msg.run_event().expect("a run event").1;
                assert_eq!(seq, snapshot.seq + seen.len() as u64 + 1, "no gap on A");
                seen.push(msg);
            }
            Err(code) => break code,
        }
    };
    assert_eq!(code, Some(livecheck::protocol::close_code::SERVICE_RESTART));
    let last = snapshot.seq + seen.len() as u64;

    let mut again = resume_at(b.addr, &token, &run.test_id, last, &snapshot.epoch).await;
    let rest = if seen.last().is_some_and(is_end) {
        Vec::new()
    } else {
        events_until_end(&mut again, last).await
    };
    assert_eq!(
        snapshot.steps.len() + steps_in(&seen) + steps_in(&rest),
        8,
        "every step exactly once"
    );
}
