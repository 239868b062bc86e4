//! The parts of one request: its URL (path variables), its body and its auth.

use base64::Engine as _;
use postman_collection::v2_1_0 as pm;

use super::Converter;
use crate::suite::{template_vars, BodyDef, StepDef};

impl Converter {
    /// The request's URL as text (`raw` when the export has it), path variables as templates.
    pub(super) fn url(&mut self, url: &pm::Url) -> String {
        let (raw, path_vars) = match url {
            pm::Url::String(s) => (s.clone(), None),
            pm::Url::UrlClass(u) => {
                let raw = u.raw.clone().unwrap_or_else(|| assemble(u));
                (raw, u.variable.as_deref())
            }
        };
        // `:id` path segments (before any query) become `{{id}}`, converted to `${id}` later.
        let (path, query) = match raw.find('?') {
            Some(i) => raw.split_at(i),
            None => (raw.as_str(), ""),
        };
        // The first path segment: after `scheme://host`, or after a leading `{{baseUrl}}`.
        let first = if path.contains("://") { 3 } else { 1 };
        let mut out = String::new();
        for (i, segment) in path.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            match segment
                .strip_prefix(':')
                .filter(|n| !n.is_empty() && i >= first)
            {
                Some(name) => {
                    out.push_str("{{");
                    out.push_str(name);
                    out.push_str("}}");
                }
                None => out.push_str(segment),
            }
        }
        out.push_str(query);
        if let Some(vars) = path_vars {
            self.define(Some(vars), "a path variable");
        }
        out
    }

    pub(super) fn body(&mut self, step: &mut StepDef, body: &pm::Body, whose: &str) {
        match body.mode {
            Some(pm::Mode::Raw) | None => {
                let raw = body.raw.clone().unwrap_or_default();
                if raw.trim().is_empty() {
                    return;
                }
                let declared_json = body
                    .options
                    .as_ref()
                    .and_then(|o| o.pointer("/raw/language"))
                    .and_then(|l| l.as_str())
                    == Some("json");
                match serde_json::from_str::<serde_json::Value>(&raw) {
                    Ok(json) if json.is_object() || json.is_array() => {
                        let json = self.template_json(json);
                        step.body = Some(BodyDef {
                            json: Some(json),
                            text: None,
                        });
                    }
                    _ => {
                        let text = self.template(&raw);
                        if declared_json && !has_header(step, "content-type") {
                            step.headers
                                .insert("Content-Type".into(), "application/json".into());
                        }
                        step.body = Some(BodyDef {
                            json: None,
                            text: Some(text),
                        });
                    }
                }
            }
            Some(pm::Mode::Urlencoded) => {
                let pairs: Vec<String> = body
                    .urlencoded
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .filter(|p| p.disabled != Some(true))
                    .map(|p| {
                        let value = p.value.clone().unwrap_or_default();
                        format!("{}={}", form_encode(&p.key), form_encode(&value))
                    })
                    .collect();
                let text = self.template(&pairs.join("&"));
                if !has_header(step, "content-type") {
                    step.headers.insert(
                        "Content-Type".into(),
                        "application/x-www-form-urlencoded".into(),
                    );
                }
                step.body = Some(BodyDef {
                    json: None,
                    text: Some(text),
                });
            }
            Some(pm::Mode::Graphql) => {
                let graphql = body.graphql.clone().unwrap_or_default();
                let query = graphql.get("query").cloned().unwrap_or_default();
                let variables = match graphql.get("variables") {
                    Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                        serde_json::from_str(s).unwrap_or(serde_json::Value::Null)
                    }
                    Some(v @ serde_json::Value::Object(_)) => v.clone(),
                    _ => serde_json::Value::Null,
                };
                let mut request = serde_json::json!({ "query": query });
                if !variables.is_null() {
                    request["variables"] = variables;
                }
                step.body = Some(BodyDef {
                    json: Some(self.template_json(request)),
                    text: None,
                });
            }
            Some(pm::Mode::Formdata) => self
                .notes
                .push(format!("{whose}: multipart form-data body not imported")),
            Some(pm::Mode::File) => self.notes.push(format!("{whose}: file body not imported")),
        }
    }

    pub(super) fn auth(&mut self, step: &mut StepDef, auth: Option<&pm::Auth>, whose: &str) {
        let Some(auth) = auth else { return };
        let attr = |list: &Option<Vec<pm::AuthAttribute>>, key: &str| -> Option<String> {
            list.as_deref()?
                .iter()
                .find(|a| a.key == key)
                .and_then(|a| match &a.value {
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(serde_json::Value::Null) | None => None,
                    Some(other) => Some(other.to_string()),
                })
        };
        match auth.auth_type {
            pm::AuthType::Noauth => {}
            pm::AuthType::Bearer => {
                let token = attr(&auth.bearer, "token").unwrap_or_default();
                let value = self.template(&format!("Bearer {token}"));
                step.headers.insert("Authorization".into(), value);
            }
            pm::AuthType::Basic => {
                let user = attr(&auth.basic, "username").unwrap_or_default();
                let password = attr(&auth.basic, "password").unwrap_or_default();
                if user.contains("{{") || password.contains("{{") {
                    self.notes.push(format!(
                        "{whose}: basic auth built from variables not imported; set an \
                         Authorization header"
                    ));
                } else {
                    let encoded = base64::engine::general_purpose::STANDARD
                        .encode(format!("{user}:{password}"));
                    step.headers
                        .insert("Authorization".into(), format!("Basic {encoded}"));
                }
            }
            pm::AuthType::Apikey => {
                let key = attr(&auth.api_key, "key").unwrap_or_default();
                let value = self.template(&attr(&auth.api_key, "value").unwrap_or_default());
                if key.is_empty() {
                    return;
                }
                if attr(&auth.api_key, "in").as_deref() == Some("query") {
                    let sep = if step.url.contains('?') { '&' } else { '?' };
                    step.url = format!(
                        "{}{sep}{}={}",
                        step.url,
                        form_encode(&key),
                        form_encode(&value)
                    );
                } else {
                    step.headers.insert(key, value);
                }
            }
            ref other => self.notes.push(format!(
                "{whose}: {} auth not imported",
                serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "this kind of".into())
            )),
        }
        for value in step.headers.values() {
            self.used.extend(template_vars(value).unwrap_or_default());
        }
    }
}

