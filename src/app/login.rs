//! The login page. A plain form: it works before (and without) the wasm bundle, and after hydration
//! it submits through the `login` server function and shows errors in place. It names the demo account
//! only when the server has one, and offers registration only when an admin opened it.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{AuthActions, Session};
use crate::api::{self, Register};

#[component]
pub fn LoginPage() -> impl IntoView {
    let actions = expect_context::<AuthActions>();
    let session = expect_context::<Session>();
    let error = move || {
        actions
            .login
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                // Already signed in: nothing to do here.
                matches!(session.await, Ok(Some(_))).then(|| view! { <Redirect path="/"/> })
            })}
        </Suspense>
        <section class="card login">
            <h1>"Sign in"</h1>
            <ActionForm action=actions.login>
                <label>"Username" <input type="text" name="username" autocomplete="username" required/></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                <button type="submit" class="primary">"Sign in"</button>
            </ActionForm>
            {error}
            <SiteNotes/>
        </section>
    }
}

/// The demo hint and the registration form, as this server has them.
#[component]
fn SiteNotes() -> impl IntoView {
    let site = Resource::new(|| (), |_| api::get_site_info());
    let register = ServerAction::<Register>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let site = site.await.unwrap_or_default();
                view! {
                    {site.demo_account.then(|| view! {
                        <p class="hint">
                            "Demo account: username " <code>"demo"</code> ", password " <code>"demo-password"</code> "."
                        </p>
                    })}
                    {site.registration_open.then(|| view! {
                        <h2>"New here?"</h2>
                        <ActionForm action=register>
                            <label>"New username" <input type="text" name="username" autocomplete="username" required maxlength="64"/></label>
                            <label>"New password" <input type="password" name="password" autocomplete="new-password" required minlength="8"/></label>
                            <button type="submit">"Create an account"</button>
                        </ActionForm>
                    })}
                }
            })}
        </Suspense>
        {move || register.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
    }
}
