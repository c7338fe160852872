//! The built binary: configuration errors exit 2 with one line naming the key; the
//! extension commands; `serve` prints what it listens on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn switchboard(dir: &std::path::Path) -> Command {
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

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `serve` with `config`, reads its stdout up to the first line containing
/// `stop_at`, stops it, and returns the lines read.
fn serve_until(dir: &std::path::Path, config: &std::path::Path, stop_at: &str) -> Vec<String> {
    let mut child = switchboard(dir)
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.contains(stop_at);
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

/// A configuration with loopback listeners on free ports and TLS off.
fn loopback_config(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("sb.toml");
    std::fs::write(
        &file,
        "[sip]\nudp = \"127.0.0.1:0\"\ntcp = \"127.0.0.1:0\"\ntls = \"off\"\n\
[http]\nlisten = \"127.0.0.1:0\"\ntls = \"off\"\n",
    )
    .unwrap();
    file
}

#[test]
fn bad_configuration_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[sip]\nudp = \"abc\"\n").unwrap();
    let (code, _, err) = run(switchboard(dir.path())
        .args(["serve", "--config"])
        .arg(&file));
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim(),
        r#"config error: sip.udp: "abc" is not an address:port or "off""#
    );

    std::fs::write(&file, "[http]\nlistne = \"off\"\n").unwrap();
    let (code, _, err) = run(switchboard(dir.path())
        .arg("--config")
        .arg(&file)
        .arg("serve"));
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("listne"), "{err}");

    let (code, _, err) = run(switchboard(dir.path())
        .env("SWITCHBOARD_HTTP_LISTEN", "nope")
        .args(["extension", "list"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("config error: http.listen:"), "{err}");

    let (code, _, err) =
        run(switchboard(dir.path()).args(["serve", "--config", "/nonexistent/x.toml"]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("config error: /nonexistent/x.toml:"),
        "{err}"
    );
}

#[test]
fn extension_add_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) =
        run(switchboard(dir.path()).args(["extension", "add", "100", "--name", "Alice"]));
    assert_eq!(code, 0, "{err}");
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap_or_default();
    assert_eq!(secret.len(), 20, "{out}");

    let (code, out, _) =
        run(switchboard(dir.path()).args(["extension", "add", "101", "--password", "pw"]));
    assert_eq!(code, 0);
    assert!(
        !out.contains("password:"),
        "a given password is not echoed: {out}"
    );

    let (code, _, err) = run(switchboard(dir.path()).args(["extension", "add", "100"]));
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");

    let (code, _, err) = run(switchboard(dir.path()).args(["extension", "add", "12ab"]));
    assert_eq!(code, 2);
    assert!(err.contains("2 to 15 digits"), "{err}");

    let (code, out, _) = run(switchboard(dir.path()).args(["extension", "list"]));
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "100\tAlice\tnational\tring-timeout=20\n101\t\tnational\tring-timeout=20\n"
    );

    let (code, _, _) = run(switchboard(dir.path()).args(["extension", "remove", "100"]));
    assert_eq!(code, 0);
    let (code, _, err) = run(switchboard(dir.path()).args(["extension", "remove", "100"]));
    assert_eq!(code, 1);
    assert!(err.contains("no extension 100"), "{err}");
    let (_, out, _) = run(switchboard(dir.path()).args(["extension", "list"]));
    assert_eq!(out, "101\t\tnational\tring-timeout=20\n");
}

#[test]
fn serve_prints_the_bound_listeners() {
    let dir = tempfile::tempdir().unwrap();
    let file = loopback_config(dir.path());
    let lines = serve_until(dir.path(), &file, "portal");
    let text = lines.join("\n");
    assert!(text.contains("SIP UDP"), "{text}");
    assert!(text.contains("SIP TCP"), "{text}");
    assert!(
        !text.contains("SIP TLS"),
        "off listeners are not opened: {text}"
    );
    assert!(
        !text.contains("127.0.0.1:0 "),
        "real ports are printed: {text}"
    );
    let portal = lines.iter().find(|l| l.contains("portal")).unwrap();
    assert!(portal.contains("http://127.0.0.1:"), "{portal}");
}

#[test]
fn user_add_list_password_remove() {
    let dir = tempfile::tempdir().unwrap();
    let sb = || switchboard(dir.path());
    let (code, _, err) = run(sb().args(["extension", "add", "1001", "--password", "pw-1001"]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(sb().args(["user", "add", "Alice", "--extension", "1001"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("added user alice with extension 1001"),
        "{out}"
    );
    let generated = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap_or_default();
    assert_eq!(generated.len(), 20, "{out}");
    let (code, out, err) = run(sb().args([
        "user",
        "add",
        "root",
        "--admin",
        "--password",
        "a-long-password",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains("password:"),
        "a given password is not echoed: {out}"
    );

    let (code, _, err) = run(sb().args(["user", "add", "bob", "--password", "short"]));
    assert_eq!(code, 2);
    assert!(err.contains("at least 10 characters"), "{err}");
    let (code, _, err) = run(sb().args(["user", "add", "alice", "--password", "another-password"]));
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) = run(sb().args([
        "user",
        "add",
        "carol",
        "--extension",
        "1001",
        "--password",
        "carols-password",
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("1001"), "one extension, one user: {err}");
    let (code, _, err) =
        run(sb().args(["user", "add", "bad name", "--password", "a-long-password"]));
    assert_eq!(code, 2);
    assert!(err.contains("not valid"), "{err}");

    let (code, out, _) = run(sb().args(["user", "list"]));
    assert_eq!(code, 0);
    assert_eq!(out, "alice\tuser\t1001\nroot\tadmin\t-\n");
    let (code, out, _) = run(sb().args(["user", "password", "ALICE"]));
    assert_eq!(code, 0);
    assert!(out.contains("password: "), "{out}");
    let (code, _, _) = run(sb().args(["user", "remove", "alice"]));
    assert_eq!(code, 0);
    let (code, _, err) = run(sb().args(["user", "remove", "alice"]));
    assert_eq!(code, 1);
    assert!(err.contains("no user alice"), "{err}");
}

/// A fresh install prints the first admin's password once; the next start makes no other.
#[test]
fn first_start_creates_an_admin_and_prints_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let file = loopback_config(dir.path());
    let first_start = |stop_at: &str| serve_until(dir.path(), &file, stop_at).join("\n");
    let text = first_start("first start");
    assert!(
        text.contains("portal user \"admin\" created, password "),
        "{text}"
    );
    let (_, users, _) = run(switchboard(dir.path()).args(["user", "list"]));
    assert_eq!(users, "admin\tadmin\t-\n");
    let first = users.clone();
    first_start("database");
    let (_, users, _) = run(switchboard(dir.path()).args(["user", "list"]));
    assert_eq!(users, first, "the second start keeps the one admin");
}
