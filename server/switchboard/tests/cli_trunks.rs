//! The built binary's trunk commands (issue 6's CLI contract): `trunk add|list|remove`,
//! `did add|list|remove|set`, `route add|list|remove|set`. Bad input exits 2 with a clear
//! error line (`set` with the words of `add`), refusals of the moment (taken, unknown, in
//! use, nothing to remove or change) exit 1; passwords are never printed; a running server
//! sees the changes without a restart, and its next call out uses an edited route.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::calls::{CallerDialog, answer_for, final_for, invite_with_auth, request_of};
use common::calls::{boot_with, registered, rtp_socket, sdp};
use common::{Conn, Phone, token};
use sip::Method;
use store::Store;
use switchboard::config::Config;

fn switchboard(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    // A clean environment as far as our variables go, and a data dir of our own.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("SWITCHBOARD_") {
            c.env_remove(k);
        }
    }
    c.env("SWITCHBOARD_DATA_DIR", dir);
    c.stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = switchboard(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command that must succeed; returns its stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// Runs a command that must fail with `code` and an error on stderr; returns stderr.
fn fails(dir: &Path, args: &[&str], code: i32) -> String {
    let (got, out, err) = run(dir, args);
    assert_eq!(got, code, "{args:?}: stdout {out:?} stderr {err:?}");
    assert!(
        err.starts_with("error:"),
        "{args:?}: a clear error line: {err}"
    );
    err
}

#[test]
fn trunk_add_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(
        ok(d, &["trunk", "list"]),
        "",
        "a fresh install has no trunks"
    );
    let ca = d.join("provider-ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let ca = ca.display().to_string();

    assert_eq!(
        ok(
            d,
            &[
                "trunk",
                "add",
                "acme",
                "--host",
                "sip.acme.example",
                "--register",
                "--username",
                "acme-user",
                "--password",
                "hunter2-secret",
                "--expires",
                "600",
                "--caller-id",
                "+15551230000",
            ],
        ),
        "added trunk acme\n"
    );
    ok(
        d,
        &[
            "trunk",
            "add",
            "backup",
            "--host",
            "[2001:db8::10]:5071",
            "--transport",
            "tls",
            "--allow",
            "192.0.2.0/24,198.51.100.7",
            "--allow",
            "2001:db8::10",
            "--codecs",
            "g722,PCMU,G729",
            "--srtp",
            "require",
            "--channels",
            "30",
            "--options-interval",
            "0",
            "--ca-file",
            &ca,
        ],
    );
    ok(
        d,
        &[
            "trunk",
            "add",
            "plain",
            "--host",
            "192.0.2.9:5080",
            "--transport",
            "tcp",
        ],
    );

    let list = ok(d, &["trunk", "list"]);
    assert_eq!(
        list,
        format!(
            "acme\tsip.acme.example:5060\tudp\tregister username=acme-user expires=600 \
             codecs=PCMU,PCMA srtp=off options-interval=30 caller-id=+15551230000\t\
             status=unknown\n\
             backup\t[2001:db8::10]:5071\ttls\tallow=192.0.2.0/24,198.51.100.7/32,\
             2001:db8::10/128 codecs=G722,PCMU,G729 srtp=require channels=30 \
             options-interval=0 ca-file={ca}\tstatus=unknown\n\
             plain\t192.0.2.9:5080\ttcp\tcodecs=PCMU,PCMA srtp=off options-interval=30\t\
             status=unknown\n"
        )
    );
    assert!(!list.contains("hunter2"), "never the password: {list}");

    let err = fails(d, &["trunk", "add", "acme", "--host", "other.example"], 1);
    assert_eq!(err.trim(), "error: trunk acme already exists");

    assert_eq!(
        ok(d, &["trunk", "remove", "plain"]),
        "removed trunk plain\n"
    );
    let err = fails(d, &["trunk", "remove", "plain"], 1);
    assert_eq!(err.trim(), "error: no trunk plain");
    let names: Vec<String> = ok(d, &["trunk", "list"])
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["acme", "backup"]);
}

