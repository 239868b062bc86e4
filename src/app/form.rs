//! `ServerForm`: a `<form>` that calls a server function, this app's `ActionForm`.
//!
//! Like Leptos's `ActionForm`, it renders a plain `<form method="post">` aimed at the server
//! function's URL, so it works before (and without) the wasm bundle; once hydrated, a submit reads
//! the form's fields into the function's arguments and dispatches the action, and the page shows
//! the answer in place. The difference is the reader: `ActionForm` parses the fields with serde_qs,
//! which also reads nested keys (`a[b][0]=…`) that no form here has, and costs about 30 KB of the
//! wasm every page loads (BENCHMARKS.md). Every server function here takes flat arguments, which
//! serde_urlencoded reads — the same encoding the server function decodes on the server.

use leptos::{ev::SubmitEvent, html, prelude::*, server_fn::ServerFn};
use serde::de::DeserializeOwned;

use crate::api::ApiError;

/// A form that dispatches `action` with the form's fields as its arguments. `node_ref`, when given,
/// is attached to the `<form>` (see `cleared_on_success`); `attr:class` and other `attr:`s given to
/// it land on the `<form>`.
#[component]
pub fn ServerForm<S>(
    action: ServerAction<S>,
    #[prop(optional)] node_ref: Option<NodeRef<html::Form>>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn<Error = ApiError> + DeserializeOwned + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let on_submit = move |ev: SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        match arguments::<S>(&ev) {
            Ok(input) => {
                action.dispatch(input);
            }
            Err(error) => {
                action.value().set(Some(Err(error)));
                action.version().update(|n| *n += 1);
            }
        }
    };
    view! {
        <form action=S::url() method="post" on:submit=on_submit node_ref=node_ref.unwrap_or_default()>
            {children()}
        </form>
    }
}

/// The server function's arguments, read from the submitted form's named fields.
#[cfg(feature = "hydrate")]
fn arguments<S: DeserializeOwned>(ev: &SubmitEvent) -> Result<S, ApiError> {
    use wasm_bindgen::JsCast;
    let unreadable = || ApiError::BadRequest("the form could not be read".into());
    let form: web_sys::HtmlFormElement = ev
        .target()
        .and_then(|t| t.dyn_into().ok())
        .ok_or_else(unreadable)?;
    let data = web_sys::FormData::new_with_form(&form).map_err(|_| unreadable())?;
    let query: String = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data)
        .map_err(|_| unreadable())?
        .to_string()
        .into();
    serde_urlencoded::from_str(&query).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// On the server a form is never submitted through the page's code.
#[cfg(not(feature = "hydrate"))]
fn arguments<S>(_: &SubmitEvent) -> Result<S, ApiError> {
    Err(ApiError::Internal)
}
