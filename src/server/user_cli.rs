//! `livecheck user …`: account management for operators, on the configured database (the same
//! `LIVECHECK_DATA_DIR` the server uses; it may be running). A new or changed password is read from
//! `--password`, else `LIVECHECK_PASSWORD`, else the first line of standard input, so it need not
//! appear in the process list. Changes apply to the next request; a password change, a role change or
//! disabling also ends the user's sessions.

use std::{io::BufRead, process::ExitCode};

use clap::Subcommand;

use super::{process::runtime, Config};
use crate::{
    accounts::{check_password, check_username},
    auth,
    protocol::api::Role,
};

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add {
        username: String,
        /// admin, member or viewer.
        #[arg(long, default_value = "member", value_parser = parse_role)]
        role: Role,
        #[arg(long, env = "LIVECHECK_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a new password (ends the user's sessions).
    Passwd {
        username: String,
        #[arg(long, env = "LIVECHECK_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Change a role: admin, member or viewer.
    Role {
        username: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Disable an account (ends its sessions); `--enable` turns it back on.
    Disable {
        username: String,
        #[arg(long)]
        enable: bool,
    },
    /// List the accounts.
    List,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("`{text}` is not a role: admin, member or viewer"))
}

pub fn main(command: UserCommand) -> ExitCode {
    let Some(runtime) = runtime(tokio::runtime::Builder::new_current_thread()) else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(run(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("livecheck: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(command: UserCommand) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let store = super::setup::open_store(&config)
        .await
        .map_err(|e| e.to_string())?;
    let db = |e: sqlx::Error| format!("database: {e}");
    let user = |name: String| {
        let store = store.clone();
        async move {
            store
                .user_by_name(&name)
                .await
                .map_err(db)?
                .ok_or_else(|| format!("no user `{name}`"))
        }
    };
    match command {
        UserCommand::Add {
            username,
            role,
            password,
        } => {
            check_username(&username).map_err(|e| e.to_string())?;
            let hash = new_hash(password)?;
            store
                .create_user(&username, &hash, role)
                .await
                .map_err(db)?
                .ok_or_else(|| format!("the username `{username}` is taken"))?;
            println!("created {username} ({role})");
        }
        UserCommand::Passwd { username, password } => {
            let id = user(username.clone()).await?.id;
            let hash = new_hash(password)?;
            store.set_password(id, &hash).await.map_err(db)?;
            println!("set a new password for {username}; their sessions ended");
        }
        UserCommand::Role { username, role } => {
            let id = user(username.clone()).await?.id;
            store.set_role(id, role).await.map_err(db)?;
            store.bump_token_version(id).await.map_err(db)?;
            println!("{username} is now {role}; their sessions ended");
        }
        UserCommand::Disable { username, enable } => {
            let id = user(username.clone()).await?.id;
            store.set_disabled(id, !enable).await.map_err(db)?;
            let state = if enable { "enabled" } else { "disabled" };
            println!("{username} is {state}");
        }
        UserCommand::List => {
            for u in store.users().await.map_err(db)? {
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{state}", u.username, u.role);
            }
        }
    }
    Ok(())
}

/// The password given (or read from standard input), checked and hashed.
fn new_hash(password: Option<String>) -> Result<String, String> {
    let password = match password {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("reading the password from standard input: {e}"))?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        }
    };
    check_password(&password).map_err(|e| e.to_string())?;
    auth::hash_password(&password).map_err(|e| format!("hashing the password: {e}"))
}
