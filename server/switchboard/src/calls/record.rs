//! Building the call record as the call goes.

use std::time::{SystemTime, UNIX_EPOCH};

use pbx::{CallRecord, Disposition, LegStats};

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(super) fn open(id: &str, call_id: &str, caller: &str, dialed: &str) -> CallRecord {
    CallRecord {
        id: id.to_owned(),
        call_id: call_id.to_owned(),
        caller: caller.to_owned(),
        callee: String::new(),
        dialed: dialed.to_owned(),
        start_ms: now_ms(),
        answer_ms: None,
        end_ms: None,
        disposition: Disposition::InProgress,
        sip_cause: None,
        codec_a: None,
        codec_b: None,
        leg_a: LegStats::default(),
        leg_b: LegStats::default(),
    }
}

pub(super) fn leg_stats(s: &media::relay::Stats) -> LegStats {
    LegStats {
        packets_in: s.packets_in,
        bytes_in: s.bytes_in,
        packets_out: s.packets_out,
        lost: s.lost,
        jitter_ms: s.jitter_ms,
        rtcp_lost: s.rtcp_lost,
        rtcp_jitter_ms: s.rtcp_jitter_ms,
    }
}
