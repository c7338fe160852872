//! Receive statistics of one RTP stream, RFC 3550 appendix A: sequence tracking with
//! wrap-around and resynchronisation (A.1), cumulative loss (A.3) and interarrival jitter
//! (A.8). `now` is passed in; nothing here reads a clock.

use std::time::Instant;

/// A jump of more than this many sequence numbers is not loss but a restarted sender.
const MAX_DROPOUT: u16 = 3000;
/// Packets this far behind the highest seen are late/duplicates, not a restart.
const MAX_MISORDER: u16 = 100;
const SEQ_MOD: u64 = 1 << 16;

#[derive(Debug, Clone, Default)]
pub struct ReceiveStats {
    state: Option<Seq>,
    /// Loss of earlier sources (before a resync or SSRC change), kept so totals never shrink.
    lost_before: u64,
    /// Interarrival jitter in timestamp units, ×1 (f64 rather than the RFC's ×16 integer).
    jitter: f64,
    jitter_rate: u32,
    last_transit: Option<i64>,
    epoch: Option<Instant>,
}

#[derive(Debug, Clone)]
struct Seq {
    max_seq: u16,
    cycles: u64,
    base_seq: u64,
    bad_seq: Option<u16>,
    received: u64,
}

impl Seq {
    fn new(seq: u16) -> Seq {
        Seq {
            max_seq: seq,
            cycles: 0,
            base_seq: u64::from(seq),
            bad_seq: None,
            received: 0,
        }
    }

    fn extended_max(&self) -> u64 {
        self.cycles + u64::from(self.max_seq)
    }

    fn lost(&self) -> u64 {
        let expected = self.extended_max() + 1 - self.base_seq;
        expected.saturating_sub(self.received)
    }
}

impl ReceiveStats {
    pub fn new() -> ReceiveStats {
        ReceiveStats::default()
    }

    /// Accounts one packet that arrived at `now`.
    pub fn on_packet(&mut self, now: Instant, seq: u16, ts: u32, clock_rate: u32) {
        self.update_seq(seq);
        self.update_jitter(now, ts, clock_rate);
    }

    /// A new source (SSRC change): sequence and jitter tracking start over, the loss so far
    /// is kept.
    pub fn restart(&mut self) {
        if let Some(s) = self.state.take() {
            self.lost_before += s.lost();
        }
        self.last_transit = None;
    }

    fn update_seq(&mut self, seq: u16) {
        let Some(s) = self.state.as_mut() else {
            let mut s = Seq::new(seq);
            s.received = 1;
            self.state = Some(s);
            return;
        };
        let delta = seq.wrapping_sub(s.max_seq);
        if delta < MAX_DROPOUT {
            // In order, possibly with a gap.
            if seq < s.max_seq {
                s.cycles += SEQ_MOD;
            }
            s.max_seq = seq;
        } else if u64::from(delta) <= SEQ_MOD - u64::from(MAX_MISORDER) {
            // A very large jump: resync only if the next packet confirms it (A.1).
            if s.bad_seq == Some(seq) {
                let lost = s.lost();
                self.lost_before += lost;
                let mut fresh = Seq::new(seq);
                fresh.received = 1;
                self.state = Some(fresh);
                self.last_transit = None;
                return;
            }
            s.bad_seq = Some(seq.wrapping_add(1));
            return;
        }
        // else: duplicate or reordered within MAX_MISORDER: counted, max unchanged.
        s.bad_seq = None;
        s.received += 1;
    }

    fn update_jitter(&mut self, now: Instant, ts: u32, clock_rate: u32) {
        if clock_rate == 0 {
            return;
        }
        if self.jitter_rate != clock_rate {
            // A codec change makes old transit times meaningless.
            self.jitter_rate = clock_rate;
            self.last_transit = None;
        }
        let epoch = *self.epoch.get_or_insert(now);
        let elapsed = now.saturating_duration_since(epoch);
        let arrival = (elapsed.as_nanos() * u128::from(clock_rate) / 1_000_000_000) as u64;
        // Transit time modulo 2^32: only differences between packets matter.
        let transit = i64::from((arrival as u32).wrapping_sub(ts) as i32);
        if let Some(last) = self.last_transit {
            let d = (transit - last).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }

    /// Packets received (including duplicates), all sources.
    pub fn received(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.received)
    }

