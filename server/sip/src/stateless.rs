//! Answering bytes that did not parse: RFC 4475 wants a 400 (or 413, 505) for a malformed
//! request, but the failed parse gave us no `Request` to answer. This builds the response
//! from the header lines that can still be read.

use crate::parse::{MAX_HEADERS, MAX_MESSAGE_SIZE, skip_leading_crlf};
use crate::{Header, HeaderName, ParseError, Response, reason_phrase};

/// The response for a request that failed to parse with `err`, carrying the Via, From, To,
/// Call-ID and CSeq lines of `buf` as far as they are readable. None when the error says
/// drop (a response) or when no Via can be read (nowhere to send it).
///
/// Reads at most the first 64 KiB and 256 header lines of `buf`.
pub fn error_response(buf: &[u8], err: &ParseError) -> Option<Response> {
    let status = err.status_code()?;
    let buf = buf.get(skip_leading_crlf(buf)..).unwrap_or(&[]);
    let buf = buf.get(..buf.len().min(MAX_MESSAGE_SIZE)).unwrap_or(buf);
    let mut resp = Response::new(status, reason_phrase(status));
    let mut last_kept = false;
    for (lines, line) in buf.split(|&b| b == b'\n').skip(1).enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || lines > MAX_HEADERS {
            break;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            if last_kept {
                let more = std::str::from_utf8(line.trim_ascii()).ok()?;
                if let Some(h) = resp.headers.0.last_mut() {
                    h.value.push(' ');
                    h.value.push_str(more);
                }
            }
            continue;
        }
        last_kept = false;
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            std::str::from_utf8(line.get(..colon).unwrap_or(&[]).trim_ascii()),
            std::str::from_utf8(line.get(colon + 1..).unwrap_or(&[]).trim_ascii()),
        ) else {
            continue;
        };
        let name = HeaderName::parse(name);
        if matches!(
            name,
            HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq
        ) {
            resp.headers.0.push(Header {
                name,
                value: value.to_owned(),
            });
            last_kept = true;
        }
    }
    resp.headers.contains(&HeaderName::Via).then_some(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_message;

    #[test]
    fn answers_a_bad_request_uri() {
        let buf = b"INVITE <sip:user@example.com> SIP/2.0\r\nTo: sip:user@example.com\r\nFrom: sip:caller@example.net;tag=39291\r\nCall-ID: ltgtruri.1@192.0.2.5\r\nCSeq: 1 INVITE\r\nVia: SIP/2.0/UDP 192.0.2.5\r\nContact: <sip:caller@host5.example.net>\r\n\r\n";
        let err = parse_message(buf).err().unwrap_or(ParseError::Incomplete);
        let resp = error_response(buf, &err).unwrap_or_else(|| panic!("no response"));
        assert_eq!(resp.status, 400);
        assert_eq!(resp.headers.len(), 5);
        assert_eq!(
            resp.top_via().map(|v| v.host).ok().as_deref(),
            Some("192.0.2.5")
        );
        assert!(
            error_response(
                b"SIP/2.0 999 x\r\nVia: SIP/2.0/UDP h\r\n\r\n",
                &ParseError::Response(Box::new(ParseError::Incomplete))
            )
            .is_none()
        );
        assert!(error_response(b"garbage", &ParseError::Incomplete).is_none());
    }
}
