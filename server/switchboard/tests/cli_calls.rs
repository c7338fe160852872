//! The built binary's call commands: `extension set` and the features `extension list`
//! shows, `dialplan add|list|remove`, `cdr list` (text and JSON, --since, --limit).
//! Bad input exits 2 with one clear line; an unknown extension or rule exits 1, as
//! `extension remove` does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};

use pbx::{CallRecord, CallRecords, Disposition, LegStats};
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

/// Runs a command that must fail with `code` and one line on stderr; returns that line.
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
fn extension_set_shows_in_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "extension",
            "add",
            "1001",
            "--password",
            "pw",
            "--name",
            "Alice",
        ],
    );
    ok(d, &["extension", "add", "1002", "--password", "pw"]);

    let out = ok(
        d,
        &[
            "extension",
            "set",
            "1001",
            "--forward-busy",
            "1002",
            "--forward-noanswer",
            "1003",
            "--ring-timeout",
            "25",
            "--forward-always",
            "+15551234567",
            "--dnd",
            "on",
            "--max-calls",
            "2",
            "--class",
            "international",
        ],
    );
    let all = "forward-always=+15551234567 forward-busy=1002 forward-noanswer=1003 \
               ring-timeout=25 dnd=on max-calls=2";
    assert_eq!(out, format!("extension 1001: international {all}\n"));
    assert_eq!(
        ok(d, &["extension", "list"]),
        format!("1001\tAlice\tinternational\t{all}\n1002\t\tnational\tring-timeout=20\n")
    );

    // Only what is given changes; off clears.
    ok(
        d,
        &[
            "extension",
            "set",
            "1001",
            "--forward-always",
            "off",
            "--max-calls",
            "off",
            "--dnd",
            "off",
        ],
    );
    assert_eq!(
        ok(d, &["extension", "list"]).lines().next(),
        Some("1001\tAlice\tinternational\tforward-busy=1002 forward-noanswer=1003 ring-timeout=25")
    );
}

#[test]
fn extension_set_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["extension", "add", "1001", "--password", "pw"]);

    let err = fails(d, &["extension", "set", "1001", "--class", "premium"], 2);
    assert!(err.contains("unknown class \"premium\""), "{err}");
    assert!(
        err.contains("internal, local, national or international"),
        "{err}"
    );
    let err = fails(d, &["extension", "set", "1001", "--class", "emergency"], 2);
    assert!(err.contains("unknown class"), "{err}");
    let err = fails(d, &["extension", "set", "1001", "--dnd", "maybe"], 2);
    assert!(err.contains("on or off"), "{err}");
    let err = fails(d, &["extension", "set", "1001", "--max-calls", "0"], 2);
    assert!(err.contains("or off"), "{err}");
    let err = fails(d, &["extension", "set", "1001", "--ring-timeout", "0"], 2);
    assert!(err.contains("ring_timeout"), "{err}");
    let err = fails(
        d,
        &["extension", "set", "1001", "--forward-busy", "10 02"],
        2,
    );
    assert!(err.contains("not a number to dial"), "{err}");
    let err = fails(d, &["extension", "set", "1001"], 2);
    assert!(err.contains("nothing to change"), "{err}");

    let err = fails(d, &["extension", "set", "1009", "--dnd", "on"], 1);
    assert_eq!(err.trim(), "error: no extension 1009");

    // Nothing was changed by the refused commands.
    assert_eq!(
        ok(d, &["extension", "list"]),
        "1001\t\tnational\tring-timeout=20\n"
    );
}

#[test]
fn dialplan_add_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["extension", "add", "1001", "--password", "pw"]);
    assert_eq!(
        ok(d, &["dialplan", "list"]),
        "",
        "a fresh install has no rules"
    );

    let a = ok(d, &["dialplan", "add", "_1NXXNXXXXXX", "--route", "trunk"]);
    let b = ok(
        d,
        &[
            "dialplan",
            "add",
            "_011.",
            "--route",
            "trunk",
            "--class",
            "international",
        ],
    );
    let c = ok(
        d,
        &[
            "dialplan",
            "add",
            "900",
            "--reject",
            "403",
            "--position",
            "5",
        ],
    );
    let e = ok(d, &["dialplan", "add", "0", "--extension", "1001"]);
    let (code, f, err) = run(
        d,
        &["dialplan", "add", "_8XXX", "--busy", "--class", "internal"],
    );
    assert_eq!(code, 0, "{err}");
    let ids: Vec<i64> = [&a, &b, &c, &e, &f]
        .iter()
        .map(|s| s.trim().parse().expect("an id"))
        .collect();
    let [a, b, c, e, f] = ids[..] else {
        panic!("{ids:?}")
    };
    assert_eq!(
        ok(d, &["dialplan", "list"]),
        format!(
            "{c}\t5\t900\treject 403\tauto\n\
             {a}\t10\t_1NXXNXXXXXX\troute trunk\tauto\n\
             {b}\t20\t_011.\troute trunk\tinternational\n\
             {e}\t30\t0\textension 1001\tauto\n\
             {f}\t40\t_8XXX\tbusy\tinternal\n"
        )
    );

    // A target extension that does not exist is allowed (added later) with a warning.
    let (code, _, err) = run(d, &["dialplan", "add", "7", "--extension", "1009"]);
    assert_eq!(code, 0);
    assert!(err.contains("no extension 1009"), "{err}");

    assert_eq!(
        ok(d, &["dialplan", "remove", &a.to_string()]),
        format!("removed rule {a}\n")
    );
    let err = fails(d, &["dialplan", "remove", &a.to_string()], 1);
    assert_eq!(err.trim(), format!("error: no dial plan rule {a}"));
    assert!(!ok(d, &["dialplan", "list"]).contains("_1NXXNXXXXXX"));
}

