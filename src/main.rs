//! The `livecheck` binary: `livecheck` (or `livecheck serve`) serves the web app until Ctrl-C or
//! SIGTERM; `livecheck run suite.yaml` runs one suite in the terminal (or, with `--server`, one stored
//! on a server); `livecheck import` turns a Postman collection or an OpenAPI document into a suite; `livecheck user …`
//! manages accounts. Everything else lives in the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use livecheck::{
    headless::{self, import::ImportArgs, RunArgs},
    server::{self, user_cli::UserCommand},
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
    /// Turn a Postman collection (v2.1) or an OpenAPI 3.0/3.1 document into a suite file. Exit status: 0 imported, 1 imported
    /// but the suite needs changes before it runs, 2 not imported.
    Import(ImportArgs),
    /// Manage accounts on the configured database (LIVECHECK_DATA_DIR).
    #[command(subcommand)]
    User(UserCommand),
}

fn main() -> ExitCode {
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => server::process::main(),
        Command::Run(args) => headless::main(args),
        Command::Import(args) => headless::import::main(args),
        Command::User(command) => server::user_cli::main(command),
    }
}
