//! Usage over time, for the usage page: per day, how many runs the user could see ended how; per
//! stored suite and day, the 95th percentile of its response times. Aggregated here from the finished
//! runs' rows; only the figures needed are read out of each snapshot, not
//! the whole snapshot, with the database's JSON functions.

use std::collections::BTreeMap;

use serde::Deserialize;
use sqlx::Row;

use super::{Backend, Result, Store};
use crate::protocol::api::{SuiteTrend, Usage, UsageDay};

/// At most this many runs are read for one answer (the newest).
const MAX_RUNS: i64 = 20_000;
const DAY_MS: u64 = 86_400_000;

#[derive(Deserialize)]
struct StepTime {
    duration_ms: u64,
}

impl Store {
    /// The usage of the runs `user_id` may see (their own and their rooms'), from `since_ms` on.
    pub async fn usage(&self, user_id: i64, since_ms: u64) -> Result<Usage> {
        // The two figures are read out of the snapshot's JSON in the database's own dialect.
        let (load_p95, steps) = match self.backend {
            Backend::Sqlite => (
                "CAST(json_extract(r.snapshot, '$.load_summary.p95_ms') AS REAL)",
                "CASE WHEN json_extract(r.snapshot, '$.load_summary') IS NULL \
                 THEN json_extract(r.snapshot, '$.steps') END",
            ),
            Backend::Postgres => (
                "CAST(CAST(r.snapshot AS jsonb) #>> '{load_summary,p95_ms}' AS DOUBLE PRECISION)",
                "CASE WHEN CAST(r.snapshot AS jsonb) #>> '{load_summary}' IS NULL \
                 THEN CAST(r.snapshot AS jsonb) #>> '{steps}' END",
            ),
        };
        let rows = sqlx::query(&format!(
            "SELECT r.created_at, r.status, r.suite_id, s.name AS suite_name, \
                    {load_p95} AS load_p95, {steps} AS steps \
             FROM runs r LEFT JOIN suites s ON s.id = r.suite_id \
             WHERE (r.user_id = $1 OR r.room IN ( \
                 SELECT rm.name FROM rooms rm JOIN room_members m ON m.room_id = rm.id \
                 WHERE m.user_id = $1)) \
             AND r.created_at >= $2 AND r.status IN ('completed', 'failed', 'cancelled', 'interrupted') \
             ORDER BY r.created_at DESC LIMIT $3"
        ))
        .bind(user_id)
        .bind(since_ms as i64)
        .bind(MAX_RUNS)
        .fetch_all(&self.pool)
        .await?;

        let mut days: BTreeMap<u64, UsageDay> = BTreeMap::new();
        // suite id → (name, day → response times in ms).
        let mut suites: BTreeMap<i64, (String, BTreeMap<u64, Vec<f64>>)> = BTreeMap::new();
        for row in rows {
            let day = row.get::<i64, _>("created_at") as u64 / DAY_MS;
            let status: String = row.get("status");
            let entry = days.entry(day).or_insert_with(|| UsageDay {
                day: day * DAY_MS,
                ..UsageDay::default()
            });
            entry.runs += 1;
            match status.as_str() {
                "completed" => entry.passed += 1,
                "failed" => entry.failed += 1,
                _ => {}
            }
            let (Some(id), Some(name)) = (
                row.get::<Option<i64>, _>("suite_id"),
                row.get::<Option<String>, _>("suite_name"),
            ) else {
                continue;
            };
            let times = suites
                .entry(id)
                .or_insert_with(|| (name, BTreeMap::new()))
                .1
                .entry(day)
                .or_default();
            if let Some(p95) = row.get::<Option<f64>, _>("load_p95") {
                times.push(p95);
            } else if let Some(steps) = row.get::<Option<String>, _>("steps") {
                let steps: Vec<StepTime> = serde_json::from_str(&steps).unwrap_or_default();
                times.extend(steps.iter().map(|s| s.duration_ms as f64));
            }
        }
        let suites = suites
            .into_iter()
            .map(|(id, (name, by_day))| SuiteTrend {
                suite_id: id,
                name,
                p95_ms: by_day
                    .into_iter()
                    .filter_map(|(day, mut times)| Some((day * DAY_MS, p95(&mut times)?)))
                    .collect(),
            })
            .collect();
        Ok(Usage {
            days: days.into_values().collect(),
            suites,
            ..Usage::default()
        })
    }
}

/// The 95th percentile (nearest rank) of `values`; `None` when there are none.
fn p95(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64) * 0.95).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

#[cfg(test)]
mod tests {
    #[test]
    fn p95_is_the_nearest_rank() {
        assert_eq!(super::p95(&mut []), None);
        assert_eq!(super::p95(&mut [5.0]), Some(5.0));
        let mut hundred: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(super::p95(&mut hundred), Some(95.0));
    }
}
