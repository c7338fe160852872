//! The anchored RTP relay on real UDP sockets (127.0.0.1): two fake phones exchange RTP and
//! RTCP through a `CallMedia`; latching, bleed, payload types, counters, ports.
//! Each test uses its own port range so they can run in parallel.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use switchboard::media::{CallMedia, MediaEngine, MediaError, Side};
use tokio::net::UdpSocket;
use tokio::time::timeout;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// Only a guard against hanging forever when something is broken; never a measurement.
const PATIENCE: Duration = Duration::from_secs(5);

/// A fake phone: an RTP and an RTCP socket.
struct Phone {
    rtp: UdpSocket,
    rtcp: UdpSocket,
}

impl Phone {
    async fn new() -> Phone {
        Phone {
            rtp: bind().await,
            rtcp: bind().await,
        }
    }

    fn rtp_addr(&self) -> SocketAddr {
        self.rtp.local_addr().unwrap_or_else(|e| panic!("{e}"))
    }

    fn rtcp_addr(&self) -> SocketAddr {
        self.rtcp.local_addr().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Tells the relay where this phone is, as its SDP would.
    fn announce(&self, call: &CallMedia, side: Side, pts: &[u8]) {
        call.set_remote(side, self.rtp_addr(), self.rtcp_addr(), pts, 8000);
    }
}

async fn bind() -> UdpSocket {
    UdpSocket::bind((LOCALHOST, 0))
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"))
}

fn relay_addr(call: &CallMedia, side: Side) -> SocketAddr {
    SocketAddr::new(LOCALHOST, call.port(side))
}

fn relay_rtcp_addr(call: &CallMedia, side: Side) -> SocketAddr {
    SocketAddr::new(LOCALHOST, call.port(side) + 1)
}

fn rtp(pt: u8, seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..160).map(|i| (i as u8) ^ (seq as u8)));
    p
}

/// An RTCP receiver report from `sender` about `about`.
fn receiver_report(sender: u32, about: u32, lost: u32, jitter: u32) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend_from_slice(&sender.to_be_bytes());
    p.extend_from_slice(&about.to_be_bytes());
    p.extend_from_slice(&(lost & 0x00ff_ffff).to_be_bytes());
    p.extend_from_slice(&100u32.to_be_bytes());
    p.extend_from_slice(&jitter.to_be_bytes());
    p.extend_from_slice(&[0; 8]);
    p
}

async fn send(from: &UdpSocket, bytes: &[u8], to: SocketAddr) {
    from.send_to(bytes, to)
        .await
        .unwrap_or_else(|e| panic!("send: {e}"));
}

/// The next datagram on `socket`, and who sent it.
async fn recv(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0u8; 2048];
    let (n, from) = timeout(PATIENCE, socket.recv_from(&mut buf))
        .await
        .unwrap_or_else(|_| panic!("nothing arrived"))
        .unwrap_or_else(|e| panic!("recv: {e}"));
    buf.truncate(n);
    (buf, from)
}

/// Polls until `done` holds (the relay works on its own task).
async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let waited = timeout(PATIENCE, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "never happened: {what}");
}

async fn call_between(engine: &MediaEngine, a: &Phone, b: &Phone) -> CallMedia {
    let call = engine
        .open_call()
        .unwrap_or_else(|e| panic!("open_call: {e}"));
    a.announce(&call, Side::A, &[0, 101]);
    b.announce(&call, Side::B, &[0, 101]);
    call
}

