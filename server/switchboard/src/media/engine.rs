//! The engine: port pool, socket binding, call accounting.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::media::ports::PortPool;
use tokio::sync::{Notify, mpsc, oneshot};

use super::call::{Plane, TaskSide};
use super::socket::{Pair, bind_pair};
use super::{CallMedia, MediaError, lock};

/// The media side of the server. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct MediaEngine {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    bind_ip: IpAddr,
    range: (u16, u16),
    /// DSCP of RTP/RTCP packets (`[media] dscp`, default 46 = EF).
    dscp: AtomicU8,
    pub(super) pool: Mutex<PortPool>,
    active: AtomicUsize,
    /// Pairs whose call ended, still bound, oldest first: the next calls take them instead
    /// of binding new sockets. Opening and closing four sockets (with their reactor
    /// registrations) is about twenty system calls a call, as many as all its signalling.
    idle: Mutex<VecDeque<(Pair, Instant)>>,
    /// Pairs kept in `idle` at most.
    idle_cap: AtomicUsize,
}

/// A pair is reused only after resting this long, so that a hung-up phone's last packets
/// have stopped before another call's peer is latched on that port.
const QUARANTINE: Duration = Duration::from_secs(1);
/// Pairs kept bound for reuse at most (two file descriptors each). Every call returns two
/// pairs, and a pair rests `QUARANTINE` before it is taken again, so the pool must hold two
/// seconds' worth of calls to serve them all: 4096 pairs cover 2000 calls/s. With 1024, at
/// 1000 calls/s half the pairs were closed and bound again, 39 system calls a call where 23
/// do.
pub const MAX_IDLE_PAIRS: usize = 4096;

impl Shared {
    pub(super) fn range(&self) -> (u16, u16) {
        self.range
    }

    pub(super) fn bind_ip(&self) -> IpAddr {
        self.bind_ip
    }

    pub(super) fn dscp(&self) -> u8 {
        self.dscp.load(Ordering::Relaxed)
    }

    /// A pair that has rested long enough, emptied of anything that arrived meanwhile; with
    /// `any`, the oldest whatever its rest (when no new pair can be bound).
    pub(super) fn take_idle(&self, now: Instant, any: bool) -> Option<Pair> {
        let mut idle = lock(&self.idle);
        let rested = idle
            .front()
            .is_some_and(|(_, since)| any || now.saturating_duration_since(*since) >= QUARANTINE);
        let (pair, _) = if rested {
            idle.pop_front()?
        } else {
            return None;
        };
        drop(idle);
        pair.drain();
        Some(pair)
    }

    /// Keeps an ended call's pair for reuse (or closes it when enough are kept).
    pub(super) fn recycle(&self, pair: Pair, now: Instant) {
        let mut idle = lock(&self.idle);
        if idle.len() < self.idle_cap.load(Ordering::Relaxed) {
            idle.push_back((pair, now));
        }
    }

    fn idle_pairs(&self) -> usize {
        lock(&self.idle).len()
    }
}

/// Held by a call's task: the call counts as active until the task has ended.
pub(super) struct ActiveCall(Arc<Shared>);

impl Drop for ActiveCall {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

impl MediaEngine {
    /// Relays on `bind_ip` with RTP ports from `ports.0..=ports.1` (even RTP, RTCP = RTP + 1).
    pub fn new(bind_ip: IpAddr, ports: (u16, u16)) -> MediaEngine {
        MediaEngine {
            shared: Arc::new(Shared {
                bind_ip,
                range: ports,
                pool: Mutex::new(PortPool::new(ports.0, ports.1)),
                active: AtomicUsize::new(0),
                idle: Mutex::new(VecDeque::new()),
                idle_cap: AtomicUsize::new(MAX_IDLE_PAIRS),
                dscp: AtomicU8::new(46),
            }),
        }
    }

    /// Sets the DSCP marked on the RTP/RTCP sockets bound from now on (`[media] dscp`).
    pub fn with_dscp(self, dscp: u8) -> MediaEngine {
        self.shared.dscp.store(dscp, Ordering::Relaxed);
        self
    }

    /// Keeps at most `pairs` ended calls' pairs bound for reuse (default `MAX_IDLE_PAIRS`): the
    /// server lowers it when the process may open few files.
    pub fn with_idle_cap(self, pairs: usize) -> MediaEngine {
        self.shared.idle_cap.store(pairs, Ordering::Relaxed);
        self
    }

    pub fn bind_ip(&self) -> IpAddr {
        self.shared.bind_ip
    }

    /// Binds a port pair for each side and starts the call's relay task. Must be called
    /// inside a tokio runtime.
    pub fn open_call(&self) -> Result<CallMedia, MediaError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MediaError::NoRuntime)?;
        let a = bind_pair(&self.shared)?;
        // On error `a` is dropped here: its sockets close, its ports go back.
        let b = bind_pair(&self.shared)?;
        let ports = [a.port(), b.port()];
        let plane = Arc::new(Mutex::new(Plane::new()));
        let wake = Arc::new(Notify::new());
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        self.shared.active.fetch_add(1, Ordering::Relaxed);
        let active = ActiveCall(self.shared.clone());
        let task_side = TaskSide {
            plane: plane.clone(),
            wake: wake.clone(),
            events: events_tx,
        };
        let task = runtime.spawn(run(task_side, a, b, stop_rx, active));
        Ok(CallMedia::new(ports, plane, wake, events_rx, stop_tx, task))
    }

    /// Calls whose relay task is running.
    pub fn active_calls(&self) -> usize {
        self.shared.active.load(Ordering::Relaxed)
    }

    /// UDP ports held by calls (RTP and RTCP: four per call); pairs kept for reuse are not
    /// counted.
    pub fn ports_in_use(&self) -> usize {
        2 * lock(&self.shared.pool)
            .in_use()
            .saturating_sub(self.shared.idle_pairs())
    }
}

/// The media task of one call. Its locals drop in reverse order on exit: the sockets close
/// before the port leases release, so a released port can be bound again at once.
async fn run(shared: TaskSide, a: Pair, b: Pair, stop: oneshot::Receiver<()>, active: ActiveCall) {
    super::call::media_loop(&shared, &a, &b, stop).await;
    let now = Instant::now();
    active.0.recycle(a, now);
    active.0.recycle(b, now);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rtp_sockets_carry_the_media_dscp() -> Result<(), Box<dyn std::error::Error>> {
        let engine = MediaEngine::new(IpAddr::from([127, 0, 0, 1]), (48620, 48627));
        let pair = bind_pair(&engine.shared)?;
        assert_eq!(
            crate::transport::dscp::current(&pair.rtp)?,
            46 << 2,
            "EF by default"
        );
        assert_eq!(crate::transport::dscp::current(&pair.rtcp)?, 46 << 2);
        let engine = engine.with_dscp(34);
        let pair = bind_pair(&engine.shared)?;
        assert_eq!(
            crate::transport::dscp::current(&pair.rtp)?,
            34 << 2,
            "configured"
        );
        Ok(())
    }
}
