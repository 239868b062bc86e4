//! The login page. A plain form: it works before (and without) the wasm bundle, and after hydration
//! it submits through the `login` server function and shows errors in place. It names the demo account
//! only when the server has one, and offers registration only when an admin opened it.

use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_navigate, use_query_map},
};

use super::{error_text, form::ServerForm, page_data::page_data, Session};
use crate::{
    api::{Login, Register},
    i18n::{use_lang, Msg},
    protocol::api::UserInfo,
};

/// After signing in or registering in the browser: the session starts here, then the page asked for
/// (a local path) or the home page. (A form posted without JavaScript is redirected by the server.)
fn signed_in(session: Session, user: UserInfo, next: Option<String>) {
    session.set(Some(user));
    let next = next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    use_navigate()(&next, Default::default());
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let lang = use_lang();
    // The page's own action: a sign-in made on an earlier visit of the page does not count.
    let login = ServerAction::<Login>::new();
    let session = expect_context::<Session>();
    let error = move || {
        login
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })
    };
    let query = use_query_map();
    Effect::new(move |_| {
        if let Some(Ok(user)) = login.value().get() {
            signed_in(session, user, query.read_untracked().get("next"));
        }
    });
    // Already signed in (and not just now): nothing to do here.
    let already = session.user().is_some();
    view! {
        {already.then(|| view! { <Redirect path="/"/> })}
        <section class="card login">
            <h1>{lang.t(Msg::SignIn)}</h1>
            <ServerForm action=login>
                <label>{lang.t(Msg::Username)} <input type="text" name="username" autocomplete="username" required/></label>
                <label>{lang.t(Msg::Password)} <input type="password" name="password" autocomplete="current-password" required/></label>
                <button type="submit" class="primary">{lang.t(Msg::SignIn)}</button>
            </ServerForm>
            {error}
            <SiteNotes/>
        </section>
    }
}

/// The demo hint and the registration form, as this server has them. The server finds these facts
/// before it renders this page for someone signed out and hands them over with the page; a sign-in
/// page reached in the browser (a link the router follows) asks for them.
#[component]
fn SiteNotes() -> impl IntoView {
    let lang = use_lang();
    let site = page_data(
        || on_server!(crate::api::page_site()),
        crate::api::get_site_info,
    );
    let register = ServerAction::<Register>::new();
    let session = expect_context::<Session>();
    Effect::new(move |_| {
        if let Some(Ok(user)) = register.value().get() {
            signed_in(session, user, None);
        }
    });
    let notes = move || {
        site.get().and_then(Result::ok).map(|site| {
            view! {
                {site.demo_account.then(|| view! {
                    <p class="hint">
                        {lang.t(Msg::DemoAccountUser)} <code>"demo"</code> {lang.t(Msg::DemoAccountPassword)} <code>"demo-password"</code> {lang.t(Msg::FullStop)}
                    </p>
                })}
                {site.registration_open.then(|| view! {
                    <h2>{lang.t(Msg::NewHere)}</h2>
                    <ServerForm action=register>
                        <label>{lang.t(Msg::NewUsername)} <input type="text" name="username" autocomplete="username" required maxlength="64"/></label>
                        <label>{lang.t(Msg::NewPassword)} <input type="password" name="password" autocomplete="new-password" required minlength="8"/></label>
                        <button type="submit">{lang.t(Msg::CreateAccount)}</button>
                    </ServerForm>
                })}
            }
        })
    };
    view! {
        {notes}
        {move || register.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })}
    }
}