/// A URL from its parts, for exports without `raw`.
fn assemble(u: &pm::UrlClass) -> String {
    let join = |h: &pm::Host, sep: &str| match h {
        pm::Host::String(s) => s.clone(),
        pm::Host::StringArray(v) => v.join(sep),
    };
    let mut out = String::new();
    if let Some(p) = &u.protocol {
        out.push_str(p);
        out.push_str("://");
    }
    if let Some(h) = &u.host {
        out.push_str(&join(h, "."));
    }
    if let Some(port) = &u.port {
        out.push(':');
        out.push_str(port);
    }
    match &u.path {
        Some(pm::UrlPath::String(p)) => {
            if !p.starts_with('/') {
                out.push('/');
            }
            out.push_str(p);
        }
        Some(pm::UrlPath::UnionArray(parts)) => {
            for part in parts {
                out.push('/');
                match part {
                    pm::PathElement::String(s) => out.push_str(s),
                    pm::PathElement::PathClass(c) => {
                        out.push_str(c.value.as_deref().unwrap_or_default())
                    }
                }
            }
        }
        None => {}
    }
    let query: Vec<String> = u
        .query
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|q| q.disabled != Some(true))
        .filter_map(|q| {
            Some(format!(
                "{}={}",
                q.key.as_deref()?,
                q.value.as_deref().unwrap_or_default()
            ))
        })
        .collect();
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out
}

pub(super) fn has_header(step: &StepDef, name: &str) -> bool {
    step.headers.keys().any(|k| k.eq_ignore_ascii_case(name))
}

/// `application/x-www-form-urlencoded` for one key or value; `{{…}}` templates are left as they are,
/// to be filled in when the step runs.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'*'
            | b'{'
            | b'}'
            | b'$' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
