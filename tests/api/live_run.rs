//! A run from start to finish over the WebSocket: snapshot first, then every event in order.

use livecheck::protocol::{RunStatus, ServerMessage};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_started_test_streams_progress_up_to_test_completed() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_query(Some(&token)).await.unwrap();
    expect_hello(&mut ws).await;

    let run = app.start_test(&token, "demo", 30).await;
    assert_eq!(run.total_steps, 8);
    let (snapshot, events) = follow_to_end(&mut ws, &run.test_id).await;

    // Fold everything into the snapshot, as a client does, and check what a user would see.
    let mut state = snapshot;
    for e in &events {
        state.apply(e);
    }
    assert_eq!(state.status, RunStatus::Completed);
    assert_eq!(state.progress, 100);
    assert_eq!(state.steps.len(), 8);
    assert!(state.steps.iter().all(|s| s.passed), "{:?}", state.steps);
    assert_eq!(state.message, "8/8 — GET /demo/health");

    // Progress only goes up, and step 3 is announced as the seed's UI shows it.
    let progress: Vec<(u8, String)> = events
        .iter()
        .filter_map(|e| match e {
            ServerMessage::TestProgress(p) => Some((p.progress, p.message.clone())),
            _ => None,
        })
        .collect();
    assert!(progress.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(progress.iter().any(|(_, m)| m == "3/8 — GET /demo/items"));
    match events.last().unwrap() {
        ServerMessage::TestCompleted {
            success, results, ..
        } => {
            assert!(success);
            assert_eq!((results.passed, results.failed), (8, 0));
        }
        other => panic!("expected test_completed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_failing_check_completes_with_success_false_and_says_why() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;

    let run = app.start_test(&token, "demo-failing", 0).await;
    let (snapshot, events) = follow_to_end(&mut ws, &run.test_id).await;
    let mut state = snapshot;
    for e in &events {
        state.apply(e);
    }
    assert_eq!(state.status, RunStatus::Failed);
    let failed: Vec<_> = state.steps.iter().filter(|s| !s.passed).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].index, 6);
    assert_eq!(failed[0].status, Some(404));
    assert_eq!(
        failed[0].error.as_deref(),
        Some("expected status 200, got 404: {\"error\":\"no such item\"}")
    );
}

#[tokio::test]
async fn every_subscriber_gets_the_events_and_a_late_one_gets_the_stored_result() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut a = app.ws_with_cookie(&token).await.unwrap();
    let mut b = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut a).await;
    expect_hello(&mut b).await;

    let run = app.start_test(&token, "demo", 20).await;
    let (ra, rb) = tokio::join!(
        follow_to_end(&mut a, &run.test_id),
        follow_to_end(&mut b, &run.test_id)
    );
    let last = |events: &[ServerMessage]| events.last().and_then(|e| e.run_event().map(|(_, s)| s));
    assert_eq!(last(&ra.1), last(&rb.1));

    // After the run, a new subscriber gets the finished state from the store at once.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut late = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut late).await;
    let (snapshot, events) = follow_to_end(&mut late, &run.test_id).await;
    assert!(events.is_empty());
    assert_eq!(snapshot.status, RunStatus::Completed);
    assert_eq!(snapshot.steps.len(), 8);
}

#[tokio::test]
async fn another_user_cannot_see_the_run_and_learns_nothing() {
    let app = spawn_app().await;
    app.create_user("mallory", "mallory-password").await;
    let owner = app.login_demo().await;
    let other = app.login("mallory", "mallory-password").await;
    let run = app.start_test(&owner, "demo", 200).await;

    let mut ws = app.ws_with_cookie(&other).await.unwrap();
    expect_hello(&mut ws).await;
    send_json(
        &mut ws,
        json!({ "type": "subscribe_test", "test_id": run.test_id }),
    )
    .await;
    let refused = next_msg(&mut ws).await;
    send_json(
        &mut ws,
        json!({ "type": "subscribe_test", "test_id": "0123456789abcdef0123456789abcdef" }),
    )
    .await;
    let missing = next_msg(&mut ws).await;
    let strip = |m: ServerMessage| match m {
        ServerMessage::Error { code, message } => (
            code,
            message
                .replace(&run.test_id, "ID")
                .replace("0123456789abcdef0123456789abcdef", "ID"),
        ),
        other => panic!("expected an error, got {other:?}"),
    };
    assert_eq!(strip(refused), strip(missing));

    let (status, _) = app.call(&other, "run", &[("test_id", &run.test_id)]).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(&other, "cancel_test", &[("test_id", &run.test_id)])
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn cancel_stops_a_run_and_marks_it_cancelled() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    let run = app.start_test(&token, "demo", 1_000).await;

    let follow = follow_to_end(&mut ws, &run.test_id);
    let cancel = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        app.call(&token, "cancel_test", &[("test_id", &run.test_id)])
            .await
    };
    let ((snapshot, events), (status, body)) = tokio::join!(follow, cancel);
    assert_eq!(status, 200, "{body}");
    let mut state = snapshot;
    for e in &events {
        state.apply(e);
    }
    assert_eq!(state.status, RunStatus::Cancelled);
    assert!(state.steps.len() < 8);

    let (status, body) = app.call(&token, "run", &[("test_id", &run.test_id)]).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"status\":\"cancelled\""), "{body}");
    // Cancelling it again says it is over (not that there is no such run).
    let (status, body) = app
        .call(&token, "cancel_test", &[("test_id", &run.test_id)])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("the run has already ended"), "{body}");
}

