//! Blind transfer (RFC 3515): the Refer-To of a REFER names where the other party goes, and
//! the transferor hears how it went through NOTIFYs carrying a status line (message/sipfrag,
//! RFC 3420).

use sip::{HeaderName, NameAddr, Request};

/// Why a REFER cannot be acted on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferError {
    #[error("REFER without exactly one Refer-To")]
    MissingReferTo,
    #[error("Refer-To does not parse")]
    Malformed,
    #[error("Refer-To carries a Replaces (attended transfer is not supported)")]
    Attended,
    #[error("Refer-To names no number")]
    NoNumber,
}

/// The number a REFER asks the other party to be connected to: the user part of a sip(s)
/// Refer-To, or a tel: number.
pub fn refer_target(req: &Request) -> Result<String, ReferError> {
    let mut values = req.headers.fields(&HeaderName::ReferTo);
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(ReferError::MissingReferTo);
    };
    let addr = NameAddr::parse(value).map_err(|_| ReferError::Malformed)?;
    let number = match &addr.uri {
        sip::Uri::Sip(u) => {
            if u.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("replaces"))
            {
                return Err(ReferError::Attended);
            }
            u.user_unescaped().map(|u| u.into_owned())
        }
        sip::Uri::Tel(t) => Some(t.number.clone()),
        sip::Uri::Other { .. } => None,
    };
    number.filter(|n| !n.is_empty()).ok_or(ReferError::NoNumber)
}

/// The body of a NOTIFY reporting `status` (RFC 3515 §2.4.5).
pub fn sipfrag(status: u16) -> String {
    format!("SIP/2.0 {status} {}\r\n", sip::reason_phrase(status))
}

/// Whether a NOTIFY with this status ends the implicit subscription.
pub fn is_final(status: u16) -> bool {
    status >= 200
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refer(refer_to: &str) -> Request {
        let text = format!(
            "REFER sip:pbx SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
From: <sip:1002@pbx>;tag=b\r\nTo: <sip:1001@pbx>;tag=a\r\nCall-ID: c\r\nCSeq: 3 REFER\r\n\
{refer_to}Content-Length: 0\r\n\r\n"
        );
        match sip::parse_message(text.as_bytes()) {
            Ok(sip::Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refer_to_names_the_number() {
        assert_eq!(
            refer_target(&refer("Refer-To: <sip:1003@pbx>\r\n")),
            Ok("1003".into())
        );
        assert_eq!(
            refer_target(&refer("r: sip:1003@10.0.0.9\r\n")),
            Ok("1003".into())
        );
        assert_eq!(
            refer_target(&refer("Refer-To: <tel:+15550100>\r\n")),
            Ok("+15550100".into())
        );
        assert_eq!(refer_target(&refer("")), Err(ReferError::MissingReferTo));
        assert_eq!(
            refer_target(&refer("Refer-To: <sip:pbx>\r\n")),
            Err(ReferError::NoNumber)
        );
        assert_eq!(
            refer_target(&refer(
                "Refer-To: <sip:1003@pbx?Replaces=abc%3Bto-tag%3D1>\r\n"
            )),
            Err(ReferError::Attended)
        );
        assert_eq!(sipfrag(200), "SIP/2.0 200 OK\r\n");
        assert!(!is_final(100));
    }
}
