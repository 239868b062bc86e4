//! The usage page (`/usage`, the seed's "usage analytics"): runs per day and how they ended, the pass
//! rate, and each stored suite's p95 response time per day, drawn from the run history the user may see.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{error_text, runs::date, RequireUser};
use crate::{
    api,
    i18n::{use_lang, Msg},
    protocol::api::{SuiteTrend, Usage, UsageDay},
};

const W: f64 = 640.0;
const H: f64 = 160.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 18.0;
const TOP: f64 = 8.0;

#[component]
pub fn UsagePage() -> impl IntoView {
    view! {
        <RequireUser>
            <UsageView/>
        </RequireUser>
    }
}

#[component]
fn UsageView() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(30)
    };
    let usage = Resource::new(days, |d| api::usage(Some(d)));
    view! {
        <section class="card usage" data-testid="usage">
            <h1>{lang.t(Msg::NavUsage)}</h1>
            <form method="get" class="filters">
                <label>
                    {lang.t(Msg::Period)} " "
                    <select name="days" prop:value=move || days().to_string()>
                        {[7, 30, 90, 365].into_iter().map(|n| view! { <option value=n.to_string()>{lang.days(n)}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit">{lang.t(Msg::Show)}</button>
            </form>
            <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingUsage)}</p> }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(u) if u.days.is_empty() => view! {
                            <p class="muted">{lang.t(Msg::NoFinishedRuns)}</p>
                        }.into_any(),
                        Ok(u) => view! { <Figures usage=u/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{error_text(lang, &e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Figures(usage: Usage) -> impl IntoView {
    let lang = use_lang();
    let span = Span::of(&usage);
    let total: u32 = usage.days.iter().map(|d| d.runs).sum();
    let passed: u32 = usage.days.iter().map(|d| d.passed).sum();
    let failed: u32 = usage.days.iter().map(|d| d.failed).sum();
    let rate = UsageDay {
        passed,
        failed,
        ..UsageDay::default()
    }
    .pass_rate()
    .map_or_else(|| "—".to_owned(), |r| format!("{r:.1} %"));
    view! {
        <dl class="figures">
            <div><dt>{lang.t(Msg::RunsCount)}</dt><dd data-testid="usage-runs">{total}</dd></div>
            <div><dt>{lang.t(Msg::PassedCount)}</dt><dd data-testid="usage-passed">{passed}</dd></div>
            <div><dt>{lang.t(Msg::FailedCount)}</dt><dd data-testid="usage-failed">{failed}</dd></div>
            <div><dt>{lang.t(Msg::PassRate)}</dt><dd data-testid="usage-pass-rate">{rate}</dd></div>
        </dl>
        <RunsPerDay days=usage.days.clone() span/>
        <PassRate days=usage.days span/>
        <h2>{lang.t(Msg::P95PerSuite)}</h2>
        {if usage.suites.is_empty() {
            view! { <p class="muted">{lang.t(Msg::NoSuiteRan)}</p> }.into_any()
        } else {
            usage.suites.into_iter().map(|s| view! { <Trend trend=s span/> }).collect_view().into_any()
        }}
    }
}

const DAY_MS: u64 = 86_400_000;

/// The days a chart spans: the period asked for (so one busy day among thirty is a thin bar, not the
/// whole width), or the days with runs when the server did not say.
#[derive(Clone, Copy)]
struct Span {
    first: u64,
    slots: usize,
}

impl Span {
    fn of(usage: &Usage) -> Span {
        if usage.period_days > 0 {
            return Span {
                first: usage.first_day,
                slots: usage.period_days as usize,
            };
        }
        Span {
            first: usage.days.first().map_or(0, |d| d.day),
            slots: usage.days.len().max(1),
        }
    }

    /// The slot of the day starting at `day`.
    fn slot(self, day: u64) -> usize {
        (day.saturating_sub(self.first) / DAY_MS) as usize
    }

    fn last(self) -> u64 {
        self.first + (self.slots.max(1) as u64 - 1) * DAY_MS
    }
}

/// The x position of day `i` of `n` (bars and points share it).
fn x(i: usize, n: usize) -> f64 {
    let slot = (W - LEFT - 4.0) / n.max(1) as f64;
    LEFT + slot * (i as f64 + 0.5)
}

fn y(value: f64, top: f64) -> f64 {
    TOP + (H - BOTTOM - TOP) * (1.0 - value / top.max(1e-9))
}

/// The axes of a chart: the value axis from 0 to `top` (with `unit`), the first and last day below.
fn axes(top: f64, unit: &'static str, first: u64, last: u64) -> impl IntoView {
    let day = |ms: u64| date(ms).chars().take(10).collect::<String>();
    view! {
        <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=H - BOTTOM/>
        <line class="axis" x1=LEFT x2=W - 4.0 y1=H - BOTTOM y2=H - BOTTOM/>
        <text class="tick" x=LEFT - 3.0 y=TOP + 6.0 text-anchor="end">{format!("{top:.0}{unit}")}</text>
        <text class="tick" x=LEFT - 3.0 y=H - BOTTOM text-anchor="end">{format!("0{unit}")}</text>
        <text class="tick" x=LEFT y=H - 4.0>{day(first)}</text>
        <text class="tick" x=W - 4.0 y=H - 4.0 text-anchor="end">{day(last)}</text>
    }
}

#[component]
fn RunsPerDay(days: Vec<UsageDay>, span: Span) -> impl IntoView {
    let lang = use_lang();
    let n = span.slots;
    let top = days.iter().map(|d| d.runs).max().unwrap_or(1).max(1) as f64;
    let slot = (W - LEFT - 4.0) / n.max(1) as f64;
    let width = (slot * 0.7).max(1.0);
    let (first, last) = (span.first, span.last());
    let bars = days
        .iter()
        .map(|d| {
            let x0 = x(span.slot(d.day), n) - width / 2.0;
            let passed_top = y(f64::from(d.passed), top);
            let runs_top = y(f64::from(d.runs), top);
            let label = lang.day_runs(
                &date(d.day).chars().take(10).collect::<String>(),
                d.runs,
                d.passed,
                d.failed,
            );
            view! {
                <g class="bar">
                    <title>{label}</title>
                    <rect class="other" x=format!("{x0:.1}") width=format!("{width:.1}") y=format!("{runs_top:.1}") height=format!("{:.1}", H - BOTTOM - runs_top)/>
                    <rect class="passed" x=format!("{x0:.1}") width=format!("{width:.1}") y=format!("{passed_top:.1}") height=format!("{:.1}", H - BOTTOM - passed_top)/>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>{lang.t(Msg::RunsPerDay)} " " <span class="muted">{lang.t(Msg::RunsPerDayHint)}</span></figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=lang.runs_per_day_label(top)>
                {axes(top, "", first, last)}
                {bars}
            </svg>
        </figure>
    }
}

#[component]
fn PassRate(days: Vec<UsageDay>, span: Span) -> impl IntoView {
    let (n, first, last) = (span.slots, span.first, span.last());
    let points: Vec<(usize, f64, u64)> = days
        .iter()
        .filter_map(|d| Some((span.slot(d.day), d.pass_rate()?, d.day)))
        .collect();
    let lang = use_lang();
    line_chart(
        lang.t(Msg::PassRatePerDay),
        "%",
        100.0,
        n,
        first,
        last,
        points,
    )
}

#[component]
fn Trend(trend: SuiteTrend, span: Span) -> impl IntoView {
    let (n, first, last) = (span.slots, span.first, span.last());
    let top = trend
        .p95_ms
        .iter()
        .map(|p| p.1)
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.1;
    let points = trend
        .p95_ms
        .iter()
        .map(|(day, v)| (span.slot(*day), *v, *day))
        .collect();
    let title = format!("{} — p95", trend.name);
    view! {
        <div data-testid="suite-trend">
            <a href=format!("/runs?suite={}", trend.suite_id)>{trend.name.clone()}</a>
            {line_chart(title, " ms", top, n, first, last, points)}
        </div>
    }
}

/// A line over `n` day slots: `(slot, value, day)` points, values from 0 to `top`.
fn line_chart(
    title: impl Into<String>,
    unit: &'static str,
    top: f64,
    n: usize,
    first: u64,
    last: u64,
    points: Vec<(usize, f64, u64)>,
) -> impl IntoView {
    let title = title.into();
    let line = points
        .iter()
        .map(|(i, v, _)| format!("{:.1},{:.1}", x(*i, n), y(*v, top)))
        .collect::<Vec<_>>()
        .join(" ");
    let dots = points
        .into_iter()
        .map(|(i, v, day)| {
            let label = format!("{}: {v:.1}{unit}", date(day).chars().take(10).collect::<String>());
            view! {
                <circle class="dot" cx=format!("{:.1}", x(i, n)) cy=format!("{:.1}", y(v, top)) r="3">
                    <title>{label}</title>
                </circle>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=title>
                {axes(top, unit, first, last)}
                <polyline points=line fill="none" stroke="currentColor" stroke-width="1.5"/>
                {dots}
            </svg>
        </figure>
    }
}
