//! SIP over a byte stream (TCP, TLS): framing by Content-Length (sip::StreamFramer), CRLF
//! keepalive answered with a CRLF pong (RFC 5626 §3.5.1), 64 KiB per message, and a writer
//! task fed through the connection registry so anyone can send over this connection.
//! Accepted connections (`serve`) and the ones we open to trunk providers
//! (`spawn_outbound`) are read the same way.

use std::net::SocketAddr;
use std::time::Duration;

use pbx::{Flow, Transport};
use sip::framer::{Framed, StreamFramer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::connections::{Connection, Outgoing, Writer};
use super::shutdown::Shutdown;
use crate::endpoint::Shared;

/// Messages queued for one connection before senders are told it is not keeping up.
const QUEUE: usize = 256;
/// How often a connection we opened sends a CRLF keepalive ping.
const KEEPALIVE: Duration = Duration::from_secs(30);

pub async fn serve<S>(
    stream: S,
    transport: Transport,
    remote: SocketAddr,
    local: SocketAddr,
    endpoint: Shared,
    shutdown: Shutdown,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let flow = Flow {
        transport,
        remote,
        local,
        connection: None,
    };
    let idle = Some(endpoint.stream_idle());
    open(stream, flow, endpoint, shutdown, idle).await;
}

/// Registers a connection we opened (to a trunk's provider) and serves it in a task of its
/// own; returns its flow, connection id included. Such a connection is not closed for
/// being idle (the provider may say nothing between our refreshes, and sends calls over
/// it): it lives until the peer or the trunk's removal closes it, with a CRLF keepalive
/// every `KEEPALIVE` to keep NAT and firewall state alive (RFC 5626 §4.4.1).
pub fn spawn_outbound<S>(stream: S, flow: Flow, endpoint: Shared, shutdown: Shutdown) -> Flow
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (tx, rx) = mpsc::channel(QUEUE);
    let flow = register(&endpoint, flow, &tx);
    let (reader, writer) = tokio::io::split(stream);
    let served = flow.clone();
    tokio::spawn(async move {
        let writer_task = tokio::spawn(write_loop(writer, rx));
        run(reader, writer_task, &served, endpoint, shutdown, None, tx).await;
    });
    flow
}

/// The flow with the id the registry gave it.
fn register(endpoint: &Shared, mut flow: Flow, tx: &mpsc::Sender<Outgoing>) -> Flow {
    let id = endpoint.connections().add(Connection {
        transport: flow.transport,
        remote: flow.remote,
        local: flow.local,
        writer: Writer::Stream(tx.clone()),
    });
    flow.connection = Some(id);
    tracing::debug!(remote = %flow.remote, transport = %flow.transport, id, "connection opened");
    flow
}

async fn open<S>(
    stream: S,
    flow: Flow,
    endpoint: Shared,
    shutdown: Shutdown,
    idle: Option<Duration>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (tx, rx) = mpsc::channel(QUEUE);
    let flow = register(&endpoint, flow, &tx);
    let (reader, writer) = tokio::io::split(stream);
    let writer_task = tokio::spawn(write_loop(writer, rx));
    run(reader, writer_task, &flow, endpoint, shutdown, idle, tx).await;
}

/// Reads until the peer closes, the connection idles out (`idle`) or shutdown, then
/// forgets the connection and lets the writer drain.
async fn run<R>(
    reader: R,
    writer_task: tokio::task::JoinHandle<()>,
    flow: &Flow,
    endpoint: Shared,
    mut shutdown: Shutdown,
    idle: Option<Duration>,
    tx: mpsc::Sender<Outgoing>,
) where
    R: AsyncRead + Unpin,
{
    let keepalive = async {
        if idle.is_some() {
            return std::future::pending().await;
        }
        let mut tick = tokio::time::interval(KEEPALIVE);
        tick.tick().await;
        loop {
            tick.tick().await;
            if tx
                .send(Outgoing::Bytes(b"\r\n\r\n".to_vec()))
                .await
                .is_err()
            {
                return;
            }
        }
    };
    tokio::select! {
        () = read_loop(reader, flow, &endpoint, &tx, idle) => {}
        () = keepalive => {}
        () = shutdown.wait() => {}
    }
    let id = flow.connection.unwrap_or_default();
    endpoint.connections().remove(id);
    // The writer drains what is queued (e.g. a 413 before closing) and then ends, once the
    // last sender is gone.
    drop(tx);
    let _ = writer_task.await;
    tracing::debug!(remote = %flow.remote, transport = %flow.transport, id, "connection closed");
}

async fn read_loop<R>(
    mut reader: R,
    flow: &Flow,
    endpoint: &Shared,
    tx: &mpsc::Sender<Outgoing>,
    idle: Option<Duration>,
) where
    R: AsyncRead + Unpin,
{
    let mut framer = StreamFramer::new();
    // The bytes the framer holds, mirrored: when a message fails to frame or parse, the
    // error answer (400, 413, 505) needs its Via/From/To/Call-ID/CSeq, and the framer does
    // not hand failed bytes back.
    let mut mirror: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let read = reader.read(&mut buf);
        let read = match idle {
            Some(idle) => tokio::time::timeout(idle, read).await,
            None => Ok(read.await),
        };
        let n = match read {
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(n)) => n,
            Err(_) => {
                tracing::debug!(remote = %flow.remote, "idle connection closed");
                return;
            }
        };
        let chunk = buf.get(..n).unwrap_or(&[]);
        framer.push(chunk);
        mirror.extend_from_slice(chunk);
        loop {
            let before = framer.buffered();
            let Some(item) = framer.next() else { break };
            let consumed = before.saturating_sub(framer.buffered());
            match item {
                Ok(Framed::Message(message)) => {
                    mirror.drain(..consumed.min(mirror.len()));
                    endpoint.on_message(flow, message).await;
                }
                Ok(Framed::KeepAlivePing) => {
                    mirror.drain(..consumed.min(mirror.len()));
                    if tx.send(Outgoing::Bytes(b"\r\n".to_vec())).await.is_err() {
                        return;
                    }
                }
                Ok(Framed::KeepAlivePong) => {
                    mirror.drain(..consumed.min(mirror.len()));
                }
                Err(e) if framer.is_failed() => {
                    // Framing is lost: answer if we can, then close (RFC 3261 §18.3).
                    endpoint.on_unparsable(flow, &mirror, &e).await;
                    let _ = tx.send(Outgoing::Close).await;
                    return;
                }
                Err(e) => {
                    let failed: Vec<u8> = mirror.drain(..consumed.min(mirror.len())).collect();
                    endpoint.on_unparsable(flow, &failed, &e).await;
                }
            }
        }
    }
}

async fn write_loop<W>(mut writer: W, mut rx: mpsc::Receiver<Outgoing>)
where
    W: AsyncWrite + Unpin,
{
    while let Some(out) = rx.recv().await {
        match out {
            Outgoing::Bytes(bytes) => {
                if writer.write_all(&bytes).await.is_err() {
                    break;
                }
                if writer.flush().await.is_err() {
                    break;
                }
            }
            Outgoing::Close => break,
        }
    }
    let _ = writer.shutdown().await;
}
