//! The home page: the tests you can start and your recent runs.

use leptos::prelude::*;
use leptos_router::components::A;

use super::RequireUser;
use crate::api;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <RequireUser>
            <TestList/>
            <RecentRuns/>
        </RequireUser>
    }
}

#[component]
fn TestList() -> impl IntoView {
    let tests = Resource::new(|| (), |_| api::list_tests());
    view! {
        <section class="card">
            <h1>"Tests"</h1>
            <Suspense fallback=|| view! { <p>"Loading tests…"</p> }>
                {move || Suspend::new(async move {
                    match tests.await {
                        Ok(tests) => view! {
                            <ul class="tests">
                                {tests.into_iter().map(|t| view! {
                                    <li>
                                        <A href=format!("/tests/{}", t.key)>{t.name}</A>
                                        <span class="muted">{format!(" — {} steps", t.steps.len())}</span>
                                        <p class="muted">{t.description}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RecentRuns() -> impl IntoView {
    let runs = Resource::new(|| (), |_| api::recent_runs());
    view! {
        <section class="card">
            <h2>"Recent runs"</h2>
            <Suspense fallback=|| view! { <p>"Loading runs…"</p> }>
                {move || Suspend::new(async move {
                    match runs.await {
                        Ok(runs) if runs.is_empty() => view! {
                            <p class="muted">"No runs yet: open a test and press Start."</p>
                        }.into_any(),
                        Ok(runs) => view! {
                            <table class="runs">
                                <thead><tr><th>"Test"</th><th>"Status"</th><th>"Progress"</th></tr></thead>
                                <tbody>
                                    {runs.into_iter().map(|r| {
                                        let s = r.snapshot;
                                        let href = format!("/tests/{}?run={}", r.test_key, s.test_id);
                                        view! {
                                            <tr>
                                                <td><A href=href>{s.name}</A></td>
                                                <td><span class=format!("badge {}", s.status.as_str())>{s.status.label()}</span></td>
                                                <td>{format!("{} %", s.progress)}</td>
                                            </tr>
                                        }
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
