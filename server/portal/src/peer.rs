use std::io;
use std::net::SocketAddr;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The remote address of an HTTP connection, for plain TCP and for [`ChannelListener`]
/// (which the binary feeds with TLS streams). axum implements `Connected` for its own
/// `TcpListener` only, hence this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, TcpListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

impl<Io> Connected<IncomingStream<'_, ChannelListener<Io>>> for PeerAddr
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn connect_info(stream: IncomingStream<'_, ChannelListener<Io>>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// A listener whose connections are accepted elsewhere and handed over a channel. The binary
/// uses it for HTTPS: its acceptor runs each TLS handshake in its own task (so one slow
/// client cannot stall the others) and passes finished streams here.
pub struct ChannelListener<Io> {
    incoming: mpsc::Receiver<(Io, SocketAddr)>,
    local: SocketAddr,
}

impl<Io> ChannelListener<Io> {
    pub fn new(incoming: mpsc::Receiver<(Io, SocketAddr)>, local: SocketAddr) -> Self {
        ChannelListener { incoming, local }
    }
}

impl<Io> Listener for ChannelListener<Io>
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Io = Io;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Io, SocketAddr) {
        match self.incoming.recv().await {
            Some(conn) => conn,
            // The acceptor is gone (shutdown): never yield another connection.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}
