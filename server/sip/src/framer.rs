//! Sans-IO framing of a byte stream (TCP, TLS) into messages by Content-Length
//! (RFC 3261 §18.3), with the CRLF keep-alives of RFC 5626 §3.5.1.

use crate::parse::{HeadScan, HeadScanner, MAX_MESSAGE_SIZE, parse_head, set_body};
use crate::scan::is_ws;
use crate::{Message, ParseError};

/// What the stream delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    Message(Message),
    /// CRLFCRLF: the peer pings; answer with a CRLF pong.
    KeepAlivePing,
    /// A lone CRLF: the answer to our ping.
    KeepAlivePong,
}

/// Buffers stream bytes and cuts them into messages.
///
/// A framing error (bad or conflicting Content-Length, a head or message over 64 KiB, more
/// than 256 header fields) is fatal: it is returned once and the framer yields nothing
/// afterwards — close the connection. A message that frames correctly but does not parse is
/// returned as `Err` and the stream goes on with the next message.
#[derive(Debug, Default)]
pub struct StreamFramer {
    buf: Vec<u8>,
    failed: bool,
    /// Progress of the head scan of the message at the front of `buf`.
    scanner: HeadScanner,
    /// The head found, with its Content-Length, while the body is still arriving.
    pending: Option<(HeadScan, usize)>,
}

impl StreamFramer {
    pub fn new() -> StreamFramer {
        StreamFramer::default()
    }

    /// Append bytes read from the stream. Ignored after a fatal error.
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.failed {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// True once a fatal framing error was returned.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    fn fail(&mut self, e: ParseError) -> Option<Result<Framed, ParseError>> {
        self.failed = true;
        self.buf = Vec::new();
        Some(Err(e))
    }

    /// Drop `n` bytes from the front; scan state restarts with the next message.
    fn consume(&mut self, n: usize) {
        self.buf.drain(..n.min(self.buf.len()));
        self.scanner = HeadScanner::default();
        self.pending = None;
    }

    /// The next frame, or None when more bytes are needed (or after a fatal error).
    ///
    /// A buffer holding exactly `CRLF` or `CRLF CR` waits for more: it may be the first half
    /// of a ping, and mistaking a ping for a pong would leave the peer's flow unanswered. A
    /// pong is reported as soon as anything follows it.
    #[allow(clippy::should_implement_trait)] // the contract names it `next`; not an Iterator (errors are fatal)
    pub fn next(&mut self) -> Option<Result<Framed, ParseError>> {
        if self.failed {
            return None;
        }
        if self.pending.is_none() {
            match self.buf.as_slice() {
                [] | [b'\r'] | [b'\r', b'\n'] | [b'\r', b'\n', b'\r'] => return None,
                [b'\r', b'\n', b'\r', b'\n', ..] => {
                    self.consume(4);
                    return Some(Ok(Framed::KeepAlivePing));
                }
                [b'\r', b'\n', ..] => {
                    self.consume(2);
                    return Some(Ok(Framed::KeepAlivePong));
                }
                [b, ..] if is_ws(*b) => {
                    // Stray white space between messages (a bare LF): skip it.
                    let n = self
                        .buf
                        .iter()
                        .take_while(|b| is_ws(**b) && **b != b'\r')
                        .count()
                        .max(1);
                    self.consume(n);
                    return self.next();
                }
                _ => {}
            }
        }
        let (scan, length) = match self.pending {
            Some(p) => p,
            None => {
                let scan = match self.scanner.scan(&self.buf) {
                    Ok(Some(s)) => s,
                    Ok(None) if self.buf.len() > MAX_MESSAGE_SIZE => {
                        return self.fail(ParseError::TooLarge {
                            limit: MAX_MESSAGE_SIZE,
                        });
                    }
                    Ok(None) => return None,
                    Err(e) => return self.fail(e),
                };
                let head = self.buf.get(..scan.head_end).unwrap_or(&[]);
                let length = match raw_content_length(head) {
                    Ok(n) => n,
                    Err(e) => return self.fail(e),
                };
                if scan.body_start + length > MAX_MESSAGE_SIZE {
                    return self.fail(ParseError::TooLarge {
                        limit: MAX_MESSAGE_SIZE,
                    });
                }
                self.pending = Some((scan, length));
                (scan, length)
            }
        };
        let total = scan.body_start + length;
        if self.buf.len() < total {
            return None;
        }
        let head = self.buf.get(..scan.head_end).unwrap_or(&[]);
        let parsed = parse_head(head, scan.fields);
        let body = self.buf.get(scan.body_start..total).unwrap_or(&[]).to_vec();
        self.consume(total);
        Some(parsed.map(|(mut msg, _)| {
            set_body(&mut msg, body);
            Framed::Message(msg)
        }))
    }
}

