//! Reading a suite from YAML or JSON: the text's size bound, serde's shape errors with their field
//! path and line, then the semantic rules of [`super::validate`], each problem placed on its line.

use super::{validate::validate, Suite};
use crate::protocol::api::SuiteProblem;

/// Largest suite text accepted.
pub const MAX_SUITE_BYTES: usize = 256 * 1024;

/// Parses a suite (JSON if the text starts with `{`, YAML otherwise) and validates it. Either the whole
/// suite is valid, or every problem found is returned.
pub fn parse_suite(text: &str) -> Result<Suite, Vec<SuiteProblem>> {
    parse_with(text, |_| Ok(()))
}

/// [`parse_suite`] for a suite read from a file in `dir` (`livecheck run`): a `data.file` is read
/// relative to it, and its rows are checked with the rest of the suite.
pub fn parse_suite_file(text: &str, dir: &std::path::Path) -> Result<Suite, Vec<SuiteProblem>> {
    parse_with(text, |suite| match &mut suite.data {
        Some(data) => data
            .inline_file(dir)
            .map_err(|message| SuiteProblem::new("data.file", message)),
        None => Ok(()),
    })
}

/// Shape, then `prepare` (which may fill in what the shape refers to), then the semantic rules.
fn parse_with(
    text: &str,
    prepare: impl FnOnce(&mut Suite) -> Result<(), SuiteProblem>,
) -> Result<Suite, Vec<SuiteProblem>> {
    if text.len() > MAX_SUITE_BYTES {
        return Err(vec![SuiteProblem::new(
            "",
            format!("a suite may be at most {MAX_SUITE_BYTES} bytes"),
        )]);
    }
    let mut suite = if text.trim_start().starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, Suite>(&mut de).map_err(|e| {
            let path = e.path().to_string();
            vec![SuiteProblem {
                message: strip_position(&path, &e.inner().to_string()),
                line: Some(e.inner().line()),
                path,
            }]
        })?
    } else {
        super::expansion::check(text).map_err(|message| vec![SuiteProblem::new("", message)])?;
        let de = serde_yaml_ng::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, Suite>(de).map_err(|e| {
            let path = e.path().to_string();
            vec![SuiteProblem {
                message: strip_position(&path, &e.inner().to_string()),
                line: e.inner().location().map(|l| l.line()),
                path,
            }]
        })?
    };
    let mut errors = match prepare(&mut suite) {
        Ok(()) => validate(&suite),
        Err(problem) => vec![problem],
    };
    if errors.is_empty() {
        return Ok(suite);
    }
    for e in &mut errors {
        e.line = e.line.or_else(|| locate(text, &e.path));
    }
    Err(errors)
}

/// The line (1-based) where a field path such as `steps[2].checks.status` is written, found by walking
/// the text's block structure: each key is looked for below its parent at a deeper indentation, and
/// `[n]` is the n-th `- ` item of a block list. Flow style (`{…}`, `[…]`) and JSON stop the walk at
/// the deepest field found, which is still the right neighbourhood. `None` when not even the first
/// key is found.
fn locate(text: &str, path: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let meaningful = |l: &str| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    };
    // The block searched for the next segment: from line `start`, while lines are indented deeper
    // than `parent` (a list item's first line, `- key: …`, belongs to its own block whatever its indent).
    // A list's items may also stand at their key's own indent (`steps:` then `- name: …` below it, as
    // the importers write), so an index also looks at `- ` lines of the parent's column.
    let mut start = 0;
    let mut parent: Option<usize> = None;
    let mut found = None;
    for segment in path_segments(path) {
        let first = start;
        let in_block = |i: usize| {
            let l = lines[i];
            let item_at_parent = matches!(segment, Segment::Index(_))
                && l.trim_start().starts_with("- ")
                && parent == Some(indent(l));
            i == first || !meaningful(l) || item_at_parent || parent.is_none_or(|p| indent(l) > p)
        };
        let mut hit = None;
        let mut i = start;
        let mut seen = 0;
        let mut item_indent = None;
        while i < lines.len() && in_block(i) {
            let l = lines[i];
            if meaningful(l) {
                match segment {
                    Segment::Key(key) => {
                        let t = l.trim_start().trim_start_matches("- ");
                        let written = [
                            format!("{key}:"),
                            format!("\"{key}\":"),
                            format!("'{key}':"),
                        ];
                        if written.iter().any(|w| t.starts_with(w.as_str())) {
                            // Children are deeper than the key's column (after any `- `).
                            hit = Some((i, l.len() - t.len(), i + 1));
                        }
                    }
                    Segment::Index(n) if l.trim_start().starts_with("- ") => {
                        let col = indent(l);
                        if item_indent.is_none_or(|c| c == col) {
                            item_indent = Some(col);
                            if seen == n {
                                // The item's keys start on the dash's line, deeper than the dash.
                                hit = Some((i, col, i));
                            }
                            seen += 1;
                        }
                    }
                    Segment::Index(_) => {}
                }
            }
            if hit.is_some() {
                break;
            }
            i += 1;
        }
        let Some((line, col, next)) = hit else { break };
        found = Some(line + 1);
        start = next;
        parent = Some(col);
    }
    found
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// `steps[2].checks.json[0].path` → steps, 2, checks, json, 0, path.
fn path_segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        for index in rest.split('[') {
            if let Ok(n) = index.trim_end_matches(']').parse() {
                out.push(Segment::Index(n));
            }
        }
    }
    out
}

/// Serde messages may start with the field path and end with " at line L column C"; both are
/// reported separately.
fn strip_position(path: &str, message: &str) -> String {
    // The path the message starts with may be the parent of the reported one (`steps[0].checks:
    // unknown field …` for `steps[0].checks.colour`).
    let message = match message.split_once(": ") {
        Some((head, rest))
            if !head.contains(' ')
                && path
                    .strip_prefix(head)
                    .is_some_and(|r| r.is_empty() || r.starts_with(['.', '['])) =>
        {
            rest
        }
        _ => message,
    };
    let message = match message.find(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    let message = shorten_floats(message);
    // serde names Rust's integer types; a suite's author reads numbers.
    ["u64", "u32", "u16", "u8", "usize"]
        .iter()
        .fold(message, |m, t| {
            m.replace(
                &format!("expected {t}"),
                "expected a whole number (0 or more)",
            )
        })
}

/// serde writes a float it did not expect with every digit (`1e300` as 301 of them): such a number is
/// written back in scientific notation.
fn shorten_floats(message: &str) -> String {
    const FLOAT: &str = "floating point `";
    let Some(start) = message.find(FLOAT).map(|i| i + FLOAT.len()) else {
        return message.to_owned();
    };
    let Some(len) = message[start..].find('`') else {
        return message.to_owned();
    };
    let written = &message[start..start + len];
    match written.parse::<f64>() {
        Ok(value) if written.len() > 24 => {
            format!("{}{value:e}{}", &message[..start], &message[start + len..])
        }
        _ => message.to_owned(),
    }
}
