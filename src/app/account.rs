//! The caller's account (`/account`): change the password, and personal access tokens for CI (create
//! one, see its secret once, revoke it).

use leptos::prelude::*;

use super::{cleared_on_success, error_text, form::ServerForm, may_run, RequireUser};
use crate::{
    api::{self, ChangePassword, CreateToken, RevokeToken},
    i18n::{use_lang, Msg},
};

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
    let form = cleared_on_success(change);
    let lang = use_lang();
    view! {
        <section class="card">
            <h1>{lang.t(Msg::Password)}</h1>
            <ServerForm action=change node_ref=form>
                <label>{lang.t(Msg::CurrentPassword)} <input type="password" name="current" autocomplete="current-password" required/></label>
                <label>{lang.t(Msg::NewPasswordMin)} <input type="password" name="new" autocomplete="new-password" minlength="8" required/></label>
                <button type="submit" disabled=move || change.pending().get()>{lang.t(Msg::ChangePassword)}</button>
            </ServerForm>
            <p class="hint">{lang.t(Msg::SignsOutElsewhere)}</p>
            {move || change.value().get().map(|r| match r {
                Ok(()) => view! { <p class="ok" role="status">{lang.t(Msg::PasswordChanged)}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{error_text(lang, &e)}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let form = cleared_on_success(create);
    let lang = use_lang();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| api::list_tokens(),
    );
    view! {
        <section class="card">
            <h1>{lang.t(Msg::AccessTokens)}</h1>
            <p class="muted">
                {lang.t(Msg::TokensForCi)} <code>"livecheck run --server URL --token TOKEN SUITE"</code>
                {lang.t(Msg::TokensUse)} <code>"run"</code> {lang.t(Msg::TokensRunScope)}
            </p>
            <ServerForm action=create node_ref=form attr:class="start">
                <label>{lang.t(Msg::Name)} " " <input type="text" name="name" required maxlength="64"/></label>
                <label>{lang.t(Msg::Days)} " " <input type="number" name="days" value="30" min="1" max="366"/></label>
                <Show when=may_run>
                    <label><input type="checkbox" name="run" value="true"/>{lang.t(Msg::MayStartRuns)}</label>
                </Show>
                <button type="submit" class="primary" disabled=move || create.pending().get()>{lang.t(Msg::CreateToken)}</button>
            </ServerForm>
            {move || create.value().get().map(|r| match r {
                Ok(new) => view! {
                    <p class="notice" role="status">
                        {lang.t(Msg::NewToken)}
                        <code data-testid="token-secret">{new.secret}</code>
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{error_text(lang, &e)}</p> }.into_any(),
            })}
            <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingTokens)}</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">{lang.t(Msg::NoTokens)}</p> }.into_any(),
                        Ok(list) => view! {
                            <table data-testid="tokens">
                                <thead><tr>
                                    <th>{lang.t(Msg::Name)}</th><th>{lang.t(Msg::Scopes)}</th>
                                    <th>{lang.t(Msg::Expires)}</th><th>{lang.t(Msg::LastUsed)}</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let revoke_name = lang.row_action(lang.t(Msg::Revoke), &t.name);
                                        view! {
                                        <tr>
                                            <td>{t.name}</td>
                                            <td>{t.scopes}</td>
                                            <td>{super::runs::date(t.expires_at)}</td>
                                            <td>{t.last_used_at.map(super::runs::date).unwrap_or_else(|| lang.t(Msg::Never).into())}</td>
                                            <td>{if t.revoked {
                                                view! { <span class="muted">{lang.t(Msg::Revoked)}</span> }.into_any()
                                            } else {
                                                view! {
                                                    <ServerForm action=revoke attr:class="inline">
                                                        <input type="hidden" name="id" value=t.id.to_string()/>
                                                        <button type="submit" aria-label=revoke_name>{lang.t(Msg::Revoke)}</button>
                                                    </ServerForm>
                                                }.into_any()
                                            }}</td>
                                        </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
