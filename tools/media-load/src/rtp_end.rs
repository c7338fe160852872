//! One plain phone's RTP for one call, at either end: a frame every 20 ms to the address the
//! far end's SDP gave, frames in, each timed for the frame accounting (send time right
//! before the system call, arrival as the kernel stamped it); the 100th frame in is decoded
//! to check it carries the far end's tone. SDES-SRTP when the leg is keyed.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use media::codec::decoder;
use media::srtp::SrtpSession;
use tokio::net::UdpSocket;
use tokio::sync::{oneshot, watch};

use crate::call::{Call, FRAME, next_tick, ticker};
use crate::rxtime;
use crate::scenario::{CALLEE_TONE_HZ, CALLER_TONE_HZ, PhoneMedia};
use crate::tone::{Tones, tone_share};

/// Which end of the call this phone is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Caller,
    Callee,
}

pub struct RtpEnd {
    pub end: End,
    pub media: PhoneMedia,
    /// Bound, with receive timestamps on (`rxtime::enable`).
    pub sock: UdpSocket,
    pub remote: SocketAddr,
    pub srtp: Option<SrtpSession>,
}

/// The received frame whose decoded audio is checked for the far end's tone.
const HEARD_AT: u64 = 100;
/// Frames decoded before it, so a stateful decoder (G.729) has settled.
const WARM_UP: u64 = 10;
/// A callee that heard nothing sends anyway after this (a server that waits for us first).
const SEND_ANYWAY: Duration = Duration::from_secs(3);

/// Runs until `stopped` fires or is dropped, or `stop` changes. A caller sends from the
/// start; a callee once the server's first frame came (the caller's leg is up by then).
pub async fn run(
    call: Rc<Call>,
    mut rtp: RtpEnd,
    tones: Rc<Tones>,
    epoch: Instant,
    mut stopped: oneshot::Receiver<()>,
    mut stop: watch::Receiver<bool>,
) {
    let (frames, phase, far_tone) = match rtp.end {
        End::Caller => (&tones.caller, call.phase, CALLEE_TONE_HZ),
        End::Callee => {
            let half = (call.phase + FRAME / 2).as_nanos() % FRAME.as_nanos();
            let phase = Duration::from_nanos(u64::try_from(half).unwrap_or(0));
            (&tones.callee, phase, CALLER_TONE_HZ)
        }
    };
    let (sent, received, heard) = match rtp.end {
        End::Caller => (&call.up, &call.down, &call.caller_heard),
        End::Callee => (&call.down, &call.up, &call.callee_heard),
    };
    let pt = rtp.media.payload_type();
    let ticks = rtp.media.codec.rtp_ticks_per_frame();
    let mut hearing = Hearing::new(rtp.media, far_tone);
    let mut buf = vec![0u8; 2048];
    let mut tick = (rtp.end == End::Caller).then(|| ticker(epoch, phase, Instant::now()));
    let ssrc: u32 = rand::random();
    let (mut seq, mut ts): (u16, u32) = (rand::random(), rand::random());
    let mut packet = Vec::with_capacity(12 + frames.first().map_or(0, Vec::len));
    let mut frame = 0usize;
    let fallback = tokio::time::sleep(SEND_ANYWAY);
    tokio::pin!(fallback);
    loop {
        tokio::select! {
            r = rxtime::recv_from(&rtp.sock, &mut buf) => {
                let Ok(r) = r else { continue };
                let Some(bytes) = buf.get(..r.len) else { continue };
                let clear = match rtp.srtp.as_mut() {
                    Some(s) if is_rtp(bytes) => match s.unprotect_rtp(bytes) {
                        Ok(clear) => {
                            call.decrypted.set(call.decrypted.get() + 1);
                            clear
                        }
                        Err(_) => continue,
                    },
                    _ => bytes.to_vec(),
                };
                let Some((got_pt, timestamp)) = rtp_pt_ts(&clear) else { continue };
                if got_pt != pt {
                    continue;
                }
                received.borrow_mut().on_receive(r.arrived, r.read, timestamp);
                let n = received.borrow().received;
                if let Some(verdict) = hearing.on_frame(n, rtp_payload(&clear)) {
                    heard.set(Some(verdict));
                }
                if tick.is_none() {
                    tick = Some(ticker(epoch, phase, r.read));
                }
            }
            _ = &mut fallback, if tick.is_none() => tick = Some(ticker(epoch, phase, Instant::now())),
            _ = next_tick(&mut tick) => {
                packet.clear();
                packet.extend_from_slice(&[0x80, if frame == 0 { 0x80 | pt } else { pt }]);
                packet.extend_from_slice(&seq.to_be_bytes());
                packet.extend_from_slice(&ts.to_be_bytes());
                packet.extend_from_slice(&ssrc.to_be_bytes());
                packet.extend_from_slice(frames.get(frame % frames.len().max(1)).map_or(&[][..], |f| f));
                let protected;
                let out = match rtp.srtp.as_mut() {
                    Some(s) => match s.protect_rtp(&packet) {
                        Ok(p) => {
                            protected = p;
                            &protected
                        }
                        Err(_) => continue,
                    },
                    None => &packet,
                };
                let now = Instant::now();
                // A full socket buffer or an ICMP error is a lost frame, which the stats show.
                let _ = rtp.sock.send_to(out, rtp.remote).await;
                sent.borrow_mut().on_send(now);
                frame += 1;
                seq = seq.wrapping_add(1);
                ts = ts.wrapping_add(ticks);
            }
            _ = &mut stopped => return,
            _ = stop.changed() => return,
        }
    }
}

