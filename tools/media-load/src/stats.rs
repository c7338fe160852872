//! Per-direction frame accounting: when each source frame was sent, when (if ever) the
//! server's transcoded frame for it arrived at the far end.
//!
//! A received frame is matched to a source frame by order: its RTP timestamp (at the
//! receiving side's clock) gives its index since the first frame received, and an anchor
//! maps that index to the sender's frame count. The anchor starts as "the newest frame sent
//! when the first one arrived" and only moves down, when a frame would otherwise have
//! arrived before it was sent. A frame that never arrives counts as a miss.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Latency not (yet) known: the frame has not arrived.
const PENDING: u32 = u32::MAX;

pub const DEADLINE: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub struct Stream {
    /// Ticks of the receiving side's RTP clock per 20 ms frame.
    ticks: u32,
    /// Frame index of `sent.front()`.
    base: u64,
    /// Send time and latency (µs, PENDING until it arrives) of each source frame.
    sent: VecDeque<(Instant, u32)>,
    /// Frames sent so far.
    count: u64,
    first_ts: Option<u32>,
    /// Unwrapped offset of the newest timestamp seen from `first_ts` (to survive wrap).
    last_rel: i64,
    anchor: Option<i64>,
    pub received: u64,
    pub realigned: u64,
    /// Arrivals that matched no frame we still know of (pruned, duplicate, stray).
    pub unmatched: u64,
}

/// What one measurement window saw in one direction, over all calls.
#[derive(Debug, Default)]
pub struct Window {
    pub expected: u64,
    pub on_time: u64,
    pub arrived: u64,
    /// Latency of every frame sent in the window that arrived, µs.
    pub latencies: Vec<u32>,
}

impl Window {
    pub fn merge(&mut self, other: Window) {
        self.expected += other.expected;
        self.on_time += other.on_time;
        self.arrived += other.arrived;
        self.latencies.extend(other.latencies);
    }

    pub fn miss_ratio(&self) -> f64 {
        if self.expected == 0 {
            return 0.0;
        }
        (self.expected - self.on_time.min(self.expected)) as f64 / self.expected as f64
    }

    /// The q-quantile (0..1) of the latencies, µs; sorts in place.
    pub fn quantile(&mut self, q: f64) -> Option<u32> {
        if self.latencies.is_empty() {
            return None;
        }
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() as f64 * q).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies.get(i - 1).copied()
    }
}

impl Stream {
    pub fn new(ticks: u32) -> Stream {
        Stream {
            ticks,
            base: 0,
            sent: VecDeque::new(),
            count: 0,
            first_ts: None,
            last_rel: 0,
            anchor: None,
            received: 0,
            realigned: 0,
            unmatched: 0,
        }
    }

    pub fn on_send(&mut self, now: Instant) {
        self.sent.push_back((now, PENDING));
        self.count += 1;
    }

    /// A frame with RTP timestamp `ts` arrived at `now`.
    pub fn on_receive(&mut self, now: Instant, ts: u32) {
        self.received += 1;
        let Some(newest) = self.count.checked_sub(1) else {
            self.unmatched += 1;
            return;
        };
        let first = *self.first_ts.get_or_insert(ts);
        // Unwrap the 32-bit timestamp around the last one seen.
        let delta = ts.wrapping_sub(first) as i64;
        let mut rel = delta;
        let last = self.last_rel;
        while rel - last > i64::from(u32::MAX / 2) {
            rel -= 1 << 32;
        }
        while last - rel > i64::from(u32::MAX / 2) {
            rel += 1 << 32;
        }
        self.last_rel = self.last_rel.max(rel);
        let j = rel.div_euclid(i64::from(self.ticks.max(1)));
        let newest = newest as i64;
        match self.anchor {
            None => self.anchor = Some(newest - j),
            Some(a) if j + a > newest => {
                self.anchor = Some(newest - j);
                self.realigned += 1;
            }
            Some(_) => {}
        }
        let k = j + self.anchor.unwrap_or(0);
        let slot = u64::try_from(k)
            .ok()
            .and_then(|k| k.checked_sub(self.base))
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.sent.get_mut(i));
        match slot {
            Some((sent_at, latency)) if *latency == PENDING => {
                let us = now.saturating_duration_since(*sent_at).as_micros();
                *latency = u32::try_from(us).unwrap_or(PENDING - 1);
            }
            _ => self.unmatched += 1,
        }
    }

    /// Frames sent in [from, to): how many, how many arrived within the deadline, latencies.
    pub fn window(&self, from: Instant, to: Instant) -> Window {
        let mut w = Window::default();
        let deadline = DEADLINE.as_micros() as u32;
        for &(at, latency) in &self.sent {
            if at < from || at >= to {
                continue;
            }
            w.expected += 1;
            if latency != PENDING {
                w.arrived += 1;
                w.latencies.push(latency);
                if latency <= deadline {
                    w.on_time += 1;
                }
            }
        }
        w
    }

    /// Forgets frames sent before `before`.
    pub fn prune(&mut self, before: Instant) {
        while self.sent.front().is_some_and(|(at, _)| *at < before) {
            self.sent.pop_front();
            self.base += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_order_and_counts_lost_frames() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut s = Stream::new(160);
        // in time order: frame 0 takes 1 ms, frame 1 is lost, frame 2 takes 25 ms (and comes
        // after frame 3, which takes 1 ms), frame 4 takes 2 ms
        s.on_send(ms(0));
        s.on_receive(ms(1), 1000);
        s.on_send(ms(20));
        s.on_send(ms(40));
        s.on_send(ms(60));
        s.on_receive(ms(61), 1480);
        s.on_receive(ms(65), 1320);
        s.on_send(ms(80));
        s.on_receive(ms(82), 1640);
        let mut w = s.window(t0, ms(100));
        assert_eq!((w.expected, w.arrived, w.on_time), (5, 4, 3));
        assert_eq!(w.quantile(1.0), Some(25_000));
        assert!((w.miss_ratio() - 0.4).abs() < 1e-9);
        assert_eq!(s.realigned, 0);
    }

    #[test]
    fn realigns_when_the_first_frame_was_matched_too_late() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut s = Stream::new(960);
        s.on_send(ms(0));
        s.on_send(ms(20));
        // frame 0 arrives 21 ms after it was sent: matched to frame 1 at first
        s.on_receive(ms(21), 0);
        // frame 1 arrives before frame 2 was sent: the anchor was one too high
        s.on_receive(ms(22), 960);
        assert_eq!(s.realigned, 1);
        s.on_send(ms(40));
        s.on_receive(ms(41), 1920);
        let mut w = s.window(ms(30), ms(50));
        assert_eq!((w.expected, w.on_time), (1, 1));
        assert_eq!(w.quantile(0.99), Some(1_000));
    }
}
