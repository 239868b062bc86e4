//! Importing a suite: a Postman collection or an OpenAPI document uploaded or pasted, a preview of the suite it makes (with
//! what was not imported and any problems left), then saving it as a new suite.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{files::read_file, RequireUser};
use crate::{
    api::{ImportSuite, SaveSuite},
    protocol::api::ImportPreview,
};

/// Largest file the page reads (the server refuses larger documents anyway).
const MAX_FILE_BYTES: f64 = 512.0 * 1024.0;

#[component]
pub fn ImportPage() -> impl IntoView {
    view! {
        <RequireUser>
            <Importer/>
        </RequireUser>
    }
}

#[component]
fn Importer() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let file_error = RwSignal::new(None::<String>);
    let preview = ServerAction::<ImportSuite>::new();
    let on_file = move |ev: leptos::ev::Event| {
        read_file(ev, MAX_FILE_BYTES, file_error, move |_, content| {
            text.set(content)
        })
    };
    view! {
        <section class="card">
            <h1>"Import a suite"</h1>
            <p class="hint">
                "From a Postman collection (v2.1, exported as JSON) or an OpenAPI 3.0 or 3.1 document "
                "(JSON or YAML). What a suite cannot express, such as scripts, is listed with the "
                "preview, never dropped silently."
            </p>
            <ActionForm action=preview>
                <label>
                    "Collection or OpenAPI file"
                    <input type="file" accept=".json,.yaml,.yml,application/json" on:change=on_file/>
                </label>
                {move || file_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <label>
                    "Or paste it here"
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
                    <button type="submit" class="primary" disabled=move || preview.pending().get()>"Preview"</button>
                </div>
            </ActionForm>
            {move || preview.value().get().map(|result| match result {
                Ok(p) => view! { <Preview preview=p/> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </section>
    }
}

/// The suite an import makes, and a button to save it.
#[component]
fn Preview(preview: ImportPreview) -> impl IntoView {
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
            <p class="muted">{format!("{format} · {steps} step{}", if steps == 1 { "" } else { "s" })}</p>
            {(!notes.is_empty()).then(|| view! {
                <h3>"Not imported, or needs your attention"</h3>
                <ul class="import-notes" data-testid="import-notes">
                    {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ul>
            })}
            {(!valid).then(|| view! {
                <h3>"Problems to fix before it can be saved"</h3>
                <ul class="problems" data-testid="problems">
                    {problems.into_iter().map(|p| view! { <li><code>{p.path}</code>": "{p.message}</li> }).collect_view()}
                </ul>
            })}
            <pre class="yaml" data-testid="import-yaml" tabindex="0" aria-label="The suite, as YAML">{yaml}</pre>
            <div class="actions">
                <button
                    type="button"
                    class="primary"
                    disabled=move || !valid || save.pending().get()
                    on:click=move |_| {
                        save.dispatch(SaveSuite { id: None, text: text.get_value() });
                    }
                >"Save as a new suite"</button>
            </div>
            {move || save.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        </div>
    }
}
