//! The built-in test definitions: two demo tests against the app's own `/demo` API (one passes, one has a
//! deliberately wrong expectation) and the `synthetic` test, which emits progress events at a chosen rate
//! with no network I/O (for demos and the hub benchmark). User-defined suites extend this later; the API
//! engine already takes any list of steps.

use axum::http::Method;

/// One HTTP request and the status it must answer with.
#[derive(Debug, Clone)]
pub struct Step {
    pub method: Method,
    /// Path on the target, e.g. `/demo/items`.
    pub path: &'static str,
    /// JSON body to send, if any.
    pub body: Option<&'static str>,
    pub expect_status: u16,
}

impl Step {
    /// How the UI names the step: "GET /demo/items".
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What a test does, and so which engine runs it.
#[derive(Debug, Clone)]
pub enum Kind {
    /// HTTP requests in order, each with a status check.
    Api(Vec<Step>),
    /// `events` progress events at `rate` per second (both chosen when starting, within these bounds).
    Synthetic,
}

/// A runnable test.
#[derive(Debug, Clone)]
pub struct TestDefinition {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub kind: Kind,
}

impl TestDefinition {
    /// The steps' names, for the UI.
    pub fn step_names(&self) -> Vec<String> {
        match &self.kind {
            Kind::Api(steps) => steps.iter().map(Step::name).collect(),
            Kind::Synthetic => Vec::new(),
        }
    }

    /// Steps a run of this test will report, given its options.
    pub fn total_steps(&self, options: &super::RunOptions) -> u32 {
        match &self.kind {
            Kind::Api(steps) => steps.len() as u32,
            Kind::Synthetic => options.events,
        }
    }
}

const fn step(
    method: Method,
    path: &'static str,
    body: Option<&'static str>,
    expect_status: u16,
) -> Step {
    Step {
        method,
        path,
        body,
        expect_status,
    }
}

fn demo_steps() -> Vec<Step> {
    vec![
        step(Method::GET, "/demo/health", None, 200),
        step(
            Method::POST,
            "/demo/items",
            Some(r#"{"name":"widget"}"#),
            201,
        ),
        step(Method::GET, "/demo/items", None, 200),
        step(Method::GET, "/demo/items/1", None, 200),
        step(
            Method::PUT,
            "/demo/items/1",
            Some(r#"{"name":"gadget"}"#),
            200,
        ),
        step(Method::GET, "/demo/items/999", None, 404),
        step(Method::DELETE, "/demo/items/1", None, 204),
        step(Method::GET, "/demo/health", None, 200),
    ]
}

/// Every test in the catalogue.
pub fn all() -> Vec<TestDefinition> {
    let mut failing = demo_steps();
    // Step 6 expects the missing item to exist, so the run fails there and shows a failed check.
    failing[5].expect_status = 200;
    vec![
        TestDefinition {
            key: "demo",
            name: "Demo API",
            description:
                "Eight requests against the built-in demo API: health, create, list, read, \
                          update, a missing item, delete, health again.",
            kind: Kind::Api(demo_steps()),
        },
        TestDefinition {
            key: "demo-failing",
            name: "Demo API (one failing check)",
            description:
                "The same requests, but step 6 expects 200 for an item that does not exist.",
            kind: Kind::Api(failing),
        },
        TestDefinition {
            key: "synthetic",
            name: "Synthetic events",
            description:
                "Emits progress events at a chosen rate without any network I/O: a live demo \
                          of the hub, and the workload of its benchmark.",
            kind: Kind::Synthetic,
        },
    ]
}

pub fn find(key: &str) -> Option<TestDefinition> {
    all().into_iter().find(|t| t.key == key)
}