#[test]
fn trunk_add_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let add = |extra: &[&str]| -> Vec<String> {
        ["trunk", "add", "t", "--host", "sip.example.com"]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let refused = |extra: &[&str], needle: &str| {
        let args = add(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = fails(d, &args, 2);
        assert!(err.contains(needle), "{extra:?}: {err}");
    };
    refused(&["--transport", "sctp"], "use udp, tcp or tls");
    refused(&["--srtp", "maybe"], "use off, offer or require");
    refused(&["--allow", "provider.example"], "not an address");
    refused(&["--register", "--username", "u"], "--password");
    refused(&["--username", "u", "--password", "p"], "--register");
    refused(&["--codecs", "PCMU,OPUS"], "codec \"OPUS\"");
    refused(&["--channels", "0"], "channels");
    refused(&["--options-interval", "100000"], "options_interval");
    refused(&["--caller-id", "main line"], "caller_id");
    refused(
        &["--ca-file", "/tmp/ca.pem"],
        "only used with transport tls",
    );
    refused(
        &[
            "--register",
            "--username",
            "u",
            "--password",
            "p",
            "--expires",
            "1",
        ],
        "expires",
    );
    let err = fails(d, &["trunk", "add", "bad name", "--host", "h.example"], 2);
    assert!(err.contains("invalid trunk: name"), "{err}");
    let err = fails(d, &["trunk", "add", "t", "--host", "h.example:0"], 2);
    assert!(err.contains("1 to 65535"), "{err}");
    let err = fails(d, &["trunk", "add", "t", "--host", "h_x..example"], 2);
    assert!(err.contains("invalid trunk: host"), "{err}");
    assert_eq!(ok(d, &["trunk", "list"]), "", "nothing was added");

    // A CA file that is not there (yet) is a warning: it may be installed next.
    let args = add(&["--transport", "tls", "--ca-file", "missing-ca.pem"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = run(d, &args);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.starts_with("warning:") && err.contains("missing-ca.pem"),
        "{err}"
    );
    let list = ok(d, &["trunk", "list"]);
    assert!(
        list.contains("ca-file=/") && list.contains("/missing-ca.pem\tstatus=unknown\n"),
        "made absolute: {list}"
    );
}

#[tokio::test]
async fn trunk_password_from_stdin_is_stored_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking({
        let d = d.clone();
        move || {
            let mut child = switchboard(&d)
                .args(["trunk", "add", "acme", "--host", "sip.acme.example"])
                .args(["--register", "--username", "u", "--password", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"piped-secret\n")
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{out:?}");
            let list = ok(&d, &["trunk", "list"]);
            let empty = fails(
                &d,
                &[
                    "trunk",
                    "add",
                    "b",
                    "--host",
                    "h.example",
                    "--register",
                    "--username",
                    "u",
                    "--password",
                    "-",
                ],
                2,
            );
            (list, empty)
        }
    })
    .await
    .unwrap();
    let (list, empty) = out;
    assert!(!list.contains("piped-secret"), "{list}");
    assert!(empty.contains("no password on stdin"), "{empty}");

    let store = Store::connect(&Config::sqlite_url_for(&d)).await.unwrap();
    let acme = store.get_trunk("acme").await.unwrap().expect("acme");
    assert_eq!(
        acme.registration.map(|r| r.password),
        Some("piped-secret".into())
    );
    store.close().await;
}

/// Two extensions and two trunks to hang numbers and routes on.
fn setup(d: &Path) {
    ok(d, &["extension", "add", "1001", "--password", "pw"]);
    ok(d, &["extension", "add", "1002", "--password", "pw"]);
    ok(d, &["extension", "add", "1003", "--password", "pw"]);
    ok(d, &["trunk", "add", "acme", "--host", "sip.acme.example"]);
    ok(
        d,
        &["trunk", "add", "backup", "--host", "sip.backup.example"],
    );
}

#[test]
fn did_add_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    assert_eq!(ok(d, &["did", "list"]), "");

    assert_eq!(
        ok(
            d,
            &[
                "did",
                "add",
                "+15551230000",
                "--trunk",
                "acme",
                "--to",
                "1001,1002",
                "--to",
                "1003",
                "--failover",
                "+15557654321",
            ],
        ),
        "added DID +15551230000\n"
    );
    ok(
        d,
        &[
            "did",
            "add",
            "15551230001",
            "--trunk",
            "backup",
            "--to",
            "1002",
        ],
    );
    assert_eq!(
        ok(d, &["did", "list"]),
        "+15551230000\tacme\t1001,1002,1003\t+15557654321\n\
         15551230001\tbackup\t1002\t-\n"
    );

    let err = fails(
        d,
        &[
            "did",
            "add",
            "+15551230000",
            "--trunk",
            "acme",
            "--to",
            "1001",
        ],
        1,
    );
    assert_eq!(err.trim(), "error: DID +15551230000 already exists");
    let err = fails(
        d,
        &[
            "did",
            "add",
            "+15559999999",
            "--trunk",
            "nope",
            "--to",
            "1001",
        ],
        1,
    );
    assert_eq!(err.trim(), "error: no trunk nope");
    let err = fails(
        d,
        &[
            "did",
            "add",
            "+15559999999",
            "--trunk",
            "acme",
            "--to",
            "1001,1009",
        ],
        1,
    );
    assert_eq!(err.trim(), "error: no extension 1009");
    let err = fails(
        d,
        &["did", "add", "555-1234", "--trunk", "acme", "--to", "1001"],
        2,
    );
    assert!(err.contains("invalid DID: number \"555-1234\""), "{err}");
    let err = fails(
        d,
        &[
            "did",
            "add",
            "+15559999999",
            "--trunk",
            "acme",
            "--to",
            "1001,1001",
        ],
        2,
    );
    assert!(err.contains("listed twice"), "{err}");
    let err = fails(
        d,
        &[
            "did",
            "add",
            "+15559999999",
            "--trunk",
            "acme",
            "--to",
            "1001",
            "--failover",
            "voice mail",
        ],
        2,
    );
    assert!(err.contains("failover"), "{err}");
    let (code, _, err) = run(d, &["did", "add", "+15559999999", "--trunk", "acme"]);
    assert_eq!(code, 2, "--to is required: {err}");

    assert_eq!(
        ok(d, &["did", "remove", "15551230001"]),
        "removed DID 15551230001\n"
    );
    let err = fails(d, &["did", "remove", "15551230001"], 1);
    assert_eq!(err.trim(), "error: no DID 15551230001");
    assert_eq!(ok(d, &["did", "list"]).lines().count(), 1);
}

#[test]
fn route_add_list_remove_and_trunks_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    assert_eq!(ok(d, &["route", "list"]), "");

    let id = |out: String| -> i64 { out.trim().parse().expect("an id") };
    let a = id(ok(
        d,
        &[
            "route",
            "add",
            "_1NXXNXXXXXX",
            "--trunks",
            "acme,backup",
            "--prepend",
            "+",
        ],
    ));
    let b = id(ok(
        d,
        &[
            "route",
            "add",
            "_9011.",
            "--trunks",
            "backup",
            "--strip",
            "4",
            "--prepend",
            "+",
        ],
    ));
    let c = id(ok(
        d,
        &["route", "add", "911", "--trunks", "acme", "--position", "1"],
    ));
    assert_eq!(
        ok(d, &["route", "list"]),
        format!(
            "{c}\t1\t911\tacme\t0\t-\n\
             {a}\t10\t_1NXXNXXXXXX\tacme,backup\t0\t+\n\
             {b}\t20\t_9011.\tbackup\t4\t+\n"
        )
    );

    let err = fails(d, &["route", "add", "_X.", "--trunks", "acme,nope"], 1);
    assert_eq!(err.trim(), "error: no trunk nope");
    let err = fails(d, &["route", "add", "_1[5-", "--trunks", "acme"], 2);
    assert!(
        err.contains("invalid outbound route: pattern \"_1[5-\""),
        "{err}"
    );
    let err = fails(
        d,
        &["route", "add", "_X.", "--trunks", "acme", "--prepend", "9a"],
        2,
    );
    assert!(err.contains("prepend"), "{err}");
    let err = fails(
        d,
        &["route", "add", "_X.", "--trunks", "acme", "--strip", "x"],
        2,
    );
    assert!(err.contains("--strip"), "{err}");
    assert_eq!(ok(d, &["route", "list"]).lines().count(), 3, "none added");

    // A trunk stays while numbers or routes use it, and the error says which.
    ok(
        d,
        &[
            "did",
            "add",
            "+15551230000",
            "--trunk",
            "acme",
            "--to",
            "1001",
        ],
    );
    let err = fails(d, &["trunk", "remove", "acme"], 1);
    let (first, second) = if a < c { (a, c) } else { (c, a) };
    assert_eq!(
        err.trim(),
        format!(
            "error: trunk acme is still used by DID +15551230000 and routes {first}, \
             {second}: remove those first"
        )
    );
    ok(d, &["did", "remove", "+15551230000"]);
    assert_eq!(
        ok(d, &["route", "remove", &a.to_string()]),
        format!("removed route {a}\n")
    );
    ok(d, &["route", "remove", &c.to_string()]);
    let err = fails(d, &["route", "remove", &c.to_string()], 1);
    assert_eq!(err.trim(), format!("error: no route {c}"));
    ok(d, &["trunk", "remove", "acme"]);
    assert_eq!(
        ok(d, &["route", "list"]),
        format!("{b}\t20\t_9011.\tbackup\t4\t+\n")
    );
}

