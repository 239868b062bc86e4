//! The semantic rules a suite must pass before it is accepted (serde already checked its shape): step
//! count, methods, URLs, timeouts, checks, captures, variables, load settings and thresholds.

use std::collections::BTreeSet;

use super::{
    compile_json_schema, compile_regex, json_strings, parse_duration, resolve_variables,
    template_vars, CaptureDef, Checks, JsonCheck, LoadDef, StatusCheck, StepDef, Suite,
    TemplateError, TextMatch, Threshold,
};
use crate::protocol::api::SuiteProblem;

const MAX_STEPS: usize = 500;
const MAX_TIMEOUT_MS: u64 = 120_000;
/// A data-driven run without `load` reports every step of every row: this many at most.
const MAX_DATA_STEPS: usize = 10_000;
/// The HTTP methods a step may send.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fn error(path: impl Into<String>, message: impl Into<String>) -> SuiteProblem {
    SuiteProblem::new(path, message)
}

/// Every semantic rule; serde already checked the shape.
pub fn validate(suite: &Suite) -> Vec<SuiteProblem> {
    let mut errors = Vec::new();
    if suite.name.trim().is_empty() {
        errors.push(error("name", "must not be empty"));
    }
    if suite.steps.is_empty() {
        errors.push(error("steps", "a suite needs at least one step"));
    }
    if suite.steps.len() > MAX_STEPS {
        errors.push(error("steps", format!("at most {MAX_STEPS} steps")));
    }
    // Variables known so far: the suite's own, then each step's captures for the steps after it.
    let mut known: BTreeSet<String> = suite.variables.keys().cloned().collect();
    for (name, value) in &suite.variables {
        check_template(&mut errors, &format!("variables.{name}"), value, &known);
    }
    for (env, values) in &suite.environments {
        for (name, value) in values {
            let at = format!("environments.{env}.{name}");
            if !suite.variables.contains_key(name) {
                errors.push(error(
                    &at,
                    "an environment sets variables declared in `variables` (declare it there with a default)",
                ));
            }
            check_template(&mut errors, &at, value, &known);
        }
    }
    // Unknown names and bad syntax are reported where they are written (check_template); what only
    // resolving shows is reported on the variable: cycles, and values too large.
    let resolving = |e: &TemplateError| {
        matches!(
            e,
            TemplateError::Cycle(_)
                | TemplateError::TooLarge(_)
                | TemplateError::TooLargeTogether(_)
        )
    };
    if let Err((name, e)) = resolve_variables(&suite.variables) {
        if resolving(&e) {
            errors.push(error(format!("variables.{name}"), e.to_string()));
        }
    }
    for (env, values) in &suite.environments {
        let mut vars = suite.variables.clone();
        vars.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Err((_, e)) = resolve_variables(&vars) {
            if resolving(&e) {
                errors.push(error(format!("environments.{env}"), e.to_string()));
            }
        }
    }
    if let Some(data) = &suite.data {
        match data.rows() {
            Ok(rows) => {
                if suite.load.is_none() && rows.len() * suite.steps.len() > MAX_DATA_STEPS {
                    errors.push(error(
                        "data",
                        format!(
                            "without `load` every step runs once per row: at most \
                             {MAX_DATA_STEPS} steps in all (here {} rows × {} steps)",
                            rows.len(),
                            suite.steps.len()
                        ),
                    ));
                }
                known.extend(rows.columns);
            }
            Err((at, message)) => errors.push(error(at, message)),
        }
    }
    for (i, step) in suite.steps.iter().enumerate() {
        validate_step(&mut errors, &format!("steps[{i}]"), step, &known);
        known.extend(step.capture.keys().cloned());
    }
    if let Some(load) = &suite.load {
        validate_load(&mut errors, load);
    }
    errors
}

