//! The run history: your runs and your rooms' runs, newest first, each with a live mini bar; filters by
//! status, suite and date (a plain GET form, so the filtered page has its own URL), and a pick of two
//! runs to compare.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{error_text, progress::MiniBar, RequireUser};
use crate::{
    api,
    api::ApiError,
    i18n::{use_lang, Lang, Msg},
    protocol::{
        api::{RunFilter, RunRow},
        RunStatus,
    },
};

const STATUSES: [RunStatus; 6] = [
    RunStatus::Queued,
    RunStatus::Running,
    RunStatus::Completed,
    RunStatus::Failed,
    RunStatus::Cancelled,
    RunStatus::Interrupted,
];

#[component]
pub fn RunsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let text = |k: &str| q.get(k).filter(|v| !v.is_empty());
        RunFilter {
            status: text("status"),
            suite: text("suite").and_then(|s| s.parse().ok()),
            from: text("from"),
            to: text("to"),
        }
    });
    view! {
        <RequireUser>
            <Filters filter/>
            {move || view! { <RunList filter=filter.get()/> }}
        </RequireUser>
    }
}

#[component]
fn Filters(filter: Memo<RunFilter>) -> impl IntoView {
    let lang = use_lang();
    let suites = Resource::new(|| (), |_| api::list_suites());
    let f = filter.get_untracked();
    view! {
        <form method="get" action="/runs" class="card filters" data-testid="filters">
            <label>
                {lang.t(Msg::Status)} " "
                <select name="status">
                    <option value="">{lang.t(Msg::Any)}</option>
                    {STATUSES.iter().map(|s| view! {
                        <option value=s.as_str() selected=f.status.as_deref() == Some(s.as_str())>{lang.status(*s)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                {lang.t(Msg::Suite)} " "
                <select name="suite">
                    <option value="">{lang.t(Msg::Any)}</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let current = filter.get_untracked().suite;
                            suites.await.unwrap_or_default().into_iter().map(|s| view! {
                                <option value=s.id.to_string() selected=current == Some(s.id)>{s.name}</option>
                            }).collect_view()
                        })}
                    </Suspense>
                </select>
            </label>
            <label>{lang.t(Msg::DateFrom)} " " <input type="date" name="from" value=f.from.clone().unwrap_or_default()/></label>
            <label>{lang.t(Msg::DateTo)} " " <input type="date" name="to" value=f.to.clone().unwrap_or_default()/></label>
            <button type="submit">{lang.t(Msg::Filter)}</button>
            <a href="/runs">{lang.t(Msg::Clear)}</a>
        </form>
    }
}

/// The runs the user may see that match `filter`, newest first, with live mini bars; each row has a
/// checkbox, and two picked runs open side by side.
#[component]
fn RunList(filter: RunFilter) -> impl IntoView {
    let lang = use_lang();
    let runs = Resource::new(
        move || filter.clone(),
        |f| api::recent_runs(f.status, f.suite, f.from, f.to),
    );
    view! {
        <section class="card">
            <h1>{lang.t(Msg::NavRuns)}</h1>
            <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingRuns)}</p> }>
                {move || Suspend::new(async move {
                    run_table(lang, runs.await, true)
                })}
            </Suspense>
        </section>
    }
}

/// The runs as a table (with `compare`, a checkbox each and the button that opens two side by side),
/// or why there are none.
pub fn run_table(lang: Lang, runs: Result<Vec<RunRow>, ApiError>, compare: bool) -> AnyView {
    match runs {
        Ok(runs) if runs.is_empty() => view! {
            <p class="muted">{lang.t(Msg::NoRunsYet)}</p>
        }.into_any(),
        Ok(runs) => view! {
            <form method="get" action="/runs/compare">
                <table class="runs">
                    <thead><tr>
                        {compare.then(|| view! { <th>{lang.t(Msg::Pick)}</th> })}
                        <th>{lang.t(Msg::Test)}</th><th>{lang.t(Msg::When)}</th><th>{lang.t(Msg::Took)}</th>
                        <th>{lang.t(Msg::Status)}</th><th>{lang.t(Msg::Progress)}</th><th></th>
                    </tr></thead>
                    <tbody>
                        {runs.into_iter().map(|r| {
                            let href = r.href();
                            view! { <MiniBar snapshot=r.snapshot.into_snapshot() href created_at=r.created_at selectable=compare/> }
                        }).collect_view()}
                    </tbody>
                </table>
                {compare.then(|| view! {
                    <button type="submit">{lang.t(Msg::CompareTwo)}</button>
                })}
            </form>
        }.into_any(),
        Err(e) => view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
    }
}

/// A moment as `2026-11-29 14:05 UTC` (milliseconds since the Unix epoch).
pub fn date(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // The civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_read_as_utc() {
        assert_eq!(super::date(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            super::date(1_795_824_000_000 + 3_661_000),
            "2026-11-28 01:01 UTC"
        );
        assert_eq!(super::date(1_709_251_200_000), "2024-03-01 00:00 UTC");
    }
}
