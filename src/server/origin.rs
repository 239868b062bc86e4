//! Which requests come from this server's own pages. With `LIVECHECK_PUBLIC_URL` set, a request for
//! any other `Host` is refused (421: DNS rebinding cannot point a foreign name at the server), and an
//! `Origin` must match its scheme, host and port. Without it, the server's own origin is the request's
//! `Host` with the scheme the server is reached by. Every state-changing request (POST, PUT, PATCH,
//! DELETE) and every WebSocket upgrade is checked: a browser always sends `Origin` with those, so a
//! foreign page cannot act with a signed-in user's cookie. Clients that send no `Origin` (CI, curl)
//! are not browsers and pass.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};

use super::{config::PublicUrl, AppState};

/// What the checks compare against.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    pub public: Option<PublicUrl>,
    /// The server is reached over HTTPS (TLS here or at a proxy).
    pub https: bool,
    /// Other origins whose pages may call the server (`LIVECHECK_ALLOWED_ORIGINS`).
    pub allowed: Vec<String>,
}

impl OriginPolicy {
    /// Whether the `Host` header names this server (always, without a public URL).
    pub fn host_ok(&self, headers: &HeaderMap) -> bool {
        let Some(public) = &self.public else {
            return true;
        };
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| {
                let host = host.to_ascii_lowercase();
                let default_port = if public.https { ":443" } else { ":80" };
                host.strip_suffix(default_port).unwrap_or(&host) == public.authority
            })
    }

    /// Whether a request's `Origin` (if any) is this server's own or an allowed one.
    pub fn origin_ok(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            // No Origin: not a browser, or a same-origin GET. A browser that marks the request
            // cross-site is refused all the same.
            return headers
                .get("sec-fetch-site")
                .and_then(|v| v.to_str().ok())
                .is_none_or(|site| site != "cross-site");
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim_end_matches('/');
        if self.allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
            return true;
        }
        let own = match &self.public {
            Some(public) => Some(public.origin()),
            None => headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|host| {
                    let scheme = if self.https { "https" } else { "http" };
                    format!("{scheme}://{host}")
                }),
        };
        own.is_some_and(|own| own.eq_ignore_ascii_case(origin))
    }
}

/// The middleware: a foreign `Host` gets 421, a foreign `Origin` on a state-changing request 403.
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let policy = &state.origins;
    let headers = request.headers();
    if !policy.host_ok(headers) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this server does not answer for that host name",
        );
    }
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && !policy.origin_ok(headers) {
        return refuse(StatusCode::FORBIDDEN, "origin not allowed");
    }
    next.run(request).await
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn with_a_public_url_host_and_origin_must_match_scheme_host_and_port() {
        let p = OriginPolicy {
            public: Some(PublicUrl::parse("https://lc.example").unwrap()),
            https: true,
            allowed: vec![],
        };
        assert!(p.host_ok(&headers(&[("host", "lc.example")])));
        assert!(p.host_ok(&headers(&[("host", "LC.example:443")])));
        assert!(!p.host_ok(&headers(&[("host", "evil.example")])));
        assert!(!p.host_ok(&headers(&[])));
        assert!(p.origin_ok(&headers(&[("origin", "https://lc.example")])));
        // The scheme and the port count.
        assert!(!p.origin_ok(&headers(&[("origin", "http://lc.example")])));
        assert!(!p.origin_ok(&headers(&[("origin", "https://lc.example:8443")])));
        assert!(p.origin_ok(&headers(&[])));
        assert!(!p.origin_ok(&headers(&[("sec-fetch-site", "cross-site")])));
    }

    #[test]
    fn without_one_the_own_origin_is_the_host_with_the_servers_scheme() {
        let p = OriginPolicy {
            public: None,
            https: false,
            allowed: vec!["https://partner.example".into()],
        };
        let host = ("host", "127.0.0.1:3000");
        assert!(p.origin_ok(&headers(&[host, ("origin", "http://127.0.0.1:3000")])));
        assert!(!p.origin_ok(&headers(&[host, ("origin", "https://127.0.0.1:3000")])));
        assert!(!p.origin_ok(&headers(&[host, ("origin", "http://evil.example")])));
        assert!(p.origin_ok(&headers(&[host, ("origin", "https://partner.example")])));
    }
}
