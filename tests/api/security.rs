//! Connection-level defences: Origin, the bearer subprotocol, token refresh and expiry, message floods,
//! the heartbeat, and slow consumers.

use std::time::Duration;

use livecheck::protocol::{close_code, ErrorCode, ServerMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::helpers::*;

fn token_for(user_id: i64, name: &str, secs: i64) -> String {
    let now = livecheck::clock::now_ms() as i64 / 1000;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &livecheck::auth::Claims {
            sub: user_id.to_string(),
            name: name.into(),
            ver: 0,
            iat: now as u64,
            exp: (now + secs) as u64,
        },
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn a_foreign_origin_is_refused_and_the_own_origin_accepted() {
    let app = spawn_app_with(|c| c.allowed_origins = vec!["https://partner.example".into()]).await;
    let token = app.login_demo().await;
    let cookie = ("cookie", format!("livecheck_session={token}"));

    match app
        .ws_with_headers(&[cookie.clone(), ("origin", "https://evil.example".into())])
        .await
    {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    let own = format!("http://{}", app.addr);
    let (mut ws, _) = app
        .ws_with_headers(&[cookie.clone(), ("origin", own)])
        .await
        .expect("same-origin upgrade");
    expect_hello(&mut ws).await;
    let (mut ws, _) = app
        .ws_with_headers(&[cookie, ("origin", "https://partner.example".into())])
        .await
        .expect("allowed origin");
    expect_hello(&mut ws).await;
}

#[tokio::test]
async fn a_bearer_subprotocol_authenticates_non_browser_clients() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let offer = (
        "sec-websocket-protocol",
        format!("livecheck.v1, bearer.{token}"),
    );
    let (mut ws, res) = app.ws_with_headers(&[offer]).await.expect("upgrade");
    assert_eq!(res.headers()["sec-websocket-protocol"], "livecheck.v1");
    expect_hello(&mut ws).await;

    let forged = (
        "sec-websocket-protocol",
        "livecheck.v1, bearer.not-a-token".to_owned(),
    );
    match app.ws_with_headers(&[forged]).await {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn an_expiring_token_closes_with_4003_unless_refreshed() {
    let app = spawn_app().await;
    app.login_demo().await;
    let short = token_for(1, "demo", 2);

    let mut expiring = app.ws_with_query(Some(&short)).await.unwrap();
    expect_hello(&mut expiring).await;
    let mut refreshed = app.ws_with_query(Some(&short)).await.unwrap();
    expect_hello(&mut refreshed).await;

    // Another user's token or garbage is refused and changes nothing.
    send_json(
        &mut refreshed,
        json!({ "type": "refresh_token", "token": token_for(2, "x", 60) }),
    )
    .await;
    assert!(matches!(
        next_msg(&mut refreshed).await,
        ServerMessage::Error {
            code: ErrorCode::InvalidToken,
            ..
        }
    ));
    let longer = token_for(1, "demo", 60);
    send_json(
        &mut refreshed,
        json!({ "type": "refresh_token", "token": longer }),
    )
    .await;
    match next_msg(&mut refreshed).await {
        ServerMessage::TokenRefreshed { expires_at } => {
            assert!(expires_at > livecheck::clock::now_ms() / 1000 + 30)
        }
        other => panic!("expected token_refreshed, got {other:?}"),
    }

    assert_eq!(
        close_code(&mut expiring).await,
        Some(close_code::TOKEN_EXPIRED)
    );
    // The refreshed connection outlived the first token.
    send_json(&mut refreshed, json!({ "type": "ping" })).await;
    assert!(matches!(
        next_msg(&mut refreshed).await,
        ServerMessage::Pong { .. }
    ));
}

#[tokio::test]
async fn a_flood_is_refused_then_closed_with_4029_and_others_are_unaffected() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut flood = app.ws_with_cookie(&token).await.unwrap();
    let mut calm = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut flood).await;
    expect_hello(&mut calm).await;

    for _ in 0..200 {
        if flood
            .send(Message::text(r#"{"type":"ping"}"#))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut pongs = 0;
    let mut limited = 0;
    let code = loop {
        match tokio::time::timeout(
            Duration::from_secs(10),
            futures::StreamExt::next(&mut flood.raw),
        )
        .await
        .expect("the server should answer")
        {
            Some(Ok(Message::Text(t))) => match serde_json::from_str(&t).unwrap() {
                ServerMessage::Pong { .. } => pongs += 1,
                ServerMessage::Error {
                    code: ErrorCode::RateLimited,
                    ..
                } => limited += 1,
                other => panic!("unexpected {other:?}"),
            },
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    assert_eq!(code, Some(close_code::FLOOD));
    assert!(
        (40..200).contains(&pongs),
        "the burst is served, the rest is not: {pongs}"
    );
    assert_eq!(limited, 1, "the client hears about the limit once");

    send_json(&mut calm, json!({ "type": "ping" })).await;
    assert!(matches!(
        next_msg(&mut calm).await,
        ServerMessage::Pong { .. }
    ));
}

#[tokio::test]
async fn a_client_that_stops_answering_pings_is_closed_with_4002() {
    let app =
        spawn_app_with(|c| c.connection.heartbeat_interval = Duration::from_millis(200)).await;
    let token = app.login_demo().await;
    let mut silent = app.ws_with_cookie(&token).await.unwrap();
    // Not reading means tungstenite never answers the pings.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        close_code(&mut silent).await,
        Some(close_code::HEARTBEAT_TIMEOUT)
    );

    // A client that reads (and so answers) stays.
    let mut alive = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut alive).await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1_000);
    while tokio::time::Instant::now() < deadline {
        let _ = tokio::time::timeout(
            Duration::from_millis(50),
            futures::StreamExt::next(&mut alive.raw),
        )
        .await;
    }
    send_json(&mut alive, json!({ "type": "ping" })).await;
    assert!(matches!(
        next_msg(&mut alive).await,
        ServerMessage::Pong { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_closed_with_4008_without_slowing_the_others() {
    let app = spawn_app_with(|c| c.connection.outbox_max_bytes = 256 * 1024).await;
    let token = app.login_demo().await;
    let run = app
        .start_with(
            &token,
            &[
                ("key", "synthetic"),
                ("events", "20000"),
                ("rate", "10000"),
                ("step_results", "true"),
            ],
        )
        .await;

    let mut slow = app.ws_slow_reader(&token).await;
    let mut fast = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut slow).await;
    expect_hello(&mut fast).await;
    for ws in [&mut slow, &mut fast] {
        send_json(
            ws,
            json!({ "type": "subscribe_test", "test_id": run.test_id }),
        )
        .await;
    }
    // The fast reader gets every event, in order, to the end.
    let snap = match next_msg(&mut fast).await {
        ServerMessage::Subscribed {
            snapshot: Some(s), ..
        } => s,
        other => panic!("expected subscribed, got {other:?}"),
    };
    let events = events_until_end(&mut fast, snap.seq).await;
    assert!(matches!(
        events.last(),
        Some(ServerMessage::TestCompleted { .. })
    ));

    // The slow one (which never read while 20 000 step results, ~6 MB, were published: far more than
    // its small socket buffers and 256 KiB outbox hold) was cut off.
    assert_eq!(close_code(&mut slow).await, Some(close_code::SLOW_CONSUMER));
}

#[tokio::test]
async fn pages_that_say_no_such_thing_or_not_for_you_answer_with_that_status() {
    let app = spawn_app().await;
    app.create_user("mia", "mia-password").await;
    let demo = app.login_demo().await;
    let mia = app.login("mia", "mia-password").await;
    for (token, path, status, says) in [
        (&demo, "/tests/demo", 200, "Demo"),
        (&demo, "/tests/nope", 404, "No such test."),
        (&demo, "/runs/nope", 404, "livecheck"),
        (&demo, "/admin", 200, "Users"),
        (&mia, "/admin", 403, "you are not allowed to do that"),
    ] {
        let (got, html) = app.page(token, path).await;
        assert_eq!(got, status, "{path}");
        assert!(html.contains(says), "{path}: {says}");
    }
}
