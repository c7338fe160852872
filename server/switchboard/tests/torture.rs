//! The RFC 4475 torture messages thrown at the running server over TCP (stream framing) and
//! WebSocket (the datagram path): it never falls over, the clearly invalid ones get the
//! status RFC 4475 names, and it still answers afterwards. The parser-level suite is
//! server/sip/tests/rfc4475.rs; this checks the wiring end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/rfc4475"
    ));
    dir.join("MANIFEST.tsv").exists().then_some(dir)
}

/// Invalid messages whose answer RFC 4475 states without a "liberal" alternative.
const EXPECTED: &[(&str, u16)] = &[
    ("badinv01.dat", 400),
    ("badvers.dat", 505),
    ("mismatch01.dat", 400),
    ("insuf.dat", 400),
    ("unkscm.dat", 416),
    ("bext01.dat", 420),
    ("invut.dat", 415),
    ("multi01.dat", 400),
    ("mcl01.dat", 400),
    ("scalar02.dat", 400),
    ("badaspec.dat", 400),
    ("lwsruri.dat", 400),
];

/// The status of the first final response found in raw bytes. Parsed by hand: a stateless
/// 400 copies the request's malformed headers (as it must), so a strict parser would refuse
/// the answer itself.
fn final_status(text: &[u8]) -> Option<u16> {
    String::from_utf8_lossy(text)
        .split("\r\n")
        .filter_map(|line| line.strip_prefix("SIP/2.0 "))
        .filter_map(|rest| rest.get(..3)?.parse::<u16>().ok())
        .find(|code| *code >= 200)
}

async fn tcp_answer(server: std::net::SocketAddr, bytes: &[u8], wait: Duration) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(server).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return final_status(&got),
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
            if let Some(code) = final_status(&got) {
                return Some(code);
            }
        }
    };
    tokio::time::timeout(wait, read).await.ok().flatten()
}

async fn ws_answer(conn: &mut Conn, wait: Duration) -> Option<u16> {
    let read = async {
        loop {
            let frame = conn.recv_frame().await?;
            if let Some(code) = final_status(&frame) {
                return Some(code);
            }
        }
    };
    tokio::time::timeout(wait, read).await.ok().flatten()
}

#[tokio::test]
async fn torture_messages_over_tcp_and_websocket() {
    let Some(dir) = corpus() else {
        println!("SKIPPED: ../shared/testdata/rfc4475 not found next to the repository");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = boot(test_config(tmp.path(), None, 0)).await;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dat"))
        .collect();
    files.sort();
    assert!(files.len() >= 49, "corpus incomplete: {}", files.len());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let want = EXPECTED.iter().find(|(f, _)| *f == name).map(|(_, s)| *s);

        // A fresh connection each: a framing error legitimately closes it.
        // Messages with a stated answer get a generous wait; the others (some are
        // legitimately never answered) only a short one, to let the server process them.
        let wait = if want.is_some() {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(300)
        };
        let over_tcp = tcp_answer(server.sip_tcp.unwrap(), &bytes, wait).await;
        let mut ws = Conn::ws(server.http.unwrap()).await;
        ws.send_bytes(&bytes).await;
        let over_ws = ws_answer(&mut ws, wait).await;
        if let Some(want) = want {
            assert_eq!(over_tcp, Some(want), "{name} over TCP");
            assert_eq!(over_ws, Some(want), "{name} over WebSocket");
        }
    }
    // Still alive and answering.
    let mut conn = Conn::udp(server.sip_udp.unwrap()).await;
    let probe = format!(
        "OPTIONS sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP {l};branch=z9hG4bKalive;rport\r\n\
Max-Forwards: 70\r\nFrom: <sip:probe@{DOMAIN}>;tag=p1\r\nTo: <sip:{DOMAIN}>\r\n\
Call-ID: alive@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        l = conn.local()
    );
    conn.send(probe.as_bytes()).await;
    assert_eq!(conn.final_response().await.status, 200);
    server.shutdown().await;
}
