//! The tokio driver of a call's media: the anchored RTP relay (`media::relay`) or the media
//! bridge (`media::bridge`: WebRTC, SRTP, transcoding), both sans-IO.
//!
//! A [`MediaEngine`] owns the RTP port pool (`[media] rtp_ports`). Each call opens a
//! [`CallMedia`]: four UDP sockets (side A RTP/RTCP, side B RTP/RTCP on consecutive ports;
//! a WebRTC leg multiplexes everything on its RTP socket) and one task that waits on all
//! four and the bridge's timer. Relayed, a datagram is checked by the `Relay` and sent out
//! of the other side's socket; bridged, the `Bridge` takes it and says what to send. Sends never wait: when a socket buffer is full
//! the packet is dropped (late audio is worse than lost audio) and counted as not sent.
//!
//! When the task ends its pairs are kept bound, emptied and rested for a second, for the next
//! calls to take (binding and closing four sockets costs as many system calls as all of a
//! call's signalling); beyond a reserve they are closed and their ports go back to the pool.
//! `CallMedia::close().await` returns once the task has ended; dropping a `CallMedia` ends
//! the task too, a moment later.

mod call;
mod engine;
mod socket;

pub use ::media::relay::{Side, Stats};
pub use call::{CallMedia, MediaEvents};
pub use engine::{MAX_IDLE_PAIRS, MediaEngine};

/// Why a call's media could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("no free RTP port pair in {first}-{last}")]
    NoPorts { first: u16, last: u16 },
    #[error("cannot bind RTP/RTCP ports {port}/{}: {source}", port + 1)]
    Bind { port: u16, source: std::io::Error },
    #[error("media needs a tokio runtime")]
    NoRuntime,
}

/// Locks a mutex, recovering from poisoning: the data (counters, a port pool) stays usable
/// after a panic elsewhere, and a media path must not cascade panics.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
