//! The built-in tests: two demo suites against the app's own `/demo` API (one passes, one has a
//! deliberately wrong expectation) and the `synthetic` test, which emits progress events at a chosen rate
//! with no network I/O (for demos and the hub benchmark). The demo suites are written in the same suite
//! format users write (`docs/suites.md`) and parsed once, when the server starts; `${base}` and
//! `${delay_ms}` are set for each run.

use std::{collections::BTreeMap, sync::Arc};

use crate::{
    engine::{SuiteRun, Workload},
    protocol::api::{RunOptions, TestSummary},
    suite::{parse_suite, Suite},
};

/// One built-in test.
#[derive(Debug)]
pub struct BuiltIn {
    pub key: &'static str,
    pub name: String,
    pub description: &'static str,
    /// `None` for the synthetic test.
    suite: Option<Arc<Suite>>,
}

impl BuiltIn {
    /// What a run of it executes: the demo suites call the app's own demo API at `app_url`, as
    /// slowly as the options ask.
    pub fn workload(&self, app_url: &str, options: &RunOptions) -> Workload {
        match &self.suite {
            Some(suite) => Workload::Suite(SuiteRun {
                suite: suite.clone(),
                variables: BTreeMap::from([
                    ("base".to_owned(), app_url.to_owned()),
                    ("delay_ms".to_owned(), options.delay_ms.to_string()),
                ]),
                built_in: true,
            }),
            None => Workload::Synthetic,
        }
    }

    fn summary(&self) -> TestSummary {
        TestSummary {
            key: self.key.to_owned(),
            name: self.name.clone(),
            description: self.description.to_owned(),
            steps: self
                .suite
                .iter()
                .flat_map(|s| s.steps.iter().map(|step| step.display_name()))
                .collect(),
        }
    }
}

/// Every built-in test, parsed once.
#[derive(Debug)]
pub struct Catalog {
    tests: Vec<BuiltIn>,
    summaries: Vec<TestSummary>,
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

impl Catalog {
    pub fn new() -> Self {
        let ok = demo(false);
        let failing = demo(true);
        let tests = vec![
            BuiltIn {
                key: "demo",
                name: ok.name.clone(),
                description:
                    "Eight requests against the built-in demo API: health, create, list, read, \
                     update, a missing item, delete, health again.",
                suite: Some(Arc::new(ok)),
            },
            BuiltIn {
                key: "demo-failing",
                name: failing.name.clone(),
                description:
                    "The same requests, but step 6 expects 200 for an item that does not exist.",
                suite: Some(Arc::new(failing)),
            },
            BuiltIn {
                key: "synthetic",
                name: "Synthetic events".into(),
                description:
                    "Emits progress events at a chosen rate without any network I/O: a live demo \
                     of the hub, and the workload of its benchmark.",
                suite: None,
            },
        ];
        let summaries = tests.iter().map(BuiltIn::summary).collect();
        Self { tests, summaries }
    }

    pub fn find(&self, key: &str) -> Option<&BuiltIn> {
        self.tests.iter().find(|t| t.key == key)
    }

    /// The tests as the UI lists them.
    pub fn summaries(&self) -> &[TestSummary] {
        &self.summaries
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_suites_parse() {
        let catalog = super::Catalog::new();
        let all = catalog.summaries();
        assert_eq!(all[0].steps.len(), 8);
        assert_eq!(all[0].steps[2], "GET /demo/items");
        assert_eq!(all[1].name, "Demo API (one failing check)");
    }
}
