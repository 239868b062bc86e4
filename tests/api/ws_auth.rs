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
