use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use tokio::sync::mpsc;

/// What the portal needs from the rest of the server.
pub trait Backend: Send + Sync + 'static {
    /// Figures for the status page.
    fn status(&self) -> Pin<Box<dyn Future<Output = Status> + Send + '_>>;

    /// A SIP WebSocket was accepted. The portal forwards each WebSocket message from the
    /// client (one SIP message or keepalive each, RFC 7118 §5) into `from_client`, and writes
    /// whatever arrives on `to_client` to the client. Either side ends the connection by
    /// dropping its end: the portal drops `from_client` when the client went away, the
    /// binary drops `to_client` (or sends [`WsOutbound::Close`]) to close it.
    fn sip_socket(&self, peer: WsPeer) -> WsChannels;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsPeer {
    pub remote: SocketAddr,
    pub local: SocketAddr,
    /// Arrived over HTTPS (`wss`).
    pub secure: bool,
}

pub struct WsChannels {
    pub from_client: mpsc::Sender<Vec<u8>>,
    pub to_client: mpsc::Receiver<WsOutbound>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsOutbound {
    /// One SIP message (sent as a text frame when it is UTF-8, binary otherwise).
    Frame(Vec<u8>),
    Close,
}

/// The status page's content; the binary fills it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub server: String,
    pub version: String,
    pub domain: String,
    pub listeners: Vec<StatusListener>,
    /// Registered contacts, or why they could not be counted.
    pub bindings: Result<usize, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListener {
    /// e.g. "SIP UDP", "HTTPS".
    pub name: String,
    /// What a client points at, e.g. `sip:pbx.example.com:5060;transport=udp`, `wss://…/sip`.
    pub address: String,
}
