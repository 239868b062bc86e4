//! [`SuiteSource`]: the exact suite text a run executes, where it came from and the environment chosen.
//! It is stored with the run, so the run can be restarted with the same text and compared with others.

use std::collections::BTreeMap;

use super::{parse_suite, Suite};
use crate::protocol::api::SuiteProblem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteSource {
    /// The stored suite and version it came from; `None` for a text sent with the request.
    pub suite_id: Option<i64>,
    pub suite_version: Option<i64>,
    pub text: String,
    /// One of the suite's `environments`, if chosen.
    pub environment: Option<String>,
    /// Values given when the run started (REST API, CLI), over the suite's and the environment's.
    pub variables: BTreeMap<String, String>,
}

/// A source parsed: the suite, the variables its environment and the caller set, and the name its
/// runs show.
#[derive(Debug, Clone)]
pub struct ParsedSource {
    pub suite: Suite,
    pub environment_variables: BTreeMap<String, String>,
    pub run_name: String,
}

impl SuiteSource {
    /// The text parsed and validated, in the chosen environment.
    pub fn parse(&self) -> Result<ParsedSource, Vec<SuiteProblem>> {
        let suite = parse_suite(&self.text)?;
        let (mut environment_variables, run_name) = match self.environment() {
            Some(env) => {
                let values = suite
                    .environment(env)
                    .map_err(|message| vec![SuiteProblem::new("environments", message)])?
                    .clone();
                (values, format!("{} ({env})", suite.name))
            }
            None => (BTreeMap::new(), suite.name.clone()),
        };
        environment_variables.extend(self.variables.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(ParsedSource {
            suite,
            environment_variables,
            run_name,
        })
    }

    /// The chosen environment; an empty name means none.
    pub fn environment(&self) -> Option<&str> {
        self.environment.as_deref().filter(|e| !e.is_empty())
    }
}
