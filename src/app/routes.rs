//! The pages a visit does not start with, each compiled into its own lazily loaded piece of the wasm
//! bundle. The browser fetches a page's piece when the router first goes there (or, on a first visit
//! to that address, before hydrating it); the server renders them like any other page. Without the
//! split step of `./run build` (`wasm-split-cli`), a wasm build with these routes does not link.
//!
//! Home and sign-in stay in the main module: every visit starts at one of them.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use super::{account, admin, import, rooms, run_page, runs, schedules, suites, test_page, usage};

/// One route type per page; `#[lazy_route]` moves the page's view into its own wasm piece.
macro_rules! lazy_pages {
    ($($route:ident => $page:path),* $(,)?) => {$(
        #[derive(Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    )*};
}

lazy_pages! {
    TestRoute => test_page::TestPage,
    RunsRoute => runs::RunsPage,
    CompareRoute => run_page::ComparePage,
    RunRoute => run_page::RunPage,
    SuitesRoute => suites::SuitesPage,
    ImportRoute => import::ImportPage,
    SuiteEditorRoute => suites::SuiteEditorPage,
    RoomsRoute => rooms::RoomsPage,
    RoomRoute => rooms::RoomPage,
    AccountRoute => account::AccountPage,
    UsageRoute => usage::UsagePage,
    SchedulesRoute => schedules::SchedulesPage,
    AdminRoute => admin::AdminPage,
}
