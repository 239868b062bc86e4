//! The upgrade at `/ws` is refused with 401 unless a valid session token comes with it.

use livecheck::auth::{Claims, Keys};
use tokio_tungstenite::tungstenite;

use crate::helpers::*;

fn assert_unauthorized(result: Result<Ws, tungstenite::Error>) {
    match result {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        Err(other) => panic!("expected an HTTP 401, got error {other}"),
        Ok(_) => panic!("expected an HTTP 401, but the upgrade succeeded"),
    }
}

#[tokio::test]
async fn upgrade_without_a_token_is_refused_with_401() {
    let app = spawn_app().await;
    assert_unauthorized(app.ws_with_query(None).await);
}

#[tokio::test]
async fn upgrade_with_a_bad_token_is_refused_with_401() {
    let app = spawn_app().await;
    assert_unauthorized(app.ws_with_query(Some("not.a.jwt")).await);
    assert_unauthorized(app.ws_with_cookie("not.a.jwt").await);

    // Signed with another key.
    let forged = Keys::new(b"some-other-secret-0123456789abcdef", 60)
        .issue(1, "demo", 0)
        .unwrap();
    assert_unauthorized(app.ws_with_query(Some(&forged)).await);

    // Correct key, but expired a minute ago.
    let now = livecheck::clock::now_ms() / 1000;
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &Claims {
            sub: "1".into(),
            name: "demo".into(),
            ver: 0,
            iat: now - 120,
            exp: now - 60,
        },
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_unauthorized(app.ws_with_query(Some(&expired)).await);

    // Correct claims, but `alg: none` and no signature.
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    let unsigned = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&format!(
            r#"{{"sub":"1","name":"demo","iat":{now},"exp":{}}}"#,
            now + 600
        ))
    );
    assert_unauthorized(app.ws_with_query(Some(&unsigned)).await);
}

#[tokio::test]
async fn a_token_from_login_opens_the_socket_by_cookie_or_query() {
    let app = spawn_app().await;
    let token = app.login_demo().await;

    let mut by_cookie = app.ws_with_cookie(&token).await.expect("cookie upgrade");
    let hello = expect_hello(&mut by_cookie).await;
    let livecheck::protocol::ServerMessage::ConnectionEstablished { username, .. } = hello else {
        unreachable!()
    };
    assert_eq!(username, DEMO_USER);

    let mut by_query = app
        .ws_with_query(Some(&token))
        .await
        .expect("query upgrade");
    expect_hello(&mut by_query).await;
}

#[tokio::test]
async fn a_request_that_is_no_upgrade_is_refused_with_a_clear_status() {
    let app = spawn_app().await;
    let token = app.login_demo().await;

    // A plain page request (a browser tab opened on /ws): 426, and why.
    let plain = app
        .http
        .get(app.url("/ws"))
        .query(&[("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 426);
    let body: serde_json::Value = plain.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("WebSocket"),
        "{body}"
    );

    // Another method: 405.
    let post = app.http.post(app.url("/ws")).send().await.unwrap();
    assert_eq!(post.status(), 405);

    // An upgrade of another WebSocket version: 400.
    let old = app
        .http
        .get(app.url("/ws"))
        .query(&[("token", &token)])
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "8")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 400);
}
