//! Unit tests of the wire format: the seed's message names, flat snake_case fields, which close codes
//! stop reconnecting, resume fields, the kinds of bad client message, and folding events
//! into a snapshot.

use super::*;

#[test]
fn client_messages_use_the_seed_names() {
    let msg = parse_client_message(r#"{"type":"subscribe_test","test_id":"r1"}"#).unwrap();
    assert_eq!(
        msg,
        ClientMessage::SubscribeTest {
            test_id: "r1".into(),
            since_seq: None,
            epoch: None,
        }
    );
    let ping = serde_json::to_string(&ClientMessage::Ping { timestamp: Some(5) }).unwrap();
    assert_eq!(ping, r#"{"type":"ping","timestamp":5}"#);
}

#[test]
fn progress_is_flat_and_snake_case() {
    let msg = ServerMessage::TestProgress(TestProgress {
        test_id: "r1".into(),
        seq: 3,
        epoch: "e".into(),
        progress: 37,
        current_step: 3,
        total_steps: 8,
        message: "3/8 — GET /demo/items".into(),
        step: None,
        load: None,
        timestamp: 1,
    });
    let v: serde_json::Value = serde_json::to_value(&msg).unwrap();
    assert_eq!(v["type"], "test_progress");
    assert_eq!(v["test_id"], "r1");
    assert_eq!(v["progress"], 37);
    assert_eq!(v["current_step"], 3);
    assert_eq!(v["total_steps"], 8);
    let back: ServerMessage = serde_json::from_value(v).unwrap();
    assert_eq!(back, msg);
}

#[test]
fn only_auth_close_codes_stop_reconnecting() {
    use close_code::*;
    for code in [
        GOING_AWAY,
        MESSAGE_TOO_BIG,
        SERVICE_RESTART,
        HEARTBEAT_TIMEOUT,
        SLOW_CONSUMER,
        FLOOD,
        1006,
    ] {
        assert!(should_reconnect(code), "{code}");
    }
    for code in [UNAUTHORIZED, TOKEN_EXPIRED] {
        assert!(!should_reconnect(code), "{code}");
    }
}

#[test]
fn resume_fields_round_trip() {
    let resume = parse_client_message(
        r#"{"type":"subscribe_test","test_id":"r","since_seq":7,"epoch":"e1"}"#,
    )
    .unwrap();
    assert_eq!(
        resume,
        ClientMessage::SubscribeTest {
            test_id: "r".into(),
            since_seq: Some(7),
            epoch: Some("e1".into())
        }
    );
}

#[test]
fn bad_input_is_classified() {
    assert_eq!(
        parse_client_message("{nope").unwrap_err().0,
        ErrorCode::MalformedMessage
    );
    assert_eq!(
        parse_client_message("[1,2]").unwrap_err().0,
        ErrorCode::MalformedMessage
    );
    assert_eq!(
        parse_client_message(r#"{"type":"launch_rockets"}"#)
            .unwrap_err()
            .0,
        ErrorCode::UnknownType
    );
    assert_eq!(
        parse_client_message(r#"{"type":"subscribe_test"}"#)
            .unwrap_err()
            .0,
        ErrorCode::InvalidMessage
    );
}

#[test]
fn snapshot_ignores_duplicates_and_other_runs() {
    let mut snap = RunSnapshot::queued("r1".into(), "e".into(), "Demo".into(), 2);
    let step = |seq, n| {
        ServerMessage::TestProgress(TestProgress {
            test_id: "r1".into(),
            seq,
            epoch: "e".into(),
            progress: 50,
            current_step: n,
            total_steps: 2,
            message: String::new(),
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
            timestamp: 0,
        })
    };
    snap.apply(&step(1, 1));
    snap.apply(&step(1, 1));
    let mut other = step(2, 2);
    if let ServerMessage::TestProgress(p) = &mut other {
        p.test_id = "r2".into();
    }
    snap.apply(&other);
    assert_eq!(snap.seq, 1);
    assert_eq!(snap.steps.len(), 1);
}

/// One message of every kind, with the nested types filled in.
fn one_of_each() -> Vec<ServerMessage> {
    let step = StepResult {
        index: 1,
        name: "GET /".into(),
        passed: false,
        status: Some(500),
        duration_ms: 3,
        error: Some("boom".into()),
        captured: [("id".to_owned(), "7".to_owned())].into(),
        checks: vec![CheckOutcome {
            check: "status == 200".into(),
            passed: false,
            detail: Some("got 500".into()),
        }],
    };
    let results = RunResults {
        passed: 1,
        failed: 1,
        duration_ms: 9,
        steps: vec![step.clone()],
        load: Some(LoadSummary::default()),
    };
    let mut snapshot = RunSnapshot::queued("r".into(), "e".into(), "Demo".into(), 2);
    snapshot.steps.push(step.clone());
    snapshot.load_summary = Some(Box::new(LoadSummary::default()));
    let (test_id, epoch) = ("r".to_owned(), "e".to_owned());
    vec![
        ServerMessage::ConnectionEstablished {
            connection_id: 1,
            user_id: -2,
            username: "demo".into(),
            server_time: 3,
            heartbeat_interval_ms: 4,
            expires_at: 5,
        },
        ServerMessage::Subscribed {
            test_id: test_id.clone(),
            epoch: epoch.clone(),
            recovered: Some(false),
            replayed: None,
            snapshot: Some(snapshot),
        },
        ServerMessage::Unsubscribed {
            test_id: test_id.clone(),
        },
        ServerMessage::TestProgress(TestProgress {
            test_id: test_id.clone(),
            seq: 1,
            epoch: epoch.clone(),
            progress: 50,
            current_step: 1,
            total_steps: 2,
            message: "1/2 — GET /".into(),
            step: Some(step),
            load: None,
            timestamp: 6,
        }),
        ServerMessage::TestStatusUpdate {
            test_id: test_id.clone(),
            seq: 2,
            epoch: epoch.clone(),
            status: RunStatus::Running,
            timestamp: 7,
        },
        ServerMessage::TestCompleted {
            test_id: test_id.clone(),
            seq: 3,
            epoch: epoch.clone(),
            success: false,
            results,
            timestamp: 8,
        },
        ServerMessage::TestError {
            test_id: test_id.clone(),
            seq: 4,
            epoch,
            error: "unreachable".into(),
            timestamp: 9,
        },
        ServerMessage::RoomJoined {
            room: "qa".into(),
            members_online: 2,
            runs: vec![test_id.clone()],
        },
        ServerMessage::RoomLeft { room: "qa".into() },
        ServerMessage::RoomPresence {
            room: "qa".into(),
            members_online: 1,
        },
        ServerMessage::RoomRunStarted {
            room: "qa".into(),
            test_id,
            name: "Demo".into(),
            started_by: "demo".into(),
        },
        ServerMessage::Pong {
            timestamp: None,
            server_time: 10,
        },
        ServerMessage::TokenRefreshed { expires_at: 11 },
        ServerMessage::Error {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
        },
    ]
}

#[test]
fn from_json_reads_every_message_as_the_derived_reader_does() {
    let all = one_of_each();
    // Adding a variant breaks this match: add it to `one_of_each` and to decode.rs.
    let mut kinds: Vec<&str> = all
        .iter()
        .map(|m| match m {
            ServerMessage::ConnectionEstablished { .. } => "connection_established",
            ServerMessage::Subscribed { .. } => "subscribed",
            ServerMessage::Unsubscribed { .. } => "unsubscribed",
            ServerMessage::TestProgress(_) => "test_progress",
            ServerMessage::TestStatusUpdate { .. } => "test_status_update",
            ServerMessage::TestCompleted { .. } => "test_completed",
            ServerMessage::TestError { .. } => "test_error",
            ServerMessage::RoomJoined { .. } => "room_joined",
            ServerMessage::RoomLeft { .. } => "room_left",
            ServerMessage::RoomPresence { .. } => "room_presence",
            ServerMessage::RoomRunStarted { .. } => "room_run_started",
            ServerMessage::Pong { .. } => "pong",
            ServerMessage::TokenRefreshed { .. } => "token_refreshed",
            ServerMessage::Error { .. } => "error",
        })
        .collect();
    kinds.dedup();
    assert_eq!(kinds.len(), 14);
    for msg in &all {
        let text = serde_json::to_string(msg).unwrap();
        let derived: ServerMessage = serde_json::from_str(&text).unwrap();
        assert_eq!(&derived, msg);
        assert_eq!(&ServerMessage::from_json(&text).unwrap(), msg, "{text}");
        // Field order does not matter (the `type` last), nor do fields it does not know.
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let kind = v.as_object_mut().unwrap().remove("type").unwrap();
        v["added_later"] = serde_json::json!({ "x": [1, 2] });
        v["type"] = kind;
        let moved = serde_json::to_string(&v).unwrap();
        assert_eq!(&ServerMessage::from_json(&moved).unwrap(), msg, "{moved}");
    }
}

#[test]
fn from_json_refuses_what_the_derived_reader_refuses() {
    for bad in [
        "",
        "{nope",
        "[1]",
        r#"{"no_type":1}"#,
        r#"{"type":7}"#,
        r#"{"type":"launch_rockets"}"#,
        r#"{"type":"pong"}"#,
        r#"{"type":"pong","server_time":"soon"}"#,
        r#"{"type":"batch","messages":[{"type":"pong","server_time":1}]}"#,
    ] {
        assert!(serde_json::from_str::<ServerMessage>(bad).is_err(), "{bad}");
        assert!(ServerMessage::from_json(bad).is_err(), "{bad}");
    }
    let err = ServerMessage::from_json(r#"{"type":"launch_rockets"}"#).unwrap_err();
    assert!(err.to_string().contains("launch_rockets"), "{err}");
}
