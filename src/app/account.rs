//! The caller's account (`/account`): change the password, and personal access tokens for CI (create
//! one, see its secret once, revoke it).

use leptos::prelude::*;

use super::{may_run, RequireUser};
use crate::api::{self, ChangePassword, CreateToken, RevokeToken};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <RequireUser>
            <PasswordForm/>
            <Tokens/>
        </RequireUser>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <section class="card">
            <h1>"Password"</h1>
            <ActionForm action=change>
                <label>"Current password" <input type="password" name="current" autocomplete="current-password" required/></label>
                <label>"New password (at least 8 characters)" <input type="password" name="new" autocomplete="new-password" minlength="8" required/></label>
                <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
            </ActionForm>
            <p class="hint">"Changing it signs you out everywhere else."</p>
            {move || change.value().get().map(|r| match r {
                Ok(()) => view! { <p class="ok" role="status">"Password changed."</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| api::list_tokens(),
    );
    view! {
        <section class="card">
            <h1>"Access tokens"</h1>
            <p class="muted">
                "For CI: " <code>"livecheck run --server URL --token TOKEN SUITE"</code>
                ", the REST API (docs/api.md) and the WebSocket. A token reads your runs and reports; with "
                <em>"run"</em> " it also starts runs."
            </p>
            <ActionForm action=create attr:class="start">
                <label>"Name " <input type="text" name="name" required maxlength="64"/></label>
                <label>"Days " <input type="number" name="days" value="30" min="1" max="366"/></label>
                <Show when=may_run>
                    <label><input type="checkbox" name="run" value="true"/>" may start runs"</label>
                </Show>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Create token"</button>
            </ActionForm>
            {move || create.value().get().map(|r| match r {
                Ok(new) => view! {
                    <p class="notice" role="status">
                        "Your new token (shown once; copy it now): "
                        <code data-testid="token-secret">{new.secret}</code>
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
            <Suspense fallback=|| view! { <p>"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table data-testid="tokens">
                                <thead><tr><th>"Name"</th><th>"Scopes"</th><th>"Expires"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! {
                                        <tr>
                                            <td>{t.name}</td>
                                            <td>{t.scopes}</td>
                                            <td>{super::runs::date(t.expires_at)}</td>
                                            <td>{t.last_used_at.map(super::runs::date).unwrap_or_else(|| "never".into())}</td>
                                            <td>{if t.revoked {
                                                view! { <span class="muted">"revoked"</span> }.into_any()
                                            } else {
                                                view! {
                                                    <ActionForm action=revoke attr:class="inline">
                                                        <input type="hidden" name="id" value=t.id.to_string()/>
                                                        <button type="submit">"Revoke"</button>
                                                    </ActionForm>
                                                }.into_any()
                                            }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
