//! DTMF as RFC 4733 telephone-events: the 4-byte event payload, carrying events across a
//! transcoded call (the two legs' RTP clocks differ: 8000 on a trunk, 48000 on WebRTC), and
//! sending a digit that arrived by SIP INFO (`application/dtmf-relay`) as RTP events.
//!
//! A digit is one event: packets sharing one RTP timestamp, the first with the marker bit,
//! their duration growing, and the last (E bit) sent three times for robustness.

use std::time::{Duration, Instant};

/// Packet interval of an event being sent.
const INTERVAL: Duration = Duration::from_millis(20);
/// How many times the end packet is sent (RFC 4733 section 2.5.1.4).
const END_REPEATS: u8 = 3;
/// Volume of the events we originate: -10 dBm0, a common DTMF level.
const SEND_VOLUME: u8 = 10;
/// A digit shorter than this may not be detected by the far end's receiver.
const MIN_DIGIT_MS: u32 = 40;
const DEFAULT_DIGIT_MS: u32 = 250;
const MAX_DIGIT_MS: u32 = 8_000;

/// One RFC 4733 DTMF event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfEvent {
    /// `0`-`9`, `*`, `#`, `A`-`D`.
    pub digit: char,
    /// The E bit: the event has ended.
    pub end: bool,
    /// Power level in -dBm0, 0..=63.
    pub volume: u8,
    /// Duration so far, in RTP clock ticks.
    pub duration: u16,
}

/// Parses the first event of a telephone-event payload; `None` if short or not a DTMF digit
/// (events 16 and up are tones and line signals we do not carry).
pub fn parse_event(payload: &[u8]) -> Option<DtmfEvent> {
    let [code, flags, d0, d1, ..] = *payload else {
        return None;
    };
    Some(DtmfEvent {
        digit: code_digit(code)?,
        end: flags & 0x80 != 0,
        volume: flags & 0x3f,
        duration: u16::from_be_bytes([d0, d1]),
    })
}

/// Appends the 4-byte payload of `e`; the R bit is 0 and the volume is cut to 6 bits.
/// A digit that has no code is written as `0`.
pub fn write_event(e: &DtmfEvent, out: &mut Vec<u8>) {
    let code = digit_code(e.digit).unwrap_or(0);
    let flags = if e.end { 0x80 } else { 0 } | (e.volume & 0x3f);
    out.push(code);
    out.push(flags);
    out.extend_from_slice(&e.duration.to_be_bytes());
}

/// The RFC 4733 event code of a DTMF digit (`a`-`d` accepted for `A`-`D`).
pub fn digit_code(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(c as u8 - b'A' + 12),
        'a'..='d' => Some(c as u8 - b'a' + 12),
        _ => None,
    }
}

/// The digit of an RFC 4733 event code 0..=15.
pub fn code_digit(code: u8) -> Option<char> {
    match code {
        0..=9 => Some(char::from(b'0' + code)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + code - 12)),
        _ => None,
    }
}

/// What to send on the output leg for one input event packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranslatedEvent {
    /// The first packet of a new event: set the marker bit and take a new output timestamp.
    pub new_event: bool,
    /// The event with its duration scaled to the output clock.
    pub event: DtmfEvent,
    /// The digit, once per digit, at the first end packet (for the PBX: IVR, features).
    pub digit_done: Option<char>,
}

/// Rewrites the events of one stream (clock `from`) for another (clock `to`).
#[derive(Debug, Clone)]
pub struct DtmfTranslator {
    from: u32,
    to: u32,
    /// The event in progress: its input timestamp and whether its end was seen.
    current: Option<(u32, bool)>,
}

impl DtmfTranslator {
    pub fn new(from: u32, to: u32) -> Self {
        DtmfTranslator {
            from: from.max(1),
            to,
            current: None,
        }
    }

