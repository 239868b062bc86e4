//! Unit tests of the wire format: the seed's message names, flat snake_case fields, which close codes
//! stop reconnecting, batches and resume fields, the kinds of bad client message, and folding events
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
fn batches_and_resume_fields_round_trip() {
    let msg: ServerMessage = serde_json::from_str(
        r#"{"type":"batch","messages":[{"type":"pong","server_time":1},{"type":"unsubscribed","test_id":"r"}]}"#,
    )
    .unwrap();
    assert!(matches!(msg, ServerMessage::Batch { ref messages } if messages.len() == 2));
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
