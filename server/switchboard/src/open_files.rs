//! How many files the process may open. A call holds four sockets (two RTP/RTCP pairs), and
//! the media engine keeps ended calls' pairs bound for reuse; SIP connections and the
//! database take more. The soft limit a service usually starts with (1024) is used up by a
//! couple of hundred calls, so the server raises it to the hard limit at start, as nginx
//! (`worker_rlimit_nofile`) and Go's runtime do.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

use crate::media::MAX_IDLE_PAIRS;

/// Raises the soft limit on open files to the hard limit; the limit in force afterwards, or
/// `None` when it cannot be read.
pub fn raise_limit() -> Option<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    // An unlimited hard limit is refused for files (the kernel's nr_open caps it): keep soft.
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return Some(hard);
    }
    Some(soft)
}

/// Media pairs to keep bound for reuse when the process may open `limit` files: a quarter
/// of the files at most (two a pair), the rest for live calls and connections.
pub fn idle_pairs(limit: Option<u64>) -> usize {
    let Some(limit) = limit else {
        return MAX_IDLE_PAIRS;
    };
    usize::try_from(limit / 8).map_or(MAX_IDLE_PAIRS, |pairs| pairs.min(MAX_IDLE_PAIRS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_of_the_files_at_most_go_to_idle_pairs() {
        assert_eq!(idle_pairs(Some(1024)), 128);
        assert_eq!(idle_pairs(Some(20_000)), 2500);
        assert_eq!(idle_pairs(Some(524_288)), MAX_IDLE_PAIRS);
        assert_eq!(idle_pairs(Some(u64::MAX)), MAX_IDLE_PAIRS);
        assert_eq!(idle_pairs(None), MAX_IDLE_PAIRS);
    }

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() -> nix::Result<()> {
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
        // Start below the hard limit (one file less: harmless to tests running alongside),
        // so the test fails if nothing raises it.
        if hard != nix::sys::resource::RLIM_INFINITY {
            setrlimit(Resource::RLIMIT_NOFILE, hard - 1, hard)?;
        }
        let raised = raise_limit();
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
        assert_eq!(raised, Some(soft));
        assert!(soft == hard || hard == nix::sys::resource::RLIM_INFINITY);
        Ok(())
    }
}
