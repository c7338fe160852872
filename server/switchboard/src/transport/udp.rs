//! SIP over UDP: one datagram, one message (RFC 3261 §18.1.1).
//!
//! The socket is read by a thread of its own in blocking `recvfrom` calls, and each
//! datagram is handled right there: parsing, the transaction layer and every answer that
//! needs no storage are synchronous, and responses go out with a non-blocking send. That is
//! two system calls a message (receive, send), where a tokio task costs four (receive,
//! a receive that finds nothing, epoll_wait, send) plus the scheduler's bookkeeping. Only a
//! request that waits for storage (REGISTER) reaches the runtime, and only when it really
//! waits: it is polled once on the thread first and becomes a tokio task if still pending.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Waker};
use std::time::Duration;

use pbx::{Flow, Transport};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

use super::shutdown::Shutdown;
use crate::endpoint::{Deferred, Shared};

/// Requests waiting for storage at once. Beyond it new ones are dropped: UDP senders
/// retransmit, and a flood must not turn into unbounded tasks.
const IN_FLIGHT: usize = 4096;

/// How often the receive thread looks up from `recvfrom` to see whether to stop.
const STOP_CHECK: Duration = Duration::from_millis(200);

pub async fn run(socket: Arc<UdpSocket>, endpoint: Shared, mut shutdown: Shutdown) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    // The endpoint's send handle shares this socket, so its datagrams carry the mark too.
    endpoint.mark_sip_socket(&*socket, "SIP UDP");
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    // The endpoint sends through its own handle (see `endpoint::UdpOut`), so this is
    // normally the last reference and the socket can leave the reactor: left registered,
    // every datagram would also wake a runtime thread for nothing.
    let socket = match Arc::try_unwrap(socket) {
        Ok(socket) => socket,
        Err(shared) => {
            tracing::debug!("UDP {local}: socket shared; receiving in a task");
            return run_async(shared, endpoint, shutdown, permits).await;
        }
    };
    let blocking = match into_blocking(socket) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("UDP {local}: cannot receive: {e}");
            return;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Handle::current();
    let thread = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("sip-udp".to_owned())
            .spawn(move || {
                let _runtime = runtime.enter();
                receive_loop(&blocking, local, &endpoint, &permits, &stop);
            })
    };
    let thread = match thread {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("UDP {local}: cannot start the receive thread: {e}");
            return;
        }
    };
    shutdown.wait().await;
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
}

/// The socket out of the reactor, in blocking mode with a read timeout (to notice stop).
/// Blocking mode belongs to the file description the endpoint's send handle shares; a
/// blocking UDP send completes at once unless the send buffer is full.
fn into_blocking(socket: UdpSocket) -> std::io::Result<std::net::UdpSocket> {
    let socket = socket.into_std()?;
    socket.set_nonblocking(false)?;
    socket.set_read_timeout(Some(STOP_CHECK))?;
    Ok(socket)
}

fn receive_loop(
    socket: &std::net::UdpSocket,
    local: SocketAddr,
    endpoint: &Shared,
    permits: &Arc<Semaphore>,
    stop: &AtomicBool,
) {
    let mut buf = vec![0u8; 65_535];
    let mut flow = Flow {
        transport: Transport::Udp,
        remote: local,
        local,
        connection: None,
    };
    while !stop.load(Ordering::Relaxed) {
        let (n, remote) = match socket.recv_from(&mut buf) {
            Ok(r) => r,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => {
                // E.g. ICMP errors reported on the socket; nothing to do but go on.
                tracing::debug!("UDP receive error on {local}: {e}");
                continue;
            }
        };
        flow.remote = remote;
        for work in endpoint.receive(&flow, buf.get(..n).unwrap_or(&[])) {
            start_deferred(endpoint, permits, work, remote);
        }
    }
}

/// Runs a request that may wait for storage: polled once here (an answer from memory
/// completes now), else handed to the runtime as a task, whose first poll registers its
/// own waker.
fn start_deferred(endpoint: &Shared, permits: &Arc<Semaphore>, work: Deferred, remote: SocketAddr) {
    let Ok(permit) = permits.clone().try_acquire_owned() else {
        tracing::warn!("UDP overload: request from {remote} dropped");
        return;
    };
    let endpoint = endpoint.clone();
    let mut task: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
        endpoint.complete(work).await;
        drop(permit);
    });
    let mut cx = Context::from_waker(Waker::noop());
    if task.as_mut().poll(&mut cx).is_pending() {
        tokio::spawn(task);
    }
}

/// The receive loop as a tokio task, for a socket the thread cannot take.
async fn run_async(
    socket: Arc<UdpSocket>,
    endpoint: Shared,
    mut shutdown: Shutdown,
    permits: Arc<Semaphore>,
) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let mut buf = vec![0u8; 65_535];
    let mut flow = Flow {
        transport: Transport::Udp,
        remote: local,
        local,
        connection: None,
    };
    loop {
        let received = tokio::select! {
            biased;
            r = socket.recv_from(&mut buf) => r,
            () = shutdown.wait() => return,
        };
        let (n, remote) = match received {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!("UDP receive error on {local}: {e}");
                continue;
            }
        };
        flow.remote = remote;
        for work in endpoint.receive(&flow, buf.get(..n).unwrap_or(&[])) {
            start_deferred(&endpoint, &permits, work, remote);
        }
    }
}
