//! How a suite's patterns are compiled, the same way when the suite is checked and when it runs:
//! regexes with the linear-time `regex` engine and a bound on their compiled size, and JSON Schemas
//! whose `pattern` keywords use that engine too (the schema library's default engine backtracks, and
//! the text it matches is a response that a hostile target controls).

use regex::{Regex, RegexBuilder};
use serde_json::Value;

/// Most memory one compiled regex may take.
const MAX_COMPILED_REGEX_BYTES: usize = 1 << 20;

/// A suite's regex (a body or header check, a capture), compiled.
pub fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(MAX_COMPILED_REGEX_BYTES)
        .build()
        .map_err(|e| e.to_string())
}

/// A step's `json_schema` check, compiled; no remote `$ref` is ever fetched.
pub fn compile_json_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_pattern_options(
            jsonschema::PatternOptions::regex().size_limit(MAX_COMPILED_REGEX_BYTES),
        )
        .build(schema)
        .map_err(|e| e.to_string())
}
