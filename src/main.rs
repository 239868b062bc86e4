//! The `livecheck` binary: reads configuration, sets up logging, binds, and serves until Ctrl-C or
//! SIGTERM. Everything else lives in the library (`livecheck::server`).

use leptos::prelude::get_configuration;
use livecheck::server::{self, Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        // Colours only on a terminal: log files and pipes get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,livecheck=info")),
        )
        .init();

    // One file descriptor per client: use all the process may have (the soft limit is often 1024).
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open files limit"),
    }
    let leptos_options = get_configuration(None)?.leptos_options;
    let config = Config::from_env()?;
    let addr = leptos_options.site_addr;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let state = server::build_state(config, leptos_options, listener.local_addr()?).await?;
    server::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
