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
        let Some(target) = local_ref(doc, value) else {
            break;
        };
        value = target;
    }
    value
}

/// The schema with every local reference replaced by what it points to; for OpenAPI 3.0,
/// `nullable: true` becomes a `"null"` type, as JSON Schema says it. `depth` counts the references
/// followed on the way here and the schemas nested in schemas: past [`MAX_DEPTH`] references or
/// [`MAX_NESTING`] levels, a schema is cut to `{}` (anything). Only schemas are ever cut, never a
/// keyword's value (`type`, `required`, `enum`), and keywords that only describe (`example`,
/// `description`) are left out: the validator does not read them.
pub(super) fn inline<'a>(
    doc: &'a Value,
    schema: &'a Value,
    openapi30: bool,
    depth: usize,
    budget: &mut usize,
) -> Value {
    inline_at(
        doc,
        schema,
        openapi30,
        Depth {
            refs: depth,
            nesting: 0,
        },
        budget,
    )
}

/// How far one schema is from the root: references followed, schemas nested.
#[derive(Clone, Copy)]
struct Depth {
    refs: usize,
    nesting: usize,
}

/// Levels of schemas inside schemas (a document's own nesting, references aside).
const MAX_NESTING: usize = 64;

/// Keywords whose value is one schema.
const SCHEMA_KEYWORDS: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "items",
];
/// Keywords whose value is a list of schemas (`items` too, in older drafts).
const SCHEMA_LIST_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: &[&str] = &[
    "properties",
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];
/// The document with every boolean schema written as an object: `true` as `{}` (anything) and
/// `false` as `{"not": {}}` (nothing), which mean the same. A boolean counts as a schema where one
/// stands: a media type's or parameter's `schema`, `components.schemas`, and the schema keywords
/// above. (Used for the typed parser only, which reads schemas as objects; a boolean in an example
/// that looks like one is rewritten too, which it never reads.)
pub(super) fn booleans_as_objects(mut doc: Value) -> Value {
    fn as_object(v: &mut Value) {
        if let Value::Bool(b) = *v {
            *v = if b {
                Value::Object(Map::new())
            } else {
                serde_json::json!({ "not": {} })
            };
        }
    }
    // Iterative (a deep upload cannot overflow the stack); once over the document, which the
    // upload limit bounds.
    let mut stack = vec![&mut doc];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    let key = key.as_str();
                    if key == "schema" || SCHEMA_KEYWORDS.contains(&key) {
                        as_object(value);
                    } else if key == "schemas" || SCHEMA_MAP_KEYWORDS.contains(&key) {
                        if let Value::Object(schemas) = value {
                            schemas.values_mut().for_each(as_object);
                        }
                    } else if SCHEMA_LIST_KEYWORDS.contains(&key) {
                        if let Value::Array(schemas) = value {
                            schemas.iter_mut().for_each(as_object);
                        }
                    }
                    stack.push(value);
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    doc
}

/// Keywords that only describe; a validator ignores them, so an inlined schema leaves them out.
const ANNOTATIONS: &[&str] = &[
    "example",
    "examples",
    "description",
    "title",
    "xml",
    "externalDocs",
    "discriminator",
    "$comment",
];

