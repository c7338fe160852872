//! The HTTP and HTTPS listeners: the portal router, with `/sip` WebSockets wired to the SIP
//! endpoint, and the status page fed from the running server.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use portal::{
    Backend, ChannelListener, ListenerInfo, PeerAddr, Status, StatusListener, WsChannels, WsPeer,
};
use tokio::net::TcpListener;

use super::shutdown::Shutdown;
use crate::endpoint::{Shared, now_unix};

/// What the portal sees of the server.
pub struct PortalBackend {
    pub endpoint: Shared,
    pub shutdown: Shutdown,
    pub domain: String,
    pub listeners: Vec<StatusListener>,
}

impl Backend for PortalBackend {
    fn status(&self) -> Pin<Box<dyn Future<Output = Status> + Send + '_>> {
        Box::pin(async move {
            let bindings = self
                .endpoint
                .store()
                .all_bindings(now_unix())
                .await
                .map(|b| b.len())
                .map_err(|e| e.to_string());
            Status {
                server: "Switchboard".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                domain: self.domain.clone(),
                listeners: self.listeners.clone(),
                bindings,
            }
        })
    }

    fn sip_socket(&self, peer: WsPeer) -> WsChannels {
        super::ws::attach(peer, self.endpoint.clone(), self.shutdown.clone())
    }
}

pub async fn run_http(listener: TcpListener, backend: Arc<PortalBackend>, mut shutdown: Shutdown) {
    let Ok(local) = listener.local_addr() else {
        return;
    };
    let app = portal::router(
        backend,
        ListenerInfo {
            local,
            secure: false,
        },
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
    mut shutdown: Shutdown,
) {
    let app = portal::router(
        backend,
        ListenerInfo {
            local,
            secure: true,
        },
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
