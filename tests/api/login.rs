//! The `login` server function: cookies, wrong passwords, logout.

use crate::helpers::*;

#[tokio::test]
async fn login_sets_an_httponly_strict_session_cookie() {
    let app = spawn_app().await;
    let res = app.post_login(DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("set-cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let token = session_from(&res).unwrap();

    // The token is accepted by the other server functions.
    let (status, body) = app.call(&token, "me", &[]).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"username\":\"demo\""), "{body}");
}

#[tokio::test]
async fn wrong_password_or_unknown_user_is_refused_with_the_same_answer() {
    let app = spawn_app().await;
    let wrong = app.post_login(DEMO_USER, "not-the-password").await;
    assert_eq!(wrong.status(), 401);
    assert!(session_from(&wrong).is_none());
    let wrong_body = wrong.text().await.unwrap();
    let error: serde_json::Value = serde_json::from_str(&wrong_body).unwrap();
    assert_eq!(
        error,
        serde_json::json!({ "code": "bad_credentials", "error": "wrong username or password" })
    );

    let unknown = app.post_login("nobody", "whatever").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(unknown.text().await.unwrap(), wrong_body);
}

#[tokio::test]
async fn server_functions_require_a_session() {
    let app = spawn_app().await;
    let (status, body) = app.call("garbage", "start_test", &[("key", "demo")]).await;
    assert_eq!(status, 401, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["code"], "unauthorized", "{body}");
    assert_eq!(error["error"], "please sign in", "{body}");
    let (status, body) = app.call("garbage", "me", &[]).await;
    assert_eq!((status, body.as_str()), (200, "null"));
}

#[tokio::test]
async fn logout_clears_the_cookie() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let res = app
        .http
        .post(app.url("/api/logout"))
        .header("cookie", format!("livecheck_session={token}"))
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
}

/// The top bar's sign-out button is a plain form: the browser posts it and follows the answer to
/// a sign-in page loaded afresh, with the session over.
#[tokio::test]
async fn the_sign_out_form_sends_the_browser_to_a_fresh_sign_in_page() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (_, home) = app.page(&token, "/").await;
    assert!(
        home.contains(r#"<form method="post" action="/api/logout">"#),
        "{home}"
    );

    let res = app
        .http
        .post(app.url("/api/logout"))
        .header("cookie", format!("livecheck_session={token}"))
        .header("accept", "text/html,application/xhtml+xml")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/login");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Max-Age=0"), "{cookie}");

    // The old session is over, and the sign-in page the browser lands on names the demo account.
    let res = app
        .http
        .get(app.url("/"))
        .header("cookie", format!("livecheck_session={token}"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/login");
    let (status, login) = app.page("", "/login").await;
    assert_eq!(status, 200);
    assert!(login.contains("demo-password"), "{login}");
}

#[tokio::test]
async fn a_page_that_does_not_exist_still_knows_who_is_signed_in() {
    // Unknown paths are rendered by the router's fallback; it must give the page the same request
    // context as every other page, or the session lookup fails on the server.
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let res = app
        .http
        .get(app.url("/no/such/page"))
        .header("cookie", format!("livecheck_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found."), "{html}");
    // (Leptos may follow a dynamic text with a marker comment: `demo<!>`.)
    assert!(
        html.contains("<span class=\"username\">demo<"),
        "the top bar names the signed-in user: {html}"
    );
}

/// The home page the server renders for someone signed in lists the built-in tests in its HTML,
/// and hands the same list to the browser with the page (hydration does not ask again).
#[tokio::test]
async fn home_lists_your_recent_runs_before_any_script_runs() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (status, html) = app.page(&token, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("No runs here yet"), "{html}");

    let run = app.start_test(&token, "demo", 0).await;
    app.wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
        .await;
    let (status, html) = app.page(&token, "/").await;
    assert_eq!(status, 200);
    // The row, its link and its status are in the page the server sent, and the rows are handed
    // to the browser with it (hydration reads them back instead of asking again).
    let href = format!(r#"href="/tests/demo?run={}""#, run.test_id);
    assert!(html.contains(&href), "{html}");
    assert!(html.contains(r#"data-testid="run-row""#), "{html}");
    assert!(!html.contains("Loading runs"), "{html}");
    assert!(!html.contains("No runs here yet"), "{html}");
    let handed_over = format!(r#"\"test_id\":\"{}\""#, run.test_id);
    assert!(html.contains(&handed_over), "{html}");
}

#[tokio::test]
async fn home_lists_the_built_in_tests_before_any_script_runs() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let (status, html) = app.page(&token, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"href="/tests/demo""#), "{html}");
    assert!(html.contains("Demo API (one failing check)"), "{html}");
    assert!(!html.contains("Loading tests"), "{html}");
}