    /// `None` for a packet of an event that is over (a reordered packet of an earlier event,
    /// or a non-end packet after the end).
    pub fn translate(&mut self, in_timestamp: u32, event: &DtmfEvent) -> Option<TranslatedEvent> {
        let new_event = match self.current {
            None => true,
            Some((ts, ended)) => {
                let ahead = in_timestamp.wrapping_sub(ts) as i32;
                if ahead < 0 || (ahead == 0 && ended && !event.end) {
                    return None;
                }
                ahead > 0
            }
        };
        let ended_before = !new_event && self.current.is_some_and(|(_, ended)| ended);
        self.current = Some((in_timestamp, ended_before || event.end));
        let scaled = u64::from(event.duration) * u64::from(self.to) / u64::from(self.from);
        Some(TranslatedEvent {
            new_event,
            event: DtmfEvent {
                duration: u16::try_from(scaled).unwrap_or(u16::MAX),
                ..*event
            },
            digit_done: (event.end && !ended_before).then_some(event.digit),
        })
    }
}

/// Sends one digit as RFC 4733 packets: one every 20 ms with the duration so far, then the
/// end packet three times. Poll-driven: `poll(now)` returns each packet once it is due.
#[derive(Debug, Clone)]
pub struct DtmfSender {
    digit: char,
    /// Total duration in clock ticks.
    total: u32,
    /// Ticks per 20 ms.
    step: u32,
    /// When the next packet is due.
    due: Instant,
    /// Packets sent before the end packets.
    sent: u32,
    ends_sent: u8,
}

impl DtmfSender {
    /// `None` if `digit` is not a DTMF digit. The duration is kept to 40 ms..8 s and to what
    /// the 16-bit duration field holds at `clock`.
    pub fn new(digit: char, duration_ms: u32, clock: u32, now: Instant) -> Option<Self> {
        digit_code(digit)?;
        let digit = digit.to_ascii_uppercase();
        let ms = duration_ms.clamp(MIN_DIGIT_MS, MAX_DIGIT_MS);
        let total = (u64::from(ms) * u64::from(clock) / 1000).min(u64::from(u16::MAX));
        let step = clock / 50;
        Some(DtmfSender {
            digit,
            total: total as u32,
            step: step.max(1),
            due: now,
            sent: 0,
            ends_sent: 0,
        })
    }

    /// The next due packet, if any (call again until `None`). The first packet of the event
    /// is the one to send with the marker bit; all share the event's RTP timestamp.
    pub fn poll(&mut self, now: Instant) -> Option<DtmfEvent> {
        if self.is_done() || now < self.due {
            return None;
        }
        self.due += INTERVAL;
        let so_far = self.step.saturating_mul(self.sent + 1);
        let (end, duration) = if so_far >= self.total {
            self.ends_sent += 1;
            (true, self.total)
        } else {
            self.sent += 1;
            (false, so_far)
        };
        Some(DtmfEvent {
            digit: self.digit,
            end,
            volume: SEND_VOLUME,
            duration: u16::try_from(duration).unwrap_or(u16::MAX),
        })
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.is_done()).then_some(self.due)
    }

    pub fn is_done(&self) -> bool {
        self.ends_sent >= END_REPEATS
    }
}

