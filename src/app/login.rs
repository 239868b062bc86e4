//! The login page. A plain form: it works before (and without) the wasm bundle, and after hydration
//! it submits through the `login` server function and shows errors in place.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{AuthActions, Session};

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
            <p class="hint">
                "Demo account: username " <code>"demo"</code> ", password " <code>"demo-password"</code> "."
            </p>
        </section>
    }
}
