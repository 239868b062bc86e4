//! Load generator for the WebSocket hub: opens N authenticated connections on loopback, subscribes them
//! to synthetic runs started through the public API, and reports delivered messages per second,
//! publish→receive latency, connect times, and the server's memory per connection.
//!
//! It speaks only the public protocol (`POST /api/start_test`, `GET /ws?token=`, `subscribe_test`), so
//! the same binary measures livecheck and the Node baseline in `bench/node-baseline`. Tokens are minted
//! with the shared HS256 secret. Traffic goes to loopback only; every scenario is bounded in time.
//!
//! With `--pid`, `fanout` also reports what the server spent: its CPU time (user + system, from
//! `/proc/<pid>/stat`) over the measured window, delivered messages per server CPU-second, and user and
//! system CPU per delivered message; and the generator's own CPU beside it. On a shared 2-core machine
//! these hold when throughput figures do not (the two processes compete for the same cores).
//!
//! ```text
//! loadgen fanout  --addr 127.0.0.1:3000 --secret S --clients 1000 --rate 100 --seconds 10 [--pid <server pid>]
//! loadgen burst   --addr 127.0.0.1:3000 --secret S --clients 10000
//! loadgen idle    --addr 127.0.0.1:3000 --secret S --clients 10000 --pid <server pid>
//! loadgen soak    --addr 127.0.0.1:3000 --secret S --clients 10000 --rate 1 --seconds 600 \
//!                 --churn 10 --sample 10 --warmup 60 --pid <server pid>
//! loadgen wire    --addr 127.0.0.1:3000 --secret S
//! ```

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::net::TcpStream;
use tokio_tungstenite::{tungstenite::Message, MaybeTlsStream, WebSocketStream};

mod frames;
mod soak;
mod wire;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Args {
    scenario: String,
    addr: SocketAddr,
    secret: String,
    clients: usize,
    rate: u32,
    seconds: u64,
    /// The server's process, or every process of a cluster (`--pid A,B,REDIS`): their CPU is summed.
    pids: Vec<u32>,
    /// Where the run is started (`--start-addr`; another node of a cluster), if not at `addr`.
    start_addr: SocketAddr,
    concurrency: usize,
    /// `soak`: connections that close and reconnect per second, seconds between samples, and the
    /// seconds left out of the flatness figures at the start.
    churn: u64,
    sample: u64,
    warmup: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let scenario = it
        .next()
        .ok_or("usage: loadgen fanout|burst|idle|soak|wire [options]")?;
    let mut map = HashMap::new();
    while let Some(key) = it.next() {
        let value = it.next().ok_or(format!("{key} needs a value"))?;
        map.insert(key.trim_start_matches("--").to_owned(), value);
    }
    let get = |k: &str, d: &str| map.get(k).cloned().unwrap_or_else(|| d.to_owned());
    let addr: SocketAddr = get("addr", "127.0.0.1:3000")
        .parse()
        .map_err(|e| format!("--addr: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(
            "--addr must be a loopback address: load is only ever sent to this machine".into(),
        );
    }
    let num = |k: &str, d: &str| -> Result<u64, String> {
        get(k, d).parse().map_err(|e| format!("--{k}: {e}"))
    };
    // Bounded: a soak runs at most 15 minutes, anything else 2.
    let longest = if scenario == "soak" { 900 } else { 120 };
    Ok(Args {
        scenario,
        addr,
        secret: map.get("secret").cloned().ok_or("--secret is required")?,
        clients: num("clients", "100")? as usize,
        rate: num("rate", "100")? as u32,
        seconds: num("seconds", "10")?.min(longest),
        pids: map
            .get("pid")
            .map(|p| {
                p.split(',')
                    .map(str::parse)
                    .collect::<Result<Vec<u32>, _>>()
            })
            .transpose()
            .map_err(|e| format!("--pid: {e}"))?
            .unwrap_or_default(),
        start_addr: match map.get("start-addr") {
            Some(a) => {
                let a: SocketAddr = a.parse().map_err(|e| format!("--start-addr: {e}"))?;
                if !a.ip().is_loopback() {
                    return Err("--start-addr must be a loopback address".into());
                }
                a
            }
            None => addr,
        },
        concurrency: num("concurrency", "256")? as usize,
        churn: num("churn", "10")?,
        sample: num("sample", "10")?,
        warmup: num("warmup", "60")?,
    })
}

