//! SIP over a byte stream (TCP, TLS): framing by Content-Length (sip::StreamFramer), CRLF
//! keepalive answered with a CRLF pong (RFC 5626 §3.5.1), 64 KiB per message, and a writer
//! task fed through the connection registry so anyone can send over this connection.

use std::net::SocketAddr;

use pbx::{Flow, Transport};
use sip::framer::{Framed, StreamFramer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::connections::{Connection, Outgoing, Writer};
use super::shutdown::Shutdown;
use crate::endpoint::Shared;

/// Messages queued for one connection before senders are told it is not keeping up.
const QUEUE: usize = 256;

pub async fn serve<S>(
    stream: S,
    transport: Transport,
    remote: SocketAddr,
    local: SocketAddr,
    endpoint: Shared,
    mut shutdown: Shutdown,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (reader, writer) = tokio::io::split(stream);
    let (tx, rx) = mpsc::channel(QUEUE);
    let id = endpoint.connections().add(Connection {
        transport,
        remote,
        local,
        writer: Writer::Stream(tx.clone()),
    });
    tracing::debug!(%remote, %transport, id, "connection opened");
    let writer_task = tokio::spawn(write_loop(writer, rx));
    let flow = Flow {
        transport,
        remote,
        local,
        connection: Some(id),
    };
    tokio::select! {
        () = read_loop(reader, &flow, &endpoint, &tx) => {}
        () = shutdown.wait() => {}
    }
    endpoint.connections().remove(id);
    // The writer drains what is queued (e.g. a 413 before closing) and then ends, once the
    // last sender is gone.
    drop(tx);
    let _ = writer_task.await;
    tracing::debug!(%remote, %transport, id, "connection closed");
}

async fn read_loop<R>(mut reader: R, flow: &Flow, endpoint: &Shared, tx: &mpsc::Sender<Outgoing>)
where
    R: AsyncRead + Unpin,
{
    let mut framer = StreamFramer::new();
    // The bytes the framer holds, mirrored: when a message fails to frame or parse, the
    // error answer (400, 413, 505) needs its Via/From/To/Call-ID/CSeq, and the framer does
    // not hand failed bytes back.
    let mut mirror: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match tokio::time::timeout(endpoint.stream_idle(), reader.read(&mut buf)).await {
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
