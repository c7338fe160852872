//! OPTIONS health checks toward a trunk: whether the provider answers at all. A sans-IO
//! state machine with the same shape as the registration client: `handle_response`,
//! `handle_failure` (the transaction timed out or could not be sent), `handle_timeout`,
//! drained with `poll_request`, `poll_timeout` and `poll_event`.
//!
//! Every `interval` one OPTIONS goes out; never two at once (an OPTIONS still waiting for
//! Timer F delays the next, so an outage is detected after about two Timer F periods even
//! with a short interval).
//!
//! What counts as an answer: any final response proves the provider's SIP stack is there,
//! including 4xx (many providers answer OPTIONS with 401/403/404/405, and that is fine)
//! and most 5xx. Two are not: **503** (RFC 3261 §21.5.4: overloaded or in maintenance;
//! RFC 3263 §4.3 tells clients to try another server) and **408** (a provider's edge
//! answering for a core it could not reach). Those count like a timeout: a miss.
//! `MISSES_FOR_DOWN` consecutive misses mark the trunk down; the next answer marks it up.
//! Until the first verdict the trunk is `Unknown`, which routing treats as usable.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sip::{HeaderName, Method, NameAddr, Request, Response, SipUri, Uri};

use super::Trunk;
use super::provider::{TrunkConfigError, trunk_uri, user_uri};

/// Consecutive misses (timeouts, 408, 503) that mark a trunk down.
pub const MISSES_FOR_DOWN: u32 = 2;
/// An OPTIONS whose fate the binary never reports is counted as a miss after this long
/// (twice Timer F).
pub const RESPONSE_GUARD: Duration = Duration::from_secs(64);

/// Where the checks go and how often. `call_id` is a random base (each probe gets its own
/// Call-ID `<base>-<n>`, as RFC 3261 §8.1.1.4 wants for requests outside a dialog);
/// `from_tag` is random too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthConfig {
    pub target: SipUri,
    /// Our From, e.g. `<sip:switchboard@pbx.example.com>` (without tag).
    pub from: String,
    /// Zero: no checks (the trunk stays `Unknown`).
    pub interval: Duration,
    pub call_id: String,
    pub from_tag: String,
    pub misses_for_down: u32,
}

impl HealthConfig {
    /// Checks of a configured trunk every `options_interval` seconds, from
    /// `switchboard@local_domain`.
    pub fn for_trunk(
        trunk: &Trunk,
        local_domain: &str,
        call_id: &str,
        from_tag: &str,
    ) -> Result<HealthConfig, TrunkConfigError> {
        let from = NameAddr::new(Uri::Sip(user_uri("switchboard", local_domain)?)).to_string();
        Ok(HealthConfig {
            target: trunk_uri(trunk)?,
            from,
            interval: Duration::from_secs(u64::from(trunk.options_interval)),
            call_id: call_id.to_owned(),
            from_tag: from_tag.to_owned(),
            misses_for_down: MISSES_FOR_DOWN,
        })
    }
}

/// What the checks say about the trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reachability {
    /// No verdict yet (or checks are off).
    Unknown,
    Up,
    /// `misses_for_down` probes in a row went unanswered (or got 408/503).
    Down,
}

/// A change of verdict, for the log and the admin page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthEvent {
    Up,
    Down,
}

#[derive(Debug, Clone)]
struct Probe {
    cseq: u32,
    call_id: String,
    sent_at: Instant,
}

/// The OPTIONS checker of one trunk. See the module comment.
#[derive(Debug)]
pub struct HealthChecker {
    config: HealthConfig,
    state: Reachability,
    misses: u32,
    cseq: u32,
    /// When the next probe is due; None when checks are off.
    next_probe: Option<Instant>,
    in_flight: Option<Probe>,
    outbox: Option<Request>,
    events: VecDeque<HealthEvent>,
    last_rtt: Option<Duration>,
    last_status: Option<u16>,
}

impl HealthChecker {
    /// The first probe is due at `now`.
    pub fn new(config: HealthConfig, now: Instant) -> HealthChecker {
        let next_probe = (!config.interval.is_zero()).then_some(now);
        HealthChecker {
            config,
            state: Reachability::Unknown,
            misses: 0,
            cseq: 0,
            next_probe,
            in_flight: None,
            outbox: None,
            events: VecDeque::new(),
            last_rtt: None,
            last_status: None,
        }
    }

