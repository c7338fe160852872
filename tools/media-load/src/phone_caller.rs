//! A plain phone as the caller (pcmu-g729, srtp-relay): SIP over a UDP socket of its own
//! (`ua`), an INVITE offering its one codec on RTP/AVP, or on RTP/SAVP with an SDES key,
//! then its RTP (`rtp_end`) until `stop`, and BYE.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use media::srtp::{CryptoAttribute, CryptoSuite, SrtpSession};
use tokio::net::UdpSocket;
use tokio::sync::{oneshot, watch};

use crate::call::Call;
use crate::rtp_end::{self, End, RtpEnd};
use crate::rxtime;
use crate::scenario::PhoneMedia;
use crate::sip::sdp_audio_addr;
use crate::tone::Tones;
use crate::ua::{Target, Ua};

/// One phone call: INVITE, media until `stop` (or the server's BYE), BYE. `setup` is told
/// once the call is answered (`caller::run` reports errors).
pub async fn call(
    call: &Rc<Call>,
    media: PhoneMedia,
    target: &Target,
    tones: &Rc<Tones>,
    epoch: Instant,
    setup: &mut Option<oneshot::Sender<Result<()>>>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut ua = Ua::udp(target, call.id).await?;
    let sock = UdpSocket::bind("127.0.0.1:0").await?;
    rxtime::enable(&sock)?;
    let key = media.srtp.then(|| {
        CryptoAttribute::generate(
            1,
            CryptoSuite::AesCm128HmacSha1_80,
            &mut |b: &mut [u8]| rand::fill(b),
        )
    });
    let offer = media.sdp(sock.local_addr()?.port(), key.as_ref());
    let (dialog, answer) = ua.invite(target, &offer).await?;
    if std::env::var_os("MEDIA_LOAD_DEBUG").is_some() && call.id == 0 {
        eprintln!("--- offer sent\n{offer}\n--- answer\n{answer}");
    }
    let (ip, port, pts) =
        sdp_audio_addr(&answer).ok_or_else(|| anyhow!("no audio in the answer:\n{answer}"))?;
    if !pts.contains(&media.payload_type()) {
        bail!(
            "the answer chose {pts:?}, not {}; the answer was:\n{answer}",
            media.codec.name()
        );
    }
    let srtp = match &key {
        Some(ours) => {
            let theirs = crypto_line(&answer)
                .ok_or_else(|| anyhow!("the answer to RTP/SAVP has no a=crypto:\n{answer}"))?;
            let theirs = CryptoAttribute::parse(theirs)
                .map_err(|e| anyhow!("the answer's a=crypto: {e}"))?;
            Some(SrtpSession::new(ours, &theirs).map_err(|e| anyhow!("SRTP: {e}"))?)
        }
        None => None,
    };
    if let Some(s) = setup.take() {
        let _ = s.send(Ok(()));
    }

    let (_stop_media, media_stopped) = oneshot::channel::<()>();
    let rtp = RtpEnd {
        end: End::Caller,
        media,
        sock,
        remote: SocketAddr::new(ip, port),
        srtp,
    };
    tokio::task::spawn_local(rtp_end::run(
        call.clone(),
        rtp,
        tones.clone(),
        epoch,
        media_stopped,
        stop.clone(),
    ));
    loop {
        tokio::select! {
            req = ua.next_request() => {
                let req = req.map_err(|e| anyhow!("during the call: {e:#}"))?;
                ua.answer_request(&req).await?;
                if req.method() == Some("BYE") {
                    bail!("the server hung up (BYE)");
                }
            }
            _ = stop.changed() => break,
        }
    }
    ua.bye(&dialog).await
}

/// The value of the first `a=crypto:` line.
fn crypto_line(sdp: &str) -> Option<&str> {
    sdp.lines().find_map(|l| l.trim().strip_prefix("a=crypto:"))
}
