//! The home page: the tests you can start and your recent runs.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::{page_data::page_data, runs::run_table, RequireUser};
use crate::{
    api,
    i18n::{use_lang, Lang, Msg},
    protocol::api::TestSummary,
};

/// A built-in test's name and description in the page's language (the server names them in
/// English); a test it does not know keeps its own.
pub fn built_in_text(lang: Lang, key: &str, name: String, description: String) -> (String, String) {
    let (name_msg, description_msg) = match key {
        "demo" => (None, Msg::DescDemo),
        "demo-failing" => (Some(Msg::NameDemoFailing), Msg::DescDemoFailing),
        "synthetic" => (Some(Msg::NameSynthetic), Msg::DescSynthetic),
        _ => return (name, description),
    };
    (
        name_msg.map_or(name, |m| lang.t(m).to_owned()),
        lang.t(description_msg).to_owned(),
    )
}

#[component]
pub fn HomePage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=lang.t(Msg::Tests)/>
        <RequireUser>
            <TestList/>
            <RecentRuns/>
        </RequireUser>
    }
}

/// The built-in tests. They are the server's own catalogue (nothing to wait for), so they come with
/// the page; a home page reached in the browser asks for them.
#[component]
fn TestList() -> impl IntoView {
    let lang = use_lang();
    let tests = page_data(|| on_server!(crate::api::page_tests()), api::list_tests);
    let list = move || match tests.get() {
        None => view! { <p>{lang.t(Msg::LoadingTests)}</p> }.into_any(),
        Some(Ok(tests)) => test_items(lang, tests).into_any(),
        Some(Err(e)) => view! { <p class="error">{super::error_text(lang, &e)}</p> }.into_any(),
    };
    view! {
        <section class="card">
            <h1>{lang.t(Msg::Tests)}</h1>
            {list}
        </section>
    }
}

/// The list of built-in tests, each linking to its page.
fn test_items(lang: Lang, tests: Vec<TestSummary>) -> impl IntoView {
    view! {
        <ul class="tests">
            {tests.into_iter().map(|t| {
                let (name, description) = built_in_text(lang, &t.key, t.name, t.description);
                view! {
                    <li>
                        <A href=format!("/tests/{}", t.key)>{name}</A>
                        // A test without steps (the synthetic events) has no count to show.
                        {(!t.steps.is_empty()).then(|| view! { <span class="muted">{lang.step_count(t.steps.len())}</span> })}
                        <p class="muted">{description}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Your recent runs, with live mini bars: the server looks them up before it renders home, so they
/// come with the page; a home page reached in the browser asks for them.
#[component]
fn RecentRuns() -> impl IntoView {
    let lang = use_lang();
    let runs = page_data(
        || on_server!(crate::api::page_runs()),
        || api::recent_runs(None, None, None, None),
    );
    view! {
        <section class="card">
            <h1>{lang.t(Msg::RecentRuns)}</h1>
            {move || match runs.get() {
                None => view! { <p>{lang.t(Msg::LoadingRuns)}</p> }.into_any(),
                Some(runs) => run_table(lang, runs, false),
            }}
        </section>
    }
}
