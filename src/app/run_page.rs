//! A run's own page (`/runs/:id`: live progress, steps, checks, timings, captured variables, load
//! figures and charts) and the comparison of two runs (`/runs/compare?id=A&id=B`).

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use super::{error_text, progress::format_duration, RealTimeProgressBar, RequireUser};
use crate::{
    api,
    i18n::{use_lang, Msg},
    protocol::{
        api::{RunSummary, SUITE_TEST_KEY},
        pair_thresholds, RunSnapshot, ThresholdResult,
    },
};

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    view! {
        <RequireUser>
            {move || {
                let test_id = id.get();
                view! { <RealTimeProgressBar test_id show_details=true/> }
            }}
        </RequireUser>
    }
}

#[component]
pub fn ComparePage() -> impl IntoView {
    view! {
        <RequireUser>
            <Comparison/>
        </RequireUser>
    }
}

#[component]
fn Comparison() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let ids = Memo::new(move |_| query.read().get_all("id").unwrap_or_default());
    // One resource per run: a server function called during server rendering must start in the
    // resource's first poll (where the request's context is current), not after another await.
    let run_at = move |i: usize| {
        Resource::new(
            move || ids.get(),
            move |ids| async move {
                match ids.get(i) {
                    Some(id) if ids.len() == 2 => api::get_run_summary(id.clone()).await,
                    _ => Err(api::ApiError::BadRequest(lang.t(Msg::PickTwo).into())),
                }
            },
        )
    };
    let (first, second) = (run_at(0), run_at(1));
    let runs = move || async move {
        let (a, b) = (first.await?, second.await?);
        // Older first: deltas read as "what changed since".
        Ok::<_, api::ApiError>(if a.snapshot.started_at > b.snapshot.started_at {
            (b, a)
        } else {
            (a, b)
        })
    };
    view! {
        <section class="card" data-testid="compare">
            <h1>{lang.t(Msg::CompareRuns)}</h1>
            <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingRuns)}</p> }>
                {move || Suspend::new(async move {
                    match runs().await {
                        Ok((a, b)) => view! { <CompareTable a b/> }.into_any(),
                        Err(e) => view! {
                            <p class="error">{error_text(lang, &e)}</p>
                            <p><A href="/runs">{lang.t(Msg::BackToRuns)}</A></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn duration(run: &RunSnapshot) -> Option<u64> {
    run.finished_at
        .zip(run.started_at)
        .map(|(f, s)| f.saturating_sub(s))
}

fn delta_ms(a: Option<u64>, b: Option<u64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => {
            // Milliseconds under a second, else as durations are shown: "+40 ms", "-2.0 s".
            let sign = if b > a {
                "+"
            } else if b < a {
                "-"
            } else {
                ""
            };
            match a.abs_diff(b) {
                d if d < 1000 => format!("{sign}{d} ms"),
                d => format!("{sign}{}", format_duration(d)),
            }
        }
        _ => "—".into(),
    }
}

#[component]
fn CompareTable(a: RunSummary, b: RunSummary) -> impl IntoView {
    let lang = use_lang();
    // The same stored suite (any version, any environment), the same built-in test, or — for suites
    // sent without saving — the same name.
    let same_suite = a.test_key == b.test_key
        && match (a.suite_id, b.suite_id) {
            (Some(x), Some(y)) => x == y,
            (None, None) => a.test_key != SUITE_TEST_KEY || a.snapshot.name == b.snapshot.name,
            _ => false,
        };
    let describe = |r: &RunSummary| {
        let mut parts = Vec::new();
        if let Some(v) = r.suite_version {
            parts.push(lang.suite_version(v));
        }
        if let Some(env) = &r.environment {
            parts.push(lang.suite_environment(env));
        }
        // A built-in test is named by its key; a suite sent without saving has no version.
        if !parts.is_empty() {
            parts.join(" · ")
        } else if r.test_key != SUITE_TEST_KEY {
            r.test_key.clone()
        } else {
            "—".into()
        }
    };
    let (a_about, b_about) = (describe(&a), describe(&b));
    let (a, b) = (a.snapshot, b.snapshot);
    let total = delta_ms(duration(&a), duration(&b));
    let show = |ms: Option<u64>| ms.map(format_duration).unwrap_or_else(|| "—".into());
    // Steps matched by position (and shown with B's name when they differ). A load run's steps
    // stand for its thresholds, compared by expression below.
    let (a_steps, b_steps) = (a.api_steps(), b.api_steps());
    let rows = (0..a_steps.len().max(b_steps.len()))
        .map(|i| {
            let sa = a_steps.get(i);
            let sb = b_steps.get(i);
            let name = sb.or(sa).map(|s| s.name.clone()).unwrap_or_default();
            let cell = |s: Option<&crate::protocol::StepResult>| {
                s.map(|s| {
                    format!(
                        "{} · {} ms",
                        lang.t(if s.passed { Msg::Passed } else { Msg::Failed }),
                        s.duration_ms
                    )
                })
                .unwrap_or_else(|| "—".into())
            };
            let delta = delta_ms(sa.map(|s| s.duration_ms), sb.map(|s| s.duration_ms));
            let changed = sa.map(|s| s.passed) != sb.map(|s| s.passed);
            view! {
                <tr class=if changed { "changed" } else { "" }>
                    <td>{i + 1}</td>
                    <td><code>{name}</code></td>
                    <td>{cell(sa)}</td>
                    <td>{cell(sb)}</td>
                    <td data-testid="step-delta">{delta}</td>
                </tr>
            }
        })
        .collect_view();
    let load_rows = a
        .load_summary
        .as_deref()
        .zip(b.load_summary.as_deref())
        .map(|(la, lb)| {
            let figures = [
                (lang.t(Msg::RequestsPerSecondShort), la.rps, lb.rps, ""),
                ("p50", la.p50_ms, lb.p50_ms, " ms"),
                ("p95", la.p95_ms, lb.p95_ms, " ms"),
                ("p99", la.p99_ms, lb.p99_ms, " ms"),
                (
                    lang.t(Msg::ErrorRate),
                    la.error_rate * 100.0,
                    lb.error_rate * 100.0,
                    " %",
                ),
            ];
            view! {
                <h2>{lang.t(Msg::LoadFigures)}</h2>
                <table class="step-results">
                    <thead><tr><th>""</th><th>"A"</th><th>"B"</th><th>"Δ"</th></tr></thead>
                    <tbody>
                        {figures.into_iter().map(|(name, x, y, unit)| view! {
                            <tr>
                                <td>{name}</td>
                                <td>{format!("{x:.2}{unit}")}</td>
                                <td>{format!("{y:.2}{unit}")}</td>
                                <td>{format!("{:+.2}{unit}", y - x)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
        });
    let threshold_cell = |t: Option<&ThresholdResult>| {
        t.map(|t| {
            let result = lang.t(if t.passed { Msg::Passed } else { Msg::Failed });
            format!("{result} · {}", t.actual)
        })
        .unwrap_or_else(|| "—".into())
    };
    let threshold_rows = pair_thresholds(a.thresholds(), b.thresholds())
        .into_iter()
        .map(|(name, ta, tb)| {
            let changed = ta.map(|t| t.passed) != tb.map(|t| t.passed);
            view! {
                <tr class=if changed { "changed" } else { "" } data-testid="threshold-row">
                    <td><code>{name.to_owned()}</code></td>
                    <td>{threshold_cell(ta)}</td>
                    <td>{threshold_cell(tb)}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let thresholds = (!threshold_rows.is_empty()).then(|| {
        view! {
            <h2>{lang.t(Msg::Thresholds)}</h2>
            <table class="step-results">
                <thead><tr><th>{lang.t(Msg::Threshold)}</th><th>"A"</th><th>"B"</th></tr></thead>
                <tbody>{threshold_rows}</tbody>
            </table>
        }
    });
    let (a_href, b_href) = (
        format!("/runs/{}", a.test_id),
        format!("/runs/{}", b.test_id),
    );
    let (a_name, b_name) = (lang.run_name(&a.name), lang.run_name(&b.name));
    let report = format!("/compare/{}/{}/report.html", a.test_id, b.test_id);
    let a_line = format!("{} · {}", lang.status(a.status), show(duration(&a)));
    let b_line = format!("{} · {}", lang.status(b.status), show(duration(&b)));
    view! {
        {(!same_suite).then(|| view! {
            <p class="notice">{lang.t(Msg::DifferentTests)}</p>
        })}
        <table class="step-results">
            <thead>
                <tr>
                    <th>""</th>
                    <th>{lang.t(Msg::Run)}</th>
                    <th><A href=a_href>"A: " {a_name}</A></th>
                    <th><A href=b_href>"B: " {b_name}</A></th>
                    <th>"Δ"</th>
                </tr>
                <tr>
                    <th></th>
                    <th>{lang.t(Msg::Suite)}</th>
                    <th>{a_about}</th>
                    <th>{b_about}</th>
                    <th></th>
                </tr>
                <tr>
                    <th></th>
                    <th>{lang.t(Msg::StatusDuration)}</th>
                    <th>{a_line}</th>
                    <th>{b_line}</th>
                    <th data-testid="total-delta">{total}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {load_rows}
        {thresholds}
        <p><a href=report rel="external" download>{lang.t(Msg::DownloadComparison)}</a></p>
    }
}
