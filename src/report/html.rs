//! A run as one self-contained HTML file to hand around: inline CSS, SVG charts, no script. The
//! summary, every step with its checks and failures, the variables it captured (secret-looking ones
//! masked), and for a load run its figures, thresholds and charts of throughput, p95 latency and
//! errors over time. Also a report comparing two runs.

use std::fmt::Write;

use super::junit::escape;
use crate::{
    i18n::{Lang, Msg},
    protocol::{pair_thresholds, LoadPoint, RunSnapshot, RunStatus, StepResult, ThresholdResult},
};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d1d9e0;vertical-align:top}\
.pass{color:#1a7f37}.fail{color:#cf222e}.muted{color:#59636e}code{background:#eff2f5;padding:0 .2rem}\
dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(9rem,1fr));gap:.5rem}dt{color:#59636e;font-size:.85rem}\
dd{margin:0;font-weight:600}svg{width:100%;height:auto;background:#f6f8fa}.axis{stroke:#59636e}\
.limit{stroke:#cf222e;stroke-dasharray:4 3}text{font-size:9px;fill:#59636e}";

/// Names of captured variables whose values are not shown.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "key",
        "auth",
        "cookie",
        "session",
        "credential",
    ]
    .iter()
    .any(|s| name.contains(s))
}

fn status_class(status: RunStatus) -> &'static str {
    if status == RunStatus::Completed {
        "pass"
    } else {
        "fail"
    }
}

fn duration_ms(run: &RunSnapshot) -> Option<u64> {
    run.finished_at
        .zip(run.started_at)
        .map(|(f, s)| f.saturating_sub(s))
}

/// The report of one run, in `lang`.
pub fn html_report(run: &RunSnapshot, lang: Lang) -> String {
    let t = |m| lang.t(m);
    let name = lang.run_name(&run.name);
    let mut out = page_start(lang, &format!("{}: {}", t(Msg::ReportTitle), name));
    let _ = write!(
        out,
        "<h1>{}</h1><p><strong class=\"{}\">{}</strong> · {} <code>{}</code>{}</p>",
        escape(&name),
        status_class(run.status),
        lang.status(run.status),
        t(Msg::ReportRun),
        escape(&run.test_id),
        duration_ms(run)
            .map(|ms| format!(" · {}", lang.report_took(ms as f64 / 1000.0)))
            .unwrap_or_default()
    );
    if let Some(error) = &run.error {
        let _ = write!(
            out,
            "<p class=\"fail\">{}</p>",
            escape(&lang.say_step(error))
        );
    }
    let passed = run.steps.iter().filter(|s| s.passed).count();
    if let Some(load) = &run.load_summary {
        let _ = write!(
            out,
            "<h2>{}</h2><dl><div><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div>\
             <div><dt>{}</dt><dd>{:.1}</dd></div><div><dt>{}</dt><dd>{} ({:.2} %)</dd></div>\
             <div><dt>p50</dt><dd>{:.2} ms</dd></div><div><dt>p90</dt><dd>{:.2} ms</dd></div>\
             <div><dt>p95</dt><dd>{:.2} ms</dd></div><div><dt>p99</dt><dd>{:.2} ms</dd></div>\
             <div><dt>{}</dt><dd>{:.2} ms</dd></div></dl>",
            t(Msg::ReportLoad),
            t(Msg::LoadUsers),
            load.users,
            t(Msg::Requests),
            load.requests,
            t(Msg::RpsWhole),
            load.rps,
            t(Msg::Errors),
            load.errors,
            load.error_rate * 100.0,
            load.p50_ms,
            load.p90_ms,
            load.p95_ms,
            load.p99_ms,
            t(Msg::Max),
            load.max_ms
        );
        let _ = write!(
            out,
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            t(Msg::Thresholds),
            t(Msg::Threshold),
            t(Msg::Measured),
            t(Msg::Result)
        );
        for t in &load.thresholds {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"{}\">{}</td></tr>",
                escape(&t.threshold),
                escape(&t.actual),
                if t.passed { "pass" } else { "fail" },
                lang.t(if t.passed { Msg::Passed } else { Msg::Failed })
            );
        }
        out.push_str("</table>");
        let limits = |chart: &str| -> Vec<(String, f64)> {
            load.thresholds
                .iter()
                .filter(|t| t.chart == chart)
                .map(|t| (t.threshold.clone(), t.limit))
                .collect()
        };
        let _ = write!(out, "<h2>{}</h2>", t(Msg::ReportOverTime));
        out.push_str(&chart(
            lang,
            t(Msg::ChartRps),
            " req/s",
            &run.load_series,
            |p| p.rps,
            &limits("rps"),
        ));
        out.push_str(&chart(
            lang,
            t(Msg::ChartP95),
            " ms",
            &run.load_series,
            |p| p.p95_ms,
            &limits("latency"),
        ));
        out.push_str(&chart(
            lang,
            t(Msg::ReportErrorsSoFar),
            "",
            &run.load_series,
            |p| p.errors as f64,
            &[],
        ));
        if !load.errors_by_kind.is_empty() {
            let _ = write!(out, "<h2>{}</h2><table>", t(Msg::ReportErrorsByKind));
            for (kind, n) in &load.errors_by_kind {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{n}</td></tr>",
                    escape(&lang.error_kind(kind))
                );
            }
            out.push_str("</table>");
        }
    } else {
        let not_run = (run.total_steps as usize).saturating_sub(run.steps.len());
        let _ = write!(
            out,
            "<p>{}</p><h2>{}</h2>",
            lang.report_steps_passed(passed, run.total_steps as usize, not_run),
            t(Msg::ReportSteps)
        );
        for step in &run.steps {
            step_section(&mut out, step, lang);
        }
    }
    out.push_str("</body></html>\n");
    out
}

