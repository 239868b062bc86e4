//! The `load` section of a suite: how many virtual users run it, for how long, and the thresholds that
//! decide whether the run passed (`p95 < 200ms`, `error_rate < 1%`, `rps > 100`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Runs the suite's steps, over and over, as `users` concurrent virtual users (the closed model), or
/// starts `arrival_rate` iterations a second whatever the responses take (the open model). `stages`
/// shape either over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadDef {
    /// Closed model: the virtual users (with `stages`: at most; the largest target by default).
    /// Open model: how many iterations may be in flight at once.
    #[serde(default)]
    pub users: u32,
    /// Ramp the users (closed model) or the rate (open model) linearly to each stage's target over its
    /// duration; the run lasts as long as the stages together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
    /// The open model: iterations started per second (the starting rate, with `stages`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_rate: Option<f64>,
    /// How long to run, e.g. `30s`, `2m`, `500ms`. At least one of `duration`, `iterations`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// How many times the steps run in all (shared by the users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
    /// Users start evenly over this time instead of all at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_up: Option<String>,
    /// Every threshold must hold for the run to pass. Without any, the run passes when no request
    /// failed (`error_rate <= 0%`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<String>,
}

/// One stage: move to `target` (users, or iterations per second in the open model) over `duration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub duration: String,
    pub target: f64,
}

impl LoadDef {
    pub const MAX_USERS: u32 = 1000;
    pub const MAX_STAGES: usize = 50;
    pub const MAX_ARRIVAL_RATE: f64 = 100_000.0;
    pub const MAX_DURATION: Duration = Duration::from_secs(3600);
    pub const MAX_ITERATIONS: u64 = 100_000_000;
    /// Applies when a suite declares no thresholds.
    pub const DEFAULT_THRESHOLD: &str = "error_rate <= 0%";

    /// How long the run lasts: `duration`, or the stages together.
    pub fn duration(&self) -> Option<Duration> {
        if !self.stages.is_empty() {
            return Some(self.stages().iter().map(|(d, _)| *d).sum());
        }
        self.duration
            .as_deref()
            .and_then(|d| parse_duration(d).ok())
    }

    /// The stages, parsed (a validated suite's always parse).
    pub fn stages(&self) -> Vec<(Duration, f64)> {
        self.stages
            .iter()
            .filter_map(|s| Some((parse_duration(&s.duration).ok()?, s.target)))
            .collect()
    }

    /// How many virtual users (closed) or iterations in flight (open) the run may have at once.
    pub fn max_users(&self) -> u32 {
        if self.users > 0 || self.arrival_rate.is_some() {
            return self.users;
        }
        self.stages
            .iter()
            .map(|s| s.target.ceil() as u32)
            .max()
            .unwrap_or(0)
    }

    /// The target at `elapsed` (see [`Shape::target_at`]); parses the stages on each call, so a
    /// run asks its [`LoadDef::shape`], parsed once.
    pub fn target_at(&self, elapsed: Duration) -> Option<f64> {
        self.shape().target_at(elapsed)
    }

    /// The stages and the starting rate, parsed.
    pub fn shape(&self) -> Shape {
        Shape {
            start: self.arrival_rate,
            stages: self.stages(),
        }
    }

    pub fn ramp_up(&self) -> Duration {
        self.ramp_up
            .as_deref()
            .and_then(|d| parse_duration(d).ok())
            .unwrap_or_default()
    }

    /// The thresholds, parsed (a validated suite's always parse).
    pub fn thresholds(&self) -> Vec<Threshold> {
        if self.thresholds.is_empty() {
            return Threshold::parse(Self::DEFAULT_THRESHOLD)
                .into_iter()
                .collect();
        }
        self.thresholds
            .iter()
            .filter_map(|t| Threshold::parse(t).ok())
            .collect()
    }
}

/// `500ms`, `30s`, `2m`, `1h` (one number, one unit).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` needs a unit: ms, s, m or h"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        other => return Err(format!("unknown unit `{other}`: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

/// A figure of the run a threshold constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A latency percentile (50, 90, 95, 99) in milliseconds.
    Percentile(u8),
    MeanLatency,
    MaxLatency,
    /// Failed requests / all requests, in percent.
    ErrorRate,
    /// Mean requests per second.
    Rps,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

/// `<metric> <op> <value>`, e.g. `p95 < 200ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub text: String,
    pub metric: Metric,
    pub op: Op,
    /// Milliseconds for latencies, percent for `error_rate`, requests per second for `rps`.
    pub value: f64,
}

/// The figures a threshold is evaluated against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
    pub error_rate_percent: f64,
    pub rps: f64,
    /// Responses the latencies come from; with none, latency thresholds cannot be met.
    pub responses: u64,
}

