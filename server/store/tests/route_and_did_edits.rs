//! Editing outbound routes and DIDs (`route set`, `did set`, the portal's edit pages) on
//! SQLite (a temp file) and PostgreSQL (a scratch schema in database `test` on
//! 127.0.0.1:5432; skipped with a printed reason when no server answers): only the fields
//! given change, bad values are refused with the words `add_route` / `add_did` use and
//! nothing changed, an unknown id or number is None, and the server's in-memory copy follows
//! an edit made by this process at once and by another (the CLI) within a second or so.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{eventually, trunk};

use pbx::trunk::{Did, OutboundRoute};
use store::{DidUpdate, RouteUpdate, Store, StoreError};

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Two trunks and three extensions to point routes and numbers at.
async fn setup(store: &Store) {
    for name in ["acme", "backup"] {
        store.add_trunk(&trunk(name)).await.expect("trunk");
    }
    for number in ["1001", "1002", "1003"] {
        store.add_extension(number, "", "pw").await.expect("ext");
    }
}

fn message(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

async fn routes_suite(store: &Store) {
    let r1 = store
        .add_route("_1NXXNXXXXXX", &names(&["acme"]), 0, "+", None)
        .await
        .expect("route");
    let r2 = store
        .add_route("_011.", &names(&["backup"]), 3, "+", None)
        .await
        .expect("route");

    // One field: the others stay.
    let changed = store
        .update_route(
            r1,
            &RouteUpdate {
                prepend: Some("+1".into()),
                ..RouteUpdate::default()
            },
        )
        .await
        .expect("update");
    let expected = OutboundRoute {
        id: r1,
        pattern: "_1NXXNXXXXXX".into(),
        trunks: names(&["acme"]),
        strip: 0,
        prepend: "+1".into(),
        position: 10,
    };
    assert_eq!(changed.as_ref(), Some(&expected));

    // Everything, the trunk order and the position included: r1 now comes after r2.
    let everything = RouteUpdate {
        pattern: Some("_91NXXNXXXXXX".into()),
        trunks: Some(names(&["backup", "acme"])),
        strip: Some(1),
        prepend: Some(String::new()),
        position: Some(25),
    };
    let changed = store.update_route(r1, &everything).await.expect("update");
    let r1_now = OutboundRoute {
        id: r1,
        pattern: "_91NXXNXXXXXX".into(),
        trunks: names(&["backup", "acme"]),
        strip: 1,
        prepend: String::new(),
        position: 25,
    };
    assert_eq!(changed.as_ref(), Some(&r1_now));
    let listed = store.list_routes().await.expect("list");
    assert_eq!(listed.iter().map(|r| r.id).collect::<Vec<_>>(), [r2, r1]);
    assert_eq!(listed.last(), Some(&r1_now));
    // A shorter list replaces the longer one.
    let changed = store
        .update_route(
            r1,
            &RouteUpdate {
                trunks: Some(names(&["acme"])),
                ..RouteUpdate::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(changed.map(|r| r.trunks), Some(names(&["acme"])));

    // Bad values: the words of `add_route`, and nothing changed (not even the fields given
    // alongside).
    let now = store.list_routes().await.expect("list");
    for (bad, add) in [
        (
            RouteUpdate {
                pattern: Some("_1[5-".into()),
                ..RouteUpdate::default()
            },
            store
                .add_route("_1[5-", &names(&["acme"]), 0, "", None)
                .await,
        ),
        (
            RouteUpdate {
                trunks: Some(vec![]),
                ..RouteUpdate::default()
            },
            store.add_route("_X.", &[], 0, "", None).await,
        ),
        (
            RouteUpdate {
                trunks: Some(names(&["acme", "acme"])),
                ..RouteUpdate::default()
            },
            store
                .add_route("_X.", &names(&["acme", "acme"]), 0, "", None)
                .await,
        ),
        (
            RouteUpdate {
                strip: Some(33),
                ..RouteUpdate::default()
            },
            store
                .add_route("_X.", &names(&["acme"]), 33, "", None)
                .await,
        ),
        (
            RouteUpdate {
                pattern: Some("_2X.".into()),
                prepend: Some("9a".into()),
                ..RouteUpdate::default()
            },
            store
                .add_route("_X.", &names(&["acme"]), 0, "9a", None)
                .await,
        ),
    ] {
        let refused = message(store.update_route(r1, &bad).await);
        assert!(refused.starts_with("invalid outbound route"), "{refused}");
        assert_eq!(refused, message(add), "{bad:?}");
    }
    let unknown = RouteUpdate {
        pattern: Some("_2X.".into()),
        trunks: Some(names(&["backup", "nope"])),
        ..RouteUpdate::default()
    };
    assert!(matches!(
        store.update_route(r1, &unknown).await,
        Err(StoreError::NoSuchTrunk(n)) if n == "nope"
    ));
    assert_eq!(
        store.list_routes().await.expect("list"),
        now,
        "all or nothing"
    );

    assert_eq!(
        store
            .update_route(9999, &everything)
            .await
            .expect("no such"),
        None
    );
    assert!(store.remove_route(r1).await.expect("remove"));
    assert!(store.remove_route(r2).await.expect("remove"));
}

async fn dids_suite(store: &Store) {
    let main = Did {
        number: "+15551230000".into(),
        trunk: "acme".into(),
        to: names(&["1001"]),
        failover: None,
    };
    store.add_did(&main).await.expect("did");

    let changed = store
        .update_did(
            "+15551230000",
            &DidUpdate {
                to: Some(names(&["1002", "1003"])),
                failover: Some(Some("+15557654321".into())),
                ..DidUpdate::default()
            },
        )
        .await
        .expect("update");
    let expected = Did {
        number: "+15551230000".into(),
        trunk: "acme".into(),
        to: names(&["1002", "1003"]),
        failover: Some("+15557654321".into()),
    };
    assert_eq!(changed.as_ref(), Some(&expected));
    let changed = store
        .update_did(
            "+15551230000",
            &DidUpdate {
                trunk: Some("backup".into()),
                ..DidUpdate::default()
            },
        )
        .await
        .expect("update");
    let on_backup = Did {
        trunk: "backup".into(),
        ..expected.clone()
    };
    assert_eq!(changed.as_ref(), Some(&on_backup), "the failover stays");
    assert_eq!(
        store.list_dids().await.expect("list"),
        std::slice::from_ref(&on_backup)
    );

    // Refusals: the words of `add_did`, nothing changed.
    let add_with = |change: fn(&mut Did)| {
        let mut d = main.clone();
        d.number = "+15559999999".into();
        change(&mut d);
        d
    };
    for (bad, add) in [
        (
            DidUpdate {
                to: Some(vec![]),
                ..DidUpdate::default()
            },
            add_with(|d| d.to.clear()),
        ),
        (
            DidUpdate {
                to: Some(names(&["1001", "1001"])),
                ..DidUpdate::default()
            },
            add_with(|d| d.to = names(&["1001", "1001"])),
        ),
        (
            DidUpdate {
                trunk: Some("acme".into()),
                failover: Some(Some("voice mail".into())),
                ..DidUpdate::default()
            },
            add_with(|d| d.failover = Some("voice mail".into())),
        ),
        (
            DidUpdate {
                to: Some(names(&["1001", "1009"])),
                ..DidUpdate::default()
            },
            add_with(|d| d.to = names(&["1001", "1009"])),
        ),
        (
            DidUpdate {
                trunk: Some("nope".into()),
                to: Some(names(&["1001"])),
                ..DidUpdate::default()
            },
            add_with(|d| d.trunk = "nope".into()),
        ),
    ] {
        let refused = message(store.update_did("+15551230000", &bad).await);
        assert_eq!(refused, message(store.add_did(&add).await), "{bad:?}");
    }
    assert_eq!(store.list_dids().await.expect("list"), [on_backup]);

    // No failover any more.
    let cleared = store
        .update_did(
            "+15551230000",
            &DidUpdate {
                failover: Some(None),
                ..DidUpdate::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(cleared.and_then(|d| d.failover), None);
    let unknown = DidUpdate {
        trunk: Some("acme".into()),
        ..DidUpdate::default()
    };
    assert_eq!(
        store
            .update_did("+15550000000", &unknown)
            .await
            .expect("no such"),
        None
    );
    assert!(store.remove_did("+15551230000").await.expect("remove"));
}

/// The server's copy: this process's edits at once, another process's within a second.
async fn cache_suite(url: &str) {
    let server = Store::connect(url).await.expect("connect server");
    let cli = Store::connect(url).await.expect("connect cli");
    let id = server
        .add_route("_X.", &names(&["acme"]), 0, "", None)
        .await
        .expect("route");
    server
        .add_did(&Did {
            number: "+15550001111".into(),
            trunk: "acme".into(),
            to: names(&["1001"]),
            failover: None,
        })
        .await
        .expect("did");
    assert_eq!(server.cached_routes().await.expect("routes").len(), 1);
    assert_eq!(server.cached_dids().await.expect("dids").len(), 1);

    let prepend = |p: &str| RouteUpdate {
        prepend: Some(p.into()),
        ..RouteUpdate::default()
    };
    server.update_route(id, &prepend("00")).await.expect("edit");
    let routes = server.cached_routes().await.expect("routes");
    assert_eq!(routes[0].prepend, "00", "this process's edit at once");

    cli.update_route(id, &prepend("+44")).await.expect("edit");
    cli.update_did(
        "+15550001111",
        &DidUpdate {
            to: Some(names(&["1002"])),
            ..DidUpdate::default()
        },
    )
    .await
    .expect("edit");
    assert!(
        eventually(|| async {
            server.cached_routes().await.expect("routes")[0].prepend == "+44"
                && server.cached_dids().await.expect("dids")[0].to == ["1002"]
        })
        .await,
        "another process's edits become known"
    );
    cli.close().await;
    server.close().await;
}

async fn all_suites(url: String) {
    let store = Store::connect(&url).await.expect("connect");
    setup(&store).await;
    routes_suite(&store).await;
    dids_suite(&store).await;
    store.close().await;
    cache_suite(&url).await;
}

#[tokio::test]
async fn sqlite_route_and_did_edits() {
    common::on_scratch_sqlite(all_suites).await;
}

#[tokio::test]
async fn postgres_route_and_did_edits() {
    common::on_scratch_postgres("postgres_route_and_did_edits", all_suites).await;
}
