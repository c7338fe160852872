//! One direction of the bridge: audio relayed (same codec) or transcoded, and DTMF events
//! moved from the source leg's clock to the destination's.

use std::collections::VecDeque;
use std::time::Instant;

use super::endpoint::Inbound;
use super::{Chosen, PathKind};
use crate::codec::{CodecError, EncoderOptions};
use crate::dtmf::{DtmfTranslator, parse_event, write_event};
use crate::transcode::{OutFrame, Transcoder};

pub(super) struct Path {
    src: Chosen,
    dst: Chosen,
    audio: Audio,
    dtmf: DtmfTranslator,
    /// The clock of the events `dtmf` translates from (the sender's event payload type).
    dtmf_clock: u32,
    /// Output timestamp of the event being translated (all its packets share it).
    event_ts: u32,
}

enum Audio {
    /// Payloads pass unchanged; timestamps count from the first frame.
    Relay {
        first: Option<u32>,
        ready: VecDeque<OutFrame>,
    },
    Transcode(Box<Transcoder>),
}

/// A translated DTMF packet for the destination leg.
pub(super) struct EventPacket {
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Vec<u8>,
}

pub(super) struct DtmfOut {
    /// The digit, once per key press, when its end arrives.
    pub digit_done: Option<char>,
    pub packet: Option<EventPacket>,
}

impl Path {
    pub fn new(src: Chosen, dst: Chosen, options: &EncoderOptions) -> Result<Path, CodecError> {
        let audio = if src.codec == dst.codec {
            Audio::Relay {
                first: None,
                ready: VecDeque::new(),
            }
        } else {
            Audio::Transcode(Box::new(Transcoder::new(src.codec, dst.codec, options)?))
        };
        Ok(Path {
            src,
            dst,
            audio,
            dtmf: DtmfTranslator::new(src.codec.rtp_clock(), dst.codec.rtp_clock()),
            dtmf_clock: src.codec.rtp_clock(),
            event_ts: 0,
        })
    }

    /// Whether this path already joins these two negotiated codecs (a re-INVITE that
    /// changed nothing keeps the path and its state).
    pub fn joins(&self, src: Chosen, dst: Chosen) -> bool {
        self.src == src && self.dst == dst
    }

    pub fn kind(&self) -> PathKind {
        match self.audio {
            Audio::Relay { .. } => PathKind::Relay,
            Audio::Transcode(_) => PathKind::Transcode,
        }
    }

    pub fn push(&mut self, now: Instant, frame: &Inbound) {
        match &mut self.audio {
            Audio::Relay { first, ready } => {
                let first = *first.get_or_insert(frame.timestamp);
                // A relay keeps at most a few frames: the driver drains after every push.
                if ready.len() < 16 {
                    ready.push_back(OutFrame {
                        payload: frame.payload.clone(),
                        timestamp: frame.timestamp.wrapping_sub(first),
                        marker: frame.marker,
                    });
                }
            }
            Audio::Transcode(t) => t.push(now, frame.seq, frame.timestamp, &frame.payload),
        }
    }

    pub fn poll_output(&mut self, now: Instant) -> Option<OutFrame> {
        match &mut self.audio {
            Audio::Relay { ready, .. } => ready.pop_front(),
            Audio::Transcode(t) => t.poll_output(now),
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.audio {
            Audio::Relay { .. } => None,
            Audio::Transcode(t) => t.poll_timeout(),
        }
    }

    /// A telephone-event packet from the source leg. `next_ts`: the destination stream's
    /// timestamp now, which a new event takes.
    /// `clock` is the RTP clock of the payload type the event came on: durations are in its
    /// units.
    pub fn dtmf(&mut self, frame: &Inbound, clock: u32, next_ts: u32) -> Option<DtmfOut> {
        let event = parse_event(&frame.payload)?;
        if clock != self.dtmf_clock {
            self.dtmf = DtmfTranslator::new(clock, self.dst.codec.rtp_clock());
            self.dtmf_clock = clock;
        }
        let translated = self.dtmf.translate(frame.timestamp, &event)?;
        if translated.new_event {
            self.event_ts = next_ts;
        }
        let mut payload = Vec::with_capacity(4);
        write_event(&translated.event, &mut payload);
        Some(DtmfOut {
            digit_done: translated.digit_done,
            packet: self.dst.telephone_event.map(|_| EventPacket {
                timestamp: self.event_ts,
                marker: translated.new_event,
                payload,
            }),
        })
    }
}