/// Decodes the frames before `HEARD_AT` and judges that one: does it carry `hz`?
struct Hearing {
    media: PhoneMedia,
    hz: f64,
    decoder: Option<Box<dyn media::codec::Decoder>>,
    pcm: Vec<i16>,
}

impl Hearing {
    fn new(media: PhoneMedia, hz: f64) -> Hearing {
        Hearing {
            media,
            hz,
            decoder: None,
            pcm: Vec::new(),
        }
    }

    /// The `n`th frame received (from 1): Some(verdict) at `HEARD_AT`.
    fn on_frame(&mut self, n: u64, payload: &[u8]) -> Option<bool> {
        if n + WARM_UP < HEARD_AT || n > HEARD_AT {
            return None;
        }
        if self.decoder.is_none() {
            self.decoder = decoder(self.media.codec, 8000).ok();
        }
        let dec = self.decoder.as_mut()?;
        self.pcm.clear();
        let ok = dec.decode(payload, &mut self.pcm).is_ok();
        if n < HEARD_AT {
            return None;
        }
        self.decoder = None;
        Some(ok && tone_share(&self.pcm, 8000, self.hz) > 0.5)
    }
}

/// An RTP packet rather than RTCP muxed on the same port (RFC 5761 §4).
fn is_rtp(b: &[u8]) -> bool {
    b.first().is_some_and(|v| v >> 6 == 2)
        && b.get(1).is_some_and(|p| !(72..=76).contains(&(p & 0x7f)))
}

/// Payload type and timestamp of an RTP packet (not RTCP).
fn rtp_pt_ts(b: &[u8]) -> Option<(u8, u32)> {
    let head = b.get(..12)?;
    if !is_rtp(head) {
        return None;
    }
    let pt = head.get(1)? & 0x7f;
    let ts = u32::from_be_bytes([*head.get(4)?, *head.get(5)?, *head.get(6)?, *head.get(7)?]);
    Some((pt, ts))
}

/// An RTP packet's payload: after the CSRCs and the header extension, before any padding.
fn rtp_payload(b: &[u8]) -> &[u8] {
    let Some(&first) = b.first() else {
        return &[];
    };
    let mut start = 12 + 4 * usize::from(first & 0x0f);
    if first & 0x10 != 0 {
        let words = b
            .get(start + 2..start + 4)
            .and_then(|w| <[u8; 2]>::try_from(w).ok())
            .map_or(0, |w| usize::from(u16::from_be_bytes(w)));
        start += 4 + 4 * words;
    }
    let mut end = b.len();
    if first & 0x20 != 0 {
        end = end.saturating_sub(usize::from(b.last().copied().unwrap_or(0)));
    }
    b.get(start..end.max(start)).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_payload_past_csrcs_extension_and_padding() {
        // V=2, P=1, X=1, CC=1; one CSRC; extension of one word; payload [7, 8]; 2 pad bytes
        let mut p = vec![0xb1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        p.extend_from_slice(&[1, 2, 3, 4]);
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 5, 6, 7, 8]);
        p.extend_from_slice(&[7, 8, 0, 2]);
        assert_eq!(rtp_payload(&p), &[7, 8]);
        assert_eq!(rtp_pt_ts(&p), Some((0, 0)));
        assert!(!is_rtp(&[0x80, 200, 0, 0]));
    }
}
