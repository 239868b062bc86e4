//! The server's wiring: shared state, the router, and `serve`. `main` only reads configuration and
//! calls [`serve`]; integration tests call the same function on port 0.

pub mod config;
pub mod demo;
pub mod error;
pub mod export;
mod metrics;

use std::{io, net::SocketAddr, path::Path, sync::Arc};

use axum::{
    extract::{FromRef, Query, State, WebSocketUpgrade},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    routing::get,
    serve::ListenerExt,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;
use tracing::{info, warn};

use crate::{
    app::{shell, App},
    auth::{self, AuthUser, Keys},
    engine::{api::ApiEngine, Runner},
    hub::{conn::Connection, new_epoch, Hub},
    store::{EventLog, Store},
};
pub use config::Config;
use error::AppError;

/// Largest WebSocket message a client may send. Client messages are small commands; anything bigger
/// is refused by the socket layer (close code 1009) before it is buffered whole.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

/// State shared by every request and connection. Cheap to clone: everything inside is an `Arc` or a
/// pool handle.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub store: Store,
    pub keys: Arc<Keys>,
    pub hub: Hub,
    pub runner: Runner,
    /// Fired on shutdown so open WebSockets close with "going away" instead of hanging the exit.
    pub shutdown: CancellationToken,
}

/// Failures while starting up.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(String, io::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not hash the demo password")]
    DemoUser,
    #[error("listener: {0}")]
    Io(#[from] io::Error),
}

/// Opens the database, prepares secrets and the demo account, and builds the state for a server that
/// will listen on `addr` (the demo tests call the app's own `/demo` API there).
pub async fn build_state(
    config: Config,
    leptos_options: LeptosOptions,
    addr: SocketAddr,
) -> Result<AppState, StartError> {
    let data_dir = config.data_dir.clone();
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| StartError::DataDir(data_dir.display().to_string(), e))?;
    let store = Store::open(&data_dir.join("livecheck.db")).await?;
    let stale = store.interrupt_unfinished_runs(new_epoch).await?;
    if stale > 0 {
        warn!(
            runs = stale,
            "marked runs cut off by the last shutdown as interrupted"
        );
    }
    if config.seed_demo {
        seed_demo(&store).await?;
    }
    let secret = match &config.jwt_secret {
        Some(secret) => secret.clone().into_bytes(),
        None => load_or_create_secret(&data_dir)
            .map_err(|e| StartError::DataDir(data_dir.display().to_string(), e))?,
    };
    let keys = Arc::new(Keys::new(&secret, config.token_ttl_secs));
    if config.metrics {
        metrics::install();
    }
    let hub = Hub::new(config.hub.clone(), Some(EventLog::spawn(&store)));
    // A wildcard bind address is not something to connect to; the demo target is always on loopback.
    let target = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let api = ApiEngine::new(config.step_timeout, config.targets.clone());
    let runner = Runner::new(
        hub.clone(),
        store.clone(),
        api,
        format!("http://{target}"),
        config.run_limits,
    );
    Ok(AppState {
        leptos_options,
        config: Arc::new(config),
        store,
        keys,
        hub,
        runner,
        shutdown: CancellationToken::new(),
    })
}

/// Every route of the app: Leptos pages and server functions, the WebSocket, the demo target.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    let mut router = Router::new();
    if state.config.metrics {
        router = router.route("/metrics", get(metrics::render));
    }
    router
        .route("/ws", get(ws_handler))
        .route("/runs/{id}/junit.xml", get(export::junit))
        .route("/runs/{id}/json", get(export::json))
        .nest("/demo", demo::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ctx_state.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Spans name the path only: a query may carry `?token=<jwt>`, which must never reach a log.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` completes, then closes WebSockets and returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    info!(addr = %listener.local_addr()?, "listening");
    let closing = state.shutdown.clone();
    let app = router(state);
    // No Nagle delay: live events are small writes that must leave at once, not wait for an ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.cancel();
        })
        .await
}

#[derive(Deserialize)]
struct WsQuery {
    token: Option<String>,
}

/// The subprotocol a non-browser client offers beside `bearer.<jwt>`; the server answers with it.
pub const WS_PROTOCOL: &str = "livecheck.v1";

/// `GET /ws`: checks the `Origin`, authenticates from `?token=`, a `bearer.<jwt>` subprotocol or the
/// session cookie, then upgrades. A foreign origin gets 403 and a missing or bad token 401; no socket
/// is opened for either.
async fn ws_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    if !origin_allowed(&headers, &state.config.allowed_origins) {
        return Err(AppError::ForbiddenOrigin);
    }
    let token = query
        .token
        .or_else(|| bearer_protocol(&headers))
        .or_else(|| auth::session_token(&headers))
        .ok_or(AppError::Unauthorized(auth::AuthError::Missing))?;
    let user: AuthUser = state.keys.verify(&token)?;
    let connection = Connection {
        hub: state.hub.clone(),
        store: state.store.clone(),
        keys: state.keys.clone(),
        user,
        settings: state.config.connection.clone(),
    };
    let shutdown = state.shutdown.clone();
    Ok(ws
        .protocols([WS_PROTOCOL])
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES)
        // Small socket buffers: most connections are idle most of the time, and tungstenite's
        // defaults (128 KiB each way) would dominate the memory of every one of them.
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection.run(socket, shutdown))
        .into_response())
}

/// A browser page may open a socket only from the server's own origin or a configured one
/// (cross-site WebSocket hijacking). Clients that send no `Origin` are not browsers and pass.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (origin.split_once("://"), host) {
        (Some((_, authority)), Some(host)) => authority.eq_ignore_ascii_case(host),
        _ => false,
    }
}

/// The token in a `Sec-WebSocket-Protocol: livecheck.v1, bearer.<jwt>` offer.
fn bearer_protocol(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix("bearer.").map(str::to_owned))
}

/// The demo account and its room, so a fresh install has something to sign in with.
async fn seed_demo(store: &Store) -> Result<(), StartError> {
    if store.user_by_name(config::DEMO_USERNAME).await?.is_some() {
        return Ok(());
    }
    let hash = tokio::task::spawn_blocking(|| auth::hash_password(config::DEMO_PASSWORD))
        .await
        .map_err(|_| StartError::DemoUser)?
        .map_err(|_| StartError::DemoUser)?;
    if store
        .create_user_if_missing(config::DEMO_USERNAME, &hash)
        .await?
    {
        info!(username = config::DEMO_USERNAME, "created the demo account");
    }
    if let Some(demo) = store.user_by_name(config::DEMO_USERNAME).await? {
        store.create_room(config::DEMO_ROOM, demo.id).await?;
    }
    Ok(())
}

/// Reads the JWT secret kept in the data directory, creating it (random, owner-only) on first start.
fn load_or_create_secret(data_dir: &Path) -> io::Result<Vec<u8>> {
    use rand::RngCore;
    let path = data_dir.join("jwt-secret");
    match std::fs::read(&path) {
        Ok(secret) if secret.len() >= 32 => return Ok(secret),
        Ok(_) => warn!(path = %path.display(), "JWT secret file too short; replacing it"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, secret.as_bytes())?;
    info!(path = %path.display(), "generated a new JWT secret");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
