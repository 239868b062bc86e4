//! The built-in tests: two demo suites against the app's own `/demo` API (one passes, one has a
//! deliberately wrong expectation) and the `synthetic` test, which emits progress events at a chosen rate
//! with no network I/O (for demos and the hub benchmark). The demo suites are written in the same suite
//! format users write (`docs/suites.md`); `${base}` and `${delay_ms}` are supplied when a run starts.

use crate::suite::{parse_suite, Suite, SuiteError};

/// What a test does, and so which engine runs it.
#[derive(Debug, Clone)]
pub enum Kind {
    /// HTTP requests in order, with checks and captures.
    Api(Box<Suite>),
    /// `events` progress events at `rate` per second (both chosen when starting).
    Synthetic,
}

/// A runnable test.
#[derive(Debug, Clone)]
pub struct TestDefinition {
    pub key: &'static str,
    pub name: String,
    pub description: &'static str,
    pub kind: Kind,
    /// For a user's suite: what exactly ran, kept with the run so it can be restarted and compared.
    pub source: Option<RunSource>,
}

/// The suite text a run executed, the stored suite and version it came from (if stored) and the
/// environment chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSource {
    pub suite_id: Option<i64>,
    pub suite_version: Option<i64>,
    pub text: String,
    pub environment: Option<String>,
}

impl RunSource {
    /// The runnable definition: the text parsed and validated, in the chosen environment.
    pub fn definition(self) -> Result<TestDefinition, Vec<SuiteError>> {
        let mut suite = parse_suite(&self.text)?;
        if let Some(env) = self.environment.as_deref().filter(|e| !e.is_empty()) {
            suite = suite.in_environment(env).map_err(|message| {
                vec![SuiteError {
                    path: "environments".into(),
                    line: None,
                    message,
                }]
            })?;
        }
        let name = match &self.environment {
            Some(env) if !env.is_empty() => format!("{} ({env})", suite.name),
            _ => suite.name.clone(),
        };
        Ok(TestDefinition {
            key: "suite",
            name,
            description: "",
            kind: Kind::Api(Box::new(suite)),
            source: Some(self),
        })
    }
}

impl TestDefinition {
    /// The steps' names, for the UI.
    pub fn step_names(&self) -> Vec<String> {
        match &self.kind {
            Kind::Api(suite) => suite.steps.iter().map(|s| s.display_name()).collect(),
            Kind::Synthetic => Vec::new(),
        }
    }

    /// Steps a run of this test will report, given its options.
    pub fn total_steps(&self, options: &super::RunOptions) -> u32 {
        match &self.kind {
            // A load run reports how far it is in thousandths.
            Kind::Api(suite) if suite.load.is_some() => 1000,
            Kind::Api(suite) => suite.steps.len() as u32,
            Kind::Synthetic => options.events,
        }
    }
}

/// The demo suite. Step 6 expects 404 for an item that does not exist.
const DEMO: &str = include_str!("demo_suite.yaml");

fn demo(failing: bool) -> Suite {
    let text = if failing {
        // The same requests, but step 6 expects the missing item to exist.
        DEMO.replace("name: Demo API", "name: Demo API (one failing check)")
            .replace(
                "status: 404 # missing",
                "status: 200 # wrongly expects the missing item",
            )
    } else {
        DEMO.to_owned()
    };
    // The text is part of the binary and covered by a test: it always parses.
    parse_suite(&text).unwrap_or_else(|errors| panic!("built-in demo suite: {errors:?}"))
}

/// Every test in the catalogue.
pub fn all() -> Vec<TestDefinition> {
    let ok = demo(false);
    let failing = demo(true);
    vec![
        TestDefinition {
            key: "demo",
            name: ok.name.clone(),
            description:
                "Eight requests against the built-in demo API: health, create, list, read, \
                          update, a missing item, delete, health again.",
            kind: Kind::Api(Box::new(ok)),
            source: None,
        },
        TestDefinition {
            key: "demo-failing",
            name: failing.name.clone(),
            description:
                "The same requests, but step 6 expects 200 for an item that does not exist.",
            kind: Kind::Api(Box::new(failing)),
            source: None,
        },
        TestDefinition {
            key: "synthetic",
            name: "Synthetic events".into(),
            description:
                "Emits progress events at a chosen rate without any network I/O: a live demo \
                          of the hub, and the workload of its benchmark.",
            kind: Kind::Synthetic,
            source: None,
        },
    ]
}

pub fn find(key: &str) -> Option<TestDefinition> {
    all().into_iter().find(|t| t.key == key)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_suites_parse() {
        let all = super::all();
        assert_eq!(all[0].step_names().len(), 8);
        assert_eq!(all[0].step_names()[2], "GET /demo/items");
        assert_eq!(all[1].name, "Demo API (one failing check)");
    }
}
