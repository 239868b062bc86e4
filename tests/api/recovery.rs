//! Resuming a run's stream with `since_seq`: with and without a gap, and from the event log once the run
//! is finished.

use livecheck::protocol::{RunSnapshot, RunStatus, ServerMessage};

use crate::helpers::*;

fn snapshot_of(msg: ServerMessage) -> RunSnapshot {
    match msg {
        ServerMessage::Subscribed {
            snapshot: Some(s), ..
        } => s,
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_that_drops_mid_run_resumes_without_losing_or_repeating_a_step() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let run = app.start_test(&token, "demo", 150).await;

    // First connection: read a few events, then vanish.
    let mut first = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut first).await;
    let snap = snapshot_of(subscribe(&mut first, &run.test_id, None).await);
    let mut seen = vec![];
    while seen.len() < 3 {
        let msg = next_msg(&mut first).await;
        seen.push(msg.run_event().unwrap().1);
    }
    let last = *seen.last().unwrap();
    assert_eq!(seen, ((snap.seq + 1)..=last).collect::<Vec<_>>());
    drop(first);

    // Time passes: the run moves on while nobody listens.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;

    let mut second = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut second).await;
    match subscribe(&mut second, &run.test_id, Some((last, &snap.epoch))).await {
        ServerMessage::Subscribed {
            recovered: Some(true),
            replayed: Some(n),
            snapshot: None,
            ..
        } => assert!(n >= 1, "the run went on, so something was missed"),
        other => panic!("expected recovered: true, got {other:?}"),
    }
    let events = events_until_end(&mut second, last).await;
    let mut state = snap;
    // Fold only the events after `last` into a snapshot that saw up to `last`: every step once.
    state.seq = last;
    for e in &events {
        state.apply(e);
    }
    assert_eq!(state.status, RunStatus::Completed);
    let indexes: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            ServerMessage::TestProgress(p) => p.step.as_ref().map(|s| s.index),
            _ => None,
        })
        .collect();
    let mut unique = indexes.clone();
    unique.dedup();
    assert_eq!(indexes, unique, "no step twice");
}

#[tokio::test]
async fn resuming_with_no_gap_replays_nothing_and_a_wrong_epoch_gets_a_snapshot() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let run = app.start_test(&token, "demo", 200).await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    let snap = snapshot_of(subscribe(&mut ws, &run.test_id, None).await);

    // Resuming at the current position on a second socket: nothing to replay.
    let mut other = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut other).await;
    let now = app.state.hub.live_snapshot(&run.test_id).unwrap();
    match subscribe(&mut other, &run.test_id, Some((now.seq, &now.epoch))).await {
        ServerMessage::Subscribed {
            recovered: Some(true),
            replayed: Some(replayed),
            ..
        } => assert!(replayed <= 1, "at most an event published in between"),
        other => panic!("expected recovered: true, got {other:?}"),
    }

    let mut stale = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut stale).await;
    match subscribe(&mut stale, &run.test_id, Some((1, "not-the-epoch"))).await {
        ServerMessage::Subscribed {
            recovered: Some(false),
            snapshot: Some(s),
            epoch,
            ..
        } => assert_eq!(epoch, snap.epoch, "{s:?}"),
        other => panic!("expected recovered: false, got {other:?}"),
    }
}

/// Runs the demo test to its end on a server over `dir`, then stops that server. Returns the run and
/// the events a subscriber saw live (empty if it finished before the subscription).
async fn finished_run_in(dir: &std::path::Path) -> (RunSnapshot, Vec<ServerMessage>) {
    let result = {
        let app = spawn_app_with(|c| c.data_dir = dir.to_path_buf()).await;
        let token = app.login_demo().await;
        let mut ws = app.ws_with_cookie(&token).await.unwrap();
        expect_hello(&mut ws).await;
        let run = app.start_test(&token, "demo", 0).await;
        let snap = snapshot_of(subscribe(&mut ws, &run.test_id, None).await);
        let mut live = vec![];
        if !snap.status.is_finished() {
            live = events_until_end(&mut ws, snap.seq).await;
        }
        (run, live)
    };
    // The server is gone (its shutdown sender was dropped); let it wind down.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    result
}

#[tokio::test]
async fn a_finished_run_resumes_from_the_event_log_also_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let (run, full) = finished_run_in(&dir).await;
    let run = run.test_id;
    // A new server opens the same data.
    let app = spawn_app_with(|c| c.data_dir = dir.clone()).await;
    let token = app.login_demo().await;
    let stored = app.state.store.run(&run).await.unwrap().unwrap().snapshot;
    assert_eq!(stored.status, RunStatus::Completed);

    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    match subscribe(&mut ws, &run, Some((3, &stored.epoch))).await {
        ServerMessage::Subscribed {
            recovered: Some(true),
            replayed: Some(n),
            ..
        } => assert_eq!(n, stored.seq - 3),
        other => panic!("expected recovered: true, got {other:?}"),
    }
    let replayed = events_until_end(&mut ws, 3).await;
    assert!(matches!(
        replayed.last(),
        Some(ServerMessage::TestCompleted { .. })
    ));
    if !full.is_empty() {
        // The replay is the very same events the live subscriber saw (which subscribed at some
        // point of the run, maybe after `seq` 3: compare where both have them).
        let seq = |e: &ServerMessage| e.run_event().unwrap().1;
        let from = seq(&full[0]).max(4);
        let live: Vec<_> = full.iter().filter(|e| seq(e) >= from).collect();
        let again: Vec<_> = replayed.iter().filter(|e| seq(e) >= from).collect();
        assert!(!live.is_empty());
        assert_eq!(live, again);
    }
    drop(data);
}

#[tokio::test]
async fn a_run_cut_off_by_a_crash_is_marked_interrupted_with_a_new_epoch() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    // What a crashed server leaves behind: a run row still `running`, with its events logged.
    let (run, _) = finished_run_in(&dir).await;
    let (run_id, old_epoch) = (run.test_id, run.epoch);
    let store = store_for(&dir).await;
    let mut crashed = store.run(&run_id).await.unwrap().unwrap();
    crashed.snapshot.status = RunStatus::Running;
    crashed.snapshot.seq = 2;
    crashed.snapshot.steps.clear();
    crashed.snapshot.finished_at = None;
    store.save_snapshot(&crashed.snapshot).await.unwrap();
    drop(store);

    // The next start marks it (at once if the old process left the list of nodes as it stopped,
    // else once its lease ran out).
    let app = spawn_app_with(|c| {
        c.data_dir = dir.clone();
        c.node_lease = std::time::Duration::from_secs(2);
    })
    .await;
    let started = std::time::Instant::now();
    let after = loop {
        let snap = app
            .state
            .store
            .run(&run_id)
            .await
            .unwrap()
            .unwrap()
            .snapshot;
        if snap.status == RunStatus::Interrupted {
            break snap;
        }
        assert!(started.elapsed().as_secs() < 10, "never marked: {snap:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_ne!(
        after.epoch, old_epoch,
        "a new epoch: old resume points must not match"
    );
    assert!(after
        .error
        .as_deref()
        .unwrap_or("")
        .contains("server stopped"));
    // Rebuilt from the event log: every step that was logged is in the snapshot.
    assert_eq!(after.steps.len(), 8);

    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    match subscribe(&mut ws, &run_id, Some((5, &old_epoch))).await {
        ServerMessage::Subscribed {
            recovered: Some(false),
            snapshot: Some(s),
            ..
        } => assert_eq!(s.status, RunStatus::Interrupted),
        other => panic!("expected recovered: false, got {other:?}"),
    }
}
