//! A browser's media for call tests: str0m as a full-ICE WebRTC client (`media`'s test peer)
//! on a loopback UDP socket, driven in real time; plus a plain RTP phone socket, tone
//! makers and a Goertzel reader to tell what each side heard.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use media::codec::{Codec, EncoderOptions, decoder, encoder};
use media::dtmf::{DtmfEvent, parse_event, write_event};
use media::webrtc::WebRtcOutput;
use media::webrtc::test_peer::TestPeer;
use tokio::net::UdpSocket;

/// A received media packet: payload type, sequence, timestamp, payload.
pub type Packet = (u8, u16, u32, Vec<u8>);

pub struct Browser {
    pub peer: TestPeer,
    pub sock: UdpSocket,
    pub local: SocketAddr,
    pub media: Vec<Packet>,
    pub connected: bool,
    pub failed: Option<String>,
    next_ts: u32,
    sent: u32,
}

impl Browser {
    /// A browser that calls: its offer (Opus, PCMU, telephone-event over DTLS-SRTP).
    pub async fn offering() -> (Browser, String) {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let local = sock.local_addr().unwrap();
        let (peer, offer) = TestPeer::offer(Instant::now(), local).unwrap();
        (Browser::new(peer, sock, local), offer)
    }

    /// A browser that is called: its answer to the server's offer.
    pub async fn answering(offer: &str) -> (Browser, String) {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let local = sock.local_addr().unwrap();
        let (peer, answer) = TestPeer::answer(Instant::now(), offer, local).unwrap();
        (Browser::new(peer, sock, local), answer)
    }

    fn new(peer: TestPeer, sock: UdpSocket, local: SocketAddr) -> Browser {
        Browser {
            peer,
            sock,
            local,
            media: Vec::new(),
            connected: false,
            failed: None,
            next_ts: 0,
            sent: 0,
        }
    }

    async fn flush(&mut self) {
        while let Some(out) = self.peer.poll() {
            match out {
                WebRtcOutput::Transmit { to, bytes, .. } => {
                    let _ = self.sock.send_to(&bytes, to).await;
                }
                WebRtcOutput::Media {
                    pt,
                    seq,
                    timestamp,
                    payload,
                    ..
                } => self.media.push((pt, seq, timestamp, payload)),
                WebRtcOutput::Connected => self.connected = true,
                WebRtcOutput::Failed(reason) => self.failed = Some(reason),
            }
        }
    }

    /// Runs the peer for `d`: datagrams in, timers, what it sends out.
    pub async fn run_for(&mut self, d: Duration) {
        let end = tokio::time::Instant::now() + d;
        let mut buf = vec![0u8; 2048];
        loop {
            self.flush().await;
            let wake = self
                .peer
                .poll_timeout()
                .map(tokio::time::Instant::from_std)
                .map_or(end, |t| t.min(end));
            tokio::select! {
                r = self.sock.recv_from(&mut buf) => {
                    if let Ok((n, from)) = r {
                        self.peer.handle_receive(Instant::now(), from, self.local, &buf[..n]);
                    }
                }
                () = tokio::time::sleep_until(wake) => {
                    if tokio::time::Instant::now() >= end {
                        self.flush().await;
                        return;
                    }
                    self.peer.handle_timeout(Instant::now());
                }
            }
        }
    }

    /// Runs until ICE and DTLS are up with the server (at most 5 s).
    pub async fn connect(&mut self) {
        for _ in 0..100 {
            if self.connected || self.failed.is_some() {
                break;
            }
            self.run_for(Duration::from_millis(50)).await;
        }
        assert!(
            self.connected,
            "browser media never connected: {:?}",
            self.failed
        );
    }

    /// Sends one 20 ms audio frame of the negotiated codec.
    pub fn send_frame(&mut self, payload: &[u8]) {
        let (codec, pt) = self.peer.audio().expect("no codec negotiated");
        let marker = self.sent == 0;
        self.peer
            .send_audio(Instant::now(), pt, self.next_ts, marker, payload)
            .unwrap();
        self.sent += 1;
        self.next_ts = self.next_ts.wrapping_add(codec.rtp_ticks_per_frame());
    }

    /// Skips one frame (a lost packet): the timestamp moves on.
    pub fn skip_frame(&mut self) {
        let (codec, _) = self.peer.audio().expect("no codec negotiated");
        self.sent += 1;
        self.next_ts = self.next_ts.wrapping_add(codec.rtp_ticks_per_frame());
    }

    /// Presses `digit`: RFC 4733 events at the negotiated telephone-event payload type,
    /// 100 ms long, three end packets, in real time.
    pub async fn press(&mut self, digit: char) {
        let pt = self.peer.telephone_event().expect("no telephone-event");
        let (codec, _) = self.peer.audio().expect("no codec");
        self.press_on(digit, pt, codec.rtp_ticks_per_frame()).await;
    }

    /// Presses `digit` as Chrome does next to Opus: on telephone-event/8000 (payload type
    /// 126), durations counted at 8000 Hz.
    pub async fn press_like_chrome(&mut self, digit: char) {
        self.press_on(digit, 126, 160).await;
    }