/// Content-Length from the raw head lines (the head may not parse, but it still frames).
/// Missing means 0; several fields must agree.
fn raw_content_length(head: &[u8]) -> Result<usize, ParseError> {
    let bad = || ParseError::header("Content-Length", "bad or conflicting value");
    let mut found: Option<usize> = None;
    for line in head.split(|&b| b == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line.get(..colon).unwrap_or(&[]).trim_ascii();
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = line.get(colon + 1..).unwrap_or(&[]).trim_ascii();
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) || value.len() > 9 {
            return Err(bad());
        }
        let n = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or_else(bad)?;
        if found.is_some_and(|f| f != n) {
            return Err(bad());
        }
        found = Some(n);
    }
    Ok(found.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nbody";

    fn msg(r: Option<Result<Framed, ParseError>>) -> Message {
        match r {
            Some(Ok(Framed::Message(m))) => m,
            other => panic!("expected message, got {other:?}"),
        }
    }

    #[test]
    fn byte_by_byte() {
        let mut f = StreamFramer::new();
        let mut got = Vec::new();
        let stream = [
            b"\r\n\r\n".as_slice(),
            OPTIONS,
            OPTIONS,
            b"\r\n".as_slice(),
            OPTIONS,
        ]
        .concat();
        for b in &stream {
            f.push(std::slice::from_ref(b));
            while let Some(r) = f.next() {
                got.push(r);
            }
        }
        assert_eq!(got.len(), 5);
        assert_eq!(got.first(), Some(&Ok(Framed::KeepAlivePing)));
        assert_eq!(got.get(3), Some(&Ok(Framed::KeepAlivePong)));
        let m = msg(got.get(1).cloned());
        assert_eq!(m.body(), b"body");
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn many_at_once_and_partial_body() {
        let mut f = StreamFramer::new();
        f.push(&[OPTIONS, OPTIONS].concat());
        f.push(&OPTIONS[..OPTIONS.len() - 2]);
        assert_eq!(msg(f.next()).body(), b"body");
        assert_eq!(msg(f.next()).body(), b"body");
        assert!(f.next().is_none());
        f.push(b"dy");
        assert_eq!(msg(f.next()).body(), b"body");
    }

    #[test]
    fn bad_content_length_is_fatal() {
        let mut f = StreamFramer::new();
        f.push(b"INVITE sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n");
        assert!(matches!(f.next(), Some(Err(_))));
        assert!(f.is_failed());
        f.push(OPTIONS);
        assert!(f.next().is_none());
    }

    #[test]
    fn bad_message_is_not_fatal() {
        let mut f = StreamFramer::new();
        f.push(b"INVITE <sip:a@b> SIP/2.0\r\nl: 0\r\n\r\n");
        f.push(OPTIONS);
        assert!(matches!(f.next(), Some(Err(ParseError::Uri(_)))));
        assert_eq!(msg(f.next()).body(), b"body");
    }

    #[test]
    fn slow_sender_is_linear() {
        // 60 KB of header lines one byte at a time: each byte is scanned once.
        let mut f = StreamFramer::new();
        let mut stream = b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\nX-Long: ".to_vec();
        stream.resize(60_000, b'a');
        stream.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
        let mut got = 0;
        for b in &stream {
            f.push(std::slice::from_ref(b));
            while let Some(r) = f.next() {
                assert!(r.is_ok());
                got += 1;
            }
        }
        assert_eq!(got, 1);
    }

    #[test]
    fn oversized_head_is_fatal() {
        let mut f = StreamFramer::new();
        f.push(b"INVITE sip:a@b SIP/2.0\r\n");
        let line = b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        for _ in 0..800 {
            f.push(line);
        }
        assert!(matches!(
            f.next(),
            Some(Err(
                ParseError::TooManyHeaders { .. } | ParseError::TooLarge { .. }
            ))
        ));
    }
}
