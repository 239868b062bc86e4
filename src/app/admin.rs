//! Administration (`/admin`, admins only): accounts (create, role, disable, new password), the live
//! settings with the database's size, and the audit log with filters and a JSON-lines download.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{cleared_on_success, error_text, form::ServerForm, runs::date, RequireUser};
use crate::{
    api::{
        self, AdminCreateUser, AdminResetPassword, AdminSetDisabled, AdminSetRegistration,
        AdminSetRole,
    },
    i18n::{use_lang, Lang, Msg},
    protocol::api::Role,
};

#[component]
pub fn AdminPage() -> impl IntoView {
    let lang = use_lang();
    let session = expect_context::<super::Session>();
    let admin = move || session.user().is_some_and(|u| u.role == Role::Admin);
    view! {
        <RequireUser>
            // Others are told once, not by each part of the page refusing on its own.
            <Show
                when=admin
                fallback=move || {
                    super::page_status(403);
                    view! {
                        <section class="card"><p class="error" role="alert">{lang.t(Msg::ErrForbidden)}</p></section>
                    }
                }
            >
                <Users/>
                <Settings/>
                <AuditLog/>
            </Show>
        </RequireUser>
    }
}

fn role_options(lang: Lang, current: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == current>{lang.role(r)}</option> })
        .collect_view()
}

