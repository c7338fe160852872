//! The HTTP and HTTPS listeners: the portal router, with `/sip` WebSockets wired to the SIP
//! endpoint, and the status page fed from the running server.

use std::net::SocketAddr;
use std::sync::Arc;

use portal::{ChannelListener, ListenerInfo, PeerAddr, PortalConfig};
use tokio::net::TcpListener;

use super::shutdown::Shutdown;
use crate::portal_backend::PortalBackend;

pub async fn run_http(
    listener: TcpListener,
    backend: Arc<PortalBackend>,
    config: PortalConfig,
    mut shutdown: Shutdown,
) {
    let Ok(local) = listener.local_addr() else {
        return;
    };
    let app = portal::router(
        backend,
        ListenerInfo {
            local,
            secure: false,
        },
        config,
    );
    let serve = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<PeerAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.wait().await });
    if let Err(e) = serve.await {
        tracing::error!("HTTP listener {local} failed: {e}");
    }
}

pub async fn run_https(
    listener: ChannelListener<tokio_rustls::server::TlsStream<tokio::net::TcpStream>>,
    local: SocketAddr,
    backend: Arc<PortalBackend>,
    config: PortalConfig,
    mut shutdown: Shutdown,
) {
    let app = portal::router(
        backend,
        ListenerInfo {
            local,
            secure: true,
        },
        config,
    );
    let serve = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<PeerAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.wait().await });
    if let Err(e) = serve.await {
        tracing::error!("HTTPS listener {local} failed: {e}");
    }
}