fn validate_load(errors: &mut Vec<SuiteProblem>, load: &LoadDef) {
    let open = load.arrival_rate.is_some();
    let users = load.max_users();
    if users == 0 || users > LoadDef::MAX_USERS {
        let message = match (open, load.stages.is_empty()) {
            (true, _) => format!(
                "the open model (`arrival_rate`) needs `users`: how many iterations may be in \
                 flight at once, between 1 and {}",
                LoadDef::MAX_USERS
            ),
            (false, false) if load.users == 0 => format!(
                "the stages must reach between 1 and {} users",
                LoadDef::MAX_USERS
            ),
            _ => format!("must be between 1 and {}", LoadDef::MAX_USERS),
        };
        errors.push(error("load.users", message));
    }
    if let Some(rate) = load.arrival_rate {
        let least = if load.stages.is_empty() {
            "more than 0"
        } else {
            "0 or more"
        };
        let valid = rate.is_finite()
            && rate <= LoadDef::MAX_ARRIVAL_RATE
            && (rate > 0.0 || (rate == 0.0 && !load.stages.is_empty()));
        if !valid {
            errors.push(error(
                "load.arrival_rate",
                format!(
                    "iterations per second: {least} and at most {}",
                    LoadDef::MAX_ARRIVAL_RATE
                ),
            ));
        }
        if load.ramp_up.is_some() {
            errors.push(error(
                "load.ramp_up",
                "the open model ramps its rate with `stages`, not `ramp_up`",
            ));
        }
    }
    validate_stages(errors, load);
    if load.duration.is_none() && load.iterations.is_none() && load.stages.is_empty() {
        errors.push(error(
            "load",
            "give `duration`, `iterations`, `stages`, or more than one",
        ));
    }
    if let Some(d) = &load.duration {
        match parse_duration(d) {
            Ok(d) if d.is_zero() || d > LoadDef::MAX_DURATION => errors.push(error(
                "load.duration",
                format!(
                    "must be more than 0 and at most {} s",
                    LoadDef::MAX_DURATION.as_secs()
                ),
            )),
            Ok(_) => {}
            Err(e) => errors.push(error("load.duration", e)),
        }
    }
    if let Some(n) = load.iterations {
        if n == 0 || n > LoadDef::MAX_ITERATIONS {
            errors.push(error(
                "load.iterations",
                format!("must be between 1 and {}", LoadDef::MAX_ITERATIONS),
            ));
        }
    }
    if let Some(r) = &load.ramp_up {
        match parse_duration(r) {
            Ok(r) if r > LoadDef::MAX_DURATION => {
                errors.push(error("load.ramp_up", "must be at most 1 h"))
            }
            Ok(_) => {}
            Err(e) => errors.push(error("load.ramp_up", e)),
        }
    }
    for (i, t) in load.thresholds.iter().enumerate() {
        if let Err(e) = Threshold::parse(t) {
            errors.push(error(format!("load.thresholds[{i}]"), e));
        }
    }
}

fn validate_stages(errors: &mut Vec<SuiteProblem>, load: &LoadDef) {
    if load.stages.is_empty() {
        return;
    }
    if load.stages.len() > LoadDef::MAX_STAGES {
        errors.push(error(
            "load.stages",
            format!("at most {} stages", LoadDef::MAX_STAGES),
        ));
    }
    if load.duration.is_some() {
        errors.push(error(
            "load.duration",
            "with `stages` the run lasts as long as they do: leave `duration` out",
        ));
    }
    if load.ramp_up.is_some() && load.arrival_rate.is_none() {
        errors.push(error(
            "load.ramp_up",
            "`stages` ramp the users: leave `ramp_up` out",
        ));
    }
    let (most, unit) = match load.arrival_rate {
        Some(_) => (LoadDef::MAX_ARRIVAL_RATE, "iterations per second"),
        None => (f64::from(LoadDef::MAX_USERS), "users"),
    };
    let mut total = std::time::Duration::ZERO;
    for (i, stage) in load.stages.iter().enumerate() {
        let at = format!("load.stages[{i}]");
        match parse_duration(&stage.duration) {
            Ok(d) if d.is_zero() => {
                errors.push(error(format!("{at}.duration"), "must be more than 0"))
            }
            Ok(d) => total += d,
            Err(e) => errors.push(error(format!("{at}.duration"), e)),
        }
        if !(stage.target.is_finite() && (0.0..=most).contains(&stage.target)) {
            errors.push(error(
                format!("{at}.target"),
                format!("{unit}: between 0 and {most}"),
            ));
        }
    }
    if total > LoadDef::MAX_DURATION {
        errors.push(error(
            "load.stages",
            format!("together at most {} s", LoadDef::MAX_DURATION.as_secs()),
        ));
    }
    if load.users > 0 && load.arrival_rate.is_none() {
        if let Some(most) = load.stages.iter().map(|s| s.target).reduce(f64::max) {
            if most > f64::from(load.users) {
                errors.push(error(
                    "load.users",
                    format!(
                        "a stage targets {most} users, more than `users` ({})",
                        load.users
                    ),
                ));
            }
        }
    }
}

