//! A low-delay jitter buffer for one RTP stream of a transcoded call.
//!
//! It adds no delay to packets that arrive in order: they come out on the next `pop`. Only a
//! gap makes it wait, and for at most `max_wait` after the first packet behind the gap
//! arrived; then the missing packet is reported lost, with the packet after it when that one
//! is here, so an Opus decoder can rebuild the lost frame from its in-band FEC.
//!
//! Sequence numbers are compared modulo 2^16 (wrap-around), as RFC 3550 appendix A.1 does: a
//! jump beyond the buffer's capacity is taken as a restarted sender and resynchronises
//! instead of reporting thousands of losses.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Packets this far behind the next expected one are late or duplicates; further back, a
/// restarted sender (confirmed by its next packet, as in RFC 3550 A.1).
const MAX_MISORDER: i32 = 100;

/// What the decoder gets next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    Frame {
        seq: u16,
        timestamp: u32,
        payload: Vec<u8>,
    },
    /// `seq` never came. `next` is the payload of `seq + 1` when it is already here (the
    /// packet whose Opus FEC carries `seq`); in a gap of several packets only the last
    /// missing one has it.
    Lost { seq: u16, next: Option<Vec<u8>> },
}

/// Counters of what the buffer dropped or reported, for call statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets that arrived after their slot was played or reported lost.
    pub late: u64,
    pub duplicates: u64,
    /// Packets reported as `Playout::Lost`.
    pub lost: u64,
    /// Sender restarts (large jumps) and overflows that reset the buffer.
    pub resyncs: u64,
}

#[derive(Debug, Clone)]
struct Slot {
    timestamp: u32,
    payload: Vec<u8>,
    arrived: Instant,
}

#[derive(Debug, Clone)]
pub struct JitterBuffer {
    max_wait: Duration,
    capacity: usize,
    /// The sequence number of `slots[0]`; `None` before the first packet.
    next: Option<u16>,
    /// `slots[i]` holds `next + i`, if it arrived.
    slots: VecDeque<Option<Slot>>,
    /// A packet far behind `next`: the start of a restarted stream if its successor follows.
    candidate: Option<(u16, u32, Vec<u8>, Instant)>,
    /// Whether anything came out since the (re)start; until then `next` may still move back.
    started: bool,
    stats: JitterStats,
}

impl JitterBuffer {
    /// `max_wait`: how long a gap may hold back the packets behind it (20–40 ms for a call).
    /// `capacity`: packets held at most; a packet further ahead than that resynchronises.
    pub fn new(max_wait: Duration, capacity: usize) -> JitterBuffer {
        JitterBuffer {
            max_wait,
            capacity: capacity.clamp(1, 1024),
            next: None,
            slots: VecDeque::new(),
            candidate: None,
            started: false,
            stats: JitterStats::default(),
        }
    }

    pub fn push(&mut self, now: Instant, seq: u16, timestamp: u32, payload: &[u8]) {
        let Some(next) = self.next else {
            self.restart(seq);
            self.store(0, timestamp, payload, now);
            return;
        };
        let d = i32::from(seq.wrapping_sub(next) as i16);
        if d < 0 {
            let earlier = d.unsigned_abs() as usize;
            if !self.started
                && earlier <= MAX_MISORDER as usize
                && self.slots.len() + earlier <= self.capacity
            {
                // Nothing played yet: an earlier packet that arrived second still fits.
                for _ in 0..earlier {
                    self.slots.push_front(None);
                }
                self.next = Some(seq);
                self.store(0, timestamp, payload, now);
            } else if d >= -MAX_MISORDER {
                self.stats.late += 1;
            } else {
                self.maybe_restart(now, seq, timestamp, payload);
            }
            return;
        }
        self.candidate = None;
        if d as usize >= self.capacity {
            self.overflow(seq);
        }
        let d = usize::from(seq.wrapping_sub(self.next.unwrap_or(seq)));
        self.store(d, timestamp, payload, now);
    }

