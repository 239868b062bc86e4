//! The runs dashboard: your runs and your rooms' runs, newest first, each with a live mini bar.

use leptos::prelude::*;

use super::{progress::MiniBar, RequireUser};
use crate::api;

#[component]
pub fn RunsPage() -> impl IntoView {
    view! {
        <RequireUser>
            <RunList/>
        </RequireUser>
    }
}

/// The user's recent runs (and their rooms'), newest first, with live mini bars.
#[component]
pub fn RunList(#[prop(default = "Runs")] title: &'static str) -> impl IntoView {
    let runs = Resource::new(|| (), |_| api::recent_runs(None, None, None, None));
    view! {
        <section class="card">
            <h1>{title}</h1>
            <Suspense fallback=|| view! { <p>"Loading runs…"</p> }>
                {move || Suspend::new(async move {
                    match runs.await {
                        Ok(runs) if runs.is_empty() => view! {
                            <p class="muted">"No runs yet: open a test and press Start."</p>
                        }.into_any(),
                        Ok(runs) => view! {
                            <table class="runs">
                                <thead><tr><th>"Test"</th><th>"Status"</th><th>"Progress"</th><th></th></tr></thead>
                                <tbody>
                                    {runs.into_iter().map(|r| {
                                        let href = r.href();
                                        view! { <MiniBar snapshot=r.snapshot href/> }
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
