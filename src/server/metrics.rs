//! Prometheus metrics: one process-wide recorder (the `metrics` facade), rendered at `GET /metrics`.
//!
//! Metric names (all prefixed `livecheck_`): `ws_connections`, `ws_subscriptions` (gauges);
//! `ws_messages_in_total{type}`, `ws_messages_out_total{type}`, `ws_errors_total{code}`,
//! `ws_coalesced_total`, `ws_slow_consumer_closes_total`, `ws_recoveries_total{result}`,
//! `event_log_dropped_total` (counters); `ws_publish_to_send_seconds` (histogram).

use std::{sync::OnceLock, time::Duration};

use axum::{http::header, response::IntoResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder once per process (tests start many servers in one process).
pub fn install() {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("livecheck_ws_publish_to_send_seconds".into()),
                &[
                    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1,
                    0.25, 1.0,
                ],
            )
            .ok()?
            .build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).ok()?;
        let upkeep = handle.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                upkeep.run_upkeep();
            }
        });
        Some(handle)
    });
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render() -> impl IntoResponse {
    let body = HANDLE
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
