//! Bad input on an open socket gets an `error` message with a stable code; the connection stays open.

use livecheck::protocol::{ErrorCode, ServerMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::{protocol::frame::coding::CloseCode, Message};

use crate::helpers::*;

async fn expect_error(ws: &mut Ws, want: ErrorCode) {
    match next_msg(ws).await {
        ServerMessage::Error { code, message } => {
            assert_eq!(code, want, "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("expected an error {want:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_messages_get_errors_and_the_connection_stays_open() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;

    ws.send(Message::text("{not json")).await.unwrap();
    expect_error(&mut ws, ErrorCode::MalformedMessage).await;

    ws.send(Message::text("[1, 2, 3]")).await.unwrap();
    expect_error(&mut ws, ErrorCode::MalformedMessage).await;

    send_json(&mut ws, json!({ "type": "launch_rockets" })).await;
    expect_error(&mut ws, ErrorCode::UnknownType).await;

    send_json(&mut ws, json!({ "type": "subscribe_test" })).await;
    expect_error(&mut ws, ErrorCode::InvalidMessage).await;

    send_json(&mut ws, json!({ "type": "subscribe_test", "test_id": 42 })).await;
    expect_error(&mut ws, ErrorCode::InvalidMessage).await;

    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    expect_error(&mut ws, ErrorCode::MalformedMessage).await;

    send_json(
        &mut ws,
        json!({ "type": "subscribe_test", "test_id": "no-such-run" }),
    )
    .await;
    expect_error(&mut ws, ErrorCode::NotFound).await;

    // Still open and answering.
    send_json(&mut ws, json!({ "type": "ping", "timestamp": 1234 })).await;
    match next_msg(&mut ws).await {
        ServerMessage::Pong { timestamp, .. } => assert_eq!(timestamp, Some(1234)),
        other => panic!("expected pong, got {other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_message_closes_only_that_connection_with_1009() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut other = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut other).await;

    // Just over the limit, and far over it: either way the client reads the close frame and its
    // code, rather than a reset connection (the server reads and discards what is still coming).
    for size in [100 * 1024, 20 * 1024 * 1024] {
        let mut big = app.ws_with_cookie(&token).await.unwrap();
        expect_hello(&mut big).await;
        let huge = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(size));
        let sent = big.send(Message::text(huge)).await;
        assert!(sent.is_ok(), "sending {size} B: {sent:?}");
        assert_eq!(
            close_code_of(&mut big).await,
            Some(CloseCode::Size),
            "{size} B"
        );
    }

    send_json(&mut other, json!({ "type": "ping" })).await;
    assert!(matches!(
        next_msg(&mut other).await,
        ServerMessage::Pong { .. }
    ));
}

#[tokio::test]
async fn a_closed_connection_leaves_no_subscription_or_room_behind() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let run = app.start_test(&token, "demo", 500).await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    send_json(
        &mut ws,
        json!({ "type": "subscribe_test", "test_id": run.test_id }),
    )
    .await;
    next_msg(&mut ws).await;
    send_json(&mut ws, json!({ "type": "join_room", "room": "demo-team" })).await;
    loop {
        if let ServerMessage::RoomJoined { .. } = next_msg(&mut ws).await {
            break;
        }
    }
    assert_eq!(app.state.hub.subscriber_count(&run.test_id), 1);
    assert_eq!(app.state.hub.sizes().1, 1);

    drop(ws);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.state.hub.subscriber_count(&run.test_id) > 0 || app.state.hub.sizes().1 > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "cleanup did not happen"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Reads until the server's close frame and returns its code (10 s at most).
async fn close_code_of(ws: &mut Ws) -> Option<CloseCode> {
    loop {
        match tokio::time::timeout(
            std::time::Duration::from_secs(10),
            futures::StreamExt::next(&mut ws.raw),
        )
        .await
        .expect("the server should close the socket")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_closes_with_1007_and_says_why() {
    use tokio_tungstenite::tungstenite::protocol::frame::{coding::Data, coding::OpCode, Frame};
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    let bad = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(bad)).await.unwrap();
    assert_eq!(close_code_of(&mut ws).await, Some(CloseCode::Invalid));

    // Others are not affected.
    let mut other = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut other).await;
    send_json(&mut other, json!({ "type": "ping" })).await;
    assert!(matches!(
        next_msg(&mut other).await,
        ServerMessage::Pong { .. }
    ));
}

#[tokio::test]
async fn an_unmasked_frame_from_a_client_closes_with_1002() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    // A text frame `hi` without the mask a client must set (RFC 6455 5.1), written under the
    // client library, which always masks.
    let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = ws.raw.get_mut() else {
        panic!("a plain TCP socket");
    };
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    assert_eq!(close_code_of(&mut ws).await, Some(CloseCode::Protocol));
}
