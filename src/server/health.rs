//! `/healthz` (the process lives) and `/readyz` (the database and the broker, if any, answer and the
//! server is not draining), for load balancers and orchestrators.

use std::sync::atomic::Ordering;

use axum::{extract::State, http::StatusCode, response::IntoResponse};

use super::AppState;

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.load(Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining\n");
    }
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "readiness: the database does not answer");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n");
    }
    if let Some(broker) = state.hub.broker() {
        if let Err(e) = broker.ping().await {
            tracing::warn!(error = %e, "readiness: Redis does not answer");
            return (StatusCode::SERVICE_UNAVAILABLE, "broker unavailable\n");
        }
    }
    (StatusCode::OK, "ready\n")
}
