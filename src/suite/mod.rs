//! Test suites: the YAML/JSON format users write (documented in `docs/suites.md`), parsing with errors
//! that name the step, the field and the reason, and `${var}` templating.
//!
//! A suite is either valid as a whole or refused with every problem found; nothing downstream ever sees
//! a half-valid suite. This module only reads and checks definitions; executing them is the engines' job.

mod data;
mod expansion;
mod load_spec;
mod parse;
mod patterns;
mod source;
mod template;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use data::{read_text_at_most, DataDef, DataRows, RowsPer, MAX_ROWS};
pub use expansion::check as check_yaml_expansion;
pub use load_spec::{parse_duration, Figures, LoadDef, Metric, Shape, Stage, Threshold};
pub use parse::{parse_suite, parse_suite_file, MAX_SUITE_BYTES};
pub use patterns::{compile_json_schema, compile_regex};
pub use source::SuiteSource;
pub use template::{
    json_strings, render, render_json, resolve_variables, template_vars, TemplateError,
    MAX_RENDERED_BYTES, MAX_VALUE_BYTES, MAX_VARIABLES_BYTES,
};
pub use validate::METHODS;

/// A whole suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub name: String,
    /// Values available to `${name}` in every step.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// Named sets of variable values (`staging`, `production`, …) chosen when a run starts; each
    /// overrides some of `variables`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, BTreeMap<String, String>>,
    /// Whether a failed step stops the run (default) or the run goes on.
    #[serde(default)]
    pub on_failure: OnFailure,
    pub steps: Vec<StepDef>,
    /// Run the steps as a load test (virtual users, duration, thresholds) instead of once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadDef>,
    /// Rows of values (CSV or JSON): the steps run once per row, with the row's values as variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataDef>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    #[default]
    Stop,
    Continue,
}

/// One HTTP request and what its response must satisfy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    /// Shown in progress and results; defaults to "METHOD url".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default = "default_method")]
    pub method: String,
    /// May use `${var}`.
    pub url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyDef>,
    /// Per-request timeout; the engine's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Checks::is_empty")]
    pub checks: Checks,
    /// Variables set from this step's response, usable by later steps.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<String, CaptureDef>,
}

fn default_method() -> String {
    "GET".into()
}

/// A request body: `{json: …}` (sent as `application/json`) or `{text: "…"}`, exactly one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Everything a response is checked against; all present checks must pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusCheck>,
    /// Header name → expected value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, TextMatch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json: Vec<JsonCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_regex: Option<String>,
    /// The JSON body must be valid against this JSON Schema (draft 4 to 2020-12; no remote `$ref`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_ms: Option<u64>,
}

impl Checks {
    /// No check at all (a step that only has to get an answer).
    pub fn is_empty(&self) -> bool {
        *self == Checks::default()
    }
}

/// `200`, `[200, 201]`, `"2xx"`, or `{min: 200, max: 299}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a status code (100–599), a list of them such as [200, 201], a class such as \"2xx\", or a range such as {min: 200, max: 299}"
)]
pub enum StatusCheck {
    Exact(u16),
    Set(Vec<u16>),
    Class(String),
    Range { min: u16, max: u16 },
}

impl StatusCheck {
    /// Whether a status satisfies the check (the check is assumed valid).
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            Self::Exact(s) => *s == status,
            Self::Set(set) => set.contains(&status),
            Self::Class(class) => class
                .chars()
                .next()
                .and_then(|c| c.to_digit(10))
                .is_some_and(|d| u32::from(status / 100) == d),
            Self::Range { min, max } => (*min..=*max).contains(&status),
        }
    }
}

/// `{equals: "…"}` or `{matches: "regex"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextMatch {
    #[serde(default)]
    pub equals: Option<String>,
    #[serde(default)]
    pub matches: Option<String>,
}

/// A check on the JSON response body at a JSONPath; exactly one of the expectations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCheck {
    pub path: String,
    #[serde(default)]
    pub equals: Option<serde_json::Value>,
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub matches: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<JsonType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

/// Where a captured variable comes from, exactly one of: `{json: "$.id"}`, `{header: "etag"}` or
/// `{regex: "id=(\\d+)"}` (its first group, matched against the body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

impl Suite {
    /// The values the named environment gives some of `variables`.
    pub fn environment(&self, name: &str) -> Result<&BTreeMap<String, String>, String> {
        self.environments.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.environments.keys().map(String::as_str).collect();
            if known.is_empty() {
                format!("environment `{name}`: the suite defines no environments")
            } else {
                format!(
                    "environment `{name}`: the suite defines {}",
                    known.join(", ")
                )
            }
        })
    }

    /// The variables a run starts with: the suite's own, with `overrides` (an environment's values,
    /// `--var`s, the built-in tests' `${base}`) over them, each value with the variables it uses
    /// filled in.
    pub fn resolved_variables(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, String> {
        let resolved = if overrides.is_empty() {
            resolve_variables(&self.variables)
        } else {
            let mut all = self.variables.clone();
            all.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
            resolve_variables(&all)
        };
        resolved.map_err(|(name, e)| format!("variables.{name}: {e}"))
    }
}

impl Suite {
    /// The rows of the `data` section (parsed anew: call once per run and share them).
    pub fn data_rows(&self) -> Result<Option<DataRows>, String> {
        self.data
            .as_ref()
            .map(|d| d.rows().map_err(|(at, e)| format!("{at}: {e}")))
            .transpose()
    }

    /// How many times a run without `load` goes over the steps: once per data row, or once.
    pub fn passes(&self) -> usize {
        match self.data_rows() {
            Ok(Some(rows)) => rows.len(),
            _ => 1,
        }
    }
}

impl StepDef {
    /// The name shown for the step.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.method.to_uppercase(), self.url))
    }

    /// The name a step of a run goes by: a written name with the variables it names filled in
    /// (`Create ${name}` says which data row it is, `Get item ${id}` which item was captured), cut
    /// at 200 characters; else [`Self::display_name`] (the URL as written: values given at run time
    /// may be secrets). A name whose variables are not all known stays as written.
    pub fn run_name(&self, vars: &std::collections::BTreeMap<String, String>) -> String {
        const MAX_CHARS: usize = 200;
        match &self.name {
            Some(name) => {
                let filled = template::render(name, vars).unwrap_or_else(|_| name.clone());
                match filled.char_indices().nth(MAX_CHARS) {
                    Some((cut, _)) => format!("{}…", &filled[..cut]),
                    None => filled,
                }
            }
            None => self.display_name(),
        }
    }
}
