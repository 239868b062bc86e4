//! Importing a suite: a Postman collection or an OpenAPI document uploaded or pasted, a preview of the suite it makes (with
//! what was not imported and any problems left), then saving it as a new suite.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{error_text, files::read_file, form::ServerForm, RequireUser};
use crate::{
    api::{ImportSuite, SaveSuite},
    i18n::{use_lang, Msg},
    protocol::api::ImportPreview,
};

/// Largest file the page reads (the server refuses larger documents anyway).
const MAX_FILE_BYTES: f64 = 512.0 * 1024.0;

#[component]
pub fn ImportPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <RequireUser>
            // A viewer cannot save a suite: said up front, not after a preview is refused.
            <Show
                when=super::may_run
                fallback=move || view! { <section class="card"><p class="notice" data-testid="viewer-note">{lang.t(Msg::ViewerNote)}</p></section> }
            >
                <Importer/>
            </Show>
        </RequireUser>
    }
}

#[component]
fn Importer() -> impl IntoView {
    let lang = use_lang();
    let text = RwSignal::new(String::new());
    let file_error = RwSignal::new(None::<String>);
    let preview = ServerAction::<ImportSuite>::new();
    let on_file = move |ev: leptos::ev::Event| {
        read_file(lang, ev, MAX_FILE_BYTES, file_error, move |_, content| {
            text.set(content)
        })
    };
    view! {
        <section class="card">
            <h1>{lang.t(Msg::ImportSuite)}</h1>
            <p class="hint">{lang.t(Msg::ImportHint)}</p>
            <ServerForm action=preview>
                <label>
                    {lang.t(Msg::ImportFile)}
                    <input type="file" accept=".json,.yaml,.yml,application/json" on:change=on_file/>
                </label>
                {move || file_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <label>
                    {lang.t(Msg::PasteHere)}
                    <textarea
                        name="text"
                        rows="10"
                        spellcheck="false"
                        class="import-text"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    ></textarea>
                </label>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || preview.pending().get()>{lang.t(Msg::Preview)}</button>
                </div>
            </ServerForm>
            {move || preview.value().get().map(|result| match result {
                Ok(p) => view! { <Preview preview=p/> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{error_text(lang, &e)}</p> }.into_any(),
            })}
        </section>
    }
}

/// The suite an import makes, and a button to save it.
#[component]
fn Preview(preview: ImportPreview) -> impl IntoView {
    let lang = use_lang();
    let save = ServerAction::<SaveSuite>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            navigate(&format!("/suites/{}", saved.id), Default::default());
        }
    });
    let ImportPreview {
        format,
        name,
        steps,
        yaml,
        notes,
        problems,
    } = preview;
    let valid = problems.is_empty();
    let text = StoredValue::new(yaml.clone());
    view! {
        <div class="import-preview" data-testid="import-preview">
            <h2>{name}</h2>
            <p class="muted">{lang.format_steps(&format, steps)}</p>
            {(!notes.is_empty()).then(|| view! {
                <h3>{lang.t(Msg::NotImported)}</h3>
                <ul class="import-notes" data-testid="import-notes">
                    {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ul>
            })}
            {(!valid).then(|| view! {
                <h3>{lang.t(Msg::ProblemsToFix)}</h3>
                <ul class="problems" data-testid="problems">
                    {problems.into_iter().map(|p| view! { <li>{(!p.path.is_empty()).then(|| view! { <code>{p.path.clone()}</code>": " })}{p.message}</li> }).collect_view()}
                </ul>
            })}
            <pre class="yaml" data-testid="import-yaml" tabindex="0" aria-label=lang.t(Msg::SuiteAsYaml)>{yaml}</pre>
            <div class="actions">
                <button
                    type="button"
                    class="primary"
                    disabled=move || !valid || save.pending().get()
                    on:click=move |_| {
                        save.dispatch(SaveSuite { id: None, text: text.get_value() });
                    }
                >{lang.t(Msg::SaveAsNew)}</button>
            </div>
            {move || save.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })}
        </div>
    }
}
