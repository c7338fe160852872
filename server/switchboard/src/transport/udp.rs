//! SIP over UDP: one datagram, one message (RFC 3261 §18.1.1).
//!
//! The socket is read by a task on the runtime, and each datagram is handled right there:
//! parsing, the transaction layer and every answer that needs no storage are synchronous,
//! and responses go out with a non-blocking send. A message for a call wakes the call's task
//! on the same runtime thread, so it runs next without a thread switch. (The socket used to
//! be read by a thread of its own in blocking `recvfrom`: two system calls a message instead
//! of four, but every message for a call then woke the runtime through its eventfd and
//! switched threads. At 1000 calls/s on one core that was 4.2 context switches a call against
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

/// Requests waiting for storage at once. Beyond it new ones are dropped: UDP senders
/// retransmit, and a flood must not turn into unbounded tasks.
const IN_FLIGHT: usize = 4096;

pub async fn run(socket: Arc<UdpSocket>, endpoint: Shared, mut shutdown: Shutdown) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    // The endpoint sends through this socket too, so its datagrams carry the mark as well.
    endpoint.mark_sip_socket(&*socket, "SIP UDP");
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
