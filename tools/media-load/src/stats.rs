//! Per-direction frame accounting: when each source frame was sent, when (if ever) the
//! server's transcoded frame for it arrived at the far end: both the kernel's arrival stamp
//! (the time through the server) and when the generator read it (that plus the generator's
//! own scheduling, the figure earlier versions printed).
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
    /// Each source frame in order.
    sent: VecDeque<Sent>,
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

#[derive(Debug, Clone, Copy)]
struct Sent {
    /// Taken right before the datagram went to the kernel.
    at: Instant,
    /// Send to kernel arrival at the far end, µs (PENDING until it arrives).
    through: u32,
    /// Send to the generator reading it, µs.
    read: u32,
}

/// What one measurement window saw in one direction, over all calls.
#[derive(Debug, Default)]
pub struct Window {
    pub expected: u64,
    pub on_time: u64,
    pub arrived: u64,
    /// Send to kernel arrival of every frame sent in the window that arrived, µs.
    pub latencies: Vec<u32>,
    /// Send to the generator reading it, µs (the generator's scheduling included).
    pub read_latencies: Vec<u32>,
}

impl Window {
    pub fn merge(&mut self, other: Window) {
        self.expected += other.expected;
        self.on_time += other.on_time;
        self.arrived += other.arrived;
        self.latencies.extend(other.latencies);
        self.read_latencies.extend(other.read_latencies);
    }

    /// Both directions' windows as one.
    pub fn both(a: &Window, b: &Window) -> Window {
        let cat = |x: &[u32], y: &[u32]| [x, y].concat();
        Window {
            expected: a.expected + b.expected,
            on_time: a.on_time + b.on_time,
            arrived: a.arrived + b.arrived,
            latencies: cat(&a.latencies, &b.latencies),
            read_latencies: cat(&a.read_latencies, &b.read_latencies),
        }
    }

    pub fn miss_ratio(&self) -> f64 {
        if self.expected == 0 {
            return 0.0;
        }
        (self.expected - self.on_time.min(self.expected)) as f64 / self.expected as f64
    }

    /// The q-quantile (0..1) of the latencies through the server, µs; sorts in place.
    pub fn quantile(&mut self, q: f64) -> Option<u32> {
        quantile(&mut self.latencies, q)
    }

    /// The q-quantile of send-to-read latencies, µs.
    pub fn read_quantile(&mut self, q: f64) -> Option<u32> {
        quantile(&mut self.read_latencies, q)
    }
}

fn quantile(v: &mut [u32], q: f64) -> Option<u32> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len());
    v.get(i - 1).copied()
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

    /// A frame is about to be sent (`now` taken right before the system call).
    pub fn on_send(&mut self, now: Instant) {
        self.sent.push_back(Sent {
            at: now,
            through: PENDING,
            read: PENDING,
        });
        self.count += 1;
    }

    /// A frame with RTP timestamp `ts` arrived (kernel stamp) and was read.
    pub fn on_receive(&mut self, arrived: Instant, read: Instant, ts: u32) {
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
        let us = |t: Instant, at: Instant| {
            u32::try_from(t.saturating_duration_since(at).as_micros()).unwrap_or(PENDING - 1)
        };
        match slot {
            Some(s) if s.through == PENDING => {
                s.through = us(arrived, s.at);
                s.read = us(read, s.at);
            }
            _ => self.unmatched += 1,
        }
    }

    /// Frames sent in [from, to): how many, how many arrived within the deadline, latencies.
    pub fn window(&self, from: Instant, to: Instant) -> Window {
        let mut w = Window::default();
        let deadline = DEADLINE.as_micros() as u32;
        for s in &self.sent {
            if s.at < from || s.at >= to {
                continue;
            }
            w.expected += 1;
            if s.through != PENDING {
                w.arrived += 1;
                w.latencies.push(s.through);
                w.read_latencies.push(s.read);
                if s.through <= deadline {
                    w.on_time += 1;
                }
            }
        }
        w
    }

    /// Forgets frames sent before `before`.
    pub fn prune(&mut self, before: Instant) {
        while self.sent.front().is_some_and(|s| s.at < before) {
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
        s.on_receive(ms(1), ms(1), 1000);
        s.on_send(ms(20));
        s.on_send(ms(40));
        s.on_send(ms(60));
        s.on_receive(ms(61), ms(61), 1480);
        s.on_receive(ms(65), ms(65), 1320);
        s.on_send(ms(80));
        s.on_receive(ms(82), ms(82), 1640);
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
        s.on_receive(ms(21), ms(21), 0);
        // frame 1 arrives before frame 2 was sent: the anchor was one too high
        s.on_receive(ms(22), ms(22), 960);
        assert_eq!(s.realigned, 1);
        s.on_send(ms(40));
        s.on_receive(ms(41), ms(41), 1920);
        let mut w = s.window(ms(30), ms(50));
        assert_eq!((w.expected, w.on_time), (1, 1));
        assert_eq!(w.quantile(0.99), Some(1_000));
    }

    #[test]
    fn the_deadline_is_judged_on_kernel_arrival_not_on_reading() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut s = Stream::new(160);
        s.on_send(ms(0));
        // through the server in 1 ms, read by the busy generator 30 ms later
        s.on_receive(ms(1), ms(31), 0);
        let mut w = s.window(t0, ms(20));
        assert_eq!((w.expected, w.on_time), (1, 1));
        assert_eq!(w.quantile(0.5), Some(1_000));
        assert_eq!(w.read_quantile(0.5), Some(31_000));
    }
}
