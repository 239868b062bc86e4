//! `livecheck run suite.yaml`: the real binary, without a server, against a target started inside the
//! test. Exit codes, terminal output and the JUnit / JSON reports.

use std::process::Output;

use livecheck::protocol::{RunSnapshot, RunStatus};

use crate::suites::spawn_target;

/// Runs the binary with `args` (the suite file is written first) and waits for it.
async fn livecheck_run(suite: &str, extra: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suite.yaml");
    std::fs::write(&path, suite).unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_livecheck"))
        .arg("run")
        .arg(&path)
        .args(extra)
        .current_dir(dir.path())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    (output, dir)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn suite(target: std::net::SocketAddr, expected_status: u16) -> String {
    format!(
        r#"
name: Headless things
variables: {{ base: "http://127.0.0.1:1" }}
environments:
  local: {{ base: "http://{target}" }}
steps:
  - url: ${{base}}/things
    checks: {{ status: 200 }}
    capture: {{ id: {{ json: "$.items[0].id" }} }}
  - url: ${{base}}/things/${{id}}
    checks: {{ status: {expected_status} }}
"#
    )
}

#[tokio::test]
async fn a_passing_suite_exits_zero_and_writes_both_reports() {
    let target = spawn_target().await;
    let (out, dir) = livecheck_run(
        &suite(target, 200),
        &["--env", "local", "--junit", "out.xml", "--json", "out.json"],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("✓ 1/2 GET ${base}/things — 200"),
        "{stdout}"
    );
    assert!(stdout.contains("PASSED"), "{stdout}");

    let junit = std::fs::read_to_string(dir.path().join("out.xml")).unwrap();
    assert!(junit.contains("tests=\"2\" failures=\"0\""), "{junit}");
    let run: RunSnapshot =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.json")).unwrap())
            .unwrap();
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.steps.len(), 2);
}

#[tokio::test]
async fn a_failing_check_exits_one_and_says_why() {
    let target = spawn_target().await;
    let (out, dir) = livecheck_run(
        &suite(target, 201),
        &[
            "--var",
            &format!("base=http://{target}"),
            "--junit",
            "out.xml",
        ],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("✗ 2/2"), "{stdout}");
    assert!(stdout.contains("expected status 201, got 200"), "{stdout}");
    assert!(stdout.contains("FAILED — 1 passed, 1 failed"), "{stdout}");
    let junit = std::fs::read_to_string(dir.path().join("out.xml")).unwrap();
    assert!(
        junit.contains("<failure message=\"expected status 201"),
        "{junit}"
    );
}

#[tokio::test]
async fn an_unreachable_target_fails_the_step_without_hanging() {
    let target = spawn_target().await;
    // Without the environment, `base` is the suite's default: a closed port.
    let (out, _dir) = livecheck_run(&suite(target, 200), &[]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("could not connect to the target"),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_failing_threshold_of_a_load_run_exits_one() {
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Headless load
load: {{ users: 3, iterations: 60, thresholds: ["p99 < 10s", "rps > 1000000000"] }}
steps:
  - url: http://{target}/things
"#
    );
    let (out, _dir) = livecheck_run(&suite, &[]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("60 requests by 3 users"), "{stdout}");
    assert!(stdout.contains("✓ p99 < 10s"), "{stdout}");
    assert!(stdout.contains("✗ rps > 1000000000"), "{stdout}");
}

#[tokio::test]
async fn invalid_suites_and_arguments_exit_two_with_the_problem() {
    let (out, _dir) = livecheck_run(
        "name: x\nsteps:\n  - url: 7\n    checks: { status: 99 }\n",
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("steps[0].checks.status"), "{stderr}");

    let target = spawn_target().await;
    let (out, _dir) = livecheck_run(&suite(target, 200), &["--env", "mars"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the suite defines local"),
        "{}",
        text(&out.stderr)
    );

    let (out, _dir) = livecheck_run(&suite(target, 200), &["--var", "novalue"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not name=value"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_data_file_next_to_the_suite_drives_one_pass_per_row() {
    let target = spawn_target().await;
    let suite = format!(
        r#"
name: Rows from a file
on_failure: continue
data: {{ file: ids.csv }}
steps:
  - url: http://{target}/things/${{id}}
    checks: {{ status: 200 }}
"#
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ids.csv"), "id\n42\n7\n").unwrap();
    std::fs::write(dir.path().join("suite.yaml"), &suite).unwrap();
    let run = |args: &[&str], cwd: &std::path::Path| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_livecheck"))
            .arg("run")
            .args(args)
            .current_dir(cwd)
            .kill_on_drop(true)
            .output()
    };
    // Run from elsewhere: the file is found next to the suite, not in the working directory.
    let suite_path = dir.path().join("suite.yaml");
    let elsewhere = tempfile::tempdir().unwrap();
    let out = run(&[suite_path.to_str().unwrap()], elsewhere.path())
        .await
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("row 1 · "), "{stdout}");
    assert!(stdout.contains("row 2 · "), "{stdout}");
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");
    // A missing file is an invalid suite (exit 2), saying which file.
    std::fs::remove_file(dir.path().join("ids.csv")).unwrap();
    let out = run(&["suite.yaml"], dir.path()).await.unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("data.file") && stderr.contains("ids.csv"),
        "{stderr}"
    );
}
