//! SIP over WebSocket (RFC 7118): the portal accepts the upgrade at `/sip` and hands each
//! connection's frames here. Every WebSocket message is one SIP message; the connection is
//! registered like a TCP one so requests for a browser's contact reach it.

use std::net::SocketAddr;

use pbx::{Flow, Transport};
use portal::{WsChannels, WsPeer};
use tokio::sync::mpsc;

use super::connections::{Connection, Writer};
use super::shutdown::Shutdown;
use crate::endpoint::Shared;

const QUEUE: usize = 256;

/// Wires one accepted WebSocket to the endpoint.
pub fn attach(peer: WsPeer, endpoint: Shared, mut shutdown: Shutdown) -> WsChannels {
    let (from_tx, mut from_rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    let (to_tx, to_rx) = mpsc::channel(QUEUE);
    let transport = if peer.secure {
        Transport::Wss
    } else {
        Transport::Ws
    };
    let id = endpoint.connections().add(Connection {
        transport,
        remote: peer.remote,
        local: peer.local,
        writer: Writer::WebSocket(to_tx),
    });
    tracing::debug!(remote = %peer.remote, %transport, id, "WebSocket opened");
    let flow = Flow {
        transport,
        remote: peer.remote,
        local: peer.local,
        connection: Some(id),
    };
    tokio::spawn(async move {
        let mut peer_closed = false;
        loop {
            tokio::select! {
                frame = from_rx.recv() => match frame {
                    // SIP.js and others ping with CRLFCRLF over WebSocket too and take a
                    // CRLF back as the pong (RFC 5626 §3.5.1 style).
                    Some(bytes) if bytes == b"\r\n\r\n" => {
                        let _ = endpoint.connections().send(id, b"\r\n".to_vec());
                    }
                    // Boxed, as the bindings' clean-up below: their futures would
                    // otherwise size this task, which lives as long as the browser's
                    // connection, at a few KiB; they run a few times a call.
                    Some(bytes) => Box::pin(endpoint.on_datagram(&flow, &bytes)).await,
                    None => {
                        peer_closed = true;
                        break;
                    }
                },
                () = shutdown.wait() => break,
            }
        }
        // Dropping the registry's sender tells the portal to close the socket.
        endpoint.connections().remove(id);
        tracing::debug!(remote = %flow.remote, id, "WebSocket closed");
        // Not at shutdown: bindings survive a restart (the browser reconnects and refreshes).
        if peer_closed {
            Box::pin(endpoint.forget_bindings_of(&flow)).await;
        }
    });
    WsChannels {
        from_client: from_tx,
        to_client: to_rx,
    }
}

/// For status listings: `ws://addr/sip` or `wss://addr/sip`.
pub fn url(addr: SocketAddr, secure: bool) -> String {
    format!("{}://{addr}/sip", if secure { "wss" } else { "ws" })
}
