//! SIP trunks, DIDs and outbound routes on SQLite (a temp file) and PostgreSQL (a scratch
//! schema in database `test` on 127.0.0.1:5432; skipped with a printed reason when no server
//! answers): every field round-trips, bad values and unknown references are refused with
//! nothing written, a trunk in use is not removed, and the server's in-memory copy follows
//! changes made by this process at once and by another (the CLI) within a second or so.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::eventually;

use pbx::trunk::{Cidr, Did, OutboundRoute, SrtpPolicy, Trunk, TrunkRegistration, TrunkTransport};
use store::{Store, StoreError};

fn registered(name: &str) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: "sip.provider.example".into(),
        port: None,
        transport: TrunkTransport::Udp,
        registration: Some(TrunkRegistration {
            username: "acme-user".into(),
            password: "s3cret-pw".into(),
            expires: 600,
        }),
        allow: vec![],
        codecs: vec!["PCMU".into(), "PCMA".into()],
        srtp: SrtpPolicy::Off,
        channels: None,
        options_interval: 30,
        caller_id: Some("+15551230000".into()),
        ca_file: None,
    }
}

fn ip_authenticated(name: &str) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: "2001:db8::10".into(),
        port: Some(5071),
        transport: TrunkTransport::Tls,
        registration: None,
        allow: vec![
            "192.0.2.0/24".parse::<Cidr>().unwrap(),
            "2001:db8::10".parse::<Cidr>().unwrap(),
        ],
        codecs: vec!["g722".into(), "PCMU".into(), "G729".into()],
        srtp: SrtpPolicy::Require,
        channels: Some(30),
        options_interval: 0,
        caller_id: None,
        ca_file: Some("/etc/switchboard/provider-ca.pem".into()),
    }
}

