//! TLS accept loops: SIP over TLS (each connection then runs in `stream::serve`) and HTTPS
//! (finished TLS streams are handed to axum through a `portal::ChannelListener`). Each
//! handshake runs in its own task with a deadline, so a slow or silent client holds up nobody.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pbx::Transport;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::shutdown::Shutdown;
use crate::endpoint::Shared;

const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);

pub async fn run_sip(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    endpoint: Shared,
    shutdown: Shutdown,
) {
    let Ok(listening) = listener.local_addr() else {
        return;
    };
    let sip_dscp = Some(endpoint.sip_dscp());
    accept_loop(
        listener,
        config,
        sip_dscp,
        shutdown.clone(),
        move |stream, remote| {
            // The address this connection really arrived at (the listener may be 0.0.0.0).
            let local = stream.get_ref().0.local_addr().unwrap_or(listening);
            tokio::spawn(super::stream::serve(
                stream,
                Transport::Tls,
                remote,
                local,
                endpoint.clone(),
                shutdown.clone(),
            ));
        },
    )
    .await;
}

/// Accepts TLS connections for HTTPS and passes them on over `out`.
pub async fn run_https(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    out: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
    shutdown: Shutdown,
) {
    accept_loop(listener, config, None, shutdown, move |stream, remote| {
        let out = out.clone();
        tokio::spawn(async move {
            let _ = out.send((stream, remote)).await;
        });
    })
    .await;
}

/// `sip_dscp`: the mark for SIP connections (HTTPS ones carry none).
async fn accept_loop<F>(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    sip_dscp: Option<u8>,
    mut shutdown: Shutdown,
    on_ready: F,
) where
    F: Fn(TlsStream<TcpStream>, SocketAddr) + Clone + Send + 'static,
{
    let acceptor = TlsAcceptor::from(config);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shutdown.wait() => return,
        };
        let (tcp, remote) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("TLS accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        if let Some(d) = sip_dscp {
            super::dscp::mark_or_log(&tcp, d, "SIP TLS");
        }
        let acceptor = acceptor.clone();
        let on_ready = on_ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_DEADLINE, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => on_ready(stream, remote),
                Ok(Err(e)) => tracing::debug!(%remote, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
            }
        });
    }
}
