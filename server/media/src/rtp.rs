//! The RTP fixed header (RFC 3550 §5.1): what the relay checks and counts. Payloads are
//! never touched.

use thiserror::Error;

/// Why a datagram is not an RTP (or RTCP) packet we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PacketError {
    #[error("packet too short ({0} bytes)")]
    TooShort(usize),
    #[error("RTP/RTCP version {0}, want 2")]
    Version(u8),
    #[error("CSRC list or header extension runs past the end")]
    Truncated,
    #[error("padding longer than the payload")]
    Padding,
}

/// The fields of an RTP header the relay uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Where the payload starts (after CSRCs and any header extension).
    pub payload_offset: usize,
    /// Payload bytes (without padding).
    pub payload_len: usize,
}

pub const HEADER_LEN: usize = 12;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// Parses the header of an RTP packet.
pub fn parse(b: &[u8]) -> Result<RtpHeader, PacketError> {
    let (Some(&first), Some(&second), Some(sequence), Some(timestamp), Some(ssrc)) =
        (b.first(), b.get(1), be16(b, 2), be32(b, 4), be32(b, 8))
    else {
        return Err(PacketError::TooShort(b.len()));
    };
    if first >> 6 != 2 {
        return Err(PacketError::Version(first >> 6));
    }
    let csrc_count = usize::from(first & 0x0f);
    let mut offset = HEADER_LEN + 4 * csrc_count;
    if first & 0x10 != 0 {
        // Extension: 16-bit profile id, 16-bit length in 32-bit words, then the words.
        let words = be16(b, offset + 2).ok_or(PacketError::Truncated)?;
        offset += 4 + 4 * usize::from(words);
    }
    if offset > b.len() {
        return Err(PacketError::Truncated);
    }
    let padding = if first & 0x20 != 0 {
        usize::from(*b.last().unwrap_or(&0))
    } else {
        0
    };
    let payload_len = (b.len() - offset)
        .checked_sub(padding)
        .ok_or(PacketError::Padding)?;
    Ok(RtpHeader {
        marker: second & 0x80 != 0,
        payload_type: second & 0x7f,
        sequence,
        timestamp,
        ssrc,
        payload_offset: offset,
        payload_len,
    })
}

/// True when the datagram looks like RTCP rather than RTP (RFC 5761 §4): packet types
/// 192..=223 (SR 200, RR 201, SDES, BYE, APP, feedback), i.e. the second byte with the
/// marker bit masked off in 64..=95 — payload types no RTP profile assigns.
pub fn is_rtcp(b: &[u8]) -> bool {
    b.len() >= 8
        && b.first().is_some_and(|v| v >> 6 == 2)
        && b.get(1).is_some_and(|pt| (64..=95).contains(&(pt & 0x7f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, pt];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn plain_header() {
        let p = packet(0x80 | 8, 65535, 0xdead_beef, 0x1234_5678, &[1; 160]);
        let h = parse(&p).unwrap_or_else(|e| panic!("{e}"));
        assert!(h.marker);
        assert_eq!(h.payload_type, 8);
        assert_eq!(h.sequence, 65535);
        assert_eq!(h.timestamp, 0xdead_beef);
        assert_eq!(h.ssrc, 0x1234_5678);
        assert_eq!((h.payload_offset, h.payload_len), (12, 160));
    }

    #[test]
    fn csrcs_extension_and_padding_are_skipped() {
        // 2 CSRCs, extension of 1 word, 3 bytes of padding.
        let mut p = packet(0, 1, 2, 3, &[]);
        p[0] = 0x80 | 0x20 | 0x10 | 2;
        p.extend_from_slice(&[0; 8]); // CSRCs
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 9, 9, 9, 9]); // extension
        p.extend_from_slice(&[7; 20]); // payload
        p.extend_from_slice(&[0, 0, 3]); // padding
        let h = parse(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.payload_offset, 12 + 8 + 8);
        assert_eq!(h.payload_len, 20);
    }

    #[test]
    fn damage_is_an_error() {
        assert_eq!(parse(&[0x80, 0, 0]), Err(PacketError::TooShort(3)));
        let mut p = packet(0, 1, 2, 3, &[0; 4]);
        p[0] = 0x40;
        assert_eq!(parse(&p), Err(PacketError::Version(1)));
        p[0] = 0x80 | 15; // 15 CSRCs that are not there
        assert_eq!(parse(&p), Err(PacketError::Truncated));
        p[0] = 0x90; // extension header cut short
        assert_eq!(parse(&p[..14]), Err(PacketError::Truncated));
        p[15] = 1; // extension claims one word, only the 4-byte header is there
        assert_eq!(parse(&p), Err(PacketError::Truncated));
        let mut padded = packet(0, 1, 2, 3, &[0, 0, 200]);
        padded[0] |= 0x20;
        assert_eq!(parse(&padded), Err(PacketError::Padding));
    }

    #[test]
    fn rtcp_is_told_apart() {
        assert!(is_rtcp(&[0x81, 200, 0, 6, 0, 0, 0, 1]));
        assert!(is_rtcp(&[0x81, 201, 0, 1, 0, 0, 0, 1]));
        assert!(is_rtcp(&[0x80, 223, 0, 1, 0, 0, 0, 1]));
        assert!(!is_rtcp(&packet(0, 1, 2, 3, &[])));
        assert!(!is_rtcp(&packet(0x80 | 101, 1, 2, 3, &[])));
        assert!(!is_rtcp(&packet(96, 1, 2, 3, &[])));
        assert!(!is_rtcp(&[0x81, 200, 0]));
    }
}
