//! Parsing a whole message from bytes (RFC 3261 §7, §25). One pass finds the end of the head
//! and counts header fields (so the 256-field limit is checked before anything is
//! allocated), a second builds the header list: each value copied once, unfolded.

use crate::scan::is_token;
use crate::{Header, HeaderName, Headers, Message, Method, ParseError, Request, Response, Uri};

/// Largest message we accept (bytes, head and body).
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;
/// Most header fields (lines, not comma-separated values) in one message.
pub const MAX_HEADERS: usize = 256;

/// Where the head of a message ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadScan {
    /// Length of the head without the terminating empty line.
    pub head_end: usize,
    /// First byte of the body.
    pub body_start: usize,
    /// Header fields (not counting the start line or continuation lines).
    pub fields: usize,
}

/// Find the empty line ending the head of `buf` (which starts at the start line). `None`
/// when there is none yet. CRLF is the line end; a bare LF is tolerated.
pub(crate) fn scan_head(buf: &[u8]) -> Result<Option<HeadScan>, ParseError> {
    HeadScanner::default().scan(buf)
}

/// A resumable head scan: a stream framer keeps one per message so bytes arriving one at a
/// time are looked at once, not once per arrival (a slow sender must not cost quadratic
/// time).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HeadScanner {
    /// Start of the first line not yet complete.
    pos: usize,
    fields: usize,
    /// The start line is behind us.
    past_start: bool,
    /// Bytes from `pos` up to here hold no line end (a long line arriving slowly).
    searched: usize,
}

impl HeadScanner {
    /// Continue over `buf` (the same buffer, possibly longer than last time).
    pub fn scan(&mut self, buf: &[u8]) -> Result<Option<HeadScan>, ParseError> {
        while self.pos < buf.len() {
            let from = self.searched.max(self.pos);
            let Some(nl) = buf.get(from..).and_then(|b| find_byte(b, b'\n')) else {
                self.searched = buf.len();
                return Ok(None);
            };
            let line_end = from + nl;
            let line = buf.get(self.pos..line_end).unwrap_or(&[]);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() && self.past_start {
                return Ok(Some(HeadScan {
                    head_end: self.pos,
                    body_start: line_end + 1,
                    fields: self.fields,
                }));
            }
            if self.past_start && !matches!(line.first(), Some(b' ' | b'\t')) {
                self.fields += 1;
                if self.fields > MAX_HEADERS {
                    return Err(ParseError::TooManyHeaders { limit: MAX_HEADERS });
                }
            }
            self.past_start = true;
            self.pos = line_end + 1;
        }
        Ok(None)
    }
}

/// Count header fields of a head without a terminating empty line (a datagram that ends
/// right after its last header, as RFC 4475 baddn.dat does).
fn count_fields(head: &[u8]) -> Result<usize, ParseError> {
    let mut fields = 0usize;
    for line in head.split(|&b| b == b'\n').skip(1) {
        if !matches!(line.first(), Some(b' ' | b'\t' | b'\r') | None) {
            fields += 1;
            if fields > MAX_HEADERS {
                return Err(ParseError::TooManyHeaders { limit: MAX_HEADERS });
            }
        }
    }
    Ok(fields)
}

fn is_response_start(buf: &[u8]) -> bool {
    buf.get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
}

/// Wrap errors of a response so they are dropped, not answered.
fn for_kind(is_response: bool, e: ParseError) -> ParseError {
    match e {
        ParseError::Response(_) => e,
        e if is_response => ParseError::Response(Box::new(e)),
        e => e,
    }
}

