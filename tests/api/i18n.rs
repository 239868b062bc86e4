//! The page's language: chosen from `Accept-Language`, overridden by the `lang` cookie the switch
//! sets, and the same on the `<html>` element as in the text.

use crate::helpers::*;

async fn login_page(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let mut req = app.http.get(app.url("/login"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("page request");
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

#[tokio::test]
async fn a_chinese_browser_gets_the_login_page_in_chinese() {
    let app = spawn_app().await;
    let html = login_page(&app, &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")]).await;
    assert!(html.contains(r#"<html lang="zh-CN""#), "{html}");
    assert!(html.contains("登录"), "the heading and button in Chinese");
    assert!(html.contains("用户名") && html.contains("密码"));
    assert!(!html.contains(">Sign in<") && !html.contains("Username"));
}

#[tokio::test]
async fn english_is_the_default_and_the_cookie_overrides_the_header() {
    let app = spawn_app().await;
    for headers in [
        vec![],
        vec![("accept-language", "en-US,en;q=0.9")],
        vec![("accept-language", "fr-FR, de;q=0.5")],
        vec![("accept-language", "zh-CN"), ("cookie", "lang=en")],
    ] {
        let html = login_page(&app, &headers).await;
        assert!(html.contains(r#"<html lang="en""#), "{headers:?}");
        assert!(
            html.contains("Sign in") && html.contains("Username"),
            "{headers:?}"
        );
        assert!(!html.contains("登录"), "{headers:?}");
    }
    // And the other way round: the cookie asks for Chinese from an English browser.
    let html = login_page(
        &app,
        &[
            ("accept-language", "en-US"),
            ("cookie", "theme=x; lang=zh-CN"),
        ],
    )
    .await;
    assert!(html.contains(r#"<html lang="zh-CN""#) && html.contains("登录"));
}

#[tokio::test]
async fn a_signed_in_page_follows_the_cookie_too() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let res = app
        .http
        .get(app.url("/"))
        .header(
            "cookie",
            format!("{}={token}; lang=zh-CN", livecheck::auth::SESSION_COOKIE),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-CN""#));
    assert!(html.contains("测试") && html.contains("最近的运行") && html.contains("退出登录"));
}

/// A server function called from a Chinese page: the server's own words come back in Chinese too.
async fn call_in_chinese(
    app: &TestApp,
    token: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> String {
    let res = app
        .http
        .post(app.url(&format!("/api/{endpoint}")))
        .header(
            "cookie",
            format!("{}={token}", livecheck::auth::SESSION_COOKIE),
        )
        .header("accept-language", "zh-CN,zh;q=0.9")
        .form(form)
        .send()
        .await
        .expect("server function request");
    res.text().await.unwrap()
}

#[tokio::test]
async fn a_refused_suite_and_a_bad_request_are_said_in_the_pages_language() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let suite = "name: \"\"\nsteps:\n  - name: s\n    method: FETCH\n    url: ftp://example.com/\n";
    let body = call_in_chinese(&app, &token, "check_suite", &[("text", suite)]).await;
    assert!(body.contains("不能为空"), "{body}");
    assert!(body.contains("协议 `ftp` 不是 http 或 https"), "{body}");
    assert!(body.contains("`FETCH` 不是以下之一"), "{body}");
    assert!(!body.contains("must not be empty"), "{body}");

    let body = call_in_chinese(
        &app,
        &token,
        "create_room",
        &[("name", "no spaces allowed")],
    )
    .await;
    assert!(body.contains("房间名为 1–64 个字母"), "{body}");

    // The same call from an English page keeps the server's English.
    let (_, body) = app.call(&token, "check_suite", &[("text", suite)]).await;
    assert!(
        body.contains("must not be empty") && !body.contains("不能为空"),
        "{body}"
    );
}
