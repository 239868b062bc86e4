//! `RealTimeProgressBar`: one run's percent, status, current step, elapsed time and connection state,
//! live. The first render uses the run's stored or live snapshot (so it is right without JavaScript);
//! after hydration the page's [`Live`] connection keeps it current.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::{
    api::{self, CancelTest, RestartTest},
    client::{hooks::use_test_progress, ConnState, Live},
    protocol::{LoadPoint, RunResults, RunSnapshot, RunStatus, StepResult},
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
    let initial = Resource::new(move || test_id.clone(), api::get_run);
    view! {
        <Suspense fallback=|| view! { <section class="card progress"><p>"Loading run…"</p></section> }>
            {move || Suspend::new(async move {
                match initial.await {
                    Ok(snapshot) => view! { <Bar snapshot show_details on_complete on_error/> }.into_any(),
                    Err(e) => view! {
                        <section class="card progress"><p class="error">{e.to_string()}</p></section>
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

    view! {
        <section class="card progress" data-status=move || status.get().as_str() data-test-id=test_id>
            <div class="progress-head">
                <h2>{move || run.run.with(|r| r.as_ref().map(|r| r.name.clone()).unwrap_or_default())}</h2>
                <StatusBadge status=status.into()/>
                <span class=move || format!("conn {}", live.state.with(|s| s.key())) data-testid="connection">
                    {move || live.state.with(|s| s.label())}
                </span>
                <Show when=signed_out>
                    <A href="/login">"Sign in again"</A>
                </Show>
            </div>
            <ProgressTrack progress=run.progress/>
            <div class="progress-line">
                <strong data-testid="percent">{move || format!("{} %", run.progress.get())}</strong>
                <span data-testid="current-step">{move || run.message.get()}</span>
                <span class="elapsed" data-testid="elapsed">
                    {move || run.run.with(|r| r.as_ref().map(|r| elapsed_label(r, now.get())).unwrap_or_default())}
                </span>
            </div>
            {move || run.error.get().map(|e| view! { <p class="error" role="alert" data-testid="run-error">{e}</p> })}
            <div class="actions">
                <Show when=move || super::may_run() && !status.get().is_finished()>
                    <ActionForm action=cancel attr:class="inline">
                        <input type="hidden" name="test_id" value=move || id.get_value()/>
                        <button type="submit">"Cancel"</button>
                    </ActionForm>
                </Show>
                <Show when=super::may_run>
                    <ActionForm action=restart attr:class="inline">
                        <input type="hidden" name="test_id" value=move || id.get_value()/>
                        <button type="submit" disabled=move || restart.pending().get()>"Restart"</button>
                    </ActionForm>
                </Show>
                // Clear shows the test without a run: the same page, no `?run=`.
                <A href=move || location.pathname.get() attr:role="button" attr:class="button">"Clear"</A>
            </div>
            <Show when=move || show_details && status.get().is_finished()>
                <p class="downloads">
                    "Download: "
                    <a href=move || format!("/runs/{}/junit.xml", id.get_value()) rel="external" download>"JUnit XML"</a>
                    " · "
                    <a href=move || format!("/runs/{}/json", id.get_value()) rel="external" download>"JSON"</a>
                </p>
            </Show>
            <Show when=move || run.run.with(|r| r.as_ref().is_some_and(|r| r.load.is_some() || r.load_summary.is_some()))>
                <LoadPanel run=run.run/>
            </Show>
            <Show when=move || show_details>
                <StepList run=run.run/>
            </Show>
        </section>
    }
}

/// The coloured status word.
#[component]
pub fn StatusBadge(status: Signal<RunStatus>) -> impl IntoView {
    view! {
        <span class=move || format!("badge {}", status.get().as_str()) data-testid="status">
            {move || status.get().label()}
        </span>
    }
}

/// The bar itself: an accessible progressbar.
#[component]
pub fn ProgressTrack(progress: Signal<u8>) -> impl IntoView {
    view! {
        <div
            class="bar"
            role="progressbar"
            aria-label="Run progress"
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
    /// A checkbox to pick the run for comparison.
    #[prop(optional)]
    selectable: bool,
) -> impl IntoView {
    let test_id = snapshot.test_id.clone();
    let run = use_test_progress(&snapshot.test_id.clone(), Some(snapshot));
    let name = move || {
        run.run
            .with(|r| r.as_ref().map(|r| r.name.clone()).unwrap_or_default())
    };
    view! {
        <tr data-testid="run-row">
            {selectable.then(|| view! {
                <td><input type="checkbox" name="id" value=test_id aria-label="Compare this run"/></td>
            })}
            <td><A href=href>{name}</A></td>
            <td><StatusBadge status=run.status/></td>
            <td class="mini"><ProgressTrack progress=run.progress/></td>
            <td>{move || format!("{} %", run.progress.get())}</td>
        </tr>
    }
}

#[component]
fn StepList(run: RwSignal<Option<RunSnapshot>>) -> impl IntoView {
    let steps = move || run.with(|r| r.as_ref().map(|r| r.steps.clone()).unwrap_or_default());
    view! {
        <table class="step-results" data-testid="steps">
            <thead><tr><th>"#"</th><th>"Step"</th><th>"Status"</th><th>"Time"</th><th>"Result"</th></tr></thead>
            <tbody>
                <For each=steps key=|s| s.index let:step>
                    <tr class=if step.passed { "pass" } else { "fail" }>
                        <td>{step.index}</td>
                        <td><code>{step.name.clone()}</code></td>
                        <td>{step.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                        <td>{format!("{} ms", step.duration_ms)}</td>
                        <td>
                            {if step.passed { "passed".to_owned() } else { step.error.clone().unwrap_or_else(|| "failed".into()) }}
                            {(!step.checks.is_empty()).then(|| view! { <CheckList step=step.clone()/> })}
                            {(!step.captured.is_empty()).then(|| view! {
                                <div class="captured" data-testid="captured">
                                    "captured: "
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
    view! {
        <details class="checks" data-testid="checks" open=!step.passed>
            <summary>{format!("{passed}/{total} checks passed")}</summary>
            <ul>
                {step.checks.into_iter().map(|c| view! {
                    <li class=if c.passed { "pass" } else { "fail" }>
                        {if c.passed { "✓ " } else { "✗ " }}
                        <code>{c.check}</code>
                        {c.detail.map(|d| view! { <span class="detail">{format!(" — {d}")}</span> })}
                    </li>
                }).collect_view()}
            </ul>
        </details>
    }
}

/// A load run's figures (live while it runs, final after) and its charts: requests/s and p95 latency
/// over time.
#[component]
fn LoadPanel(run: RwSignal<Option<RunSnapshot>>) -> impl IntoView {
    let figures = move || {
        run.with(|r| {
            let r = r.as_ref()?;
            Some(match (&r.load_summary, &r.load) {
                (Some(s), _) => vec![
                    ("Requests", s.requests.to_string()),
                    ("Requests/s", format!("{:.1}", s.rps)),
                    ("p50", format!("{:.2} ms", s.p50_ms)),
                    ("p95", format!("{:.2} ms", s.p95_ms)),
                    ("p99", format!("{:.2} ms", s.p99_ms)),
                    ("Max", format!("{:.2} ms", s.max_ms)),
                    (
                        "Errors",
                        format!("{} ({:.2} %)", s.errors, s.error_rate * 100.0),
                    ),
                    ("Users", s.users.to_string()),
                ],
                (None, Some(l)) => vec![
                    ("Requests", l.requests.to_string()),
                    ("Requests/s", format!("{:.1}", l.rps)),
                    ("p50", format!("{:.2} ms", l.p50_ms)),
                    ("p95", format!("{:.2} ms", l.p95_ms)),
                    ("p99", format!("{:.2} ms", l.p99_ms)),
                    ("Errors", l.errors.to_string()),
                    ("Active users", l.active_users.to_string()),
                ],
                (None, None) => return None,
            })
        })
        .unwrap_or_default()
    };
    let errors_by_kind = move || {
        run.with(|r| {
            let r = r.as_ref()?;
            let kinds = match (&r.load_summary, &r.load) {
                (Some(s), _) => s.errors_by_kind.clone(),
                (None, Some(l)) => l.errors_by_kind.clone(),
                _ => return None,
            };
            (!kinds.is_empty()).then(|| {
                kinds
                    .iter()
                    .map(|(k, n)| format!("{k}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        })
    };
    let series = move |pick: fn(&LoadPoint) -> f64| {
        run.with(|r| {
            r.as_ref()
                .map(|r| {
                    r.load_series
                        .iter()
                        .map(|p| (p.t_ms, pick(p)))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <div class="load" data-testid="load">
            <dl class="figures">
                {move || figures().into_iter().map(|(name, value)| view! {
                    <div><dt>{name}</dt><dd data-testid=format!("load-{}", name.to_lowercase().replace(['/', ' '], "-"))>{value}</dd></div>
                }).collect_view()}
            </dl>
            {move || errors_by_kind().map(|e| view! { <p class="error">"Errors by kind: " {e}</p> })}
            <div class="charts">
                <Chart title="Requests/s" unit="" points=Signal::derive(move || series(|p| p.rps))/>
                <Chart title="p95 latency" unit=" ms" points=Signal::derive(move || series(|p| p.p95_ms))/>
            </div>
        </div>
    }
}

/// A small line chart of `(t_ms, value)` points, scaled to its largest value.
#[component]
fn Chart(
    title: &'static str,
    unit: &'static str,
    points: Signal<Vec<(u64, f64)>>,
) -> impl IntoView {
    const W: f64 = 300.0;
    const H: f64 = 100.0;
    let line = move || {
        points.with(|pts| {
            let t_max = pts.last().map_or(1, |p| p.0.max(1)) as f64;
            let v_max = pts.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9);
            pts.iter()
                .map(|(t, v)| {
                    format!(
                        "{:.1},{:.1}",
                        *t as f64 / t_max * W,
                        H - v / v_max * (H - 4.0)
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    let peak = move || points.with(|pts| pts.iter().map(|p| p.1).fold(0.0, f64::max));
    view! {
        <figure class="chart">
            <figcaption>{title} <span class="muted">{move || format!(" (peak {:.1}{unit})", peak())}</span></figcaption>
            <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img" aria-label=title>
                <polyline points=line fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke"/>
            </svg>
        </figure>
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
                            let passed = r.steps.iter().filter(|s| s.passed).count() as u32;
                            cb.run(RunResults {
                                passed,
                                failed: r.steps.len() as u32 - passed,
                                duration_ms: r
                                    .finished_at
                                    .zip(r.started_at)
                                    .map_or(0, |(f, s)| f.saturating_sub(s)),
                                steps: r.steps.clone(),
                                load: r.load_summary.as_deref().cloned(),
                            });
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

/// "Elapsed 3.4 s": final for finished runs, ticking with `now` for running ones.
fn elapsed_label(run: &RunSnapshot, now: u64) -> String {
    let Some(started) = run.started_at else {
        return String::new();
    };
    let end = match run.finished_at {
        Some(finished) => finished,
        None if now > 0 => now,
        None => return String::new(),
    };
    format!("Elapsed {}", format_duration(end.saturating_sub(started)))
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
        assert_eq!(elapsed_label(&s, 99), "");
        s.started_at = Some(1_000);
        assert_eq!(elapsed_label(&s, 0), "");
        assert_eq!(elapsed_label(&s, 2_500), "Elapsed 1.5 s");
        s.finished_at = Some(4_000);
        assert_eq!(elapsed_label(&s, 99_999), "Elapsed 3.0 s");
    }
}
