//! Stored, versioned suites: saving (only valid texts), versions, running a version in an environment,
//! restarting a suite run, history filters, and that another user sees none of it.

use livecheck::{
    protocol::api::{RunRow, SuiteDetail, SuiteInfo, SuiteSaved},
    protocol::{RunSnapshot, RunStatus},
};

use crate::{helpers::*, suites::spawn_target};

fn suite_text(target: std::net::SocketAddr, expect: u16) -> String {
    format!(
        "name: Stored things\nvariables: {{ base: \"http://127.0.0.1:1\" }}\nenvironments:\n  local: {{ base: \"http://{target}\" }}\nsteps:\n  - url: ${{base}}/things\n    checks: {{ status: {expect} }}\n"
    )
}

async fn save(app: &TestApp, token: &str, id: Option<i64>, text: &str) -> (u16, String) {
    let id = id.map(|i| i.to_string());
    let mut form = vec![("text", text)];
    if let Some(id) = &id {
        form.push(("id", id));
    }
    app.call(token, "save_suite", &form).await
}

#[tokio::test]
async fn suites_are_saved_in_versions_and_run_in_an_environment() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;

    let (status, body) = save(&app, &token, None, &suite_text(target, 200)).await;
    assert_eq!(status, 200, "{body}");
    let first: SuiteSaved = serde_json::from_str(&body).unwrap();
    assert_eq!(first.version, 1);

    // An invalid text is refused with its line, and no version is added.
    let (status, body) = save(
        &app,
        &token,
        Some(first.id),
        "name: x\nsteps:\n  - url: nope\n",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"line\":3"), "{body}");

    let (status, body) = save(&app, &token, Some(first.id), &suite_text(target, 418)).await;
    assert_eq!(status, 200, "{body}");
    let second: SuiteSaved = serde_json::from_str(&body).unwrap();
    assert_eq!((second.id, second.version), (first.id, 2));

    let (_, body) = app.call(&token, "suites", &[]).await;
    let list: Vec<SuiteInfo> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].name.as_str(), list[0].version),
        ("Stored things", 2)
    );

    let id = first.id.to_string();
    let (_, body) = app
        .call(&token, "suite", &[("id", &id), ("version", "1")])
        .await;
    let v1: SuiteDetail = serde_json::from_str(&body).unwrap();
    assert!(v1.text.contains("status: 200"));
    assert_eq!(v1.versions.len(), 2);
    assert_eq!(v1.environments, ["local"]);

    // Version 1 in `local` passes; the latest (2) expects 418 and fails.
    let run = |version: &'static str| {
        let (app, token, id) = (&app, &token, &id);
        async move {
            let (status, body) = app
                .call(
                    token,
                    "run_saved_suite",
                    &[
                        ("id", id.as_str()),
                        ("version", version),
                        ("environment", "local"),
                    ],
                )
                .await;
            assert_eq!(status, 200, "{body}");
            let run: RunSnapshot = serde_json::from_str(&body).unwrap();
            app.wait_for_run(token, &run.test_id, |r| r.status.is_finished())
                .await
        }
    };
    let passed = run("1").await;
    assert_eq!(passed.status, RunStatus::Completed, "{passed:?}");
    assert_eq!(passed.name, "Stored things (local)");
    let failed = run("").await;
    assert_eq!(failed.status, RunStatus::Failed);

    // Restart runs the same version in the same environment.
    let (status, body) = app
        .call(&token, "restart_test", &[("test_id", &passed.test_id)])
        .await;
    assert_eq!(status, 200, "{body}");
    let again: RunSnapshot = serde_json::from_str(&body).unwrap();
    let again = app
        .wait_for_run(&token, &again.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(again.status, RunStatus::Completed);

    // The comparison of two runs, rendered on the server: one delta per step.
    let (status, html) = app
        .page(
            &token,
            &format!("/runs/compare?id={}&id={}", passed.test_id, again.test_id),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        html.matches("data-testid=\"step-delta\"").count(),
        1,
        "{html}"
    );
    assert!(!html.contains("went wrong"), "{html}");
    assert!(!html.contains("of different tests"), "{html}");

    // Two versions of one stored suite are still the same suite; another test is not.
    let (_, html) = app
        .page(
            &token,
            &format!("/runs/compare?id={}&id={}", passed.test_id, failed.test_id),
        )
        .await;
    assert!(!html.contains("of different tests"), "{html}");
    assert!(
        html.contains("version 1 · environment local") && html.contains("version 2"),
        "{html}"
    );
    let demo = app.start_test(&token, "demo", 0).await;
    let (_, html) = app
        .page(
            &token,
            &format!("/runs/compare?id={}&id={}", passed.test_id, demo.test_id),
        )
        .await;
    assert!(html.contains("of different tests"), "{html}");

    // History filters: by suite and status, and by date.
    let history = |form: Vec<(&'static str, String)>| {
        let (app, token) = (&app, &token);
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = app.call(token, "runs", &form).await;
            assert_eq!(status, 200, "{body}");
            // A row is the run's head: its steps (and a load run's figures) stay with the run.
            assert!(!body.contains("\"steps\""), "{body}");
            serde_json::from_str::<Vec<RunRow>>(&body).unwrap()
        }
    };
    let of_suite = history(vec![("suite", id.clone())]).await;
    assert_eq!(of_suite.len(), 3);
    assert!(of_suite.iter().all(|r| r.suite_id == Some(first.id)));
    let failed_only = history(vec![("suite", id.clone()), ("status", "failed".into())]).await;
    assert_eq!(failed_only.len(), 1);
    assert_eq!(failed_only[0].suite_version, Some(2));
    assert_eq!(history(vec![("to", "2000-01-01".into())]).await.len(), 0);
    // The three suite runs and the demo run.
    assert_eq!(history(vec![("from", "2000-01-01".into())]).await.len(), 4);
    let (status, _) = app.call(&token, "runs", &[("from", "last week")]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn another_users_suites_are_invisible_and_cannot_be_overwritten() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let (_, body) = save(&app, &token, None, &suite_text(target, 200)).await;
    let saved: SuiteSaved = serde_json::from_str(&body).unwrap();

    app.create_user("eve", "eve-password-1").await;
    let eve = app.login("eve", "eve-password-1").await;
    let id = saved.id.to_string();
    let (status, _) = app.call(&eve, "suite", &[("id", &id)]).await;
    assert_eq!(status, 404);
    let (status, _) = app.call(&eve, "run_saved_suite", &[("id", &id)]).await;
    assert_eq!(status, 404);
    let (status, _) = save(&app, &eve, Some(saved.id), &suite_text(target, 500)).await;
    assert_eq!(status, 404);
    let (_, body) = app.call(&eve, "suites", &[]).await;
    assert_eq!(body, "[]");
}
