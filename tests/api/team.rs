//! A team on one server: roles, the first admin, the operator CLI, rooms with shared suites,
//! self-registration, personal access tokens with the REST API, the WebSocket and
//! `livecheck run --server`, and the audit log.

use std::time::Duration;

use livecheck::protocol::{
    api::{AccountInfo, AuditRecord, NewToken, RoomDetail, SuiteInfo, SuiteSaved},
    close_code, RunSnapshot, RunStatus,
};
use serde_json::json;

use crate::helpers::*;

const SUITE: &str = "name: Team health\nvariables:\n  base: http://127.0.0.1:1\nsteps:\n  - url: ${base}/demo/health\n    checks: { status: 200 }\n";

fn team_suite(app: &TestApp) -> String {
    SUITE.replace("127.0.0.1:1", &app.addr.to_string())
}

async fn new_token(app: &TestApp, session: &str, run: bool) -> NewToken {
    let mut form = vec![("name", "ci"), ("days", "7")];
    if run {
        form.push(("run", "true"));
    }
    let (status, body) = app.call(session, "create_token", &form).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn save(app: &TestApp, session: &str, text: &str) -> SuiteSaved {
    let (status, body) = app.call(session, "save_suite", &[("text", text)]).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn an_admin_creates_a_member_and_a_viewer_and_only_admins_manage_users() {
    let app = spawn_app().await;
    let admin = app.login_demo().await;
    for (name, role) in [("mia", "member"), ("vera", "viewer")] {
        let (status, body) = app
            .call(
                &admin,
                "admin/create_user",
                &[
                    ("username", name),
                    ("password", "a-long-password"),
                    ("role", role),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let account: AccountInfo = serde_json::from_str(&body).unwrap();
        assert_eq!(account.role.as_str(), role);
    }
    let mia = app.login("mia", "a-long-password").await;
    let (status, _) = app.call(&mia, "admin/users", &[]).await;
    assert_eq!(status, 403);
    let (status, body) = app.call(&admin, "admin/users", &[]).await;
    assert_eq!(status, 200);
    let users: Vec<AccountInfo> = serde_json::from_str(&body).unwrap();
    assert_eq!(users.len(), 3);
    // The last admin cannot demote or disable themself out of the server.
    let me = users
        .iter()
        .find(|u| u.username == "demo")
        .unwrap()
        .id
        .to_string();
    let (status, body) = app
        .call(&admin, "admin/set_role", &[("id", &me), ("role", "member")])
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_first_admin_comes_from_the_environment() {
    let app = spawn_app_with(|c| {
        c.seed_demo = false;
        c.admin = Some(("root".into(), "root-password".into()));
    })
    .await;
    let root = app.login("root", "root-password").await;
    assert_eq!(app.call(&root, "admin/users", &[]).await.0, 200);
}

#[tokio::test]
async fn the_operator_cli_adds_lists_changes_and_disables_users() {
    let data = tempfile::tempdir().unwrap();
    // The CLI works on the database the servers of this data directory use.
    let database = test_postgres(data.path()).await;
    let cli = |args: &[&str], stdin: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_livecheck"));
        if let Some(url) = &database {
            command.env("LIVECHECK_DATABASE_URL", url);
        }
        command
            .arg("user")
            .args(args)
            .env("LIVECHECK_DATA_DIR", data.path())
            .env_remove("LIVECHECK_PASSWORD")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = cli(&["add", "ops", "--role", "admin"], "ops-password\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["add", "ops"], "ops-password\n");
    assert_eq!(out.status.code(), Some(2), "a taken name");
    assert!(
        cli(&["add", "short"], "short\n").status.code() == Some(2),
        "a short password"
    );
    assert!(cli(&["role", "ops", "viewer"], "").status.success());
    assert!(cli(&["passwd", "ops"], "another-password\n")
        .status
        .success());
    assert!(cli(&["disable", "ops"], "").status.success());
    let list = String::from_utf8(cli(&["list"], "").stdout).unwrap();
    assert_eq!(list.trim(), "ops\tviewer\tdisabled");
    // The server sees what the CLI did: disabled, so no sign-in.
    let dir = data.path().to_path_buf();
    let app = spawn_app_with(move |c| c.data_dir = dir).await;
    assert_eq!(
        app.post_login("ops", "another-password").await.status(),
        401
    );
    assert!(cli(&["disable", "ops", "--enable"], "").status.success());
    assert_eq!(
        app.post_login("ops", "another-password").await.status(),
        200
    );
}

#[tokio::test]
async fn a_suite_shared_into_a_room_is_run_by_its_members_and_watched_by_its_viewers() {
    let app = spawn_app().await;
    app.login_demo().await;
    app.create_user_with_role(
        "mia",
        "mia-password",
        livecheck::protocol::api::Role::Member,
    )
    .await;
    app.create_user_with_role(
        "max",
        "max-password",
        livecheck::protocol::api::Role::Member,
    )
    .await;
    app.create_user_with_role(
        "vera",
        "vera-password",
        livecheck::protocol::api::Role::Viewer,
    )
    .await;
    let mia = app.login("mia", "mia-password").await;
    let max = app.login("max", "max-password").await;
    let vera = app.login("vera", "vera-password").await;
    assert_eq!(
        app.call(&mia, "create_room", &[("name", "qa")]).await.0,
        200
    );
    for who in ["max", "vera"] {
        let (status, body) = app
            .call(
                &mia,
                "add_room_member",
                &[("room", "qa"), ("username", who)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // A plain member cannot manage the room.
    let (status, _) = app
        .call(
            &max,
            "add_room_member",
            &[("room", "qa"), ("username", "demo")],
        )
        .await;
    assert_eq!(status, 403);
    let saved = save(&app, &mia, &team_suite(&app)).await;
    let id = saved.id.to_string();
    // Before it is shared, nobody else sees it.
    assert_eq!(app.call(&max, "suite", &[("id", &id)]).await.0, 404);
    let (status, body) = app
        .call(&mia, "share_suite", &[("id", &id), ("room", "qa")])
        .await;
    assert_eq!(status, 200, "{body}");
    // Only the owner shares it.
    assert_eq!(
        app.call(&max, "share_suite", &[("id", &id), ("room", "qa")])
            .await
            .0,
        404
    );

    let (_, body) = app.call(&max, "suites", &[]).await;
    let list: Vec<SuiteInfo> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].owner.as_str(), list[0].editable), ("mia", false));
    assert_eq!(list[0].rooms, vec!["qa".to_owned()]);
    let (_, body) = app.call(&vera, "room", &[("name", "qa")]).await;
    let room: RoomDetail = serde_json::from_str(&body).unwrap();
    assert_eq!(room.suites.len(), 1);
    assert!(!room.admin);

    // Max runs it; the run lands in the room, so Vera watches it live.
    let mut ws = app.ws_with_cookie(&vera).await.unwrap();
    expect_hello(&mut ws).await;
    send_json(&mut ws, json!({ "type": "join_room", "room": "qa" })).await;
    assert!(matches!(
        next_msg(&mut ws).await,
        livecheck::protocol::ServerMessage::RoomJoined { .. }
    ));
    let (status, body) = app.call(&max, "run_saved_suite", &[("id", &id)]).await;
    assert_eq!(status, 200, "{body}");
    let run: RunSnapshot = serde_json::from_str(&body).unwrap();
    loop {
        match next_msg(&mut ws).await {
            livecheck::protocol::ServerMessage::RoomRunStarted {
                test_id,
                started_by,
                ..
            } => {
                assert_eq!(
                    (test_id.as_str(), started_by.as_str()),
                    (run.test_id.as_str(), "max")
                );
                break;
            }
            _ => continue,
        }
    }
    let (mut snapshot, events) = follow_to_end(&mut ws, &run.test_id).await;
    events.iter().for_each(|e| snapshot.apply(e));
    assert_eq!(snapshot.status, RunStatus::Completed, "{snapshot:?}");
    // Vera may not run it; Max may not save over it; Mia may, and so may a room admin.
    assert_eq!(
        app.call(&vera, "run_saved_suite", &[("id", &id)]).await.0,
        403
    );
    let text = team_suite(&app);
    let (status, _) = app
        .call(&max, "save_suite", &[("id", &id), ("text", &text)])
        .await;
    assert_eq!(status, 404);
    app.call(
        &mia,
        "set_room_role",
        &[("room", "qa"), ("username", "max"), ("role", "admin")],
    )
    .await;
    let (status, body) = app
        .call(&max, "save_suite", &[("id", &id), ("text", &text)])
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn registration_is_closed_until_an_admin_opens_it() {
    let app = spawn_app().await;
    let form = [("username", "newbie"), ("password", "newbie-password")];
    assert_eq!(app.call("", "register", &form).await.0, 403);
    // The sign-in page, as the server renders it for someone signed out, offers no form to register.
    let login_page = || async {
        let res = app.http.get(app.url("/login")).send().await.unwrap();
        res.text().await.unwrap()
    };
    assert!(!login_page().await.contains("Create an account"));
    let admin = app.login_demo().await;
    assert_eq!(
        app.call(&admin, "admin/set_registration", &[("open", "true")])
            .await
            .0,
        200
    );
    let html = login_page().await;
    assert!(html.contains("Create an account"), "{html}");
    assert!(html.contains(r#"action="/api/register""#), "{html}");
    let (status, body) = app.call("", "register", &form).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"role\":\"member\""), "{body}");
}

/// "Alice" is not a second account beside "alice": a name is taken in any letter case, and signing in
/// or adding to a room finds the account however its name is typed.
#[tokio::test]
async fn a_username_names_one_account_whatever_its_letter_case() {
    let app = spawn_app().await;
    let admin = app.login_demo().await;
    app.call(&admin, "admin/set_registration", &[("open", "true")])
        .await;
    let (status, body) = app
        .call(
            "",
            "register",
            &[("username", "DEMO"), ("password", "impostor-password")],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("taken"), "{body}");
    // Still the one demo account, which signs in as "Demo" too and keeps its name.
    let session = app.login("Demo", "demo-password").await;
    let (_, me) = app.call(&session, "me", &[]).await;
    assert!(me.contains("\"username\":\"demo\""), "{me}");

    app.create_user("alice", "alice-password").await;
    let (status, body) = app.call(&admin, "create_room", &[("name", "qa")]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call(
            &admin,
            "add_room_member",
            &[("room", "qa"), ("username", "ALICE")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, members) = app.call(&admin, "room", &[("name", "qa")]).await;
    assert!(members.contains("\"username\":\"alice\""), "{members}");
}

#[tokio::test]
async fn a_token_starts_and_follows_runs_over_rest_and_the_socket_until_revoked() {
    let app = spawn_app().await;
    let session = app.login_demo().await;
    let saved = save(&app, &session, &team_suite(&app)).await;
    let token = new_token(&app, &session, true).await;
    assert!(token.secret.starts_with("lc_"));
    let bearer = format!("Bearer {}", token.secret);
    let start = |body: serde_json::Value| {
        app.http
            .post(app.url("/api/v1/runs"))
            .header("authorization", bearer.clone())
            .json(&body)
            .send()
    };
    // By name, then by id; an unknown suite is 404, a bad body 400.
    let res = start(json!({ "suite": "Team health" })).await.unwrap();
    assert_eq!(res.status(), 201);
    let run: RunSnapshot = res.json().await.unwrap();
    assert_eq!(
        start(json!({ "suite": saved.id })).await.unwrap().status(),
        201
    );
    assert_eq!(
        start(json!({ "suite": "nope" })).await.unwrap().status(),
        404
    );
    assert_eq!(start(json!({ "suit": 1 })).await.unwrap().status(), 400);
    // Bad bodies get a JSON error that names what is wrong in the API's own words.
    for (body, says) in [
        (json!([1]), "a JSON object"),
        (
            json!({ "suite": { "a": 1 } }),
            "a suite's id (a number) or name (a string)",
        ),
    ] {
        let res = start(body).await.unwrap();
        assert_eq!(res.status(), 400);
        let error: serde_json::Value = res.json().await.unwrap();
        let error = error["error"].as_str().unwrap().to_owned();
        assert!(
            error.contains(says) && !error.contains("SuiteRef"),
            "{error}"
        );
    }
    let res = app
        .http
        .post(app.url("/api/v1/runs"))
        .header("authorization", bearer.clone())
        .header("content-type", "application/json")
        .body(vec![b' '; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let error: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        error,
        json!({ "code": "too_large", "error": "the request body is larger than 1048576 bytes" })
    );
    // The same without a length up front (chunked): found out while reading, and still 413.
    let (status, body) = post_chunked(&app, "/api/v1/runs", &bearer, (1 << 20) + (128 << 10)).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    assert!(body.contains(r#""code":"too_large""#), "{body}");

    // The same token follows it on the socket.
    let offer = (
        "sec-websocket-protocol",
        format!("livecheck.v1, bearer.{}", token.secret),
    );
    let (mut ws, _) = app
        .ws_with_headers(std::slice::from_ref(&offer))
        .await
        .unwrap();
    expect_hello(&mut ws).await;
    let (mut snapshot, events) = follow_to_end(&mut ws, &run.test_id).await;
    events.iter().for_each(|e| snapshot.apply(e));
    assert_eq!(snapshot.status, RunStatus::Completed);
    let res = app
        .http
        .get(app.url(&format!("/api/v1/runs/{}", run.test_id)))
        .header("authorization", bearer.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let junit = app
        .http
        .get(app.url(&format!("/api/v1/runs/{}/junit.xml", run.test_id)))
        .header("authorization", bearer.clone())
        .send()
        .await
        .unwrap();
    assert!(junit.text().await.unwrap().contains("<testsuites"));

    // A read-only token watches but does not start.
    let read = new_token(&app, &session, false).await;
    let res = app
        .http
        .post(app.url("/api/v1/runs"))
        .bearer_auth(&read.secret)
        .json(&json!({ "suite": saved.id }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Revoked: refused at once, and its open socket closes.
    let (mut ws, _) = app.ws_with_headers(&[offer]).await.unwrap();
    expect_hello(&mut ws).await;
    let id = token.info.id.to_string();
    assert_eq!(
        app.call(&session, "revoke_token", &[("id", &id)]).await.0,
        200
    );
    assert_eq!(close_code(&mut ws).await, Some(close_code::UNAUTHORIZED));
    assert_eq!(
        start(json!({ "suite": saved.id })).await.unwrap().status(),
        401
    );
}

#[tokio::test]
async fn livecheck_run_with_a_server_and_a_token_follows_a_stored_suite_to_its_exit_code() {
    let app = spawn_app().await;
    let session = app.login_demo().await;
    save(&app, &session, &team_suite(&app)).await;
    let failing = team_suite(&app)
        .replace("Team health", "Team failing")
        .replace("status: 200", "status: 500");
    save(&app, &session, &failing).await;
    let token = new_token(&app, &session, true).await;
    let server = format!("http://{}", app.addr);
    let run = |suite: &'static str| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_livecheck"))
            .args(["run", "--server", &server, suite])
            .env("LIVECHECK_TOKEN", &token.secret)
            .kill_on_drop(true)
            .output()
    };
    let out = tokio::time::timeout(Duration::from_secs(30), run("Team health"))
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("✓ 1/1"), "{stdout}");
    assert!(stdout.contains("PASSED"), "{stdout}");
    let out = tokio::time::timeout(Duration::from_secs(30), run("Team failing"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = tokio::time::timeout(Duration::from_secs(30), run("No such suite"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_and_never_a_secret() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_login(DEMO_USER, "not-the-password").await.status(),
        401
    );
    let admin = app.login_demo().await;
    app.call(
        &admin,
        "admin/create_user",
        &[
            ("username", "sam"),
            ("password", "sam-password"),
            ("role", "member"),
        ],
    )
    .await;
    let token = new_token(&app, &admin, true).await;
    app.call(
        &admin,
        "revoke_token",
        &[("id", &token.info.id.to_string())],
    )
    .await;
    app.call(
        &admin,
        "add_room_member",
        &[("room", "demo-team"), ("username", "sam")],
    )
    .await;
    save(&app, &admin, &team_suite(&app)).await;
    let run = app
        .start_with(&admin, &[("key", "demo"), ("delay_ms", "300")])
        .await;
    app.call(&admin, "cancel_test", &[("test_id", &run.test_id)])
        .await;
    app.call(&admin, "restart_test", &[("test_id", &run.test_id)])
        .await;

    let (status, body) = app.call(&admin, "admin/audit", &[]).await;
    assert_eq!(status, 200, "{body}");
    let entries: Vec<AuditRecord> = serde_json::from_str(&body).unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for want in [
        "login_failed",
        "login",
        "user_create",
        "token_create",
        "token_revoke",
        "room_member_add",
        "suite_save",
        "run_start",
        "run_cancel",
        "run_restart",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert!(
        entries.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")),
        "{entries:?}"
    );
    for secret in [
        "not-the-password",
        "demo-password",
        "sam-password",
        token.secret.as_str(),
    ] {
        assert!(!body.contains(secret), "the log holds a secret: {secret}");
    }
    // Filters, and the JSON-lines download for admins only.
    let (_, body) = app
        .call(&admin, "admin/audit", &[("action", "login_failed")])
        .await;
    let failed: Vec<AuditRecord> = serde_json::from_str(&body).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].actor, "demo");
    let download = |token: String| {
        app.http
            .get(app.url("/admin/audit.jsonl?action=login"))
            .header("cookie", format!("livecheck_session={token}"))
            .send()
    };
    let res = download(admin.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let lines = res.text().await.unwrap();
    assert!(lines.lines().count() >= 1);
    assert!(lines
        .lines()
        .all(|l| serde_json::from_str::<AuditRecord>(l).is_ok()));
    let sam = app.login("sam", "sam-password").await;
    assert_eq!(download(sam).await.unwrap().status(), 403);
}

/// POSTs `size` bytes of JSON whitespace in 64 KiB chunks over a raw connection (no
/// `Content-Length`); the status line and the body of the answer.
async fn post_chunked(app: &TestApp, path: &str, bearer: &str, size: usize) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {}\r\nauthorization: {bearer}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        app.addr
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 << 10];
    for _ in 0..size / chunk.len() {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        // The server may answer and close before reading it all.
        if tcp.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tcp.read_to_end(&mut answer),
    )
    .await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or_default().to_owned();
    (status, answer)
}
