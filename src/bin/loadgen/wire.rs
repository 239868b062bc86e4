//! `loadgen wire`: what the protocol's messages cost on the wire. Follows the demo run (eight API
//! steps) and a short load run against the demo target the way a browser does, keeps every message,
//! and reports per message type: how many, their size, the share of it spent on JSON keys (the part
//! a terser encoding would drop), and what permessage-deflate-like compression (gzip) would make of
//! it.

use std::{collections::BTreeMap, io::Write, net::SocketAddr, time::Duration};

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::{connect, Args};

/// A load run of a few seconds against the demo target of the server under test.
fn load_suite(addr: SocketAddr) -> String {
    format!(
        "name: Wire study\nload:\n  users: 20\n  duration: 5s\n  thresholds: [p95 < 500ms, error_rate < 1%]\n\
         steps:\n  - name: list\n    url: http://{addr}/demo/items\n    checks: {{ status: 200 }}\n"
    )
}

pub async fn wire(args: &Args, token: &str) -> Result<(), String> {
    let http = reqwest::Client::new();
    let post = |endpoint: &str, form: Vec<(&str, String)>| {
        let request = http
            .post(format!("http://{}/api/{endpoint}", args.start_addr))
            .header("cookie", format!("livecheck_session={token}"))
            .form(&form);
        async move {
            let res = request.send().await.map_err(|e| e.to_string())?;
            res.json::<Value>().await.map_err(|e| e.to_string())
        }
    };
    // Steps 50 ms apart, so the subscriber is there before the first one.
    let demo = post(
        "start_test",
        vec![("key", "demo".into()), ("delay_ms", "50".into())],
    )
    .await?;
    let load = post("run_suite", vec![("suite", load_suite(args.addr))]).await?;
    let mut sizes = Sizes::default();
    for (what, run) in [("demo", &demo), ("load", &load)] {
        let test_id = run["test_id"]
            .as_str()
            .ok_or(format!("no test_id: {run}"))?;
        follow(args.addr, token, what, test_id, &mut sizes).await?;
        // A late subscriber: the snapshot of the finished run, with every result in it.
        follow(
            args.addr,
            token,
            &format!("{what}, late"),
            test_id,
            &mut sizes,
        )
        .await?;
    }
    sizes.print();
    Ok(())
}

/// Subscribes from the start (so the snapshot and every event arrive) and reads to the run's end.
async fn follow(
    addr: SocketAddr,
    token: &str,
    what: &str,
    test_id: &str,
    sizes: &mut Sizes,
) -> Result<(), String> {
    let mut ws = connect(addr, token).await?;
    let subscribe = format!(r#"{{"type":"subscribe_test","test_id":"{test_id}"}}"#);
    ws.send(Message::text(subscribe))
        .await
        .map_err(|e| e.to_string())?;
    let mut seen = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .map_err(|_| format!("the {what} run did not end within 60 s; seen: {seen:?}"))?;
        let Some(Ok(Message::Text(text))) = frame else {
            return Err(format!("the socket ended before the {what} run did"));
        };
        let value: Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
        // Builds before 2026-12-03 joined queued messages in `batch` frames.
        let messages = match value["type"].as_str() {
            Some("batch") => value["messages"].as_array().cloned().unwrap_or_default(),
            _ => vec![value],
        };
        for m in messages {
            let kind = m["type"].as_str().unwrap_or("?").to_owned();
            seen.push(kind.clone());
            let end = matches!(kind.as_str(), "test_completed" | "test_error");
            sizes.add(format!("{what}: {kind}"), &m);
            if end {
                return Ok(());
            }
        }
    }
}

#[derive(Default)]
struct Kind {
    count: u64,
    bytes: u64,
    max: u64,
    key_bytes: u64,
    gzip_bytes: u64,
}

#[derive(Default)]
struct Sizes(BTreeMap<String, Kind>);

impl Sizes {
    fn add(&mut self, kind: String, message: &Value) {
        let text = message.to_string();
        let k = self.0.entry(kind).or_default();
        k.count += 1;
        k.bytes += text.len() as u64;
        k.max = k.max.max(text.len() as u64);
        k.key_bytes += key_bytes(message);
        k.gzip_bytes += gzip_len(text.as_bytes());
    }

    fn print(&self) {
        let (mut all, mut all_gzip) = (0, 0);
        for (kind, k) in &self.0 {
            println!(
                "wire {kind}: count={} bytes_mean={} bytes_max={} keys_pct={:.0} gzip_pct={:.0}",
                k.count,
                k.bytes / k.count.max(1),
                k.max,
                100.0 * k.key_bytes as f64 / k.bytes.max(1) as f64,
                100.0 * k.gzip_bytes as f64 / k.bytes.max(1) as f64,
            );
            all += k.bytes;
            all_gzip += k.gzip_bytes;
        }
        println!(
            "wire total: bytes={all} gzip_bytes={all_gzip} gzip_pct={:.0}",
            100.0 * all_gzip as f64 / all.max(1) as f64
        );
    }
}

/// Bytes spent on object keys, with their quotes and colon.
fn key_bytes(v: &Value) -> u64 {
    match v {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| k.len() as u64 + 3 + key_bytes(v))
            .sum(),
        Value::Array(items) => items.iter().map(key_bytes).sum(),
        _ => 0,
    }
}

/// The size of one message compressed on its own, as permessage-deflate without context takeover
/// would send it.
fn gzip_len(bytes: &[u8]) -> u64 {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(bytes);
    z.finish().map_or(0, |out| out.len() as u64)
}
