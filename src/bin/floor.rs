//! The write floor of the hub benchmark: what delivering the same events to the same sockets costs on
//! this machine with no hub at all. It answers just enough of livecheck's public protocol for
//! `loadgen fanout` (`POST /api/start_test`, the `/ws` upgrade, `connection_established`), and then one
//! thread writes each event, encoded once, to every connected socket with one blocking `write` per frame
//! and per socket. No subscriptions, no outboxes, no coalescing, no tasks: the CPU it spends per
//! delivered message is the floor each server is measured against (BENCHMARKS.md).
//!
//! ```text
//! floor --addr 127.0.0.1:3500
//! ```
//!
//! Loopback only, like the rest of the benchmark; a run is bounded by the events it was asked for.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{Arc, Mutex},
    thread,
    time::{Duration, Instant},
};

/// Every WebSocket connection, written to by the publisher.
type Sockets = Arc<Mutex<Vec<TcpStream>>>;

fn main() {
    let addr: SocketAddr = std::env::args()
        .skip_while(|a| a != "--addr")
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3500".into())
        .parse()
        .unwrap_or_else(|e| fail(&format!("--addr: {e}")));
    if !addr.ip().is_loopback() {
        fail("--addr must be a loopback address");
    }
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let listener = TcpListener::bind(addr).unwrap_or_else(|e| fail(&format!("bind {addr}: {e}")));
    let sockets: Sockets = Arc::default();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if let Err(e) = serve(stream, &sockets) {
            eprintln!("floor: {e}");
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("floor: {message}");
    std::process::exit(2)
}

/// One connection's request: a run started (the publisher begins) or a WebSocket kept for it.
fn serve(mut stream: TcpStream, sockets: &Sockets) -> Result<(), String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let (head, body) = read_request(&mut stream)?;
    let first = head.lines().next().unwrap_or_default().to_owned();
    if first.starts_with("POST /api/start_test") {
        let form = |key: &str| -> u64 {
            body.split('&')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let (events, rate) = (form("events"), form("rate").max(1));
        let reply = r#"{"test_id":"floor"}"#;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        );
        stream
            .write_all(response.as_bytes())
            .map_err(|e| e.to_string())?;
        let sockets = sockets.clone();
        thread::spawn(move || publish(&sockets, events, rate));
        return Ok(());
    }
    let key = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_owned())
        })
        .ok_or_else(|| format!("not a WebSocket upgrade: {first}"))?;
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: {accept}\r\n\r\n"
    );
    stream
        .write_all(response.as_bytes())
        .and_then(|()| stream.write_all(&frame(r#"{"type":"connection_established"}"#)))
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    sockets
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(stream);
    Ok(())
}

/// The request head, and as much of the body as `content-length` says (at most 64 KiB in all).
fn read_request(stream: &mut TcpStream) -> Result<(String, String), String> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before a request".into());
        }
        data.extend_from_slice(&chunk[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            if data.len() > 64 * 1024 {
                return Err("request head too large".into());
            }
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).into_owned();
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0)
            .min(64 * 1024);
        while data.len() < end + 4 + length {
            let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8_lossy(&data[end + 4..]).into_owned();
        return Ok((head, body));
    }
}

/// An unmasked server-to-client text frame.
fn frame(text: &str) -> Vec<u8> {
    let len = text.len();
    let mut out = Vec::with_capacity(len + 10);
    out.push(0x81);
    match len {
        0..=125 => out.push(len as u8),
        126..=65535 => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(text.as_bytes());
    out
}

/// `events` progress events at `rate` per second to every socket, each encoded once and written
/// with one `write` per socket; then `test_completed`, and the sockets are let go.
fn publish(sockets: &Sockets, events: u64, rate: u64) {
    // The clients subscribe right after starting the run; give them the moment the hub gives them.
    thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    for seq in 1..=events {
        let due = started + Duration::from_secs_f64((seq - 1) as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        let sent = livecheck::clock::now_us();
        let event = frame(&format!(
            r#"{{"type":"test_progress","test_id":"floor","seq":{seq},"done_steps":{seq},"total_steps":{events},"message":"event {seq} t={sent}"}}"#
        ));
        let mut all = sockets.lock().unwrap_or_else(|e| e.into_inner());
        all.retain_mut(|s| s.write_all(&event).is_ok());
    }
    let done = frame(r#"{"type":"test_completed","test_id":"floor","success":true}"#);
    let mut all = sockets.lock().unwrap_or_else(|e| e.into_inner());
    for s in all.iter_mut() {
        let _ = s.write_all(&done);
    }
    all.clear();
}
