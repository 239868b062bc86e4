//! The UI's two languages, English and Simplified Chinese: which one a request gets (a `lang` cookie,
//! else `Accept-Language`, else English) and every string the pages show, in both.
//!
//! Shared by the server and the wasm client, below `app` (which uses it); it must not use `app` or
//! `client`. Each message lives in `messages.rs` with both texts on one line, so a message without a
//! translation does not compile; messages with parameters are the functions of `params.rs`.

mod messages;
mod params;
#[cfg(feature = "ssr")]
mod server;
mod steps;
mod template;

pub use messages::Msg;

use serde::{Deserialize, Serialize};

/// The name of the cookie that remembers the language chosen with the switch.
pub const COOKIE: &str = "lang";

/// How much of an `Accept-Language` header is read: browsers send well under 100 bytes, and a
/// header of any size must not cost more than this.
const MAX_ACCEPT_LANGUAGE: usize = 512;
/// How many of its entries are looked at, for the same reason.
const MAX_ENTRIES: usize = 16;

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The value kept in the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The `lang` attribute of the page (BCP 47).
    /// The language of a command-line user: Chinese when the locale (`LC_ALL`, `LC_MESSAGES`, then
    /// `LANG`, as the C library reads them) starts with `zh`, else English.
    pub fn from_locale_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        match locale {
            Some(l) if l.starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    pub fn html_lang(self) -> &'static str {
        self.code()
    }

    /// The language's own name, as the switch shows it in every language.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// A language tag we have (`en`, `en-GB`, `zh`, `zh-CN`, `zh-Hant-TW`, … in any case), or `None`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("zh") {
            Some(Lang::Zh)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language an `Accept-Language` header prefers among ours: the supported entry with the
    /// highest q-value (the first of equals), English when none is supported or the header is garbage.
    /// Only the first `MAX_ACCEPT_LANGUAGE` bytes and `MAX_ENTRIES` entries are read.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut end = header.len().min(MAX_ACCEPT_LANGUAGE);
        while !header.is_char_boundary(end) {
            end -= 1;
        }
        let mut best: Option<(Lang, f32)> = None;
        for entry in header[..end].split(',').take(MAX_ENTRIES) {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let mut q = 1.0f32;
            for param in parts {
                if let Some((k, v)) = param.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        // An unreadable q-value makes the entry count for nothing.
                        q = v
                            .trim()
                            .parse()
                            .ok()
                            .filter(|q| (0.0..=1.0).contains(q))
                            .unwrap_or(0.0);
                    }
                }
            }
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((lang, q));
            }
        }
        best.map_or(Lang::En, |(lang, _)| lang)
    }

    /// The language remembered in a `Cookie` header (`lang=zh-CN`), if any.
    pub fn from_cookie_header(header: &str) -> Option<Lang> {
        header
            .split(';')
            .filter_map(|c| c.split_once('='))
            .find(|(name, _)| name.trim() == COOKIE)
            .and_then(|(_, value)| Lang::from_tag(value.trim().trim_matches('"')))
    }

    /// A request's language: the cookie set by the switch, else the browser's `Accept-Language`.
    pub fn for_request(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        cookie
            .and_then(Lang::from_cookie_header)
            .or_else(|| accept_language.map(Lang::from_accept_language))
            .unwrap_or_default()
    }

    /// The `Set-Cookie` / `document.cookie` value that remembers this language for a year.
    pub fn cookie(self) -> String {
        format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            self.code()
        )
    }

    /// A message in this language.
    pub fn t(self, msg: Msg) -> &'static str {
        match self {
            Lang::En => msg.en(),
            Lang::Zh => msg.zh(),
        }
    }
}

/// The page's language (provided by the app's root; English outside it).
pub fn use_lang() -> Lang {
    leptos::prelude::use_context::<Lang>().unwrap_or_default()
}

/// The language of the request being rendered, from its headers (server only).
#[cfg(feature = "ssr")]
pub fn request_lang() -> Lang {
    use axum::http::{header, request::Parts};
    let Some(parts) = leptos::prelude::use_context::<Parts>() else {
        return Lang::default();
    };
    // HTTP/2 may split the cookies over several `Cookie` headers.
    let cookies: Vec<&str> = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let accept = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::for_request(Some(&cookies.join("; ")), accept)
}

#[cfg(test)]
mod tests;
