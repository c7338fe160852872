//! The sans-IO loop around one `str0m::Rtc`, shared by the leg and the test peer.
//!
//! str0m wants every mutation followed by a full drain of `poll_output`; we drain into a
//! queue right after each input, so the caller's `poll()` can never break that rule.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::media::Mid;
use str0m::net::{DatagramRecv, Protocol, Receive};
use str0m::rtp::RtpWrite;
use str0m::{Event, IceConnectionState, Input, Output, Rtc};

use super::negotiated::Negotiated;
use super::{WebRtcError, WebRtcOutput};

/// How long ICE + DTLS may take once both descriptions are known. A browser that never
/// sends a connectivity check (firewall, crashed tab) would otherwise keep the leg forever.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Engine {
    rtc: Rtc,
    mid: Mid,
    /// Our one host candidate. Incoming datagrams are handed to str0m as addressed to it:
    /// the driver's socket may be bound to a wildcard or a private address behind 1:1 NAT.
    local: SocketAddr,
    negotiated: Option<Negotiated>,
    out: VecDeque<WebRtcOutput>,
    timeout: Option<Instant>,
    setup_deadline: Option<Instant>,
    connected: bool,
    failed: bool,
    /// Extended sequence number of the next packet we send.
    next_seq: Option<u64>,
}

impl Engine {
    pub fn new(rtc: Rtc, mid: Mid, local: SocketAddr) -> Engine {
        let mut engine = Engine {
            rtc,
            mid,
            local,
            negotiated: None,
            out: VecDeque::new(),
            timeout: None,
            setup_deadline: None,
            connected: false,
            failed: false,
            next_seq: None,
        };
        engine.drain();
        engine
    }

    pub fn rtc(&mut self) -> &mut Rtc {
        &mut self.rtc
    }

    /// Both descriptions are known: media may flow once ICE and DTLS are up.
    pub fn negotiated(&mut self, now: Instant, negotiated: Negotiated) {
        self.negotiated = Some(negotiated);
        self.setup_deadline = Some(now + SETUP_TIMEOUT);
        self.drain();
    }

    pub fn negotiation(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    pub fn handle_receive(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
    ) -> bool {
        if self.failed || to.port() != self.local.port() {
            return false;
        }
        let Ok(contents) = DatagramRecv::try_from(bytes) else {
            return false;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source: from,
                destination: self.local,
                contents,
            },
        );
        // STUN must carry our ufrag; everything else must come from a succeeded ICE pair.
        if !self.rtc.accepts(&input) {
            return false;
        }
        let accepted = match self.rtc.handle_input(input) {
            Ok(()) => true,
            // A record that does not verify is dropped, so someone who spoofs the peer's
            // address cannot end the call; only what shuts str0m down ends the leg.
            Err(e) if !self.rtc.is_alive() => {
                self.fail(format!("receive: {e}"));
                true
            }
            Err(_) => false,
        };
        self.drain();
        self.check_setup(now);
        accepted
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.failed {
            return;
        }
        if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
            self.fail(format!("timeout: {e}"));
            return;
        }
        self.drain();
        self.check_setup(now);
    }

    pub fn poll(&mut self) -> Option<WebRtcOutput> {
        self.out.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.failed {
            return None;
        }
        match (self.timeout, self.setup_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn is_connected(&self) -> bool {
        self.connected && !self.failed
    }

    pub fn send_audio(
        &mut self,
        now: Instant,
        pt: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), WebRtcError> {
        if self.failed {
            return Err(WebRtcError::Closed);
        }
        if !self.connected {
            return Err(WebRtcError::NotConnected);
        }
        let negotiated = self.negotiated.as_ref().ok_or(WebRtcError::NotConnected)?;
        if !negotiated.pts.contains(&pt) {
            return Err(WebRtcError::PayloadType(pt));
        }
        let mut api = self.rtc.direct_api();
        let stream = api
            .stream_tx_by_mid(self.mid, None)
            .ok_or(WebRtcError::NoStream)?;
        // The SSRC is random; its low bits make an unpredictable first sequence number
        // (RFC 3550 §5.1) without a random source of our own. Below 2^15 so the rollover
        // counter stays 0 for the first packet, as SRTP expects.
        let seq = *self
            .next_seq
            .get_or_insert(u64::from(*stream.ssrc() & 0x7fff));
        stream.write_rtp(
            RtpWrite::new(pt.into(), seq.into(), timestamp, now, payload).marker(marker),
        );
        self.next_seq = Some(seq + 1);
        self.drain();
        // The packet leaves when time is driven forward to `now`.
        self.handle_timeout(now);
        Ok(())
    }

    fn check_setup(&mut self, now: Instant) {
        if let Some(deadline) = self.setup_deadline
            && now >= deadline
            && !self.connected
        {
            self.fail("ICE/DTLS setup timed out".to_string());
        }
    }

    fn fail(&mut self, reason: String) {
        if self.failed {
            return;
        }
        self.failed = true;
        self.rtc.disconnect();
        self.timeout = None;
        self.out.push_back(WebRtcOutput::Failed(reason));
    }

    fn drain(&mut self) {
        while !self.failed {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.timeout = Some(t);
                    break;
                }
                Ok(Output::Transmit(t)) => self.out.push_back(WebRtcOutput::Transmit {
                    from: t.source,
                    to: t.destination,
                    bytes: t.contents.into(),
                }),
                Ok(Output::Event(event)) => self.event(event),
                // A fingerprint mismatch lands here ("remote fingerprint no match").
                Err(e) => self.fail(e.to_string()),
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Connected if !self.connected => {
                self.connected = true;
                self.setup_deadline = None;
                self.out.push_back(WebRtcOutput::Connected);
            }
            // As ICE-lite this means no binding request for 15 s on any pair.
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                let reason = if self.connected {
                    "ICE consent lost: the peer stopped its connectivity checks"
                } else {
                    "ICE failed: no connectivity checks from the peer"
                };
                self.fail(reason.to_string());
            }
            Event::Closed => self.fail("the peer closed DTLS".to_string()),
            Event::RtpPacket(packet) => {
                let pt = *packet.header.payload_type;
                let wanted = self
                    .negotiated
                    .as_ref()
                    .is_some_and(|n| n.pts.contains(&pt));
                if wanted {
                    self.out.push_back(WebRtcOutput::Media {
                        pt,
                        seq: packet.header.sequence_number,
                        timestamp: packet.header.timestamp,
                        marker: packet.header.marker,
                        payload: packet.payload.to_vec(),
                    });
                }
            }
            _ => {}
        }
    }
}
