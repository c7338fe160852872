//! One call's shared state (both directions' frame accounting) and the 20 ms pacing.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use tokio::time::{Interval, MissedTickBehavior, interval_at};

use crate::stats::Stream;

pub const FRAME: Duration = Duration::from_millis(20);

pub struct Call {
    pub id: usize,
    /// Browser -> phone: Opus frames sent by the caller, PCMU frames (8 kHz clock) received.
    pub up: RefCell<Stream>,
    /// Phone -> browser: PCMU frames sent by the phone, Opus frames (48 kHz clock) received.
    pub down: RefCell<Stream>,
    /// Where this call's frames fall within the 20 ms tick, so calls are spread over it.
    pub phase: Duration,
    /// The caller's leg failed or hung up after setup.
    pub ended: Cell<bool>,
    /// Phone -> browser packets the test peer decrypted (SRTP authenticated).
    pub decrypted: Cell<u64>,
    /// The phone's 100th frame, decoded, carried the caller's 1 kHz tone.
    pub heard_tone: Cell<Option<bool>>,
    pub error: RefCell<Option<String>>,
}

impl Call {
    pub fn new(id: usize) -> Call {
        // golden-ratio spacing: any number of calls spreads evenly over the tick
        let frac = (id as f64 * 0.618_033_988_75).fract();
        Call {
            id,
            up: RefCell::new(Stream::new(160)),
            down: RefCell::new(Stream::new(960)),
            phase: FRAME.mul_f64(frac),
            ended: Cell::new(false),
            decrypted: Cell::new(0),
            heard_tone: Cell::new(None),
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
/// A late tick is sent late and the next ones keep 20 ms from it (no bursts).
pub fn ticker(epoch: Instant, phase: Duration, now: Instant) -> Interval {
    let since = now.saturating_duration_since(epoch + phase);
    let periods = since.as_nanos() / FRAME.as_nanos() + 1;
    let start = epoch + phase + FRAME * u32::try_from(periods).unwrap_or(u32::MAX);
    let mut t = interval_at(start.into(), FRAME);
    t.set_missed_tick_behavior(MissedTickBehavior::Delay);
    t
}

/// Waits for the next tick, or forever when there is no ticker yet.
pub async fn next_tick(t: &mut Option<Interval>) -> Instant {
    match t {
        Some(t) => t.tick().await.into_std(),
        None => std::future::pending().await,
    }
}
