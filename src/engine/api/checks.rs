//! Evaluating a step's checks against its response, and capturing variables from it. The suite was
//! validated when it was read, so patterns and paths compile here; a failure to compile is reported as
//! a failed check rather than assumed impossible.

use std::{collections::BTreeMap, time::Duration};

use reqwest::header::HeaderMap;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::suite::{CaptureDef, Checks, JsonCheck, JsonType, TextMatch};

/// What a step's request got back.
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    pub latency: Duration,
}

/// The first check the response fails, described for the user with the excerpt that failed it; `None`
/// when every check passes.
pub fn first_failure(checks: &Checks, r: &Response) -> Option<String> {
    if let Some(status) = &checks.status {
        if !status.accepts(r.status) {
            let expected = match status {
                crate::suite::StatusCheck::Exact(s) => s.to_string(),
                other => serde_json::to_string(other).unwrap_or_default(),
            };
            return Some(format!("expected status {expected}, got {}", r.status));
        }
    }
    if let Some(max) = checks.max_latency_ms {
        if r.latency > Duration::from_millis(max) {
            return Some(format!(
                "took {} ms, more than the allowed {max} ms",
                r.latency.as_millis()
            ));
        }
    }
    for (name, expect) in &checks.headers {
        let got = r.headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(problem) = text_mismatch(expect, got) {
            return Some(format!("header {name}: {problem}"));
        }
    }
    if let Some(needle) = &checks.body_contains {
        if !r.body.contains(needle.as_str()) {
            return Some(format!(
                "body does not contain {needle:?}: {}",
                excerpt(&r.body)
            ));
        }
    }
    if let Some(pattern) = &checks.body_regex {
        match regex::Regex::new(pattern) {
            Ok(re) if re.is_match(&r.body) => {}
            Ok(_) => {
                return Some(format!(
                    "body does not match /{pattern}/: {}",
                    excerpt(&r.body)
                ))
            }
            Err(e) => return Some(format!("invalid regex /{pattern}/: {e}")),
        }
    }
    if !checks.json.is_empty() || checks.json_schema.is_some() {
        let json: Value = match serde_json::from_str(&r.body) {
            Ok(v) => v,
            Err(_) => return Some(format!("body is not JSON: {}", excerpt(&r.body))),
        };
        for check in &checks.json {
            if let Some(problem) = json_mismatch(check, &json) {
                return Some(format!("{}: {problem}", check.path));
            }
        }
        if let Some(schema) = &checks.json_schema {
            if let Some(problem) = schema_mismatch(schema, &json) {
                return Some(problem);
            }
        }
    }
    None
}

/// The first way the body breaks the schema, with where (a JSON Pointer into the body).
fn schema_mismatch(schema: &Value, json: &Value) -> Option<String> {
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => return Some(format!("invalid JSON schema: {e}")),
    };
    let error = validator.iter_errors(json).next()?;
    let at = error.instance_path().to_string();
    let at = if at.is_empty() { "/".to_owned() } else { at };
    Some(format!(
        "body does not match the JSON schema at {at}: {}",
        excerpt(&error.to_string())
    ))
}

fn text_mismatch(expect: &TextMatch, got: Option<&str>) -> Option<String> {
    let Some(got) = got else {
        return Some("missing".into());
    };
    if let Some(want) = &expect.equals {
        if got != want {
            return Some(format!("expected {want:?}, got {got:?}"));
        }
    }
    if let Some(pattern) = &expect.matches {
        match regex::Regex::new(pattern) {
            Ok(re) if re.is_match(got) => {}
            Ok(_) => return Some(format!("{got:?} does not match /{pattern}/")),
            Err(e) => return Some(format!("invalid regex /{pattern}/: {e}")),
        }
    }
    None
}

fn json_mismatch(check: &JsonCheck, json: &Value) -> Option<String> {
    let path = match JsonPath::parse(&check.path) {
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
        match regex::Regex::new(pattern) {
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
            return Some(
                format!("expected a {kind:?}, got {}", excerpt(&value.to_string())).to_lowercase(),
            );
        }
    }
    None
}

/// Sets the step's captured variables from the response. A capture that finds nothing leaves the
/// variable unset, so a later step using it fails with "unknown variable".
pub fn capture(
    captures: &BTreeMap<String, CaptureDef>,
    r: &Response,
    vars: &mut BTreeMap<String, String>,
) {
    for (name, def) in captures {
        let value = if let Some(path) = &def.json {
            serde_json::from_str::<Value>(&r.body)
                .ok()
                .and_then(|json| {
                    JsonPath::parse(path).ok().and_then(|p| {
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
            regex::Regex::new(pattern).ok().and_then(|re| {
                re.captures(&r.body)
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().to_owned())
            })
        } else {
            None
        };
        match value {
            Some(v) => {
                vars.insert(name.clone(), v);
            }
            None => {
                vars.remove(name);
            }
        }
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
