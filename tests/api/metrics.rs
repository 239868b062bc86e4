//! `/metrics` exposes the hub's counters in the Prometheus text format.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn metrics_count_connections_messages_and_errors() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    send_json(&mut ws, json!({ "type": "ping" })).await;
    next_msg(&mut ws).await;
    send_json(&mut ws, json!({ "type": "nope" })).await;
    next_msg(&mut ws).await;

    let body = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "livecheck_ws_connections",
        "livecheck_ws_messages_in_total{type=\"ping\"}",
        "livecheck_ws_errors_total{code=\"unknown_type\"}",
        "livecheck_ws_publish_to_send_seconds_bucket",
    ] {
        assert!(body.contains(name), "missing {name} in:\n{body}");
    }
}
