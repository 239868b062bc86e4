//! OpenAPI 3.0 and 3.1 → suite. The document's version picks the parser: `openapiv3` reads 3.0,
//! `oas3` reads 3.1; each checks the document's shape (a malformed one is refused with the parser's
//! message) and lists its operations. The details of each operation (parameters, bodies, responses,
//! schemas, all `$ref`s resolved inside the document) are read from the same document as JSON, with
//! one code path for both versions.
//!
//! - One step per operation, in the document's order, named by its `operationId` (else its summary,
//!   else "METHOD /path"). The URL is `${baseUrl}` (the first server) and the path, `{id}` → `${id}`.
//! - Path parameters and required query and header parameters become variables, valued from their
//!   example, default or a value generated from their schema.
//! - A JSON request body is the operation's example, else one generated from its schema; a form body
//!   the same, form-encoded.
//! - The first documented 2xx response gives `checks.status`, and its JSON schema `checks.json_schema`
//!   (references inlined; OpenAPI 3.0's `nullable` written as JSON Schema).
//! - Not imported, each named in a note: security schemes (set their headers in the suite), other
//!   body types, a relative or missing server URL (set `baseUrl`).

mod schema;

use std::collections::BTreeMap;

use serde_json::Value;

use self::schema::{inline, sample, MAX_NODES};
use super::{ImportError, Imported};
use crate::suite::{BodyDef, Checks, StatusCheck, StepDef, METHODS};

/// Inlined response schemas larger than this are left out (and noted).
const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// One operation as the typed parsers list it: method (upper case), path, operationId, summary.
type Listed = (String, String, Option<String>, Option<String>);

pub(super) fn import(doc: Value) -> Result<Imported, ImportError> {
    let version = doc
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (format, operations): (&'static str, Vec<Listed>) = if version.starts_with("3.0") {
        let spec: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
            .map_err(|e| ImportError::InvalidDocument(format!("OpenAPI {version}: {e}")))?;
        let mut listed = Vec::new();
        for (path, item) in spec.paths.iter() {
            if let openapiv3::ReferenceOr::Item(item) = item {
                for (method, op) in item.iter() {
                    listed.push((
                        method.to_uppercase(),
                        path.clone(),
                        op.operation_id.clone(),
                        op.summary.clone(),
                    ));
                }
            }
        }
        ("OpenAPI 3.0", listed)
    } else if version.starts_with("3.1") {
        // oas3 models a schema as an object only; JSON Schema 2020-12 (and so OpenAPI 3.1) also
        // allows `true` and `false`. The typed parse reads a copy with those written as objects;
        // the steps are made from the document as it is.
        let spec: oas3::Spec = serde_json::from_value(schema::booleans_as_objects(doc.clone()))
            .map_err(|e| ImportError::InvalidDocument(format!("OpenAPI {version}: {e}")))?;
        let listed = spec
            .operations()
            .map(|(path, method, op)| {
                (
                    method.as_str().to_owned(),
                    path,
                    op.operation_id.clone(),
                    op.summary.clone(),
                )
            })
            .collect();
        ("OpenAPI 3.1", listed)
    } else {
        return Err(ImportError::Unsupported(format!(
            "OpenAPI {version:?}: documents of version 3.0 and 3.1 can be imported"
        )));
    };

    let mut cx = Converter {
        doc: &doc,
        openapi30: version.starts_with("3.0"),
        ..Default::default()
    };
    cx.base_url();
    let mut seen = std::collections::HashSet::new();
    for (method, path, id, summary) in operations {
        // One step per operation (a parser may list one twice), and only methods a suite sends.
        if !seen.insert((method.clone(), path.clone())) {
            continue;
        }
        if !METHODS.contains(&method.as_str()) {
            cx.notes.push(format!(
                "{method} {path}: method {method} not imported (a suite sends {})",
                METHODS.join(", ")
            ));
            continue;
        }
        cx.operation(&method, &path, id, summary);
    }
    if let Some(schemes) = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
    {
        if !schemes.is_empty() {
            let names: Vec<&str> = schemes.keys().map(String::as_str).collect();
            cx.notes.push(format!(
                "security schemes not imported: {}; add their headers (e.g. Authorization) to the steps",
                names.join(", ")
            ));
        }
    }
    if cx.steps.is_empty() {
        cx.notes
            .push("the document has no operations that could be imported".into());
    }
    let name = doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("Imported API")
        .to_owned();
    Ok(Imported::requests(
        format,
        name,
        cx.variables,
        cx.steps,
        cx.notes,
    ))
}