#[tokio::test]
async fn rtp_and_rtcp_are_relayed_both_ways_with_counters() {
    let engine = MediaEngine::new(LOCALHOST, (23000, 23099));
    let (a, b) = (Phone::new().await, Phone::new().await);
    let call = call_between(&engine, &a, &b).await;
    assert_eq!(engine.active_calls(), 1);
    assert_eq!(engine.ports_in_use(), 4);
    assert_ne!(call.port(Side::A), call.port(Side::B));

    // A -> B: sequence 1, 2, 4 (3 is lost on the way in).
    for seq in [1, 2, 4] {
        let packet = rtp(0, seq, 0xaaaa);
        send(&a.rtp, &packet, relay_addr(&call, Side::A)).await;
        let (got, from) = recv(&b.rtp).await;
        assert_eq!(got, packet, "relayed unchanged");
        assert_eq!(
            from,
            relay_addr(&call, Side::B),
            "B only ever sees Switchboard"
        );
    }
    // B -> A.
    let packet = rtp(101, 1, 0xbbbb);
    send(&b.rtp, &packet, relay_addr(&call, Side::B)).await;
    let (got, from) = recv(&a.rtp).await;
    assert_eq!((got, from), (packet, relay_addr(&call, Side::A)));

    // RTCP both ways, on the RTCP ports.
    let rr = receiver_report(0xbbbb, 0xaaaa, 1, 80);
    send(&b.rtcp, &rr, relay_rtcp_addr(&call, Side::B)).await;
    let (got, from) = recv(&a.rtcp).await;
    assert_eq!((got, from), (rr, relay_rtcp_addr(&call, Side::A)));
    let rr = receiver_report(0xaaaa, 0xbbbb, 0, 8);
    send(&a.rtcp, &rr, relay_rtcp_addr(&call, Side::A)).await;
    let (got, _) = recv(&b.rtcp).await;
    assert_eq!(got, rr);

    let sa = call.stats(Side::A);
    assert_eq!((sa.packets_in, sa.bytes_in, sa.packets_out), (3, 480, 1));
    assert_eq!(sa.lost, 1, "sequence 3 never came");
    assert!(
        sa.jitter_ms > 0.0 && sa.jitter_ms.is_finite(),
        "jitter {}",
        sa.jitter_ms
    );
    assert_eq!((sa.rtcp_packets_in, sa.rtcp_lost), (1, Some(0)));
    let sb = call.stats(Side::B);
    assert_eq!(
        (sb.packets_in, sb.bytes_in, sb.packets_out, sb.lost),
        (1, 160, 3, 0)
    );
    // B reported one of A's packets lost, 80 timestamp units of jitter = 10 ms at 8 kHz.
    assert_eq!((sb.rtcp_lost, sb.rtcp_jitter_ms), (Some(1), Some(10.0)));
    assert_eq!(
        call.latched(Side::A),
        (Some(a.rtp_addr()), Some(a.rtcp_addr()))
    );

    call.close().await;
    assert_eq!((engine.active_calls(), engine.ports_in_use()), (0, 0));
}

#[tokio::test]
async fn bleed_and_wrong_payload_types_are_dropped() {
    let engine = MediaEngine::new(LOCALHOST, (23100, 23199));
    let (a, b) = (Phone::new().await, Phone::new().await);
    let call = call_between(&engine, &a, &b).await;
    let intruder = bind().await;

    // A latches.
    send(&a.rtp, &rtp(0, 1, 1), relay_addr(&call, Side::A)).await;
    assert_eq!(recv(&b.rtp).await.0, rtp(0, 1, 1));

    // A third party sprays A's relay port, then A sends a PCMA packet it never negotiated,
    // then a good one: only the good one reaches B.
    send(&intruder, &rtp(0, 2, 666), relay_addr(&call, Side::A)).await;
    send(&a.rtp, &rtp(8, 3, 1), relay_addr(&call, Side::A)).await;
    send(&a.rtp, &rtp(0, 4, 1), relay_addr(&call, Side::A)).await;
    assert_eq!(recv(&b.rtp).await.0, rtp(0, 4, 1));
    wait_for("both drops counted", || {
        let d = call.stats(Side::A).drops;
        d.bleed == 1 && d.payload_type == 1
    })
    .await;

    // The intruder gets nothing back either: B's media goes to the latched A.
    send(&b.rtp, &rtp(0, 1, 2), relay_addr(&call, Side::B)).await;
    let (_, from) = recv(&a.rtp).await;
    assert_eq!(from, relay_addr(&call, Side::A));
    assert_eq!(call.stats(Side::A).packets_in, 2);
    assert_eq!(call.stats(Side::B).packets_out, 2);
    call.close().await;
}

#[tokio::test]
async fn set_remote_relatches_a_moved_peer() {
    let engine = MediaEngine::new(LOCALHOST, (23200, 23299));
    let (a, b) = (Phone::new().await, Phone::new().await);
    let call = call_between(&engine, &a, &b).await;
    send(&a.rtp, &rtp(0, 1, 1), relay_addr(&call, Side::A)).await;
    recv(&b.rtp).await;

    // A's phone moves (new address) before the re-INVITE reaches us: still bleed.
    let moved = Phone::new().await;
    send(&moved.rtp, &rtp(0, 2, 1), relay_addr(&call, Side::A)).await;
    wait_for("early packet of the moved phone dropped", || {
        call.stats(Side::A).drops.bleed == 1
    })
    .await;

    // The re-INVITE: new SDP for A. The next packet from the new address latches.
    moved.announce(&call, Side::A, &[0]);
    assert_eq!(call.latched(Side::A), (None, None));
    send(&moved.rtp, &rtp(0, 3, 1), relay_addr(&call, Side::A)).await;
    assert_eq!(recv(&b.rtp).await.0, rtp(0, 3, 1));
    assert_eq!(call.latched(Side::A).0, Some(moved.rtp_addr()));
    // B's media now reaches the new phone; the old one is locked out.
    send(&b.rtp, &rtp(0, 1, 2), relay_addr(&call, Side::B)).await;
    assert_eq!(recv(&moved.rtp).await.0, rtp(0, 1, 2));
    send(&a.rtp, &rtp(0, 4, 1), relay_addr(&call, Side::A)).await;
    wait_for("old address dropped", || {
        call.stats(Side::A).drops.bleed == 2
    })
    .await;
    call.close().await;
}