fn step_section(out: &mut String, step: &StepResult, lang: Lang) {
    let _ = write!(
        out,
        "<h3 class=\"{}\">{}. {} — {}{} ms</h3>",
        if step.passed { "pass" } else { "fail" },
        step.index,
        escape(&lang.step_name(&step.name)),
        step.status.map(|s| format!("{s}, ")).unwrap_or_default(),
        step.duration_ms
    );
    if let Some(error) = &step.error {
        let _ = write!(
            out,
            "<p class=\"fail\">{}</p>",
            escape(&lang.say_step(error))
        );
    }
    if !step.checks.is_empty() {
        let _ = write!(
            out,
            "<table><tr><th>{}</th><th>{}</th></tr>",
            lang.t(Msg::Check),
            lang.t(Msg::Result)
        );
        for c in &step.checks {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td class=\"{}\">{}</td></tr>",
                escape(&lang.say_step(&c.check)),
                if c.passed { "pass" } else { "fail" },
                c.detail.as_deref().map_or_else(
                    || lang.t(Msg::Passed).to_owned(),
                    |d| escape(&lang.say_step(d))
                )
            );
        }
        out.push_str("</table>");
    }
    if !step.captured.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}: ", lang.t(Msg::ReportCaptured));
        let vars: Vec<String> = step
            .captured
            .iter()
            .map(|(k, v)| {
                let shown = if is_secret(k) {
                    "••••••".to_owned()
                } else {
                    escape(v)
                };
                format!("<code>{}</code> = <code>{shown}</code>", escape(k))
            })
            .collect();
        out.push_str(&vars.join(", "));
        out.push_str("</p>");
    }
}

fn page_start(lang: Lang, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body>",
        lang.html_lang(),
        escape(title)
    )
}

/// An SVG line chart with its axes, its peak, and threshold lines.
fn chart(
    lang: Lang,
    title: &str,
    unit: &str,
    points: &[LoadPoint],
    pick: fn(&LoadPoint) -> f64,
    limits: &[(String, f64)],
) -> String {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    const LEFT: f64 = 60.0;
    const BOTTOM: f64 = 18.0;
    let (plot_w, plot_h) = (W - LEFT - 6.0, H - BOTTOM - 8.0);
    let t_max = points.last().map_or(1, |p| p.t_ms.max(1)) as f64;
    let peak = points.iter().map(pick).fold(0.0, f64::max);
    let top = peak
        .max(limits.iter().map(|l| l.1).fold(0.0, f64::max))
        .max(1e-9)
        * 1.1;
    let x = |t: f64| LEFT + t / t_max * plot_w;
    let y = |v: f64| 8.0 + plot_h - v / top * plot_h;
    let line: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.t_ms as f64), y(pick(p))))
        .collect();
    let mut svg = format!(
        "<figure><figcaption>{} ({} {peak:.1}{unit})</figcaption><svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">\
         <line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"8\" y2=\"{}\"/><line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\
         <text x=\"{}\" y=\"14\" text-anchor=\"end\">{top:.0}{unit}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>\
         <text x=\"{LEFT}\" y=\"{}\">0 s</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.1} s</text>",
        escape(title),
        lang.t(Msg::ReportPeak),
        escape(title),
        H - BOTTOM,
        W - 6.0,
        H - BOTTOM,
        H - BOTTOM,
        LEFT - 4.0,
        LEFT - 4.0,
        H - BOTTOM,
        H - 4.0,
        W - 6.0,
        H - 4.0,
        t_max / 1000.0
    );
    for (label, value) in limits {
        let at = y(*value);
        let _ = write!(
            svg,
            "<line class=\"limit\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{at:.1}\" y2=\"{at:.1}\"><title>{}</title></line>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - 6.0,
            escape(label),
            W - 8.0,
            at - 2.0,
            escape(label)
        );
    }
    let _ = write!(
        svg,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"1.5\"/></svg></figure>",
        line.join(" ")
    );
    svg
}

