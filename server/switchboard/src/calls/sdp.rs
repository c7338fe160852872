//! The call's side of the media relay: what each leg's SDP tells the relay, and the SDP each
//! leg gets (the other leg's codecs and direction, our address and port).

use std::net::IpAddr;

use media::relay::Side;
use media::sdp::{Anchor, SessionDescription};

use super::task::Call;

fn audio_index(s: &SessionDescription) -> Option<usize> {
    s.media
        .iter()
        .position(|m| m.kind.eq_ignore_ascii_case("audio") && m.port != 0)
}

impl Call {
    /// Whether an offer can be relayed: it parses and has an audio stream.
    pub(super) fn usable(&self, sdp: &str) -> bool {
        self.sdp_memo
            .parse(sdp)
            .is_some_and(|s| audio_index(&s).is_some())
    }

    /// Points the relay's `side` at what this SDP (from that side's peer) says, and records
    /// the codec it names first.
    pub(super) fn learn_media(&mut self, side: Side, sdp: &str) {
        self.try_learn_media(side, sdp);
    }

    fn try_learn_media(&mut self, side: Side, sdp: &str) -> Option<()> {
        let parsed = self.sdp_memo.parse(sdp)?;
        let index = audio_index(&parsed)?;
        let m = parsed.media.get(index)?;
        let rtp = parsed.remote_rtp(index)?;
        let rtcp = parsed.remote_rtcp(index).unwrap_or(rtp);
        let pts = m.payload_types();
        let first = pts.first().copied();
        let (codec, rate) = first
            .and_then(|pt| m.rtpmap(pt))
            .unwrap_or(("unknown", 8000));
        let event_pt = pts.iter().copied().find(|pt| {
            m.rtpmap(*pt)
                .is_some_and(|(name, _)| name.eq_ignore_ascii_case("telephone-event"))
        });
        if let Some(media) = &self.media {
            media.set_remote(side, rtp, rtcp, pts, rate);
            media.set_event_pt(side, event_pt);
        }
        let name = format!("{codec}/{rate}");
        match side {
            Side::A => self.record.codec_a = Some(name),
            Side::B => self.record.codec_b = Some(name),
        }
        Some(())
    }

    /// The offer for a callee on `side`, made from the caller's `sdp` as `anchored` does,
    /// with the codecs we can transcode to added after the caller's own.
    pub(super) fn anchored_offer(
        &self,
        anchor: &mut Anchor,
        side: Side,
        sent_by: &str,
        sdp: &str,
    ) -> Option<String> {
        let mut ours = self.rewritten(anchor, side, sent_by, sdp)?.clone();
        let extra = media::bridge::negotiate::offer_codecs(&[]);
        media::bridge::negotiate::append_codecs(&mut ours, &extra);
        Some(ours.to_string())
    }

    /// The SDP to send a leg on `side`, made from the other leg's `sdp`: our address, the
    /// relay port of `side`, origin kept per leg by `anchor`.
    pub(super) fn anchored(
        &self,
        anchor: &mut Anchor,
        side: Side,
        sent_by: &str,
        sdp: &str,
    ) -> Option<String> {
        Some(self.rewritten(anchor, side, sent_by, sdp)?.to_string())
    }

    fn rewritten<'a>(
        &self,
        anchor: &'a mut Anchor,
        side: Side,
        sent_by: &str,
        sdp: &str,
    ) -> Option<&'a SessionDescription> {
        let parsed = self.sdp_memo.parse(sdp)?;
        let ip: IpAddr = self.media_ip(sent_by)?;
        let port = self.media.as_ref()?.port(side);
        let audio = audio_index(&parsed);
        let ports: Vec<u16> = (0..parsed.media.len())
            .map(|i| if Some(i) == audio { port } else { 0 })
            .collect();
        Some(anchor.rewrite(&parsed, ip, &ports))
    }
}
