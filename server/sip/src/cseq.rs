//! CSeq and the small scalar headers.

use std::fmt;

use crate::scan::Cursor;
use crate::{Method, ParseError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    /// `1*DIGIT LWS Method`; a number above 2^32-1 is an error (RFC 4475 scalar02).
    pub fn parse(s: &str) -> Result<CSeq, ParseError> {
        let bad = |r| ParseError::header("CSeq", r);
        let mut c = Cursor::new(s);
        c.skip_ws();
        let seq = parse_u32(c.take_while(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad("bad sequence number"))?;
        if !c.skip_ws() {
            return Err(bad("no space before method"));
        }
        let method = c.token().ok_or_else(|| bad("no method"))?;
        c.skip_ws();
        if !c.at_end() {
            return Err(bad("junk after method"));
        }
        Ok(CSeq {
            seq,
            method: Method::from_token(method),
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// `1*DIGIT` as u32 (leading zeros fine, no sign, no overflow).
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        assert_eq!(
            CSeq::parse("0009\r\n  INVITE").ok(),
            Some(CSeq {
                seq: 9,
                method: Method::Invite
            })
        );
        assert_eq!(
            CSeq::parse("0009 INVITE")
                .map(|c| c.to_string())
                .ok()
                .as_deref(),
            Some("9 INVITE")
        );
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse("1INVITE").is_err());
        assert!(CSeq::parse("-1 INVITE").is_err());
        assert!(CSeq::parse("1 INVITE x").is_err());
    }
}
