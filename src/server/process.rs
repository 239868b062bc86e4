//! The process around the server: the async runtime, logging, the open-files limit, and the signals
//! that end it. `livecheck serve` is [`main`]; the headless runner shares the logging and signals.

use std::process::ExitCode;

use leptos::prelude::get_configuration;
use tracing_subscriber::EnvFilter;

use super::Config;

/// `livecheck serve`: reads the configuration, binds, and serves until Ctrl-C or SIGTERM.
pub fn main() -> ExitCode {
    // The server uses every core.
    let Some(runtime) = runtime(tokio::runtime::Builder::new_multi_thread()) else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(serve()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("livecheck: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    init_logging("info,livecheck=info", false);
    // One file descriptor per client: use all the process may have (the soft limit is often 1024).
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open files limit"),
    }
    let leptos_options = get_configuration(None)?.leptos_options;
    let config = Config::from_env()?;
    let addr = leptos_options.site_addr;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let state = super::build_state(config, leptos_options, listener.local_addr()?).await?;
    super::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// Builds the async runtime with every driver on; says why on stderr when it cannot.
pub fn runtime(mut builder: tokio::runtime::Builder) -> Option<tokio::runtime::Runtime> {
    builder
        .enable_all()
        .build()
        .inspect_err(|e| eprintln!("livecheck: cannot start the async runtime: {e}"))
        .ok()
}

/// Logs with `RUST_LOG` (else `default`) to stdout, or to stderr when stdout carries a report.
pub fn init_logging(default: &str, to_stderr: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // Colours only on a terminal: log files and pipes get plain text.
    if to_stderr {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init();
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
