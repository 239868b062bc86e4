//! The Leptos UI: the HTML shell, the routes, and the pages. Pages render on the server from data
//! fetched with server functions, then hydrate; live updates come from the page's [`Live`] connection.

/// What the server knows about the request while it renders a page (the user, the language, …): the
/// expression on the server; in the browser, where hydration reads the server's value back from the
/// page, the type's default.
macro_rules! on_server {
    ($e:expr) => {{
        #[cfg(feature = "ssr")]
        {
            $e
        }
        #[cfg(not(feature = "ssr"))]
        {
            Default::default()
        }
    }};
}

mod account;
mod admin;
mod files;
mod form;
mod home;
mod import;
mod lang_switch;
mod load_panel;
mod login;
mod page_data;
mod progress;
mod rooms;
pub mod routes;
mod run_page;
mod runs;
mod schedules;
mod suites;
mod test_page;
mod usage;

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Redirect, Route, Router, Routes, A},
    path, Lazy, SsrMode,
};

use crate::{
    api::{ApiError, Logout},
    client::Live,
    i18n::{use_lang, Lang, Msg},
    protocol::api::{Role, UserInfo},
};
pub use progress::RealTimeProgressBar;

/// Where a page loads the site's files from. The embedded site serves each under a name with its
/// content hash (cached for good); from disk they keep their plain names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetPaths {
    pub js: String,
    pub wasm: String,
    pub css: String,
    pub favicon: String,
}

impl Default for AssetPaths {
    fn default() -> Self {
        Self {
            js: "/pkg/livecheck.js".into(),
            wasm: "/pkg/livecheck.wasm".into(),
            css: "/pkg/livecheck.css".into(),
            favicon: "/favicon.svg".into(),
        }
    }
}

