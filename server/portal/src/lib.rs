//! The HTTP listener's routes: the portal pages, the JSON API under `/api`, and the SIP
//! WebSocket at `/sip` (RFC 7118).
//!
//! The portal knows nothing of SIP transports or storage: it reaches the rest of the server
//! through [`Backend`]. The same router serves the HTTP and the HTTPS listener;
//! [`ListenerInfo::secure`] tells them apart (cookie names and flags, `ws` or `wss`).
//!
//! Every request passes two layers: the security headers (`headers.rs`) and the auth guard
//! (`auth::guard`), which resolves the session or API token and enforces CSRF on writes.

mod api;
mod assets;
mod auth;
mod backend;
mod config;
mod error;
mod form;
mod headers;
mod pages;
mod peer;
mod ws;

#[cfg(test)]
pub(crate) mod fake;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{any, get};

pub use auth::password::{PasswordError, hash_blocking as hash_password};
pub use backend::{
    Backend, BackendError, BackendResult, BoxFuture, ExtensionInfo, ExtensionUpdate, LiveCall,
    NewRoute, NewRule, Registration, SipCredentials, Status, StatusListener, TrunkInfo,
    TrunkRegistrationState, TrunkStatus, WsChannels, WsOutbound, WsPeer,
};
pub use config::{Clock, LoginThrottle, PortalConfig};
pub use peer::{ChannelListener, PeerAddr};

/// Largest SIP message accepted over the WebSocket, as on the other stream transports.
pub const MAX_SIP_MESSAGE: usize = 64 * 1024;

/// The listener a router is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerInfo {
    pub local: SocketAddr,
    /// HTTPS (so `/sip` is `wss` and the session cookie is `__Host-` and Secure).
    pub secure: bool,
}

/// What every handler gets.
#[derive(Clone)]
pub(crate) struct AppState {
    pub backend: Arc<dyn Backend>,
    pub listener: ListenerInfo,
    pub config: Arc<PortalConfig>,
    /// Failed logins (shared by the routers built from clones of one config).
    pub throttle: Arc<auth::throttle::Throttle>,
}

/// The routes: the pages, `/api/…`, `/static/…`, `/healthz` and `/sip` (SIP over WebSocket).
/// Serve with `into_make_service_with_connect_info::<PeerAddr>()` so `/sip` and the login
/// throttle know the peer.
pub fn router(backend: Arc<dyn Backend>, listener: ListenerInfo, config: PortalConfig) -> Router {
    let state = AppState {
        backend,
        listener,
        throttle: config.login_throttle.0.clone(),
        config: Arc::new(config),
    };
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .route("/static/style.css", get(assets::style_css))
        .route("/static/softphone.js", get(assets::softphone_js))
        .route("/static/favicon.svg", get(assets::favicon_svg))
        .route("/healthz", get(|| async { "ok" }))
        .route("/sip", any(ws::upgrade))
        .layer(from_fn_with_state(state.clone(), auth::guard::layer))
        .layer(from_fn(headers::apply))
        .with_state(state)
}

#[cfg(test)]
mod tests;
