//! Tests of the HTML reports (`html.rs`).
use super::*;
use crate::protocol::{LoadSummary, ThresholdResult};

#[test]
fn a_report_is_self_contained_escaped_and_masks_secrets() {
    let mut run = RunSnapshot::queued("r1".into(), "e".into(), "Suite <x>".into(), 1);
    run.status = RunStatus::Failed;
    run.steps = vec![StepResult {
        index: 1,
        name: "GET /".into(),
        passed: false,
        status: Some(500),
        duration_ms: 12,
        error: Some("expected 200, got 500".into()),
        captured: [
            ("api_token".to_owned(), "s3cr3t".to_owned()),
            ("id".into(), "42".into()),
        ]
        .into_iter()
        .collect(),
        checks: Vec::new(),
    }];
    let html = html_report(&run, Lang::En);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(!html.contains("<script"));
    assert!(html.contains("Suite &lt;x&gt;"));
    assert!(html.contains("expected 200, got 500"));
    assert!(!html.contains("s3cr3t"));
    assert!(html.contains("<code>42</code>"));
}

#[test]
fn a_load_report_has_thresholds_and_charts() {
    let mut run = RunSnapshot::queued("r2".into(), "e".into(), "Load".into(), 1000);
    run.status = RunStatus::Completed;
    run.load_series = (0..5)
        .map(|i| LoadPoint {
            t_ms: i * 200,
            rps: 100.0 + i as f64,
            p95_ms: 3.0,
            ..LoadPoint::default()
        })
        .collect();
    run.load_summary = Some(Box::new(LoadSummary {
        thresholds: vec![ThresholdResult {
            threshold: "p95 < 200ms".into(),
            passed: true,
            actual: "3.00 ms".into(),
            chart: "latency".into(),
            limit: 200.0,
        }],
        ..LoadSummary::default()
    }));
    let html = html_report(&run, Lang::En);
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("class=\"limit\""));
    assert!(html.contains("p95 &lt; 200ms"));
    assert!(html.contains("<h2>Thresholds</h2>"));

    // In Chinese: every heading and label translated, the data (the threshold) as it is.
    let zh = html_report(&run, Lang::Zh);
    assert!(zh.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    for text in [
        "运行报告",
        "已完成",
        "负载",
        "阈值",
        "实测值",
        "随时间变化",
        "每秒请求数",
        "峰值",
    ] {
        assert!(zh.contains(text), "{text} in {zh}");
    }
    assert!(zh.contains("p95 &lt; 200ms"));
    let english = [
        "Run report",
        "Completed",
        "<h2>Load</h2>",
        "Thresholds",
        "Measured",
        "Over time",
        "Requests",
        "peak",
        "passed",
        "Errors",
    ];
    for text in english {
        assert!(!zh.contains(text), "{text} left in English: {zh}");
    }
}

#[test]
fn a_comparison_and_a_steps_report_speak_chinese_too() {
    let step = |index, passed| StepResult {
        index,
        name: format!("GET /{index}"),
        passed,
        status: Some(200),
        duration_ms: 10,
        error: None,
        captured: [("id".to_owned(), "7".to_owned())].into_iter().collect(),
        checks: Vec::new(),
    };
    let mut a = RunSnapshot::queued("a".into(), "e".into(), "API".into(), 3);
    a.status = RunStatus::Failed;
    a.steps = vec![step(1, true), step(2, false)];
    let mut b = a.clone();
    b.test_id = "b".into();
    b.status = RunStatus::Completed;
    b.steps.push(step(3, true));

    let report = html_report(&a, Lang::Zh);
    assert!(
        report.contains("3 个步骤中 1 个通过（1 个未运行）。"),
        "{report}"
    );
    assert!(report.contains("捕获的变量"));
    let english = [
        "steps passed",
        "not run",
        "Steps",
        "Captured",
        "Failed",
        "run <code>",
    ];
    for text in english {
        assert!(!report.contains(text), "{text} left in English: {report}");
    }

    let compared = html_comparison(&a, &b, Lang::Zh);
    for text in [
        "运行对比",
        "较早",
        "较晚",
        "状态",
        "失败",
        "已完成",
        "通过",
        "未运行",
        "用时差",
    ] {
        assert!(compared.contains(text), "{text} in {compared}");
    }
    for text in [
        "Earlier", "Later", "Status", "passed", "failed", "not run", "Steps",
    ] {
        assert!(
            !compared.contains(text),
            "{text} left in English: {compared}"
        );
    }
    assert!(html_comparison(&a, &b, Lang::En).contains("<th>Earlier <code>a</code></th>"));
}

#[test]
fn a_comparison_of_load_runs_pairs_thresholds_by_expression_with_their_measured_values() {
    let load_run = |id: &str, thresholds: Vec<(&str, bool, &str)>| {
        let mut run = RunSnapshot::queued(id.into(), "e".into(), "Load".into(), 1000);
        run.status = RunStatus::Completed;
        let thresholds: Vec<ThresholdResult> = thresholds
            .into_iter()
            .map(|(name, passed, actual)| ThresholdResult {
                threshold: name.into(),
                passed,
                actual: actual.into(),
                chart: String::new(),
                limit: 0.0,
            })
            .collect();
        // The engine also reports each threshold as a step, lasting the whole run.
        run.steps = thresholds
            .iter()
            .enumerate()
            .map(|(i, t)| StepResult {
                index: i as u32 + 1,
                name: t.threshold.clone(),
                passed: t.passed,
                status: None,
                duration_ms: 8000,
                error: None,
                captured: Default::default(),
                checks: Vec::new(),
            })
            .collect();
        run.load_summary = Some(Box::new(LoadSummary {
            thresholds,
            ..LoadSummary::default()
        }));
        run
    };
    let a = load_run(
        "a",
        vec![
            ("p95 < 200ms", true, "p95 = 3.10 ms"),
            ("error_rate < 1%", true, "error_rate = 0.00 %"),
        ],
    );
    let b = load_run(
        "b",
        vec![
            ("p95 < 1ms", false, "p95 = 2.90 ms"),
            ("p95 < 200ms", true, "p95 = 2.90 ms"),
        ],
    );
    let html = html_comparison(&a, &b, Lang::En);
    assert!(html.contains("<h2>Thresholds</h2>"), "{html}");
    assert!(
        html.contains(
            "<tr><td><code>p95 &lt; 200ms</code></td><td class=\"pass\">passed: p95 = 3.10 ms</td>\
             <td class=\"pass\">passed: p95 = 2.90 ms</td></tr>"
        ),
        "{html}"
    );
    assert!(html.contains(
        "<tr><td><code>p95 &lt; 1ms</code></td><td class=\"muted\">—</td>\
         <td class=\"fail\">failed: p95 = 2.90 ms</td></tr>"
    ));
    // Not listed again as steps, with the run's duration as if it were theirs.
    assert!(!html.contains("8000 ms"), "{html}");
    assert!(!html.contains("<h2>Steps</h2>"), "{html}");
}