/// The server keeps its own copy; a CLI change reaches it through the change counter.
#[tokio::test]
async fn a_running_server_sees_cli_changes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let server = Store::connect(&Config::sqlite_url_for(&d)).await.unwrap();
    assert!(server.cached_routes().await.unwrap().is_empty());
    let id = tokio::task::spawn_blocking({
        let d = d.clone();
        move || {
            ok(&d, &["trunk", "add", "acme", "--host", "sip.acme.example"]);
            ok(&d, &["route", "add", "_X.", "--trunks", "acme"])
        }
    })
    .await
    .unwrap();
    let id: i64 = id.trim().parse().unwrap();
    let seen = common::eventually(|| async {
        let routes = server.cached_routes().await.unwrap();
        let trunks = server.cached_trunks().await.unwrap();
        routes.first().map(|r| r.id) == Some(id) && trunks.len() == 1
    })
    .await;
    assert!(
        seen,
        "the route and trunk added by the CLI reach the server"
    );
    server.close().await;
}

#[test]
fn did_set_changes_what_did_list_prints() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let add = ["did", "add", "+15551230000", "--trunk", "acme"];
    ok(
        d,
        &[&add[..], &["--to", "1001", "--failover", "1002"]].concat(),
    );

    assert_eq!(
        ok(d, &["did", "set", "+15551230000", "--to", "1002, 1003"]),
        "+15551230000\tacme\t1002,1003\t1002\n",
        "only --to changed"
    );
    let set = ["did", "set", "+15551230000", "--trunk", "backup"];
    assert_eq!(
        ok(d, &[&set[..], &["--no-failover"]].concat()),
        "+15551230000\tbackup\t1002,1003\t-\n"
    );
    ok(
        d,
        &["did", "set", "+15551230000", "--failover", "+15557654321"],
    );
    let listed = "+15551230000\tbackup\t1002,1003\t+15557654321\n";
    assert_eq!(ok(d, &["did", "list"]), listed);

    // Bad values: the exit status and the words of `did add`.
    let add = ["did", "add", "+15559999999", "--trunk", "acme", "--to"];
    let set = ["did", "set", "+15551230000", "--to"];
    for (to, failover, code) in [
        ("1001,1001", "1002", 2),
        ("1001", "voice mail", 2),
        ("1001,1009", "1002", 1),
    ] {
        let bad = [to, "--failover", failover];
        let refused = fails(d, &[&set[..], &bad].concat(), code);
        assert_eq!(
            refused,
            fails(d, &[&add[..], &bad].concat(), code),
            "{bad:?}"
        );
    }
    let refused = fails(d, &["did", "set", "+15551230000", "--trunk", "nope"], 1);
    assert_eq!(
        refused.trim(),
        "error: no trunk nope",
        "as `did add` says it"
    );
    let err = fails(d, &["did", "set", "+15559999999", "--trunk", "acme"], 1);
    assert_eq!(err.trim(), "error: no DID +15559999999");
    let err = fails(d, &["did", "set", "+15551230000"], 2);
    assert!(err.contains("nothing to change"), "{err}");
    let (code, _, err) = run(
        d,
        &[
            "did",
            "set",
            "+15551230000",
            "--failover",
            "1001",
            "--no-failover",
        ],
    );
    assert_eq!(code, 2, "a failover or none: {err}");
    assert_eq!(
        ok(d, &["did", "list"]),
        listed,
        "nothing refused changed it"
    );
}

