//! The load engine's own HTTP/1.1 client for `http://` targets: each virtual user keeps one connection
//! and drives it in its own task (no connection pool, no task per connection, no channel between
//! tasks), which is most of what a general client costs per request. The request itself is the one
//! the shared HTTP client prepares (same templating, headers, body and timeout) and the response is checked
//! the same way. The target guard applies to every address a name resolves to, as in the shared client.
//! `https://` steps go through the shared client instead.

use std::{future::Future, net::SocketAddr, pin::Pin, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpStream, time::Instant};

use crate::engine::{
    guard::TargetPolicy,
    http::{body_text, denied, literal_ip, Prepared, Response, SendError, MAX_BODY_BYTES},
};

type Connection = Pin<Box<dyn Future<Output = Result<(), hyper::Error>> + Send>>;

/// One virtual user's connection, opened on first use and reopened when the target changes or the
/// server closes it.
#[derive(Default)]
pub struct UserConnection {
    open: Option<Open>,
}

struct Open {
    /// `host:port` it is connected to.
    authority: String,
    sender: SendRequest<Full<Bytes>>,
    connection: Connection,
    /// The connection future has completed (the server closed it): it must not be polled again.
    finished: bool,
}

fn transport(message: &str) -> SendError {
    SendError {
        kind: "transport",
        message: message.to_owned(),
    }
}

fn connect_error() -> SendError {
    SendError {
        kind: "connect",
        message: "could not connect to the target".into(),
    }
}

impl UserConnection {
    /// Sends a prepared `http://` request and reads the whole response (its first 4 MiB).
    pub async fn send(
        &mut self,
        request: Prepared,
        policy: &TargetPolicy,
    ) -> Result<Response, SendError> {
        let timeout = request.timeout;
        let started = Instant::now();
        match tokio::time::timeout(timeout, self.exchange(request, policy)).await {
            Ok(Ok((status, headers, body))) => Ok(Response {
                status,
                headers,
                body: body_text(body),
                latency: started.elapsed(),
            }),
            Ok(Err(e)) => {
                self.open = None;
                Err(e)
            }
            Err(_) => {
                // The connection is mid-exchange: it cannot be reused.
                self.open = None;
                Err(SendError {
                    kind: "timeout",
                    message: format!("no response within {} ms", timeout.as_millis()),
                })
            }
        }
    }

    async fn exchange(
        &mut self,
        request: Prepared,
        policy: &TargetPolicy,
    ) -> Result<(u16, hyper::HeaderMap, Vec<u8>), SendError> {
        let host = request.url.host_str().unwrap_or_default().to_owned();
        let port = request.url.port_or_known_default().unwrap_or(80);
        let authority = match request.url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let mut reusable = self
            .open
            .as_ref()
            .is_some_and(|o| o.authority == authority && !o.finished && !o.sender.is_closed());
        if let Some(open) = self.open.as_mut().filter(|_| reusable) {
            // A connection the server has closed since is noticed here, not by the request.
            let ready = open.sender.ready();
            reusable = drive(&mut open.connection, &mut open.finished, ready)
                .await
                .is_ok()
                && !open.finished;
        }
        if !reusable {
            self.open = Some(connect(&request.url, &host, port, authority.clone(), policy).await?);
        }
        let Some(open) = self.open.as_mut() else {
            return Err(connect_error());
        };
        let path = match request.url.query() {
            Some(q) => format!("{}?{q}", request.url.path()),
            None => request.url.path().to_owned(),
        };
        let mut builder = hyper::Request::builder().method(request.method).uri(path);
        // A step's own `Host` header wins, as it does with the shared client.
        if !request
            .headers
            .iter()
            .any(|(name, _)| name == hyper::header::HOST)
        {
            builder = builder.header(hyper::header::HOST, authority);
        }
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        let req = builder
            .body(Full::new(request.body.unwrap_or_default()))
            .map_err(|_| transport("the request could not be built"))?;

        // The connection makes progress only while polled: poll it alongside the exchange.
        let sent = open.sender.send_request(req);
        let response = drive(&mut open.connection, &mut open.finished, sent)
            .await
            .map_err(|_| transport("the request failed before a complete response arrived"))?;
        let (parts, mut body) = response.into_parts();
        let mut bytes = Vec::new();
        let mut complete = true;
        loop {
            let frame = drive(&mut open.connection, &mut open.finished, body.frame()).await;
            match frame {
                None => break,
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        let room = MAX_BODY_BYTES.saturating_sub(bytes.len());
                        bytes.extend_from_slice(&data[..data.len().min(room)]);
                        if room <= data.len() {
                            // The rest is not needed; the connection cannot be reused without it.
                            complete = false;
                            break;
                        }
                    }
                }
                Some(Err(_)) => {
                    return Err(transport(
                        "the request failed before a complete response arrived",
                    ))
                }
            }
        }
        let closing = parts
            .headers
            .get(hyper::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if !complete || closing {
            self.open = None;
        }
        Ok((parts.status.as_u16(), parts.headers, bytes))
    }
}

/// Runs `work` while also polling the connection (which is what moves bytes). When the connection
/// ends first (the server closed it, possibly right after a complete response), `work` finishes on
/// its own: with what had arrived, or with an error.
async fn drive<F: Future>(connection: &mut Connection, finished: &mut bool, work: F) -> F::Output {
    tokio::pin!(work);
    if !*finished {
        tokio::select! {
            biased;
            out = &mut work => return out,
            _ = connection.as_mut() => *finished = true,
        }
    }
    work.await
}

/// Resolves (refusing denied addresses) and connects, then shakes hands.
async fn connect(
    url: &reqwest::Url,
    host: &str,
    port: u16,
    authority: String,
    policy: &TargetPolicy,
) -> Result<Open, SendError> {
    let addrs: Vec<SocketAddr> = match literal_ip(url) {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| SendError {
                kind: "dns",
                message: crate::engine::guard::Unresolved.to_string(),
            })?
            .collect(),
    };
    let allowed: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| policy.permits_socket(*a))
        .collect();
    if allowed.is_empty() {
        return Err(denied());
    }
    let mut stream = None;
    for addr in allowed {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await
        {
            stream = Some(s);
            break;
        }
    }
    let stream = stream.ok_or_else(connect_error)?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| connect_error())?;
    Ok(Open {
        authority,
        sender,
        connection: Box::pin(connection),
        finished: false,
    })
}