fn inline_at<'a>(
    doc: &'a Value,
    schema: &'a Value,
    openapi30: bool,
    at: Depth,
    budget: &mut usize,
) -> Value {
    // Every schema counts, also one cut for its depth: it is still written.
    if *budget == 0 || at.nesting > MAX_NESTING {
        return Value::Object(Map::new());
    }
    *budget -= 1;
    let mut at = at;
    let mut schema = schema;
    while let Some(target) = local_ref(doc, schema) {
        at.refs += 1;
        if at.refs > MAX_DEPTH {
            return Value::Object(Map::new());
        }
        schema = target;
    }
    let Value::Object(map) = schema else {
        // `true`, `false`, or not a schema at all: as it is.
        return schema.clone();
    };
    let inner = Depth {
        refs: at.refs,
        nesting: at.nesting + 1,
    };
    let mut out = Map::new();
    for (key, value) in map {
        let key = key.as_str();
        if key == "$ref" || ANNOTATIONS.contains(&key) {
            // `$ref` here is external or unresolvable: allow anything rather than fail.
            continue;
        }
        let inlined = match value {
            Value::Array(items) if SCHEMA_LIST_KEYWORDS.contains(&key) => Value::Array(
                items
                    .iter()
                    .map(|v| inline_at(doc, v, openapi30, inner, budget))
                    .collect(),
            ),
            Value::Object(schemas) if SCHEMA_MAP_KEYWORDS.contains(&key) => Value::Object(
                schemas
                    .iter()
                    .map(|(name, v)| (name.clone(), inline_at(doc, v, openapi30, inner, budget)))
                    .collect(),
            ),
            _ if SCHEMA_KEYWORDS.contains(&key) => inline_at(doc, value, openapi30, inner, budget),
            // A value (`enum`, `required`, `default`…) costs its size, before it is copied: a large
            // one referred to from many places must not be copied without end.
            _ => match budget.checked_sub(nodes(value, *budget)) {
                Some(left) => {
                    *budget = left;
                    value.clone()
                }
                None => {
                    *budget = 0;
                    break;
                }
            },
        };
        out.insert(key.to_owned(), inlined);
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

/// How many JSON values `value` holds, counting no further than `limit`.
fn nodes(value: &Value, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        count += 1;
        if count > limit {
            break;
        }
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// The target of a local `$ref` (`#/components/…`), if the schema is one that resolves.
fn local_ref<'a>(doc: &'a Value, schema: &Value) -> Option<&'a Value> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| doc.pointer(pointer))
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
                    if resolve(doc, prop) == &Value::Bool(false) {
                        continue; // a property that must not be there
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::suite::compile_json_schema;

    fn inlined(doc: &Value, schema: &Value) -> (Value, usize) {
        let mut budget = MAX_NODES;
        let out = inline(doc, schema, true, 0, &mut budget);
        (out, budget)
    }

    #[test]
    fn nested_objects_are_kept_whole_however_deep() {
        // Twelve objects inside each other: deeper than references may go, but no reference.
        let mut schema = json!({ "type": "string" });
        for level in 0..12 {
            let name = format!("p{level}");
            schema =
                json!({ "type": "object", "required": [name], "properties": { name: schema } });
        }
        let (out, budget) = inlined(&json!({}), &schema);
        assert_eq!(out, schema);
        assert!(budget > 0);
        assert!(compile_json_schema(&out).is_ok());
    }

    #[test]
    fn a_recursive_schema_is_cut_where_references_go_too_deep_and_stays_valid() {
        let doc = json!({ "components": { "schemas": { "Node": {
            "type": "object",
            "required": ["name"],
            "description": "a tree",
            "properties": {
                "name": { "type": "string", "example": "root" },
                "tags": { "type": "array", "items": { "type": "string" }, "nullable": true },
                "children": { "type": "array", "items": { "$ref": "#/components/schemas/Node" } }
            }
        } } } });
        let (out, _) = inlined(&doc, &json!({ "$ref": "#/components/schemas/Node" }));
        assert!(compile_json_schema(&out).is_ok(), "{out}");
        let mut node = &out;
        for _ in 0..MAX_DEPTH {
            // Every level keeps its keywords' values; descriptions and examples are left out.
            assert_eq!(node["type"], "object");
            assert_eq!(node["required"], json!(["name"]));
            assert_eq!(node["properties"]["name"], json!({ "type": "string" }));
            assert_eq!(node["properties"]["tags"]["type"], json!(["array", "null"]));
            assert!(node.get("description").is_none());
            node = &node["properties"]["children"]["items"];
        }
        assert_eq!(
            node,
            &json!({}),
            "cut to anything past {MAX_DEPTH} references"
        );
    }

    #[test]
    fn a_large_value_referred_to_everywhere_uses_up_the_budget_instead_of_memory() {
        let values: Vec<Value> = (0..5_000).map(Value::from).collect();
        let doc = json!({ "components": { "schemas": { "Code": { "enum": values } } } });
        let properties: Map<String, Value> = (0..100)
            .map(|i| {
                (
                    format!("p{i}"),
                    json!({ "$ref": "#/components/schemas/Code" }),
                )
            })
            .collect();
        let (_, budget) = inlined(&doc, &json!({ "type": "object", "properties": properties }));
        assert_eq!(budget, 0, "the import reports the schema as too large");
    }

    #[test]
    fn booleans_and_unresolvable_references_mean_anything() {
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "properties": { "x": { "$ref": "other.yaml#/X" }, "y": true }
        });
        let (out, _) = inlined(&json!({}), &schema);
        assert_eq!(
            out,
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": { "x": {}, "y": true }
            })
        );
    }
}
