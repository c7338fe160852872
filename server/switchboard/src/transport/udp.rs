//! SIP over UDP: one datagram, one message (RFC 3261 §18.1.1).

use std::sync::Arc;

use pbx::{Flow, Transport};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

use super::shutdown::Shutdown;
use crate::endpoint::Shared;

/// Datagrams handled at once. Beyond it new ones are dropped: UDP senders retransmit, and a
/// flood must not turn into unbounded tasks.
const IN_FLIGHT: usize = 4096;

pub async fn run(socket: Arc<UdpSocket>, endpoint: Shared, mut shutdown: Shutdown) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut buf = vec![0u8; 65_535];
    loop {
        let received = tokio::select! {
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
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!("UDP overload: datagram from {remote} dropped");
            continue;
        };
        let bytes = buf.get(..n).unwrap_or(&[]).to_vec();
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            let flow = Flow {
                transport: Transport::Udp,
                remote,
                local,
                connection: None,
            };
            endpoint.on_datagram(&flow, &bytes).await;
            drop(permit);
        });
    }
}
