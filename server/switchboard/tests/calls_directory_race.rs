//! An extension added right after the server starts must be usable at once: the store's
//! `add_extension` invalidates the in-memory directory, so the next lookup (a REGISTER's
//! digest check, a call's routing) must see it. Found while writing the call tests: the
//! purge task's first tick loads the directory concurrently at startup, and an extension
//! added while that load is in flight is missing from the copy, which is then served as
//! fresh for `RECHECK` (1 s): REGISTER got 403 for a correct password. Fixed by the cache's
//! invalidation generation; this test repeats the race.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Conn, Phone, add_extension, boot, test_config};

#[tokio::test]
async fn an_extension_added_after_start_is_seen_at_once() {
    let mut failures = Vec::new();
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let server = boot(test_config(dir.path(), None, 0)).await;
        for n in ["1001", "1002", "1003"] {
            add_extension(&server, n, "secret").await;
        }
        for n in ["1001", "1002", "1003"] {
            // What the registrar asks, straight after the add.
            let seen = server.store.cached_extension(n).await.unwrap().is_some();
            let mut phone = Phone::new(Conn::udp(server.sip_udp.unwrap()).await, n, "secret");
            let status = phone.register(60).await.status;
            if !seen || status != 200 {
                failures.push(format!(
                    "round {round}: {n} cached={seen} REGISTER={status}"
                ));
            }
        }
        server.shutdown().await;
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
