//! Postman Collection v2.1 → suite, read with the `postman_collection` crate's typed model.
//!
//! - Folders are flattened in order; a step's name is its folders' names and its own, joined by " / ".
//! - `{{name}}` becomes `${name}`, a literal `$` becomes `$$`, and a path variable `:name` becomes
//!   `${name}`. Collection, folder, request and path variables become the suite's variables; one that
//!   is used but defined nowhere is added empty, and named in a note.
//! - Auth (bearer, basic, API key; inherited from folders and the collection) becomes headers or query
//!   parameters. Raw JSON bodies stay JSON, other raw bodies text; URL-encoded forms become text
//!   bodies; GraphQL bodies become their JSON request.
//! - Not imported, each named in a note: pre-request and test scripts, other kinds of auth, multipart
//!   and file bodies, dynamic variables such as `{{$guid}}`, methods a suite cannot send.
//! - A saved example response gives the step a status check (Postman's own checks are scripts).

mod request;

use std::collections::{BTreeMap, BTreeSet};

use postman_collection::{v2_1_0 as pm, PostmanCollection};

use super::{ImportError, Imported};
use crate::suite::{template_vars, Checks, StatusCheck, StepDef, METHODS};

pub(super) fn import(text: &str) -> Result<Imported, ImportError> {
    let spec = match postman_collection::from_str(text) {
        Ok(PostmanCollection::V2_1_0(spec)) => spec,
        Ok(other) => {
            return Err(ImportError::Unsupported(format!(
                "a Postman collection {:?}: export it from Postman again as v2.1",
                other.version()
            )))
        }
        Err(e) => return Err(ImportError::InvalidCollection(e.to_string())),
    };
    let mut cx = Converter::default();
    cx.define(spec.variable.as_deref(), "the collection");
    cx.scripts(spec.event.as_deref(), "the collection");
    cx.items(&spec.item, &[], spec.auth.as_ref());

    let undefined: Vec<String> = cx
        .used
        .iter()
        .filter(|name| !cx.variables.contains_key(*name))
        .cloned()
        .collect();
    if !undefined.is_empty() {
        cx.notes.push(format!(
            "used but not defined in the collection, so added empty (give them values, e.g. in an \
             environment): {}",
            undefined.join(", ")
        ));
        for name in undefined {
            cx.variables.insert(name, String::new());
        }
    }
    if cx.steps.is_empty() {
        cx.notes
            .push("the collection has no requests that could be imported".into());
    }
    let name = match spec.info.name.trim() {
        "" => "Imported collection".to_owned(),
        name => name.to_owned(),
    };
    Ok(Imported::requests(
        "Postman Collection v2.1",
        name,
        cx.variables,
        cx.steps,
        cx.notes,
    ))
}

#[derive(Default)]
struct Converter {
    variables: BTreeMap<String, String>,
    /// Every variable name the converted templates use.
    used: BTreeSet<String>,
    steps: Vec<StepDef>,
    notes: Vec<String>,
}

impl Converter {
    /// Adds variables; the first definition of a name wins, a different later one is noted.
    fn define(&mut self, vars: Option<&[pm::Variable]>, whose: &str) {
        for var in vars.unwrap_or_default() {
            if var.disabled == Some(true) {
                continue;
            }
            let Some(raw) = var.key.as_ref().or(var.id.as_ref()) else {
                continue;
            };
            let name = self.name(raw);
            let value = match &var.value {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => self.template(s),
                Some(other) => other.to_string(),
            };
            // Exports often say `petId: {{petId}}` (a value the environment is to give): that is
            // no definition at all.
            if value == format!("${{{name}}}") {
                continue;
            }
            match self.variables.get(&name) {
                Some(old) if *old != value => self.notes.push(format!(
                    "{whose} sets variable `{name}` to another value; the first one is kept"
                )),
                Some(_) => {}
                None => {
                    self.variables.insert(name, value);
                }
            }
        }
    }

    /// Notes every script: a suite has no scripts.
    fn scripts(&mut self, events: Option<&[pm::Event]>, whose: &str) {
        for event in events.unwrap_or_default() {
            let lines = match event.script.as_ref().and_then(|s| s.exec.as_ref()) {
                Some(pm::Host::String(s)) => s.lines().filter(|l| !l.trim().is_empty()).count(),
                Some(pm::Host::StringArray(v)) => v.iter().filter(|l| !l.trim().is_empty()).count(),
                None => 0,
            };
            if lines == 0 || event.disabled == Some(true) {
                continue;
            }
            let (kind, instead) = match event.listen.as_str() {
                "prerequest" => ("pre-request script", "set what it computes as variables"),
                "test" => ("test script", "write its assertions as suite checks"),
                _ => ("script", "a suite has no scripts"),
            };
            self.notes.push(format!(
                "{whose}: {kind} not imported ({lines} line{}); {instead}",
                if lines == 1 { "" } else { "s" }
            ));
        }
    }

