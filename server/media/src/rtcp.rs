//! RTCP sender and receiver reports (RFC 3550 §6.4): the report blocks in which a peer tells
//! us how the stream we send it arrives. Other packet types in a compound packet are skipped.

use crate::rtp::PacketError;

const SR: u8 = 200;
const RR: u8 = 201;

/// One reception report block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The SSRC of the stream this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, in 1/256 units.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed: duplicates can make it negative).
    pub cumulative_lost: i32,
    pub highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    pub last_sr: u32,
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// Jitter in milliseconds for a stream with `clock_rate` Hz timestamps.
    pub fn jitter_ms(&self, clock_rate: u32) -> f64 {
        if clock_rate == 0 {
            return 0.0;
        }
        f64::from(self.jitter) * 1000.0 / f64::from(clock_rate)
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

fn block(b: &[u8], at: usize) -> Option<ReportBlock> {
    let lost_word = be32(b, at + 4)?;
    // Sign-extend the 24-bit cumulative count.
    let cumulative_lost = ((lost_word << 8) as i32) >> 8;
    Some(ReportBlock {
        ssrc: be32(b, at)?,
        fraction_lost: (lost_word >> 24) as u8,
        cumulative_lost,
        highest_sequence: be32(b, at + 8)?,
        jitter: be32(b, at + 12)?,
        last_sr: be32(b, at + 16)?,
        delay_since_last_sr: be32(b, at + 20)?,
    })
}

/// The report blocks of every SR and RR in a (compound) RTCP packet, in order.
/// A packet whose length field runs past the datagram is an error.
pub fn report_blocks(b: &[u8]) -> Result<Vec<ReportBlock>, PacketError> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let (Some(&first), Some(&pt), Some(&hi), Some(&lo)) =
            (b.get(at), b.get(at + 1), b.get(at + 2), b.get(at + 3))
        else {
            return Err(PacketError::TooShort(b.len() - at));
        };
        if first >> 6 != 2 {
            return Err(PacketError::Version(first >> 6));
        }
        let len = 4 * (usize::from(u16::from_be_bytes([hi, lo])) + 1);
        let end = at + len;
        if end > b.len() {
            return Err(PacketError::Truncated);
        }
        let count = usize::from(first & 0x1f);
        // Header (4) + sender SSRC (4), plus sender info (20) for an SR.
        let first_block = match pt {
            SR => Some(at + 28),
            RR => Some(at + 8),
            _ => None,
        };
        if let Some(start) = first_block {
            for i in 0..count {
                let pos = start + 24 * i;
                if pos + 24 > end {
                    return Err(PacketError::Truncated);
                }
                blocks.extend(block(b, pos));
            }
        }
        at = end;
    }
    Ok(blocks)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An RR from `sender` with one block about `about`.
    pub(crate) fn receiver_report(sender: u32, about: u32, lost: i32, jitter: u32) -> Vec<u8> {
        let mut p = vec![0x81, RR, 0, 7];
        p.extend_from_slice(&sender.to_be_bytes());
        p.extend_from_slice(&about.to_be_bytes());
        let lost_word = (5u32 << 24) | (lost as u32 & 0x00ff_ffff);
        p.extend_from_slice(&lost_word.to_be_bytes());
        p.extend_from_slice(&1000u32.to_be_bytes());
        p.extend_from_slice(&jitter.to_be_bytes());
        p.extend_from_slice(&[0; 8]);
        p
    }

    #[test]
    fn receiver_report_block() {
        let p = receiver_report(1, 0xabcd, 12, 80);
        let blocks = report_blocks(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(blocks.len(), 1);
        let b = blocks[0];
        assert_eq!(
            (b.ssrc, b.fraction_lost, b.cumulative_lost),
            (0xabcd, 5, 12)
        );
        assert_eq!((b.highest_sequence, b.jitter), (1000, 80));
        assert_eq!(b.jitter_ms(8000), 10.0);
        assert_eq!(b.jitter_ms(0), 0.0);
    }

    #[test]
    fn compound_sr_then_sdes() {
        let mut p = vec![0x81, SR, 0, 12];
        p.extend_from_slice(&7u32.to_be_bytes());
        p.extend_from_slice(&[0; 20]); // sender info
        p.extend_from_slice(&receiver_report(0, 9, -1, 3)[8..]);
        // SDES with one empty chunk.
        p.extend_from_slice(&[0x81, 202, 0, 1, 0, 0, 0, 7]);
        let blocks = report_blocks(&p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(blocks.len(), 1);
        assert_eq!((blocks[0].ssrc, blocks[0].cumulative_lost), (9, -1));
    }

    #[test]
    fn damage_is_an_error() {
        let p = receiver_report(1, 2, 0, 0);
        assert_eq!(report_blocks(&p[..20]), Err(PacketError::Truncated));
        assert_eq!(report_blocks(&p[..2]), Err(PacketError::TooShort(2)));
        let mut lying = p.clone();
        lying[0] = 0x82; // claims two blocks in a packet sized for one
        assert_eq!(report_blocks(&lying), Err(PacketError::Truncated));
        assert_eq!(report_blocks(&[]), Ok(vec![]));
    }
}
