//! Evaluating a step's checks against its response, and capturing variables from it. The suite was
//! validated when it was read, so patterns and paths compile here; a failure to compile is reported as
//! a failed check rather than assumed impossible. A step's patterns are compiled once per run
//! ([`Patterns`]): a load run checks the same step thousands of times a second.

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
    ops::ControlFlow,
    time::Duration,
};

use regex::Regex;

use reqwest::header::HeaderMap;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::{
    protocol::CheckOutcome,
    suite::{
        compile_json_schema, compile_regex, CaptureDef, Checks, JsonCheck, JsonType, StatusCheck,
        StepDef, TextMatch, MAX_VALUE_BYTES,
    },
};

/// A step's regexes, JSONPaths and JSON Schema, compiled. Anything not prepared (or a default
/// `Patterns`) is compiled when used.
#[derive(Default)]
pub struct Patterns {
    regexes: HashMap<String, Result<Regex, String>>,
    paths: HashMap<String, Result<JsonPath, String>>,
    schema: Option<Result<jsonschema::Validator, String>>,
}

impl Patterns {
    pub fn new(step: &StepDef) -> Self {
        let mut p = Self::default();
        let checks = &step.checks;
        let regexes = checks
            .headers
            .values()
            .filter_map(|m| m.matches.as_ref())
            .chain(&checks.body_regex)
            .chain(checks.json.iter().filter_map(|c| c.matches.as_ref()))
            .chain(step.capture.values().filter_map(|c| c.regex.as_ref()));
        for pattern in regexes {
            p.regexes
                .entry(pattern.clone())
                .or_insert_with(|| compile_regex(pattern));
        }
        let paths = checks
            .json
            .iter()
            .map(|c| &c.path)
            .chain(step.capture.values().filter_map(|c| c.json.as_ref()));
        for path in paths {
            p.paths
                .entry(path.clone())
                .or_insert_with(|| compile_path(path));
        }
        p.schema = checks.json_schema.as_ref().map(compile_json_schema);
        p
    }

    fn regex(&self, pattern: &str) -> Result<Cow<'_, Regex>, String> {
        match self.regexes.get(pattern) {
            Some(compiled) => compiled.as_ref().map(Cow::Borrowed).map_err(Clone::clone),
            None => compile_regex(pattern).map(Cow::Owned),
        }
    }

    fn path(&self, path: &str) -> Result<Cow<'_, JsonPath>, String> {
        match self.paths.get(path) {
            Some(compiled) => compiled.as_ref().map(Cow::Borrowed).map_err(Clone::clone),
            None => compile_path(path).map(Cow::Owned),
        }
    }
}

fn compile_path(path: &str) -> Result<JsonPath, String> {
    JsonPath::parse(path).map_err(|e| e.to_string())
}

/// What a step's request got back.
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    pub latency: Duration,
}

/// The first check the response fails, described for the user with the excerpt that failed it; `None`
/// when every check passes. Stops at that check (the load engine calls this for every response).
pub fn first_failure(checks: &Checks, patterns: &Patterns, r: &Response) -> Option<String> {
    let mut failure = None;
    let _ = each_check(checks, patterns, r, &mut |_, problem| match problem {
        Some(problem) => {
            failure = Some(problem);
            ControlFlow::Break(())
        }
        None => ControlFlow::Continue(()),
    });
    failure
}

/// Every check's outcome, in the order the suite format lists them.
pub fn evaluate(checks: &Checks, patterns: &Patterns, r: &Response) -> Vec<CheckOutcome> {
    let mut outcomes = Vec::new();
    let _ = each_check(checks, patterns, r, &mut |label, problem| {
        outcomes.push(CheckOutcome {
            check: label(),
            passed: problem.is_none(),
            detail: problem,
        });
        ControlFlow::Continue(())
    });
    outcomes
}

/// Receives each check's label (made only when asked for) and its problem, if any; breaks to stop.
type Visit<'a> = dyn FnMut(&dyn Fn() -> String, Option<String>) -> ControlFlow<()> + 'a;