#[component]
fn Users() -> impl IntoView {
    let create = ServerAction::<AdminCreateUser>::new();
    let form = cleared_on_success(create);
    let set_role = ServerAction::<AdminSetRole>::new();
    let set_disabled = ServerAction::<AdminSetDisabled>::new();
    let reset = ServerAction::<AdminResetPassword>::new();
    let lang = use_lang();
    let users = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_disabled.version().get(),
            )
        },
        |_| api::admin_users(),
    );
    let problem = move || {
        [
            create.value().get().and_then(|r| r.err()),
            set_role.value().get().and_then(|r| r.err()),
            set_disabled.value().get().and_then(|r| r.err()),
            reset.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })
    };
    view! {
        <section class="card" data-testid="users">
            <h1>{lang.t(Msg::UsersHeading)}</h1>
            <ServerForm action=create node_ref=form attr:class="start">
                <label>{lang.t(Msg::Username)} " " <input type="text" name="username" required maxlength="64"/></label>
                <label>{lang.t(Msg::Password)} " " <input type="password" name="password" required minlength="8" autocomplete="new-password"/></label>
                <label>{lang.t(Msg::Role)} " " <select name="role" aria-label=lang.t(Msg::Role)>{role_options(lang, Role::Member)}</select></label>
                <button type="submit" class="primary" disabled=move || create.pending().get()>{lang.t(Msg::CreateUser)}</button>
            </ServerForm>
            {problem}
            {move || reset.value().get().and_then(|r| r.ok()).map(|()| view! { <p class="ok" role="status">{lang.t(Msg::PasswordSet)}</p> })}
            <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingUsers)}</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) => view! {
                            <table>
                                <thead><tr>
                                    <th>{lang.t(Msg::User)}</th><th>{lang.t(Msg::Role)}</th>
                                    <th>{lang.t(Msg::Status)}</th><th>{lang.t(Msg::NewPassword)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|u| {
                                        let (id1, id2, id3) = (u.id.to_string(), u.id.to_string(), u.id.to_string());
                                        let role_label = lang.role_of(&u.username);
                                        let password_label = lang.new_password_for(&u.username);
                                        let set_role_name = lang.row_action(lang.t(Msg::SetRole), &u.username);
                                        let set_password_name = lang.row_action(lang.t(Msg::SetPassword), &u.username);
                                        let toggle = if u.disabled { Msg::Enable } else { Msg::Disable };
                                        let toggle_name = lang.row_action(lang.t(toggle), &u.username);
                                        let (role, disabled) = (u.role, u.disabled);
                                        let name = u.username.clone();
                                        view! {
                                            <tr data-user=name>
                                                <td>{u.username}</td>
                                                <td>
                                                    <ServerForm action=set_role attr:class="inline">
                                                        <input type="hidden" name="id" value=id1/>
                                                        <select name="role" aria-label=role_label>{role_options(lang, role)}</select>
                                                        <button type="submit" aria-label=set_role_name>{lang.t(Msg::Set)}</button>
                                                    </ServerForm>
                                                </td>
                                                <td>
                                                    <ServerForm action=set_disabled attr:class="inline">
                                                        <input type="hidden" name="id" value=id2/>
                                                        <input type="hidden" name="disabled" value=(!disabled).to_string()/>
                                                        {lang.t(if disabled { Msg::AccountDisabled } else { Msg::AccountActive })} " "
                                                        <button type="submit" aria-label=toggle_name>{lang.t(toggle)}</button>
                                                    </ServerForm>
                                                </td>
                                                <td>
                                                    <ServerForm action=reset attr:class="inline">
                                                        <input type="hidden" name="id" value=id3/>
                                                        <input type="password" name="password" minlength="8" autocomplete="new-password" aria-label=password_label/>
                                                        <button type="submit" aria-label=set_password_name>{lang.t(Msg::Set)}</button>
                                                    </ServerForm>
                                                </td>
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

#[component]
fn Settings() -> impl IntoView {
    let registration = ServerAction::<AdminSetRegistration>::new();
    let settings = Resource::new(
        move || registration.version().get(),
        |_| api::get_admin_settings(),
    );
    let lang = use_lang();
    view! {
        <section class="card" data-testid="settings">
            <h1>{lang.t(Msg::Settings)}</h1>
            <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingSettings)}</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => view! {
                            <ServerForm action=registration attr:class="start">
                                <input type="hidden" name="open" value=(!s.registration_open).to_string()/>
                                <span>{lang.t(if s.registration_open { Msg::AnyoneMayRegister } else { Msg::OnlyAdminsRegister })}</span>
                                <button type="submit">{lang.t(if s.registration_open { Msg::CloseRegistration } else { Msg::OpenRegistration })}</button>
                            </ServerForm>
                            <p>
                                {if s.retention_days == 0 {
                                    lang.t(Msg::RunsKeptForever).to_owned()
                                } else {
                                    lang.runs_kept(s.retention_days)
                                }}
                                {lang.t(Msg::Database)}
                                <strong data-testid="database-size">{format!("{:.1} MB", s.database_bytes as f64 / 1e6)}</strong>
                            </p>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let text = |k: &str| q.get(k).filter(|v| !v.is_empty());
        (text("actor"), text("action"), text("from"), text("to"))
    });
    let entries = Resource::new(
        move || filter.get(),
        |(actor, action, from, to)| api::audit_log(actor, action, from, to),
    );
    let download = move || {
        let (actor, action, from, to) = filter.get();
        let pairs: Vec<String> = [
            ("actor", actor),
            ("action", action),
            ("from", from),
            ("to", to),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect();
        format!("/admin/audit.jsonl?{}", pairs.join("&"))
    };
    let (actor, action, from, to) = filter.get_untracked();
    let lang = use_lang();
    view! {
        <section class="card" data-testid="audit">
            <h1>{lang.t(Msg::AuditLog)}</h1>
            <form method="get" action="/admin" class="filters">
                <label>{lang.t(Msg::Actor)} " " <input type="text" name="actor" value=actor.unwrap_or_default()/></label>
                <label>{lang.t(Msg::Action)} " " <input type="text" name="action" value=action.unwrap_or_default()/></label>
                <label>{lang.t(Msg::DateFrom)} " " <input type="date" name="from" value=from.unwrap_or_default()/></label>
                <label>{lang.t(Msg::DateTo)} " " <input type="date" name="to" value=to.unwrap_or_default()/></label>
                <button type="submit">{lang.t(Msg::Filter)}</button>
                <a href=download rel="external" download>{lang.t(Msg::DownloadJsonLines)}</a>
            </form>
            <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingLog)}</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) => view! {
                            <table>
                                <thead><tr>
                                    <th>{lang.t(Msg::When)}</th><th>{lang.t(Msg::Who)}</th><th>{lang.t(Msg::IpFrom)}</th>
                                    <th>{lang.t(Msg::What)}</th><th>{lang.t(Msg::AuditTarget)}</th><th>{lang.t(Msg::Detail)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr data-action=e.action.clone()>
                                            <td>{date(e.at)}</td>
                                            <td>{e.actor}</td>
                                            <td>{e.ip.unwrap_or_default()}</td>
                                            <td>{e.action.clone()}</td>
                                            <td>{e.target.unwrap_or_default()}</td>
                                            <td>{e.detail.unwrap_or_default()}</td>
                                        </tr>
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