/// The HTML document around the app, rendered on the server (never hydrated).
pub fn shell(options: LeptosOptions, assets: &AssetPaths) -> impl IntoView {
    // What leptos' `HydrationScripts` does, with the asset names this server serves.
    let hydrate = format!(
        "import({js:?}).then(m => m.default({{ module_or_path: {wasm:?} }}).then(() => m.hydrate()));",
        js = assets.js,
        wasm = assets.wasm
    );
    let lang: Lang = on_server!(crate::i18n::request_lang());
    view! {
        <!DOCTYPE html>
        <html lang=lang.html_lang()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href=assets.favicon.clone() type="image/svg+xml"/>
                <link rel="stylesheet" href=assets.css.clone()/>
                <link rel="modulepreload" href=assets.js.clone()/>
                <link rel="preload" href=assets.wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin=""/>
                <AutoReload options/>
                // The theme chosen with the toggle, applied before the first paint (no light flash).
                <script>{THEME_SCRIPT}</script>
                <script>{routes::RECOVER_SCRIPT}</script>
                <script type="module">{hydrate}</script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Where the page's theme choice is kept in the browser (`THEME_SCRIPT` reads the same key).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const THEME_KEY: &str = "livecheck-theme";
const THEME_SCRIPT: &str = "try{var t=localStorage.getItem('livecheck-theme');\
if(t==='dark'||t==='light')document.documentElement.dataset.theme=t}catch(e){}";

/// Light, dark, or as the system says (the default): cycles on each press and is remembered in this
/// browser. The server cannot know the choice, so it renders "system" and the browser corrects the
/// label after hydration; the colours themselves were set before the first paint by `THEME_SCRIPT`.
#[component]
fn ThemeToggle() -> impl IntoView {
    let lang = use_lang();
    let theme = RwSignal::new(Theme::System);
    Effect::new(move |_| theme.set(Theme::stored()));
    let next = move |_| {
        let t = theme.get_untracked().next();
        t.apply();
        theme.set(t);
    };
    view! {
        <button type="button" class="theme" on:click=next title=lang.t(Msg::ThemeTitle)>
            {move || lang.t(theme.get().label())}
        </button>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Theme {
    System,
    Dark,
    Light,
}

impl Theme {
    fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Dark,
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::System,
        }
    }

    fn label(self) -> Msg {
        match self {
            Theme::System => Msg::ThemeSystem,
            Theme::Dark => Msg::ThemeDark,
            Theme::Light => Msg::ThemeLight,
        }
    }

    /// The choice kept in this browser (only the browser has one).
    fn stored() -> Theme {
        #[cfg(feature = "hydrate")]
        {
            let stored = web_sys::window()
                .and_then(|w| w.local_storage().ok().flatten())
                .and_then(|s| s.get_item(THEME_KEY).ok().flatten());
            match stored.as_deref() {
                Some("dark") => Theme::Dark,
                Some("light") => Theme::Light,
                _ => Theme::System,
            }
        }
        #[cfg(not(feature = "hydrate"))]
        Theme::System
    }

    /// Shows the page in this theme and remembers it.
    fn apply(self) {
        #[cfg(feature = "hydrate")]
        {
            let Some(window) = web_sys::window() else {
                return;
            };
            let value = match self {
                Theme::System => None,
                Theme::Dark => Some("dark"),
                Theme::Light => Some("light"),
            };
            if let Some(root) = window.document().and_then(|d| d.document_element()) {
                let _ = match value {
                    Some(v) => root.set_attribute("data-theme", v),
                    None => root.remove_attribute("data-theme"),
                };
            }
            if let Ok(Some(storage)) = window.local_storage() {
                let _ = match value {
                    Some(v) => storage.set_item(THEME_KEY, v),
                    None => storage.remove_item(THEME_KEY),
                };
            }
        }
    }
}

/// The signed-in user, shared by every page. The server knows it before the page renders (from the
/// request) and hands it to the browser with the page; sign-in and registration keep it current
/// (signing out loads a fresh page). No page waits for it: a page renders once on the server, and
/// hydrates exactly as it was rendered (a page that waited on it inside a `Suspense` was rendered
/// twice on the server, and the server functions of the discarded render could lose their request).
#[derive(Clone, Copy)]
pub struct Session(RwSignal<Option<UserInfo>>);

impl Session {
    pub fn user(&self) -> Option<UserInfo> {
        self.0.get()
    }

    pub fn set(&self, user: Option<UserInfo>) {
        self.0.set(user);
    }
}

/// The status the server answers a page with when the page itself says "no such thing" (404) or
/// "not for you" (403): a person reads the page, and programs see the status too.
fn page_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(status),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// Whether the signed-in user may start runs and write suites (not a viewer).
fn may_run() -> bool {
    expect_context::<Session>()
        .0
        .with(|u| u.as_ref().is_some_and(|u| u.role.may_run()))
}

/// An error of a server function in the page's language: the fixed ones are translated here; those
/// that carry the server's own words (a bad request, a refused suite's problems) the server said in
/// the page's language already.
fn error_text(lang: Lang, error: &ApiError) -> String {
    let fixed = |m| lang.t(m).to_owned();
    match error {
        ApiError::Unauthorized => fixed(Msg::ErrUnauthorized),
        ApiError::BadCredentials => fixed(Msg::ErrBadCredentials),
        ApiError::Forbidden => fixed(Msg::ErrForbidden),
        ApiError::NotFound => fixed(Msg::ErrNotFound),
        ApiError::BadRequest(text) => text.clone(),
        ApiError::Internal => fixed(Msg::ErrInternal),
        ApiError::InvalidSuite(problems) => {
            let problems: Vec<String> = problems.iter().map(|p| lang.problem(p)).collect();
            format!("{}{}", lang.t(Msg::ErrInvalidSuite), problems.join("; "))
        }
        ApiError::RateLimited(secs) => lang.rate_limited(*secs),
        ApiError::TooLarge => fixed(Msg::ErrTooLarge),
        ApiError::Busy => fixed(Msg::ErrBusy),
        ApiError::Transport(detail) => format!("{} ({detail})", lang.t(Msg::ErrTransport)),
    }
}

/// A form that starts empty again once its action succeeded: what was typed (a password above all)
/// does not stay on screen, and pressing once more does not make a twin. Give it to the
/// `ServerForm` as its `node_ref`.
fn cleared_on_success<S>(action: ServerAction<S>) -> NodeRef<leptos::html::Form>
where
    S: ServerFn + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    form
}

/// Whether hydration of the page has finished (provided by the wasm entry point, `hydrate`).
#[derive(Clone)]
pub struct Hydrated(pub ArcRwSignal<bool>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Decided by the server from the request (cookie, else Accept-Language) and handed to the
    // browser with the page, so hydration renders the same words.
    let lang = SharedValue::<Lang>::new(|| on_server!(crate::i18n::request_lang())).into_inner();
    provide_context(lang);
    let live = Live::provide();
    // The server serialises the user into the page; hydration reads it back, never refetching.
    let session = Session(RwSignal::new(
        SharedValue::<Option<UserInfo>>::new(|| on_server!(crate::api::page_user())).into_inner(),
    ));
    provide_context(session);
    // The live connection follows the session: open while signed in, closed after signing out. It
    // opens once the page is hydrated: hydration keeps the server's text, so a state that changed
    // while a lazily loaded page was still being fetched would stay wrong on screen.
    let hydrated = use_context::<Hydrated>();
    Effect::new(move |_| {
        if hydrated.as_ref().is_some_and(|h| !h.0.get()) {
            return;
        }
        match session.user() {
            Some(_) => live.connect(),
            None => live.disconnect(crate::client::reason::SIGNED_OUT),
        }
    });

    view! {
        // Each page names itself first: "Runs · livecheck".
        <Title text="livecheck" formatter=|text: String| if text == "livecheck" { text } else { format!("{text} · livecheck") }/>
        <Router>
            <routes::TrackRouterUrl/>
            <header class="topbar">
                <nav>
                    <A href="/" attr:class="brand">"livecheck"</A>
                    <A href="/suites">{lang.t(Msg::NavSuites)}</A>
                    <A href="/runs">{lang.t(Msg::NavRuns)}</A>
                    <A href="/rooms">{lang.t(Msg::NavRooms)}</A>
                    <A href="/schedules">{lang.t(Msg::NavSchedules)}</A>
                    <A href="/usage">{lang.t(Msg::NavUsage)}</A>
                </nav>
                <div class="top-right">
                    <UserMenu/>
                    <lang_switch::LangSwitch/>
                    <ThemeToggle/>
                </div>
            </header>
            <main>
                // Async SSR: the server waits for each page's data and sends complete HTML, so pages
                // read right before the wasm loads, and without JavaScript at all.
                <Routes fallback=move || view! { <p class="notice">{lang.t(Msg::PageNotFound)}</p> }>
                    <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view={Lazy::<routes::LoginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/tests/:key") view={Lazy::<routes::TestRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/runs") view={Lazy::<routes::RunsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/runs/compare") view={Lazy::<routes::CompareRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/runs/:id") view={Lazy::<routes::RunRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/suites") view={Lazy::<routes::SuitesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/suites/import") view={Lazy::<routes::ImportRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/suites/:id") view={Lazy::<routes::SuiteEditorRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/rooms") view={Lazy::<routes::RoomsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/rooms/:name") view={Lazy::<routes::RoomRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account") view={Lazy::<routes::AccountRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/usage") view={Lazy::<routes::UsageRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/schedules") view={Lazy::<routes::SchedulesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view={Lazy::<routes::AdminRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// Who is signed in, and the sign-out button: a plain form, not an action. The server ends every
/// session of the user, clears the cookie and sends the browser to the sign-in page, which loads
/// afresh, so nothing of the signed-in page (its live connection, its signals) outlives the session.
#[component]
fn UserMenu() -> impl IntoView {
    let lang = use_lang();
    let session = expect_context::<Session>();
    move || {
        session.user().map(|me| {
            view! {
                <div class="user">
                    {(me.role == Role::Admin).then(|| view! { <A href="/admin">{lang.t(Msg::Admin)}</A> })}
                    <span class="username">{me.username}</span>
                    <span class="role">{lang.role(me.role)}</span>
                    <A href="/account">{lang.t(Msg::Account)}</A>
                    <form method="post" action={<Logout as ServerFn>::PATH}>
                        <button type="submit" class="link">{lang.t(Msg::SignOut)}</button>
                    </form>
                </div>
            }
        })
    }
}

/// Renders `children` for a signed-in user; sends everyone else to the login page (a real 302 when
/// the server renders it).
#[component]
fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let session = expect_context::<Session>();
    let signed_in = Memo::new(move |_| session.0.with(Option::is_some));
    move || {
        if signed_in.get() {
            children().into_any()
        } else {
            view! { <Redirect path="/login"/> }.into_any()
        }
    }
}