    /// Cumulative packets lost (expected − received, never below zero per source).
    pub fn lost(&self) -> u64 {
        self.lost_before + self.state.as_ref().map_or(0, Seq::lost)
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// Interarrival jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        if self.jitter_rate == 0 {
            return 0.0;
        }
        self.jitter * 1000.0 / f64::from(self.jitter_rate)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Feeds `seqs` at a steady 20 ms / 160-sample pace (8 kHz).
    fn feed(seqs: &[u16]) -> ReceiveStats {
        let start = Instant::now();
        let mut s = ReceiveStats::new();
        for (i, seq) in seqs.iter().enumerate() {
            let at = start + Duration::from_millis(20 * i as u64);
            s.on_packet(at, *seq, u32::from(*seq) * 160, 8000);
        }
        s
    }

    #[test]
    fn no_loss_in_order() {
        let s = feed(&[10, 11, 12, 13]);
        assert_eq!((s.received(), s.lost()), (4, 0));
    }

    #[test]
    fn a_skipped_number_is_one_lost() {
        assert_eq!(feed(&[1, 2, 4, 5]).lost(), 1);
        assert_eq!(feed(&[1, 2, 6]).lost(), 3);
    }

    #[test]
    fn wrap_around_is_not_loss() {
        let s = feed(&[65533, 65534, 65535, 0, 1]);
        assert_eq!((s.received(), s.lost()), (5, 0));
        assert_eq!(feed(&[65534, 65535, 1]).lost(), 1);
    }

    #[test]
    fn reorder_and_duplicates() {
        assert_eq!(feed(&[1, 3, 2, 4]).lost(), 0);
        // Duplicates do not make loss negative.
        let s = feed(&[1, 2, 2, 2, 3]);
        assert_eq!((s.received(), s.lost()), (5, 0));
        // A late packet fills its gap.
        assert_eq!(feed(&[1, 2, 4, 5, 3]).lost(), 0);
    }

    #[test]
    fn a_big_jump_resyncs_after_two_packets() {
        // 1..=3, then the sender restarts at 40000: the jump is confirmed by 40001, and the
        // new sequence starts there (40000 itself is not counted, as in A.1).
        let s = feed(&[1, 2, 3, 40000, 40001, 40003]);
        assert_eq!(s.lost(), 1, "only 40002 is missing");
        // A single stray packet far away is ignored.
        let s = feed(&[1, 2, 30000, 3, 4]);
        assert_eq!((s.lost(), s.received()), (0, 4));
    }

    #[test]
    fn restart_keeps_loss() {
        let mut s = feed(&[1, 3]);
        s.restart();
        s.on_packet(Instant::now(), 500, 0, 8000);
        s.on_packet(Instant::now(), 502, 320, 8000);
        assert_eq!(s.lost(), 2);
    }

    #[test]
    fn steady_stream_has_zero_jitter() {
        let s = feed(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(s.jitter(), 0.0);
        assert_eq!(s.jitter_ms(), 0.0);
    }

    #[test]
    fn jitter_follows_rfc3550() {
        // Every other packet arrives 10 ms late (80 samples): |D| = 80 each step after the
        // first, J += (80 - J)/16, starting from the second packet.
        let start = Instant::now();
        let mut s = ReceiveStats::new();
        let mut want = 0.0;
        for i in 0..50u16 {
            let late = if i % 2 == 1 { 10 } else { 0 };
            let at = start + Duration::from_millis(20 * u64::from(i) + late);
            s.on_packet(at, i, u32::from(i) * 160, 8000);
            if i > 0 {
                want += (80.0 - want) / 16.0;
            }
        }
        assert!((s.jitter() - want).abs() < 1e-9, "{} vs {want}", s.jitter());
        assert!((s.jitter_ms() - want / 8.0).abs() < 1e-9);
        assert!(s.jitter_ms() > 9.0 && s.jitter_ms() < 10.0);
    }
}