    /// A response to one of our OPTIONS; false when it is not ours.
    pub fn handle_response(&mut self, now: Instant, resp: &Response) -> bool {
        let Some(probe) = &self.in_flight else {
            return false;
        };
        let ours = resp.call_id().is_ok_and(|c| c == probe.call_id)
            && resp
                .cseq()
                .is_ok_and(|c| c.seq == probe.cseq && c.method == Method::Options);
        if !ours {
            return false;
        }
        if resp.status < 200 {
            return true;
        }
        let sent_at = probe.sent_at;
        self.in_flight = None;
        self.last_status = Some(resp.status);
        if matches!(resp.status, 408 | 503) {
            self.miss();
        } else {
            self.last_rtt = Some(now.saturating_duration_since(sent_at));
            self.answered();
        }
        true
    }

    /// The OPTIONS under way timed out (Timer F) or could not be sent.
    pub fn handle_failure(&mut self, _now: Instant) {
        if self.in_flight.take().is_some() {
            self.last_status = None;
            self.miss();
        }
    }

    /// Time passed: send the next probe, or count an unreported one as a miss.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(probe) = &self.in_flight
            && now >= probe.sent_at + RESPONSE_GUARD
        {
            self.handle_failure(now);
        }
        if self.in_flight.is_some() {
            return;
        }
        if let Some(due) = self.next_probe
            && now >= due
        {
            self.send(now);
            self.next_probe = Some(now + self.config.interval);
        }
    }

    /// The next OPTIONS to send. Like the REGISTERs it has no Via: the binary adds its top
    /// Via with a fresh branch.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.outbox.take()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.in_flight {
            Some(probe) => Some(probe.sent_at + RESPONSE_GUARD),
            None => self.next_probe,
        }
    }

    /// Up/down transitions, oldest first.
    pub fn poll_event(&mut self) -> Option<HealthEvent> {
        self.events.pop_front()
    }

    pub fn reachability(&self) -> Reachability {
        self.state
    }

    /// Whether routing may send calls: anything but a `Down` verdict.
    pub fn is_usable(&self) -> bool {
        self.state != Reachability::Down
    }

    /// Round trip of the last answered probe.
    pub fn last_rtt(&self) -> Option<Duration> {
        self.last_rtt
    }

    /// Status of the last final response (None after a timeout).
    pub fn last_status(&self) -> Option<u16> {
        self.last_status
    }

    /// Probes missed in a row.
    pub fn misses(&self) -> u32 {
        self.misses
    }

    fn send(&mut self, now: Instant) {
        self.cseq = self.cseq.wrapping_add(1).max(1);
        let call_id = format!("{}-{}", self.config.call_id, self.cseq);
        let mut req = Request::new(Method::Options, Uri::Sip(self.config.target.clone()));
        let h = &mut req.headers;
        h.push(HeaderName::MaxForwards, "70");
        h.push(
            HeaderName::From,
            format!("{};tag={}", self.config.from, self.config.from_tag),
        );
        h.push(HeaderName::To, format!("<{}>", self.config.target));
        h.push(HeaderName::CallId, call_id.as_str());
        h.push(HeaderName::CSeq, format!("{} OPTIONS", self.cseq));
        h.push(HeaderName::Accept, "application/sdp");
        h.push(HeaderName::ContentLength, "0");
        self.outbox = Some(req);
        self.in_flight = Some(Probe {
            cseq: self.cseq,
            call_id,
            sent_at: now,
        });
    }

    fn answered(&mut self) {
        self.misses = 0;
        if self.state != Reachability::Up {
            self.state = Reachability::Up;
            self.events.push_back(HealthEvent::Up);
        }
    }

    fn miss(&mut self) {
        self.misses = self.misses.saturating_add(1);
        if self.misses >= self.config.misses_for_down.max(1) && self.state != Reachability::Down {
            self.state = Reachability::Down;
            self.events.push_back(HealthEvent::Down);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn config(interval: u64) -> HealthConfig {
        HealthConfig {
            target: SipUri::parse("sip:sip.example.net;transport=tcp")
                .unwrap_or_else(|e| panic!("{e}")),
            from: "<sip:switchboard@pbx.example.com>".into(),
            interval: secs(interval),
            call_id: "hc".into(),
            from_tag: "tg".into(),
            misses_for_down: MISSES_FOR_DOWN,
        }
    }

    fn probe(h: &mut HealthChecker, now: Instant) -> Request {
        h.handle_timeout(now);
        h.poll_request()
            .unwrap_or_else(|| panic!("no OPTIONS at {now:?}: {h:?}"))
    }

    fn answer(h: &mut HealthChecker, now: Instant, req: &Request, status: u16) -> bool {
        h.handle_response(now, &Response::for_request(req, status, ""))
    }

    #[test]
    fn probes_go_every_interval_and_are_well_formed() {
        let t0 = Instant::now();
        let mut h = HealthChecker::new(config(60), t0);
        assert_eq!(h.poll_timeout(), Some(t0));
        assert_eq!(h.reachability(), Reachability::Unknown);
        assert!(h.is_usable());
        let req = probe(&mut h, t0);
        assert_eq!(req.method, Method::Options);
        assert_eq!(req.uri.to_string(), "sip:sip.example.net;transport=tcp");
        assert_eq!(
            req.headers.get(&HeaderName::From),
            Some("<sip:switchboard@pbx.example.com>;tag=tg")
        );
        assert_eq!(
            req.headers.get(&HeaderName::To),
            Some("<sip:sip.example.net;transport=tcp>")
        );
        assert_eq!(req.headers.get(&HeaderName::CSeq), Some("1 OPTIONS"));
        assert_eq!(req.headers.get(&HeaderName::CallId), Some("hc-1"));
        assert!(req.headers.get(&HeaderName::Via).is_none());
        assert_eq!(h.poll_timeout(), Some(t0 + RESPONSE_GUARD));
        assert!(answer(&mut h, t0 + Duration::from_millis(40), &req, 200));
        assert_eq!(h.reachability(), Reachability::Up);
        assert_eq!(h.poll_event(), Some(HealthEvent::Up));
        assert_eq!(h.poll_event(), None);
        assert_eq!(h.last_rtt(), Some(Duration::from_millis(40)));
        assert_eq!(h.poll_timeout(), Some(t0 + secs(60)));
        h.handle_timeout(t0 + secs(59));
        assert!(h.poll_request().is_none());
        let next = probe(&mut h, t0 + secs(60));
        assert_eq!(next.headers.get(&HeaderName::CallId), Some("hc-2"));
        assert_eq!(next.headers.get(&HeaderName::CSeq), Some("2 OPTIONS"));
    }

    #[test]
    fn two_timeouts_mark_down_and_the_next_answer_marks_up() {
        let t0 = Instant::now();
        let mut h = HealthChecker::new(config(10), t0);
        let req = probe(&mut h, t0);
        answer(&mut h, t0, &req, 200);
        assert_eq!(h.poll_event(), Some(HealthEvent::Up));

        probe(&mut h, t0 + secs(10));
        h.handle_failure(t0 + secs(42));
        assert_eq!(h.reachability(), Reachability::Up, "one miss is not enough");
        assert_eq!(h.misses(), 1);
        assert_eq!(h.poll_event(), None);
        // The interval passed while the probe waited for Timer F: the next goes at once.
        assert_eq!(h.poll_timeout(), Some(t0 + secs(20)));
        probe(&mut h, t0 + secs(42));
        h.handle_failure(t0 + secs(74));
        assert_eq!(h.reachability(), Reachability::Down);
        assert!(!h.is_usable());
        assert_eq!(h.poll_event(), Some(HealthEvent::Down));
        assert_eq!(h.last_status(), None);

        let req = probe(&mut h, t0 + secs(74));
        h.handle_failure(t0 + secs(106));
        assert_eq!(h.poll_event(), None, "already down: no second event");
        let req2 = probe(&mut h, t0 + secs(106));
        assert!(
            !answer(&mut h, t0 + secs(107), &req, 200),
            "an old probe's answer"
        );
        assert!(answer(&mut h, t0 + secs(107), &req2, 200));
        assert_eq!(h.reachability(), Reachability::Up);
        assert_eq!(h.poll_event(), Some(HealthEvent::Up));
        assert_eq!(h.misses(), 0);
    }

    #[test]
    fn any_final_answer_but_408_and_503_proves_reachability() {
        for status in [200, 401, 403, 404, 405, 407, 480, 500, 501, 502, 504, 603] {
            let t0 = Instant::now();
            let mut h = HealthChecker::new(config(30), t0);
            let req = probe(&mut h, t0);
            assert!(answer(&mut h, t0, &req, 100), "provisional is ours");
            assert_eq!(h.reachability(), Reachability::Unknown);
            answer(&mut h, t0, &req, status);
            assert_eq!(h.reachability(), Reachability::Up, "{status}");
            assert_eq!(h.last_status(), Some(status));
        }
        for status in [408, 503] {
            let t0 = Instant::now();
            let mut h = HealthChecker::new(config(30), t0);
            let req = probe(&mut h, t0);
            answer(&mut h, t0, &req, 200);
            let req = probe(&mut h, t0 + secs(30));
            answer(&mut h, t0 + secs(30), &req, status);
            assert_eq!(h.misses(), 1, "{status}");
            let req = probe(&mut h, t0 + secs(60));
            answer(&mut h, t0 + secs(60), &req, status);
            assert_eq!(h.reachability(), Reachability::Down, "{status}");
        }
    }

    #[test]
    fn an_unreported_probe_counts_as_a_miss_after_the_guard() {
        let t0 = Instant::now();
        let mut h = HealthChecker::new(config(300), t0);
        probe(&mut h, t0);
        h.handle_timeout(t0 + RESPONSE_GUARD);
        assert_eq!(h.misses(), 1);
        assert!(
            h.poll_request().is_none(),
            "next probe waits for the interval"
        );
        assert_eq!(h.poll_timeout(), Some(t0 + secs(300)));
    }

    #[test]
    fn unknown_then_down_without_ever_answering() {
        let t0 = Instant::now();
        let mut h = HealthChecker::new(config(5), t0);
        probe(&mut h, t0);
        h.handle_failure(t0 + secs(32));
        assert_eq!(h.reachability(), Reachability::Unknown);
        probe(&mut h, t0 + secs(32));
        h.handle_failure(t0 + secs(64));
        assert_eq!(h.reachability(), Reachability::Down);
        assert_eq!(h.poll_event(), Some(HealthEvent::Down));
    }

    #[test]
    fn foreign_responses_are_not_ours() {
        let t0 = Instant::now();
        let mut h = HealthChecker::new(config(30), t0);
        let req = probe(&mut h, t0);
        let mut other = Response::for_request(&req, 200, "");
        other.headers.set(HeaderName::CallId, "hc-9");
        assert!(!h.handle_response(t0, &other));
        let mut register = Response::for_request(&req, 200, "");
        register.headers.set(HeaderName::CSeq, "1 REGISTER");
        assert!(!h.handle_response(t0, &register));
        assert_eq!(h.reachability(), Reachability::Unknown);
    }

    #[test]
    fn interval_zero_turns_checks_off() {
        let t0 = Instant::now();
        let mut h = HealthChecker::new(config(0), t0);
        assert_eq!(h.poll_timeout(), None);
        h.handle_timeout(t0 + secs(1000));
        assert!(h.poll_request().is_none());
        assert!(h.is_usable());
    }

    #[test]
    fn configuration_from_a_trunk() {
        let trunk = Trunk {
            id: 1,
            name: "acme".into(),
            host: "192.0.2.10".into(),
            port: Some(5070),
            transport: super::super::TrunkTransport::Udp,
            registration: None,
            allow: Vec::new(),
            codecs: Vec::new(),
            srtp: super::super::SrtpPolicy::Off,
            channels: None,
            options_interval: 45,
            caller_id: None,
            ca_file: None,
        };
        let c = HealthConfig::for_trunk(&trunk, "pbx.example.com", "base", "tag")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.target.to_string(), "sip:192.0.2.10:5070");
        assert_eq!(c.from, "<sip:switchboard@pbx.example.com>");
        assert_eq!(c.interval, secs(45));
        assert!(HealthConfig::for_trunk(&trunk, "bad domain", "b", "t").is_err());
    }
}
