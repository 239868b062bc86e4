//! livecheck: define API tests, run them, and watch them live in the browser.
//!
//! One crate builds twice: with `ssr` it is the server (axum + Leptos SSR, the WebSocket hub, the test
//! engines, SQLite); with `hydrate` it is the wasm bundle that hydrates the server-rendered pages and keeps
//! the live connection. Only the protocol, the UI and the server-function signatures are shared.
//!
//! # Layout
//! Layers, bottom first; a module uses only the layers below it (`../shared/tools/module-deps` checks):
//! 1. [`protocol`]: the vocabulary — every WebSocket message, the server functions' data types, a
//!    run's snapshot and the engines' `RunEvent` — and `clock` (ssr): the wall clock. They use
//!    nothing of the crate.
//!    [`i18n`]: the UI's languages (English, Simplified Chinese), which one a request gets, and every
//!    UI string in both; above `protocol` (it names run statuses and roles), below `app`.
//! 2. `suite` (ssr): the YAML/JSON suite format, validation with lines, `${var}` templating;
//!    `auth` (ssr): password hashes, JWTs, the session cookie; `report` (ssr): JUnit XML of a run.
//! 3. `store` (ssr): SQLite through sqlx — users, tokens, runs, rooms, suites, the event log, the
//!    audit log; `engine` (ssr): the engines (HTTP steps, load, synthetic) behind one `Engine`
//!    contract, and the target guard; `import` (ssr): Postman collections and OpenAPI documents turned into suites.
//! 4. `accounts` (ssr): whether a credential holds (role, disabled, token version, access tokens),
//!    sign-in throttling, users and tokens.
//! 5. `hub` (ssr): WebSocket connections, subscriptions, rooms, and the fan-out of run events.
//! 6. `runs` (ssr): the life of a run — start from a built-in test or a suite, the queue and limits,
//!    the live event target, cancel and restart, and the one rule of who may see a run.
//! 7. [`api`]: the Leptos server functions, and nothing else.
//! 8. [`app`]: the UI (shell, routes, pages, `RealTimeProgressBar`); [`client`]: the browser side of
//!    the live connection (hydrate only; its state machine is plain Rust).
//! 9. `server` (ssr): configuration, state, the router, start-up; `headless` (ssr): `livecheck run`.

// Leptos views are deeply nested types; the default limit (128) is too low for the run page.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod client;
pub mod i18n;
pub mod protocol;

#[cfg(feature = "ssr")]
pub mod accounts;
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod broker;
#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod headless;
#[cfg(feature = "ssr")]
pub mod hub;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod report;
#[cfg(feature = "ssr")]
pub mod runs;
#[cfg(feature = "ssr")]
pub mod schedule;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod suite;

/// Entry point of the wasm bundle: hydrates the server-rendered page. Hydration is asynchronous: a
/// page that lives in a lazily loaded piece of the bundle (`app::routes`) is fetched first.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // The release build keeps no panic machinery (a panic stops the module at once: `./run`), and
    // the page's `RECOVER_SCRIPT` deals with a stopped module; a debug build says why it panicked.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    let done = leptos::prelude::ArcRwSignal::new(false);
    wasm_bindgen_futures::spawn_local(async move {
        let app = {
            let done = done.clone();
            move || {
                leptos::prelude::provide_context(app::Hydrated(done));
                app::App()
            }
        };
        leptos::mount::hydrate_from_async(body.clone(), app)
            .await
            .forget();
        leptos::prelude::Set::set(&done, true);
        // A marker the end-to-end tests wait for before they click anything.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
