//! Digits shown to browsers. A browser plays RFC 4733 events it receives as nothing at all:
//! WebRTC hands received telephone-events to no script. So a key pressed on one leg reaches a
//! browser on the other leg also as SIP INFO `application/dtmf-relay`, which JsSIP reports to
//! the page (the de-facto format of Cisco and most PBXes: `Signal=` and `Duration=` lines).

use media::relay::Side;
use pbx::Transport;
use sip::{HeaderName, Method};

use super::task::Call;

/// The duration we announce for a digit whose length we did not measure (an RFC 4733 event
/// is reported when it starts).
const ANNOUNCED_MS: u32 = 160;

impl Call {
    /// Sends `digit`, pressed on `from`, as SIP INFO to the other leg when that leg is a
    /// browser (a WebSocket contact). Its answer needs no handling: a browser that refuses
    /// INFO still got the RFC 4733 events.
    pub(super) fn tell_browser_digit(&mut self, from: Side, digit: char) {
        let Some(ix) = self.leg_ix_of(from.other()) else {
            return;
        };
        let peer = self.leg(ix).peer.clone();
        if !matches!(peer.flow.transport, Transport::Ws | Transport::Wss) {
            return;
        }
        let sent_by = self.sent_by(&peer);
        let mut info = self.leg_mut(ix).request(Method::Info, &sent_by);
        info.headers
            .set(HeaderName::ContentType, "application/dtmf-relay");
        info.body = dtmf_relay_body(digit, ANNOUNCED_MS).into_bytes();
        self.send(&peer, info);
    }

    /// The index of the leg on `side`, when that leg exists.
    fn leg_ix_of(&self, side: Side) -> Option<usize> {
        (0..2)
            .filter(|&i| i == 0 || self.b.is_some())
            .find(|&i| self.leg(i).side == side)
    }
}

fn dtmf_relay_body(digit: char, ms: u32) -> String {
    format!("Signal={digit}\r\nDuration={ms}\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_parses_back_with_the_same_digit() {
        let body = dtmf_relay_body('#', 160);
        assert_eq!(media::dtmf::parse_dtmf_relay(&body), Some(('#', 160)));
    }
}
