//! Scheduled runs (`/schedules`): the caller's schedules (pattern in words, next fire, last run,
//! last problem) with pause, resume and delete, and a form to schedule a stored suite with an
//! optional webhook for failures and recoveries.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{cleared_on_success, error_text, form::ServerForm, may_run, runs::date, RequireUser};
use crate::{
    api::{self, DeleteSchedule, SaveSchedule, SetScheduleEnabled},
    i18n::{use_lang, Lang, Msg},
    protocol::api::ScheduleInfo,
};

#[component]
pub fn SchedulesPage() -> impl IntoView {
    let lang = use_lang();
    let save = ServerAction::<SaveSchedule>::new();
    let toggle = ServerAction::<SetScheduleEnabled>::new();
    let delete = ServerAction::<DeleteSchedule>::new();
    let schedules = Resource::new(
        move || {
            (
                save.version().get(),
                toggle.version().get(),
                delete.version().get(),
            )
        },
        |_| api::schedules(),
    );
    let suites = Resource::new(|| (), |_| api::list_suites());
    let form = cleared_on_success(save);
    let problem = move || {
        [
            save.value().get().and_then(|r| r.err()),
            toggle.value().get().and_then(|r| r.err()),
            delete.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })
    };
    view! {
        <RequireUser>
            <section class="card">
                <h1>{lang.t(Msg::NavSchedules)}</h1>
                <p class="muted">{lang.t(Msg::SchedulesIntro)}</p>
                <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingSchedules)}</p> }>
                    {move || Suspend::new(async move {
                        match schedules.await {
                            Ok(list) if list.is_empty() => view! { <p class="muted">{lang.t(Msg::NoSchedules)}</p> }.into_any(),
                            Ok(list) => view! {
                                <table class="runs" data-testid="schedules">
                                    <thead><tr>
                                        <th>{lang.t(Msg::Suite)}</th><th>{lang.t(Msg::ScheduleWhen)}</th><th>{lang.t(Msg::ScheduleNext)}</th>
                                        <th>{lang.t(Msg::ScheduleLast)}</th><th>{lang.t(Msg::Webhook)}</th><th></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|s| view! { <ScheduleRow s toggle delete lang/> }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                            Err(e) => view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                {problem}
            </section>
            <Show when=may_run>
                <section class="card">
                    <h2>{lang.t(Msg::NewSchedule)}</h2>
                    <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingSuites)}</p> }>
                        {move || Suspend::new(async move {
                            let suites = suites.await.unwrap_or_default();
                            if suites.is_empty() {
                                return view! {
                                    <p class="muted">{lang.t(Msg::SaveSuiteFirst)}<A href="/suites/new">{lang.t(Msg::WriteOne)}</A></p>
                                }.into_any();
                            }
                            view! {
                                <ServerForm action=save node_ref=form attr:data-testid="new-schedule">
                                    <label>{lang.t(Msg::Suite)}" "
                                        <select name="suite_id" required>
                                            {suites.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{lang.t(Msg::CronPattern)}" "
                                        <input type="text" name="cron" required maxlength="120" placeholder="0 9 * * MON-FRI"
                                            aria-describedby="cron-help"/>
                                    </label>
                                    <p class="muted" id="cron-help">
                                        {lang.t(Msg::CronHelpFields)}<code>"*/15 * * * *"</code>
                                        {lang.t(Msg::CronHelpEvery15)}<code>"0 9 * * MON-FRI"</code>{lang.t(Msg::CronHelpWeekdays)}
                                    </p>
                                    <label>{lang.t(Msg::TimeZone)}" "
                                        <input type="text" name="timezone" maxlength="64" value="UTC" list="zones" required/>
                                    </label>
                                    <datalist id="zones">
                                        {ZONES.iter().map(|z| view! { <option value=*z></option> }).collect_view()}
                                    </datalist>
                                    <label>{lang.t(Msg::EnvironmentOptional)}" "
                                        <input type="text" name="environment" maxlength="200"/>
                                    </label>
                                    <label>{lang.t(Msg::WebhookOptional)}" "
                                        <input type="url" name="webhook_url" maxlength="2048" placeholder="https://hooks.slack.com/services/…"/>
                                    </label>
                                    <button type="submit" class="primary">{lang.t(Msg::CreateSchedule)}</button>
                                </ServerForm>
                            }.into_any()
                        })}
                    </Suspense>
                </section>
            </Show>
        </RequireUser>
    }
}

/// Time zones offered as suggestions (any IANA name is accepted).
const ZONES: &[&str] = &[
    "UTC",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Australia/Sydney",
];

#[component]
fn ScheduleRow(
    s: ScheduleInfo,
    toggle: ServerAction<SetScheduleEnabled>,
    delete: ServerAction<DeleteSchedule>,
    lang: Lang,
) -> impl IntoView {
    let id = s.id.to_string();
    // On the schedule's own clock, as its pattern is read ("09:00 in Asia/Shanghai").
    let next = match (&s.next_local, s.next_at) {
        _ if !s.enabled => lang.t(Msg::SchedulePaused).to_owned(),
        (Some(local), _) => format!("{local} ({})", s.timezone),
        (None, Some(at)) => date(at),
        (None, None) => lang.t(Msg::SchedulePaused).to_owned(),
    };
    let last_run = s.last_run.map(|(test_id, status)| {
        view! { <A href=format!("/runs/{test_id}")>{lang.status(status)}</A> }
    });
    let (pause, enabled_value) = if s.enabled {
        (Msg::Pause, "false")
    } else {
        (Msg::Resume, "true")
    };
    let pause_label = lang.t(pause);
    let pause_aria = lang.schedule_action(pause, &s.suite_name);
    let delete_aria = lang.schedule_action(Msg::Delete, &s.suite_name);
    // The pattern in words comes from the cron library, in English only.
    let description = (lang == Lang::En).then_some(s.description);
    let id2 = id.clone();
    view! {
        <tr data-testid="schedule">
            <td>
                <A href=format!("/suites/{}", s.suite_id)>{s.suite_name.clone()}</A>
                {s.environment.map(|e| view! { " " <code class="muted">{e}</code> })}
            </td>
            <td>
                <code>{s.cron}</code>" "<code class="muted">{s.timezone}</code>
                {description.map(|d| view! { <br/><span class="muted">{d}</span> })}
            </td>
            <td>{next}</td>
            <td>
                {last_run.map_or_else(|| view! { <span class="muted">{lang.t(Msg::ScheduleNoRun)}</span> }.into_any(), IntoAny::into_any)}
                {s.last_error.map(|e| view! { <br/><span class="error">{e}</span> })}
            </td>
            <td>{s.webhook.map_or_else(|| view! { "—" }.into_any(), |w| view! { <code>{w}</code> }.into_any())}</td>
            <td>
                <ServerForm action=toggle attr:class="inline">
                    <input type="hidden" name="id" value=id.clone()/>
                    <input type="hidden" name="enabled" value=enabled_value/>
                    <button type="submit" aria-label=pause_aria.clone()>{pause_label}</button>
                </ServerForm>
                <ServerForm action=delete attr:class="inline">
                    <input type="hidden" name="id" value=id2.clone()/>
                    <button type="submit" aria-label=delete_aria.clone()>{lang.t(Msg::Delete)}</button>
                </ServerForm>
            </td>
        </tr>
    }
}
