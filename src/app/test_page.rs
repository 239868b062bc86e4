//! One test: its steps, a Start form, and the live progress of the run named by `?run=`.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{error_text, form::ServerForm, may_run, progress::RealTimeProgressBar, RequireUser};
use crate::{
    api::{self, StartTest},
    i18n::{use_lang, Msg},
    protocol::api::RunOptions,
};

#[component]
pub fn TestPage() -> impl IntoView {
    view! {
        <RequireUser>
            <TestDetail/>
        </RequireUser>
    }
}

#[component]
fn TestDetail() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| params.read().get("key").unwrap_or_default());
    let run = Memo::new(move |_| query.read().get("run").filter(|r| !r.is_empty()));
    let tests = Resource::new(|| (), |_| api::list_tests());
    let start = ServerAction::<StartTest>::new();

    let start_error = move || {
        start
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })
    };

    view! {
        <Suspense fallback=move || view! { <p>{lang.t(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                let tests = match tests.await {
                    Ok(tests) => tests,
                    Err(e) => return view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
                };
                let Some(test) = tests.into_iter().find(|t| t.key == key.get()) else {
                    super::page_status(404);
                    return view! { <p class="notice">{lang.t(Msg::NoSuchTest)}</p> }.into_any();
                };
                let key = test.key.clone();
                let synthetic = test.key == "synthetic";
                let (name, description) = super::home::built_in_text(lang, &key, test.name.clone(), test.description.clone());
                view! {
                    <section class="card">
                        <h1>{name}</h1>
                        <p class="muted">{description}</p>
                        <ol class="steps-plan">
                            {test.steps.iter().map(|s| view! { <li><code>{s.clone()}</code></li> }).collect_view()}
                        </ol>
                        <Show when=may_run fallback=move || view! {
                            <p class="muted" data-testid="viewer-note">{lang.t(Msg::ViewerNote)}</p>
                        }>
                            <StartForm key=key.clone() synthetic start/>
                        </Show>
                        {start_error}
                    </section>
                }.into_any()
            })}
        </Suspense>
        {move || run.get().map(|test_id| view! {
            <RealTimeProgressBar test_id show_details=true/>
        })}
    }
}

/// The Start form of a test, with the knobs it has.
#[component]
fn StartForm(key: String, synthetic: bool, start: ServerAction<StartTest>) -> impl IntoView {
    let lang = use_lang();
    view! {
                        <ServerForm action=start attr:class="start">
                            <input type="hidden" name="key" value=key/>
                            {if synthetic {
                                view! {
                                    <label>{lang.t(Msg::Events)} " " <input type="number" name="events" value="200" min="1" max=RunOptions::MAX_EVENTS.to_string()/></label>
                                    <label>{lang.t(Msg::EventsPerSecond)} " " <input type="number" name="rate" value="20" min="1" max=RunOptions::MAX_RATE.to_string()/></label>
                                }.into_any()
                            } else {
                                view! {
                                    <label>
                                        {lang.t(Msg::DelayPerStep)} " "
                                        <input type="number" name="delay_ms" value="300" min="0" max=crate::protocol::api::MAX_DELAY_MS.to_string()/>
                                    </label>
                                }.into_any()
                            }}
                            <button type="submit" class="primary" disabled=move || start.pending().get()>
                                {lang.t(Msg::Start)}
                            </button>
                        </ServerForm>
    }
}
