//! Bindings live in the database: a restart keeps them. Run on SQLite (a file in a temp dir)
//! and on PostgreSQL (postgres://postgres@127.0.0.1:5432/test, a scratch schema), skipped
//! with a printed reason when no PostgreSQL server answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use pbx::Transport;

async fn bindings_survive_a_restart(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), database_url, 0)).await;
    add_extension(&server, "100", "pw-persist").await;
    let mut phone = Phone::new(
        Conn::udp(server.sip_udp.unwrap()).await,
        "100",
        "pw-persist",
    );
    assert_eq!(phone.register(600).await.status, 200);
    let mut tcp = Phone::new(
        Conn::tcp(server.sip_tcp.unwrap()).await,
        "100",
        "pw-persist",
    );
    assert_eq!(tcp.register(600).await.status, 200);
    let before = bindings(&server, "100").await;
    assert_eq!(before.len(), 2);
    let admin = pbx::accounts::NewUser {
        name: "admin".into(),
        password_hash: portal::hash_password("admin-password-1").unwrap(),
        extension: None,
        admin: true,
    };
    server.store.add_user(&admin).await.unwrap();
    server.shutdown().await;

    let server = boot(test_config(dir.path(), database_url, 0)).await;
    let after = bindings(&server, "100").await;
    assert_eq!(after, before, "bindings read back unchanged");
    assert!(
        after
            .iter()
            .any(|b| b.flow.transport == Transport::Udp && b.contact == phone.contact())
    );
    // The portal user survived too, and the status page counts the bindings.
    let origin = http::Origin::Http(server.http.unwrap());
    let (admin, login) = http::Client::login(&origin, "admin", "admin-password-1").await;
    assert_eq!(login.status, 200, "{login:?}");
    let page = admin.request(&origin, "GET", "/admin/status", None).await;
    assert!(
        page.body
            .contains("id=\"bindings\" class=\"figure\">2</span>"),
        "{page:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn sqlite_bindings_survive_a_restart() {
    bindings_survive_a_restart(None).await;
}

#[tokio::test]
async fn postgres_bindings_survive_a_restart() {
    const ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";
    let Some(schema) = scratch_schema(ADMIN).await else {
        return;
    };
    let url = format!("{ADMIN}?options=-c%20search_path%3D{schema}");
    bindings_survive_a_restart(Some(&url)).await;
    drop_schema(ADMIN, &schema).await;
}

/// Creates a schema of its own so parallel runs and other tests do not collide.
async fn scratch_schema(admin: &str) -> Option<String> {
    use sqlx::Connection;
    let mut conn = match tokio::time::timeout(
        std::time::Duration::from_secs(5),
        sqlx::PgConnection::connect(admin),
    )
    .await
    {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            println!("SKIPPED postgres test: cannot connect to {admin}: {e}");
            return None;
        }
        Err(_) => {
            println!("SKIPPED postgres test: {admin} did not answer within 5 s");
            return None;
        }
    };
    let schema = format!("sb_it_{}", token());
    // The name is ours (hex digits), not input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    Some(schema)
}

async fn drop_schema(admin: &str, schema: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&mut conn)
            .await;
    }
}