#[test]
fn route_set_changes_what_route_list_prints() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let id = |out: String| -> String { out.trim().to_owned() };
    let a = id(ok(
        d,
        &[
            "route",
            "add",
            "_1NXXNXXXXXX",
            "--trunks",
            "acme",
            "--prepend",
            "+",
        ],
    ));
    let b = id(ok(
        d,
        &[
            "route", "add", "_9011.", "--trunks", "backup", "--strip", "4",
        ],
    ));

    assert_eq!(
        ok(
            d,
            &[
                "route",
                "set",
                &a,
                "--trunks",
                "backup,acme",
                "--prepend",
                "+1"
            ]
        ),
        format!("{a}\t10\t_1NXXNXXXXXX\tbackup,acme\t0\t+1\n"),
        "the trunks in the new order, the pattern as it was"
    );
    ok(d, &["route", "set", &a, "--position", "30"]);
    ok(
        d,
        &[
            "route",
            "set",
            &a,
            "--pattern",
            "_91NXXNXXXXXX",
            "--strip",
            "1",
            "--prepend",
            "",
        ],
    );
    let listed = format!(
        "{b}\t20\t_9011.\tbackup\t4\t-\n\
         {a}\t30\t_91NXXNXXXXXX\tbackup,acme\t1\t-\n"
    );
    assert_eq!(ok(d, &["route", "list"]), listed, "moved after {b}");

    // Bad values: the exit status and the words of `route add`.
    let (set, add) = (
        ["route", "set", &a],
        ["route", "add", "_X.", "--trunks", "acme"],
    );
    for (bad, code) in [(&["--prepend", "9a"][..], 2), (&["--strip", "33"], 2)] {
        let refused = fails(d, &[&set[..], bad].concat(), code);
        assert_eq!(
            refused,
            fails(d, &[&add[..], bad].concat(), code),
            "{bad:?}"
        );
    }
    for (trunks, code) in [("acme,acme", 2), ("acme,nope", 1)] {
        let refused = fails(d, &[&set[..], &["--trunks", trunks]].concat(), code);
        let added = fails(d, &["route", "add", "_X.", "--trunks", trunks], code);
        assert_eq!(refused, added, "{trunks}");
    }
    let refused = fails(d, &[&set[..], &["--pattern", "_1[5-"]].concat(), 2);
    let added = fails(d, &["route", "add", "_1[5-", "--trunks", "acme"], 2);
    assert_eq!(refused, added);
    let err = fails(d, &["route", "set", "9999", "--strip", "1"], 1);
    assert_eq!(err.trim(), "error: no route 9999");
    let err = fails(d, &["route", "set", &a], 2);
    assert!(err.contains("nothing to change"), "{err}");
    let (code, _, err) = run(d, &["route", "set", &a, "--strip", "x"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        ok(d, &["route", "list"]),
        listed,
        "nothing refused changed it"
    );
}