/// Leading CRLFs before a start line are ignored (RFC 3261 §7.5).
pub(crate) fn skip_leading_crlf(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// Parse one message from one datagram (UDP, or one WebSocket message). Bytes past
/// Content-Length are ignored (RFC 4475 dblreq); without Content-Length the rest of the
/// datagram is the body; a body shorter than Content-Length is an error (clerr).
pub fn parse_message(buf: &[u8]) -> Result<Message, ParseError> {
    let start = skip_leading_crlf(buf);
    let buf = buf.get(start..).unwrap_or(&[]);
    let is_response = is_response_start(buf);
    parse_datagram(buf).map_err(|e| for_kind(is_response, e))
}

fn parse_datagram(buf: &[u8]) -> Result<Message, ParseError> {
    if buf.len() > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge {
            limit: MAX_MESSAGE_SIZE,
        });
    }
    if buf.is_empty() {
        return Err(ParseError::Incomplete);
    }
    let scan = match scan_head(buf)? {
        Some(s) => s,
        None => {
            let fields = count_fields(buf)?;
            HeadScan {
                head_end: buf.len(),
                body_start: buf.len(),
                fields,
            }
        }
    };
    let head = buf.get(..scan.head_end).unwrap_or(&[]);
    let rest = buf.get(scan.body_start..).unwrap_or(&[]);
    let (mut msg, content_length) = parse_head(head, scan.fields)?;
    let body = match content_length {
        Some(n) => rest.get(..n).ok_or(ParseError::Incomplete)?,
        None => rest,
    };
    set_body(&mut msg, body.to_vec());
    Ok(msg)
}

pub(crate) fn set_body(msg: &mut Message, body: Vec<u8>) {
    match msg {
        Message::Request(r) => r.body = body,
        Message::Response(r) => r.body = body,
    }
}

/// Parse a head (start line and header lines, without the empty line). Returns the message
/// with an empty body and the Content-Length, if one was given. Response heads are also
/// checked for the fields a response cannot be matched without (RFC 4475 scalarlg).
pub(crate) fn parse_head(
    head: &[u8],
    fields: usize,
) -> Result<(Message, Option<usize>), ParseError> {
    parse_head_inner(head, fields).map_err(|e| for_kind(is_response_start(head), e))
}

fn parse_head_inner(head: &[u8], fields: usize) -> Result<(Message, Option<usize>), ParseError> {
    // One UTF-8 check for the whole head; everything below slices this &str.
    let head =
        std::str::from_utf8(head).map_err(|_| ParseError::header("?", "head is not UTF-8"))?;
    let (start_line, header_text) = head.split_once('\n').unwrap_or((head, ""));
    let start_line = start_line.strip_suffix('\r').unwrap_or(start_line);
    let headers = parse_headers(header_text, fields)?;
    let content_length = content_length(&headers)?;
    let msg = if is_response_start(start_line.as_bytes()) {
        let (status, reason) = parse_status_line(start_line)?;
        let resp = Response {
            status,
            reason,
            headers,
            body: Vec::new(),
        };
        check_response(&resp).map_err(|e| ParseError::Response(Box::new(e)))?;
        Message::Response(resp)
    } else {
        let (method, uri) = parse_request_line(start_line)?;
        Message::Request(Request {
            method,
            uri,
            headers,
            body: Vec::new(),
        })
    };
    Ok((msg, content_length))
}

/// The fields without which a response cannot be matched to a transaction.
fn check_response(r: &Response) -> Result<(), ParseError> {
    r.top_via()?;
    r.cseq()?;
    r.call_id()?;
    r.from_header()?;
    r.to_header()?;
    Ok(())
}

/// Content-Length (`l`). Several fields must agree (RFC 4475 mcl01 is answered 400 by
/// `validate`, but framing uses the first value only when they are equal).
pub(crate) fn content_length(headers: &Headers) -> Result<Option<usize>, ParseError> {
    let mut found: Option<usize> = None;
    for v in headers.fields(&HeaderName::ContentLength) {
        let v = v.trim();
        let n = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            // Anything larger than the size limit is as bad as unparsable.
            v.parse::<usize>().ok().filter(|&n| n <= MAX_MESSAGE_SIZE)
        } else {
            None
        };
        let n = n.ok_or_else(|| ParseError::header("Content-Length", "not a length"))?;
        if found.is_none() {
            found = Some(n);
        }
    }
    Ok(found)
}

