//! `livecheck run --server URL --token T SUITE`: starts a suite stored on a livecheck server through
//! the REST API (`POST /api/v1/runs`), then follows it live over the WebSocket protocol the browser
//! speaks — the hub's second real client — printing the same lines as a local run. If the socket
//! drops, it reconnects and resumes from the last event with `since_seq`, so no step is lost or
//! printed twice.

use std::{io::Write, time::Duration};

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};
use tokio_util::sync::CancellationToken;

use super::{describe, finish, step_line, summary_line, HeadlessError, Outcome, RunArgs};
use crate::{
    protocol::{ClientMessage, RunSnapshot, ServerMessage},
    server::WS_PROTOCOL,
};

/// Reconnections tried in a row before giving up.
const MAX_RECONNECTS: u32 = 10;

pub async fn run(
    args: RunArgs,
    server: &str,
    token: &str,
    cancel: CancellationToken,
    mut out: impl Write + Send + 'static,
) -> Result<Outcome, HeadlessError> {
    let server = server.trim_end_matches('/');
    let failed = |message: String| HeadlessError::Usage(message);
    let suite = args.suite.to_string_lossy().into_owned();
    let suite_ref = suite
        .parse::<i64>()
        .map_or_else(|_| json!(suite), |id| json!(id));
    let variables: serde_json::Map<String, serde_json::Value> = args
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let response = reqwest::Client::new()
        .post(format!("{server}/api/v1/runs"))
        .bearer_auth(token)
        .json(&json!({
            "suite": suite_ref,
            "environment": args.environment,
            "variables": variables,
        }))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| failed(format!("cannot reach {server}: {e}")))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| failed(format!("{server} answered unreadably: {e}")))?;
    if !status.is_success() {
        let reason = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or(body);
        return Err(failed(format!(
            "{server} refused the run ({status}): {reason}"
        )));
    }
    let mut snapshot: RunSnapshot = serde_json::from_str(&body)
        .map_err(|e| failed(format!("{server} answered with no run: {e}")))?;
    let _ = writeln!(
        out,
        "Running {:?} on {server} (run {})",
        snapshot.name, snapshot.test_id
    );

    let mut attempts = 0;
    while !snapshot.status.is_finished() {
        if cancel.is_cancelled() {
            let _ = writeln!(out, "  stopped following (the run goes on on the server)");
            return Ok(Outcome::Cancelled);
        }
        match follow(server, token, &mut snapshot, &cancel, &mut out).await {
            Ok(()) => attempts = 0,
            Err(e) if attempts < MAX_RECONNECTS => {
                attempts += 1;
                let wait = Duration::from_millis(250 * 2u64.pow(attempts.min(6)));
                let _ = writeln!(out, "  connection lost ({e}); reconnecting in {wait:?}");
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(failed(format!("lost the run's live events: {e}"))),
        }
    }
    let outcome = finish(&args, &snapshot)?;
    let _ = writeln!(out, "{}", summary_line(&snapshot));
    Ok(outcome)
}

/// One connection: subscribes (resuming after the last event seen) and folds events into `snapshot`
/// until the run is over, the socket closes, or `cancel` fires.
async fn follow(
    server: &str,
    token: &str,
    snapshot: &mut RunSnapshot,
    cancel: &CancellationToken,
    out: &mut impl Write,
) -> Result<(), String> {
    let ws_url = match server.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}/ws"),
        Some((_, rest)) => format!("ws://{rest}/ws"),
        None => format!("ws://{server}/ws"),
    };
    let mut request = ws_url
        .into_client_request()
        .map_err(|e| format!("bad server address: {e}"))?;
    let offer = HeaderValue::from_str(&format!("{WS_PROTOCOL}, bearer.{token}"))
        .map_err(|_| "the token has characters a header cannot carry".to_owned())?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", offer);
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| e.to_string())?;
    let resume = (snapshot.seq > 0).then(|| (snapshot.seq, snapshot.epoch.clone()));
    let subscribe = ClientMessage::SubscribeTest {
        test_id: snapshot.test_id.clone(),
        since_seq: resume.as_ref().map(|(seq, _)| *seq),
        epoch: resume.map(|(_, epoch)| epoch),
    };
    let text = serde_json::to_string(&subscribe).unwrap_or_default();
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|e| e.to_string())?;
    while !snapshot.status.is_finished() {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            _ = cancel.cancelled() => return Ok(()),
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                return Err(
                    frame.map_or_else(|| "closed".into(), |f| format!("closed ({})", f.code))
                )
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("closed".into()),
        };
        let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else {
            continue;
        };
        take(snapshot, message, out)?;
    }
    let _ = socket.close(None).await;
    Ok(())
}

/// Folds one server message into the snapshot and prints what deserves a line.
fn take(
    snapshot: &mut RunSnapshot,
    message: ServerMessage,
    out: &mut impl Write,
) -> Result<(), String> {
    match message {
        ServerMessage::Subscribed {
            snapshot: Some(fresh),
            ..
        } => {
            // A snapshot instead of a replay: print the steps it has that were not printed yet.
            let printed = snapshot.steps.len();
            for step in fresh.steps.iter().skip(printed) {
                let _ = writeln!(out, "{}", step_line(step, fresh.total_steps));
            }
            *snapshot = fresh;
        }
        ServerMessage::Error { code, message } => {
            return Err(format!("the server refused: {} ({message})", code.as_str()))
        }
        event
            if event
                .run_event()
                .is_some_and(|(id, seq)| id == snapshot.test_id && seq > snapshot.seq) =>
        {
            if let Some(line) = describe(&event) {
                let _ = writeln!(out, "{line}");
            }
            snapshot.apply(&event);
        }
        _ => {}
    }
    Ok(())
}
