//! Unit tests of the hub alone (no sockets, no store): fan-out in order after the snapshot, replay or
//! snapshot on resume, an overflowing subscriber dropped while the others go on, rooms.

use super::*;
use crate::protocol::{event::percent, RunStatus, StepResult};

/// A finished step: never coalesced, so every one reaches every subscriber.
fn progress(n: u32) -> RunEvent {
    RunEvent::Progress {
        done_steps: n,
        current_step: n,
        total_steps: 4,
        message: format!("{n}/4"),
        step: Some(StepResult {
            index: n,
            name: "GET /".into(),
            passed: true,
            status: Some(200),
            duration_ms: 1,
            error: None,
            captured: Default::default(),
            checks: Vec::new(),
        }),
        load: None,
    }
}

fn hub_with_run(buffer: usize) -> Hub {
    let hub = Hub::new(
        HubSettings {
            replay_buffer: buffer,
        },
        None,
        None,
    );
    hub.open_run(
        RunAccess {
            owner: 1,
            room: None,
        },
        RunSnapshot::queued("r".into(), "e1".into(), "T".into(), 4),
    );
    hub
}

async fn messages(outbox: &Outbox) -> Vec<ServerMessage> {
    let Wake::Send(items) = outbox.next().await else {
        panic!("expected messages");
    };
    items
        .iter()
        .map(|i| serde_json::from_str(i.bytes.as_str()).unwrap())
        .collect()
}

#[test]
fn percent_is_clamped() {
    assert_eq!(percent(3, 8), 37);
    assert_eq!(percent(9, 8), 100);
    assert_eq!(percent(1, 0), 0);
}

#[tokio::test]
async fn events_fan_out_in_order_after_the_snapshot() {
    let hub = hub_with_run(16);
    let a = Outbox::new(1 << 20);
    let b = Outbox::new(1 << 20);
    assert_eq!(
        hub.subscribe(1, "r", None, &a),
        Some(Subscription::Snapshot)
    );
    hub.publish("r", progress(1));
    assert_eq!(
        hub.subscribe(2, "r", None, &b),
        Some(Subscription::Snapshot)
    );
    hub.publish("r", progress(2));

    let got_a = messages(&a).await;
    assert!(matches!(&got_a[0], ServerMessage::Subscribed { snapshot: Some(s), .. } if s.seq == 0));
    let seqs: Vec<u64> = got_a[1..]
        .iter()
        .map(|m| m.run_event().unwrap().1)
        .collect();
    assert_eq!(seqs, [1, 2]);
    let got_b = messages(&b).await;
    assert!(matches!(&got_b[0], ServerMessage::Subscribed { snapshot: Some(s), .. } if s.seq == 1));
    assert_eq!(got_b[1].run_event().unwrap().1, 2);
}

#[tokio::test]
async fn resume_replays_exactly_the_gap_or_falls_back_to_a_snapshot() {
    let hub = hub_with_run(3);
    for n in 1..=5 {
        hub.publish("r", progress(n));
    }
    // Events 3, 4, 5 are buffered: resuming after 2 replays them.
    let ok = Outbox::new(1 << 20);
    assert_eq!(
        hub.subscribe(1, "r", Some((2, "e1")), &ok),
        Some(Subscription::Recovered)
    );
    let got = messages(&ok).await;
    assert!(matches!(
        &got[0],
        ServerMessage::Subscribed {
            recovered: Some(true),
            replayed: Some(3),
            ..
        }
    ));
    let seqs: Vec<u64> = got[1..].iter().map(|m| m.run_event().unwrap().1).collect();
    assert_eq!(seqs, [3, 4, 5]);

    // Event 2 is gone, another epoch, or a seq from the future: a snapshot, never part of a gap.
    for resume in [(1, "e1"), (4, "other"), (9, "e1")] {
        let out = Outbox::new(1 << 20);
        assert_eq!(
            hub.subscribe(2, "r", Some(resume), &out),
            Some(Subscription::NotRecovered)
        );
        let got = messages(&out).await;
        assert_eq!(got.len(), 1);
        assert!(
            matches!(&got[0], ServerMessage::Subscribed { recovered: Some(false), snapshot: Some(s), .. } if s.seq == 5)
        );
    }
    assert_eq!(hub.subscribe(3, "nope", None, &ok), None);
}

#[test]
fn an_overflowing_subscriber_is_dropped_and_the_others_keep_going() {
    let hub = hub_with_run(16);
    let tiny = Outbox::new(1);
    let roomy = Outbox::new(1 << 20);
    hub.subscribe(1, "r", None, &tiny);
    hub.subscribe(2, "r", None, &roomy);
    hub.publish("r", progress(1));
    hub.publish("r", RunEvent::Status(RunStatus::Running));
    assert!(tiny.overflowed());
    assert_eq!(hub.subscriber_count("r"), 1);
}

#[tokio::test]
async fn rooms_count_members_and_hear_about_runs() {
    let hub = hub_with_run(16);
    let a = Outbox::new(1 << 20);
    let b = Outbox::new(1 << 20);
    assert_eq!(hub.join_room(1, "qa", &a).await.0, 1);
    assert_eq!(hub.join_room(2, "qa", &b).await.0, 2);
    let got = messages(&a).await;
    assert!(matches!(
        &got[0],
        ServerMessage::RoomPresence {
            members_online: 2,
            ..
        }
    ));
    assert!(hub.leave_room(2, "qa"));
    assert!(!hub.leave_room(2, "qa"));
    assert!(matches!(
        &messages(&a).await[0],
        ServerMessage::RoomPresence {
            members_online: 1,
            ..
        }
    ));
    hub.leave_room(1, "qa");
    assert_eq!(hub.sizes().1, 0);
}