/// Two runs side by side: status, duration, each step's result and duration, load figures.
pub fn html_comparison(a: &RunSnapshot, b: &RunSnapshot, lang: Lang) -> String {
    let t = |m| lang.t(m);
    let mut out = page_start(
        lang,
        &format!(
            "{}: {} / {}",
            t(Msg::ReportComparison),
            lang.run_name(&a.name),
            lang.run_name(&b.name)
        ),
    );
    let _ = write!(
        out,
        "<h1>{} → {}</h1>",
        escape(&lang.run_name(&a.name)),
        escape(&lang.run_name(&b.name))
    );
    let ms = |r: &RunSnapshot| duration_ms(r).map_or("—".into(), |ms| format!("{ms} ms"));
    let _ = write!(
        out,
        "<table><tr><th></th><th>{} <code>{}</code></th><th>{} <code>{}</code></th></tr>\
         <tr><td>{}</td><td class=\"{}\">{}</td><td class=\"{}\">{}</td></tr>\
         <tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        t(Msg::ReportEarlier),
        escape(&a.test_id),
        t(Msg::ReportLater),
        escape(&b.test_id),
        t(Msg::Status),
        status_class(a.status),
        lang.status(a.status),
        status_class(b.status),
        lang.status(b.status),
        t(Msg::Took),
        ms(a),
        ms(b)
    );
    if let (Some(la), Some(lb)) = (&a.load_summary, &b.load_summary) {
        for (name, va, vb) in [
            (t(Msg::RequestsPerSecondShort), la.rps, lb.rps),
            ("p95 ms", la.p95_ms, lb.p95_ms),
            ("p99 ms", la.p99_ms, lb.p99_ms),
            (
                t(Msg::ReportErrorRate),
                la.error_rate * 100.0,
                lb.error_rate * 100.0,
            ),
        ] {
            let _ = write!(
                out,
                "<tr><td>{name}</td><td>{va:.2}</td><td>{vb:.2}</td></tr>"
            );
        }
    }
    out.push_str("</table>");
    let pairs = pair_thresholds(a.thresholds(), b.thresholds());
    if !pairs.is_empty() {
        let _ = write!(
            out,
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            t(Msg::Thresholds),
            t(Msg::Threshold),
            t(Msg::ReportEarlier),
            t(Msg::ReportLater)
        );
        let cell = |th: Option<&ThresholdResult>| match th {
            Some(th) => format!(
                "<td class=\"{}\">{}: {}</td>",
                if th.passed { "pass" } else { "fail" },
                t(if th.passed { Msg::Passed } else { Msg::Failed }),
                escape(&th.actual)
            ),
            None => "<td class=\"muted\">—</td>".to_owned(),
        };
        for (name, ta, tb) in pairs {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td>{}{}</tr>",
                escape(name),
                cell(ta),
                cell(tb)
            );
        }
        out.push_str("</table>");
    }
    // A load run's steps are its thresholds (compared above): only API runs' steps are compared.
    let (a_steps, b_steps) = (a.api_steps(), b.api_steps());
    let steps = a_steps.len().max(b_steps.len());
    if steps == 0 {
        out.push_str("</body></html>\n");
        return out;
    }
    let _ = write!(
        out,
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(Msg::ReportSteps),
        t(Msg::Step),
        t(Msg::ReportEarlier),
        t(Msg::ReportLater),
        t(Msg::ReportDeltaTime)
    );
    for i in 0..steps {
        let (sa, sb) = (a_steps.get(i), b_steps.get(i));
        // Matched by position, named as in the later run when the names differ (as on the page).
        let name = sb.or(sa).map(|s| s.name.as_str()).unwrap_or_default();
        let cell = |s: Option<&StepResult>| match s {
            Some(s) if s.passed => format!(
                "<td class=\"pass\">{}, {} ms</td>",
                t(Msg::Passed),
                s.duration_ms
            ),
            Some(s) => format!(
                "<td class=\"fail\">{}, {} ms</td>",
                t(Msg::Failed),
                s.duration_ms
            ),
            None => format!("<td class=\"muted\">{}</td>", t(Msg::ReportNotRun)),
        };
        let delta = match (sa, sb) {
            (Some(x), Some(y)) => format!("{:+} ms", y.duration_ms as i64 - x.duration_ms as i64),
            _ => "—".into(),
        };
        let _ = write!(
            out,
            "<tr><td>{}. {}</td>{}{}<td>{delta}</td></tr>",
            i + 1,
            escape(name),
            cell(sa),
            cell(sb)
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
