//! SIP over TCP: accept loop; each connection runs in `stream::serve`.

use pbx::Transport;
use tokio::net::TcpListener;

use super::shutdown::Shutdown;
use crate::endpoint::Shared;

pub async fn run(listener: TcpListener, endpoint: Shared, mut shutdown: Shutdown) {
    let Ok(local) = listener.local_addr() else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = shutdown.wait() => return,
        };
        match accepted {
            Ok((stream, remote)) => {
                let _ = stream.set_nodelay(true);
                endpoint.mark_sip_socket(&stream, "SIP TCP");
                // The address this connection really arrived at (the listener may be 0.0.0.0).
                let local = stream.local_addr().unwrap_or(local);
                tokio::spawn(super::stream::serve(
                    stream,
                    Transport::Tcp,
                    remote,
                    local,
                    endpoint.clone(),
                    shutdown.clone(),
                ));
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!("TCP accept on {local} failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}
