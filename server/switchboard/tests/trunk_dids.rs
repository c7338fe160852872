//! Inbound numbers (DIDs) with in-test providers: a DID that rings two extensions together
//! (the one who answers takes the call, the other is cancelled); a DID whose extension is
//! not registered fails over to another extension; a DID whose extension is busy fails
//! over to an outside number through an outbound route and its trunk. RTP crosses each
//! answered call both ways.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::net::SocketAddr;

use common::calls::{
    CalleeDialog, CallerDialog, boot_with, final_for, quiet_for, recv_rtp, registered, request_of,
    rtp, rtp_socket, sdp, sdp_port,
};
use common::{Conn, Phone};
use pbx::trunk::{Cidr, Did};
use sip::{HeaderName, Method, Response};
use switchboard::RunningServer;
use tokio::net::UdpSocket;
use trunk_helpers::{let_trunks_settle, provider, provider_dialog, trunk};

const DID: &str = "+12125550100";
const OUTSIDE_CALLER: &str = "+13125559999";

/// A server with 1002 and 1003 known (not registered), a carrier on 127.0.0.4 whose trunk
/// is authenticated by its address, and the DID on it routed to `to` with `failover`.
async fn carrier_office(
    ports: (u16, u16),
    to: &[&str],
    failover: Option<&str>,
) -> (RunningServer, SocketAddr, tempfile::TempDir, Conn) {
    let (server, udp, dir) =
        boot_with(ports, &[("1002", "bob-secret"), ("1003", "carol-secret")]).await;
    let carrier = provider("127.0.0.4", udp).await;
    let mut t = trunk("carrier", carrier.local());
    t.allow = vec![Cidr {
        addr: carrier.local().ip(),
        prefix: 32,
    }];
    server.store.add_trunk(&t).await.unwrap();
    server
        .store
        .add_did(&Did {
            number: DID.into(),
            trunk: "carrier".into(),
            to: to.iter().map(|s| (*s).to_owned()).collect(),
            failover: failover.map(str::to_owned),
        })
        .await
        .unwrap();
    (server, udp, dir, carrier)
}

/// The carrier calls the DID (national form, no credentials): its dialog and RTP socket.
async fn carrier_calls(carrier: &mut Conn) -> (CallerDialog, UdpSocket) {
    let c_rtp = rtp_socket().await;
    let mut call = CallerDialog::new(carrier.local(), OUTSIDE_CALLER, "2125550100");
    let offer = sdp("carrier", c_rtp.local_addr().unwrap(), "sendrecv");
    carrier.send(&call.invite(Some(&offer), "", None)).await;
    (call, c_rtp)
}

/// The carrier's 200 and its ACK.
async fn carrier_gets_answer(carrier: &mut Conn, call: &mut CallerDialog) -> Response {
    let ok = final_for(carrier, Method::Invite).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    call.on_2xx(&ok);
    carrier.send(&call.ack(None)).await;
    ok
}

/// RTP both ways: `x` sends to `to_x`'s server side and hears `y`, and the reverse.
async fn rtp_both_ways(x: &UdpSocket, to_x: SocketAddr, y: &UdpSocket, to_y: SocketAddr) {
    for seq in 0..5u16 {
        x.send_to(&rtp(seq, 1), to_x).await.unwrap();
        y.send_to(&rtp(seq, 2), to_y).await.unwrap();
    }
    assert!(recv_rtp(y).await.is_some(), "the far end hears the caller");
    assert!(recv_rtp(x).await.is_some(), "the caller hears the far end");
}

/// `phone` answers the INVITE it got with SDP for a new RTP socket.
async fn answer(phone: &mut Phone, inv: &sip::Request) -> (CalleeDialog, UdpSocket) {
    let b = CalleeDialog::new(phone, inv);
    let b_rtp = rtp_socket().await;
    phone.conn.send(&b.respond(inv, 180, None)).await;
    let body = sdp(&phone.user, b_rtp.local_addr().unwrap(), "sendrecv");
    phone.conn.send(&b.respond(inv, 200, Some(body))).await;
    request_of(&mut phone.conn, Method::Ack)
        .await
        .expect("ACK for the answer");
    (b, b_rtp)
}

#[tokio::test]
async fn a_did_rings_two_extensions_together() {
    let (server, udp, _dir, mut carrier) =
        carrier_office((47400, 47499), &["1002", "1003"], None).await;
    let mut bob = registered(udp, "1002", "bob-secret").await;
    let mut carol = registered(udp, "1003", "carol-secret").await;
    let_trunks_settle().await;

    let (mut call, c_rtp) = carrier_calls(&mut carrier).await;
    let to_bob = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("the DID rings 1002");
    let to_carol = request_of(&mut carol.conn, Method::Invite)
        .await
        .expect("and 1003 at the same time");
    for inv in [&to_bob, &to_carol] {
        let from = inv.headers.get(&HeaderName::From).unwrap();
        assert!(from.contains(OUTSIDE_CALLER), "caller ID passed on: {from}");
    }
    let b = CalleeDialog::new(&bob, &to_bob);
    bob.conn.send(&b.respond(&to_bob, 180, None)).await;

    let (k, k_rtp) = answer(&mut carol, &to_carol).await;
    let cancel = request_of(&mut bob.conn, Method::Cancel)
        .await
        .expect("the other phone stops ringing");
    bob.conn.send(&b.respond(&cancel, 200, None)).await;
    bob.conn.send(&b.respond(&to_bob, 487, None)).await;
    let ok = carrier_gets_answer(&mut carrier, &mut call).await;

    let to_server_c: SocketAddr = ([127, 0, 0, 1], sdp_port(&ok.body)).into();
    let to_server_k: SocketAddr = ([127, 0, 0, 1], sdp_port(&to_carol.body)).into();
    rtp_both_ways(&c_rtp, to_server_c, &k_rtp, to_server_k).await;
    let calls = server.active_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");

    carrier.send(&call.request("BYE", None)).await;
    let bye = request_of(&mut carol.conn, Method::Bye)
        .await
        .expect("BYE reaches 1003");
    carol.conn.send(&k.respond(&bye, 200, None)).await;
    assert_eq!(final_for(&mut carrier, Method::Bye).await.status, 200);
    let records = common::calls::records_after_calls(&server).await;
    assert_eq!(records.last().unwrap().callee, "1003", "{records:?}");
}

