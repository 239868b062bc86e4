//! PostgreSQL over TLS: `./run test` starts its PostgreSQL with a self-signed certificate for
//! 127.0.0.1 (`tests/services.sh`) and gives it in `LIVECHECK_TEST_POSTGRES_CA`, in the pass on
//! PostgreSQL.

use sqlx::Connection;

use crate::helpers::*;

#[tokio::test]
async fn the_store_uses_tls_to_postgresql_and_verifies_the_server() {
    let Ok(ca) = std::env::var("LIVECHECK_TEST_POSTGRES_CA") else {
        eprintln!("skipped: needs LIVECHECK_TEST_POSTGRES_CA (./run test's pass on PostgreSQL)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = test_postgres(dir.path())
        .await
        .expect("LIVECHECK_TEST_POSTGRES with LIVECHECK_TEST_POSTGRES_CA");
    let database = url.rsplit('/').next().unwrap().to_owned();

    // Not trusted without its CA: the certificate is checked, not just the encryption turned on.
    let refused = livecheck::store::Store::connect(&format!("{url}?sslmode=verify-full"))
        .await
        .err()
        .expect("a self-signed certificate is refused");
    assert!(refused.to_string().contains("certificate"), "{refused}");

    // With it, a server works on the database through TLS connections only.
    let tls_url = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
    let app = spawn_app_with(move |c| c.database_url = Some(tls_url)).await;
    app.login_demo().await;
    let admin = std::env::var("LIVECHECK_TEST_POSTGRES").unwrap();
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let (tls, plain): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) \
         FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.datname = $1",
    )
    .bind(&database)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(tls > 0, "the server's connections use TLS");
    assert_eq!(plain, 0, "and none without it");
}
