//! The holes found when the code was read and probed (issue 11), each reproduced as a new user or an
//! attacker would, and each refused now: templating and YAML bombs, oversized bodies, the demo account
//! and loopback targets on by default, unbounded work, backtracking patterns, unthrottled sign-ins,
//! foreign hosts and origins, sessions that outlived sign-out, and the smaller ones.

use std::time::{Duration, Instant};

use livecheck::{
    auth,
    engine::guard::TargetPolicy,
    protocol::{
        api::{Role, SiteInfo, SuiteProblem},
        close_code, ErrorCode, RunSnapshot, RunStatus, ServerMessage,
    },
    server::config::PublicUrl,
};
use serde_json::json;

use crate::{helpers::*, suites::spawn_target};

/// The resident memory of this test process (which runs the server), in bytes.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The 755-byte suite of the report: `a0` is 8 bytes and each of 31 variables doubles the last.
fn doubling_bomb() -> String {
    let mut text = String::from("name: bomb\nvariables:\n  a0: \"xxxxxxxx\"\n");
    for i in 1..=31 {
        text.push_str(&format!("  a{i}: \"${{a{}}}${{a{}}}\"\n", i - 1, i - 1));
    }
    text.push_str("steps:\n  - url: http://example.com/${a31}\n");
    text
}

#[tokio::test]
async fn hole_01_a_doubling_variable_bomb_is_a_problem_on_its_line_and_memory_stays_flat() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let bomb = doubling_bomb();
    assert!(bomb.len() < 1024, "{}", bomb.len());
    let before = rss_bytes();
    let started = Instant::now();
    let (status, body) = tokio::time::timeout(
        Duration::from_secs(10),
        app.call(&token, "check_suite", &[("text", &bomb)]),
    )
    .await
    .expect("an answer within seconds");
    assert_eq!(status, 200, "{body}");
    let problems: Vec<SuiteProblem> = serde_json::from_str(&body).unwrap();
    // 8 bytes doubled 13 times is 64 KiB: `a14` is the first over the limit.
    let problem = problems
        .iter()
        .find(|p| p.path == "variables.a14")
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert!(
        problem.message.contains("longer than 65536 bytes"),
        "{problem:?}"
    );
    assert_eq!(problem.line, Some(17), "{problem:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let grown = rss_bytes().saturating_sub(before);
    assert!(grown < 256 << 20, "the server grew by {grown} bytes");

    // Sent to run, it is refused whole, and nothing runs.
    let (status, body) = app.call(&token, "run_suite", &[("suite", &bomb)]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("variables.a14"), "{body}");
}

#[tokio::test]
async fn hole_01_the_headless_runner_refuses_the_bomb_within_an_address_space_of_1_gib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.yaml");
    std::fs::write(&path, doubling_bomb()).unwrap();
    // With the address space capped the way the report probed it: an unbounded expansion aborts.
    let (code, stderr) = cli_in_1_gib(&format!("run {}", path.display())).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("variables.a14"), "{stderr}");
}