#[derive(Default)]
struct Converter<'a> {
    doc: &'a Value,
    openapi30: bool,
    variables: BTreeMap<String, String>,
    steps: Vec<StepDef>,
    notes: Vec<String>,
}

impl<'a> Converter<'a> {
    /// `baseUrl` from the first server, its `{variables}` filled with their defaults.
    fn base_url(&mut self) {
        let server = self.doc.pointer("/servers/0");
        let mut url = server
            .and_then(|s| s.get("url"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned();
        if let Some(vars) = server
            .and_then(|s| s.get("variables"))
            .and_then(Value::as_object)
        {
            for (name, var) in vars {
                let default = var
                    .get("default")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            self.notes.push(format!(
                "the document's server URL is {}: set `baseUrl` to the API's address before running",
                if url.is_empty() { "missing".to_owned() } else { format!("relative ({url})") }
            ));
        }
        self.variables.insert("baseUrl".into(), escape(&url));
    }

    fn operation(&mut self, method: &str, path: &str, id: Option<String>, summary: Option<String>) {
        let name = id
            .or(summary)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("{method} {path}"));
        let item = self
            .doc
            .get("paths")
            .and_then(|p| p.get(path))
            .map(|i| self.resolve(i));
        let Some(op) = item.and_then(|i| i.get(method.to_lowercase())) else {
            return;
        };
        let mut step = StepDef {
            name: Some(name.clone()),
            method: method.to_owned(),
            url: String::new(),
            headers: BTreeMap::new(),
            body: None,
            timeout_ms: None,
            checks: Checks::default(),
            capture: BTreeMap::new(),
        };
        // Path-level parameters, overridden by the operation's own of the same name and place.
        let mut params: Vec<&Value> = Vec::new();
        for list in [item.and_then(|i| i.get("parameters")), op.get("parameters")] {
            for p in list.and_then(Value::as_array).into_iter().flatten() {
                let p = self.resolve(p);
                params.retain(|q| !(q.get("name") == p.get("name") && q.get("in") == p.get("in")));
                params.push(p);
            }
        }
        let mut url = format!("${{baseUrl}}{}", template_path(path));
        let mut query = Vec::new();
        for p in params {
            let (Some(pname), Some(place)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            if place != "path" && !required {
                continue;
            }
            let var = variable_name(pname);
            let value = self.parameter_value(p);
            self.variables
                .entry(var.clone())
                .or_insert_with(|| escape(&value));
            match place {
                "query" => query.push(format!("{pname}=${{{var}}}")),
                "header" => {
                    step.headers.insert(pname.to_owned(), format!("${{{var}}}"));
                }
                "cookie" => self
                    .notes
                    .push(format!("{name}: cookie parameter `{pname}` not imported")),
                _ => {}
            }
        }
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        step.url = url;
        if let Some(body) = op.get("requestBody") {
            self.body(&mut step, self.resolve(body), &name);
        }
        self.expectation(&mut step, op);
        self.steps.push(step);
    }

    /// A parameter's value: its example, its schema's example or default, or a generated one.
    fn parameter_value(&self, p: &Value) -> String {
        let value = p
            .get("example")
            .cloned()
            .or_else(|| {
                p.get("examples")
                    .and_then(Value::as_object)
                    .and_then(|e| e.values().next())
                    .map(|e| self.resolve(e))
                    .and_then(|e| e.get("value").cloned())
            })
            .unwrap_or_else(|| {
                p.get("schema")
                    .map(|s| sample(self.doc, s, 0, &mut { MAX_NODES }))
                    .unwrap_or(Value::Null)
            });
        match value {
            Value::String(s) => s,
            Value::Null => String::new(),
            Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(","),
            other => plain(&other),
        }
    }

    fn body(&mut self, step: &mut StepDef, body: &Value, name: &str) {
        let Some(content) = body.get("content").and_then(Value::as_object) else {
            return;
        };
        let json = content.iter().find(|(ct, _)| ct.contains("json"));
        let form = content.get("application/x-www-form-urlencoded");
        if let Some((ct, media)) = json {
            let value = self.example(media);
            step.body = Some(BodyDef {
                json: Some(escape_json(value)),
                text: None,
            });
            if ct != "application/json" {
                step.headers.insert("Content-Type".into(), ct.clone());
            }
        } else if let Some(media) = form {
            let pairs: Vec<String> = match self.example(media) {
                Value::Object(fields) => fields
                    .iter()
                    .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(&plain(v))))
                    .collect(),
                _ => Vec::new(),
            };
            step.headers.insert(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            );
            step.body = Some(BodyDef {
                json: None,
                text: Some(escape(&pairs.join("&"))),
            });
        } else if let Some(ct) = content.keys().next() {
            self.notes
                .push(format!("{name}: request body of type {ct} not imported"));
        }
    }

    /// A media type's example (`example`, the first of `examples`), else one from its schema.
    fn example(&self, media: &Value) -> Value {
        if let Some(example) = media.get("example") {
            return example.clone();
        }
        if let Some(first) = media
            .get("examples")
            .and_then(Value::as_object)
            .and_then(|e| e.values().next())
        {
            if let Some(value) = self.resolve(first).get("value") {
                return value.clone();
            }
        }
        media
            .get("schema")
            .map(|s| sample(self.doc, s, 0, &mut { MAX_NODES }))
            .unwrap_or(Value::Null)
    }

    /// The first documented 2xx answer: its status, and its JSON body's schema.
    fn expectation(&mut self, step: &mut StepDef, op: &Value) {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return;
        };
        let mut success: Vec<(&String, &Value)> = responses
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .collect();
        success.sort_by_key(|(code, _)| code.to_owned());
        let Some((code, response)) = success.first() else {
            return;
        };
        step.checks.status = Some(match code.parse::<u16>() {
            Ok(code) => StatusCheck::Exact(code),
            Err(_) => StatusCheck::Class("2xx".into()),
        });
        let response = self.resolve(response);
        let schema = response
            .get("content")
            .and_then(Value::as_object)
            .and_then(|c| c.iter().find(|(ct, _)| ct.contains("json")))
            .and_then(|(_, media)| media.get("schema"));
        if let Some(schema) = schema {
            let mut budget = MAX_NODES;
            let schema = inline(self.doc, schema, self.openapi30, 0, &mut budget);
            if budget > 0 && schema.to_string().len() <= MAX_SCHEMA_BYTES {
                step.checks.json_schema = Some(schema);
            } else {
                self.notes.push(format!(
                    "{}: the response schema is too large once its references are inlined, not imported",
                    step.name.as_deref().unwrap_or_default()
                ));
            }
        }
    }

    /// Follows `$ref`s inside the document (a few levels deep; an unknown one stays as it is).
    fn resolve(&self, value: &'a Value) -> &'a Value {
        schema::resolve(self.doc, value)
    }
}

/// `/pets/{id}` → `/pets/${id}` (names made valid suite variable names).
fn template_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&escape(&rest[..start]));
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&format!(
            "${{{}}}",
            variable_name(&rest[start + 1..start + end])
        ));
        rest = &rest[start + end + 1..];
    }
    out.push_str(&escape(rest));
    out
}

/// A parameter name as a suite variable name (letters, digits, `_`, `-`, `.`).
fn variable_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A JSON value as the text of a parameter.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A literal text in a suite template: `$` is written `$$`.
fn escape(text: &str) -> String {
    text.replace('$', "$$")
}

fn escape_json(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(escape(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(escape_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (escape(&k), escape_json(v)))
                .collect(),
        ),
        other => other,
    }
}

/// `application/x-www-form-urlencoded` for one key or value.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
