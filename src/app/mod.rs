//! The Leptos UI: the HTML shell, the routes, and the pages. Pages render on the server from data
//! fetched with server functions, then hydrate; live updates come from the page's [`Live`] connection.

mod account;
mod admin;
mod home;
mod login;
mod progress;
mod rooms;
mod run_page;
mod runs;
mod suites;
mod test_page;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Redirect, Route, Router, Routes, A},
    path, SsrMode,
};

use crate::{
    api::{self, Login, Logout},
    client::Live,
    protocol::api::{Role, UserInfo},
};
pub use progress::RealTimeProgressBar;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Actions that change who is signed in; the session resource refetches after each.
#[derive(Clone, Copy)]
pub struct AuthActions {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
}

/// The signed-in user, shared by every page.
pub type Session = Resource<Result<Option<UserInfo>, api::ApiError>>;

/// The signed-in user's role, once the session is known (`None` when signed out).
fn role() -> Option<Role> {
    expect_context::<Session>()
        .get()
        .and_then(Result::ok)
        .flatten()
        .map(|u| u.role)
}

/// Whether the signed-in user may start runs and write suites (not a viewer).
fn may_run() -> bool {
    role().is_some_and(Role::may_run)
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let live = Live::provide();
    let actions = AuthActions {
        login: ServerAction::<Login>::new(),
        logout: ServerAction::<Logout>::new(),
    };
    provide_context(actions);
    // Blocking: the page's head waits for it, so a signed-out visit is redirected with a real 302.
    let session: Session = Resource::new_blocking(
        move || {
            (
                actions.login.version().get(),
                actions.logout.version().get(),
            )
        },
        |_| api::me(),
    );
    provide_context(session);
    // The live connection follows the session: open while signed in, closed after signing out.
    Effect::new(move |_| match session.get() {
        Some(Ok(Some(_))) => live.connect(),
        Some(Ok(None)) => live.disconnect("signed out"),
        _ => {}
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/livecheck.css"/>
        <Title text="livecheck"/>
        <Router>
            <header class="topbar">
                <nav>
                    <A href="/" attr:class="brand">"livecheck"</A>
                    <A href="/suites">"Suites"</A>
                    <A href="/runs">"Runs"</A>
                    <A href="/rooms">"Rooms"</A>
                    <Show when=move || role() == Some(Role::Admin)>
                        <A href="/admin">"Admin"</A>
                    </Show>
                </nav>
                <UserMenu/>
            </header>
            <main>
                // Async SSR: the server waits for each page's data and sends complete HTML, so pages
                // read right before the wasm loads, and without JavaScript at all.
                <Routes fallback=|| view! { <p class="notice">"Page not found."</p> }>
                    <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=login::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/tests/:key") view=test_page::TestPage ssr=SsrMode::Async/>
                    <Route path=path!("/runs") view=runs::RunsPage ssr=SsrMode::Async/>
                    <Route path=path!("/runs/compare") view=run_page::ComparePage ssr=SsrMode::Async/>
                    <Route path=path!("/runs/:id") view=run_page::RunPage ssr=SsrMode::Async/>
                    <Route path=path!("/suites") view=suites::SuitesPage ssr=SsrMode::Async/>
                    <Route path=path!("/suites/:id") view=suites::SuiteEditorPage ssr=SsrMode::Async/>
                    <Route path=path!("/rooms") view=rooms::RoomsPage ssr=SsrMode::Async/>
                    <Route path=path!("/rooms/:name") view=rooms::RoomPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=account::AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=admin::AdminPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// Who is signed in, and the sign-out button.
#[component]
fn UserMenu() -> impl IntoView {
    let session = expect_context::<Session>();
    let actions = expect_context::<AuthActions>();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(me)) => view! {
                        <div class="user">
                            <span class="username">{me.username}</span>
                            <span class="role">{me.role.as_str()}</span>
                            <A href="/account">"Account"</A>
                            <ActionForm action=actions.logout>
                                <button type="submit" class="link">"Sign out"</button>
                            </ActionForm>
                        </div>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}

/// Renders `children` for a signed-in user; sends everyone else to the login page.
#[component]
fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let session = expect_context::<Session>();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="notice">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(_)) => children.with_value(|c| c()).into_any(),
                    _ => view! { <Redirect path="/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