#[tokio::test]
async fn an_unregistered_did_extension_fails_over_to_another_extension() {
    let (server, udp, _dir, mut carrier) =
        carrier_office((47500, 47599), &["1002"], Some("1003")).await;
    let mut carol = registered(udp, "1003", "carol-secret").await;
    let_trunks_settle().await;

    let (mut call, c_rtp) = carrier_calls(&mut carrier).await;
    let inv = request_of(&mut carol.conn, Method::Invite)
        .await
        .expect("1002 is not registered: the failover 1003 rings");
    assert!(
        inv.headers
            .get(&HeaderName::From)
            .unwrap()
            .contains(OUTSIDE_CALLER)
    );
    let (k, k_rtp) = answer(&mut carol, &inv).await;
    let ok = carrier_gets_answer(&mut carrier, &mut call).await;
    let to_server_c: SocketAddr = ([127, 0, 0, 1], sdp_port(&ok.body)).into();
    let to_server_k: SocketAddr = ([127, 0, 0, 1], sdp_port(&inv.body)).into();
    rtp_both_ways(&c_rtp, to_server_c, &k_rtp, to_server_k).await;

    carrier.send(&call.request("BYE", None)).await;
    let bye = request_of(&mut carol.conn, Method::Bye)
        .await
        .expect("BYE reaches 1003");
    carol.conn.send(&k.respond(&bye, 200, None)).await;
    assert_eq!(final_for(&mut carrier, Method::Bye).await.status, 200);
    let records = common::calls::records_after_calls(&server).await;
    assert_eq!(records.last().unwrap().callee, "1003", "{records:?}");
}

#[tokio::test]
async fn a_busy_did_extension_fails_over_to_a_mobile_through_a_route() {
    let (server, udp, _dir, mut carrier) =
        carrier_office((47600, 47699), &["1002"], Some("13125550142")).await;
    let mut mobile = provider("127.0.0.6", udp).await;
    server
        .store
        .add_trunk(&trunk("mobile", mobile.local()))
        .await
        .unwrap();
    server
        .store
        .add_route("_1NXXNXXXXXX", &["mobile".to_owned()], 0, "+", None)
        .await
        .unwrap();
    let mut bob = registered(udp, "1002", "bob-secret").await;
    let_trunks_settle().await;

    let (mut call, c_rtp) = carrier_calls(&mut carrier).await;
    let to_bob = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("the DID rings 1002");
    let b = CalleeDialog::new(&bob, &to_bob);
    bob.conn.send(&b.respond(&to_bob, 486, None)).await;
    request_of(&mut bob.conn, Method::Ack)
        .await
        .expect("ACK for the 486");

    let inv = request_of(&mut mobile, Method::Invite)
        .await
        .expect("busy: the failover number is called through the route");
    assert_eq!(
        inv.uri.to_string(),
        format!("sip:+13125550142@{}", mobile.local())
    );
    let text = String::from_utf8_lossy(&inv.to_bytes()).into_owned();
    assert!(
        !text.contains("127.0.0.4"),
        "carrier topology leaked: {text}"
    );
    let m = provider_dialog(mobile.local(), &inv);
    let m_rtp = rtp_socket().await;
    mobile.send(&m.respond(&inv, 180, None)).await;
    let body = sdp("mobile", m_rtp.local_addr().unwrap(), "sendrecv");
    mobile.send(&m.respond(&inv, 200, Some(body))).await;
    request_of(&mut mobile, Method::Ack)
        .await
        .expect("ACK to the mobile's provider");
    let ok = carrier_gets_answer(&mut carrier, &mut call).await;
    assert_eq!(server.trunks().live("mobile").map(|l| l.calls), Some(1));

    let to_server_c: SocketAddr = ([127, 0, 0, 1], sdp_port(&ok.body)).into();
    let to_server_m: SocketAddr = ([127, 0, 0, 1], sdp_port(&inv.body)).into();
    rtp_both_ways(&c_rtp, to_server_c, &m_rtp, to_server_m).await;

    carrier.send(&call.request("BYE", None)).await;
    let bye = request_of(&mut mobile, Method::Bye)
        .await
        .expect("BYE reaches the mobile's provider");
    mobile.send(&m.respond(&bye, 200, None)).await;
    assert_eq!(final_for(&mut carrier, Method::Bye).await.status, 200);
    assert!(
        quiet_for(&mut bob.conn, 200).await.is_none(),
        "1002 is left alone"
    );
    assert!(
        common::eventually(|| async { server.trunks().live("mobile").map(|l| l.calls) == Some(0) })
            .await,
        "the mobile trunk's channel is released"
    );
}
