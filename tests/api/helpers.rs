//! `spawn_app()` starts the whole server on a free port with its own temporary data directory.

use std::{net::SocketAddr, time::Duration};

use futures::{SinkExt, StreamExt};
use leptos::prelude::LeptosOptions;
use livecheck::{
    auth,
    engine::guard::TargetPolicy,
    protocol::api::Role,
    protocol::{RunSnapshot, RunStatus, ServerMessage},
    server::{self, AppState, Config},
};
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{self, client::IntoClientRequest, Message},
    MaybeTlsStream, WebSocketStream,
};

pub const DEMO_USER: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";
pub const JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";

pub type RawWs = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A test client's socket. Every frame the server sends is one message: the helpers that read
/// it fail on a frame that is not.
pub struct Ws {
    pub raw: RawWs,
}

impl Ws {
    fn new(raw: RawWs) -> Self {
        Self { raw }
    }

    pub async fn send(&mut self, msg: Message) -> Result<(), tungstenite::Error> {
        self.raw.send(msg).await
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub http: reqwest::Client,
    _data: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let data = tempfile::tempdir().expect("temp dir");
    // What `./run serve` asks for: the demo account, and suites may call services on this host
    // (the tests' own targets). Tests of the binary's defaults set them back.
    let mut config = Config {
        data_dir: data.path().to_path_buf(),
        jwt_secret: Some(JWT_SECRET.into()),
        seed_demo: true,
        targets: TargetPolicy::from_lists("", "127.0.0.0/8,::1").unwrap(),
        ..Config::default()
    };
    configure(&mut config);
    if config.database_url.is_none() {
        config.database_url = test_postgres(&config.data_dir).await;
    }
    let options = LeptosOptions::builder()
        .output_name("livecheck")
        .site_root(data.path().join("site").display().to_string())
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let state = server::build_state(config, options, addr)
        .await
        .expect("state");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        state,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _data: data,
        shutdown: Some(tx),
    }
}

/// With `LIVECHECK_TEST_POSTGRES` set (`./run test` sets it for a second pass of these tests), the
/// store lives in PostgreSQL: one database per data directory, created on first use, so servers that
/// share a data directory (a restart, a second node) share the database too.
pub async fn test_postgres(data_dir: &std::path::Path) -> Option<String> {
    use sqlx::Connection;
    let admin = std::env::var("LIVECHECK_TEST_POSTGRES").ok()?;
    let name = format!(
        "lc_{:016x}",
        fnv1a(data_dir.display().to_string().as_bytes())
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL");
    match sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
    {
        Ok(_) => {}
        // Another server of the same test made it first.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {
        }
        Err(e) => panic!("create the test database {name}: {e}"),
    }
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    Some(format!("{base}/{name}"))
}

