//! A run as a JUnit XML report: one test suite, one test case per step; steps a run never reached
//! are reported as skipped, and an error or an early end as the suite's `system-err`.

use crate::protocol::{RunSnapshot, RunStatus};

/// The run as a JUnit XML report: one test suite, one test case per step.
pub fn junit_xml(run: &RunSnapshot) -> String {
    let failures = run.steps.iter().filter(|s| !s.passed).count();
    let ended_early = matches!(run.status, RunStatus::Cancelled | RunStatus::Interrupted);
    let errors = usize::from(run.error.is_some() || ended_early);
    // Steps an API run never reached (stopped after a failure, cancelled, cut off) are reported as
    // skipped; a load run's steps are its thresholds, all present once it finishes.
    let is_load = run.load.is_some() || run.load_summary.is_some();
    let not_run = if is_load || !run.status.is_finished() {
        0..0
    } else {
        run.steps.len() as u32 + 1..run.total_steps + 1
    };
    let skipped = not_run.len();
    let tests = run.steps.len() + skipped;
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let total_ms = run
        .finished_at
        .zip(run.started_at)
        .map_or(0, |(f, s)| f.saturating_sub(s));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\">\n",
        seconds(total_ms)
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{}\" id=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\">\n",
        escape(&run.name),
        escape(&run.test_id),
        seconds(total_ms)
    ));
    for step in &run.steps {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
            escape(&run.name),
            escape(&format!("{}. {}", step.index, step.name)),
            seconds(step.duration_ms)
        ));
        if step.passed {
            out.push_str("/>\n");
        } else {
            let message = step.error.as_deref().unwrap_or("failed");
            // Every failed check, not only the first.
            let failed: Vec<&str> = step
                .checks
                .iter()
                .filter_map(|c| c.detail.as_deref())
                .collect();
            let text = if failed.is_empty() {
                message.to_owned()
            } else {
                failed.join("\n")
            };
            out.push_str(&format!(
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                escape(message),
                escape(&text)
            ));
        }
    }
    let why_not_run = match run.status {
        RunStatus::Cancelled => "the run was cancelled before this step",
        RunStatus::Interrupted => "the run was interrupted before this step",
        _ => "the run stopped after a failed step",
    };
    for index in not_run {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{index}. (not run)\" time=\"0.000\">\n      <skipped message=\"{why_not_run}\"/>\n    </testcase>\n",
            escape(&run.name),
        ));
    }
    let error = match (&run.error, run.status) {
        (Some(error), _) => Some(error.as_str()),
        (None, RunStatus::Cancelled) => Some("the run was cancelled"),
        (None, RunStatus::Interrupted) => Some("the run was interrupted (the server stopped)"),
        _ => None,
    };
    if let Some(error) = error {
        out.push_str(&format!("    <system-err>{}</system-err>\n", escape(error)));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes text for XML (and HTML) attributes and content.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CheckOutcome, StepResult};

    #[test]
    fn junit_counts_failures_and_escapes() {
        let mut run = RunSnapshot::queued("r1".into(), "e".into(), "A <b> & \"c\"".into(), 2);
        run.steps = vec![
            StepResult {
                index: 1,
                name: "GET /".into(),
                passed: true,
                status: Some(200),
                duration_ms: 12,
                error: None,
                captured: Default::default(),
                checks: Vec::new(),
            },
            StepResult {
                index: 2,
                name: "GET /x".into(),
                passed: false,
                status: Some(404),
                duration_ms: 3,
                error: Some("expected status 200, got 404 <\u{1}>".into()),
                captured: Default::default(),
                checks: Vec::new(),
            },
        ];
        let xml = junit_xml(&run);
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(xml.contains("name=\"A &lt;b&gt; &amp; &quot;c&quot;\""));
        assert!(xml.contains("<failure message=\"expected status 200, got 404 &lt;\u{fffd}&gt;\">"));
        assert!(xml.contains("<testcase classname=\"A &lt;b&gt; &amp; &quot;c&quot;\" name=\"1. GET /\" time=\"0.012\"/>"));
    }

    #[test]
    fn junit_lists_every_failed_check_and_the_steps_a_cancelled_run_never_reached() {
        let mut run = RunSnapshot::queued("r2".into(), "e".into(), "S".into(), 4);
        run.status = RunStatus::Cancelled;
        let check = |check: &str, detail: Option<&str>| CheckOutcome {
            check: check.into(),
            passed: detail.is_none(),
            detail: detail.map(Into::into),
        };
        run.steps = vec![StepResult {
            index: 1,
            name: "GET /".into(),
            passed: false,
            status: Some(500),
            duration_ms: 5,
            error: Some("expected status 200, got 500: boom".into()),
            captured: Default::default(),
            checks: vec![
                check("status 200", Some("expected status 200, got 500: boom")),
                check("latency ≤ 100 ms", None),
                check("$.id exists", Some("body is not JSON: boom")),
            ],
        }];
        let xml = junit_xml(&run);
        assert!(
            xml.contains("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"3\""),
            "{xml}"
        );
        assert!(
            xml.contains(">expected status 200, got 500: boom\nbody is not JSON: boom</failure>")
        );
        assert!(xml.contains("name=\"4. (not run)\""));
        assert_eq!(
            xml.matches("<skipped message=\"the run was cancelled before this step\"/>")
                .count(),
            3
        );
        assert!(xml.contains("<system-err>the run was cancelled</system-err>"));
    }
}
