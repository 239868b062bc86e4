//! The figures of a load run: live statistics carried by progress events, the time series a chart
//! draws, and the summary a finished run reports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Most points a run's series keeps. When it is full, every other point is dropped (the series keeps
/// covering the whole run at half the resolution). Server and browser fold events with the same code,
/// so both hold the same series.
pub const MAX_SERIES_POINTS: usize = 600;

/// A load run's figures as of one progress event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadStats {
    /// Since the run started.
    pub elapsed_ms: u64,
    /// Virtual users running now (lower than configured while ramping up).
    pub active_users: u32,
    /// Requests completed so far (with or without errors).
    pub requests: u64,
    /// Requests that failed (no response, or a check failed).
    pub errors: u64,
    /// Requests per second since the previous event.
    pub rps: f64,
    /// Latency percentiles of every response so far, milliseconds.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// The 95th percentile of the responses since the previous event, for the chart.
    pub recent_p95_ms: f64,
    /// Iterations finished per second since the previous event.
    #[serde(default)]
    pub ips: f64,
    /// Errors so far by kind (`timeout`, `connect`, `status 500`, `check`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors_by_kind: BTreeMap<String, u64>,
    /// What the load shape asks for now: virtual users (closed model with stages) or iterations per
    /// second (open model), beside what was achieved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Open model: iterations that were due but found every allowed user busy, so far.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A load shape's target at one moment, and the figure it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "of", content = "value")]
pub enum Target {
    /// Virtual users (compared with `active_users`).
    Users(f64),
    /// Iterations started per second (compared with the iterations per second achieved).
    IterationsPerSecond(f64),
}

/// One point of a load run's chart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadPoint {
    pub t_ms: u64,
    pub rps: f64,
    pub p95_ms: f64,
    /// Errors so far.
    pub errors: u64,
    /// Virtual users running.
    #[serde(default)]
    pub users: u32,
    /// The load shape's target, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Iterations per second since the previous point (open model: compared with the target rate).
    #[serde(default)]
    pub ips: f64,
}

impl LoadPoint {
    pub fn of(stats: &LoadStats) -> Self {
        Self {
            t_ms: stats.elapsed_ms,
            rps: stats.rps,
            p95_ms: stats.recent_p95_ms,
            errors: stats.errors,
            users: stats.active_users,
            target: stats.target,
            ips: stats.ips,
        }
    }
}

/// Appends a point, halving the series' resolution when it is full.
pub fn push_point(series: &mut Vec<LoadPoint>, point: LoadPoint) {
    if series.len() >= MAX_SERIES_POINTS {
        let mut i = 0;
        // Keeps the first point, so the chart still starts where the run did.
        series.retain(|_| {
            let keep = i % 2 == 0;
            i += 1;
            keep
        });
    }
    series.push(point);
}

/// What a finished load run reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    pub users: u32,
    pub iterations: u64,
    pub requests: u64,
    pub errors: u64,
    /// `errors / requests`, 0–1.
    pub error_rate: f64,
    /// Mean requests per second over the run.
    pub rps: f64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Open model: iterations that were due while every allowed user was busy (not started).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped_iterations: u64,
    /// Every threshold and whether the run met it; the run passes when all are met.
    pub thresholds: Vec<ThresholdResult>,
}

/// One threshold's outcome, e.g. `p95 < 200ms` with the actual `p95 = 12.3 ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    pub threshold: String,
    pub passed: bool,
    /// The measured value, formatted with its unit.
    pub actual: String,
    /// Which chart it belongs on: `latency` (its limit in ms), `rps` (requests per second) or
    /// `error_rate` (percent).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub chart: String,
    /// The limit, in the chart's unit.
    #[serde(default)]
    pub limit: f64,
}

/// Two runs' thresholds side by side, paired by their expression (`p95 < 200ms`), in A's order then
/// B's own: a threshold only one run had is paired with nothing.
pub fn pair_thresholds<'a>(
    a: &'a [ThresholdResult],
    b: &'a [ThresholdResult],
) -> Vec<(
    &'a str,
    Option<&'a ThresholdResult>,
    Option<&'a ThresholdResult>,
)> {
    let find = |list: &'a [ThresholdResult], name: &str| list.iter().find(|t| t.threshold == name);
    let mut pairs: Vec<_> = a
        .iter()
        .map(|t| (t.threshold.as_str(), Some(t), find(b, &t.threshold)))
        .collect();
    pairs.extend(
        b.iter()
            .filter(|t| find(a, &t.threshold).is_none())
            .map(|t| (t.threshold.as_str(), None, Some(t))),
    );
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_pair_by_expression_not_by_position() {
        let t = |name: &str, passed: bool| ThresholdResult {
            threshold: name.into(),
            passed,
            actual: format!("{name} measured"),
            chart: String::new(),
            limit: 0.0,
        };
        let a = [t("p95 < 200ms", true), t("error_rate < 1%", true)];
        let b = [t("p95 < 1ms", false), t("p95 < 200ms", false)];
        let pairs = pair_thresholds(&a, &b);
        let names: Vec<_> = pairs
            .iter()
            .map(|(n, x, y)| (*n, x.map(|t| t.passed), y.map(|t| t.passed)))
            .collect();
        assert_eq!(
            names,
            [
                ("p95 < 200ms", Some(true), Some(false)),
                ("error_rate < 1%", Some(true), None),
                ("p95 < 1ms", None, Some(false)),
            ]
        );
    }

    #[test]
    fn a_full_series_halves_and_keeps_its_span() {
        let mut series = Vec::new();
        for t in 0..(MAX_SERIES_POINTS as u64 * 3) {
            push_point(
                &mut series,
                LoadPoint {
                    t_ms: t,
                    rps: 1.0,
                    p95_ms: 1.0,
                    ..LoadPoint::default()
                },
            );
        }
        assert!(series.len() <= MAX_SERIES_POINTS);
        assert!(series.len() > MAX_SERIES_POINTS / 2);
        assert_eq!(series.first().unwrap().t_ms, 0);
        assert_eq!(
            series.last().unwrap().t_ms,
            MAX_SERIES_POINTS as u64 * 3 - 1
        );
        assert!(series.windows(2).all(|w| w[0].t_ms < w[1].t_ms));
    }
}