fn parse_status_line(line: &str) -> Result<(u16, String), ParseError> {
    let (version, rest) = line
        .split_once(' ')
        .ok_or(ParseError::StartLine("no status code"))?;
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err(ParseError::Version(version.to_owned()));
    }
    let rest = rest.trim_start_matches(' ');
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = match code.as_bytes() {
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err(ParseError::StartLine("status code is not 3 digits")),
    };
    if !(100..=699).contains(&status) {
        return Err(ParseError::StartLine("status code out of range"));
    }
    Ok((status, reason.to_owned()))
}

/// `Method SP Request-URI SP SIP-Version`. Several SP between elements and SP at the end
/// are tolerated (RFC 4475 lwsstart, trws); an SP inside the URI is not (lwsruri).
fn parse_request_line(line: &str) -> Result<(Method, Uri), ParseError> {
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let (Some(method), Some(uri), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::StartLine("expected method, URI and version"));
    };
    if parts.next().is_some() {
        return Err(ParseError::StartLine("white space inside the Request-URI"));
    }
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        let looks_like_version = version
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
        return Err(if looks_like_version {
            ParseError::Version(version.to_owned())
        } else {
            ParseError::StartLine("bad SIP version")
        });
    }
    if !method.bytes().all(is_token) {
        return Err(ParseError::StartLine("method is not a token"));
    }
    Ok((Method::from_token(method), Uri::parse(uri)?))
}

/// Header lines to fields: `name HCOLON value`, continuation lines (starting with SP or
/// HT) joined to the previous line with one space.
pub(crate) fn parse_headers(text: &str, fields: usize) -> Result<Headers, ParseError> {
    let mut out: Vec<Header> = Vec::with_capacity(fields);
    let mut rest = text;
    while !rest.is_empty() {
        // Lines are short: the word-at-a-time search beats the general `str::split`.
        let (line, next) = match find_byte(rest.as_bytes(), b'\n') {
            Some(nl) => (
                rest.get(..nl).unwrap_or(""),
                rest.get(nl + 1..).unwrap_or(""),
            ),
            None => (rest, ""),
        };
        rest = next;
        let line = line.strip_suffix('\r').unwrap_or(line);
        match line.as_bytes().first() {
            None => continue,
            Some(b' ' | b'\t') => {
                let last = out
                    .last_mut()
                    .ok_or_else(|| ParseError::header("?", "continuation line without a header"))?;
                let more = line.trim_ascii();
                if !more.is_empty() {
                    if !last.value.is_empty() {
                        last.value.push(' ');
                    }
                    last.value.push_str(more);
                }
            }
            Some(_) => {
                if out.len() >= MAX_HEADERS {
                    return Err(ParseError::TooManyHeaders { limit: MAX_HEADERS });
                }
                let colon = line
                    .bytes()
                    .position(|b| b == b':')
                    .ok_or_else(|| ParseError::header("?", "no colon"))?;
                let (name, value) = (
                    line.get(..colon).unwrap_or(""),
                    line.get(colon + 1..).unwrap_or(""),
                );
                let name = name.trim_ascii_end();
                if name.is_empty() || !name.bytes().all(is_token) {
                    return Err(ParseError::header("?", "header name is not a token"));
                }
                out.push(Header {
                    name: HeaderName::parse(name),
                    value: value.trim_ascii().to_owned(),
                });
            }
        }
    }
    Ok(Headers(out))
}

/// Position of the first `needle` in `hay`, eight bytes at a time (the head scan runs over
/// every byte of every message before anything else).
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut chunks = hay.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(bytes) ^ pattern;
        // Classic "has zero byte": the lowest flagged byte is the first match.
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|p| offset + p)
}

#[cfg(test)]
mod find_tests {
    use super::find_byte;

    #[test]
    fn find_byte_matches_position() {
        let hay: Vec<u8> = (0..200u32).map(|i| (i * 7 % 251) as u8).collect();
        for needle in [0u8, 10, 13, 250, 255] {
            for start in 0..20 {
                let h = &hay[start..];
                assert_eq!(find_byte(h, needle), h.iter().position(|&b| b == needle));
            }
        }
        assert_eq!(find_byte(b"ab\x8a\n", b'\n'), Some(3));
        assert_eq!(find_byte(b"\x0b\x0a", b'\n'), Some(1));
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
