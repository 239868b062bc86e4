//! The pages a visit does not start with, each compiled into its own lazily loaded piece of the wasm
//! bundle. The browser fetches a page's piece when the router first goes there (or, on a first visit
//! to that address, before hydrating it); the server renders them like any other page. Without the
//! split step of `./run build` (`wasm-split-cli`), a wasm build with these routes does not link.
//!
//! Home stays in the main module: most visits start there. Sign-in is a piece of its own: a person
//! signs in once for many visits, and every other page would carry its forms for nothing.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

use super::{
    account, admin, import, login, rooms, run_page, runs, schedules, suites, test_page, usage,
};
use crate::i18n::{use_lang, Msg};

/// One route type per page, with the page's title (what a tab and the history show);
/// `#[lazy_route]` moves the page's view into its own wasm piece.
macro_rules! lazy_pages {
    ($($route:ident => $page:path, $title:expr),* $(,)?) => {$(
        #[derive(Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                let lang = use_lang();
                view! { <Title text=lang.t($title)/> {$page()} }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    TestRoute => test_page::TestPage, Msg::Test,
    RunsRoute => runs::RunsPage, Msg::NavRuns,
    CompareRoute => run_page::ComparePage, Msg::CompareRuns,
    RunRoute => run_page::RunPage, Msg::Run,
    SuitesRoute => suites::SuitesPage, Msg::NavSuites,
    ImportRoute => import::ImportPage, Msg::ImportSuite,
    SuiteEditorRoute => suites::SuiteEditorPage, Msg::NavSuites,
    RoomsRoute => rooms::RoomsPage, Msg::NavRooms,
    RoomRoute => rooms::RoomPage, Msg::NavRooms,
    AccountRoute => account::AccountPage, Msg::Account,
    UsageRoute => usage::UsagePage, Msg::NavUsage,
    SchedulesRoute => schedules::SchedulesPage, Msg::NavSchedules,
    AdminRoute => admin::AdminPage, Msg::Admin,
    LoginRoute => login::LoginPage, Msg::SignIn,
}

/// The name under which [`TrackRouterUrl`] leaves the router's address for [`RECOVER_SCRIPT`].
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const ROUTER_URL_KEY: &str = "livecheckRouterUrl";

/// The page's script for a wasm module that stopped. A lazily loaded piece that cannot be fetched
/// (the network dropped just then, or a new version was deployed and the old piece is gone) makes
/// Leptos panic, and a panic stops the module at once (the release build keeps no panic machinery:
/// `./run`), which surfaces in the page as a `WebAssembly.RuntimeError`: the page would be dead. So
/// then the page the router was going to (else this one) is loaded afresh from the server, at most
/// once a minute per tab (remembered in `sessionStorage`; without it, never), so a piece that is
/// really missing, or a bug, cannot make it reload for ever. (No `<` in it: the page carries it as
/// it is, and nothing in it may end the `<script>` element.)
pub const RECOVER_SCRIPT: &str = "(function(){function r(e){var x=e.error||e.reason,s,n;\
if(!(x instanceof WebAssembly.RuntimeError))return;\
try{s=sessionStorage;n=Date.now();if(6e4>n-(+s.getItem('livecheck.reloaded-for-missing-code')||0))return;\
s.setItem('livecheck.reloaded-for-missing-code',n)}catch(_){return}\
var u=window.livecheckRouterUrl,h=location.pathname+location.search+location.hash;\
if(u&&u!==h)location.assign(u);else location.reload()}\
addEventListener('error',r);addEventListener('unhandledrejection',r)})()";

/// Where the router is, or is going, kept where the page's own script can read it
/// (`window.livecheckRouterUrl`): the browser's address bar changes only once the next page's piece
/// has loaded, so when that load fails and stops the wasm module, `RECOVER_SCRIPT` (in `app`) loads
/// this page, the one the user asked for, afresh from the server. It sits inside the `<Router>`.
#[component]
pub fn TrackRouterUrl() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let location = leptos_router::hooks::use_location();
        Effect::new(move |_| {
            let search = location.search.get();
            let query = if search.is_empty() { "" } else { "?" };
            let url = format!(
                "{}{query}{search}{}",
                location.pathname.get(),
                location.hash.get()
            );
            if let Some(window) = web_sys::window() {
                let _ = js_sys::Reflect::set(&window, &ROUTER_URL_KEY.into(), &url.into());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recover_script_reads_where_the_router_writes_and_cannot_end_its_element() {
        assert!(RECOVER_SCRIPT.contains(&format!("window.{ROUTER_URL_KEY}")));
        assert!(!RECOVER_SCRIPT.contains('<'));
    }
}
