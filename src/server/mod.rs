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
//! - [`export`]: run and audit downloads; [`demo`]: the built-in demo target API; `metrics`: `/metrics`;
//!   `assets`: the site embedded in the binary; `health`: `/healthz` and `/readyz`.

mod assets;
mod cluster;
pub mod config;
pub mod demo;
pub mod error;
pub mod export;
mod health;
mod metrics;
pub mod origin;
pub mod process;
pub mod rest;
mod setup;
mod tls;
pub mod user_cli;
mod ws;

use std::{
    io,
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use axum::{
    extract::DefaultBodyLimit,
    middleware,
    routing::{any, get},
    serve::ListenerExt,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::{limit::RequestBodyLimitLayer, trace::TraceLayer};
use tracing::{info, warn};

use crate::{
    accounts::Accounts,
    api::ApiState,
    app::{shell, App},
    auth::Keys,
    broker::{Broker, BrokerSettings},
    engine::Engines,
    hub::{Hub, RunDirectory},
    runs::Runs,
    schedule::{webhook::Webhooks, ScheduleSettings, Scheduler},
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
    /// The same runs, as the hub's connections ask them (one allocation shared by every socket).
    pub run_directory: Arc<dyn RunDirectory>,
    pub origins: Arc<OriginPolicy>,
    /// Set when the server starts draining: `/readyz` answers 503.
    pub draining: Arc<AtomicBool>,
    /// HTTPS, when a certificate and a key are configured.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// The schedules' webhook client (saving a schedule checks its address with it).
    pub webhooks: Webhooks,
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
            schedule_min_interval: self.config.schedule_min_interval,
            webhooks: self.webhooks.clone(),
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
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::config(cert, key).map_err(StartError::Tls)?),
        None => None,
    };
    let setup::Prepared {
        store,
        secret,
        interrupted,
    } = setup::prepare(&config).await?;
    let keys = Arc::new(Keys::new(&secret, config.token_ttl_secs));
    let accounts = Accounts::new(store.clone(), keys);
    setup::accounts(&config, &accounts, &store).await?;
    setup::spawn_retention(&store, config.retention_days);
    if config.metrics {
        metrics::install();
    }
    let (broker, incoming) = match &config.redis_url {
        Some(url) => {
            let ca = match &config.redis_ca {
                Some(path) => Some(
                    std::fs::read(path)
                        .map_err(|e| StartError::RedisCa(path.display().to_string(), e))?,
                ),
                None => None,
            };
            let settings = BrokerSettings {
                prefix: config.redis_prefix.clone(),
                ca,
                ..BrokerSettings::default()
            };
            let (broker, incoming) = Broker::connect(url, store.node_id(), settings).await?;
            accounts.tell_cluster(broker.clone());
            (Some(broker), Some(incoming))
        }
        None => (None, None),
    };
    let hub = Hub::new(config.hub.clone(), Some(EventLog::spawn(&store)), broker);
    interrupted
        .iter()
        .for_each(|run| hub.announce_interrupted(run));
    setup::spawn_node_lease(&store, &hub, config.node_lease);
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
    if let Some(incoming) = incoming {
        cluster::spawn_dispatch(incoming, hub.clone(), runs.clone(), accounts.clone());
    }
    let draining = Arc::new(AtomicBool::new(false));
    let base_url = match &config.public_url {
        Some(public) => format!(
            "{}://{}",
            if public.https { "https" } else { "http" },
            public.authority
        ),
        None => format!("http://{target}"),
    };
    let webhooks = Webhooks::new(config.targets.clone());
    Scheduler::new(
        store.clone(),
        runs.clone(),
        webhooks.clone(),
        ScheduleSettings {
            min_interval: config.schedule_min_interval,
            base_url,
        },
        draining.clone(),
    )
    .spawn();
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
        run_directory: Arc::new(runs.clone()),
        runs,
        origins,
        draining,
        tls,
        webhooks,
    })
}