#[test]
fn dialplan_refuses_bad_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = fails(d, &["dialplan", "add", "_1[5-", "--busy"], 2);
    assert!(
        err.contains("invalid dial plan rule: pattern \"_1[5-\""),
        "{err}"
    );
    let err = fails(d, &["dialplan", "add", "12ab", "--busy"], 2);
    assert!(err.contains("pattern \"12ab\""), "{err}");
    let err = fails(d, &["dialplan", "add", "_X.", "--reject", "200"], 2);
    assert!(err.contains("400 to 699"), "{err}");
    let err = fails(
        d,
        &["dialplan", "add", "_X.", "--busy", "--class", "premium"],
        2,
    );
    assert!(err.contains("premium"), "{err}");
    // No action, or two: clap's usage error, exit 2.
    let (code, _, err) = run(d, &["dialplan", "add", "_X."]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(d, &["dialplan", "add", "_X.", "--busy", "--route", "t"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(ok(d, &["dialplan", "list"]), "", "nothing was added");
}

fn record(id: &str, start_ms: i64) -> CallRecord {
    CallRecord {
        id: id.into(),
        call_id: format!("{id}@192.0.2.1"),
        caller: "1001".into(),
        callee: "1002".into(),
        dialed: "1002".into(),
        start_ms,
        answer_ms: Some(start_ms + 2_000),
        end_ms: Some(start_ms + 62_500),
        disposition: Disposition::Answered,
        sip_cause: Some(200),
        codec_a: Some("PCMU".into()),
        codec_b: Some("PCMU".into()),
        leg_a: LegStats {
            packets_in: 3000,
            bytes_in: 480_000,
            packets_out: 2990,
            lost: 1,
            jitter_ms: 1.5,
            rtcp_lost: Some(0),
            rtcp_jitter_ms: None,
        },
        leg_b: LegStats::default(),
    }
}

#[tokio::test]
async fn cdr_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let (code, out, err) = run(&d, &["cdr", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "[]", "an empty database");

    // Records written the way the server writes them.
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let store = Store::connect(&Config::sqlite_url_for(&d)).await.unwrap();
    // 2020-01-02T03:04:05Z, and an hour ago.
    let old = record("old-call", 1_577_934_245_000);
    let mut recent = record("recent-call", now_ms - 3_600_000);
    recent.disposition = Disposition::Busy;
    recent.sip_cause = Some(486);
    recent.answer_ms = None;
    recent.codec_b = None;
    for r in [&old, &recent] {
        store.call_started(&CallRecord {
            answer_ms: None,
            end_ms: None,
            disposition: Disposition::InProgress,
            ..r.clone()
        });
        store.call_ended(r);
    }
    store.close().await;

    let out = tokio::task::spawn_blocking(move || {
        let text = ok(&d, &["cdr", "list"]);
        let json = ok(&d, &["cdr", "list", "--json"]);
        let since = ok(&d, &["cdr", "list", "--since", "2h"]);
        let since_date = ok(&d, &["cdr", "list", "--since", "2020-01-02T03:04:06Z"]);
        let limited = ok(&d, &["cdr", "list", "--limit", "1", "--json"]);
        let bad = fails(&d, &["cdr", "list", "--since", "yesterday"], 2);
        (text, json, since, since_date, limited, bad)
    })
    .await
    .unwrap();
    let (text, json, since, since_date, limited, bad) = out;

    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("start\tcaller\tdialed"), "{text}");
    assert!(lines[1].contains("\tbusy\t486\t"), "newest first: {text}");
    assert!(lines[1].ends_with("\tPCMU/-\trecent-call"), "{text}");
    assert_eq!(
        lines[2],
        "2020-01-02T03:04:05Z\t1001\t1002\t1002\tanswered\t200\t62\t60\tPCMU/PCMU\told-call"
    );

    let array: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let array = array.as_array().expect("an array");
    assert_eq!(array.len(), 2);
    let o = &array[1];
    assert_eq!(o["id"], "old-call");
    assert_eq!(o["call_id"], "old-call@192.0.2.1");
    assert_eq!(o["start_ms"], 1_577_934_245_000_i64);
    assert_eq!(o["answer_ms"], 1_577_934_247_000_i64);
    assert_eq!(o["duration"], 62);
    assert_eq!(o["billable"], 60);
    assert_eq!(o["disposition"], "answered");
    assert_eq!(o["sip_cause"], 200);
    assert_eq!(o["a_packets_in"], 3000);
    assert_eq!(o["a_jitter_ms"], 1.5);
    assert_eq!(o["a_rtcp_lost"], 0);
    assert!(o["a_rtcp_jitter_ms"].is_null());
    assert_eq!(o["b_bytes_in"], 0);
    assert_eq!(array[0]["disposition"], "busy");
    assert!(array[0]["answer_ms"].is_null());
    assert!(array[0]["codec_b"].is_null());

    assert_eq!(
        since.lines().count(),
        2,
        "header + the recent call: {since}"
    );
    assert!(since.contains("recent-call"));
    assert!(since_date.contains("recent-call") && !since_date.contains("old-call"));
    let limited: serde_json::Value = serde_json::from_str(&limited).expect("JSON");
    assert_eq!(limited.as_array().map(Vec::len), Some(1));
    assert_eq!(limited[0]["id"], "recent-call");
    assert!(bad.contains("not a time"), "{bad}");
}