impl Threshold {
    pub fn parse(text: &str) -> Result<Self, String> {
        let usage =
            "a threshold is `<metric> <op> <value>`: p50/p90/p95/p99/avg/max (e.g. 200ms), \
                     error_rate (e.g. 1%) or rps (e.g. 100), with <, <=, > or >=";
        let trimmed = text.trim();
        let op_at = trimmed
            .find(['<', '>'])
            .ok_or_else(|| format!("`{trimmed}`: {usage}"))?;
        let (name, rest) = trimmed.split_at(op_at);
        let (op, value) = if let Some(v) = rest.strip_prefix("<=") {
            (Op::Le, v)
        } else if let Some(v) = rest.strip_prefix(">=") {
            (Op::Ge, v)
        } else if let Some(v) = rest.strip_prefix('<') {
            (Op::Lt, v)
        } else {
            (Op::Gt, &rest[1..])
        };
        let value = value.trim();
        let metric = match name.trim() {
            "p50" => Metric::Percentile(50),
            "p90" => Metric::Percentile(90),
            "p95" => Metric::Percentile(95),
            "p99" => Metric::Percentile(99),
            "avg" | "mean" => Metric::MeanLatency,
            "max" => Metric::MaxLatency,
            "error_rate" => Metric::ErrorRate,
            "rps" => Metric::Rps,
            other => return Err(format!("unknown metric `{other}`: {usage}")),
        };
        let value = match metric {
            Metric::ErrorRate => value
                .strip_suffix('%')
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| (0.0..=100.0).contains(v))
                .ok_or_else(|| format!("`{trimmed}`: error_rate takes a percentage like 1%"))?,
            Metric::Rps => value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("`{trimmed}`: rps takes a number like 100"))?,
            _ => parse_duration(value)
                .map(|d| d.as_secs_f64() * 1000.0)
                .map_err(|e| format!("`{trimmed}`: {e}"))?,
        };
        Ok(Self {
            text: trimmed.to_owned(),
            metric,
            op,
            value,
        })
    }

    /// Whether the figures meet the threshold, and the measured value with its unit.
    pub fn check(&self, figures: &Figures) -> (bool, String) {
        let latency = matches!(
            self.metric,
            Metric::Percentile(_) | Metric::MeanLatency | Metric::MaxLatency
        );
        if latency && figures.responses == 0 {
            return (false, "no responses to measure".into());
        }
        let (actual, shown) = match self.metric {
            Metric::Percentile(p) => {
                let v = match p {
                    50 => figures.p50_ms,
                    90 => figures.p90_ms,
                    95 => figures.p95_ms,
                    _ => figures.p99_ms,
                };
                (v, format!("p{p} = {v:.2} ms"))
            }
            Metric::MeanLatency => (figures.mean_ms, format!("avg = {:.2} ms", figures.mean_ms)),
            Metric::MaxLatency => (figures.max_ms, format!("max = {:.2} ms", figures.max_ms)),
            Metric::ErrorRate => (
                figures.error_rate_percent,
                format!("error_rate = {:.3}%", figures.error_rate_percent),
            ),
            Metric::Rps => (figures.rps, format!("rps = {:.1}", figures.rps)),
        };
        let passed = match self.op {
            Op::Lt => actual < self.value,
            Op::Le => actual <= self.value,
            Op::Gt => actual > self.value,
            Op::Ge => actual >= self.value,
        };
        (passed, shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_one_number_and_a_unit() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("3 fortnights").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn thresholds_parse_and_decide() {
        let figures = Figures {
            responses: 10,
            p95_ms: 150.0,
            error_rate_percent: 2.0,
            rps: 90.0,
            ..Figures::default()
        };
        let t = Threshold::parse("p95 < 200ms").unwrap();
        assert_eq!(
            (t.metric, t.op, t.value),
            (Metric::Percentile(95), Op::Lt, 200.0)
        );
        assert!(t.check(&figures).0);
        assert_eq!(t.check(&figures).1, "p95 = 150.00 ms");
        assert!(!Threshold::parse("p95<0.1s").unwrap().check(&figures).0);
        assert!(
            !Threshold::parse("error_rate < 1%")
                .unwrap()
                .check(&figures)
                .0
        );
        assert!(
            Threshold::parse("error_rate <= 2%")
                .unwrap()
                .check(&figures)
                .0
        );
        assert!(!Threshold::parse("rps >= 100").unwrap().check(&figures).0);
        assert!(Threshold::parse("rps > 89.5").unwrap().check(&figures).0);
        let none = Figures::default();
        assert!(!Threshold::parse("p99 < 1s").unwrap().check(&none).0);
        assert!(Threshold::parse("error_rate < 1%").unwrap().check(&none).0);
        for bad in [
            "p42 < 1ms",
            "p95 200ms",
            "error_rate < 1",
            "rps > fast",
            "rps > 1e400",
            "rps > inf",
            "rps > NaN",
            "p95 < 1",
        ] {
            assert!(Threshold::parse(bad).is_err(), "{bad}");
        }
    }
}

/// A load run's shape, parsed once: the starting rate (open model) and the stages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    start: Option<f64>,
    stages: Vec<(Duration, f64)>,
}

impl Shape {
    /// Whether stages move the target.
    pub fn is_staged(&self) -> bool {
        !self.stages.is_empty()
    }

    /// The target at `elapsed`: users (closed model) or iterations per second (open model), moving
    /// linearly through the stages from 0 users or from the arrival rate. `None` without stages or
    /// rate.
    pub fn target_at(&self, elapsed: Duration) -> Option<f64> {
        if self.stages.is_empty() {
            return self.start;
        }
        let mut from = self.start.unwrap_or(0.0);
        let mut at = elapsed;
        for &(duration, target) in &self.stages {
            if at < duration {
                let f = at.as_secs_f64() / duration.as_secs_f64().max(1e-9);
                return Some(from + (target - from) * f);
            }
            at -= duration;
            from = target;
        }
        Some(from)
    }
}
