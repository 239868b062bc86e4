//! Importing what users already have into suites: Postman collections (v2.1) and OpenAPI documents
//! (3.0 and 3.1, JSON or YAML). An import never drops
//! anything silently: what a suite cannot express (scripts, some kinds of auth, multipart bodies) is
//! listed in the result's notes, and the user sees them before saving.
//!
//! This module only turns documents into [`Suite`]s; checking them is [`crate::suite`]'s job, and
//! saving them the caller's.

mod openapi;
mod postman;

use std::collections::BTreeMap;

use crate::suite::{check_yaml_expansion, OnFailure, StepDef, Suite};

/// Largest document accepted (the server's request bodies are at most 1 MiB, form-encoded).
pub const MAX_IMPORT_BYTES: usize = 512 * 1024;

/// A document turned into a suite.
#[derive(Debug, Clone)]
pub struct Imported {
    /// What the document was, e.g. "Postman Collection v2.1".
    pub format: &'static str,
    pub suite: Suite,
    /// What was not imported, or needs the user's attention, one sentence each.
    pub notes: Vec<String>,
}

impl Imported {
    /// A suite of independent requests: one failure does not hide the rest (`on_failure: continue`).
    fn requests(
        format: &'static str,
        name: String,
        variables: BTreeMap<String, String>,
        steps: Vec<StepDef>,
        notes: Vec<String>,
    ) -> Imported {
        Imported {
            format,
            suite: Suite {
                name,
                variables,
                environments: BTreeMap::new(),
                on_failure: OnFailure::Continue,
                steps,
                load: None,
                data: None,
            },
            notes,
        }
    }
}

/// Why a document could not be imported. The messages are for the user who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the document is larger than {MAX_IMPORT_BYTES} bytes")]
    TooLarge,
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("not a valid Postman collection: {0}")]
    InvalidCollection(String),
    #[error("not a valid {0}")]
    InvalidDocument(String),
    #[error("not YAML: {0}")]
    NotYaml(String),
}

/// Reads a document and turns it into a suite (see the module docs for what is kept).
pub fn import(text: &str) -> Result<Imported, ImportError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    let trimmed = text.trim_start();
    let value: serde_json::Value = if trimmed.starts_with('{') {
        serde_json::from_str(text).map_err(|e| ImportError::NotJson(e.to_string()))?
    } else {
        // OpenAPI documents are often YAML: the same alias bound as for suites, then plain data.
        check_yaml_expansion(text).map_err(ImportError::NotYaml)?;
        serde_yaml_ng::from_str(text).map_err(|e| ImportError::NotYaml(e.to_string()))?
    };
    if value.get("openapi").is_some() {
        return openapi::import(value);
    }
    if value.get("swagger").is_some() {
        return Err(ImportError::Unsupported(
            "a Swagger 2.0 document: convert it to OpenAPI 3 first (e.g. with swagger2openapi)"
                .into(),
        ));
    }
    let schema = value
        .pointer("/info/schema")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    if schema.contains("getpostman.com") {
        return postman::import(text);
    }
    Err(ImportError::Unsupported(
        "neither an OpenAPI document (no `openapi` field) nor a Postman collection (its `info.schema` \
         names no getpostman.com schema)"
            .into(),
    ))
}

/// A suite as the YAML a user edits.
pub fn to_yaml(suite: &Suite) -> String {
    // Serialising plain data (strings, maps, JSON values) cannot fail.
    serde_yaml_ng::to_string(suite).unwrap_or_default()
}

#[cfg(test)]
mod tests;
