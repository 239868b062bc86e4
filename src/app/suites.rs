//! Stored suites: the list, and the editor (a YAML/JSON text area with line numbers, each problem shown
//! on its line, versions, and Run with an environment).

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use super::{
    error_text,
    files::{attach_data, read_file},
    form::ServerForm,
    may_run, RequireUser,
};

/// Largest data file the editor attaches (a suite is at most 256 KiB in all).
const MAX_DATA_FILE_BYTES: f64 = 256.0 * 1024.0;
use crate::{
    api::{self, ApiError, CheckSuite, RunSavedSuite, SaveSuite, ShareSuite},
    i18n::{use_lang, Msg},
    protocol::api::{SuiteDetail, SuiteProblem},
};

#[component]
pub fn SuitesPage() -> impl IntoView {
    view! {
        <RequireUser>
            <SuiteList/>
        </RequireUser>
    }
}

#[component]
fn SuiteList() -> impl IntoView {
    let lang = use_lang();
    let suites = Resource::new(|| (), |_| api::list_suites());
    view! {
        <section class="card">
            <div class="progress-head">
                <h1>{lang.t(Msg::NavSuites)}</h1>
                <Show when=may_run>
                    <A href="/suites/new" attr:class="button primary">{lang.t(Msg::NewSuite)}</A>
                    <A href="/suites/import" attr:class="button">{lang.t(Msg::Import)}</A>
                </Show>
            </div>
            <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingSuites)}</p> }>
                {move || Suspend::new(async move {
                    match suites.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted">{lang.t(Msg::NoSuites)}</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="runs" data-testid="suites">
                                <thead><tr>
                                    <th>{lang.t(Msg::Suite)}</th><th>{lang.t(Msg::Version)}</th><th>{lang.t(Msg::Owner)}</th>
                                    <th>{lang.t(Msg::SharedIn)}</th><th>{lang.t(Msg::NavRuns)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|s| view! {
                                        <tr>
                                            <td><A href=format!("/suites/{}", s.id)>{s.name}</A></td>
                                            <td>{format!("v{}", s.version)}</td>
                                            <td>{s.owner}</td>
                                            <td>{s.rooms.join(", ")}</td>
                                            <td><A href=format!("/runs?suite={}", s.id)>{lang.t(Msg::History)}</A></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SuiteEditorPage() -> impl IntoView {
    view! {
        <RequireUser>
            <EditorLoader/>
        </RequireUser>
    }
}

#[component]
fn EditorLoader() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let query = use_query_map();
    // `/suites/new` has no id.
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()));
    let version = Memo::new(move |_| {
        query
            .read()
            .get("version")
            .and_then(|v| v.parse::<i64>().ok())
    });
    // Made here, outside the Suspense below: a resource made in its children would be made again
    // each time the server renders them.
    let rooms = Resource::new(|| (), |_| api::my_rooms());
    // Bumped by each save: the editor then shows (and runs) the version just saved, also when the
    // address stays the same (`/suites/{id}`, where the server sends the browser after a save).
    let saves = RwSignal::new(0u32);
    // A stored suite, or a new one's template (which names this server's own address).
    let detail = Resource::new(
        move || (id.get(), version.get(), saves.get()),
        |(id, version, _)| async move {
            match id {
                Some(id) => api::get_suite(id, version).await.map(Ok),
                None => api::suite_template().await.map(Err),
            }
        },
    );
    view! {
        <Suspense fallback=move || view! { <p>{lang.t(Msg::LoadingSuite)}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(opening) => view! { <Editor opening rooms saves/> }.into_any(),
                    Err(e) => view! { <p class="error">{error_text(lang, &e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Editor(
    /// The stored suite, or the text a new one starts as.
    opening: Result<SuiteDetail, String>,
    rooms: Resource<Result<Vec<String>, ApiError>>,
    /// Counts saves, so the loader fetches the version saved.
    saves: RwSignal<u32>,
) -> impl IntoView {
    let lang = use_lang();
    let (detail, initial) = match opening {
        Ok(detail) => {
            let text = detail.text.clone();
            (Some(detail), text)
        }
        Err(template) => (None, template),
    };
    let text = RwSignal::new(initial.clone());
    let save = ServerAction::<SaveSuite>::new();
    let check = ServerAction::<CheckSuite>::new();
    let run = ServerAction::<RunSavedSuite>::new();
    // The problems shown: from the last check, or from a refused save.
    let problems = RwSignal::new(Vec::<SuiteProblem>::new());
    let checked = RwSignal::new(false);
    // Attach data: the chosen file's rows become the suite's `data` section, in the text shown.
    let attached = RwSignal::new(None::<String>);
    let attach_error = RwSignal::new(None::<String>);
    let on_attach = move |ev: leptos::ev::Event| {
        attached.set(None);
        read_file(
            lang,
            ev,
            MAX_DATA_FILE_BYTES,
            attach_error,
            move |name, content| match attach_data(lang, &text.get_untracked(), &name, &content) {
                Ok(new_text) => {
                    text.set(new_text);
                    attached.set(Some(lang.attached(&name)));
                }
                Err(e) => attach_error.set(Some(e)),
            },
        )
    };
    Effect::new(move |_| {
        if let Some(Ok(found)) = check.value().get() {
            problems.set(found);
            checked.set(true);
        }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Err(ApiError::InvalidSuite(found))) => {
            problems.set(found);
            checked.set(true);
        }
        Some(Ok(_)) => {
            problems.set(Vec::new());
            saves.update(|n| *n += 1);
        }
        _ => {}
    });
    let other_error = move || match save.value().get() {
        Some(Err(e)) if !matches!(e, ApiError::InvalidSuite(_)) => Some(error_text(lang, &e)),
        _ => None,
    };
    let line_count = move || text.with(|t| t.lines().count().max(1) + 1);
    // One note per line: the problems found on it.
    let notes = move || {
        let n = line_count();
        let mut notes = vec![Vec::<String>::new(); n + 1];
        problems.with(|ps| {
            for p in ps {
                let line = p.line.unwrap_or(1).clamp(1, n);
                notes[line].push(if p.path.is_empty() {
                    p.message.clone()
                } else {
                    format!("{}: {}", p.path, p.message)
                });
            }
        });
        notes
    };

    let id = detail.as_ref().map(|d| d.info.id);
    let version = detail.as_ref().map(|d| d.info.version);
    let latest = detail
        .as_ref()
        .and_then(|d| d.versions.first().map(|v| v.version));
    let title = detail
        .as_ref()
        .map_or_else(|| lang.t(Msg::NewSuite).to_owned(), |d| d.info.name.clone());
    let environments = detail
        .as_ref()
        .map(|d| d.environments.clone())
        .unwrap_or_default();
    let versions = detail
        .as_ref()
        .map(|d| d.versions.clone())
        .unwrap_or_default();
    let is_load = detail.as_ref().is_some_and(|d| d.load);
    // A new suite is the caller's; a stored one says whether they may save it.
    let editable = detail.as_ref().is_none_or(|d| d.info.editable) && may_run();
    let shared_in = detail
        .as_ref()
        .map(|d| d.info.rooms.clone())
        .unwrap_or_default();
    let owner = detail.as_ref().map(|d| d.info.owner.clone());
    let is_owner = owner.as_ref().is_some_and(|o| {
        expect_context::<super::Session>()
            .user()
            .is_some_and(|me| me.username == *o)
    });

    view! {
        <section class="card editor" data-testid="suite-editor">
            <div class="progress-head">
                <h1>{title}</h1>
                {version.map(|v| view! { <span class="badge">{format!("v{v}")}</span> })}
                {is_load.then(|| view! { <span class="badge running">{lang.t(Msg::LoadTest)}</span> })}
            </div>
            {(versions.len() > 1).then(|| view! {
                <p class="versions">
                    {lang.t(Msg::Versions)}
                    {versions.iter().map(|v| {
                        let href = format!("/suites/{}?version={}", id.unwrap_or_default(), v.version);
                        let current = Some(v.version) == version;
                        view! { <A href=href attr:class=if current { "current" } else { "" }>{format!("v{}", v.version)}</A>" " }
                    }).collect_view()}
                </p>
            })}
            {owner.clone().map(|o| view! {
                <p class="muted" data-testid="suite-owner">
                    {lang.suite_owner(&o)}
                    {(!shared_in.is_empty()).then(|| lang.shared_in(&shared_in.join(", ")))}
                    {(!editable).then_some(lang.t(Msg::ReadOnly))}
                </p>
            })}
            {(version.is_some() && version != latest).then(|| view! {
                <p class="notice">{lang.t(Msg::OlderVersion)}</p>
            })}
            <ServerForm action=save>
                {id.map(|id| view! { <input type="hidden" name="id" value=id.to_string()/> })}
                <div class="code" data-testid="code">
                    <div class="gutter" aria-hidden="true">
                        {move || {
                            let notes = notes();
                            (1..line_count()).map(|i| {
                                let bad = !notes[i].is_empty();
                                view! { <div class=if bad { "ln bad" } else { "ln" }>{i}</div> }
                            }).collect_view()
                        }}
                    </div>
                    <textarea
                        name="text"
                        spellcheck="false"
                        wrap="off"
                        aria-label=lang.t(Msg::SuiteText)
                        rows=move || line_count().to_string()
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    >{initial}</textarea>
                    <div class="notes" data-testid="line-notes">
                        {move || {
                            let notes = notes();
                            (1..line_count()).map(|i| {
                                let note = notes[i].join("; ");
                                let bad = !note.is_empty();
                                view! { <div class=if bad { "note bad" } else { "note" } data-line=i>{note}</div> }
                            }).collect_view()
                        }}
                    </div>
                </div>
                <div class="actions">
                    {editable.then(|| view! {
                        <button type="submit" class="primary" disabled=move || save.pending().get()>{lang.t(Msg::Save)}</button>
                    })}
                    <button type="button" on:click=move |_| {
                        check.dispatch(CheckSuite { text: text.get_untracked() });
                    }>{lang.t(Msg::Check)}</button>
                    {editable.then(|| view! {
                        <label class="attach">
                            {lang.t(Msg::AttachData)} " "
                            <input type="file" accept=".csv,.json,text/csv,application/json" on:change=on_attach/>
                        </label>
                    })}
                    {move || attached.get().map(|a| view! { <span class="ok" role="status" data-testid="attached">{a}</span> })}
                    {move || attach_error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
                    {move || (checked.get() && problems.with(Vec::is_empty)).then(|| view! {
                        <span class="ok" data-testid="suite-valid">{lang.t(Msg::NoProblems)}</span>
                    })}
                </div>
            </ServerForm>
            {move || other_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || problems.with(|p| !p.is_empty())>
                // The alert around the list, not on it: a list keeps its items' role.
                <div role="alert">
                <ul class="problems" data-testid="problems">
                    {move || problems.get().into_iter().map(|p| view! {
                        <li>
                            {p.line.map(|l| lang.line(l)).unwrap_or_default()}
                            {(!p.path.is_empty()).then(|| view! { <code>{p.path.clone()}</code>": " })}{p.message}
                        </li>
                    }).collect_view()}
                </ul>
                </div>
            </Show>
            {id.filter(|_| may_run()).map(|id| view! {
                <ServerForm action=run attr:class="start">
                    <input type="hidden" name="id" value=id.to_string()/>
                    {version.map(|v| view! { <input type="hidden" name="version" value=v.to_string()/> })}
                    {(!environments.is_empty()).then(|| view! {
                        <label>
                            {lang.t(Msg::Environment)} " "
                            <select name="environment">
                                <option value="">{lang.t(Msg::Defaults)}</option>
                                {environments.iter().map(|e| view! { <option value=e.clone()>{e.clone()}</option> }).collect_view()}
                            </select>
                        </label>
                    })}
                    <button type="submit" class="primary" disabled=move || run.pending().get()>
                        {move || lang.run_version(version.unwrap_or_default())}
                    </button>
                    <A href=format!("/runs?suite={id}")>{lang.t(Msg::RunHistory)}</A>
                </ServerForm>
            })}
            {move || run.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{error_text(lang, &e)}</p> })}
            // Only the owner shares a suite into a room.
            {id.filter(|_| may_run() && is_owner).map(|id| view! { <Share id rooms/> })}
        </section>
    }
}

/// Shares the suite into one of the caller's rooms (only its owner may; the server says so if not).
#[component]
fn Share(id: i64, rooms: Resource<Result<Vec<String>, ApiError>>) -> impl IntoView {
    let share = ServerAction::<ShareSuite>::new();
    let lang = use_lang();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let rooms = rooms.await.unwrap_or_default();
                (!rooms.is_empty()).then(|| view! {
                    <ServerForm action=share attr:class="start">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <label>
                            {lang.t(Msg::ShareIntoRoom)} " "
                            <select name="room">
                                {rooms.into_iter().map(|r| view! { <option value=r.clone()>{r.clone()}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit">{lang.t(Msg::Share)}</button>
                    </ServerForm>
                })
            })}
        </Suspense>
        {move || share.value().get().map(|r| match r {
            Ok(()) => view! { <p class="ok" role="status">{lang.t(Msg::SharedNow)}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{error_text(lang, &e)}</p> }.into_any(),
        })}
    }
}
