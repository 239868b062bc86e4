//! The HTTP side of the suite engines: [`HttpClient`] turns a step into a request (variables filled
//! in, the target guard applied, headers and body made) and sends it with a timeout and a bounded
//! body read; [`checks`] judges the response and captures variables from it.
//!
//! Every request has a timeout, so an unreachable or stalled target becomes a failed step with a clear
//! reason, never a hung run. The reason has a short kind (`timeout`, `connect`, …) for load figures.

pub mod checks;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use super::guard::{is_denied, is_unresolved, GuardedResolver, TargetPolicy, Unresolved};
use crate::suite::{render, render_json, StepDef};
pub use checks::Response;

/// Largest response body the engine reads; the rest is not needed for checks.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Sends suites' requests: one HTTP client (connection pool, guarded resolver) for every run.
pub struct HttpClient {
    client: reqwest::Client,
    step_timeout: Duration,
    policy: Arc<TargetPolicy>,
}

impl HttpClient {
    pub fn new(step_timeout: Duration, policy: TargetPolicy) -> Self {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // Redirects could lead anywhere, including where the guard would not let a suite go.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve names itself, out of the guard's sight: requests go direct.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(policy.clone())))
            .build()
            // Building a client without custom TLS roots cannot fail.
            .unwrap_or_default();
        Self {
            client,
            step_timeout,
            policy,
        }
    }

    /// Sends one step's request; the error says why no response arrived.
    pub async fn send(
        &self,
        step: &StepDef,
        vars: &BTreeMap<String, String>,
    ) -> Result<Response, SendError> {
        self.send_with(step, vars, None).await
    }

    /// The step's URL parsed once, when it has no `${…}` to fill in (the load engine sends the same
    /// request many times).
    pub fn fixed_url(step: &StepDef) -> Option<reqwest::Url> {
        (!step.url.contains("${"))
            .then(|| reqwest::Url::parse(&step.url).ok())
            .flatten()
    }

    /// [`Self::send`], with the URL already parsed when [`Self::fixed_url`] gave one.
    pub async fn send_with(
        &self,
        step: &StepDef,
        vars: &BTreeMap<String, String>,
        fixed_url: Option<&reqwest::Url>,
    ) -> Result<Response, SendError> {
        self.send_prepared(self.prepare(step, vars, fixed_url)?)
            .await
    }