    pub fn pop(&mut self, now: Instant) -> Option<Playout> {
        let next = self.next?;
        match self.slots.front() {
            None => None,
            Some(Some(_)) => {
                let slot = self.slots.pop_front().flatten()?;
                self.next = Some(next.wrapping_add(1));
                self.started = true;
                Some(Playout::Frame {
                    seq: next,
                    timestamp: slot.timestamp,
                    payload: slot.payload,
                })
            }
            Some(None) => {
                if now < self.gap_deadline()? {
                    return None;
                }
                self.slots.pop_front();
                self.next = Some(next.wrapping_add(1));
                self.started = true;
                self.stats.lost += 1;
                let after = self
                    .slots
                    .front()
                    .and_then(|s| s.as_ref())
                    .map(|s| s.payload.clone());
                Some(Playout::Lost {
                    seq: next,
                    next: after,
                })
            }
        }
    }

    /// When `pop` has something: the past (now) when the next packet is here, the end of the
    /// wait when a gap holds packets back, `None` when the buffer is empty.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.slots.front()? {
            Some(slot) => Some(slot.arrived),
            None => self.gap_deadline(),
        }
    }

    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Packets held (not counting holes).
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// A gap at the front ends `max_wait` after the first packet behind it arrived.
    fn gap_deadline(&self) -> Option<Instant> {
        let first = self.slots.iter().flatten().map(|s| s.arrived).min()?;
        Some(first + self.max_wait)
    }

    fn store(&mut self, d: usize, timestamp: u32, payload: &[u8], now: Instant) {
        if self.slots.len() <= d {
            self.slots.resize(d + 1, None);
        }
        let Some(slot) = self.slots.get_mut(d) else {
            return;
        };
        if slot.is_some() {
            self.stats.duplicates += 1;
            return;
        }
        *slot = Some(Slot {
            timestamp,
            payload: payload.to_vec(),
            arrived: now,
        });
    }

    /// `seq` lies beyond the capacity: drop the oldest packets until it fits, and when none
    /// of the held ones survive (a jump, not a burst), restart at `seq` without losses.
    fn overflow(&mut self, seq: u16) {
        let Some(mut next) = self.next else { return };
        self.stats.resyncs += 1;
        let keep_from = seq.wrapping_sub(self.capacity as u16 - 1);
        let drop = usize::from(keep_from.wrapping_sub(next)).min(self.slots.len());
        self.slots.drain(..drop);
        next = next.wrapping_add(drop as u16);
        // Resume at the oldest survivor; holes in front of it are not worth reporting.
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            next = next.wrapping_add(1);
        }
        if self.slots.is_empty() {
            self.restart(seq);
        } else {
            self.next = Some(next);
        }
    }

    fn restart(&mut self, seq: u16) {
        self.next = Some(seq);
        self.slots.clear();
        self.candidate = None;
        self.started = false;
    }

    /// A packet far behind: remembered, and taken as a new stream if its successor follows.
    fn maybe_restart(&mut self, now: Instant, seq: u16, timestamp: u32, payload: &[u8]) {
        match self.candidate.take() {
            Some((cseq, cts, cpayload, cat)) if cseq.wrapping_add(1) == seq => {
                self.stats.resyncs += 1;
                self.restart(cseq);
                self.store(0, cts, &cpayload, cat);
                self.store(1, timestamp, payload, now);
            }
            _ => {
                self.stats.late += 1;
                self.candidate = Some((seq, timestamp, payload.to_vec(), now));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_millis(30);

    #[derive(Clone, Copy)]
    enum Step {
        /// At `ms`, packet `seq` arrives (payload = seq bytes, timestamp = seq * 160).
        Push(u64, u16),
        /// At `ms`, pop until `None`; expect these, written `F7` (frame 7), `L7` (lost 7),
        /// `L7+8` (lost 7, next payload is packet 8's).
        Pop(u64, &'static [&'static str]),
    }
    use Step::{Pop, Push};

    fn show(p: &Playout) -> String {
        match p {
            Playout::Frame {
                seq,
                timestamp,
                payload,
            } => {
                assert_eq!(*timestamp, u32::from(*seq).wrapping_mul(160));
                assert_eq!(payload, &seq.to_be_bytes());
                format!("F{seq}")
            }
            Playout::Lost { seq, next: None } => format!("L{seq}"),
            Playout::Lost { seq, next: Some(p) } => {
                let n = u16::from_be_bytes([p[0], p[1]]);
                format!("L{seq}+{n}")
            }
        }
    }

    fn play(name: &str, capacity: usize, steps: &[Step]) -> JitterBuffer {
        let base = Instant::now();
        let mut jb = JitterBuffer::new(WAIT, capacity);
        for (i, step) in steps.iter().enumerate() {
            match *step {
                Push(ms, seq) => {
                    let now = base + Duration::from_millis(ms);
                    jb.push(
                        now,
                        seq,
                        u32::from(seq).wrapping_mul(160),
                        &seq.to_be_bytes(),
                    );
                }
                Pop(ms, want) => {
                    let now = base + Duration::from_millis(ms);
                    let mut got = Vec::new();
                    while let Some(p) = jb.pop(now) {
                        got.push(show(&p));
                    }
                    assert_eq!(got, want, "{name}: step {i} at {ms} ms");
                }
            }
        }
        jb
    }

    #[test]
    fn in_order_packets_come_out_at_once() {
        let jb = play(
            "in order",
            16,
            &[
                Pop(0, &[]),
                Push(0, 10),
                Pop(0, &["F10"]),
                Push(20, 11),
                Push(40, 12),
                Pop(40, &["F11", "F12"]),
            ],
        );
        assert_eq!(jb.stats(), JitterStats::default());
    }

    #[test]
    fn reordered_packets_are_put_back_in_order() {
        play(
            "swap",
            16,
            &[
                Push(0, 1),
                Pop(0, &["F1"]),
                Push(20, 3),
                Pop(20, &[]),
                Push(25, 2),
                Pop(25, &["F2", "F3"]),
                // A later swap that arrives right at the deadline is still in time.
                Push(60, 5),
                Pop(89, &[]),
                Push(89, 4),
                Pop(89, &["F4", "F5"]),
            ],
        );
    }

    #[test]
    fn a_gap_waits_max_wait_then_is_lost_with_fec_packet() {
        let jb = play(
            "loss",
            16,
            &[
                Push(0, 1),
                Pop(0, &["F1"]),
                Push(40, 3),
                Pop(40, &[]),
                Pop(69, &[]),
                Pop(70, &["L2+3", "F3"]),
                // The lost packet turns up after all: too late, dropped.
                Push(75, 2),
                Pop(75, &[]),
                Push(80, 4),
                Pop(80, &["F4"]),
            ],
        );
        assert_eq!(jb.stats().lost, 1);
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn a_long_gap_is_reported_packet_by_packet_only_last_has_next() {
        let jb = play(
            "burst loss",
            16,
            &[
                Push(0, 1),
                Pop(0, &["F1"]),
                Push(80, 5),
                Push(100, 6),
                Pop(109, &[]),
                Pop(110, &["L2", "L3", "L4+5", "F5", "F6"]),
            ],
        );
        assert_eq!(jb.stats().lost, 3);
    }

    #[test]
    fn the_first_packets_may_arrive_swapped_before_the_first_pop() {
        play(
            "start",
            16,
            &[
                Push(0, 8),
                Push(1, 7),
                Push(2, 5),
                Pop(2, &["F5"]),
                Pop(32, &["L6+7", "F7", "F8"]),
            ],
        );
        // Once something came out, an earlier packet is late.
        let jb = play(
            "started",
            16,
            &[Push(0, 8), Pop(0, &["F8"]), Push(1, 7), Pop(1, &[])],
        );
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn duplicates_are_dropped() {
        let jb = play(
            "dup",
            16,
            &[
                Push(0, 1),
                Push(1, 1),
                Pop(1, &["F1"]),
                Push(2, 1),
                Push(20, 3),
                Push(21, 3),
                Push(22, 2),
                Pop(22, &["F2", "F3"]),
            ],
        );
        assert_eq!(jb.stats().duplicates, 2);
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let jb = play(
            "wrap",
            16,
            &[
                Push(0, 65_534),
                Pop(0, &["F65534"]),
                Push(20, 0),
                Push(21, 65_535),
                Pop(21, &["F65535", "F0"]),
                Push(60, 2),
                Pop(90, &["L1+2", "F2"]),
                Push(91, 65_535),
                Pop(91, &[]),
            ],
        );
        assert_eq!(
            (jb.stats().lost, jb.stats().late, jb.stats().resyncs),
            (1, 1, 0)
        );
    }

    #[test]
    fn a_jump_forward_resyncs_without_losses() {
        let jb = play(
            "restart ahead",
            16,
            &[
                Push(0, 100),
                Push(20, 101),
                Pop(20, &["F100", "F101"]),
                Push(40, 30_000),
                Pop(40, &["F30000"]),
                Push(60, 30_001),
                Pop(60, &["F30001"]),
            ],
        );
        assert_eq!((jb.stats().lost, jb.stats().resyncs), (0, 1));
    }

    #[test]
    fn a_jump_backward_resyncs_once_confirmed() {
        let jb = play(
            "restart behind",
            16,
            &[
                Push(0, 5_000),
                Pop(0, &["F5000"]),
                // One stray old packet is only late...
                Push(20, 7),
                Pop(20, &[]),
                Push(21, 5_001),
                Pop(21, &["F5001"]),
                // ...but two in a row are a new stream, and neither is lost.
                Push(40, 20),
                Push(60, 21),
                Pop(60, &["F20", "F21"]),
            ],
        );
        assert_eq!((jb.stats().lost, jb.stats().resyncs), (0, 1));
    }

    #[test]
    fn a_burst_over_capacity_drops_the_oldest() {
        let jb = play(
            "overflow",
            4,
            &[
                Push(0, 0),
                Pop(0, &["F0"]),
                // 1 is missing; 2, 3, 4 wait behind it (a pop is not due yet).
                Push(5, 2),
                Push(6, 3),
                Push(7, 4),
                // 6 needs the window 3..=6: the hole 1 and packet 2 go.
                Push(8, 6),
                Pop(8, &["F3", "F4"]),
                Pop(38, &["L5+6", "F6"]),
            ],
        );
        assert_eq!(jb.stats().resyncs, 1);
    }

    #[test]
    fn poll_timeout_tells_when_to_pop() {
        let base = Instant::now();
        let at = |ms| base + Duration::from_millis(ms);
        let mut jb = JitterBuffer::new(WAIT, 16);
        assert_eq!(jb.poll_timeout(), None);
        jb.push(at(0), 1, 160, b"a");
        assert_eq!(jb.poll_timeout(), Some(at(0)));
        assert!(jb.pop(at(0)).is_some());
        assert_eq!(jb.poll_timeout(), None);
        jb.push(at(40), 3, 480, b"c");
        jb.push(at(45), 4, 640, b"d");
        assert_eq!(jb.poll_timeout(), Some(at(70)));
        assert_eq!(jb.pop(at(69)), None);
        assert_eq!((jb.len(), jb.is_empty()), (2, false));
        assert_eq!(
            jb.pop(at(70)),
            Some(Playout::Lost {
                seq: 2,
                next: Some(b"c".to_vec())
            })
        );
        assert_eq!(jb.poll_timeout(), Some(at(40)));
    }
}