#[tokio::main]
async fn main() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let token = mint_token(&args.secret);
    let result = match args.scenario.as_str() {
        "fanout" => fanout(&args, &token).await,
        "burst" => burst(&args, &token).await,
        "idle" => idle(&args, &token).await,
        "soak" => soak::soak(&args, &token).await,
        "wire" => wire::wire(&args, &token).await,
        other => Err(format!("unknown scenario {other}")),
    };
    if let Err(e) = result {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}

fn mint_token(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = livecheck::auth::Claims {
        sub: "1".into(),
        name: "demo".into(),
        ver: 0,
        iat: now,
        exp: now + 3600,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap_or_default()
}

fn now_us() -> u64 {
    livecheck::clock::now_us()
}

/// Opens one authenticated connection and waits for `connection_established`.
async fn connect(addr: SocketAddr, token: &str) -> Result<Ws, String> {
    let url = format!("ws://{addr}/ws?token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        Ok(Some(Ok(Message::Text(_)))) => Ok(ws),
        Ok(other) => Err(format!("no connection_established: {other:?}")),
        Err(_) => Err("timed out waiting for connection_established".into()),
    }
}

/// Opens `n` connections, at most `concurrency` at a time; returns them with each connect's duration.
async fn connect_many(
    addr: SocketAddr,
    token: &str,
    n: usize,
    concurrency: usize,
) -> (Vec<Ws>, Vec<Duration>, Vec<String>) {
    let results = futures::stream::iter(0..n)
        .map(|_| {
            let token = token.to_owned();
            async move {
                let t0 = Instant::now();
                connect(addr, &token).await.map(|ws| (ws, t0.elapsed()))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut sockets = Vec::new();
    let mut times = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok((ws, t)) => {
                sockets.push(ws);
                times.push(t);
            }
            Err(e) => errors.push(e),
        }
    }
    (sockets, times, errors)
}

/// Starts a synthetic run through the public API; returns its `test_id`.
async fn start_run(
    addr: SocketAddr,
    token: &str,
    events: u64,
    rate: u32,
) -> Result<String, String> {
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/start_test"))
        .header("cookie", format!("livecheck_session={token}"))
        .form(&[
            ("key", "synthetic".to_owned()),
            ("events", events.to_string()),
            ("rate", rate.to_string()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
    body["test_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or(format!("no test_id in {body}"))
}

#[derive(Default)]
struct Tally {
    delivered: AtomicU64,
    latency: Mutex<Option<Histogram<u64>>>,
}

fn unreachable_hist() -> Histogram<u64> {
    // Three significant digits is always a valid precision.
    Histogram::new(3).expect("histogram")
}

/// Opens `clients` connections and starts a synthetic run of `rate` events per second for
/// `seconds`; returns the connections and the message that subscribes one to the run.
async fn connect_and_start(args: &Args, token: &str) -> Result<(Vec<Ws>, Message), String> {
    let (sockets, _, errors) = connect_many(args.addr, token, args.clients, args.concurrency).await;
    if !errors.is_empty() {
        return Err(format!(
            "{} of {} connections failed: {}",
            errors.len(),
            args.clients,
            errors[0]
        ));
    }
    let events = u64::from(args.rate) * args.seconds;
    let test_id = start_run(args.start_addr, token, events, args.rate).await?;
    let subscribe = Message::text(format!(
        r#"{{"type":"subscribe_test","test_id":"{test_id}"}}"#
    ));
    Ok((sockets, subscribe))
}

/// `clients` connections follow one synthetic run of `rate` events per second for `seconds`.
async fn fanout(args: &Args, token: &str) -> Result<(), String> {
    let events = u64::from(args.rate) * args.seconds;
    let (sockets, subscribe) = connect_and_start(args, token).await?;
    let tally = Arc::new(Tally::default());
    let server_before = servers_cpu(&args.pids)?;
    let own_before = cpu_ticks_of("self")?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds * 3 + 10);
    // Every client subscribes from its own task, so all are following within moments of the start.
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            let (tally, subscribe) = (tally.clone(), subscribe.clone());
            tokio::spawn(async move {
                if ws.send(subscribe).await.is_ok() {
                    frames::drain(ws, tally, deadline).await;
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let own = cpu_ticks_of("self")?.since(own_before);
    let server = match server_before {
        Some(before) => servers_cpu(&args.pids)?.map(|now| now.since(before)),
        None => None,
    };
    let delivered = tally.delivered.load(Ordering::Relaxed);
    let expected = events * args.clients as u64;
    let hist = tally.latency.lock().ok().and_then(|h| h.clone());
    let (p50, p99, max) = hist
        .map(|h| {
            (
                h.value_at_quantile(0.5) as f64 / 1000.0,
                h.value_at_quantile(0.99) as f64 / 1000.0,
                h.max() as f64 / 1000.0,
            )
        })
        .unwrap_or_default();
    println!(
        "fanout clients={} rate={}/s events={} delivered={} ({:.1}% of {}) elapsed={:.2}s \
         delivered_per_sec={:.0} latency_ms p50={:.2} p99={:.2} max={:.2}",
        args.clients,
        args.rate,
        events,
        delivered,
        100.0 * delivered as f64 / expected.max(1) as f64,
        expected,
        elapsed,
        delivered as f64 / elapsed,
        p50,
        p99,
        max
    );
    if let Some(server) = server {
        let per_msg_us = |s: f64| s * 1e6 / delivered.max(1) as f64;
        println!(
            "cpu server_cpu_s={:.2} server_user_s={:.2} server_sys_s={:.2} \
             per_server_cpu_s={:.0} user_us_per_msg={:.2} sys_us_per_msg={:.2} \
             gen_cpu_s={:.2} gen_us_per_msg={:.2}",
            server.total(),
            server.user,
            server.system,
            delivered as f64 / server.total().max(1e-9),
            per_msg_us(server.user),
            per_msg_us(server.system),
            own.total(),
            per_msg_us(own.total()),
        );
    }
    Ok(())
}

/// CPU time in seconds, user and system.
#[derive(Clone, Copy)]
struct Cpu {
    user: f64,
    system: f64,
}

impl Cpu {
    fn total(self) -> f64 {
        self.user + self.system
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            user: self.user - before.user,
            system: self.system - before.system,
        }
    }
}

/// The CPU time of all the server processes together (none given: `None`).
fn servers_cpu(pids: &[u32]) -> Result<Option<Cpu>, String> {
    let mut sum: Option<Cpu> = None;
    for pid in pids {
        let cpu = cpu_ticks_of(&pid.to_string())?;
        let s = sum.get_or_insert(Cpu {
            user: 0.0,
            system: 0.0,
        });
        s.user += cpu.user;
        s.system += cpu.system;
    }
    Ok(sum)
}

/// utime and stime of `/proc/<who>/stat` (fields 14 and 15, in clock ticks of 1/100 s: Linux's
/// USER_HZ), in seconds.
fn cpu_ticks_of(who: &str) -> Result<Cpu, String> {
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string(format!("/proc/{who}/stat")).map_err(|e| e.to_string())?;
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<f64, String> {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .map(|t| t / TICKS_PER_SECOND)
            .ok_or_else(|| format!("/proc/{who}/stat has no field {n}"))
    };
    Ok(Cpu {
        user: field(14)?,
        system: field(15)?,
    })
}

/// `clients` connections opened all at once (up to `concurrency` in flight).
async fn burst(args: &Args, token: &str) -> Result<(), String> {
    let t0 = Instant::now();
    let (sockets, mut times, errors) =
        connect_many(args.addr, token, args.clients, args.concurrency).await;
    let total = t0.elapsed().as_secs_f64();
    times.sort();
    let q = |p: f64| {
        times
            .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "burst clients={} concurrency={} ok={} failed={} total={:.2}s connect_ms p50={:.1} p99={:.1} max={:.1}",
        args.clients,
        args.concurrency,
        sockets.len(),
        errors.len(),
        total,
        q(0.5),
        q(0.99),
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    );
    if let Some(e) = errors.first() {
        println!("burst first error: {e}");
    }
    Ok(())
}

/// Holds `clients` idle authenticated connections and reports the server's RSS per connection.
async fn idle(args: &Args, token: &str) -> Result<(), String> {
    let pid = *args.pids.first().ok_or("idle needs --pid <server pid>")?;
    let before = rss_kib(pid)?;
    let (sockets, _, errors) = connect_many(args.addr, token, args.clients, args.concurrency).await;
    // Let the server settle (allocator, lazy buffers) before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = rss_kib(pid)?;
    let held = sockets.len();
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid)?;
    println!(
        "idle clients={} held={} failed={} rss_kib before={} with_clients={} after_close={} \
         kib_per_connection={:.2}",
        args.clients,
        held,
        errors.len(),
        before,
        during,
        after,
        (during.saturating_sub(before)) as f64 / held.max(1) as f64
    );
    if let Some(e) = errors.first() {
        println!("idle first error: {e}");
    }
    Ok(())
}

fn rss_kib(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}
