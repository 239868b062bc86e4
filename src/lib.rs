//! livecheck: define API tests, run them, and watch them live in the browser.
//!
//! One crate builds twice: with `ssr` it is the server (axum + Leptos SSR, the WebSocket hub, the test
//! engines, SQLite); with `hydrate` it is the wasm bundle that hydrates the server-rendered pages and keeps
//! the live connection. Only the protocol, the UI and the server-function signatures are shared.
//!
//! # Layout
//! - [`protocol`]: every WebSocket message, one definition for the server and the wasm client.
//! - [`api`]: Leptos server functions (login, start a test, read a run) and the error type they return.
//! - [`app`]: the Leptos UI: shell, routes, pages and the `RealTimeProgressBar`.
//! - [`client`]: the browser side of the live connection (hydrate only; its state machine is plain Rust).
//! - `auth` (ssr): password hashing, JWT issue/verify, the session cookie.
//! - `store` (ssr): SQLite through sqlx: users and runs.
//! - `hub` (ssr): WebSocket connections, subscriptions and the fan-out of run events.
//! - `engine` (ssr): runs test definitions and reports progress to the hub.
//! - `suite` (ssr): the YAML/JSON test-suite format, its validation and `${var}` templating.
//! - `headless` (ssr): `livecheck run suite.yaml`, a suite run in the terminal without the server.
//! - `server` (ssr): configuration, shared state, the router and the built-in demo target API.

// Leptos views are deeply nested types; the default limit (128) is too low for the run page.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod client;
pub mod protocol;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod headless;
#[cfg(feature = "ssr")]
pub mod hub;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod suite;

/// Entry point of the wasm bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A marker the end-to-end tests wait for before they click anything.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
