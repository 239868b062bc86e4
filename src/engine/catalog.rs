//! The built-in test definitions: two demo tests against the app's own `/demo` API, one that passes and
//! one with a deliberately wrong expectation. User-defined suites replace this catalogue later; the
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

/// A runnable test.
#[derive(Debug, Clone)]
pub struct TestDefinition {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub steps: Vec<Step>,
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
            steps: demo_steps(),
        },
        TestDefinition {
            key: "demo-failing",
            name: "Demo API (one failing check)",
            description:
                "The same requests, but step 6 expects 200 for an item that does not exist.",
            steps: failing,
        },
    ]
}

pub fn find(key: &str) -> Option<TestDefinition> {
    all().into_iter().find(|t| t.key == key)
}
