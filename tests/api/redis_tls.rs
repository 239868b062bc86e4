//! The cluster's Redis over TLS: `./run test` starts its Redis with a TLS port too, with a
//! certificate for 127.0.0.1 from a CA of its own (`tests/services.sh`), and gives both in
//! `LIVECHECK_TEST_REDIS_TLS` (a `rediss://` URL) and `LIVECHECK_TEST_REDIS_CA`.

use livecheck::{
    broker::{Broker, BrokerSettings},
    protocol::ServerMessage,
};

use crate::{cluster::two_nodes_with, helpers::*};

#[tokio::test]
async fn the_cluster_talks_to_redis_over_tls_and_verifies_it() {
    let (Ok(url), Ok(ca)) = (
        std::env::var("LIVECHECK_TEST_REDIS_TLS"),
        std::env::var("LIVECHECK_TEST_REDIS_CA"),
    ) else {
        eprintln!(
            "skipped: needs LIVECHECK_TEST_REDIS_TLS and LIVECHECK_TEST_REDIS_CA (./run test)"
        );
        return;
    };

    // Not trusted without its CA: the certificate is checked, not just the encryption turned on.
    let refused = Broker::connect(&url, "probe", BrokerSettings::default())
        .await
        .err()
        .expect("a certificate from an unknown CA is refused");
    assert!(
        refused.to_string().to_lowercase().contains("certificate"),
        "{refused}"
    );

    // With it, two nodes form a cluster over TLS: a client on B follows a run of A to its end.
    let (a, b) = two_nodes_with(move |c| {
        c.redis_url = Some(url.clone());
        c.redis_ca = Some(ca.clone().into());
    })
    .await;
    let on_a = a.login_demo().await;
    let on_b = b.login_demo().await;
    let run = a.start_test(&on_a, "demo", 100).await;
    assert!(!b.state.hub.is_local(&run.test_id));
    let mut ws = b.ws_with_cookie(&on_b).await.unwrap();
    expect_hello(&mut ws).await;
    let (_, events) = follow_to_end(&mut ws, &run.test_id).await;
    assert!(!events.is_empty(), "live events reached node B");
    assert!(matches!(
        events.last(),
        Some(ServerMessage::TestCompleted { .. })
    ));
}
