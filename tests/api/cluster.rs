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

/// The run events that come after `last`, each the next `seq`, until a `subscribed` with a snapshot
/// starts the run's stream over; returns those events and the snapshot.
async fn events_then_snapshot(ws: &mut Ws, mut last: u64) -> (Vec<ServerMessage>, RunSnapshot) {
    let mut events = Vec::new();
    loop {
        match next_msg(ws).await {
            ServerMessage::Subscribed {
                snapshot: Some(s), ..
            } => return (events, s),
            msg => {
                let seq = msg.run_event().expect("run events, then the snapshot").1;
                assert_eq!(seq, last + 1, "each event once, in order");
                last = seq;
                events.push(msg);
            }
        }
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

pub(crate) async fn two_nodes_with(
    configure: impl Fn(&mut Config) + Clone + 'static,
) -> (TestApp, TestApp) {
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

/// Joins the demo room on a new socket of `app`; returns it and the `room_joined` answer's counts.
async fn join_demo_room(app: &TestApp, cookie: &str) -> (Ws, u32, Vec<String>) {
    let mut ws = app.ws_with_cookie(cookie).await.unwrap();
    expect_hello(&mut ws).await;
    send_json(&mut ws, json!({ "type": "join_room", "room": DEMO_ROOM })).await;
    match next_msg(&mut ws).await {
        ServerMessage::RoomJoined {
            members_online,
            runs,
            ..
        } => (ws, members_online, runs),
        other => panic!("expected room_joined, got {other:?}"),
    }
}

/// The next presence count the socket hears, skipping other room messages.
async fn next_presence(ws: &mut Ws) -> u32 {
    loop {
        match next_msg(ws).await {
            ServerMessage::RoomPresence { members_online, .. } => return members_online,
            ServerMessage::RoomRunStarted { .. } => continue,
            other => panic!("expected room_presence, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn room_membership_counts_members_on_every_node_and_shows_other_nodes_runs() {
    let (a, b) = two_nodes().await;
    let on_a = a.login_demo().await;
    let on_b = b.login_demo().await;

    let (mut first, online, _) = join_demo_room(&a, &on_a).await;
    assert_eq!(online, 1);
    let (second, online, _) = join_demo_room(&b, &on_b).await;
    assert_eq!(online, 2, "B counts A's member too");
    assert_eq!(next_presence(&mut first).await, 2, "A hears of B's member");

    // A run in the room on A is listed to a member joining on B.
    let run = a
        .start_with(
            &on_a,
            &[("key", "demo"), ("delay_ms", "300"), ("room", DEMO_ROOM)],
        )
        .await;
    let (third, online, runs) = join_demo_room(&b, &on_b).await;
    assert_eq!(online, 3);
    assert!(
        runs.contains(&run.test_id),
        "{runs:?} lists {}",
        run.test_id
    );
    assert_eq!(next_presence(&mut first).await, 3);

    // Members leaving on B are counted out on A.
    drop(second);
    assert_eq!(next_presence(&mut first).await, 2);
    drop(third);
    assert_eq!(next_presence(&mut first).await, 1);
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
    let mut last = snapshot.seq + 2;
    b.child.kill().unwrap(); // SIGKILL
    b.child.wait().unwrap();
    // Events B sent before it died may still be read (each the next one); then the socket ends.
    while let Ok(msg) = next_or_end(&mut ws).await {
        let seq = msg.run_event().expect("only run events from B").1;
        assert_eq!(seq, last + 1);
        last = seq;
        seen.push(msg);
    }

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

#[tokio::test]
async fn when_redis_loses_a_live_run_it_gets_a_new_epoch_and_clients_a_snapshot() {
    let prefix = new_prefix();
    let p = prefix.clone();
    let (a, b) = two_nodes_with(move |c| c.redis_prefix = p.clone()).await;
    let token = a.login_demo().await;
    let run = a.start_test(&token, "demo", 300).await;
    let (mut ws, first) = watch_from_start(b.addr, &token, &run.test_id).await;
    let steps = |msg: &ServerMessage| match msg {
        ServerMessage::TestProgress(p) => p.step.is_some() as usize,
        _ => 0,
    };
    let (mut last, mut seen) = (first.seq, first.steps.len());
    while last < first.seq + 2 {
        let msg = next_msg(&mut ws).await;
        last = msg.run_event().unwrap().1;
        seen += steps(&msg);
    }

    // Redis loses everything it had of the run (as a restart without persistence would).
    let mut redis = redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = |what: &str| format!("{prefix}:{{run:{}}}:{what}", run.test_id);
    let _: () = redis::cmd("DEL")
        .arg(key("m"))
        .arg(key("s"))
        .query_async(&mut redis)
        .await
        .unwrap();

    // A's next event finds the run gone: the run starts over in a new epoch, and the client on B
    // gets its snapshot, with every step so far, after the events it already had.
    let (events, rebased) = events_then_snapshot(&mut ws, last).await;
    if let Some(msg) = events.last() {
        last = msg.run_event().unwrap().1;
    }
    seen += events.iter().map(steps).sum::<usize>();
    assert_ne!(rebased.epoch, first.epoch, "a new epoch");
    assert_eq!(rebased.seq, last);
    assert_eq!(rebased.steps.len(), seen);

    // Resuming across the loss gets a snapshot, never a partial replay; within the new epoch it
    // replays, on either node.
    let mut across = ws_to(b.addr, &token).await.unwrap();
    expect_hello(&mut across).await;
    match subscribe(&mut across, &run.test_id, Some((first.seq, &first.epoch))).await {
        ServerMessage::Subscribed {
            recovered: Some(false),
            snapshot: Some(s),
            ..
        } => assert_eq!(s.epoch, rebased.epoch),
        other => panic!("expected a snapshot, got {other:?}"),
    }
    resume_at(a.addr, &token, &run.test_id, rebased.seq, &rebased.epoch).await;

    // And the run ends on B with every step once.
    loop {
        let msg = next_msg(&mut ws).await;
        let seq = msg.run_event().expect("run events").1;
        assert_eq!(seq, last + 1);
        (last, seen) = (seq, seen + steps(&msg));
        if matches!(msg, ServerMessage::TestCompleted { .. }) {
            break;
        }
    }
    assert_eq!(seen, 8, "every step once");
}

#[tokio::test]
async fn watchers_on_other_nodes_hear_that_the_run_of_a_killed_node_was_interrupted() {
    let prefix = new_prefix();
    let p = prefix.clone();
    let a = spawn_app_with(move |c| {
        c.redis_url = Some(redis_url());
        c.redis_prefix = p;
        c.node_lease = crate::crash::LEASE;
    })
    .await;
    // The run executes on B, a process of its own (8 steps, 1.5 s apart); a client on A watches it.
    let mut b = process_node(&a, &prefix).await;
    let token = a.login_demo().await;
    let http = reqwest::Client::new();
    let run = crate::crash::call(
        &http,
        b.addr,
        &token,
        "start_test",
        &[("key", "demo"), ("delay_ms", "1500")],
    )
    .await;
    let (mut ws, first) = watch_from_start(a.addr, &token, &run.test_id).await;

    b.child.kill().unwrap(); // SIGKILL: B never says the run ended.
    b.child.wait().unwrap();

    // Once B's lease has run out, A marks the run interrupted and its watcher hears it: the run's
    // snapshot in a new epoch, then the event that ended it (for clients that wait for that alone).
    // (Before it, the events B sent before it died, each once.)
    let (_, snapshot) = events_then_snapshot(&mut ws, first.seq).await;
    assert_eq!(snapshot.status, RunStatus::Interrupted);
    assert_ne!(snapshot.epoch, first.epoch, "a new epoch");
    match next_msg(&mut ws).await {
        ServerMessage::TestError { test_id, error, .. } => {
            assert_eq!(test_id, run.test_id);
            assert!(error.contains("stopped"), "{error}");
        }
        other => panic!("expected test_error, got {other:?}"),
    }
}
