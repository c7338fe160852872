//! The browser-like caller (opus-pcmu): SIP over WebSocket (`ua`) with digest REGISTER and
//! INVITE, and a full-ICE str0m peer (Opus, DTLS-SRTP) on its own UDP socket sending one Opus frame
//! every 20 ms once connected.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use media::codec::Codec;
use media::webrtc::{TestPeer, WebRtcOutput};
use tokio::net::UdpSocket;
use tokio::sync::{oneshot, watch};
use tokio::time::sleep_until;

use crate::call::{Call, next_tick, ticker};
use crate::rxtime;
use crate::tone::Tones;
use crate::ua::{Target, Ua};

/// One browser call: REGISTER, INVITE, media until `stop`, BYE. `setup` is told once the
/// call is answered (`caller::run` reports errors).
pub async fn call(
    call: &Rc<Call>,
    target: &Target,
    tones: &Tones,
    epoch: Instant,
    setup: &mut Option<oneshot::Sender<Result<()>>>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut ua = Ua::websocket(target, call.id).await?;
    ua.register(target).await?;

    let sock = UdpSocket::bind("127.0.0.1:0").await?;
    rxtime::enable(&sock)?;
    let local = sock.local_addr()?;
    let (mut peer, offer) =
        TestPeer::offer(Instant::now(), local).map_err(|e| anyhow!("WebRTC offer: {e}"))?;
    let (dialog, answer) = ua.invite(target, &opus_only(&offer)).await?;
    let answer = with_bundle(&answer);
    if std::env::var_os("MEDIA_LOAD_DEBUG").is_some() && call.id == 0 {
        eprintln!(
            "--- offer sent\n{}\n--- answer\n{answer}",
            opus_only(&offer)
        );
    }
    peer.accept_answer(Instant::now(), &answer)
        .map_err(|e| anyhow!("WebRTC answer: {e}; the answer was:\n{answer}"))?;
    let pt = match peer.audio() {
        Some((Codec::Opus, pt)) => pt,
        other => bail!("the answer chose {other:?}, not Opus; the answer was:\n{answer}"),
    };
    if let Some(s) = setup.take() {
        let _ = s.send(Ok(()));
    }

    let mut buf = vec![0u8; 2048];
    let mut tick = None;
    let mut frame: u32 = 0;
    let mut hung_up_by_server = false;
    loop {
        drain(&mut peer, &sock, call, &mut tick, epoch, pt).await?;
        let wake = peer
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_millis(100));
        tokio::select! {
            r = rxtime::recv_from(&sock, &mut buf) => {
                let r = r?;
                if let Some(bytes) = buf.get(..r.len) {
                    // Timed from the SRTP header, which is in the clear: str0m only surfaces
                    // packets whose SSRC was signalled (a=ssrc) or that carry the mid header
                    // extension, and rtpengine's answer has neither (a browser takes them).
                    if let Some(ts) = srtp_timestamp(bytes, pt) {
                        call.down.borrow_mut().on_receive(r.arrived, r.read, ts);
                    }
                    peer.handle_receive(r.read, r.from, local, bytes);
                }
                drain(&mut peer, &sock, call, &mut tick, epoch, pt).await?;
            }
            _ = sleep_until(wake.into()) => peer.handle_timeout(Instant::now()),
            at = next_tick(&mut tick) => {
                let payload = tones.caller.get(frame as usize % tones.caller.len().max(1)).map_or(&[][..], |p| p);
                let now = Instant::now().max(at);
                peer.send_audio(now, pt, frame.wrapping_mul(960), frame == 0, payload)
                    .map_err(|e| anyhow!("send_audio: {e}"))?;
                frame = frame.wrapping_add(1);
            }
            req = ua.next_request() => {
                let req = req.map_err(|e| anyhow!("during the call: {e:#}"))?;
                ua.answer_request(&req).await?;
                if req.method() == Some("BYE") {
                    hung_up_by_server = true;
                    break;
                }
            }
            _ = stop.changed() => break,
        }
    }
    if hung_up_by_server {
        bail!("the server hung up (BYE)");
    }
    ua.bye(&dialog).await?;
    ua.close().await;
    Ok(())
}

