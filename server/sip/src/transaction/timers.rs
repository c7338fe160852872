//! Timers as data. Every transaction owns a [`TimerTable`]: one optional deadline per RFC 3261
//! timer (plus RFC 6026's L and M). Nothing here sleeps: the layer reports the earliest
//! deadline through `poll_timeout()` and the driver calls `handle_timeout(now)` when it passes.

use std::time::{Duration, Instant};

/// The transaction timers of RFC 3261 §17 (Table 4) and RFC 6026 §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    /// INVITE client: request retransmission (unreliable transports only).
    A,
    /// INVITE client: transaction timeout while Calling.
    B,
    /// INVITE client: proxy timer for an unanswered proceeding INVITE (optional).
    C,
    /// INVITE client: wait in Completed for response retransmissions.
    D,
    /// Non-INVITE client: request retransmission (unreliable only).
    E,
    /// Non-INVITE client: transaction timeout.
    F,
    /// INVITE server: final response retransmission (unreliable only).
    G,
    /// INVITE server: wait for the ACK.
    H,
    /// INVITE server: wait in Confirmed for ACK retransmissions.
    I,
    /// Non-INVITE server: wait in Completed for request retransmissions.
    J,
    /// Non-INVITE client: wait in Completed for response retransmissions.
    K,
    /// INVITE server (RFC 6026): wait in Accepted for INVITE retransmissions.
    L,
    /// INVITE client (RFC 6026): wait in Accepted for 2xx retransmissions.
    M,
}

const KINDS: [TimerKind; 13] = [
    TimerKind::A,
    TimerKind::B,
    TimerKind::C,
    TimerKind::D,
    TimerKind::E,
    TimerKind::F,
    TimerKind::G,
    TimerKind::H,
    TimerKind::I,
    TimerKind::J,
    TimerKind::K,
    TimerKind::L,
    TimerKind::M,
];

/// T1/T2/T4 and the timers RFC 3261 leaves to configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate; retransmissions start here and timeouts are 64*T1. Default 500 ms.
    pub t1: Duration,
    /// Cap of the non-INVITE and response retransmission interval. Default 4 s.
    pub t2: Duration,
    /// Maximum time a message stays in the network. Default 5 s.
    pub t4: Duration,
    /// Timer D on unreliable transports (RFC: at least 32 s). Default 32 s.
    pub timer_d: Duration,
    /// Timer C for INVITE client transactions (a proxy's; RFC: more than 3 min). Default off.
    pub timer_c: Option<Duration>,
    /// INVITE server transactions answer 100 Trying as soon as they are created (RFC 3261
    /// §17.2.1 allows skipping it only when the TU answers within 200 ms). Default true.
    pub send_trying: bool,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            timer_c: None,
            send_trying: true,
        }
    }
}

impl TimerConfig {
    /// 64*T1: Timers B, F, H, L, M and J on unreliable transports.
    pub fn t1x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Doubles a retransmission interval, capped at T2 (Timers E and G).
    pub(crate) fn backoff_capped(&self, interval: Duration) -> Duration {
        interval.saturating_mul(2).min(self.t2)
    }
}

/// One optional deadline per timer kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimerTable {
    deadlines: [Option<Instant>; 13],
}

impl TimerTable {
    pub fn set(&mut self, kind: TimerKind, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(kind as usize) {
            *slot = Some(at);
        }
    }

    pub fn cancel(&mut self, kind: TimerKind) {
        if let Some(slot) = self.deadlines.get_mut(kind as usize) {
            *slot = None;
        }
    }

    pub fn cancel_all(&mut self) {
        self.deadlines = [None; 13];
    }

    pub fn deadline(&self, kind: TimerKind) -> Option<Instant> {
        self.deadlines.get(kind as usize).copied().flatten()
    }

    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Disarms and returns the earliest timer whose deadline is at or before `now`; ties go to
    /// the earlier letter (so a retransmission never follows its own timeout).
    pub fn take_expired(&mut self, now: Instant) -> Option<TimerKind> {
        let (kind, _) = KINDS
            .iter()
            .filter_map(|&k| self.deadline(k).map(|at| (k, at)))
            .filter(|&(_, at)| at <= now)
            .min_by_key(|&(k, at)| (at, std::cmp::Reverse(is_timeout(k)), k))?;
        self.cancel(kind);
        Some(kind)
    }
}

/// Timeouts win a tie with a retransmission due at the same instant: at 64*T1 Timer B fires
/// rather than a last, pointless retransmission.
fn is_timeout(kind: TimerKind) -> bool {
    !matches!(kind, TimerKind::A | TimerKind::E | TimerKind::G)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_expired_first_and_timeouts_win_ties() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        t.set(TimerKind::A, t0 + Duration::from_secs(32));
        t.set(TimerKind::B, t0 + Duration::from_secs(32));
        t.set(TimerKind::C, t0 + Duration::from_secs(40));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(32)));
        assert_eq!(t.take_expired(t0), None);
        let later = t0 + Duration::from_secs(33);
        assert_eq!(t.take_expired(later), Some(TimerKind::B));
        assert_eq!(t.take_expired(later), Some(TimerKind::A));
        assert_eq!(t.take_expired(later), None);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(40)));
    }

    #[test]
    fn backoff_caps_at_t2() {
        let c = TimerConfig::default();
        let mut i = c.t1;
        let mut seen = vec![];
        for _ in 0..6 {
            seen.push(i.as_millis());
            i = c.backoff_capped(i);
        }
        assert_eq!(seen, [500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(c.t1x64(), Duration::from_secs(32));
    }
}
