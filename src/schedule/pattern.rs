//! A schedule's pattern: a cron expression read in an IANA time zone. Five fields (minute hour
//! day-of-month month day-of-week, as crontab) or six with seconds first; names (`MON`, `JAN`), `L`,
//! `W` and `#` as croner reads them. Times are found in the zone, so `0 9 * * *` in `Asia/Shanghai`
//! is 01:00 UTC all year, and a daylight-saving jump neither skips nor repeats a day.

use std::{str::FromStr, time::Duration};

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use croner::{
    parser::{CronParser, Seconds, Year},
    Cron,
};

/// Longest pattern and zone name accepted.
pub const MAX_PATTERN_CHARS: usize = 120;
/// How many upcoming fires are checked against the shortest interval.
const INTERVAL_SAMPLES: usize = 16;

/// Why a pattern cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("cron: {0}")]
    Cron(String),
    #[error(
        "time zone: unknown zone {0:?} (an IANA name such as Europe/Berlin, Asia/Shanghai or UTC)"
    )]
    TimeZone(String),
    #[error("cron: never fires")]
    Never,
    #[error("cron: fires more often than every {0} s, the shortest interval this server allows")]
    TooOften(u64),
}

/// What is wrong with a pattern, in the words of a person writing one (croner's own messages
/// name its internals: "Component error: Number out of bounds.").
fn cron_problem(e: &croner::errors::CronError) -> String {
    use croner::errors::CronError;
    match e {
        CronError::EmptyPattern | CronError::InvalidPattern(_) => {
            "a pattern has 5 fields (minute hour day month weekday), or 6 with seconds first".into()
        }
        CronError::IllegalCharacters(_) => {
            "a field holds characters a pattern does not use (digits, names such as MON or JAN, and * , - / ? L W #)".into()
        }
        CronError::ComponentError(_) => {
            "a field is out of its range (seconds and minutes 0–59, hours 0–23, days 1–31, months 1–12, weekdays 0–7)".into()
        }
        other => other.to_string(),
    }
}

/// A parsed pattern in its zone.
#[derive(Debug, Clone)]
pub struct Pattern {
    cron: Cron,
    zone: Tz,
}

impl Pattern {
    pub fn parse(cron: &str, zone: &str) -> Result<Self, PatternError> {
        let cron = cron.trim();
        if cron.chars().count() > MAX_PATTERN_CHARS {
            return Err(PatternError::Cron(format!(
                "at most {MAX_PATTERN_CHARS} characters"
            )));
        }
        let parsed = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(cron)
            .map_err(|e| PatternError::Cron(cron_problem(&e)))?;
        let zone_name = zone.trim();
        let zone = (zone_name.len() <= MAX_PATTERN_CHARS)
            .then(|| Tz::from_str(zone_name).ok())
            .flatten()
            .ok_or_else(|| {
                PatternError::TimeZone(zone_name.chars().take(MAX_PATTERN_CHARS).collect())
            })?;
        Ok(Self { cron: parsed, zone })
    }

    /// The first fire strictly after `after_ms` (ms since the epoch), if there is one.
    pub fn next_after(&self, after_ms: u64) -> Option<u64> {
        // From the whole second: croner keeps the start's fraction of a second in what it finds.
        let start = Utc
            .timestamp_opt(i64::try_from(after_ms / 1000).ok()?, 0)
            .single()?
            .with_timezone(&self.zone);
        let next = self.cron.find_next_occurrence(&start, false).ok()?;
        u64::try_from(next.timestamp_millis()).ok()
    }

    /// The next fire after `now_ms`, once the pattern is known not to fire more often than `min`.
    pub fn first_fire(&self, now_ms: u64, min: Duration) -> Result<u64, PatternError> {
        let first = self.next_after(now_ms).ok_or(PatternError::Never)?;
        let min_ms = min.as_millis() as u64;
        let mut at = first;
        for _ in 0..INTERVAL_SAMPLES {
            let Some(next) = self.next_after(at) else {
                break;
            };
            if next - at < min_ms {
                return Err(PatternError::TooOften(min.as_secs()));
            }
            at = next;
        }
        Ok(first)
    }

    /// The pattern in English words, e.g. "At 09:00 on Monday".
    pub fn describe(&self) -> String {
        self.cron.describe()
    }