fn validate_step(
    errors: &mut Vec<SuiteProblem>,
    at: &str,
    step: &StepDef,
    known: &BTreeSet<String>,
) {
    if !METHODS.contains(&step.method.to_uppercase().as_str()) {
        errors.push(error(
            format!("{at}.method"),
            format!("`{}` is not one of {}", step.method, METHODS.join(", ")),
        ));
    }
    if check_template(errors, &format!("{at}.url"), &step.url, known) {
        // Every variable replaced by a plain word, the URL must be an absolute http(s) URL.
        let sample = step.url.replace("${", "").replace('}', "");
        match reqwest::Url::parse(&sample) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            Ok(url) => errors.push(error(
                format!("{at}.url"),
                format!("scheme `{}` is not http or https", url.scheme()),
            )),
            Err(e) if !step.url.starts_with("${") => {
                errors.push(error(format!("{at}.url"), format!("not a URL: {e}")))
            }
            Err(_) => {}
        }
    }
    for (name, value) in &step.headers {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            errors.push(error(
                format!("{at}.headers.{name}"),
                "not a valid header name",
            ));
        }
        check_template(errors, &format!("{at}.headers.{name}"), value, known);
    }
    if let Some(body) = &step.body {
        match (&body.json, &body.text) {
            (Some(json), None) => {
                let mut strings = Vec::new();
                json_strings(json, &mut strings);
                for text in strings.iter().filter(|s| s.contains('$')) {
                    check_template(errors, &format!("{at}.body.json"), text, known);
                }
            }
            (None, Some(text)) => {
                check_template(errors, &format!("{at}.body.text"), text, known);
            }
            _ => errors.push(error(
                format!("{at}.body"),
                "give exactly one of `json`, `text`",
            )),
        }
    }
    if let Some(ms) = step.timeout_ms {
        if ms == 0 || ms > MAX_TIMEOUT_MS {
            errors.push(error(
                format!("{at}.timeout_ms"),
                format!("must be between 1 and {MAX_TIMEOUT_MS}"),
            ));
        }
    }
    validate_checks(errors, &format!("{at}.checks"), &step.checks);
    for (name, capture) in &step.capture {
        let path = format!("{at}.capture.{name}");
        if template_vars(&format!("${{{name}}}")).is_err() {
            errors.push(error(
                &path,
                "a variable name is letters, digits, `_`, `-` or `.`",
            ));
        }
        match capture {
            CaptureDef {
                json: Some(p),
                header: None,
                regex: None,
            } => check_jsonpath(errors, &path, p),
            CaptureDef {
                json: None,
                header: Some(h),
                regex: None,
            } => {
                if reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() {
                    errors.push(error(&path, "not a valid header name"));
                }
            }
            CaptureDef {
                json: None,
                header: None,
                regex: Some(r),
            } => match regex::Regex::new(r) {
                Ok(re) if re.captures_len() >= 2 => {}
                Ok(_) => errors.push(error(&path, "the regex needs a group: `id=(\\d+)`")),
                Err(e) => errors.push(error(&path, format!("invalid regex: {e}"))),
            },
            _ => errors.push(error(
                &path,
                "give exactly one of `json`, `header`, `regex`",
            )),
        }
    }
}

