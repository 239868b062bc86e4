//! The live connection over HTTP/2 (RFC 8441, extended CONNECT), as a browser opens it when the
//! page came over h2: a real h2 client (hyper) asks for `:protocol websocket` on `/ws`, and a
//! WebSocket client speaks over the stream it gets.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hyper::{ext::Protocol, Method, Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use livecheck::{auth, protocol::ServerMessage};
use tokio_tungstenite::{
    tungstenite::{protocol::Role, Message},
    WebSocketStream,
};

use crate::helpers::*;

type H2Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Opens `/ws` over an HTTP/2 connection (cleartext, prior knowledge) with extended CONNECT.
/// Returns the response's status, and the socket when the server accepted.
async fn connect_h2(app: &TestApp, cookie: Option<&str>) -> (StatusCode, Option<H2Ws>) {
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .handshake::<_, axum::body::Body>(TokioIo::new(tcp))
        .await
        .expect("an HTTP/2 connection");
    tokio::spawn(conn);
    // The server must have offered extended CONNECT in its SETTINGS before the request goes out.
    send.ready().await.unwrap();
    let mut request = Request::builder()
        .method(Method::CONNECT)
        .uri(format!("http://{}/ws", app.addr))
        .header("sec-websocket-version", "13")
        .extension(Protocol::from_static("websocket"));
    if let Some(token) = cookie {
        request = request.header("cookie", format!("{}={token}", auth::SESSION_COOKIE));
    }
    let response = send
        .send_request(request.body(axum::body::Body::empty()).unwrap())
        .await
        .expect("an answer to the CONNECT");
    let status = response.status();
    if status != StatusCode::OK {
        return (status, None);
    }
    let upgraded = hyper::upgrade::on(response).await.expect("the h2 stream");
    let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await;
    (status, Some(ws))
}

async fn next(ws: &mut H2Ws) -> ServerMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("no message within 10 s")
            .expect("the socket ended")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("a server message");
        }
    }
}

#[tokio::test]
async fn a_run_is_followed_to_its_end_over_http2() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (status, ws) = connect_h2(&app, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "RFC 8441 answers a plain 200");
    let mut ws = ws.unwrap();
    assert!(matches!(
        next(&mut ws).await,
        ServerMessage::ConnectionEstablished { .. }
    ));

    let run = app.start_test(&token, "demo", 30).await;
    let subscribe = serde_json::json!({ "type": "subscribe_test", "test_id": run.test_id });
    ws.send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    let ended = loop {
        let msg = next(&mut ws).await;
        if matches!(
            msg,
            ServerMessage::TestCompleted { .. } | ServerMessage::TestError { .. }
        ) {
            break msg;
        }
    };
    assert!(
        matches!(ended, ServerMessage::TestCompleted { ref test_id, .. } if *test_id == run.test_id),
        "{ended:?}"
    );
}

#[tokio::test]
async fn an_http2_upgrade_without_a_session_is_refused_with_401() {
    let app = spawn_app().await;
    let (status, ws) = connect_h2(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(ws.is_none());
}
