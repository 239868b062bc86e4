//! The `livecheck` binary: `livecheck` (or `livecheck serve`) serves the web app until Ctrl-C or
//! SIGTERM; `livecheck run suite.yaml` runs one suite in the terminal without the server. Everything
//! else lives in the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use livecheck::{
    headless::{self, RunArgs},
    server,
};

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
    Run(RunArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => server::process::main(),
        Command::Run(args) => headless::main(args),
    }
}
