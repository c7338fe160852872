//! One call's shared state (both directions' frame accounting) and the 20 ms pacing.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use tokio::time::{Interval, MissedTickBehavior, interval_at};

use crate::scenario::Scenario;
use crate::stats::Stream;

pub const FRAME: Duration = Duration::from_millis(20);

pub struct Call {
    pub id: usize,
    /// Caller -> callee: frames sent by the caller, received in the callee's codec.
    pub up: RefCell<Stream>,
    /// Callee -> caller: frames sent by the callee, received in the caller's codec.
    pub down: RefCell<Stream>,
    /// Where this call's frames fall within the 20 ms tick, so calls are spread over it.
    pub phase: Duration,
    /// The caller's leg failed or hung up after setup.
    pub ended: Cell<bool>,
    /// Callee -> caller packets the caller decrypted (SRTP authenticated).
    pub decrypted: Cell<u64>,
    /// The callee's 100th frame, decoded, carried the caller's tone.
    pub callee_heard: Cell<Option<bool>>,
    /// The caller's 100th frame, decoded, carried the callee's tone (phone callers only).
    pub caller_heard: Cell<Option<bool>>,
    pub error: RefCell<Option<String>>,
}

impl Call {
    pub fn new(id: usize, scenario: Scenario) -> Call {
        // golden-ratio spacing: any number of calls spreads evenly over the tick
        let frac = (id as f64 * 0.618_033_988_75).fract();
        Call {
            id,
            up: RefCell::new(Stream::new(scenario.callee().codec.rtp_ticks_per_frame())),
            down: RefCell::new(Stream::new(scenario.caller_codec().rtp_ticks_per_frame())),
            phase: FRAME.mul_f64(frac),
            ended: Cell::new(false),
            decrypted: Cell::new(0),
            callee_heard: Cell::new(None),
            caller_heard: Cell::new(None),
            error: RefCell::new(None),
        }
    }

    pub fn media_both_ways(&self) -> bool {
        self.up.borrow().received > 0 && self.down.borrow().received > 0
    }

    pub fn fail(&self, why: String) {
        self.ended.set(true);
        self.error.borrow_mut().get_or_insert(why);
    }
}

/// A 20 ms ticker whose ticks fall at `epoch + phase + k * 20 ms`, starting after `now`.
/// A late tick is sent late and the next one comes on schedule; a tick missed altogether is
/// skipped (no bursts). The schedule does not drift with the generator's own delays, so
/// frames sent short of those due mean a generator that could not keep up.
pub fn ticker(epoch: Instant, phase: Duration, now: Instant) -> Interval {
    let since = now.saturating_duration_since(epoch + phase);
    let periods = since.as_nanos() / FRAME.as_nanos() + 1;
    let start = epoch + phase + FRAME * u32::try_from(periods).unwrap_or(u32::MAX);
    let mut t = interval_at(start.into(), FRAME);
    t.set_missed_tick_behavior(MissedTickBehavior::Skip);
    t
}

/// Waits for the next tick, or forever when there is no ticker yet.
pub async fn next_tick(t: &mut Option<Interval>) -> Instant {
    match t {
        Some(t) => t.tick().await.into_std(),
        None => std::future::pending().await,
    }
}
