//! Data a page shows that the server has at hand while it renders (its own catalogue, or what it
//! looked up before the render began: `api::look_up_page_data`): the server puts it in the page and
//! hydration reads it back; a page reached by navigating in the browser asks a server function for
//! it. A `Resource` in a `Suspense` does the same for data awaited during the render, and costs its
//! async machinery, once per type, in the wasm of every page that uses one.

use std::future::Future;

use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

use crate::api::ApiError;

/// The page's copy of a value: `Some` as soon as it is known. `on_server` gives it while the server
/// renders (`None` when the request does not have it); `fetch` asks for it when the page was not
/// rendered with it.
pub fn page_data<T, Fut>(
    on_server: impl FnOnce() -> Option<T>,
    fetch: impl FnOnce() -> Fut + 'static,
) -> RwSignal<Option<Result<T, ApiError>>>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let value = RwSignal::new(SharedValue::new(move || on_server().map(Ok)).into_inner());
    #[cfg(feature = "hydrate")]
    if value.with_untracked(Option::is_none) {
        leptos::task::spawn_local(async move {
            let answer = fetch().await;
            value.set(Some(answer));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = fetch;
    value
}