    /// Sends `digit` as RFC 4733 events on `pt`, `ticks` per 20 ms of its clock.
    async fn press_on(&mut self, digit: char, pt: u8, ticks: u32) {
        let ts = self.next_ts;
        for (i, end) in [false, false, false, false, true, true, true]
            .into_iter()
            .enumerate()
        {
            let steps = (i as u32 + 1).min(5);
            let duration = u16::try_from(steps * ticks).unwrap_or(u16::MAX);
            let mut payload = Vec::new();
            write_event(
                &DtmfEvent {
                    digit,
                    end,
                    volume: 10,
                    duration,
                },
                &mut payload,
            );
            self.peer
                .send_audio(Instant::now(), pt, ts, i == 0, &payload)
                .unwrap();
            self.run_for(Duration::from_millis(20)).await;
        }
        self.next_ts = ts.wrapping_add(5 * ticks);
    }

    /// The audio received, decoded to `rate`.
    pub fn heard(&self, rate: u32) -> Vec<i16> {
        let (codec, pt) = self.peer.audio().expect("no codec");
        decode_all(
            codec,
            rate,
            self.media
                .iter()
                .filter(|p| p.0 == pt)
                .map(|p| p.3.as_slice()),
        )
    }

    /// Digits received as telephone-events (one per key press).
    pub fn digits(&self) -> String {
        let Some(pt) = self.peer.telephone_event() else {
            return String::new();
        };
        digits_of(
            self.media
                .iter()
                .filter(|p| p.0 == pt)
                .map(|p| p.3.as_slice()),
        )
    }
}

/// Decodes payloads of `codec` to `rate`.
pub fn decode_all<'a>(
    codec: Codec,
    rate: u32,
    payloads: impl Iterator<Item = &'a [u8]>,
) -> Vec<i16> {
    let mut dec = decoder(codec, rate).unwrap();
    let mut pcm = Vec::new();
    for p in payloads {
        let _ = dec.decode(p, &mut pcm);
    }
    pcm
}

/// The digits of a telephone-event stream: one per event that ended.
pub fn digits_of<'a>(payloads: impl Iterator<Item = &'a [u8]>) -> String {
    let mut out = String::new();
    let mut ended = false;
    for event in payloads.filter_map(parse_event) {
        if event.end && !ended {
            out.push(event.digit);
        }
        ended = event.end;
    }
    out
}

/// 20 ms frames of a tone at `freq`, encoded with `codec`.
pub fn tone_frames(codec: Codec, freq: f64, frames: usize) -> Vec<Vec<u8>> {
    let rate = codec.pcm_rate();
    let mut enc = encoder(codec, rate, &EncoderOptions::default()).unwrap();
    let per = (rate / 50) as usize;
    (0..frames)
        .map(|i| {
            let pcm: Vec<i16> = (0..per)
                .map(|n| {
                    let t = (i * per + n) as f64 / f64::from(rate);
                    (8000.0 * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16
                })
                .collect();
            let mut out = Vec::new();
            enc.encode(&pcm, &mut out).unwrap();
            out
        })
        .collect()
}

pub fn goertzel(x: &[i16], freq: f64, rate: u32) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s = f64::from(v) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

/// The strongest frequency in `x` among 100 Hz steps from 200 to 3000 Hz.
pub fn dominant(x: &[i16], rate: u32) -> u32 {
    (2..=30)
        .map(|k| k * 100)
        .max_by(|a, b| {
            goertzel(x, f64::from(*a), rate).total_cmp(&goertzel(x, f64::from(*b), rate))
        })
        .unwrap_or(0)
}

/// A phone's plain RTP endpoint.
pub struct RtpPhone {
    pub sock: UdpSocket,
    seq: u16,
    ts: u32,
}

impl RtpPhone {
    pub async fn new() -> RtpPhone {
        RtpPhone {
            sock: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            seq: 1,
            ts: 0,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.sock.local_addr().unwrap()
    }

    /// Sends one RTP packet to `to`; `ticks` advance the timestamp after it.
    pub async fn send(&mut self, to: SocketAddr, pt: u8, marker: bool, payload: &[u8], ticks: u32) {
        let mut p = vec![0x80, if marker { 0x80 | pt } else { pt }];
        p.extend_from_slice(&self.seq.to_be_bytes());
        p.extend_from_slice(&self.ts.to_be_bytes());
        p.extend_from_slice(&0xfeed_beefu32.to_be_bytes());
        p.extend_from_slice(payload);
        self.sock.send_to(&p, to).await.unwrap();
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(ticks);
    }

    /// Everything that has arrived, as packets.
    pub fn drain(&self) -> Vec<Packet> {
        let mut buf = vec![0u8; 2048];
        let mut out = Vec::new();
        while let Ok((n, _)) = self.sock.try_recv_from(&mut buf) {
            if let Ok(h) = media::rtp::parse(&buf[..n]) {
                let payload = buf[h.payload_offset..h.payload_offset + h.payload_len].to_vec();
                out.push((h.payload_type, h.sequence, h.timestamp, payload));
            }
        }
        out
    }
}

/// The RTP address an SDP names (c= and m=audio).
pub fn sdp_rtp_addr(sdp: &str) -> SocketAddr {
    let ip = sdp
        .lines()
        .find_map(|l| l.trim().strip_prefix("c=IN IP4 "))
        .expect("no c= line")
        .trim();
    let port = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|m| m.split_whitespace().next())
        .expect("no m=audio");
    format!("{ip}:{port}").parse().unwrap()
}
