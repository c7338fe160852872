//! Call detail records: one per call, opened when the call starts and closed when it ends.

use std::fmt;
use std::str::FromStr;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Still up (a record that is open).
    InProgress,
    Answered,
    Busy,
    NoAnswer,
    Failed,
    Cancelled,
}

impl Disposition {
    pub const ALL: [Disposition; 6] = [
        Disposition::InProgress,
        Disposition::Answered,
        Disposition::Busy,
        Disposition::NoAnswer,
        Disposition::Failed,
        Disposition::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::InProgress => "in progress",
            Disposition::Answered => "answered",
            Disposition::Busy => "busy",
            Disposition::NoAnswer => "no answer",
            Disposition::Failed => "failed",
            Disposition::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Disposition {
    type Err = String;

    fn from_str(s: &str) -> Result<Disposition, String> {
        Disposition::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown disposition {s:?}"))
    }
}

/// Media figures of one leg, as the relay saw them and as the peer reported them in RTCP.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LegStats {
    /// RTP packets and payload bytes received from this leg's peer (and relayed on).
    pub packets_in: u64,
    pub bytes_in: u64,
    /// RTP packets sent to this leg's peer.
    pub packets_out: u64,
    /// Packets of this peer's stream that never arrived (RFC 3550 A.3, from sequence numbers).
    pub lost: u64,
    /// Interarrival jitter of this peer's stream in milliseconds (RFC 3550 A.8).
    pub jitter_ms: f64,
    /// What the peer reported in its RTCP receiver reports about the stream we send it.
    pub rtcp_lost: Option<u64>,
    pub rtcp_jitter_ms: Option<f64>,
}

/// One call, A (the caller's leg) to B (the leg that answered, or the last one tried).
/// Times are unix milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// Our id for the call (unique; also in logs).
    pub id: String,
    /// The Call-ID of the caller's leg.
    pub call_id: String,
    /// The calling extension (or, later, trunk caller id).
    pub caller: String,
    /// Where the call went in the end: the extension that answered or was last tried.
    pub callee: String,
    /// The number as the caller dialed it.
    pub dialed: String,
    pub start_ms: i64,
    pub answer_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub disposition: Disposition,
    /// The final SIP status that decided the disposition (200 for answered calls).
    pub sip_cause: Option<u16>,
    pub codec_a: Option<String>,
    pub codec_b: Option<String>,
    pub leg_a: LegStats,
    pub leg_b: LegStats,
}

impl CallRecord {
    /// Whole seconds from start to end (0 while open).
    pub fn duration_secs(&self) -> i64 {
        self.end_ms
            .map_or(0, |end| (end - self.start_ms).max(0) / 1000)
    }

    /// Whole seconds from answer to end: what a carrier bills (0 when never answered).
    pub fn billable_secs(&self) -> i64 {
        match (self.answer_ms, self.end_ms) {
            (Some(a), Some(e)) => (e - a).max(0) / 1000,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_count_whole_seconds() {
        let mut r = CallRecord {
            id: "x".into(),
            call_id: "c".into(),
            caller: "1001".into(),
            callee: "1002".into(),
            dialed: "1002".into(),
            start_ms: 1_000,
            answer_ms: Some(3_500),
            end_ms: Some(13_900),
            disposition: Disposition::Answered,
            sip_cause: Some(200),
            codec_a: None,
            codec_b: None,
            leg_a: LegStats::default(),
            leg_b: LegStats::default(),
        };
        assert_eq!(r.duration_secs(), 12);
        assert_eq!(r.billable_secs(), 10);
        r.answer_ms = None;
        assert_eq!(r.billable_secs(), 0);
        for d in Disposition::ALL {
            assert_eq!(d.as_str().parse(), Ok(d));
        }
    }
}