/// The store the test servers with data directory `dir` use (SQLite in it, or its PostgreSQL database).
pub async fn store_for(dir: &std::path::Path) -> livecheck::store::Store {
    match test_postgres(dir).await {
        Some(url) => livecheck::store::Store::connect(&url).await,
        None => livecheck::store::Store::open(&dir.join("livecheck.db")).await,
    }
    .expect("open the test store")
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl TestApp {
    /// The server's data directory (another server may share it, as a second node or a restart).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._data.path().to_path_buf()
    }

    /// Shuts the server down as SIGTERM does: it drains, then stops serving.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Calls the `login` server function; returns the response.
    pub async fn post_login(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/login"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("login request")
    }

    /// Logs in and returns the session token from the `Set-Cookie` header.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = self.post_login(username, password).await;
        assert_eq!(res.status(), 200, "login failed: {:?}", res.text().await);
        session_from(&res).expect("a session cookie")
    }

    pub async fn login_demo(&self) -> String {
        self.login(DEMO_USER, DEMO_PASSWORD).await
    }

    /// Creates another account directly in the store.
    pub async fn create_user(&self, username: &str, password: &str) {
        let hash = auth::hash_password(password).unwrap();
        assert!(self
            .state
            .store
            .create_user_if_missing(username, &hash)
            .await
            .unwrap());
    }

    /// Creates an account with a role directly in the store.
    pub async fn create_user_with_role(&self, username: &str, password: &str, role: Role) {
        let hash = auth::hash_password(password).unwrap();
        assert!(self
            .state
            .store
            .create_user(username, &hash, role)
            .await
            .unwrap()
            .is_some());
    }

    /// Calls a server function with the session cookie; returns status and body.
    /// A page as the server renders it for the signed-in user.
    pub async fn page(&self, token: &str, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(self.url(path))
            .header("cookie", format!("{}={token}", auth::SESSION_COOKIE))
            .send()
            .await
            .expect("page request");
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub async fn call(&self, token: &str, endpoint: &str, form: &[(&str, &str)]) -> (u16, String) {
        let res = self
            .http
            .post(self.url(&format!("/api/{endpoint}")))
            .header("cookie", format!("{}={token}", auth::SESSION_COOKIE))
            .form(form)
            .send()
            .await
            .expect("server function request");
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub async fn start_test(&self, token: &str, key: &str, delay_ms: u32) -> RunSnapshot {
        let delay = delay_ms.to_string();
        let (status, body) = self
            .call(token, "start_test", &[("key", key), ("delay_ms", &delay)])
            .await;
        assert_eq!(status, 200, "start_test failed: {body}");
        serde_json::from_str(&body).expect("a run snapshot")
    }

    /// Opens a WebSocket authenticated by the session cookie, as a browser does.
    pub async fn ws_with_cookie(&self, token: &str) -> Result<Ws, tungstenite::Error> {
        ws_to(self.addr, token).await
    }

    /// Starts a run with any `start_test` fields; returns its snapshot.
    pub async fn start_with(&self, token: &str, form: &[(&str, &str)]) -> RunSnapshot {
        let (status, body) = self.call(token, "start_test", form).await;
        assert_eq!(status, 200, "start_test failed: {body}");
        serde_json::from_str(&body).expect("a run snapshot")
    }

    /// Polls the `run` server function until `done` holds (20 s at most).
    pub async fn wait_for_run(
        &self,
        token: &str,
        test_id: &str,
        done: impl Fn(&RunSnapshot) -> bool,
    ) -> RunSnapshot {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.call(token, "run", &[("test_id", test_id)]).await;
            assert_eq!(status, 200, "{body}");
            let run: RunSnapshot = serde_json::from_str(&body).unwrap();
            if done(&run) {
                return run;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "run never got there: {run:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a WebSocket with extra request headers.
    pub async fn ws_with_headers(
        &self,
        headers: &[(&str, String)],
    ) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
        let mut request = self.ws_url("").into_client_request()?;
        for (name, value) in headers {
            request.headers_mut().insert(
                tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        tokio_tungstenite::connect_async(request)
            .await
            .map(|(ws, res)| (Ws::new(ws), res))
    }

    /// Opens a WebSocket (cookie auth) over a TCP socket with a tiny receive buffer, so that a client
    /// that does not read pushes back on the server after a few kilobytes instead of megabytes.
    pub async fn ws_slow_reader(&self, token: &str) -> Ws {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(self.addr).await.unwrap();
        let mut request = self.ws_url("").into_client_request().unwrap();
        request.headers_mut().insert(
            "cookie",
            format!("{}={token}", auth::SESSION_COOKIE).parse().unwrap(),
        );
        let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
        Ws::new(ws)
    }

    /// Opens a WebSocket with `?token=` (the seed's client style), or with nothing when `None`.
    pub async fn ws_with_query(&self, token: Option<&str>) -> Result<Ws, tungstenite::Error> {
        let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
        tokio_tungstenite::connect_async(self.ws_url(&query))
            .await
            .map(|(ws, _)| Ws::new(ws))
    }

    fn ws_url(&self, query: &str) -> String {
        format!("ws://{}/ws{query}", self.addr)
    }
}

/// A WebSocket to the server at `addr` (any node, also one in its own process), with the session
/// cookie.
pub async fn ws_to(addr: SocketAddr, token: &str) -> Result<Ws, tungstenite::Error> {
    let mut request = format!("ws://{addr}/ws").into_client_request()?;
    request.headers_mut().insert(
        "cookie",
        format!("{}={token}", auth::SESSION_COOKIE).parse().unwrap(),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| Ws::new(ws))
}

/// The next server message, or how the socket ended: `Err(close code)` (`None` without one).
pub async fn next_or_end(ws: &mut Ws) -> Result<ServerMessage, Option<u16>> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.raw.next())
            .await
            .expect("no message within 10 s");
        match frame {
            Some(Ok(Message::Text(text))) => match serde_json::from_str(&text) {
                Ok(msg) => return Ok(msg),
                Err(e) => panic!("unreadable server message {text}: {e}"),
            },
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(None),
        }
    }
}

pub fn session_from(res: &reqwest::Response) -> Option<String> {
    cookie_named(res, auth::SESSION_COOKIE)
}

/// The value of the cookie `name` the response sets.
pub fn cookie_named(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
}

/// The next server message, skipping pings; panics after 10 s of silence.
pub async fn next_msg(ws: &mut Ws) -> ServerMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.raw.next())
            .await
            .expect("no message within 10 s")
            .expect("socket ended")
            .expect("socket error");
        match frame {
            Message::Text(text) => {
                return serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("unreadable server message {text}: {e}"))
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Sends `subscribe_test` (resuming after `since_seq` of `epoch` if given); returns the answer.
pub async fn subscribe(ws: &mut Ws, test_id: &str, resume: Option<(u64, &str)>) -> ServerMessage {
    let mut msg = json!({ "type": "subscribe_test", "test_id": test_id });
    if let Some((since, epoch)) = resume {
        msg["since_seq"] = json!(since);
        msg["epoch"] = json!(epoch);
    }
    send_json(ws, msg).await;
    next_msg(ws).await
}

pub async fn send_json(ws: &mut Ws, value: serde_json::Value) {
    ws.raw.send(Message::text(value.to_string())).await.unwrap();
}

/// Reads until the server closes the socket; returns the close code, if it sent one.
pub async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(15), ws.raw.next())
            .await
            .expect("the server should close the socket")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