#[tokio::test]
async fn hole_02_an_oversized_body_is_answered_413_before_it_is_read() {
    let app = spawn_app().await;
    let big = "x".repeat(3 << 20);
    let res = app
        .http
        .post(app.url("/api/login"))
        .form(&[("username", "demo"), ("password", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body = res.text().await.unwrap();
    assert!(!body.contains("Transport"), "{body}");

    // Just under the limit is read (and refused for what it says, not its size).
    let token = app.login_demo().await;
    let text = format!("name: x\n# {}\nsteps: []\n", "y".repeat(300 << 10));
    let (status, body) = app.call(&token, "check_suite", &[("text", &text)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("at most 262144 bytes"), "{body}");
}

#[tokio::test]
async fn hole_03_a_wide_yaml_anchor_reused_thousands_of_times_is_refused() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let wide = "w".repeat(60_000);
    let mut bomb = format!(
        "name: aliases\nsteps:\n  - url: http://example.com/\n    method: POST\n    body:\n      json:\n        - &w \"{wide}\"\n"
    );
    for _ in 0..5_000 {
        bomb.push_str("        - *w\n");
    }
    let before = rss_bytes();
    let started = Instant::now();
    let (status, body) = app.call(&token, "check_suite", &[("text", &bomb)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("aliases"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let grown = rss_bytes().saturating_sub(before);
    assert!(grown < 128 << 20, "the server grew by {grown} bytes");
    // A few small aliases are still fine.
    let modest = "name: ok\nvariables: &v { a: \"1\" }\nenvironments:\n  x: *v\nsteps:\n  - url: http://example.com/\n";
    let (_, body) = app.call(&token, "check_suite", &[("text", modest)]).await;
    assert_eq!(body, "[]");
}

#[tokio::test]
async fn hole_03_yaml_nested_thousands_deep_is_refused_at_once_in_suites_and_imports() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    // 250 KB of `[[[…]]]`: libyaml's scanner took a minute over it, holding a worker all along.
    let depth = 125_000;
    let deep = format!(
        "name: x\nsteps:\n  - url: http://example.com/\n    body:\n      json: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let started = Instant::now();
    let (status, body) = app.call(&token, "check_suite", &[("text", &deep)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("nest more than 128 levels"), "{body}");
    let (status, body) = app.call(&token, "run_suite", &[("suite", &deep)]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("nest more than 128 levels"), "{body}");
    let document = format!(
        "openapi: 3.0.3\npaths: {}{}\n",
        "{a: ".repeat(60_000),
        "}".repeat(60_000)
    );
    let (status, body) = app
        .call(&token, "import_suite", &[("text", &document)])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("nest more than 128 levels"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn hole_04_the_binary_has_no_demo_account_unless_asked_and_says_so() {
    let app = spawn_app_with(|c| c.seed_demo = false).await;
    let res = app.post_login(DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(res.status(), 401);
    let (_, body) = app.call("", "site", &[]).await;
    let site: SiteInfo = serde_json::from_str(&body).unwrap();
    assert!(!site.demo_account);
    let login = app.http.get(app.url("/login")).send().await.unwrap();
    let html = login.text().await.unwrap();
    assert!(!html.contains("demo-password"), "{html}");

    // Asked for (as `./run serve` does), the hint is there.
    let app = spawn_app().await;
    let (_, body) = app.call("", "site", &[]).await;
    let site: SiteInfo = serde_json::from_str(&body).unwrap();
    assert!(site.demo_account);
    let html = app
        .http
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("demo-password"), "{html}");
}

#[tokio::test]
async fn hole_05_loopback_is_not_a_target_by_default_and_the_demo_tests_still_pass() {
    let app = spawn_app_with(|c| c.targets = TargetPolicy::default()).await;
    let token = app.login_demo().await;
    let suite = format!(
        "name: own host\nsteps:\n  - url: http://127.0.0.1:{}/login\n    checks: {{ status: 200 }}\n",
        app.addr.port()
    );
    let run = crate::suites::run(&app, &token, &suite).await;
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    let error = run.steps[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("not allowed"), "{error}");
    for url in [
        "http://[::1]:9/",
        "http://0.0.0.0:9/",
        "http://localhost:9/",
    ] {
        let suite = format!("name: l\nsteps:\n  - url: {url}\n");
        let run = crate::suites::run(&app, &token, &suite).await;
        let error = run.steps[0].error.as_deref().unwrap_or_default();
        assert!(error.contains("not allowed"), "{url}: {error}");
    }
    // The built-in demo test reaches the server's own /demo API all the same.
    let demo = app.start_test(&token, "demo", 0).await;
    let done = app
        .wait_for_run(&token, &demo.test_id, |r| r.status.is_finished())
        .await;
    assert_eq!(done.status, RunStatus::Completed, "{done:?}");
}

#[tokio::test]
async fn hole_06_a_load_run_with_only_iterations_stops_at_the_wall_clock_cap() {
    let app = spawn_app_with(|c| c.max_run = Duration::from_secs(2)).await;
    let token = app.login_demo().await;
    let target = spawn_target().await;
    let suite = format!(
        "name: endless\nload: {{ users: 2, iterations: 100000000 }}\nsteps:\n  - url: http://{target}/slow\n"
    );
    let started = Instant::now();
    let (status, body) = app.call(&token, "run_suite", &[("suite", &suite)]).await;
    assert_eq!(status, 200, "{body}");
    let run: RunSnapshot = serde_json::from_str(&body).unwrap();
    // The run has one end, and it says why: a `test_error`, never a `cancelled` and then a reason.
    let run = app
        .wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    let error = run.error.as_deref().unwrap_or_default();
    assert!(error.contains("at most 2 s"), "{error}");
}

#[tokio::test]
async fn a_run_stopped_at_the_time_limit_ends_once_with_its_reason_for_a_seed_client() {
    let app = spawn_app_with(|c| c.max_run = Duration::from_secs(1)).await;
    let token = app.login_demo().await;
    let run = app.start_test(&token, "demo", 400).await;
    let mut ws = ws_to(app.addr, &token).await.unwrap();
    expect_hello(&mut ws).await;
    send_json(
        &mut ws,
        serde_json::json!({ "type": "subscribe_test", "test_id": run.test_id }),
    )
    .await;
    // A seed client reads until the end of the run: the first `test_completed`, `test_error` or
    // final status. It must be the error that says why, and nothing follows it.
    let end = loop {
        match next_msg(&mut ws).await {
            msg @ (ServerMessage::TestError { .. } | ServerMessage::TestCompleted { .. }) => {
                break msg
            }
            ServerMessage::TestStatusUpdate { status, .. } if status.is_finished() => {
                panic!("the run ended as {status:?} without saying why")
            }
            _ => {}
        }
    };
    match &end {
        ServerMessage::TestError { error, .. } => assert!(error.contains("at most 1 s"), "{error}"),
        other => panic!("expected test_error, got {other:?}"),
    }
    let after = tokio::time::timeout(Duration::from_millis(1500), next_or_end(&mut ws)).await;
    assert!(after.is_err(), "nothing after the end: {after:?}");
}

#[tokio::test]
async fn hole_06_synthetic_runs_queues_and_daily_work_are_bounded() {
    let app = spawn_app_with(|c| {
        c.daily_budget = 500;
        c.run_limits.per_user = 1;
    })
    .await;
    let token = app.login_demo().await;
    for (events, rate, results) in [
        ("1000000", "10", "false"),
        ("100", "1000000", "false"),
        ("30000", "100", "true"),
    ] {
        let (status, body) = app
            .call(
                &token,
                "start_test",
                &[
                    ("key", "synthetic"),
                    ("events", events),
                    ("rate", rate),
                    ("step_results", results),
                ],
            )
            .await;
        assert_eq!(status, 400, "{events}/{rate}: {body}");
    }
    // A load run that would cost more than the day's budget is refused before it starts.
    let target = spawn_target().await;
    let big = format!(
        "name: big\nload: {{ users: 100, duration: 10s }}\nsteps:\n  - url: http://{target}/things\n"
    );
    let (status, body) = app.call(&token, "run_suite", &[("suite", &big)]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("daily 500"), "{body}");
    // Ten runs may wait behind the one running; the eleventh may not.
    let slow = app.start_test(&token, "demo", 1000).await;
    for _ in 0..10 {
        app.start_test(&token, "demo", 0).await;
    }
    let (status, body) = app.call(&token, "start_test", &[("key", "demo")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("runs waiting"), "{body}");
    app.call(&token, "cancel_test", &[("test_id", &slow.test_id)])
        .await;
}

#[tokio::test]
async fn hole_06_old_runs_are_purged_and_admins_see_the_database_size() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let run = app.start_test(&token, "demo", 0).await;
    app.wait_for_run(&token, &run.test_id, |r| r.status.is_finished())
        .await;
    let store = &app.state.store;
    assert_eq!(store.purge_runs(0).await.unwrap(), 0, "nothing is that old");
    let purged = store
        .purge_runs(livecheck::clock::now_ms() + 1)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let (status, _) = app.call(&token, "run", &[("test_id", &run.test_id)]).await;
    assert_eq!(status, 404);
    let (status, body) = app.call(&token, "admin/settings", &[]).await;
    assert_eq!(status, 200, "{body}");
    let settings: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(settings["database_bytes"].as_u64().unwrap() > 0, "{body}");
    assert_eq!(settings["retention_days"], 30);
}

#[tokio::test]
async fn hole_07_json_schema_patterns_do_not_backtrack_on_hostile_bodies() {
    use axum::{routing::get, Router};
    let app = spawn_app().await;
    let token = app.login_demo().await;
    // A body built to make a backtracking engine take exponential time on `^(a+)+$`.
    let hostile = Router::new().route(
        "/evil",
        get(|| async { axum::Json(json!({ "name": format!("{}!", "a".repeat(40)) })) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, hostile).await });
    let suite = format!(
        r#"
name: patterns
steps:
  - url: http://{target}/evil
    checks:
      json_schema:
        type: object
        properties:
          name: {{ type: string, pattern: "^(a+)+$" }}
"#
    );
    let started = Instant::now();
    let run = crate::suites::run(&app, &token, &suite).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    // Look-around needs a backtracking engine: such a schema is refused when the suite is read.
    let lookaround = "name: l\nsteps:\n  - url: http://example.com/\n    checks:\n      json_schema: { type: string, pattern: \"(?=a)a\" }\n";
    let (_, body) = app
        .call(&token, "check_suite", &[("text", lookaround)])
        .await;
    assert!(body.contains("json_schema"), "{body}");
}

#[tokio::test]
async fn hole_08_sign_ins_are_throttled_per_username_and_per_address() {
    let app = spawn_app().await;
    for _ in 0..10 {
        assert_eq!(
            app.post_login(DEMO_USER, "wrong-password").await.status(),
            401
        );
    }
    // Locked for a while, even with the right password.
    let res = app.post_login(DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // One address trying many names is stopped too (20 attempts a minute).
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for i in 0..21 {
        statuses.push(
            app.post_login(&format!("user{i}"), "whatever-password")
                .await
                .status(),
        );
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[20], 429);
}

/// The owner's browser (which signed in before, and so holds a device cookie) is not locked out by
/// strangers' wrong passwords; a browser without one, or with another user's, still is.
#[tokio::test]
async fn hole_08b_wrong_passwords_from_strangers_do_not_lock_the_owners_browser_out() {
    let app = spawn_app().await;
    let res = app.post_login(DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let device = cookie_named(&res, auth::DEVICE_COOKIE).expect("a device cookie with the session");
    assert!(session_from(&res).is_some());
    app.create_user("mia", "mia-password-1").await;
    let mia = app.post_login("mia", "mia-password-1").await;
    let mias_device = cookie_named(&mia, auth::DEVICE_COOKIE).expect("mia's device cookie");

    for _ in 0..10 {
        assert_eq!(
            app.post_login(DEMO_USER, "wrong-password").await.status(),
            401
        );
    }
    let from = |device: &str| {
        app.http
            .post(app.url("/api/login"))
            .header("cookie", format!("{}={device}", auth::DEVICE_COOKIE))
            .form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)])
            .send()
    };
    assert_eq!(app.post_login(DEMO_USER, DEMO_PASSWORD).await.status(), 429);
    assert_eq!(
        from(&mias_device).await.unwrap().status(),
        429,
        "mia's browser is not demo's"
    );
    assert_eq!(from("not.a.token").await.unwrap().status(), 429);
    let owner = from(&device).await.unwrap();
    assert_eq!(owner.status(), 200, "the owner's browser signs in");
    assert!(session_from(&owner).is_some());
}

#[tokio::test]
async fn hole_09_foreign_hosts_and_origins_are_refused_and_https_cookies_are_host_bound() {
    let app = spawn_app_with(|c| {
        c.public_url = Some(PublicUrl::parse("https://lc.example").unwrap());
        c.secure_cookies = true;
    })
    .await;
    // DNS rebinding: the right address under another name.
    let res = app
        .http
        .get(app.url("/login"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 421);
    let login = |origin: &'static str| {
        app.http
            .post(app.url("/api/login"))
            .header("host", "lc.example")
            .header("origin", origin)
            .form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)])
            .send()
    };
    // Same host, other scheme or port: not the same origin.
    for origin in [
        "https://evil.example",
        "http://lc.example",
        "https://lc.example:8443",
    ] {
        assert_eq!(login(origin).await.unwrap().status(), 403, "{origin}");
    }
    let res = login("https://lc.example").await.unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-livecheck_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );

    // Without a public URL the own origin is the Host with the server's scheme.
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url("/api/login"))
        .header("origin", "http://evil.example")
        .form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .http
        .post(app.url("/api/login"))
        .header("origin", format!("http://{}", app.addr))
        .form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn hole_10_signing_out_ends_every_session_and_closes_open_sockets_with_4001() {
    let app = spawn_app().await;
    let first = app.login_demo().await;
    let second = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&first).await.unwrap();
    expect_hello(&mut ws).await;
    let res = app
        .http
        .post(app.url("/api/logout"))
        .header("cookie", format!("livecheck_session={second}"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    assert_eq!(close_code(&mut ws).await, Some(close_code::UNAUTHORIZED));
    for token in [&first, &second] {
        let (status, _) = app.call(token, "tests", &[]).await;
        assert_eq!(status, 401, "an old token replayed after sign-out");
        assert!(app.ws_with_cookie(token).await.is_err());
    }
}

#[tokio::test]
async fn hole_10_a_password_change_or_a_disabled_account_ends_sessions() {
    let app = spawn_app().await;
    app.create_user("carol", "carol-password").await;
    let old = app.login("carol", "carol-password").await;
    // A wrong current password is said as such, and the session stays.
    let (status, body) = app
        .call(
            &old,
            "change_password",
            &[("current", "not-it"), ("new", "carol-new-password")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("the current password is wrong"), "{body}");
    let res = app
        .http
        .post(app.url("/api/change_password"))
        .header("cookie", format!("livecheck_session={old}"))
        .form(&[("current", "carol-password"), ("new", "carol-new-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let fresh = session_from(&res).expect("this browser gets a new session");
    assert_eq!(app.call(&old, "tests", &[]).await.0, 401);
    assert_eq!(app.call(&fresh, "tests", &[]).await.0, 200);

    let admin = app.login_demo().await;
    let mut ws = app.ws_with_cookie(&fresh).await.unwrap();
    expect_hello(&mut ws).await;
    let carol = app
        .state
        .store
        .user_by_name("carol")
        .await
        .unwrap()
        .unwrap();
    let id = carol.id.to_string();
    let (status, body) = app
        .call(
            &admin,
            "admin/set_disabled",
            &[("id", &id), ("disabled", "true")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(close_code(&mut ws).await, Some(close_code::UNAUTHORIZED));
    assert_eq!(app.call(&fresh, "tests", &[]).await.0, 401);
    assert_eq!(
        app.post_login("carol", "carol-new-password").await.status(),
        401
    );
}

#[tokio::test]
async fn hole_10_the_session_lifetime_is_range_checked() {
    let data = tempfile::tempdir().unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_livecheck"))
            .env("LIVECHECK_TOKEN_TTL_SECS", "5")
            .env("LIVECHECK_DATA_DIR", data.path())
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the server refuses to start")
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LIVECHECK_TOKEN_TTL_SECS"), "{stderr}");
}

#[tokio::test]
async fn hole_11_adding_a_room_member_does_not_tell_which_usernames_exist() {
    let app = spawn_app().await;
    app.create_user("dave", "dave-password").await;
    let token = app.login_demo().await;
    let (known, a) = app
        .call(
            &token,
            "add_room_member",
            &[("room", "demo-team"), ("username", "dave")],
        )
        .await;
    let (unknown, b) = app
        .call(
            &token,
            "add_room_member",
            &[("room", "demo-team"), ("username", "nobody-here")],
        )
        .await;
    assert_eq!((known, a), (unknown, b));
}

#[tokio::test]
async fn hole_11_sockets_per_user_are_capped() {
    let app = spawn_app_with(|c| c.max_sockets_per_user = 2).await;
    let token = app.login_demo().await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut ws = app.ws_with_cookie(&token).await.unwrap();
        expect_hello(&mut ws).await;
        open.push(ws);
    }
    match app.ws_with_cookie(&token).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        other => panic!("expected 429, got {:?}", other.map(|_| ())),
    }
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.ws_with_cookie(&token).await.is_ok());
}

#[tokio::test]
async fn hole_11_only_the_owner_and_room_admins_cancel_or_restart_a_room_run() {
    let app = spawn_app().await;
    let admin = app.login_demo().await;
    app.create_user("erin", "erin-password").await;
    app.call(
        &admin,
        "add_room_member",
        &[("room", "demo-team"), ("username", "erin")],
    )
    .await;
    let erin = app.login("erin", "erin-password").await;
    let run = app
        .start_with(
            &admin,
            &[("key", "demo"), ("delay_ms", "500"), ("room", "demo-team")],
        )
        .await;
    // Erin sees it (a member of the room) but may neither stop nor repeat it, and the page is
    // told so (it offers her no Cancel or Restart).
    assert_eq!(
        app.call(&erin, "run", &[("test_id", &run.test_id)]).await.0,
        200
    );
    let controls = |token: String| {
        let (app, id) = (&app, run.test_id.clone());
        async move { app.call(&token, "run_controls", &[("test_id", &id)]).await }
    };
    assert_eq!(controls(erin.clone()).await, (200, "false".to_owned()));
    assert_eq!(controls(admin.clone()).await, (200, "true".to_owned()));
    let (status, _) = app
        .call(
            &app.login_demo().await,
            "run_controls",
            &[("test_id", "no-such-run")],
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.call(&erin, "cancel_test", &[("test_id", &run.test_id)])
            .await
            .0,
        403
    );
    assert_eq!(
        app.call(&erin, "restart_test", &[("test_id", &run.test_id)])
            .await
            .0,
        403
    );
    // The same answer once the run is over: she may not, whatever its state.
    let viewer_run = app
        .start_with(&admin, &[("key", "demo"), ("room", "demo-team")])
        .await;
    app.wait_for_run(&admin, &viewer_run.test_id, |r| r.status.is_finished())
        .await;
    for endpoint in ["cancel_test", "restart_test"] {
        let (status, body) = app
            .call(&erin, endpoint, &[("test_id", &viewer_run.test_id)])
            .await;
        assert_eq!(status, 403, "{endpoint}: {body}");
    }
    // Made a room admin, she may.
    let (status, body) = app
        .call(
            &admin,
            "set_room_role",
            &[
                ("room", "demo-team"),
                ("username", "erin"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(controls(erin.clone()).await, (200, "true".to_owned()));
    assert_eq!(
        app.call(&erin, "cancel_test", &[("test_id", &run.test_id)])
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn hole_11_more_than_twenty_rooms_get_their_own_error_code() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    for i in 0..21 {
        let (status, body) = app
            .call(&token, "create_room", &[("name", &format!("r{i}"))])
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let mut ws = app.ws_with_cookie(&token).await.unwrap();
    expect_hello(&mut ws).await;
    for i in 0..20 {
        send_json(
            &mut ws,
            json!({ "type": "join_room", "room": format!("r{i}") }),
        )
        .await;
        assert!(matches!(
            next_msg(&mut ws).await,
            ServerMessage::RoomJoined { .. }
        ));
    }
    send_json(&mut ws, json!({ "type": "join_room", "room": "r20" })).await;
    match next_msg(&mut ws).await {
        ServerMessage::Error { code, .. } => assert_eq!(code, ErrorCode::TooManyRooms),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn another_user_cannot_restart_summarise_or_download_a_run() {
    let app = spawn_app().await;
    let owner = app.login_demo().await;
    app.create_user("mallory", "mallory-password").await;
    let mallory = app.login("mallory", "mallory-password").await;
    let run = app.start_test(&owner, "demo", 0).await;
    app.wait_for_run(&owner, &run.test_id, |r| r.status.is_finished())
        .await;
    for endpoint in ["restart_test", "run_summary", "run", "cancel_test"] {
        let (status, body) = app
            .call(&mallory, endpoint, &[("test_id", &run.test_id)])
            .await;
        assert_eq!(status, 404, "{endpoint}: {body}");
    }
    for path in ["junit.xml", "json", "report.html"] {
        let res = app
            .http
            .get(app.url(&format!("/runs/{}/{path}", run.test_id)))
            .header("cookie", format!("livecheck_session={mallory}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn a_viewer_watches_but_cannot_start_save_or_run_anything() {
    let app = spawn_app().await;
    app.create_user_with_role("vic", "vic-password", Role::Viewer)
        .await;
    let viewer = app.login("vic", "vic-password").await;
    let suite = "name: v\nsteps:\n  - url: http://example.com/\n";
    for (endpoint, form) in [
        ("start_test", vec![("key", "demo")]),
        ("run_suite", vec![("suite", suite)]),
        ("save_suite", vec![("text", suite)]),
        ("create_room", vec![("name", "vics")]),
    ] {
        let (status, body) = app.call(&viewer, endpoint, &form).await;
        assert_eq!(status, 403, "{endpoint}: {body}");
    }
    // Watching is allowed: the tests list, and a room run they are a member of.
    assert_eq!(app.call(&viewer, "tests", &[]).await.0, 200);
    let admin = app.login_demo().await;
    app.call(
        &admin,
        "add_room_member",
        &[("room", "demo-team"), ("username", "vic")],
    )
    .await;
    let run = app
        .start_with(&admin, &[("key", "demo"), ("room", "demo-team")])
        .await;
    let mut ws = app.ws_with_cookie(&viewer).await.unwrap();
    expect_hello(&mut ws).await;
    let (mut snapshot, events) = follow_to_end(&mut ws, &run.test_id).await;
    events.iter().for_each(|e| snapshot.apply(e));
    assert_eq!(snapshot.status, RunStatus::Completed);
}

#[tokio::test]
async fn redirects_are_not_followed_even_where_the_guard_would_allow() {
    use axum::{response::Redirect, routing::get, Router};
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let mover = Router::new()
        .route(
            "/moved",
            get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        )
        .route(
            "/local",
            get(|| async { Redirect::temporary("/elsewhere") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, mover).await });
    let suite = format!(
        "name: redirects\non_failure: continue\nsteps:\n  - url: http://{target}/moved\n    checks: {{ status: 307 }}\n  - url: http://{target}/local\n    checks: {{ status: 200 }}\n"
    );
    let run = crate::suites::run(&app, &token, &suite).await;
    assert_eq!(run.steps[0].status, Some(307), "{run:?}");
    assert!(run.steps[0].passed, "{run:?}");
    assert_eq!(run.steps[1].status, Some(307), "not followed: {run:?}");
    assert!(!run.steps[1].passed);
}

/// A stored run that no longer reads back (a damaged row, or one an older version wrote, such as a
/// threshold limit of infinity stored as `null`) is left out of the runs list: it does not make the
/// list fail for everyone who can see it.
#[tokio::test]
async fn a_run_row_that_does_not_read_back_is_left_out_of_the_list() {
    let app = spawn_app().await;
    let token = app.login_demo().await;
    let good = app.start_test(&token, "demo", 0).await;
    let bad = app.start_test(&token, "demo", 0).await;
    for id in [&good.test_id, &bad.test_id] {
        app.wait_for_run(&token, id, |r| r.status.is_finished())
            .await;
    }
    let url = match test_postgres(&app.data_dir()).await {
        Some(url) => url,
        None => format!("sqlite://{}", app.data_dir().join("livecheck.db").display()),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE runs SET snapshot = '{\"load_summary\": null' WHERE id = $1")
        .bind(&bad.test_id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let (status, body) = app.call(&token, "runs", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&good.test_id), "{body}");
    assert!(!body.contains(&bad.test_id), "{body}");
    let (status, _) = app.page(&token, "/runs").await;
    assert_eq!(status, 200);
}

/// `livecheck run` and `livecheck import` read a file with no size on disk (a device, a pipe) only
/// up to their limit: `/dev/zero` is refused within seconds, in a 1 GiB address space.
#[tokio::test]
async fn the_cli_reads_an_endless_file_only_up_to_its_limit() {
    for (command, limit) in [("run", "262144"), ("import", "524288")] {
        let (code, stderr) = cli_in_1_gib(&format!("{command} /dev/zero")).await;
        assert_eq!(code, Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("larger than {limit} bytes")),
            "{command}: {stderr}"
        );
    }
}

/// Runs `livecheck ARGS` with its address space capped at 1 GiB (as the reports probed it), within
/// 20 s; returns its exit code and standard error.
async fn cli_in_1_gib(args: &str) -> (Option<i32>, String) {
    let script = format!(
        "ulimit -v 1048576; exec {} {args}",
        env!("CARGO_BIN_EXE_livecheck")
    );
    let output = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new("sh")
            .args(["-c", &script])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("finished within seconds")
    .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
