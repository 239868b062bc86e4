//! `RealTimeProgressBar`: one run's percent, status, current step, elapsed time and connection state,
//! live. The first render uses the run's stored or live snapshot (so it is right without JavaScript);
//! after hydration the page's [`Live`] connection keeps it current.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use super::{error_text, form::ServerForm, load_panel::LoadPanel};
use crate::{
    api::{self, CancelTest, RestartTest},
    client::{
        hooks::{use_run, use_test_progress},
        reason, ConnState, Live,
    },
    i18n::{use_lang, Lang, Msg},
    protocol::{RunResults, RunSnapshot, RunStatus, StepResult},
};

#[component]
pub fn RealTimeProgressBar(
    /// The run to follow.
    test_id: String,
    /// Show each finished step's result.
    #[prop(optional)]
    show_details: bool,
    /// Called once when the run completes (passed or with failed checks).
    #[prop(optional, into)]
    on_complete: Option<Callback<RunResults>>,
    /// Called once when the run ends with an error.
    #[prop(optional, into)]
    on_error: Option<Callback<String>>,
) -> impl IntoView {
    let lang = use_lang();
    let initial = Resource::new(move || test_id.clone(), api::get_run);
    view! {
        <Suspense fallback=move || view! { <section class="card progress"><p>{lang.t(Msg::LoadingRun)}</p></section> }>
            {move || Suspend::new(async move {
                match initial.await {
                    Ok(snapshot) => view! { <Bar snapshot show_details on_complete on_error/> }.into_any(),
                    Err(e) => view! {
                        <section class="card progress"><p class="error">{error_text(lang, &e)}</p></section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Bar(
    snapshot: RunSnapshot,
    show_details: bool,
    on_complete: Option<Callback<RunResults>>,
    on_error: Option<Callback<String>>,
) -> impl IntoView {
    let lang = use_lang();
    let live = Live::expect();
    let test_id = snapshot.test_id.clone();
    let run = use_test_progress(&test_id, Some(snapshot));
    let status = Memo::new(move |_| run.status.get());
    let now = now_signal();
    notify_end(run.run, status, on_complete, on_error);

    let cancel = ServerAction::<CancelTest>::new();
    let restart = ServerAction::<RestartTest>::new();
    let location = use_location();
    let signed_out = move || live.state.with(|s| matches!(s, ConnState::Closed { .. }));
    // `Copy`, so the re-rendering closures below can read it.
    let id = StoredValue::new(test_id.clone());
    // Cancel and Restart are offered to who may use them (a room member watches): the browser
    // asks once the page has hydrated, so the server's render waits on nothing for them.
    let control = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    if super::may_run() {
        let test_id = test_id.clone();
        leptos::task::spawn_local(async move {
            if let Ok(true) = api::run_controls(test_id).await {
                // The bar may be gone by now.
                let _ = control.try_set(true);
            }
        });
    }

    view! {
        <section class="card progress" data-status=move || status.get().as_str() data-test-id=test_id>
            <div class="progress-head">
                <h2>{move || run.run.with(|r| r.as_ref().map(|r| lang.run_name(&r.name)).unwrap_or_default())}</h2>
                <StatusBadge status=status.into()/>
                // Screen readers hear the status change politely, not every percent.
                <span class="visually-hidden" role="status" aria-live="polite" data-testid="announce">
                    {move || lang.run_announce(status.get())}
                </span>
                <span class=move || format!("conn {}", live.state.with(|s| s.key())) data-testid="connection">
                    {move || live.state.with(|s| conn_label(lang, s))}
                </span>
                // A page loaded afresh (not the router's): the session this page holds is over,
                // and the server knows it.
                <Show when=signed_out>
                    <a href="/login" rel="external">{lang.t(Msg::SignInAgain)}</a>
                </Show>
            </div>
            <ProgressTrack progress=run.progress/>
            <div class="progress-line">
                <strong data-testid="percent">{move || format!("{} %", run.progress.get())}</strong>
                <span data-testid="current-step">{move || run.run.with(|r| r.as_ref().map(|r| step_message(lang, r)).unwrap_or_default())}</span>
                <span class="elapsed" data-testid="elapsed">
                    {move || run.run.with(|r| r.as_ref().map(|r| elapsed_label(lang, r, now.get())).unwrap_or_default())}
                </span>
            </div>
            {move || run.error.get().map(|e| view! { <p class="error" role="alert" data-testid="run-error">{e}</p> })}
            <div class="actions">
                <Show when=move || control.get() && !status.get().is_finished()>
                    <ServerForm action=cancel attr:class="inline">
                        <input type="hidden" name="test_id" value=move || id.get_value()/>
                        <button type="submit">{lang.t(Msg::Cancel)}</button>
                    </ServerForm>
                </Show>
                <Show when=move || control.get()>
                    <ServerForm action=restart attr:class="inline">
                        <input type="hidden" name="test_id" value=move || id.get_value()/>
                        <button type="submit" disabled=move || restart.pending().get()>{lang.t(Msg::Restart)}</button>
                    </ServerForm>
                </Show>
                // Clear shows the test without a run: the same page, no `?run=` (a run's own page has
                // nothing to clear).
                <Show when=move || location.search.with(|q| q.contains("run="))>
                    <A href=move || location.pathname.get() attr:role="button" attr:class="button">{lang.t(Msg::Clear)}</A>
                </Show>
            </div>
            // A refused cancel or restart says why (a room member may watch a run, not control it).
            {move || {
                let cancel_failed = cancel.value().get().and_then(Result::err);
                let restart_failed = restart.value().get().and_then(Result::err);
                cancel_failed
                    .or(restart_failed)
                    .map(|e| view! { <p class="error" role="alert" data-testid="control-error">{error_text(lang, &e)}</p> })
            }}
            <Show when=move || show_details && status.get().is_finished()>
                <p class="downloads">
                    {lang.t(Msg::Download)}
                    <a href=move || format!("/runs/{}/junit.xml", id.get_value()) rel="external" download>"JUnit XML"</a>
                    " · "
                    <a href=move || format!("/runs/{}/json", id.get_value()) rel="external" download>"JSON"</a>
                    " · "
                    <a href=move || format!("/runs/{}/report.html", id.get_value()) rel="external" download>{lang.t(Msg::HtmlReport)}</a>
                </p>
            </Show>
            <Show when=move || run.run.with(|r| r.as_ref().is_some_and(|r| r.load.is_some() || r.load_summary.is_some()))>
                <LoadPanel run=run.run/>
            </Show>
            // A load run's result lines are its thresholds, in their own table above.
            <Show when=move || show_details && run.run.with(|r| r.as_ref().is_none_or(|r| r.load.is_none() && r.load_summary.is_none()))>
                <StepList run=run.run/>
            </Show>
        </section>
    }
}

/// The coloured status word.
#[component]
pub fn StatusBadge(status: Signal<RunStatus>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <span class=move || format!("badge {}", status.get().as_str()) data-testid="status">
            {move || lang.status(status.get())}
        </span>
    }
}

/// The bar itself: an accessible progressbar.
#[component]
pub fn ProgressTrack(progress: Signal<u8>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div
            class="bar"
            role="progressbar"
            aria-label=lang.t(Msg::RunProgress)
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=move || progress.get().to_string()
        >
            <div class="fill" style=move || format!("width: {}%", progress.get())></div>
        </div>
    }
}

/// A compact live row for the runs dashboard.
#[component]
pub fn MiniBar(
    snapshot: RunSnapshot,
    href: String,
    /// When the run was created, ms since the epoch.
    created_at: u64,
    /// A checkbox to pick the run for comparison.
    #[prop(optional)]
    selectable: bool,
) -> impl IntoView {
    let lang = use_lang();
    let test_id = snapshot.test_id.clone();
    let run = use_run(&snapshot.test_id.clone(), Some(snapshot));
    let progress = Signal::derive(move || run.with(|r| r.as_ref().map_or(0, |r| r.progress)));
    let status =
        Signal::derive(move || run.with(|r| r.as_ref().map_or(RunStatus::Queued, |r| r.status)));
    let name = move || {
        run.with(|r| {
            r.as_ref()
                .map(|r| lang.run_name(&r.name))
                .unwrap_or_default()
        })
    };
    view! {
        <tr data-testid="run-row">
            {selectable.then(|| view! {
                <td><input type="checkbox" name="id" value=test_id aria-label=lang.t(Msg::CompareThisRun)/></td>
            })}
            <td><A href=href>{name}</A></td>
            <td class="when">{super::runs::date(created_at)}</td>
            <td class="took" data-testid="took">{move || run.with(|r| {
                r.as_ref()
                    .and_then(|r| r.finished_at.zip(r.started_at))
                    .map(|(f, s)| format_duration(f.saturating_sub(s)))
                    .unwrap_or_else(|| "—".into())
            })}</td>
            <td><StatusBadge status/></td>
            <td class="mini"><ProgressTrack progress/></td>
            <td>{move || format!("{} %", progress.get())}</td>
        </tr>
    }
}

#[component]
fn StepList(run: RwSignal<Option<RunSnapshot>>) -> impl IntoView {
    let lang = use_lang();
    let steps = move || run.with(|r| r.as_ref().map(|r| r.steps.clone()).unwrap_or_default());
    view! {
        <table class="step-results" data-testid="steps">
            <thead><tr>
                <th>"#"</th><th>{lang.t(Msg::Step)}</th><th>{lang.t(Msg::Status)}</th>
                <th>{lang.t(Msg::Time)}</th><th>{lang.t(Msg::Result)}</th>
            </tr></thead>
            <tbody>
                <For each=steps key=|s| s.index let:step>
                    <tr class=if step.passed { "pass" } else { "fail" }>
                        <td>{step.index}</td>
                        <td><code>{lang.step_name(&step.name)}</code></td>
                        <td>{step.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                        <td>{format!("{} ms", step.duration_ms)}</td>
                        <td>
                            {if step.passed { lang.t(Msg::Passed).to_owned() } else { step.error.as_deref().map_or_else(|| lang.t(Msg::Failed).into(), |e| lang.say_step(e)) }}
                            {(!step.checks.is_empty()).then(|| view! { <CheckList step=step.clone()/> })}
                            {(!step.captured.is_empty()).then(|| view! {
                                <div class="captured" data-testid="captured">
                                    {lang.t(Msg::Captured)}
                                    {step.captured.iter().map(|(k, v)| view! { <code>{format!("{k} = {v}")}</code>" " }).collect_view()}
                                </div>
                            })}
                        </td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

/// A step's checks, one line each: what was asked and, for a failed one, why. Open when one failed.
#[component]
fn CheckList(step: StepResult) -> impl IntoView {
    let passed = step.checks.iter().filter(|c| c.passed).count();
    let total = step.checks.len();
    let lang = use_lang();
    view! {
        <details class="checks" data-testid="checks" open=!step.passed>
            <summary>{lang.checks_passed(passed, total)}</summary>
            <ul>
                {step.checks.into_iter().map(|c| view! {
                    <li class=if c.passed { "pass" } else { "fail" }>
                        {if c.passed { "✓ " } else { "✗ " }}
                        <code>{lang.say_step(&c.check)}</code>
                        {c.detail.map(|d| view! { <span class="detail">{format!(" — {}", lang.say_step(&d))}</span> })}
                    </li>
                }).collect_view()}
            </ul>
        </details>
    }
}

/// Calls the completion / error callbacks once, when the run reaches its end.
fn notify_end(
    run: RwSignal<Option<RunSnapshot>>,
    status: Memo<RunStatus>,
    on_complete: Option<Callback<RunResults>>,
    on_error: Option<Callback<String>>,
) {
    if on_complete.is_none() && on_error.is_none() {
        return;
    }
    // Effects run only in the browser, after hydration: a run already finished at load time does not
    // fire the callbacks again.
    Effect::new(move |was_finished: Option<bool>| {
        let finished = status.get().is_finished();
        if finished && was_finished == Some(false) {
            run.with_untracked(|r| {
                let Some(r) = r else { return };
                match (&r.error, status.get_untracked()) {
                    (Some(e), _) => {
                        if let Some(cb) = on_error {
                            cb.run(e.clone());
                        }
                    }
                    (None, RunStatus::Completed | RunStatus::Failed) => {
                        if let Some(cb) = on_complete {
                            cb.run(r.results());
                        }
                    }
                    _ => {}
                }
            });
        }
        finished
    });
}

/// The server's clock as the browser estimates it, ticking five times a second; 0 on the server and
/// until hydration, so both renders agree.
fn now_signal() -> RwSignal<u64> {
    let now = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    {
        let live = Live::expect();
        let tick = move || {
            let t = js_sys::Date::now() as i64 + live.clock_offset_ms.get_untracked();
            now.set(t.max(0) as u64);
        };
        Effect::new(move |_| tick());
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_millis(200)) {
            on_cleanup(move || handle.clear());
        }
    }
    now
}

/// The progress line under the bar. The server writes it in English; the lines it makes from
/// figures (a load run's, a queued run's) are said again in the page's language, and a step's line
/// ("3/8 — GET /demo/items") is data.
fn step_message(lang: Lang, run: &RunSnapshot) -> String {
    if let (Some(summary), Some(start), Some(end)) =
        (&run.load_summary, run.started_at, run.finished_at)
    {
        return lang.load_done(summary, end.saturating_sub(start) as f64 / 1000.0);
    }
    if let Some(load) = &run.load {
        return lang.load_progress(load);
    }
    if let Some(rest) = run
        .message
        .strip_prefix("Queued: waiting for a free slot (")
    {
        if let Ok(ahead) = rest.split(' ').next().unwrap_or_default().parse() {
            return lang.queued(ahead);
        }
    }
    // "3/8 — row 2 · create widget": the row is said in the page's language.
    match run.message.split_once(" — ") {
        Some((count, step)) if count.contains('/') => format!("{count} — {}", lang.step_name(step)),
        _ => run.message.clone(),
    }
}

/// The connection's state in words.
fn conn_label(lang: Lang, state: &ConnState) -> String {
    match state {
        ConnState::Connecting => lang.t(Msg::Connecting).to_owned(),
        ConnState::Open => lang.t(Msg::Live).to_owned(),
        ConnState::Reconnecting {
            attempt,
            retry_in_ms,
        } => lang.reconnecting(*attempt, *retry_in_ms),
        ConnState::Closed { reason } => lang.disconnected(match reason.as_str() {
            reason::SESSION_EXPIRED => lang.t(Msg::ReasonSessionExpired),
            reason::SIGN_IN_AGAIN => lang.t(Msg::ReasonSignInAgain),
            reason::SIGNED_OUT => lang.t(Msg::ReasonSignedOut),
            reason::BY_PAGE => lang.t(Msg::ReasonByPage),
            other => other,
        }),
    }
}

/// "Elapsed 3.4 s": final for finished runs, ticking with `now` for running ones.
fn elapsed_label(lang: Lang, run: &RunSnapshot, now: u64) -> String {
    let Some(started) = run.started_at else {
        return String::new();
    };
    let end = match run.finished_at {
        Some(finished) => finished,
        None if now > 0 => now,
        None => return String::new(),
    };
    lang.elapsed(&format_duration(end.saturating_sub(started)))
}

/// 3.4 s under a minute, m:ss above.
pub fn format_duration(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        let secs = ms / 1000;
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(3_400), "3.4 s");
        assert_eq!(format_duration(62_000), "1:02");
    }

    #[test]
    fn elapsed_is_final_once_finished() {
        let mut s = RunSnapshot::queued("r".into(), "e".into(), "T".into(), 1);
        let en = Lang::En;
        assert_eq!(elapsed_label(en, &s, 99), "");
        s.started_at = Some(1_000);
        assert_eq!(elapsed_label(en, &s, 0), "");
        assert_eq!(elapsed_label(en, &s, 2_500), "Elapsed 1.5 s");
        s.finished_at = Some(4_000);
        assert_eq!(elapsed_label(en, &s, 99_999), "Elapsed 3.0 s");
        assert_eq!(elapsed_label(Lang::Zh, &s, 99_999), "用时 3.0 s");
    }
}