    /// `at_ms` (ms since the epoch) on the wall clock of the pattern's zone: `2026-12-04 09:00`.
    pub fn local_time(&self, at_ms: u64) -> Option<String> {
        let at = self
            .zone
            .timestamp_millis_opt(i64::try_from(at_ms).ok()?)
            .single()?;
        Some(at.format("%Y-%m-%d %H:%M").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);
    /// 2026-03-01 00:00:00 UTC.
    const MARCH_1: u64 = 1_772_323_200_000;

    fn at(text: &str) -> u64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis() as u64
    }

    #[test]
    fn fires_in_its_zone() {
        let p = Pattern::parse("0 9 * * *", "Asia/Shanghai").unwrap();
        assert_eq!(p.next_after(MARCH_1), Some(at("2026-03-01T01:00:00Z")));
        let utc = Pattern::parse("0 9 * * *", "UTC").unwrap();
        assert_eq!(utc.next_after(MARCH_1), Some(at("2026-03-01T09:00:00Z")));
        // Shown on its own clock: 09:00 in Shanghai, which is 01:00 UTC.
        let next = p.next_after(MARCH_1).unwrap();
        assert_eq!(p.local_time(next).as_deref(), Some("2026-03-01 09:00"));
        assert_eq!(utc.local_time(next).as_deref(), Some("2026-03-01 01:00"));
    }

    #[test]
    fn follows_daylight_saving() {
        // Berlin: CET (+1) until 2026-03-29, CEST (+2) after.
        let p = Pattern::parse("30 8 * * *", "Europe/Berlin").unwrap();
        assert_eq!(
            p.next_after(at("2026-03-28T12:00:00Z")),
            Some(at("2026-03-29T06:30:00Z"))
        );
        assert_eq!(
            p.next_after(at("2026-03-27T12:00:00Z")),
            Some(at("2026-03-28T07:30:00Z"))
        );
    }

    #[test]
    fn weekdays_names_and_seconds() {
        // 2026-03-01 is a Sunday.
        let p = Pattern::parse("0 9 * * MON-FRI", "UTC").unwrap();
        assert_eq!(p.next_after(MARCH_1), Some(at("2026-03-02T09:00:00Z")));
        let s = Pattern::parse("*/10 * * * * *", "UTC").unwrap();
        assert_eq!(s.next_after(MARCH_1), Some(MARCH_1 + 10_000));
        assert_eq!(s.next_after(MARCH_1 + 1), Some(MARCH_1 + 10_000));
    }

    #[test]
    fn refuses_bad_patterns_zones_and_rates() {
        for bad in ["", "* * *", "61 * * * *", "0 9 * * * * 2027", "x y z w v"] {
            assert!(
                matches!(Pattern::parse(bad, "UTC"), Err(PatternError::Cron(_))),
                "{bad:?} was accepted"
            );
        }
        assert!(Pattern::parse(&"* ".repeat(100), "UTC").is_err());
        assert!(matches!(
            Pattern::parse("0 9 * * *", "Mars/Olympus"),
            Err(PatternError::TimeZone(_))
        ));
        assert!(matches!(
            Pattern::parse("0 9 * * *", &"A".repeat(10_000)),
            Err(PatternError::TimeZone(z)) if z.len() == MAX_PATTERN_CHARS
        ));
        let every_second = Pattern::parse("* * * * * *", "UTC").unwrap();
        assert_eq!(
            every_second.first_fire(MARCH_1, MIN),
            Err(PatternError::TooOften(60))
        );
        assert_eq!(
            every_second.first_fire(MARCH_1, Duration::from_secs(1)),
            Ok(MARCH_1 + 1000)
        );
        // Seconds 0 and 30 of minute 0 of each hour: one gap of 30 s, under the minute.
        let close = Pattern::parse("0,30 0 * * * *", "UTC").unwrap();
        assert!(close.first_fire(MARCH_1, MIN).is_err());
        let never = Pattern::parse("0 0 31 2 *", "UTC").unwrap();
        assert_eq!(never.first_fire(MARCH_1, MIN), Err(PatternError::Never));
    }

    #[test]
    fn says_what_it_means() {
        let p = Pattern::parse("0 9 * * 1", "UTC").unwrap();
        let words = p.describe();
        assert!(words.contains("09:00") || words.contains("9"), "{words}");
    }
}
