//! A load run's panel on the run page: live figures, thresholds, and the charts over time (axes with
//! units, values on hover, thresholds drawn on the chart they apply to).

use leptos::prelude::*;

use crate::{
    i18n::{use_lang, Msg},
    protocol::{LoadPoint, RunSnapshot, Target},
};

/// A load run's figures (live while it runs, final after) and its charts: requests/s and p95 latency
/// over time.
#[component]
pub fn LoadPanel(run: RwSignal<Option<RunSnapshot>>) -> impl IntoView {
    let lang = use_lang();
    let t = move |m| lang.t(m);
    // (test id, label, value): the labels say which rate is which.
    let figures = move || {
        run.with(|r| {
            let r = r.as_ref()?;
            Some(match (&r.load_summary, &r.load) {
                (Some(s), _) => {
                    let mut figures = vec![
                        ("requests", t(Msg::Requests), s.requests.to_string()),
                        ("rps", t(Msg::RpsWhole), format!("{:.1}", s.rps)),
                        ("p50", "p50", format!("{:.2} ms", s.p50_ms)),
                        ("p95", "p95", format!("{:.2} ms", s.p95_ms)),
                        ("p99", "p99", format!("{:.2} ms", s.p99_ms)),
                        ("max", t(Msg::Max), format!("{:.2} ms", s.max_ms)),
                        (
                            "errors",
                            t(Msg::Errors),
                            format!("{} ({:.2} %)", s.errors, s.error_rate * 100.0),
                        ),
                        ("users", t(Msg::LoadUsers), s.users.to_string()),
                    ];
                    // Only the open model drops iterations; shown when it did.
                    if s.dropped_iterations > 0 {
                        figures.push((
                            "dropped",
                            t(Msg::Dropped),
                            s.dropped_iterations.to_string(),
                        ));
                    }
                    figures
                }
                (None, Some(l)) => vec![
                    ("requests", t(Msg::Requests), l.requests.to_string()),
                    ("rps", t(Msg::RpsLast), format!("{:.1}", l.rps)),
                    (
                        "rps-mean",
                        t(Msg::RpsSoFar),
                        format!(
                            "{:.1}",
                            l.requests as f64 / (l.elapsed_ms.max(1) as f64 / 1000.0)
                        ),
                    ),
                    ("p50", "p50", format!("{:.2} ms", l.p50_ms)),
                    ("p95", "p95", format!("{:.2} ms", l.p95_ms)),
                    ("p99", "p99", format!("{:.2} ms", l.p99_ms)),
                    ("errors", t(Msg::Errors), l.errors.to_string()),
                    (
                        "active-users",
                        t(Msg::ActiveUsers),
                        l.active_users.to_string(),
                    ),
                    (
                        "target",
                        t(Msg::TargetNow),
                        match l.target {
                            Some(Target::Users(u)) => lang.target_users(u),
                            Some(Target::IterationsPerSecond(r)) => lang.target_iterations(r),
                            None => "—".into(),
                        },
                    ),
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
                    .map(|(k, n)| format!("{}: {n}", lang.error_kind(k)))
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
    // The shape's target over time, for the chart of the figure it is compared with.
    let targets = move |users: bool| {
        Signal::derive(move || {
            run.with(|r| {
                r.as_ref()
                    .map(|r| {
                        r.load_series
                            .iter()
                            .filter_map(|p| match (p.target, users) {
                                (Some(Target::Users(v)), true) => Some((p.t_ms, v)),
                                (Some(Target::IterationsPerSecond(v)), false) => Some((p.t_ms, v)),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        })
    };
    let open_model = move || !targets(false).with(Vec::is_empty);
    // The thresholds of a finished run, for its table and as lines on the chart they apply to.
    let thresholds = move || {
        run.with(|r| {
            r.as_ref()
                .and_then(|r| r.load_summary.as_ref())
                .map(|s| s.thresholds.clone())
                .unwrap_or_default()
        })
    };
    let limits = move |chart: &'static str| {
        Signal::derive(move || {
            thresholds()
                .into_iter()
                .filter(|t| t.chart == chart)
                .map(|t| (t.threshold, t.limit))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="load" data-testid="load">
            <dl class="figures">
                {move || figures().into_iter().map(|(id, name, value)| view! {
                    <div><dt>{name}</dt><dd data-testid=format!("load-{id}")>{value}</dd></div>
                }).collect_view()}
            </dl>
            {move || errors_by_kind().map(|e| view! { <p class="error">{t(Msg::ErrorsByKind)} {e}</p> })}
            <div class="charts">
                <Chart title=t(Msg::ChartRps) unit=t(Msg::UnitReqPerSecond) points=Signal::derive(move || series(|p| p.rps)) limits=limits("rps")/>
                <Chart title=t(Msg::ChartP95) unit=" ms" points=Signal::derive(move || series(|p| p.p95_ms)) limits=limits("latency")/>
                <Chart title=t(Msg::ChartUsers) unit="" points=Signal::derive(move || series(|p| f64::from(p.users))) target=targets(true)/>
                <Show when=open_model>
                    <Chart title=t(Msg::ChartIps) unit="/s" points=Signal::derive(move || series(|p| p.ips)) target=targets(false)/>
                </Show>
            </div>
            <Show when=move || !thresholds().is_empty()>
                <table class="thresholds" data-testid="thresholds">
                    <caption>{t(Msg::Thresholds)}</caption>
                    <thead><tr><th>{t(Msg::Threshold)}</th><th>{t(Msg::Measured)}</th><th>{t(Msg::Result)}</th></tr></thead>
                    <tbody>
                        {move || thresholds().into_iter().map(|t| view! {
                            <tr class=if t.passed { "pass" } else { "fail" }>
                                <td><code>{t.threshold}</code></td>
                                <td>{t.actual}</td>
                                <td>{lang.t(if t.passed { Msg::Passed } else { Msg::Failed })}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
        </div>
    }
}

/// A line chart of `(t_ms, value)` points with a time axis and a value axis (both labelled with
/// their units), each point's value on hover, and the thresholds that apply to it as dashed lines.
#[component]
fn Chart(
    title: &'static str,
    unit: &'static str,
    points: Signal<Vec<(u64, f64)>>,
    /// (label, value) of each threshold drawn across the chart.
    #[prop(optional)]
    limits: Signal<Vec<(String, f64)>>,
    /// What the load shape asked for, drawn dashed beside what was achieved.
    #[prop(optional)]
    target: Signal<Vec<(u64, f64)>>,
) -> impl IntoView {
    let lang = use_lang();
    // Plot area inside a margin for the axis labels.
    const W: f64 = 320.0;
    const H: f64 = 120.0;
    const LEFT: f64 = 44.0;
    const BOTTOM: f64 = 16.0;
    let plot_w = W - LEFT - 4.0;
    let plot_h = H - BOTTOM - 6.0;
    let scale = move || {
        let t_max = points.with(|pts| pts.last().map_or(1, |p| p.0.max(1))) as f64;
        let v_top = points
            .with(|pts| pts.iter().map(|p| p.1).fold(0.0, f64::max))
            .max(limits.with(|l| l.iter().map(|l| l.1).fold(0.0, f64::max)))
            .max(target.with(|t| t.iter().map(|p| p.1).fold(0.0, f64::max)))
            .max(1e-9)
            * 1.1;
        (t_max, v_top)
    };
    let x = move |t: f64, t_max: f64| LEFT + t / t_max * plot_w;
    let y = move |v: f64, v_top: f64| 6.0 + plot_h - v / v_top * plot_h;
    let polyline = move |pts: &Vec<(u64, f64)>| {
        let (t_max, v_top) = scale();
        pts.iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t as f64, t_max), y(*v, v_top)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let line = move || points.with(polyline);
    let target_line = move || target.with(polyline);
    let has_target = move || !target.with(Vec::is_empty);
    let dots = move || {
        let (t_max, v_top) = scale();
        points.with(|pts| {
            pts.iter()
                .map(|(t, v)| {
                    let label = format!("{:.1} s: {v:.1}{unit}", *t as f64 / 1000.0);
                    view! {
                        <circle class="dot" cx=format!("{:.1}", x(*t as f64, t_max)) cy=format!("{:.1}", y(*v, v_top)) r="2.5">
                            <title>{label}</title>
                        </circle>
                    }
                })
                .collect_view()
        })
    };
    let rules = move || {
        let (_, v_top) = scale();
        limits
            .get()
            .into_iter()
            .map(|(label, value)| {
                let at = format!("{:.1}", y(value, v_top));
                view! {
                    <line class="limit" x1=LEFT x2=W - 4.0 y1=at.clone() y2=at.clone()>
                        <title>{label.clone()}</title>
                    </line>
                    <text class="limit-label" x=W - 6.0 y=at text-anchor="end" dy="-2">{label}</text>
                }
            })
            .collect_view()
    };
    let peak = move || points.with(|pts| pts.iter().map(|p| p.1).fold(0.0, f64::max));
    let axes = move || {
        let (t_max, v_top) = scale();
        view! {
            <line class="axis" x1=LEFT x2=LEFT y1="6" y2=H - BOTTOM/>
            <line class="axis" x1=LEFT x2=W - 4.0 y1=H - BOTTOM y2=H - BOTTOM/>
            // The top value with its unit, inside the plot beside the axis (the line stays below it:
            // the scale has a tenth of headroom); a value and a unit need not fit the left margin.
            <text class="tick" x=LEFT - 3.0 y="12" text-anchor="end">{tick(v_top)}</text>
            <text class="tick" x=LEFT + 3.0 y="12">{unit.trim()}</text>
            <text class="tick" x=LEFT - 3.0 y=H - BOTTOM text-anchor="end">"0"</text>
            <text class="tick" x=LEFT y=H - 3.0>"0 s"</text>
            <text class="tick" x=W - 4.0 y=H - 3.0 text-anchor="end">{format!("{:.1} s", t_max / 1000.0)}</text>
        }
    };
    view! {
        <figure class="chart">
            <figcaption>
                {title} <span class="muted">{move || lang.peak(peak(), unit)}</span>
                <Show when=has_target><span class="legend" data-testid="target-legend">{lang.t(Msg::Achieved)}</span></Show>
            </figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=move || lang.chart_label(title, peak(), unit)>
                {axes}
                {rules}
                <polyline points=line fill="none" stroke="currentColor" stroke-width="1.5"/>
                <Show when=has_target>
                    <polyline class="target" points=target_line fill="none" stroke-width="1.5"><title>{lang.t(Msg::Target)}</title></polyline>
                </Show>
                {dots}
            </svg>
        </figure>
    }
}

/// An axis value short enough for the margin: `23.9k`, `970`, `4.2`, `0.35`.
fn tick(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