    fn items(&mut self, items: &[pm::Items], folders: &[String], auth: Option<&pm::Auth>) {
        for item in items {
            match item {
                pm::Items::ItemGroup(group) => {
                    let mut path = folders.to_vec();
                    path.push(group.name.clone().unwrap_or_else(|| "folder".into()));
                    let whose = format!("folder \"{}\"", path.join(" / "));
                    self.define(group.variable.as_deref(), &whose);
                    self.scripts(group.event.as_deref(), &whose);
                    self.items(&group.item, &path, group.auth.as_ref().or(auth));
                }
                pm::Items::Item(item) => self.item(item, folders, auth),
            }
        }
    }

    fn item(&mut self, item: &pm::Item, folders: &[String], auth: Option<&pm::Auth>) {
        let mut path = folders.to_vec();
        path.push(item.name.clone().unwrap_or_else(|| "request".into()));
        let name = path.join(" / ");
        let whose = format!("request \"{name}\"");
        self.define(item.variable.as_deref(), &whose);
        self.scripts(item.event.as_deref(), &whose);

        let (method, url, headers, body, own_auth) = match &item.request {
            pm::RequestUnion::String(url) => {
                ("GET".to_owned(), Some(url.clone()), None, None, None)
            }
            pm::RequestUnion::RequestClass(r) => (
                r.method
                    .clone()
                    .unwrap_or_else(|| "GET".into())
                    .to_uppercase(),
                r.url.as_ref().map(|u| self.url(u)),
                r.header.as_ref(),
                r.body.as_ref(),
                r.auth.as_ref(),
            ),
        };
        let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
            self.notes.push(format!("{whose}: no URL, not imported"));
            return;
        };
        if !METHODS.contains(&method.as_str()) {
            self.notes.push(format!(
                "{whose}: method {method} not imported (a suite sends {})",
                METHODS.join(", ")
            ));
            return;
        }
        let mut step = StepDef {
            name: Some(name),
            method,
            url: self.template(&url),
            headers: BTreeMap::new(),
            body: None,
            timeout_ms: None,
            checks: Checks::default(),
            capture: BTreeMap::new(),
        };
        if let Some(pm::HeaderUnion::HeaderArray(list)) = headers {
            for h in list
                .iter()
                .filter(|h| h.disabled != Some(true) && !h.key.is_empty())
            {
                let value = self.template(&h.value);
                step.headers.insert(h.key.clone(), value);
            }
        }
        if let Some(body) = body.filter(|b| b.disabled != Some(true)) {
            self.body(&mut step, body, &whose);
        }
        self.auth(&mut step, own_auth.or(auth), &whose);
        let example = item
            .response
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find_map(|r| r.code);
        if let Some(code) = example
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| (100..600).contains(c))
        {
            step.checks.status = Some(StatusCheck::Exact(code));
        }
        for var in template_vars(&step.url).unwrap_or_default() {
            self.used.insert(var);
        }
        self.steps.push(step);
    }

    /// Postman text → suite template: `$` → `$$`, `{{name}}` → `${name}` (names made valid).
    fn template(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let (before, after) = rest.split_at(start);
            out.push_str(&before.replace('$', "$$"));
            let Some(end) = after.find("}}") else {
                rest = after;
                break;
            };
            let raw = &after[2..end];
            if raw.starts_with('$') || raw.trim().is_empty() {
                // A dynamic variable ({{$guid}}, {{$timestamp}}, …): kept as written, and noted.
                self.note_once(format!(
                    "dynamic variable {{{{{raw}}}}} not imported: it is sent as written"
                ));
                out.push_str(&after[..end + 2].replace('$', "$$"));
            } else {
                let name = self.name(raw);
                self.used.insert(name.clone());
                out.push_str("${");
                out.push_str(&name);
                out.push('}');
            }
            rest = &after[end + 2..];
        }
        out.push_str(&rest.replace('$', "$$"));
        out
    }

    /// [`Self::template`] on every string of a JSON value, keys included.
    fn template_json(&mut self, value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(s) => Value::String(self.template(&s)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.template_json(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.template(&k), self.template_json(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// A Postman variable name as a suite variable name (letters, digits, `_`, `-`, `.`).
    fn name(&mut self, raw: &str) -> String {
        let raw = raw.trim();
        let name: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if name != raw {
            self.note_once(format!("variable `{raw}` renamed `{name}` (a suite's variable names are letters, digits, `_`, `-` and `.`)"));
        }
        name
    }

    fn note_once(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}
