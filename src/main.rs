//! The `livecheck` binary. `livecheck` (or `livecheck serve`) reads configuration, binds, and serves
//! until Ctrl-C or SIGTERM; `livecheck run suite.yaml` runs one suite in the terminal without the
//! server. Everything else lives in the library.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use livecheck::{
    headless::{self, RunArgs},
    server::{self, Config},
};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(version, about = "Self-hosted API tests you can watch live")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default). Configured by environment variables (see the README).
    Serve,
    /// Run a suite file in the terminal, without the server. Exit status: 0 passed, 1 a check or
    /// threshold failed, 2 the suite or the arguments are invalid, 130 interrupted.
    Run {
        /// The suite, YAML or JSON (docs/suites.md).
        suite: PathBuf,
        /// Write a JUnit XML report here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Write the run as JSON here.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Use one of the suite's `environments`.
        #[arg(long = "env", value_name = "NAME")]
        environment: Option<String>,
        /// Set a variable, overriding the suite and the environment (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = headless::parse_var)]
        vars: Vec<(String, String)>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    // The server uses every core. A headless run is one client process: a single-threaded runtime
    // keeps its tasks on one thread (no cross-thread wake-ups), which is what a load generator wants.
    let runtime = match command {
        Command::Serve => tokio::runtime::Builder::new_multi_thread(),
        Command::Run { .. } => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run(command)),
        Err(e) => {
            eprintln!("livecheck: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> ExitCode {
    match command {
        Command::Serve => match serve().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("livecheck: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Run {
            suite,
            junit,
            json,
            environment,
            vars,
        } => {
            init_logging("warn", true);
            let config = match Config::from_env() {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("livecheck: {e}");
                    return ExitCode::from(2);
                }
            };
            let cancel = CancellationToken::new();
            tokio::spawn({
                let cancel = cancel.clone();
                async move {
                    shutdown_signal().await;
                    cancel.cancel();
                }
            });
            let args = RunArgs {
                suite,
                junit,
                json,
                environment,
                vars,
            };
            match headless::run(args, &config, cancel, std::io::stdout()).await {
                Ok(outcome) => ExitCode::from(outcome.exit_code()),
                Err(e) => {
                    eprintln!("livecheck: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// The server logs to stdout; a headless run keeps stdout for its report and logs to stderr.
fn init_logging(default: &str, to_stderr: bool) {
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
