//! The target of the load-engine benchmark (BENCHMARKS.md, `./run bench load`): one route, `GET /`,
//! answering a small JSON body, on the address given (loopback). It is the same for `wrk` and for
//! livecheck's load engine, so the two are compared on identical work.
//!
//! ```text
//! bench-target 127.0.0.1:3500
//! ```

use axum::{routing::get, Json, Router};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3500".into());
    let app = Router::new().route("/", get(|| async { Json(json!({ "ok": true })) }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