/// Runs the CLI against the running server's database off the test's runtime.
async fn cli(dir: &Path, args: &[&str]) -> String {
    let dir: PathBuf = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&dir, &args)
    })
    .await
    .unwrap()
}

/// alice calls `number`; the provider refuses it (busy) and the number it was sent to is
/// returned: the user part of the provider's INVITE. `answered` holds the Call-IDs the
/// provider has answered (a late retransmission of one of those is not a new call).
async fn dialed_at_provider(
    alice: &mut Phone,
    provider: &mut Conn,
    number: &str,
    answered: &mut Vec<String>,
) -> String {
    let media = rtp_socket().await;
    let offer = sdp("alice", media.local_addr().unwrap(), "sendrecv");
    let mut call = CallerDialog::new(alice.conn.local(), "1001", number);
    invite_with_auth(
        &mut alice.conn,
        &mut call,
        "1001",
        "alice-secret",
        Some(&offer),
        "",
    )
    .await;
    let inv = loop {
        let inv = request_of(provider, Method::Invite)
            .await
            .expect("the INVITE reaches the provider");
        let call_id = inv.call_id().unwrap().to_owned();
        if !answered.contains(&call_id) {
            answered.push(call_id);
            break inv;
        }
    };
    let provider_uri = format!("sip:p@{}", provider.local());
    provider
        .send(&answer_for(&inv, 486, &token(), &provider_uri, None))
        .await;
    let busy = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(busy.status, 486);
    alice.conn.send(&call.ack_failure(&busy)).await;
    inv.uri
        .as_sip()
        .and_then(|u| u.user.clone())
        .unwrap_or_default()
}

