//! Integration tests: the real server on 127.0.0.1:0 with a fresh database, driven by real clients
//! (reqwest for server functions, tokio-tungstenite for the WebSocket).

mod cluster;
mod cluster_accounts;
mod crash;
mod fuzz;
mod headless;
mod helpers;
mod holes;
mod i18n;
mod import;
mod limits;
mod live_run;
mod load;
mod login;
mod malformed;
mod metrics;
mod postgres_tls;
mod recovery;
mod redis_tls;
mod rooms;
mod schedules;
mod security;
mod seed_client;
mod shapes;
mod site;
mod stored;
mod suites;
mod team;
mod usage;
mod ws_auth;
mod ws_h2;
