//! Early media on a bridged call: a provider's ringback or announcement ("the number you
//! have dialed is not in service"), a phone's own ringback. A bridged call answers each
//! leg itself, so the callee's 18x with SDP sets up the bridge's callee side as a 2xx
//! would, and the caller's offer is answered at once, in a 183: a browser starts ICE and
//! DTLS while it rings and hears the callee before the answer.
//!
//! One early session a call: the first 18x with SDP among the forks ringing together; the
//! others only ring. The caller's 2xx later carries the same answer as its 183 (one answer
//! per offer in a dialog, RFC 3264); the callee's 2xx sets the callee side up again only
//! when its SDP is not the early one (another fork, or a new `o=` version). A callee that
//! refuses the call after its early media is taken out of the bridge, so a forward or the
//! next fork starts clean; a call that fails for good closes its media like any other.

use media::relay::Side;
use media::sdp::{Origin, SessionDescription};
use sip::Response;

use super::leg;
use super::task::Call;

/// The early media the bridge carries: whose it is (the early dialog) and what it is.
pub(super) struct EarlyMedia {
    side: Side,
    call_id: String,
    to_tag: Option<String>,
    /// The SDP's `o=` line: the same one again means the same session, unchanged.
    origin: Option<Origin>,
    /// The callee's SDP, kept for a 2xx that does not repeat it.
    pub sdp: String,
}

impl EarlyMedia {
    fn new(side: Side, response: &Response, sdp: &str) -> EarlyMedia {
        EarlyMedia {
            side,
            call_id: response.call_id().unwrap_or_default().to_owned(),
            to_tag: response.to_tag(),
            origin: origin_of(sdp),
            sdp: sdp.to_owned(),
        }
    }

    /// Whether `response` comes from the callee whose early media this is.
    pub fn same_dialog(&self, response: &Response) -> bool {
        self.same_call(response) && response.to_tag() == self.to_tag
    }

    /// Whether `response` answers the same INVITE (a fork of it, maybe another callee).
    fn same_call(&self, response: &Response) -> bool {
        response.call_id().is_ok_and(|id| id == self.call_id)
    }

    /// Whether `sdp` is the early session unchanged (RFC 3264 §8: a changed session has a
    /// new `o=` version). An SDP without a readable origin counts as changed.
    pub fn repeated_by(&self, sdp: &str) -> bool {
        self.origin.is_some() && origin_of(sdp) == self.origin
    }
}

fn origin_of(sdp: &str) -> Option<Origin> {
    SessionDescription::parse(sdp).ok().map(|s| s.origin)
}

/// What a callee's 18x with SDP means for a bridged call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Early {
    /// The first early SDP of this ringing (or the previous callee's is over): take it.
    Take,
    /// The early callee again with its session unchanged.
    Repeat,
    /// The early callee with a new session: set the callee's side up again.
    Update,
    /// Another fork: it only rings.
    Ignore,
}

fn classify(early: Option<&EarlyMedia>, response: &Response, sdp: &str) -> Early {
    match early {
        None => Early::Take,
        Some(e) if e.same_dialog(response) && e.repeated_by(sdp) => Early::Repeat,
        Some(e) if e.same_dialog(response) => Early::Update,
        Some(e) if e.same_call(response) => Early::Ignore,
        // A new INVITE (the next trunk of the route): the last callee's ringing is over.
        Some(_) => Early::Take,
    }
}

impl Call {
    /// A callee's 18x carrying `sdp` on a bridged call: the callee's side of the bridge set
    /// up from it, and our answer for the caller's 183. None: no early media to give the
    /// caller (another fork's, an unusable SDP, an INVITE without offer); it just rings.
    pub(super) fn bridged_early_media(
        &mut self,
        side: Side,
        response: &Response,
        sdp: &str,
    ) -> Option<String> {
        // Without an offer from the caller, its answer comes in the ACK of our 2xx.
        self.neg.a_offer.as_ref()?;
        let how = classify(self.neg.early.as_ref(), response, sdp);
        if how == Early::Ignore {
            return None;
        }
        if how != Early::Repeat {
            // Our Via in the callee's response is the sent-by its peer was given.
            let callee_sent_by = leg::sent_by_in(response)?;
            let remote = media::bridge::negotiate::read(sdp);
            if !self.install_callee(side, false, remote.as_ref(), sdp, &callee_sent_by) {
                return None;
            }
            // A caller we could not answer is not in early media: its 2xx tries again.
            self.neg.local_sdp[0].as_ref()?;
            tracing::debug!(call = %self.record.id, ?how, "call: early media through the bridge");
            self.neg.early = Some(EarlyMedia::new(side, response, sdp));
        }
        self.neg.local_sdp[0].clone()
    }

    /// A callee refused the call (`response`, a final non-2xx): if its early media is the
    /// one in the bridge, it is taken out.
    pub(super) fn early_callee_failed(&mut self, response: &Response) {
        if self
            .neg
            .early
            .as_ref()
            .is_some_and(|e| e.same_dialog(response))
        {
            self.end_early_media();
        }
    }

    /// Takes the early callee's side out of the bridge (the caller's side stays answered).
    pub(super) fn end_early_media(&mut self) {
        let Some(early) = self.neg.early.take() else {
            return;
        };
        if let Some(media) = &self.media {
            media.with_bridge(|b| b.clear_leg(early.side));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(call_id: &str, tag: &str) -> Response {
        let text = format!(
            "SIP/2.0 183 Session Progress\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:a@x>;tag=f\r\nTo: <sip:b@x>;tag={tag}\r\nCall-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        match sip::parse_message(text.as_bytes()) {
            Ok(sip::Message::Response(r)) => r,
            other => panic!("not a response: {other:?}"),
        }
    }

    fn sdp(version: u32, port: u16) -> String {
        format!(
            "v=0\r\no=p 7 {version} IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
    }

    #[test]
    fn the_first_early_sdp_is_taken_and_only_its_callee_changes_it() {
        let first = response("c1", "x");
        let early = EarlyMedia::new(Side::B, &first, &sdp(1, 4000));
        // (response, SDP) -> what it means
        let table = [
            (response("c1", "x"), sdp(1, 4000), Early::Repeat),
            (response("c1", "x"), sdp(2, 4002), Early::Update),
            (response("c1", "y"), sdp(1, 4000), Early::Ignore),
            (response("c1", "y"), sdp(5, 5000), Early::Ignore),
            (response("c2", "x"), sdp(1, 4000), Early::Take),
            (response("c1", "x"), "garbage".to_owned(), Early::Update),
        ];
        for (i, (resp, body, want)) in table.iter().enumerate() {
            assert_eq!(classify(Some(&early), resp, body), *want, "row {i}");
        }
        assert_eq!(classify(None, &first, &sdp(1, 4000)), Early::Take);
    }

    #[test]
    fn a_2xx_repeats_the_early_session_only_with_the_same_origin() {
        let early = EarlyMedia::new(Side::B, &response("c1", "x"), &sdp(1, 4000));
        assert!(early.repeated_by(&sdp(1, 4000)));
        assert!(!early.repeated_by(&sdp(2, 4000)), "a new version");
        assert!(!early.repeated_by("not sdp"));
        let unreadable = EarlyMedia::new(Side::B, &response("c1", "x"), "not sdp");
        assert!(!unreadable.repeated_by("not sdp"), "nothing to compare");
        assert!(early.same_dialog(&response("c1", "x")));
        assert!(!early.same_dialog(&response("c1", "y")));
    }
}