/// Calls `f` for each check until `f` breaks.
fn each_check(
    checks: &Checks,
    patterns: &Patterns,
    r: &Response,
    f: &mut Visit<'_>,
) -> ControlFlow<()> {
    if let Some(status) = &checks.status {
        let problem = (!status.accepts(r.status)).then(|| {
            let got = format!("expected status {}, got {}", status_text(status), r.status);
            match r.body.trim() {
                "" => got,
                body => format!("{got}: {}", excerpt(body)),
            }
        });
        f(&|| format!("status {}", status_text(status)), problem)?;
    }
    if let Some(max) = checks.max_latency_ms {
        let problem = (r.latency > Duration::from_millis(max)).then(|| {
            format!(
                "took {} ms, more than the allowed {max} ms",
                r.latency.as_millis()
            )
        });
        f(&|| format!("latency ≤ {max} ms"), problem)?;
    }
    for (name, expect) in &checks.headers {
        let got = r.headers.get(name).and_then(|v| v.to_str().ok());
        let problem = text_mismatch(expect, got, patterns).map(|p| format!("header {name}: {p}"));
        f(
            &|| format!("header {name} {}", text_match_text(expect)),
            problem,
        )?;
    }
    if let Some(needle) = &checks.body_contains {
        let problem = (!r.body.contains(needle.as_str()))
            .then(|| format!("body does not contain {needle:?}: {}", excerpt(&r.body)));
        f(&|| format!("body contains {needle:?}"), problem)?;
    }
    if let Some(pattern) = &checks.body_regex {
        let problem = match patterns.regex(pattern) {
            Ok(re) if re.is_match(&r.body) => None,
            Ok(_) => Some(format!(
                "body does not match /{pattern}/: {}",
                excerpt(&r.body)
            )),
            Err(e) => Some(format!("invalid regex /{pattern}/: {e}")),
        };
        f(&|| format!("body matches /{pattern}/"), problem)?;
    }
    if !checks.json.is_empty() || checks.json_schema.is_some() {
        let json: Result<Value, _> = serde_json::from_str(&r.body);
        let not_json = || format!("body is not JSON: {}", excerpt(&r.body));
        for check in &checks.json {
            let problem = match &json {
                Ok(json) => {
                    json_mismatch(check, json, patterns).map(|p| format!("{}: {p}", check.path))
                }
                Err(_) => Some(not_json()),
            };
            f(&|| json_check_text(check), problem)?;
        }
        if let Some(schema) = &checks.json_schema {
            let problem = match &json {
                Ok(json) => schema_mismatch(schema, patterns, json),
                Err(_) => Some(not_json()),
            };
            f(&|| "body matches the JSON schema".to_owned(), problem)?;
        }
    }
    ControlFlow::Continue(())
}

fn status_text(status: &StatusCheck) -> String {
    match status {
        StatusCheck::Exact(s) => s.to_string(),
        StatusCheck::Set(set) => {
            let codes: Vec<String> = set.iter().map(u16::to_string).collect();
            format!("in [{}]", codes.join(", "))
        }
        StatusCheck::Class(class) => class.clone(),
        StatusCheck::Range { min, max } => format!("{min}–{max}"),
    }
}

fn text_match_text(expect: &TextMatch) -> String {
    let mut parts = Vec::new();
    if let Some(want) = &expect.equals {
        parts.push(format!("equals {want:?}"));
    }
    if let Some(pattern) = &expect.matches {
        parts.push(format!("matches /{pattern}/"));
    }
    if parts.is_empty() {
        "is present".to_owned()
    } else {
        parts.join(" and ")
    }
}

fn json_check_text(check: &JsonCheck) -> String {
    let mut parts = Vec::new();
    match check.exists {
        Some(true) => parts.push("exists".to_owned()),
        Some(false) => parts.push("is absent".to_owned()),
        None => {}
    }
    if let Some(want) = &check.equals {
        parts.push(format!("equals {}", excerpt(&want.to_string())));
    }
    if let Some(pattern) = &check.matches {
        parts.push(format!("matches /{pattern}/"));
    }
    if let Some(kind) = check.kind {
        parts.push(format!("is {}", kind_with_article(kind)));
    }
    if parts.is_empty() {
        parts.push("exists".to_owned());
    }
    format!("{} {}", check.path, parts.join(" and "))
}

/// A JSON type as a noun: `a string`, `an integer`.
fn kind_with_article(kind: JsonType) -> &'static str {
    match kind {
        JsonType::String => "a string",
        JsonType::Number => "a number",
        JsonType::Integer => "an integer",
        JsonType::Boolean => "a boolean",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
        JsonType::Null => "a null",
    }
}

/// The first way the body breaks the schema, with where (a JSON Pointer into the body).
fn schema_mismatch(schema: &Value, patterns: &Patterns, json: &Value) -> Option<String> {
    let compiled;
    let validator = match &patterns.schema {
        Some(Ok(v)) => v,
        Some(Err(e)) => return Some(format!("invalid JSON schema: {e}")),
        None => match compile_json_schema(schema) {
            Ok(v) => {
                compiled = v;
                &compiled
            }
            Err(e) => return Some(format!("invalid JSON schema: {e}")),
        },
    };
    let error = validator.iter_errors(json).next()?;
    let at = error.instance_path().to_string();
    let at = if at.is_empty() { "/".to_owned() } else { at };
    Some(format!(
        "body does not match the JSON schema at {at}: {}",
        excerpt(&error.to_string())
    ))
}