/// Subscribes and collects run events until the run ends, checking `seq` runs on without gaps or
/// repeats from `after` (the last seq already seen). Returns the events.
pub async fn events_until_end(ws: &mut Ws, after: u64) -> Vec<ServerMessage> {
    let mut events = Vec::new();
    let mut expected = after + 1;
    loop {
        let msg = next_msg(ws).await;
        let Some((_, seq)) = msg.run_event() else {
            panic!("expected a run event, got {msg:?}");
        };
        assert_eq!(
            seq, expected,
            "events must arrive in order without gaps or repeats"
        );
        expected += 1;
        let end = is_end(&msg);
        events.push(msg);
        if end {
            return events;
        }
    }
}

/// Whether a run event ends its run.
pub fn is_end(msg: &ServerMessage) -> bool {
    match msg {
        ServerMessage::TestCompleted { .. } | ServerMessage::TestError { .. } => true,
        ServerMessage::TestStatusUpdate { status, .. } => status.is_finished(),
        _ => false,
    }
}

/// Reads `connection_established`, which every connection starts with.
pub async fn expect_hello(ws: &mut Ws) -> ServerMessage {
    let hello = next_msg(ws).await;
    assert!(
        matches!(hello, ServerMessage::ConnectionEstablished { .. }),
        "expected connection_established, got {hello:?}"
    );
    hello
}

/// Subscribes and collects messages until the run ends; checks `seq` runs on without gaps from the
/// snapshot's. Returns the snapshot and the events.
pub async fn follow_to_end(ws: &mut Ws, test_id: &str) -> (RunSnapshot, Vec<ServerMessage>) {
    send_json(ws, json!({ "type": "subscribe_test", "test_id": test_id })).await;
    let snapshot = match next_msg(ws).await {
        ServerMessage::Subscribed {
            test_id: id,
            snapshot: Some(snapshot),
            recovered: None,
            ..
        } => {
            assert_eq!(id, test_id);
            snapshot
        }
        other => panic!("expected subscribed, got {other:?}"),
    };
    let mut events = Vec::new();
    let mut expected_seq = snapshot.seq + 1;
    if snapshot.status.is_finished() {
        return (snapshot, events);
    }
    loop {
        let msg = next_msg(ws).await;
        let (id, seq) = msg
            .run_event()
            .unwrap_or_else(|| panic!("unexpected {msg:?}"));
        assert_eq!(id, test_id);
        assert_eq!(
            seq, expected_seq,
            "events must arrive in order without gaps"
        );
        expected_seq += 1;
        let end = matches!(
            msg,
            ServerMessage::TestCompleted { .. }
                | ServerMessage::TestError { .. }
                | ServerMessage::TestStatusUpdate {
                    status: RunStatus::Cancelled,
                    ..
                }
        );
        events.push(msg);
        if end {
            return (snapshot, events);
        }
    }
}