/// `route set` while the server runs: the next call out carries the new digits, with no
/// restart.
#[tokio::test]
async fn a_running_server_calls_out_with_a_route_edited_by_the_cli() {
    let (server, udp, dir) = boot_with((46700, 46799), &[("1001", "alice-secret")]).await;
    let d = dir.path();
    let mut provider = trunk_helpers::provider("127.0.0.6", udp).await;
    let acme = trunk_helpers::trunk("acme", provider.local());
    server.store.add_trunk(&acme).await.unwrap();
    let id = cli(
        d,
        &[
            "route",
            "add",
            "_1NXXNXXXXXX",
            "--trunks",
            "acme",
            "--prepend",
            "+",
        ],
    )
    .await;
    let id: i64 = id.trim().parse().unwrap();
    let route_is = |prepend: &'static str| {
        let store = server.store.clone();
        async move {
            store
                .cached_routes()
                .await
                .unwrap()
                .iter()
                .any(|r| r.id == id && r.prepend == prepend)
        }
    };
    assert!(common::eventually(|| route_is("+")).await, "route known");
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let mut answered = Vec::new();
    let sent = dialed_at_provider(&mut alice, &mut provider, "12125550199", &mut answered).await;
    assert_eq!(sent, "+12125550199");

    cli(
        d,
        &[
            "route",
            "set",
            &id.to_string(),
            "--strip",
            "1",
            "--prepend",
            "00",
        ],
    )
    .await;
    assert!(common::eventually(|| route_is("00")).await, "edit known");
    let sent = dialed_at_provider(&mut alice, &mut provider, "12125550199", &mut answered).await;
    assert_eq!(sent, "002125550199", "the edited route, without a restart");
}