fn validate_checks(errors: &mut Vec<SuiteProblem>, at: &str, checks: &Checks) {
    if let Some(status) = &checks.status {
        let path = format!("{at}.status");
        let valid_code = |s: u16| (100..=599).contains(&s);
        match status {
            StatusCheck::Exact(s) if !valid_code(*s) => {
                errors.push(error(&path, format!("{s} is not an HTTP status (100–599)")))
            }
            StatusCheck::Set(set) if set.is_empty() || !set.iter().all(|s| valid_code(*s)) => {
                errors.push(error(
                    &path,
                    "a list of HTTP statuses (100–599), at least one",
                ))
            }
            StatusCheck::Class(c) if !is_status_class(c) => errors.push(error(
                &path,
                format!("`{c}` is not a status class like \"2xx\""),
            )),
            StatusCheck::Range { min, max }
                if !(valid_code(*min) && valid_code(*max) && min <= max) =>
            {
                errors.push(error(&path, "a range needs 100 ≤ min ≤ max ≤ 599"))
            }
            _ => {}
        }
    }
    for (name, expect) in &checks.headers {
        check_text_match(errors, &format!("{at}.headers.{name}"), expect);
    }
    for (i, check) in checks.json.iter().enumerate() {
        validate_json_check(errors, &format!("{at}.json[{i}]"), check);
    }
    if let Some(re) = &checks.body_regex {
        check_regex(errors, &format!("{at}.body_regex"), re);
    }
    if let Some(schema) = &checks.json_schema {
        if let Err(e) = compile_json_schema(schema) {
            errors.push(error(
                format!("{at}.json_schema"),
                format!("invalid JSON schema: {e}"),
            ));
        }
    }
    if checks.max_latency_ms == Some(0) {
        errors.push(error(format!("{at}.max_latency_ms"), "must be at least 1"));
    }
}

fn validate_json_check(errors: &mut Vec<SuiteProblem>, at: &str, check: &JsonCheck) {
    check_jsonpath(errors, &format!("{at}.path"), &check.path);
    let expectations = [
        check.equals.is_some(),
        check.exists.is_some(),
        check.matches.is_some(),
        check.kind.is_some(),
    ];
    if expectations.iter().filter(|e| **e).count() != 1 {
        errors.push(error(
            at,
            "give exactly one of `equals`, `exists`, `matches`, `type`",
        ));
    }
    if let Some(re) = &check.matches {
        check_regex(errors, &format!("{at}.matches"), re);
    }
}

fn check_text_match(errors: &mut Vec<SuiteProblem>, at: &str, m: &TextMatch) {
    match (&m.equals, &m.matches) {
        (Some(_), None) => {}
        (None, Some(re)) => check_regex(errors, &format!("{at}.matches"), re),
        _ => errors.push(error(at, "give exactly one of `equals`, `matches`")),
    }
}

fn check_regex(errors: &mut Vec<SuiteProblem>, at: &str, re: &str) {
    if let Err(e) = compile_regex(re) {
        errors.push(error(at, format!("invalid regex: {e}")));
    }
}

fn check_jsonpath(errors: &mut Vec<SuiteProblem>, at: &str, path: &str) {
    if let Err(e) = serde_json_path::JsonPath::parse(path) {
        errors.push(error(at, format!("invalid JSONPath: {e}")));
    }
}

/// Checks a template's syntax and that every variable it uses is known; returns whether it is valid.
fn check_template(
    errors: &mut Vec<SuiteProblem>,
    at: &str,
    template: &str,
    known: &BTreeSet<String>,
) -> bool {
    match template_vars(template) {
        Ok(vars) => {
            let unknown: Vec<_> = vars.iter().filter(|v| !known.contains(*v)).collect();
            for v in &unknown {
                errors.push(error(
                    at,
                    TemplateError::Unknown((*v).clone()).to_string()
                        + " (define it in `variables` or capture it in an earlier step)",
                ));
            }
            unknown.is_empty()
        }
        Err(e) => {
            errors.push(error(at, e.to_string()));
            false
        }
    }
}

fn is_status_class(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b[1..].eq_ignore_ascii_case(b"xx")
}

#[cfg(test)]
mod tests;
