//! The built-in demo target: a tiny, stateless items API at `/demo/…` that the demo tests call, so the
//! app works with no other set-up. Every endpoint takes `?delay_ms=N` (at most 5 000) to answer slowly,
//! which makes progress visible.

use std::time::Duration;

use axum::{
    extract::{Path, Query},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::AppState;

/// Upper bound of `delay_ms`, so nobody can park requests on the server for long.
const MAX_DELAY_MS: u64 = crate::protocol::api::MAX_DELAY_MS as u64;

#[derive(Deserialize)]
struct Delay {
    #[serde(default)]
    delay_ms: u64,
}

impl Delay {
    async fn wait(&self) {
        let ms = self.delay_ms.min(MAX_DELAY_MS);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/items", get(list).post(create))
        .route("/items/{id}", get(read).put(update).delete(remove))
}

async fn health(Query(d): Query<Delay>) -> Json<Value> {
    d.wait().await;
    Json(json!({ "status": "ok" }))
}

async fn list(Query(d): Query<Delay>) -> Json<Value> {
    d.wait().await;
    Json(json!([{ "id": 1, "name": "widget" }, { "id": 2, "name": "gizmo" }]))
}

async fn create(Query(d): Query<Delay>, body: Option<Json<Value>>) -> Response {
    d.wait().await;
    let name = item_name(body.as_ref());
    (StatusCode::CREATED, Json(json!({ "id": 1, "name": name }))).into_response()
}

async fn read(Query(d): Query<Delay>, Path(id): Path<u64>) -> Response {
    d.wait().await;
    match id {
        1 | 2 => Json(json!({ "id": id, "name": "widget" })).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such item" })),
        )
            .into_response(),
    }
}

async fn update(
    Query(d): Query<Delay>,
    Path(id): Path<u64>,
    body: Option<Json<Value>>,
) -> Response {
    d.wait().await;
    let name = item_name(body.as_ref());
    Json(json!({ "id": id, "name": name })).into_response()
}

async fn remove(Query(d): Query<Delay>, Path(_id): Path<u64>) -> StatusCode {
    d.wait().await;
    StatusCode::NO_CONTENT
}

/// The `name` of an item sent as JSON, or "item".
fn item_name(body: Option<&Json<Value>>) -> String {
    body.and_then(|b| b.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("item")
        .to_owned()
}
