//! The language switch in the top bar (signed in or out): remembers the choice in the `lang` cookie
//! for a year and reloads the page, which the server then renders in that language.

use leptos::prelude::*;

use crate::i18n::{use_lang, Lang, Msg};

#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    let choose = move |ev: leptos::ev::Event| {
        let chosen = Lang::ALL
            .into_iter()
            .find(|l| l.code() == event_target_value(&ev))
            .unwrap_or_default();
        if chosen != lang {
            remember(chosen);
        }
    };
    view! {
        <select class="lang" aria-label=lang.t(Msg::Language) on:change=choose data-testid="lang-switch">
            // Each language named in itself (and marked as such for screen readers).
            {Lang::ALL.into_iter().map(|l| view! {
                <option value=l.code() lang=l.html_lang() selected=l == lang>{l.native_name()}</option>
            }).collect_view()}
        </select>
    }
}

/// Sets the cookie and reloads: the whole page (and the server's next answers) change language.
fn remember(lang: Lang) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(document) = window.document() {
            // `document.cookie` (web-sys only has it on HtmlDocument, a feature not built for this).
            let _ = js_sys::Reflect::set(&document, &"cookie".into(), &lang.cookie().into());
        }
        let _ = window.location().reload();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = lang;
}