fn did(number: &str, trunk: &str, to: &[&str]) -> Did {
    Did {
        number: number.into(),
        trunk: trunk.into(),
        to: to.iter().map(|s| (*s).to_owned()).collect(),
        failover: None,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Trunks: round trip of every field, duplicates, bad values, update.
async fn trunks_suite(store: &Store) {
    assert!(store.list_trunks().await.expect("list").is_empty());
    let a_id = store
        .add_trunk(&registered("acme"))
        .await
        .expect("add acme");
    let b_id = store
        .add_trunk(&ip_authenticated("backup"))
        .await
        .expect("add backup");
    assert_ne!(a_id, b_id);

    let acme = store.get_trunk("acme").await.expect("get").expect("acme");
    assert_eq!(
        acme,
        Trunk {
            id: a_id,
            ..registered("acme")
        },
        "every field reads back, the password too (digest needs it)"
    );
    let backup = store
        .get_trunk("backup")
        .await
        .expect("get")
        .expect("backup");
    assert_eq!(backup.id, b_id);
    assert_eq!(backup.codecs, ["G722", "PCMU", "G729"], "names normalized");
    assert_eq!(
        Trunk {
            codecs: ip_authenticated("backup").codecs,
            ..backup.clone()
        },
        Trunk {
            id: b_id,
            ..ip_authenticated("backup")
        }
    );
    assert!(store.get_trunk("nope").await.expect("get").is_none());
    let listed: Vec<String> = store
        .list_trunks()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(listed, ["acme", "backup"]);

    assert!(matches!(
        store.add_trunk(&ip_authenticated("acme")).await,
        Err(StoreError::DuplicateTrunk(n)) if n == "acme"
    ));
    let mut bad = registered("bad");
    bad.codecs = vec!["OPUS".into()];
    assert!(matches!(
        store.add_trunk(&bad).await,
        Err(StoreError::InvalidTrunk(m)) if m.contains("OPUS")
    ));
    bad = registered("bad one");
    assert!(matches!(
        store.add_trunk(&bad).await,
        Err(StoreError::InvalidTrunk(_))
    ));
    assert_eq!(store.list_trunks().await.expect("list").len(), 2);

    // Update replaces every setting, keyed by name.
    let mut changed = ip_authenticated("acme");
    changed.ca_file = None;
    changed.transport = TrunkTransport::Tcp;
    assert!(store.update_trunk(&changed).await.expect("update"));
    let got = store.get_trunk("acme").await.expect("get").expect("acme");
    assert_eq!((got.id, got.transport), (a_id, TrunkTransport::Tcp));
    assert_eq!(got.registration, None);
    assert_eq!(got.allow, changed.allow);
    assert!(
        !store
            .update_trunk(&registered("nope"))
            .await
            .expect("update")
    );
    let mut invalid = registered("acme");
    invalid.channels = Some(0);
    assert!(matches!(
        store.update_trunk(&invalid).await,
        Err(StoreError::InvalidTrunk(_))
    ));
    assert!(store.update_trunk(&registered("acme")).await.expect("back"));
}

/// DIDs and routes against the two trunks of `trunks_suite`; then removal of trunks in use.
async fn numbers_and_routes_suite(store: &Store) {
    store
        .add_extension("1001", "Alice", "pw")
        .await
        .expect("ext");
    store.add_extension("1002", "Bob", "pw").await.expect("ext");

    let mut main = did("+15551230000", "acme", &["1001", "1002"]);
    main.failover = Some("+15557654321".into());
    store.add_did(&main).await.expect("add did");
    store
        .add_did(&did("15551230001", "backup", &["1002"]))
        .await
        .expect("add did");
    assert!(matches!(
        store.add_did(&did("+15551230000", "backup", &["1001"])).await,
        Err(StoreError::DuplicateDid(n)) if n == "+15551230000"
    ));
    assert!(matches!(
        store.add_did(&did("+15551239999", "nope", &["1001"])).await,
        Err(StoreError::NoSuchTrunk(n)) if n == "nope"
    ));
    assert!(matches!(
        store.add_did(&did("+15551239999", "acme", &["1001", "1009"])).await,
        Err(StoreError::NoSuchExtension(n)) if n == "1009"
    ));
    assert!(matches!(
        store.add_did(&did("555 1234", "acme", &["1001"])).await,
        Err(StoreError::InvalidDid(_))
    ));
    assert_eq!(
        store.list_dids().await.expect("list"),
        [main.clone(), did("15551230001", "backup", &["1002"])]
    );

    let r1 = store
        .add_route("_1NXXNXXXXXX", &names(&["acme", "backup"]), 0, "+", None)
        .await
        .expect("route");
    let r2 = store
        .add_route("_011.", &names(&["backup"]), 3, "+", None)
        .await
        .expect("route");
    let r0 = store
        .add_route("911", &names(&["acme"]), 0, "", Some(1))
        .await
        .expect("route");
    let routes = store.list_routes().await.expect("list");
    assert_eq!(
        routes,
        [
            OutboundRoute {
                id: r0,
                pattern: "911".into(),
                trunks: vec!["acme".into()],
                strip: 0,
                prepend: String::new(),
                position: 1,
            },
            OutboundRoute {
                id: r1,
                pattern: "_1NXXNXXXXXX".into(),
                trunks: vec!["acme".into(), "backup".into()],
                strip: 0,
                prepend: "+".into(),
                position: 10,
            },
            OutboundRoute {
                id: r2,
                pattern: "_011.".into(),
                trunks: vec!["backup".into()],
                strip: 3,
                prepend: "+".into(),
                position: 20,
            },
        ]
    );
    // An unknown trunk anywhere in the list adds nothing, not even a route without trunks.
    assert!(matches!(
        store
            .add_route("_X.", &names(&["acme", "nope"]), 0, "", None)
            .await,
        Err(StoreError::NoSuchTrunk(n)) if n == "nope"
    ));
    assert!(matches!(
        store.add_route("_1[5-", &names(&["acme"]), 0, "", None).await,
        Err(StoreError::InvalidRoute(m)) if m.contains("_1[5-")
    ));
    assert_eq!(store.list_routes().await.expect("list").len(), 3);
    let next = store
        .add_route("_X.", &names(&["acme"]), 0, "", None)
        .await
        .expect("route");
    assert_eq!(
        store
            .list_routes()
            .await
            .expect("list")
            .last()
            .map(|r| (r.id, r.position)),
        Some((next, 30)),
        "the refused route did not take a position"
    );
    assert!(store.remove_route(next).await.expect("remove"));

    // Trunks in use stay until what uses them goes.
    match store.remove_trunk("acme").await {
        Err(StoreError::TrunkInUse {
            trunk,
            dids,
            routes,
        }) => {
            assert_eq!(trunk, "acme");
            assert_eq!(dids, ["+15551230000"]);
            assert_eq!(routes, [r1, r0], "by id");
        }
        other => panic!("removed a trunk in use: {other:?}"),
    }
    assert!(store.get_trunk("acme").await.expect("get").is_some());
    assert!(store.remove_did("+15551230000").await.expect("remove"));
    assert!(!store.remove_did("+15551230000").await.expect("again"));
    assert!(store.remove_route(r0).await.expect("remove"));
    assert!(store.remove_route(r1).await.expect("remove"));
    assert!(!store.remove_route(r1).await.expect("again"));
    assert!(store.remove_trunk("acme").await.expect("remove"));
    assert!(!store.remove_trunk("acme").await.expect("again"));
    let err = store.remove_trunk("backup").await.expect_err("in use");
    assert_eq!(
        err.to_string(),
        format!("trunk backup is still used by DID 15551230001 and route {r2}: remove those first")
    );

    // A removed extension leaves the DID in place (its failover takes the calls).
    assert!(store.remove_extension("1002").await.expect("remove ext"));
    assert_eq!(store.list_dids().await.expect("list").len(), 1);

    assert!(store.remove_did("15551230001").await.expect("remove"));
    assert!(store.remove_route(r2).await.expect("remove"));
    assert!(store.remove_trunk("backup").await.expect("remove"));
    assert!(store.list_trunks().await.expect("list").is_empty());
}

/// The server's copy: this process's changes at once, another process's within a second.
async fn cache_suite(url: &str) {
    let server = Store::connect(url).await.expect("connect server");
    let cli = Store::connect(url).await.expect("connect cli");
    assert!(server.cached_trunks().await.expect("trunks").is_empty());
    assert!(server.cached_dids().await.expect("dids").is_empty());
    assert!(server.cached_routes().await.expect("routes").is_empty());

    server.add_trunk(&registered("t1")).await.expect("add");
    let trunks = server.cached_trunks().await.expect("trunks");
    assert_eq!(trunks.len(), 1, "this process's change at once");
    assert_eq!(
        trunks[0].registration.as_ref().map(|r| r.password.as_str()),
        Some("s3cret-pw")
    );

    cli.add_trunk(&ip_authenticated("t2")).await.expect("add");
    cli.add_extension("2001", "", "pw").await.expect("ext");
    cli.add_did(&did("+15550001111", "t2", &["2001"]))
        .await
        .expect("did");
    let id = cli
        .add_route("_X.", &names(&["t2", "t1"]), 1, "", None)
        .await
        .expect("route");
    assert!(
        eventually(|| async {
            server.cached_trunks().await.expect("trunks").len() == 2
                && server.cached_dids().await.expect("dids").len() == 1
                && server
                    .cached_routes()
                    .await
                    .expect("routes")
                    .first()
                    .is_some_and(|r| r.id == id && r.trunks == ["t2", "t1"])
        })
        .await,
        "another process's additions become known"
    );

    cli.remove_route(id).await.expect("remove");
    cli.remove_did("+15550001111").await.expect("remove");
    cli.remove_trunk("t2").await.expect("remove");
    assert!(
        eventually(|| async {
            server.cached_trunks().await.expect("trunks").len() == 1
                && server.cached_dids().await.expect("dids").is_empty()
                && server.cached_routes().await.expect("routes").is_empty()
        })
        .await,
        "another process's removals become known"
    );
    cli.close().await;
    server.close().await;
}

async fn all_suites(url: String) {
    let store = Store::connect(&url).await.expect("connect");
    trunks_suite(&store).await;
    numbers_and_routes_suite(&store).await;
    store.close().await;
    cache_suite(&url).await;
}

#[tokio::test]
async fn sqlite_trunks() {
    common::on_scratch_sqlite(all_suites).await;
}

#[tokio::test]
async fn postgres_trunks() {
    common::on_scratch_postgres("postgres_trunks", all_suites).await;
}
