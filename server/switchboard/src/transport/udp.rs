//! SIP over UDP: one datagram, one message (RFC 3261 §18.1.1).
//!
//! The socket is read by a task on the runtime, and each datagram is handled right there:
//! parsing, the transaction layer and every answer that needs no storage are synchronous,
//! and responses go out with a non-blocking send. A message for a call wakes the call's task
//! on the same runtime thread, so it runs next without a thread switch. (The socket used to
//! be read by a thread of its own in blocking `recvfrom`: two system calls a message instead
//! of four, but every message for a call then woke the runtime through its eventfd and
//! switched threads. At 1000 calls/s on one core that was 4.3 context switches a call against
//! 0.7 now, and the call took about a fifth more CPU.) Only a request that waits for storage
//! (REGISTER) becomes a task of its own, and only when it really waits: it is polled once
//! here first.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};

use pbx::{Flow, Transport};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

use super::shutdown::Shutdown;
use crate::endpoint::{Deferred, Shared};

/// Bytes of datagrams the kernel may hold for the SIP socket while the runtime is busy
/// elsewhere (the kernel caps it at `net.core.rmem_max`). The default, 208 KiB, is about 90
/// messages: at 1000 calls/s, 8000 messages a second arrive, and a pause of a dozen
/// milliseconds (a table growing, a burst of call records) overflowed it; the dropped
/// responses came back as retransmissions half a second later, and some calls failed.
const RECEIVE_BUFFER: usize = 4 << 20;

/// Requests waiting for storage at once. Beyond it new ones are dropped: UDP senders
/// retransmit, and a flood must not turn into unbounded tasks.
const IN_FLIGHT: usize = 4096;

pub async fn run(socket: Arc<UdpSocket>, endpoint: Shared, mut shutdown: Shutdown) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    // The endpoint sends through this socket too, so its datagrams carry the mark as well.
    endpoint.mark_sip_socket(&*socket, "SIP UDP");
    widen_receive_buffer(&socket, local);
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
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
                // E.g. ICMP errors reported on the socket; nothing to do but go on.
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

/// Asks for `RECEIVE_BUFFER`; says so once when the kernel allows less.
fn widen_receive_buffer(socket: &UdpSocket, local: SocketAddr) {
    let sock = socket2::SockRef::from(socket);
    if let Err(e) = sock.set_recv_buffer_size(RECEIVE_BUFFER) {
        tracing::debug!("UDP {local}: cannot widen the receive buffer: {e}");
    }
    // Linux reports twice what it grants (the other half is its bookkeeping).
    match sock.recv_buffer_size() {
        Ok(n) if n / 2 < RECEIVE_BUFFER => tracing::info!(
            "UDP {local}: receive buffer {n} bytes; raise net.core.rmem_max to {RECEIVE_BUFFER} so bursts are not dropped"
        ),
        _ => {}
    }
}

/// Runs a request that may wait for storage: polled once here (an answer from memory
/// completes now), else spawned as a task, whose first poll registers its own waker.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the kernel allows an unprivileged socket at most, as getsockopt reports it.
    fn allowed() -> usize {
        let max: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        2 * max.min(RECEIVE_BUFFER)
    }

    #[tokio::test]
    async fn the_sip_socket_gets_the_largest_receive_buffer_the_kernel_allows()
    -> std::io::Result<()> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let local = socket.local_addr()?;
        let before = socket2::SockRef::from(&socket).recv_buffer_size()?;
        widen_receive_buffer(&socket, local);
        let after = socket2::SockRef::from(&socket).recv_buffer_size()?;
        assert_eq!(after, allowed().max(before), "before: {before}");
        Ok(())
    }
}