#[tokio::test]
async fn ports_are_freed_and_reused() {
    // Exactly two RTP/RTCP pairs: one call's worth.
    let engine = MediaEngine::new(LOCALHOST, (23300, 23303));
    let first = engine.open_call().unwrap_or_else(|e| panic!("{e}"));
    let ports = (first.port(Side::A), first.port(Side::B));
    assert_eq!(engine.ports_in_use(), 4);
    assert!(matches!(
        engine.open_call(),
        Err(MediaError::NoPorts {
            first: 23300,
            last: 23303
        })
    ));

    first.close().await;
    assert_eq!((engine.active_calls(), engine.ports_in_use()), (0, 0));
    let second = engine
        .open_call()
        .unwrap_or_else(|e| panic!("ports not reusable: {e}"));
    let mut reused = [second.port(Side::A), second.port(Side::B)];
    reused.sort_unstable();
    let mut before = [ports.0, ports.1];
    before.sort_unstable();
    assert_eq!(reused, before);

    // Dropping (a call task that ends without close) frees them too.
    drop(second);
    wait_for("ports freed on drop", || {
        engine.ports_in_use() == 0 && engine.active_calls() == 0
    })
    .await;
    let third = engine.open_call().unwrap_or_else(|e| panic!("{e}"));

    // The relay still works on reused ports.
    let (a, b) = (Phone::new().await, Phone::new().await);
    a.announce(&third, Side::A, &[0]);
    b.announce(&third, Side::B, &[0]);
    send(&a.rtp, &rtp(0, 9, 1), relay_addr(&third, Side::A)).await;
    assert_eq!(recv(&b.rtp).await.0, rtp(0, 9, 1));
    third.close().await;
}

#[tokio::test]
async fn a_port_held_by_someone_else_is_skipped() {
    // Something else holds the first pair's RTCP port.
    let _squatter = std::net::UdpSocket::bind((LOCALHOST, 23401)).unwrap_or_else(|e| panic!("{e}"));
    let engine = MediaEngine::new(LOCALHOST, (23400, 23407));
    let call = engine.open_call().unwrap_or_else(|e| panic!("{e}"));
    assert!(call.port(Side::A) != 23400 && call.port(Side::B) != 23400);
    assert_eq!(engine.ports_in_use(), 4);
    call.close().await;
    assert_eq!(engine.ports_in_use(), 0);
}

#[test]
fn open_call_needs_a_runtime() {
    let engine = MediaEngine::new(LOCALHOST, (23500, 23509));
    assert!(matches!(engine.open_call(), Err(MediaError::NoRuntime)));
    assert_eq!(engine.ports_in_use(), 0);
}

/// A call's pair is kept bound for the next calls; what reached it after its call ended must
/// not be relayed, counted or latched in the next call.
#[tokio::test]
async fn a_reused_pair_forgets_the_last_calls_packets() {
    let engine = MediaEngine::new(LOCALHOST, (23600, 23603));
    let (old_a, old_b) = (Phone::new().await, Phone::new().await);
    let first = call_between(&engine, &old_a, &old_b).await;
    let port_a = relay_addr(&first, Side::A);
    first.close().await;
    // The old caller keeps talking after the hang-up.
    for seq in 0..3 {
        send(&old_a.rtp, &rtp(0, seq, 7), port_a).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Only one call's worth of ports: the next call must reuse them.
    let (a, b) = (Phone::new().await, Phone::new().await);
    let second = call_between(&engine, &a, &b).await;
    assert_eq!(engine.ports_in_use(), 4);
    let mut ports = [second.port(Side::A), second.port(Side::B)];
    ports.sort_unstable();
    assert_eq!(ports, [23600, 23602]);
    let new_a = relay_addr(&second, Side::A);
    send(&a.rtp, &rtp(0, 100, 9), new_a).await;
    let (got, _) = recv(&b.rtp).await;
    assert_eq!(
        got,
        rtp(0, 100, 9),
        "the first packet through is the new caller's"
    );
    let stats = second.stats(Side::A);
    assert_eq!(stats.packets_in, 1, "{stats:?}");
    assert_eq!(second.latched(Side::A).0, Some(a.rtp_addr()));
    second.close().await;
}