/// The app's pages, listed once per process. Leptos lists them by rendering the app with resource
/// loading suppressed through a process-wide flag, and a resource first polled while that flag is
/// up, on any thread, never loads (leptos-rs/leptos#4773): a page rendered by one server while
/// another server of the same process was being built (the integration tests run many) never
/// answered. Listed once, before any server of the process serves, nothing can overlap it.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Every route of the app: Leptos pages and server functions, the WebSocket, the demo target.
pub fn router(mut state: AppState) -> Router {
    let routes = page_routes();
    let api = state.api();
    let site = assets::load::<AppState>(state.config.site_from_disk);
    let paths = Arc::new(site.paths);
    let mut router = Router::new();
    if state.config.metrics {
        router = router.route("/metrics", get(metrics::render));
    }
    if let Some(files) = site.router {
        router = router.merge(files);
        // The fallback must not find files on disk when the site is inside the binary.
        state.leptos_options.site_root = "/dev/null/livecheck-site".into();
    }
    let (page_paths, fallback_paths) = (paths.clone(), paths);
    router
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/ws", any(ws::upgrade))
        .route("/runs/{id}/junit.xml", get(export::junit))
        .route("/runs/{id}/json", get(export::json))
        .route("/runs/{id}/report.html", get(export::html))
        .route("/compare/{a}/{b}/report.html", get(export::compare_html))
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
                move || shell(options.clone(), &page_paths)
            },
        )
        // Files from LEPTOS_SITE_ROOT when set, and the app's "Page not found" for the rest.
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(api.clone()),
            move |options| shell(options, &fallback_paths),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), identify))
        .layer(middleware::from_fn_with_state(state.clone(), origin::check))
        // One explicit limit for every body: 413 on a declared length over it, before reading.
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
        // Its refusal says so in JSON, as every other error does (it is plain text otherwise).
        .layer(middleware::map_response(too_large_as_json))
        // Spans name the path only: a query may carry `?token=<jwt>`, which must never reach a log.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

async fn too_large_as_json(response: axum::response::Response) -> axum::response::Response {
    use axum::{http::header::CONTENT_TYPE, response::IntoResponse};
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && !json {
        return error::AppError::TooLarge(MAX_REQUEST_BYTES).into_response();
    }
    response
}

/// Before a page renders: who asks for it, so the page renders once, signed in or not, and hands the
/// same answer to the browser (see `app::Session`); and what the page shows that must be looked up
/// (`api::look_up_page_data`).
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
        let user = state.accounts.from_headers(request.headers()).await.ok();
        let path = request.uri().path().to_owned();
        crate::api::look_up_page_data(&state.api(), &path, user.as_ref(), request.extensions_mut())
            .await;
        let user = user.map(|u| crate::protocol::api::UserInfo {
            id: u.id,
            username: u.username,
            role: u.role,
        });
        request.extensions_mut().insert(crate::api::PageUser(user));
    }
    next.run(request).await
}

/// Serves the app on `listener` until `shutdown` completes, then drains: `/readyz` turns 503 and no
/// new connection is accepted; runs in progress get `config.drain_grace` to finish; the sockets close
/// with 1012 in batches spread over `config.drain_spread` (their clients reconnect, maybe to another
/// node, and resume); runs still in progress are marked interrupted. Then it returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    info!(addr = %listener.local_addr()?, tls = state.tls.is_some(), "listening");
    let draining = state.draining.clone();
    let drain_state = state.clone();
    let tls = state.tls.clone();
    let app = router(state);
    if let Some(tls) = tls {
        tls::serve(listener, tls, app, stop_accepting(shutdown, draining)).await?;
        drain(&drain_state).await;
        return Ok(());
    }
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
    .with_graceful_shutdown(stop_accepting(shutdown, draining))
    .await?;
    drain(&drain_state).await;
    Ok(())
}

/// Resolves with `shutdown`, after marking the server as draining.
async fn stop_accepting(
    shutdown: impl std::future::Future<Output = ()>,
    draining: Arc<AtomicBool>,
) {
    shutdown.await;
    draining.store(true, Ordering::Relaxed);
    info!("draining: not accepting new connections");
}

/// What happens between the signal and the exit (see [`serve`]).
async fn drain(state: &AppState) {
    let config = &state.config;
    let deadline = tokio::time::Instant::now() + config.drain_grace;
    while state.runs.in_progress() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let closed = state.hub.drain_sockets(config.drain_spread).await;
    info!(sockets = closed, "draining: closed the sockets");
    // Only this node's runs: other nodes of the cluster go on with theirs.
    match state.store.interrupt_own_runs().await {
        Ok(runs) if runs.is_empty() => {}
        Ok(runs) => {
            warn!(
                runs = runs.len(),
                "draining: marked the runs still in progress as interrupted"
            );
            // Clients on other nodes that follow them hear it (sent before the process exits).
            runs.iter()
                .for_each(|run| state.hub.announce_interrupted(run));
            if let Some(broker) = state.hub.broker() {
                broker.flush().await;
            }
        }
        Err(e) => warn!(error = %e, "draining: could not mark the runs in progress"),
    }
    if let Err(e) = state.store.leave().await {
        warn!(error = %e, "draining: could not leave the list of nodes");
    }
}
