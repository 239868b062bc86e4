//! The pages a visit does not start with, each compiled into its own lazily loaded piece of the wasm
//! bundle. The browser fetches a page's piece when the router first goes there (or, on a first visit
//! to that address, before hydrating it); the server renders them like any other page. Without the
//! split step of `./run build` (`wasm-split-cli`), a wasm build with these routes does not link.
//!
//! Home and sign-in stay in the main module: every visit starts at one of them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

#[cfg(feature = "hydrate")]
use std::cell::RefCell;

use super::{account, admin, import, rooms, run_page, runs, schedules, suites, test_page, usage};
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
}

#[cfg(feature = "hydrate")]
thread_local! {
    static ROUTER_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Where the router is, or is going: the browser's address bar changes only once the next page's
/// piece has loaded, so when that load fails (the entry in `lib.rs` then loads the page afresh),
/// this is the page the user asked for.
#[cfg(feature = "hydrate")]
pub fn router_url() -> Option<String> {
    ROUTER_URL.with_borrow(Clone::clone)
}

/// Keeps [`router_url`] current (in the browser); it sits inside the `<Router>`.
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
            ROUTER_URL.set(Some(url));
        });
    }
}