    /// Sends a prepared request with the shared client.
    pub async fn send_prepared(&self, prepared: Prepared) -> Result<Response, SendError> {
        let timeout = prepared.timeout;
        let idempotent = prepared.method.is_idempotent();
        let mut request = self
            .client
            .request(prepared.method, prepared.url)
            .timeout(timeout);
        for (name, value) in prepared.headers {
            request = request.header(name, value);
        }
        if let Some(body) = prepared.body {
            request = request.body(body);
        }
        // A pooled keep-alive connection may have been closed by the target just as it was taken
        // for this request (a server's idle timeout, or one that closes after each response without
        // saying so). The request then dies with no answer though the target never saw it, so
        // an idempotent request is sent once more, on a new connection, within the same timeout,
        // as browsers do (RFC 9110 9.2.2). Other methods are not sent twice.
        let again = idempotent.then(|| request.try_clone()).flatten();
        let started = Instant::now();
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => match again {
                Some(again) if closed_before_answer(&e) => {
                    let left = timeout.saturating_sub(started.elapsed());
                    again
                        .timeout(left)
                        .send()
                        .await
                        .map_err(|e| describe(&e, timeout))?
                }
                _ => return Err(describe(&e, timeout)),
            },
        };
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let bytes = read_limited(response)
            .await
            .map_err(|e| describe(&e, timeout))?;
        Ok(Response {
            status,
            headers,
            body: body_text(bytes),
            latency: started.elapsed(),
        })
    }

    /// Everything about a step's request that does not depend on how it is sent: variables filled
    /// in, the URL parsed and its literal address checked against the guard, headers and body made.
    pub fn prepare(
        &self,
        step: &StepDef,
        vars: &BTreeMap<String, String>,
        fixed_url: Option<&reqwest::Url>,
    ) -> Result<Prepared, SendError> {
        let invalid = |message: String| SendError {
            kind: "invalid request",
            message,
        };
        let url = match fixed_url {
            Some(url) => url.clone(),
            None => {
                let url = render(&step.url, vars).map_err(|e| invalid(format!("url: {e}")))?;
                reqwest::Url::parse(&url).map_err(|e| invalid(format!("url {url:?}: {e}")))?
            }
        };
        // Names are checked by the resolver; literal addresses never reach it.
        if let Some(ip) = literal_ip(&url) {
            let port = url.port_or_known_default().unwrap_or(0);
            if !self.policy.permits_socket(SocketAddr::new(ip, port)) {
                return Err(denied());
            }
        }
        let method = if step.method.bytes().all(|b| b.is_ascii_uppercase()) {
            reqwest::Method::from_bytes(step.method.as_bytes())
        } else {
            reqwest::Method::from_bytes(step.method.to_uppercase().as_bytes())
        }
        .map_err(|_| invalid(format!("unsupported method {}", step.method)))?;
        let mut headers = Vec::with_capacity(step.headers.len() + 1);
        for (name, value) in &step.headers {
            let value = render(value, vars).map_err(|e| invalid(format!("header {name}: {e}")))?;
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("header {name}: not a valid name")))?;
            let value = reqwest::header::HeaderValue::from_str(&value)
                .map_err(|_| invalid(format!("header {name}: not a valid value")))?;
            headers.push((name, value));
        }
        let mut body = None;
        if let Some(def) = &step.body {
            if let Some(json) = &def.json {
                headers.push((
                    reqwest::header::CONTENT_TYPE,
                    reqwest::header::HeaderValue::from_static("application/json"),
                ));
                let json = render_json(json, vars).map_err(|e| invalid(format!("body: {e}")))?;
                body = Some(serde_json::to_vec(&json).unwrap_or_default().into());
            } else if let Some(text) = &def.text {
                let text = render(text, vars).map_err(|e| invalid(format!("body: {e}")))?;
                body = Some(text.into());
            }
        }
        Ok(Prepared {
            method,
            url,
            headers,
            body,
            timeout: step
                .timeout_ms
                .map_or(self.step_timeout, Duration::from_millis),
        })
    }

    /// Which addresses requests may go to.
    pub fn policy(&self) -> &TargetPolicy {
        &self.policy
    }
}

/// A step's request, ready to send.
pub struct Prepared {
    pub method: reqwest::Method,
    pub url: reqwest::Url,
    pub headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    pub body: Option<bytes::Bytes>,
    pub timeout: Duration,
}

/// The host of a URL when it is an IP address.
pub fn literal_ip(url: &reqwest::Url) -> Option<std::net::IpAddr> {
    url.host_str().and_then(|h| {
        h.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .ok()
    })
}

pub fn denied() -> SendError {
    SendError {
        kind: "denied",
        message: super::guard::Denied.to_string(),
    }
}

/// A response body as text (invalid UTF-8 replaced), without copying valid text.
pub fn body_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    Ok(body)
}

/// Why a request got no response: a short `kind` for counting (`timeout`, `connect`, …) and a
/// sentence for the user.
#[derive(Debug, Clone)]
pub struct SendError {
    pub kind: &'static str,
    pub message: String,
}

/// Whether a request failed because its connection closed before any answer came, and not for
/// a reason a new connection would meet again (no connection at all, a timeout, the guard).
fn closed_before_answer(e: &reqwest::Error) -> bool {
    if e.is_timeout() || e.is_connect() || is_denied(e) {
        return false;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return true;
            }
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionAborted
            ) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

fn describe(e: &reqwest::Error, timeout: Duration) -> SendError {
    let (kind, message) = if is_denied(e) {
        ("denied", super::guard::Denied.to_string())
    } else if e.is_timeout() {
        (
            "timeout",
            format!("no response within {} ms", timeout.as_millis()),
        )
    } else if is_unresolved(e) {
        ("dns", Unresolved.to_string())
    } else if e.is_connect() {
        ("connect", "could not connect to the target".into())
    } else if e.is_builder() {
        (
            "invalid request",
            "the request could not be built (check the URL)".into(),
        )
    } else {
        (
            "transport",
            "the request failed before a complete response arrived".into(),
        )
    };
    SendError { kind, message }
}
