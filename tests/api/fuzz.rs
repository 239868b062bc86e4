//! Property tests: the protocol decoder and the suite validator take generated and mutated inputs
//! (10 000 of each kind by default; `PROPTEST_CASES` for more, as `./run bench fuzz` does) without
//! panicking, and the process's memory stays bounded while they do.

use livecheck::{protocol::parse_client_message, suite::parse_suite};
use proptest::prelude::*;

/// Cases per property: `PROPTEST_CASES`, else 10 000.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000)
}

const MESSAGES: &[&str] = &[
    r#"{"type":"subscribe_test","test_id":"abc","since_seq":3,"epoch":"e1"}"#,
    r#"{"type":"unsubscribe_test","test_id":"abc"}"#,
    r#"{"type":"join_room","room":"demo-team"}"#,
    r#"{"type":"leave_room","room":"demo-team"}"#,
    r#"{"type":"ping","timestamp":12}"#,
    r#"{"type":"refresh_token","token":"a.b.c"}"#,
];

const SUITES: &[&str] = &[
    include_str!("../../src/runs/demo_suite.yaml"),
    "name: x\nvariables: { a: \"1\", b: \"${a}${a}\" }\nenvironments:\n  e: { a: \"2\" }\nsteps:\n  - url: http://h/${b}\n    checks: { status: 200, json: [{ path: \"$.a\", equals: 1 }] }\n    capture: { c: { regex: \"(\\\\d+)\" } }\n",
    "name: load\nload: { users: 2, duration: 1s, thresholds: [\"p95 < 200ms\", \"error_rate < 1%\"] }\nsteps:\n  - url: http://h/\n",
    "{\"name\":\"j\",\"steps\":[{\"url\":\"http://h/\",\"method\":\"POST\",\"body\":{\"json\":{\"k\":\"${v}\"}}}],\"variables\":{\"v\":\"1\"}}",
    "name: anchors\nvariables: &v { a: \"1\" }\nenvironments:\n  x: *v\nsteps:\n  - url: http://h/\n",
];

/// A seed with up to 8 byte edits: replace, insert or delete, at random places.
fn mutated(seeds: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        0..seeds.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..8),
    )
        .prop_map(move |(seed, edits)| {
            let mut bytes = seeds[seed].as_bytes().to_vec();
            for (at, byte, kind) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => {
                        bytes.remove(i);
                    }
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_protocol_decoder_and_the_suite_validator_take_any_input() {
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let before = rss_kib();
    let mut runner = proptest::test_runner::TestRunner::new(config.clone());
    runner
        .run(&prop_oneof![mutated(MESSAGES), ".{0,300}"], |text| {
            let _ = parse_client_message(&text);
            Ok(())
        })
        .unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(config);
    runner
        .run(
            &prop_oneof![3 => mutated(SUITES), 1 => ".{0,400}"],
            |text| {
                let _ = parse_suite(&text);
                Ok(())
            },
        )
        .unwrap();
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 256 * 1024, "memory grew by {grown} KiB");
}
