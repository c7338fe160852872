//! Keepalive OPTIONS ("qualify") to every registered contact, sent over the binding's own
//! flow: for UDP to the address the REGISTER came from, for TCP/TLS/WS over the connection
//! the phone opened. Besides telling whether a contact still answers, it keeps NAT bindings
//! open and proves requests really reach contacts that registered over a connection.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pbx::Binding;
use sip::{HeaderName, Headers, Method, Request, Uri};

use crate::endpoint::{Shared, now_unix};
use crate::random::token as random_token;

/// An OPTIONS not answered within Timer F (64*T1) is given up.
const GIVE_UP: Duration = Duration::from_secs(32);

struct Pending {
    contact: String,
    sent: Instant,
}

/// Outstanding keepalives by branch, and what came back.
#[derive(Default)]
pub struct QualifyTracker {
    pending: HashMap<String, Pending>,
    /// When each contact last answered (any final response proves it is reachable).
    last_answer: HashMap<String, Instant>,
    answered: u64,
    unanswered: u64,
}

impl QualifyTracker {
    pub fn sent(&mut self, branch: String, contact: String, now: Instant) {
        self.expire(now);
        self.pending.insert(branch, Pending { contact, sent: now });
    }

    /// A response came for `branch`; true when it answered one of our keepalives.
    pub fn answered(&mut self, branch: &str, status: u16, now: Instant) -> bool {
        if status < 200 {
            return self.pending.contains_key(branch);
        }
        match self.pending.remove(branch) {
            Some(p) => {
                self.answered += 1;
                tracing::debug!(contact = %p.contact, status, rtt = ?now.saturating_duration_since(p.sent), "qualify answered");
                self.last_answer.insert(p.contact, now);
                true
            }
            None => false,
        }
    }

    /// Keepalives answered since start.
    pub fn answered_total(&self) -> u64 {
        self.answered
    }

    pub fn unanswered_total(&self) -> u64 {
        self.unanswered
    }

    pub fn last_answer(&self, contact: &str) -> Option<Instant> {
        self.last_answer.get(contact).copied()
    }

    fn expire(&mut self, now: Instant) {
        let before = self.pending.len();
        self.pending
            .retain(|_, p| now.saturating_duration_since(p.sent) < GIVE_UP);
        self.unanswered += (before - self.pending.len()) as u64;
        // Forget contacts not heard from in a long while so the map cannot grow forever.
        self.last_answer
            .retain(|_, t| now.saturating_duration_since(*t) < Duration::from_secs(86_400));
    }
}

/// Sends a round of keepalives every `interval` until the task is aborted.
pub async fn run(endpoint: Shared, domain: String, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate; bindings made at startup can wait
    loop {
        tick.tick().await;
        qualify_all(&endpoint, &domain).await;
    }
}

pub async fn qualify_all(endpoint: &Shared, domain: &str) {
    let bindings = match endpoint.store().all_bindings(now_unix()).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("qualify: cannot list bindings: {e}");
            return;
        }
    };
    for binding in bindings {
        let branch = format!("z9hG4bK{}", random_token(16));
        let Some(req) = options_for(&binding, &endpoint.via_for(&binding.flow), &branch, domain)
        else {
            tracing::debug!(contact = %binding.contact, "qualify: contact is not a URI we can send to");
            continue;
        };
        if let Ok(mut q) = endpoint.qualify.lock() {
            q.sent(branch, binding.contact.clone(), Instant::now());
        }
        if let Err(e) = endpoint.send_request(&binding.flow, req).await {
            tracing::debug!(aor = %binding.aor, contact = %binding.contact, "qualify not sent: {e}");
        }
    }
}

/// An out-of-dialog OPTIONS to a binding's contact (RFC 3261 §11.1).
pub fn options_for(binding: &Binding, via: &str, branch: &str, domain: &str) -> Option<Request> {
    let uri = Uri::parse(&binding.contact).ok()?;
    let mut headers = Headers::new();
    headers.push(HeaderName::Via, format!("{via};branch={branch};rport"));
    headers.push(HeaderName::MaxForwards, "70");
    headers.push(
        HeaderName::From,
        format!("<sip:switchboard@{domain}>;tag={}", random_token(10)),
    );
    headers.push(HeaderName::To, format!("<{}>", binding.contact));
    headers.push(HeaderName::CallId, format!("{}@{domain}", random_token(20)));
    headers.push(HeaderName::CSeq, "1 OPTIONS");
    headers.push(HeaderName::Accept, "application/sdp");
    headers.push(HeaderName::ContentLength, "0");
    Some(Request {
        method: Method::Options,
        uri,
        headers,
        body: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalives_are_tracked_by_branch() {
        let mut t = QualifyTracker::default();
        let now = Instant::now();
        t.sent("z9hG4bKa".into(), "sip:100@192.0.2.1".into(), now);
        t.sent("z9hG4bKb".into(), "sip:101@192.0.2.2".into(), now);
        assert!(t.answered("z9hG4bKa", 100, now), "provisional: still ours");
        assert!(t.answered("z9hG4bKa", 200, now));
        assert!(!t.answered("z9hG4bKa", 200, now), "answered once");
        assert!(!t.answered("z9hG4bKzzz", 200, now));
        assert_eq!(t.answered_total(), 1);
        assert!(t.last_answer("sip:100@192.0.2.1").is_some());
        t.sent(
            "z9hG4bKc".into(),
            "sip:102@192.0.2.3".into(),
            now + GIVE_UP + Duration::from_secs(1),
        );
        assert_eq!(t.unanswered_total(), 1, "b was given up");
    }
}
