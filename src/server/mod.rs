//! The server's wiring: configuration, shared state, the router, and `serve`. It starts things and
//! connects the layers below; the work is done there. `main` calls [`process::main`]; integration
//! tests call [`build_state`] and [`serve`] on port 0.
//!
//! - [`config`]: every setting, from the environment;
//! - [`setup`]: the data directory, the JWT secret, the first admin and the demo account at start-up,
//!   and the retention sweep;
//! - [`process`]: the process around the server (logging, runtime, signals);
//! - [`user_cli`]: `livecheck user add|passwd|role|disable|list` for operators;
//! - [`origin`]: the `Host` and `Origin` checks every request passes;
//! - `ws`: the WebSocket upgrade (origin check, authentication, per-user cap) in front of the hub;
//! - [`rest`]: the versioned REST API for CI (`/api/v1`);
//! - [`export`]: run and audit downloads; [`demo`]: the built-in demo target API; `metrics`: `/metrics`.

pub mod config;
pub mod demo;
pub mod error;
pub mod export;
mod metrics;
pub mod origin;
pub mod process;
pub mod rest;
mod setup;
pub mod user_cli;
mod ws;

use std::{io, net::SocketAddr, sync::Arc};

use axum::{extract::DefaultBodyLimit, middleware, routing::get, serve::ListenerExt, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::{limit::RequestBodyLimitLayer, trace::TraceLayer};
use tracing::{info, warn};

use crate::{
    accounts::Accounts,
    api::ApiState,
    app::{shell, App},
    auth::Keys,
    engine::Engines,
    hub::Hub,
    runs::Runs,
    store::{EventLog, Store},
};
pub use config::Config;
use origin::OriginPolicy;
pub use setup::StartError;
pub use ws::{MAX_CLIENT_MESSAGE_BYTES, WS_PROTOCOL};

/// Largest request body any route accepts; a larger declared length is answered 413 before the body
/// is read. Suites are smaller still (`suite::MAX_SUITE_BYTES`).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// State shared by every request and connection. Cheap to clone: everything inside is an `Arc` or a
/// pool handle.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub store: Store,
    pub accounts: Accounts,
    pub hub: Hub,
    pub runs: Runs,
    pub origins: Arc<OriginPolicy>,
    /// Fired on shutdown so open WebSockets close with "going away" instead of hanging the exit.
    pub shutdown: CancellationToken,
}

impl AppState {
    /// What the server functions see.
    fn api(&self) -> ApiState {
        ApiState {
            store: self.store.clone(),
            accounts: self.accounts.clone(),
            runs: self.runs.clone(),
            secure_cookies: self.config.secure_cookies,
            demo: self.config.seed_demo,
            trust_proxy: self.config.trust_proxy,
            retention_days: self.config.retention_days,
        }
    }
}

/// Opens the database, prepares secrets and the demo account, and builds the state for a server that
/// will listen on `addr` (the demo tests call the app's own `/demo` API there).
pub async fn build_state(
    config: Config,
    leptos_options: LeptosOptions,
    addr: SocketAddr,
) -> Result<AppState, StartError> {
    let (store, secret) = setup::prepare(&config).await?;
    let keys = Arc::new(Keys::new(&secret, config.token_ttl_secs));
    let accounts = Accounts::new(store.clone(), keys);
    setup::accounts(&config, &accounts, &store).await?;
    setup::spawn_retention(&store, config.retention_days);
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
    let engines = Engines::new(config.step_timeout, config.targets.clone(), Some(target));
    let runs = Runs::new(
        hub.clone(),
        store.clone(),
        engines,
        format!("http://{target}"),
        config.run_policy(),
    );
    let origins = Arc::new(OriginPolicy {
        public: config.public_url.clone(),
        https: config.secure_cookies,
        allowed: config.allowed_origins.clone(),
    });
    Ok(AppState {
        leptos_options,
        config: Arc::new(config),
        store,
        accounts,
        hub,
        runs,
        origins,
        shutdown: CancellationToken::new(),
    })
}

/// Every route of the app: Leptos pages and server functions, the WebSocket, the demo target.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let api = state.api();
    let mut router = Router::new();
    if state.config.metrics {
        router = router.route("/metrics", get(metrics::render));
    }
    router
        .route("/ws", get(ws::upgrade))
        .route("/runs/{id}/junit.xml", get(export::junit))
        .route("/runs/{id}/json", get(export::json))
        .route("/admin/audit.jsonl", get(export::audit_jsonl))
        .nest("/api/v1", rest::router())
        .nest("/demo", demo::router())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let api = api.clone();
                move || provide_context(api.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(api.clone()),
            shell,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), identify))
        .layer(middleware::from_fn_with_state(state.clone(), origin::check))
        // One explicit limit for every body: 413 on a declared length over it, before reading.
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
        // Spans name the path only: a query may carry `?token=<jwt>`, which must never reach a log.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

/// Before a page renders: who asks for it, so the page renders once, signed in or not, and hands the
/// same answer to the browser (see `app::Session`).
async fn identify(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    // Pages are the GETs that are not files, API calls, the socket or probes.
    let path = request.uri().path();
    let not_a_page = [
        "/pkg/", "/api/", "/demo", "/ws", "/metrics", "/healthz", "/readyz",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
        || path.ends_with(".svg")
        || path.ends_with(".xml")
        || path.ends_with(".json")
        || path.ends_with(".jsonl");
    let wants_page = request.method() == axum::http::Method::GET && !not_a_page;
    if wants_page {
        let user = state
            .accounts
            .from_headers(request.headers())
            .await
            .ok()
            .map(|u| crate::protocol::api::UserInfo {
                id: u.id,
                username: u.username,
                role: u.role,
            });
        request.extensions_mut().insert(crate::api::PageUser(user));
    }
    next.run(request).await
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
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        closing.cancel();
    })
    .await
}
