//! Schemas inside an OpenAPI document: following `$ref`s, inlining them into one self-contained
//! JSON Schema (for `checks.json_schema`, which resolves no references), and generating a value that
//! fits a schema (for request bodies and parameters without an example). Depth-bounded throughout:
//! recursive schemas end in `{}` (anything) or `null`.

use serde_json::{Map, Value};

/// How deep references are followed or inlined.
const MAX_DEPTH: usize = 8;
/// How many schema nodes one inlined schema or generated value may have: a few references can
/// otherwise fan out exponentially (ten properties each referring to the next ten, eight deep).
pub(super) const MAX_NODES: usize = 20_000;

/// Follows a chain of local `$ref`s (`#/components/…`); an external or unknown one stays as it is.
pub(super) fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..MAX_DEPTH {
        let Some(target) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| doc.pointer(pointer))
        else {
            break;
        };
        value = target;
    }
    value
}

/// The schema with every local reference replaced by what it points to; for OpenAPI 3.0,
/// `nullable: true` becomes a `"null"` type, as JSON Schema says it.
pub(super) fn inline(
    doc: &Value,
    schema: &Value,
    openapi30: bool,
    depth: usize,
    budget: &mut usize,
) -> Value {
    // Every node counts, also one cut for its depth: it is still written.
    if *budget == 0 {
        return Value::Object(Map::new());
    }
    *budget -= 1;
    if depth > MAX_DEPTH {
        return Value::Object(Map::new());
    }
    let schema = resolve(doc, schema);
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                if *budget == 0 {
                    break;
                }
                if key == "$ref" {
                    continue; // an unresolvable reference: allow anything rather than fail
                }
                out.insert(
                    key.clone(),
                    inline(doc, value, openapi30, depth + 1, budget),
                );
            }
            if openapi30 && out.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(kind)) = out.get("type").cloned() {
                    out.insert(
                        "type".into(),
                        Value::Array(vec![Value::String(kind), "null".into()]),
                    );
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| inline(doc, v, openapi30, depth + 1, budget))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A value that fits the schema: its example, default, first enum value or const, else one built
/// from its type (objects with every property, one-item arrays, format-shaped strings).
pub(super) fn sample(doc: &Value, schema: &Value, depth: usize, budget: &mut usize) -> Value {
    if *budget == 0 {
        return Value::Null;
    }
    *budget -= 1;
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let schema = resolve(doc, schema);
    for key in ["example", "default", "const"] {
        if let Some(v) = schema.get(key) {
            return v.clone();
        }
    }
    for key in ["examples", "enum"] {
        if let Some(v) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return v.clone();
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(fields) = sample(doc, part, depth + 1, budget) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return sample(doc, first, depth + 1, budget);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        // 3.1: a list of types; the first that is not "null".
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "",
    };
    match kind {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    if *budget == 0 {
                        break; // the rest of the object is left out, not filled with nulls
                    }
                    out.insert(name.clone(), sample(doc, prop, depth + 1, budget));
                }
            }
            Value::Object(out)
        }
        "array" => match schema.get("items") {
            Some(items) => Value::Array(vec![sample(doc, items, depth + 1, budget)]),
            None => Value::Array(Vec::new()),
        },
        "string" => Value::String(
            match schema
                .get("format")
                .and_then(Value::as_str)
                .unwrap_or_default()
            {
                "date-time" => "2025-01-01T00:00:00Z",
                "date" => "2025-01-01",
                "time" => "12:00:00",
                "email" => "user@example.com",
                "uuid" => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                "uri" | "url" => "https://example.com/",
                "ipv4" => "192.0.2.1",
                _ => "string",
            }
            .to_owned(),
        ),
        "integer" | "number" => schema
            .get("minimum")
            .cloned()
            .unwrap_or_else(|| Value::from(1)),
        "boolean" => Value::Bool(true),
        _ => Value::Null,
    }
}
