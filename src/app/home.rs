//! The home page: the tests you can start and your recent runs.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{runs::RunList, RequireUser};
use crate::api;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <RequireUser>
            <TestList/>
            <RunList title="Recent runs"/>
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