/// Parses an `application/dtmf-relay` SIP INFO body (`Signal=5\r\nDuration=160`): the digit
/// and its duration in ms (250 when absent or unreadable). Keys are case-insensitive,
/// spaces and bare LF are tolerated; a signal other than one DTMF digit is refused.
pub fn parse_dtmf_relay(body: &str) -> Option<(char, u32)> {
    let mut signal = None;
    let mut duration = None;
    for line in body.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "signal" => {
                let mut chars = value.chars();
                let (Some(c), None) = (chars.next(), chars.next()) else {
                    return None;
                };
                digit_code(c)?;
                signal = Some(c.to_ascii_uppercase());
            }
            "duration" => duration = value.parse::<u32>().ok().filter(|&ms| ms > 0),
            _ => {}
        }
    }
    Some((signal?, duration.unwrap_or(DEFAULT_DIGIT_MS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGITS: &str = "0123456789*#ABCD";

    #[test]
    fn digit_codes_follow_rfc_4733() {
        for (code, digit) in DIGITS.chars().enumerate() {
            assert_eq!(digit_code(digit), Some(code as u8), "{digit}");
            assert_eq!(code_digit(code as u8), Some(digit));
        }
        assert_eq!(digit_code('b'), Some(13));
        assert_eq!(digit_code('E'), None);
        assert_eq!(digit_code('x'), None);
        assert_eq!(code_digit(16), None);
        assert_eq!(code_digit(255), None);
    }

    #[test]
    fn event_payload_known_bytes() {
        // Digit 5, end, volume 10, duration 1600: 05 8a 06 40.
        let e = DtmfEvent {
            digit: '5',
            end: true,
            volume: 10,
            duration: 1600,
        };
        let mut out = Vec::new();
        write_event(&e, &mut out);
        assert_eq!(out, [0x05, 0x8a, 0x06, 0x40]);
        assert_eq!(parse_event(&out), Some(e));

        // '#', not end, volume 63, the R bit set by the sender is ignored.
        let e = DtmfEvent {
            digit: '#',
            end: false,
            volume: 63,
            duration: 160,
        };
        assert_eq!(parse_event(&[0x0b, 0x7f, 0x00, 0xa0]), Some(e));
        let mut out = Vec::new();
        write_event(&DtmfEvent { volume: 0xff, ..e }, &mut out);
        assert_eq!(out, [0x0b, 0x3f, 0x00, 0xa0]);
    }

    #[test]
    fn bad_payloads_are_refused() {
        assert_eq!(parse_event(&[]), None);
        assert_eq!(parse_event(&[1, 0x80, 0]), None);
        // Event 16 (dial tone...) is not a DTMF digit.
        assert_eq!(parse_event(&[16, 0x80, 0, 160]), None);
    }

    fn ev(digit: char, end: bool, duration: u16) -> DtmfEvent {
        DtmfEvent {
            digit,
            end,
            volume: 10,
            duration,
        }
    }

    #[test]
    fn translator_scales_and_reports_each_digit_once() {
        let mut t = DtmfTranslator::new(8_000, 48_000);
        // Digit 1 at input timestamp 1000: three updates, then the end three times.
        let mut out = Vec::new();
        for (ts, e) in [
            (1_000, ev('1', false, 160)),
            (1_000, ev('1', false, 320)),
            (1_000, ev('1', false, 480)),
            (1_000, ev('1', true, 640)),
            (1_000, ev('1', true, 640)),
            (1_000, ev('1', true, 640)),
            // Digit 2: a new timestamp is a new event.
            (3_000, ev('2', false, 160)),
            (3_000, ev('2', true, 800)),
            (3_000, ev('2', true, 800)),
        ] {
            out.push(t.translate(ts, &e));
        }
        let got: Vec<(bool, u16, bool, Option<char>)> = out
            .iter()
            .flatten()
            .map(|r| (r.new_event, r.event.duration, r.event.end, r.digit_done))
            .collect();
        assert_eq!(
            got,
            [
                (true, 960, false, None),
                (false, 1_920, false, None),
                (false, 2_880, false, None),
                (false, 3_840, true, Some('1')),
                (false, 3_840, true, None),
                (false, 3_840, true, None),
                (true, 960, false, None),
                (false, 4_800, true, Some('2')),
                (false, 4_800, true, None),
            ]
        );
    }

    #[test]
    fn translator_down_and_stale_packets() {
        let mut t = DtmfTranslator::new(48_000, 8_000);
        let r = t.translate(90_000, &ev('#', false, 960));
        assert_eq!(
            r.map(|r| (r.new_event, r.event.duration)),
            Some((true, 160))
        );
        // The end is lost; the first packet we see of it still reports the digit.
        let r = t.translate(90_000, &ev('#', true, 4_800));
        assert_eq!(
            r.map(|r| (r.event.duration, r.digit_done)),
            Some((800, Some('#')))
        );
        // A reordered update after the end, and a packet of an older event: dropped.
        assert_eq!(t.translate(90_000, &ev('#', false, 1_920)), None);
        assert_eq!(t.translate(89_000, &ev('4', true, 960)), None);
        // Timestamps wrap.
        let mut w = DtmfTranslator::new(48_000, 8_000);
        assert!(w.translate(u32::MAX - 500, &ev('7', true, 960)).is_some());
        let r = w.translate(200, &ev('8', false, 960));
        assert_eq!(r.map(|r| r.new_event), Some(true));
        // Saturates instead of wrapping the 16-bit duration.
        let mut up = DtmfTranslator::new(8_000, 48_000);
        let r = up.translate(0, &ev('9', false, 40_000));
        assert_eq!(r.map(|r| r.event.duration), Some(u16::MAX));
    }

    #[test]
    fn sender_paces_packets_and_ends_three_times() {
        let base = Instant::now();
        let at = |ms| base + Duration::from_millis(ms);
        let mut s = DtmfSender::new('9', 100, 8_000, base).unwrap_or_else(|| panic!("digit"));
        let mut sent = Vec::new();
        // Drive it on a 5 ms virtual clock.
        for ms in (0..300).step_by(5) {
            while let Some(e) = s.poll(at(ms)) {
                assert_eq!((e.digit, e.volume), ('9', SEND_VOLUME));
                sent.push((ms, e.end, e.duration));
            }
        }
        assert_eq!(
            sent,
            [
                (0, false, 160),
                (20, false, 320),
                (40, false, 480),
                (60, false, 640),
                (80, true, 800),
                (100, true, 800),
                (120, true, 800),
            ]
        );
        assert!(s.is_done());
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn sender_catches_up_and_respects_limits() {
        let base = Instant::now();
        let mut s = DtmfSender::new('a', 10, 48_000, base).unwrap_or_else(|| panic!("digit"));
        assert_eq!(s.poll_timeout(), Some(base));
        // Polled late: everything due comes out at once; 10 ms is raised to 40 ms.
        let all: Vec<_> = std::iter::from_fn(|| s.poll(base + Duration::from_secs(1))).collect();
        let durations: Vec<_> = all.iter().map(|e| (e.digit, e.end, e.duration)).collect();
        assert_eq!(
            durations,
            [
                ('A', false, 960),
                ('A', true, 1_920),
                ('A', true, 1_920),
                ('A', true, 1_920)
            ]
        );
        // 5 s at 48 kHz does not fit 16 bits: held at the maximum.
        let mut long = DtmfSender::new('1', 5_000, 48_000, base).unwrap_or_else(|| panic!("1"));
        let last = std::iter::from_fn(|| long.poll(base + Duration::from_secs(10))).last();
        assert_eq!(last.map(|e| (e.end, e.duration)), Some((true, u16::MAX)));
        assert!(DtmfSender::new('x', 100, 8_000, base).is_none());
    }

    #[test]
    fn dtmf_relay_bodies() {
        for (body, want) in [
            ("Signal=5\r\nDuration=160\r\n", Some(('5', 160))),
            ("Signal=5\r\nDuration=160", Some(('5', 160))),
            ("signal = *\nduration = 100\n", Some(('*', 100))),
            ("Signal=#\r\n", Some(('#', 250))),
            ("Signal= d\r\nDuration=abc\r\n", Some(('D', 250))),
            ("Duration=200\r\nSignal=0\r\n", Some(('0', 200))),
            ("Signal=E\r\nDuration=160", None),
            ("Signal=10\r\nDuration=160", None),
            ("Signal=\r\nDuration=160", None),
            ("Duration=160", None),
            ("", None),
        ] {
            assert_eq!(parse_dtmf_relay(body), want, "{body:?}");
        }
    }
}
