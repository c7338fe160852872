//! What the callee's final answer means for the caller. Forks are merged as a proxy would
//! (RFC 3261 §16.7 step 6), and the result is turned into the handling a PBX applies: busy
//! and no-answer forwarding, or a status for the caller that says what happened without
//! passing on the callee side's own wording.

use crate::cdr::Disposition;

/// Why a callee did not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 486, 600, or busy by policy (do-not-disturb, call limit).
    Busy,
    /// Rang out (our ring timeout), 408, 480, or no registered phone answered.
    NoAnswer,
    /// 603: the callee declined.
    Declined,
    /// 404/410/484/604: the number does not exist on the callee side.
    NotFound,
    /// Anything else: a broken phone, a server error.
    Failed(u16),
}

impl Failure {
    pub fn from_status(status: u16) -> Failure {
        match status {
            486 | 600 => Failure::Busy,
            408 | 480 | 487 => Failure::NoAnswer,
            603 => Failure::Declined,
            404 | 410 | 484 | 604 => Failure::NotFound,
            other => Failure::Failed(other),
        }
    }

    /// The status the caller gets when no forwarding applies.
    pub fn status_for_caller(self) -> u16 {
        match self {
            Failure::Busy => 486,
            Failure::NoAnswer => 480,
            Failure::Declined => 603,
            Failure::NotFound => 404,
            // A callee phone that answers 415 or 488 says what the caller's offer lacks:
            // that is worth passing on. Server trouble on the callee side is ours to report.
            Failure::Failed(s @ (415 | 488 | 606)) => s,
            Failure::Failed(s) if (500..600).contains(&s) => 503,
            Failure::Failed(_) => 480,
        }
    }

    pub fn disposition(self) -> Disposition {
        match self {
            Failure::Busy => Disposition::Busy,
            Failure::NoAnswer => Disposition::NoAnswer,
            Failure::Declined | Failure::NotFound | Failure::Failed(_) => Disposition::Failed,
        }
    }
}

/// The one final answer to report out of several forks' non-2xx finals: a 6xx ends the
/// search, then the most telling 4xx (busy beats unavailable), then 5xx, then the rest; 487
/// only when nothing else is known (it means we cancelled).
pub fn best_final(statuses: &[u16]) -> Option<u16> {
    fn rank(s: u16) -> u32 {
        match s {
            600..=699 => 0,
            486 => 1,
            400..=499 if s != 408 && s != 480 && s != 487 => 2,
            480 => 3,
            408 => 4,
            500..=599 => 5,
            300..=399 => 6,
            487 => 7,
            _ => 8,
        }
    }
    statuses.iter().copied().min_by_key(|s| (rank(*s), *s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callee_answers_map_to_what_the_caller_hears() {
        let table: &[(u16, Failure, u16, Disposition)] = &[
            (486, Failure::Busy, 486, Disposition::Busy),
            (600, Failure::Busy, 486, Disposition::Busy),
            (480, Failure::NoAnswer, 480, Disposition::NoAnswer),
            (408, Failure::NoAnswer, 480, Disposition::NoAnswer),
            (487, Failure::NoAnswer, 480, Disposition::NoAnswer),
            (603, Failure::Declined, 603, Disposition::Failed),
            (404, Failure::NotFound, 404, Disposition::Failed),
            (488, Failure::Failed(488), 488, Disposition::Failed),
            (500, Failure::Failed(500), 503, Disposition::Failed),
            (403, Failure::Failed(403), 480, Disposition::Failed),
        ];
        for &(status, failure, caller, disposition) in table {
            let f = Failure::from_status(status);
            assert_eq!(f, failure, "{status}");
            assert_eq!(f.status_for_caller(), caller, "{status}");
            assert_eq!(f.disposition(), disposition, "{status}");
        }
    }

    #[test]
    fn forks_merge_like_a_proxy() {
        assert_eq!(best_final(&[480, 486]), Some(486));
        assert_eq!(best_final(&[486, 603]), Some(603));
        assert_eq!(best_final(&[487, 408]), Some(408));
        assert_eq!(best_final(&[503, 480]), Some(480));
        assert_eq!(best_final(&[487]), Some(487));
        assert_eq!(best_final(&[]), None);
    }
}
