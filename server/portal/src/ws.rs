//! SIP over WebSocket (RFC 7118): the upgrade at `/sip` and the frame pump between the socket
//! and the binary's channels.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};

use crate::{AppState, MAX_SIP_MESSAGE, PeerAddr, WsOutbound, WsPeer};

/// RFC 7118 §4: the client MUST offer the `sip` subprotocol; a server that cannot speak it
/// must not pretend to, so without it the upgrade is refused rather than accepted bare.
pub(crate) async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(PeerAddr(remote)): ConnectInfo<PeerAddr>,
) -> Response {
    let offers_sip = ws.requested_protocols().any(|p| {
        p.to_str()
            .map(|list| {
                list.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("sip"))
            })
            .unwrap_or(false)
    });
    if !offers_sip {
        return (
            StatusCode::BAD_REQUEST,
            "the WebSocket subprotocol \"sip\" is required (RFC 7118)\n",
        )
            .into_response();
    }
    let peer = WsPeer {
        remote,
        local: state.listener.local,
        secure: state.listener.secure,
    };
    ws.protocols(["sip"])
        // tungstenite's 128 KiB read and write buffers would be most of what a browser's
        // connection costs; SIP messages are a few KiB and each is sent at once anyway. The
        // read buffer grows to the longest frame that came (an INVITE with its SDP) and
        // stays there, so it starts small rather than at the size of a large one.
        .read_buffer_size(2 * 1024)
        .write_buffer_size(0)
        .max_message_size(MAX_SIP_MESSAGE)
        .max_frame_size(MAX_SIP_MESSAGE)
        .on_upgrade(move |socket| pump(socket, state, peer))
}

async fn pump(socket: WebSocket, state: AppState, peer: WsPeer) {
    let channels = state.backend.sip_socket(peer);
    let from_client = channels.from_client;
    let mut to_client = channels.to_client;
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if from_client.send(text.as_bytes().to_vec()).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if from_client.send(bytes.to_vec()).await.is_err() {
                        break;
                    }
                }
                // Pings are answered by the WebSocket layer itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
            outgoing = to_client.recv() => match outgoing {
                Some(WsOutbound::Frame(bytes)) => {
                    let message = match String::from_utf8(bytes) {
                        Ok(text) => Message::Text(text.into()),
                        Err(e) => Message::Binary(e.into_bytes().into()),
                    };
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                Some(WsOutbound::Close) | None => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            },
        }
    }
    tracing::debug!(remote = %peer.remote, "SIP WebSocket closed");
}