#[tokio::test]
async fn unknown_tests_and_oversized_delays_are_refused() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (status, _) = app.call(&token, "start_test", &[("key", "nope")]).await;
    assert_eq!(status, 404);
    let (status, body) = app
        .call(
            &token,
            "start_test",
            &[("key", "demo"), ("delay_ms", "999999")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("delay_ms"), "{body}");
}

#[tokio::test]
async fn unsubscribed_connections_stop_receiving() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    let run = app.start_test(&token, "demo", 300).await;
    send_json(
        &mut ws,
        json!({ "type": "subscribe_test", "test_id": run.test_id }),
    )
    .await;
    assert!(matches!(
        next_msg(&mut ws).await,
        ServerMessage::Subscribed { .. }
    ));
    assert_eq!(app.state.hub.subscriber_count(&run.test_id), 1);
    send_json(
        &mut ws,
        json!({ "type": "unsubscribe_test", "test_id": run.test_id }),
    )
    .await;
    // Events published before the unsubscribe arrived may still be in flight; skip them.
    loop {
        match next_msg(&mut ws).await {
            ServerMessage::Unsubscribed { test_id } => {
                assert_eq!(test_id, run.test_id);
                break;
            }
            msg => assert!(msg.run_event().is_some(), "unexpected {msg:?}"),
        }
    }
    assert_eq!(app.state.hub.subscriber_count(&run.test_id), 0);
}

#[tokio::test]
async fn a_finished_run_downloads_as_junit_and_json_for_those_who_may_see_it() {
    let app = spawn_app().await;
    app.create_user("mallory", "mallory-password").await;
    let token = app.login_demo().await;
    let other = app.login("mallory", "mallory-password").await;
    let run = app.start_test(&token, "demo-failing", 0).await;
    app.wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
        .await;

    let get = |path: String, token: Option<String>| {
        let mut req = app.http.get(app.url(&path));
        if let Some(t) = token {
            req = req.header("cookie", format!("livecheck_session={t}"));
        }
        async move { req.send().await.unwrap() }
    };
    let xml = get(
        format!("/runs/{}/junit.xml", run.test_id),
        Some(token.clone()),
    )
    .await;
    assert_eq!(xml.status(), 200);
    let xml = xml.text().await.unwrap();
    assert!(xml.contains("tests=\"8\" failures=\"1\""), "{xml}");
    assert!(
        xml.contains(
            "<failure message=\"expected status 200, got 404: {&quot;error&quot;:&quot;no such item&quot;}\">"
        ),
        "{xml}"
    );

    let json = get(format!("/runs/{}/json", run.test_id), Some(token.clone())).await;
    let snap: livecheck::protocol::RunSnapshot = json.json().await.unwrap();
    assert_eq!(snap.steps.len(), 8);

    // One self-contained page: no script, its own strict CSP, the failure escaped.
    let page = get(
        format!("/runs/{}/report.html", run.test_id),
        Some(token.clone()),
    )
    .await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    let page = page.text().await.unwrap();
    assert!(page.contains("expected status 200, got 404"), "{page}");
    assert!(!page.contains("<script"), "{page}");

    // In the language of whoever downloads it (here their browser's), the data as it is.
    let zh = app
        .http
        .get(app.url(&format!("/runs/{}/report.html", run.test_id)))
        .header("cookie", format!("livecheck_session={token}"))
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(zh.contains("<html lang=\"zh-CN\">"), "{zh}");
    assert!(zh.contains("运行报告") && zh.contains("步骤"), "{zh}");
    assert!(
        !zh.contains("steps passed") && !zh.contains("Run report"),
        "{zh}"
    );
    // The engine's English about the failed step is said in Chinese too, with its values.
    assert!(zh.contains("期望状态 200，实际为 404"), "{zh}");
    assert!(!zh.contains("expected status 200, got 404"), "{zh}");

    // Two runs compared, as a file; someone else's run is not found.
    let again = app.start_test(&token, "demo", 0).await;
    app.wait_for_run(&token, &again.test_id, |r| r.status.is_finished())
        .await;
    let compare = format!("/compare/{}/{}/report.html", run.test_id, again.test_id);
    let both = get(compare.clone(), Some(token.clone())).await;
    assert_eq!(both.status(), 200);
    let both = both.text().await.unwrap();
    assert!(
        both.contains(&run.test_id) && both.contains(&again.test_id),
        "{both}"
    );
    assert_eq!(get(compare, Some(other.clone())).await.status(), 404);

    assert_eq!(
        get(format!("/runs/{}/json", run.test_id), Some(other))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(format!("/runs/{}/junit.xml", run.test_id), None)
            .await
            .status(),
        401
    );
}
