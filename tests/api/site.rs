//! One file to deploy: the release binary, started in an empty folder, serves the whole site from
//! inside itself (hashed names cached for good, ETag and 304, brotli and gzip), answers health and
//! readiness, and on SIGTERM drains: its sockets close with 1012 and it exits.

use std::time::Duration;

use futures::StreamExt;
use livecheck::protocol::close_code;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

use crate::{crash::start, helpers::*};

/// The first `import("…")` path in a page: the hydration script's JS glue.
fn between<'a>(html: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = html.find(before)? + before.len();
    let len = html[start..].find(after)?;
    Some(&html[start..start + len])
}

/// The body of a GET.
async fn text(http: &reqwest::Client, url: String) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn the_release_binary_serves_the_embedded_site_from_an_empty_folder_and_drains_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let html = text(&http, format!("{base}/login")).await;
    let js = between(&html, "import(\"", "\")")
        .expect("a hydration script")
        .to_owned();
    let wasm = between(&html, "module_or_path: \"", "\"")
        .expect("the wasm path")
        .to_owned();
    let css = between(&html, "rel=\"stylesheet\" href=\"", "\"")
        .expect("a stylesheet")
        .to_owned();
    // The JS glue keeps its plain name: the loader of the lazily loaded pages imports it by that
    // name, and a second name would load a second copy of it.
    assert_eq!(js, "/pkg/livecheck.js");
    for path in [&wasm, &css] {
        // The names carry their content's hash: /pkg/livecheck.0123456789abcdef.wasm.
        let name = path.rsplit('/').next().unwrap();
        let hash = name.split('.').nth(1).unwrap_or_default();
        assert!(
            hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{path}"
        );
    }
    let res = http
        .get(format!("{base}{wasm}"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "application/wasm");
    assert_eq!(headers["content-encoding"], "br");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"),
        "{headers:?}"
    );
    let res = http
        .get(format!("{base}{js}"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let etag = res.headers()["etag"].clone();
    let again = http
        .get(format!("{base}{js}"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // The lazily loaded pages: their loader imports the same glue, and their modules are served.
    let loader = text(&http, format!("{base}/pkg/__wasm_split.js")).await;
    assert!(loader.contains("from \"./livecheck.js\""), "{loader:.200}");
    let admin = between(&loader, "new URL(\"./split___admin_route_view", "\"")
        .expect("the admin page is a lazily loaded module");
    let res = http
        .get(format!("{base}/pkg/split___admin_route_view{admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/wasm");
    // The plain names are there too, revalidated each time.
    let plain = http
        .get(format!("{base}/pkg/livecheck.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["cache-control"], "no-cache");
    for path in ["/healthz", "/readyz"] {
        assert_eq!(
            http.get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }

    // Drain: a connected client is told to reconnect (1012) and the process exits.
    let login = http
        .post(format!("{base}/api/login"))
        .form(&[("username", DEMO_USER), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    let token = session_from(&login).unwrap();
    let mut request = format!("ws://{}/ws", server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "cookie",
        format!("livecheck_session={token}").parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let code = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Close(frame) = frame {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("closed within the drain");
    assert_eq!(code, Some(close_code::SERVICE_RESTART));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running after the drain"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
}
