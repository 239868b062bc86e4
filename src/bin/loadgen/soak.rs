//! `loadgen soak`: many connections for a long time, following one slow run, with a steady trickle of
//! reconnects; the server's RSS and open files are sampled throughout. A server that leaks per
//! connection, per message or per reconnect shows it here as a slope.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::{connect, connect_and_start, rss_kib, Args, Ws};

/// Counted by every connection's task.
#[derive(Default)]
struct Counters {
    delivered: AtomicU64,
    reconnects: AtomicU64,
    failures: AtomicU64,
}

/// One sample of the server.
struct Sample {
    at: f64,
    rss_kib: u64,
    fds: usize,
}

/// `clients` connections follow one synthetic run of `rate` events per second for `seconds`;
/// `churn` of them per second close and reconnect (each connection in turn). Samples every
/// `sample` seconds; the first `warmup` seconds are left out of the flatness figures.
pub async fn soak(args: &Args, token: &str) -> Result<(), String> {
    let pid = *args.pids.first().ok_or("soak needs --pid <server pid>")?;
    let (sockets, subscribe) = connect_and_start(args, token).await?;
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let churn = args.churn.max(1) as f64;
    // Each connection reconnects once per `period`; connection i first at i / churn seconds.
    let period = Duration::from_secs_f64(args.clients as f64 / churn);
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, ws)| {
            let first = started + Duration::from_secs_f64(i as f64 / churn);
            let slot = Slot {
                addr: args.addr,
                token: token.to_owned(),
                subscribe: subscribe.clone(),
                counters: counters.clone(),
                deadline,
                period,
            };
            tokio::spawn(slot.run(ws, first))
        })
        .collect();

    let mut samples = Vec::new();
    let every = Duration::from_secs(args.sample.max(1));
    let mut next = started;
    while next <= deadline {
        tokio::time::sleep_until(next.into()).await;
        let sample = Sample {
            at: started.elapsed().as_secs_f64(),
            rss_kib: rss_kib(pid)?,
            fds: open_files(pid)?,
        };
        println!(
            "soak t={:.0}s rss_kib={} fds={} delivered={} reconnects={} failed={}",
            sample.at,
            sample.rss_kib,
            sample.fds,
            counters.delivered.load(Ordering::Relaxed),
            counters.reconnects.load(Ordering::Relaxed),
            counters.failures.load(Ordering::Relaxed),
        );
        samples.push(sample);
        next += every;
    }
    for t in tasks {
        let _ = t.await;
    }
    summarise(args, &samples, &counters);
    Ok(())
}

/// One connection's life over the soak: follow the run, reconnect when its turn comes.
struct Slot {
    addr: std::net::SocketAddr,
    token: String,
    subscribe: Message,
    counters: Arc<Counters>,
    deadline: Instant,
    period: Duration,
}

impl Slot {
    async fn run(self, mut ws: Ws, mut reconnect_at: Instant) {
        loop {
            if ws.send(self.subscribe.clone()).await.is_err() {
                self.counters.failures.fetch_add(1, Ordering::Relaxed);
            }
            let until = reconnect_at.min(self.deadline);
            let dropped = loop {
                match tokio::time::timeout_at(until.into(), ws.next()).await {
                    Ok(Some(Ok(Message::Text(text)))) => {
                        let progress = text.as_str().matches("\"test_progress\"").count();
                        self.counters
                            .delivered
                            .fetch_add(progress as u64, Ordering::Relaxed);
                    }
                    Ok(Some(Ok(_))) => {}
                    Ok(_) => break true,
                    Err(_) => break false,
                }
            };
            if dropped && Instant::now() < self.deadline {
                // The server closed a connection it should have kept.
                self.counters.failures.fetch_add(1, Ordering::Relaxed);
            }
            close(ws).await;
            if Instant::now() >= self.deadline {
                return;
            }
            reconnect_at += self.period;
            ws = loop {
                match connect(self.addr, &self.token).await {
                    Ok(ws) => break ws,
                    Err(_) => {
                        self.counters.failures.fetch_add(1, Ordering::Relaxed);
                        if Instant::now() >= self.deadline {
                            return;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            self.counters.reconnects.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Closes politely: the close frame, then reading until the server's answer (at most a second).
async fn close(mut ws: Ws) {
    let _ = ws.close(None).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

fn open_files(pid: u32) -> Result<usize, String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(Iterator::count)
        .map_err(|e| e.to_string())
}

/// The one line a reader compares: RSS and open files after the warm-up, as a range and a spread.
fn summarise(args: &Args, samples: &[Sample], counters: &Counters) {
    let warm: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at >= args.warmup as f64)
        .collect();
    let (Some(first), Some(last)) = (warm.first(), warm.last()) else {
        println!("soak: no samples after the warm-up");
        return;
    };
    let rss_min = warm.iter().map(|s| s.rss_kib).min().unwrap_or(0);
    let rss_max = warm.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let rss_mean = warm.iter().map(|s| s.rss_kib as f64).sum::<f64>() / warm.len() as f64;
    let fds_min = warm.iter().map(|s| s.fds).min().unwrap_or(0);
    let fds_max = warm.iter().map(|s| s.fds).max().unwrap_or(0);
    println!(
        "soak clients={} seconds={} rate={}/s churn={}/s delivered={} reconnects={} failed={} \
         after_warmup={}s rss_kib first={} last={} min={} max={} spread_pct=±{:.1} \
         fds first={} last={} min={} max={}",
        args.clients,
        args.seconds,
        args.rate,
        args.churn,
        counters.delivered.load(Ordering::Relaxed),
        counters.reconnects.load(Ordering::Relaxed),
        counters.failures.load(Ordering::Relaxed),
        args.warmup,
        first.rss_kib,
        last.rss_kib,
        rss_min,
        rss_max,
        50.0 * (rss_max - rss_min) as f64 / rss_mean.max(1.0),
        first.fds,
        last.fds,
        fds_min,
        fds_max,
    );
}
