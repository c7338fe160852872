//! multipart/* bodies (RFC 2046 §5.1): split a body into parts by its boundary, each part with
//! its own MIME headers. Binary-safe: parts are byte slices, a part body may hold bare CR/LF
//! (RFC 4475 mpart01 carries a DER certificate).

use crate::parse::{MAX_HEADERS, parse_headers};
use crate::scan::{Cursor, find_param, is_ws};
use crate::{HeaderName, Headers, ParseError};

/// One body part: its headers (Content-Type, Content-Disposition, ...) and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub headers: Headers,
    pub body: &'a [u8],
}

impl Part<'_> {
    /// Content-Type media type in lower case, without parameters (`text/plain` by default,
    /// RFC 2046 §5.1).
    pub fn content_type(&self) -> String {
        self.headers
            .content_type()
            .unwrap_or_else(|| "text/plain".to_owned())
    }
}

fn bad(reason: &'static str) -> ParseError {
    ParseError::header("multipart body", reason)
}

/// The `boundary` parameter of a multipart Content-Type value, quotes removed; None when
/// the type is not multipart/* or has no boundary.
pub fn boundary(content_type: &str) -> Option<String> {
    let (media, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    let media = media.trim();
    if !media
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/"))
    {
        return None;
    }
    let text = format!(";{params}");
    let params = Cursor::new(&text).params().ok()?;
    find_param(&params, "boundary")
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .map(str::to_owned)
}

/// Split a multipart body given the message's Content-Type header value.
pub fn split<'a>(content_type: &str, body: &'a [u8]) -> Result<Vec<Part<'a>>, ParseError> {
    let b = boundary(content_type).ok_or_else(|| bad("no multipart boundary"))?;
    split_with_boundary(&b, body)
}

/// Find the next delimiter line `--boundary` at or after `from` that starts a line.
/// Returns (start of the `--`, end of the delimiter text, is it the close delimiter).
fn find_delimiter(body: &[u8], delim: &[u8], from: usize) -> Option<(usize, usize, bool)> {
    let mut i = from;
    while i + delim.len() <= body.len() {
        let rel = body
            .get(i..)?
            .windows(delim.len())
            .position(|w| w == delim)?;
        let at = i + rel;
        let line_start = at == 0 || body.get(at - 1) == Some(&b'\n');
        let end = at + delim.len();
        let close = body.get(end..end + 2) == Some(b"--");
        let after = if close { end + 2 } else { end };
        // The boundary must not continue with more boundary-ish characters.
        let clean = match body.get(after) {
            None => true,
            Some(&c) => is_ws(c),
        };
        if line_start && clean {
            return Some((at, after, close));
        }
        i = at + 1;
    }
    None
}

/// Split a multipart body with a known boundary. The preamble and epilogue are dropped. A
/// missing close delimiter is tolerated (the last part runs to the end).
pub fn split_with_boundary<'a>(
    boundary: &str,
    body: &'a [u8],
) -> Result<Vec<Part<'a>>, ParseError> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let (_, mut pos, mut close) =
        find_delimiter(body, delim, 0).ok_or_else(|| bad("no boundary in body"))?;
    let mut parts = Vec::new();
    while !close {
        // Skip transport padding and the line end after the delimiter.
        let line_end = body
            .get(pos..)
            .and_then(|r| r.iter().position(|&c| c == b'\n'))
            .map(|n| pos + n + 1);
        let start = line_end.unwrap_or(body.len());
        let (content_end, next) = match find_delimiter(body, delim, start) {
            Some((at, after, is_close)) => {
                // The line end before the delimiter belongs to the delimiter.
                let mut end = at;
                if end > start && body.get(end - 1) == Some(&b'\n') {
                    end -= 1;
                    if end > start && body.get(end - 1) == Some(&b'\r') {
                        end -= 1;
                    }
                }
                (end, Some((after, is_close)))
            }
            None => (body.len(), None),
        };
        let content = body.get(start..content_end).unwrap_or(&[]);
        parts.push(parse_part(content)?);
        if parts.len() > MAX_HEADERS {
            return Err(bad("too many parts"));
        }
        match next {
            Some((after, is_close)) => {
                pos = after;
                close = is_close;
            }
            None => break,
        }
    }
    Ok(parts)
}

/// A part is MIME headers, an empty line, then the content. A part starting with an empty
/// line has no headers.
fn parse_part(content: &[u8]) -> Result<Part<'_>, ParseError> {
    let (head, body) = if content.starts_with(b"\r\n") {
        (&[][..], content.get(2..).unwrap_or(&[]))
    } else if content.starts_with(b"\n") {
        (&[][..], content.get(1..).unwrap_or(&[]))
    } else {
        match find_blank_line(content) {
            Some((head_end, body_start)) => (
                content.get(..head_end).unwrap_or(&[]),
                content.get(body_start..).unwrap_or(&[]),
            ),
            None => (content, &[][..]),
        }
    };
    let fields = head
        .split(|&b| b == b'\n')
        .filter(|l| !matches!(l.first(), Some(b' ' | b'\t') | None))
        .count();
    if fields > MAX_HEADERS {
        return Err(bad("too many part headers"));
    }
    let head = std::str::from_utf8(head).map_err(|_| bad("part headers not UTF-8"))?;
    let headers = parse_headers(head, fields)?;
    Ok(Part { headers, body })
}

fn find_blank_line(b: &[u8]) -> Option<(usize, usize)> {
    if let Some(p) = b.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some((p, p + 4));
    }
    b.windows(2).position(|w| w == b"\n\n").map(|p| (p, p + 2))
}

impl Headers {
    /// True when the Content-Type is multipart/*.
    pub fn is_multipart(&self) -> bool {
        self.get(&HeaderName::ContentType)
            .and_then(boundary)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_parts_binary() {
        let body = b"preamble\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nHello\r\n--xyz \r\nContent-Type: application/octet-stream\r\n\r\n\x00\r\x01\n--xy\r\n\xff\r\n--xyz--\r\nepilogue";
        let parts =
            split("multipart/mixed; boundary=\"xyz\"", body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.first().map(|p| p.body), Some(&b"Hello"[..]));
        assert_eq!(
            parts.first().map(Part::content_type).as_deref(),
            Some("text/plain")
        );
        assert_eq!(
            parts.get(1).map(|p| p.body),
            Some(&b"\x00\r\x01\n--xy\r\n\xff"[..])
        );
    }

    #[test]
    fn no_headers_and_no_close() {
        let parts = split_with_boundary("b", b"--b\r\n\r\nraw\r\n--b\r\nX: 1\r\n\r\nlast")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parts.len(), 2);
        assert!(parts.first().is_some_and(|p| p.headers.is_empty()
            && p.body == b"raw"
            && p.content_type() == "text/plain"));
        assert_eq!(parts.get(1).map(|p| p.body), Some(&b"last"[..]));
    }

    #[test]
    fn boundary_param() {
        assert_eq!(
            boundary("multipart/mixed;boundary=7a9cbec02ceef655").as_deref(),
            Some("7a9cbec02ceef655")
        );
        assert_eq!(boundary("application/sdp"), None);
        assert!(split("multipart/mixed", b"").is_err());
        assert!(split("multipart/mixed;boundary=q", b"nothing here").is_err());
    }
}
