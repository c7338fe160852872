//! The HTTP listener's routes: the portal pages and the SIP WebSocket at `/sip` (RFC 7118).
//!
//! The portal knows nothing of SIP transports: a WebSocket's frames are handed to the binary
//! through [`Backend::sip_socket`] as plain byte channels, and the status page asks
//! [`Backend::status`] for its figures. The same router serves `ws://` on the HTTP listener and
//! `wss://` on the HTTPS one; [`ListenerInfo::secure`] tells them apart.

mod assets;
mod backend;
mod peer;
mod status;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get};

pub use backend::{Backend, Status, StatusListener, WsChannels, WsOutbound, WsPeer};
pub use peer::{ChannelListener, PeerAddr};

/// Largest SIP message accepted over the WebSocket, as on the other stream transports.
pub const MAX_SIP_MESSAGE: usize = 64 * 1024;

/// The listener a router is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerInfo {
    pub local: SocketAddr,
    /// HTTPS (so `/sip` is `wss`).
    pub secure: bool,
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub backend: Arc<dyn Backend>,
    pub listener: ListenerInfo,
}

/// The routes: `/` (status page), `/static/…`, `/healthz` and `/sip` (SIP over WebSocket).
/// Serve with `into_make_service_with_connect_info::<PeerAddr>()` so `/sip` knows the peer.
pub fn router(backend: Arc<dyn Backend>, listener: ListenerInfo) -> Router {
    Router::new()
        .route("/", get(status::page))
        .route("/static/style.css", get(assets::style_css))
        .route("/healthz", get(|| async { "ok" }))
        .route("/sip", any(ws::upgrade))
        .with_state(AppState { backend, listener })
}

#[cfg(test)]
mod tests;