/// Sends what the peer wants sent (timing our audio frames as they leave) and starts the
/// 20 ms ticker once the peer is connected.
async fn drain(
    peer: &mut TestPeer,
    sock: &UdpSocket,
    call: &Call,
    tick: &mut Option<tokio::time::Interval>,
    epoch: Instant,
    pt: u8,
) -> Result<()> {
    while let Some(out) = peer.poll() {
        match out {
            WebRtcOutput::Transmit { to, bytes, .. } => {
                // an audio frame's send time is when its datagram goes to the kernel, not
                // when str0m queued it
                let now = Instant::now();
                send_to(sock, &bytes, to).await;
                if srtp_timestamp(&bytes, pt).is_some() {
                    call.up.borrow_mut().on_send(now);
                }
            }
            WebRtcOutput::Media { .. } => call.decrypted.set(call.decrypted.get() + 1),
            WebRtcOutput::Connected => {
                if tick.is_none() {
                    *tick = Some(ticker(epoch, call.phase, Instant::now()));
                }
            }
            WebRtcOutput::Failed(why) => bail!("WebRTC leg failed: {why}"),
        }
    }
    Ok(())
}

async fn send_to(sock: &UdpSocket, bytes: &[u8], to: SocketAddr) {
    // A full socket buffer or an ICMP error is a lost packet, which the stats will show.
    let _ = sock.send_to(bytes, to).await;
}

/// The test peer offers Opus and PCMU; a gateway that sees PCMU on both sides would just
/// relay it, so the offer keeps Opus alone (what the transcoding scenario needs).
fn opus_only(offer: &str) -> String {
    let opus_pt = offer.lines().find_map(|l| {
        let rest = l.strip_prefix("a=rtpmap:")?;
        let (pt, enc) = rest.split_once(' ')?;
        enc.to_ascii_lowercase()
            .starts_with("opus/")
            .then(|| pt.to_string())
    });
    let Some(opus_pt) = opus_pt else {
        return offer.to_string();
    };
    let per_pt = ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"];
    let mut out = String::with_capacity(offer.len());
    for line in offer.lines() {
        if line.starts_with("m=audio ") {
            let f: Vec<&str> = line.split(' ').collect();
            out.push_str(&f.iter().take(3).copied().collect::<Vec<_>>().join(" "));
            out.push(' ');
            out.push_str(&opus_pt);
        } else if let Some(p) = per_pt.iter().find_map(|p| line.strip_prefix(p)) {
            if p.split([' ', ':']).next() != Some(opus_pt.as_str()) {
                continue;
            }
            out.push_str(line);
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    out
}

/// str0m wants `a=group:BUNDLE` in an answer with a=mid; rtpengine leaves it out (browsers
/// accept that), so add it back.
fn with_bundle(answer: &str) -> String {
    if answer.contains("a=group:BUNDLE") {
        return answer.to_string();
    }
    let Some(mid) = answer.lines().find_map(|l| l.strip_prefix("a=mid:")) else {
        return answer.to_string();
    };
    let mut out = String::with_capacity(answer.len() + 32);
    let mut added = false;
    for line in answer.lines() {
        if !added && line.starts_with("m=") {
            out.push_str(&format!("a=group:BUNDLE {}\r\n", mid.trim()));
            added = true;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// The RTP timestamp of an SRTP packet of payload type `pt` (STUN, DTLS and RTCP: None).
fn srtp_timestamp(b: &[u8], pt: u8) -> Option<u32> {
    let head = b.get(..12)?;
    if head.first()? >> 6 != 2 || head.get(1)? & 0x7f != pt {
        return None;
    }
    Some(u32::from_be_bytes([
        *head.get(4)?,
        *head.get(5)?,
        *head.get(6)?,
        *head.get(7)?,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_keeps_opus_alone_and_answer_gets_bundle() {
        let offer = "v=0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 101\r\n\
            a=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10\r\n\
            a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";
        let out = opus_only(offer);
        assert!(out.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
        assert!(out.contains("a=fmtp:111 minptime=10"));
        assert!(
            !out.contains("PCMU") && !out.contains("telephone-event") && !out.contains("fmtp:101")
        );
        let answer = "v=0\r\nt=0 0\r\nm=audio 30000 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n";
        assert!(with_bundle(answer).contains("t=0 0\r\na=group:BUNDLE 0\r\nm=audio"));
    }
}