fn text_mismatch(expect: &TextMatch, got: Option<&str>, patterns: &Patterns) -> Option<String> {
    let Some(got) = got else {
        return Some("missing".into());
    };
    if let Some(want) = &expect.equals {
        if got != want {
            return Some(format!("expected {want:?}, got {got:?}"));
        }
    }
    if let Some(pattern) = &expect.matches {
        match patterns.regex(pattern) {
            Ok(re) if re.is_match(got) => {}
            Ok(_) => return Some(format!("{got:?} does not match /{pattern}/")),
            Err(e) => return Some(format!("invalid regex /{pattern}/: {e}")),
        }
    }
    None
}

fn json_mismatch(check: &JsonCheck, json: &Value, patterns: &Patterns) -> Option<String> {
    let path = match patterns.path(&check.path) {
        Ok(p) => p,
        Err(e) => return Some(format!("invalid JSONPath: {e}")),
    };
    let found = path.query(json).first();
    if let Some(exists) = check.exists {
        return match (exists, found) {
            (true, None) => Some("expected a value, found none".into()),
            (false, Some(v)) => Some(format!(
                "expected nothing, found {}",
                excerpt(&v.to_string())
            )),
            _ => None,
        };
    }
    let Some(value) = found else {
        return Some("no value at this path".into());
    };
    if let Some(want) = &check.equals {
        if value != want {
            return Some(format!(
                "expected {want}, got {}",
                excerpt(&value.to_string())
            ));
        }
    }
    if let Some(pattern) = &check.matches {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        match patterns.regex(pattern) {
            Ok(re) if re.is_match(&text) => {}
            Ok(_) => return Some(format!("{} does not match /{pattern}/", excerpt(&text))),
            Err(e) => return Some(format!("invalid regex /{pattern}/: {e}")),
        }
    }
    if let Some(kind) = check.kind {
        let ok = match kind {
            JsonType::String => value.is_string(),
            JsonType::Number => value.is_number(),
            JsonType::Integer => value.is_i64() || value.is_u64(),
            JsonType::Boolean => value.is_boolean(),
            JsonType::Array => value.is_array(),
            JsonType::Object => value.is_object(),
            JsonType::Null => value.is_null(),
        };
        if !ok {
            return Some(format!(
                "expected {}, got {}",
                kind_with_article(kind),
                excerpt(&value.to_string())
            ));
        }
    }
    None
}

/// Sets the step's captured variables from the response. A capture that finds nothing, or a value
/// too large to be a variable, fails the step, saying which capture and why (not a later step with
/// "unknown variable").
pub fn capture(
    captures: &BTreeMap<String, CaptureDef>,
    patterns: &Patterns,
    r: &Response,
    vars: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    for (name, def) in captures {
        let value = if let Some(path) = &def.json {
            serde_json::from_str::<Value>(&r.body)
                .ok()
                .and_then(|json| {
                    patterns.path(path).ok().and_then(|p| {
                        p.query(&json)
                            .first()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    })
                })
        } else if let Some(header) = &def.header {
            r.headers
                .get(header)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        } else if let Some(pattern) = &def.regex {
            patterns.regex(pattern).ok().and_then(|re| {
                re.captures(&r.body)
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().to_owned())
            })
        } else {
            None
        };
        match value {
            Some(v) if v.len() > MAX_VALUE_BYTES => {
                vars.remove(name);
                return Err(format!(
                    "capture `{name}`: the value is {} bytes, over the {MAX_VALUE_BYTES} a variable may hold",
                    v.len()
                ));
            }
            Some(v) => {
                vars.insert(name.clone(), v);
            }
            None => {
                vars.remove(name);
                let source = if let Some(path) = &def.json {
                    format!("{path} found nothing in the response body")
                } else if let Some(header) = &def.header {
                    format!("the response has no header `{header}`")
                } else if let Some(pattern) = &def.regex {
                    format!("/{pattern}/ does not match the response body")
                } else {
                    "nothing to capture from".to_owned()
                };
                return Err(format!("capture `{name}`: {source}"));
            }
        }
    }
    Ok(())
}

/// Bodies up to this size are judged on the async worker that received them; larger ones are
/// parsed and matched on a blocking thread, so a few large responses cannot stall every run.
pub const INLINE_JUDGE_BYTES: usize = 64 * 1024;

/// Runs `judge` (checks and captures of a response with a `body_bytes` body) where it does not stall
/// the async workers. `None` if it panicked, which a suite must never be able to make it do.
pub async fn judge<T: Send + 'static>(
    body_bytes: usize,
    judge: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    if body_bytes <= INLINE_JUDGE_BYTES {
        Some(judge())
    } else {
        tokio::task::spawn_blocking(judge).await.ok()
    }
}

/// At most 200 characters of a response, for failure messages.
fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}
