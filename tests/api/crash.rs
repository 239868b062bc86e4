//! The real binary killed with SIGKILL mid-run: nothing that was committed is lost, and the run that
//! was cut off comes back as `interrupted`, marked by the next start or by another node of the same
//! database once the dead node's lease ran out, and never while the node lives.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use livecheck::protocol::{RunSnapshot, RunStatus};

use crate::helpers::{
    session_from, spawn_app_with, test_postgres, DEMO_PASSWORD, DEMO_USER, JWT_SECRET,
};

/// The node lease of these tests' servers: a node not heard from for this long is taken for dead.
pub(crate) const LEASE: Duration = Duration::from_secs(2);

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

/// Starts `target/…/livecheck` on a free port over `data`, in that folder (the binary needs no
/// other file: the site is inside it); returns once it listens. Its store is the one the test
/// servers of `data` use (SQLite in it, or PostgreSQL).
pub async fn start(data: &Path) -> Server {
    start_with(data, &[]).await
}

/// [`start`] with more settings (e.g. a cluster's Redis).
pub async fn start_with(data: &Path, env: &[(&str, String)]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_livecheck"));
    if let Some(url) = test_postgres(data).await {
        command.env("LIVECHECK_DATABASE_URL", url);
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = command
        .current_dir(data)
        .env_remove("LEPTOS_SITE_ROOT")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LIVECHECK_DATA_DIR", data)
        .env("LIVECHECK_DRAIN_SECS", "2")
        .env("LIVECHECK_DRAIN_SPREAD_SECS", "1")
        .env("LIVECHECK_JWT_SECRET", JWT_SECRET)
        .env("LIVECHECK_NODE_LEASE_SECS", LEASE.as_secs().to_string())
        // As `./run serve` asks: the demo account the test signs in with.
        .env("LIVECHECK_DEMO", "true")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server exited before listening")
            .unwrap();
        if let Some(rest) = line
            .split("addr=")
            .nth(1)
            .filter(|_| line.contains("listening"))
        {
            let addr: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            break addr.parse().expect("a socket address in the log");
        }
    };
    // Keep draining its output so the pipe never fills.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

async fn login(http: &reqwest::Client, addr: SocketAddr) -> String {
    let res = http
        .post(format!("http://{addr}/api/login"))
        .form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    session_from(&res).expect("a session")
}

pub(crate) async fn call(
    http: &reqwest::Client,
    addr: SocketAddr,
    token: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> RunSnapshot {
    let res = http
        .post(format!("http://{addr}/api/{endpoint}"))
        .header("cookie", format!("livecheck_session={token}"))
        .form(form)
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint}: {e}: {body}"))
}

async fn wait_for(
    http: &reqwest::Client,
    addr: SocketAddr,
    token: &str,
    test_id: &str,
    done: impl Fn(&RunSnapshot) -> bool,
) -> RunSnapshot {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let run = call(http, addr, token, "run", &[("test_id", test_id)]).await;
        if done(&run) {
            return run;
        }
        assert!(Instant::now() < deadline, "run never got there: {run:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn kill_9_loses_nothing_committed_and_marks_the_cut_off_run_interrupted() {
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let mut server = start(data.path()).await;
    let token = login(&http, server.addr).await;
    let done = call(
        &http,
        server.addr,
        &token,
        "start_test",
        &[("key", "demo"), ("delay_ms", "0")],
    )
    .await;
    let done = wait_for(&http, server.addr, &token, &done.test_id, |r| {
        r.status.is_finished()
    })
    .await;
    assert_eq!(done.status, RunStatus::Completed);

    let cut = call(
        &http,
        server.addr,
        &token,
        "start_test",
        &[("key", "demo"), ("delay_ms", "400")],
    )
    .await;
    let seen = wait_for(&http, server.addr, &token, &cut.test_id, |r| {
        r.steps.len() >= 3
    })
    .await;
    // Killed at once: the engine stores each step before it starts the next, so every step before
    // the last one seen is on disk however quickly the server dies.
    server.child.kill().unwrap(); // SIGKILL: no shutdown code runs
    server.child.wait().unwrap();

    let mut server = start(data.path()).await;
    let token = login(&http, server.addr).await;
    let after = call(
        &http,
        server.addr,
        &token,
        "run",
        &[("test_id", &done.test_id)],
    )
    .await;
    assert_eq!(after, done, "a finished run is exactly as it was");

    // Marked once the killed process's lease ran out.
    let cut = wait_for(&http, server.addr, &token, &cut.test_id, |r| {
        r.status == RunStatus::Interrupted
    })
    .await;
    let durable = seen.steps.len() - 1;
    assert!(
        cut.steps.len() >= durable,
        "the finished steps survive: {cut:?}"
    );
    assert_eq!(cut.steps[..durable], seen.steps[..durable]);
    assert!(cut.steps.len() < 8);
    let _ = server.child.kill();
    let _ = server.child.wait();
}

#[tokio::test]
async fn another_node_marks_the_run_of_a_killed_node_interrupted_after_its_lease_and_not_before() {
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    // Node A, a process of its own, runs a long run (8 steps, 1.5 s apart).
    let mut a = start(data.path()).await;
    let token = login(&http, a.addr).await;
    let run = call(
        &http,
        a.addr,
        &token,
        "start_test",
        &[("key", "demo"), ("delay_ms", "1500")],
    )
    .await;
    wait_for(&http, a.addr, &token, &run.test_id, |r| !r.steps.is_empty()).await;

    // Node B, on the same database, starts and sweeps: A is alive, so its run is left alone.
    let dir = data.path().to_path_buf();
    let b = spawn_app_with(move |c| {
        c.data_dir = dir;
        c.node_lease = LEASE;
    })
    .await;
    tokio::time::sleep(LEASE * 2).await;
    let status = |app: &crate::helpers::TestApp| {
        let (store, id) = (app.state.store.clone(), run.test_id.clone());
        async move { store.run(&id).await.unwrap().unwrap().snapshot.status }
    };
    assert_eq!(status(&b).await, RunStatus::Running, "a live node's run");

    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();
    let killed = Instant::now();
    while status(&b).await != RunStatus::Interrupted {
        assert!(killed.elapsed() < LEASE * 5, "B never noticed that A died");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = b.state.store.run(&run.test_id).await.unwrap().unwrap();
    assert_ne!(
        after.snapshot.epoch, run.epoch,
        "a new epoch: clients get a snapshot"
    );
}
