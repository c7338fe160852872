//! Just enough SIP for a load generator's two user agents: parse one message, copy the
//! headers a response or an in-dialog request needs, answer MD5 digest challenges.
//! Not a general SIP stack: no transaction layer (the caller runs over a reliable WebSocket,
//! the phone on loopback UDP retransmits its 200 until the ACK).

use std::fmt::Write as _;

use md5::{Digest as _, Md5};

#[derive(Debug, Clone)]
pub struct Msg {
    /// "INVITE sip:x SIP/2.0" or "SIP/2.0 200 OK".
    pub start: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Compact header forms (RFC 3261 §7.3.3) to their long names.
fn long_name(name: &str) -> &str {
    match name {
        "v" | "V" => "Via",
        "f" | "F" => "From",
        "t" | "T" => "To",
        "i" | "I" => "Call-ID",
        "m" | "M" => "Contact",
        "l" | "L" => "Content-Length",
        "c" | "C" => "Content-Type",
        _ => name,
    }
}

impl Msg {
    pub fn parse(text: &str) -> Option<Msg> {
        let (head, body) = match text.find("\r\n\r\n") {
            Some(i) => (&text[..i], &text[i + 4..]),
            None => (text, ""),
        };
        let mut lines = head.split("\r\n");
        let start = lines.next()?.trim().to_string();
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                // folded continuation line
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
                continue;
            }
            let (name, value) = line.split_once(':')?;
            headers.push((long_name(name.trim()).to_string(), value.trim().to_string()));
        }
        let mut msg = Msg {
            start,
            headers,
            body: String::new(),
        };
        let len = msg
            .header("Content-Length")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(body.len());
        msg.body = body.get(..len).unwrap_or(body).to_string();
        Some(msg)
    }

    pub fn status(&self) -> Option<u16> {
        let rest = self.start.strip_prefix("SIP/2.0 ")?;
        rest.get(..3)?.parse().ok()
    }

    /// The request method, None for a response.
    pub fn method(&self) -> Option<&str> {
        if self.start.starts_with("SIP/2.0 ") {
            return None;
        }
        self.start.split(' ').next()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn call_id(&self) -> &str {
        self.header("Call-ID").unwrap_or("")
    }

    /// CSeq number and method.
    pub fn cseq(&self) -> (u32, &str) {
        let v = self.header("CSeq").unwrap_or("");
        let mut it = v.split_whitespace();
        let n = it.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        (n, it.next().unwrap_or(""))
    }

    /// Every Record-Route entry, in message order (several per header allowed).
    pub fn record_routes(&self) -> Vec<String> {
        self.all("Record-Route").flat_map(split_list).collect()
    }

    /// A response to this request: Via, From, To (plus our tag), Call-ID, CSeq, Record-Route
    /// copied as RFC 3261 §8.2.6 says, then `extra` headers and `body`.
    pub fn response(
        &self,
        code: u16,
        reason: &str,
        to_tag: Option<&str>,
        extra: &[(&str, String)],
        body: &str,
    ) -> String {
        let mut out = format!("SIP/2.0 {code} {reason}\r\n");
        for v in self.all("Via") {
            let _ = write!(out, "Via: {v}\r\n");
        }
        if code > 100 {
            for r in self.all("Record-Route") {
                let _ = write!(out, "Record-Route: {r}\r\n");
            }
        }
        let _ = write!(out, "From: {}\r\n", self.header("From").unwrap_or(""));
        let to = self.header("To").unwrap_or("");
        match to_tag {
            Some(tag) if tag_of(to).is_none() => {
                let _ = write!(out, "To: {to};tag={tag}\r\n");
            }
            _ => {
                let _ = write!(out, "To: {to}\r\n");
            }
        }
        let _ = write!(out, "Call-ID: {}\r\n", self.call_id());
        let _ = write!(out, "CSeq: {}\r\n", self.header("CSeq").unwrap_or(""));
        finish(&mut out, extra, body);
        out
    }
}

/// A request: start line, `headers` in order, Content-Length, body.
pub fn request(method: &str, uri: &str, headers: &[(&str, String)], body: &str) -> String {
    let mut out = format!("{method} {uri} SIP/2.0\r\n");
    finish(&mut out, headers, body);
    out
}

fn finish(out: &mut String, headers: &[(&str, String)], body: &str) {
    for (n, v) in headers {
        let _ = write!(out, "{n}: {v}\r\n");
    }
    if !body.is_empty() && !headers.iter().any(|(n, _)| *n == "Content-Type") {
        out.push_str("Content-Type: application/sdp\r\n");
    }
    let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len());
}

/// Splits a comma-separated header value, ignoring commas inside <...> and "...".
pub fn split_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut angle, mut quote, mut cur) = (false, false, String::new());
    for ch in value.chars() {
        match ch {
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            '"' => quote = !quote,
            ',' if !angle && !quote => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The `tag` parameter of a From/To value (outside the <uri>).
pub fn tag_of(value: &str) -> Option<&str> {
    let params = match value.rfind('>') {
        Some(i) => &value[i..],
        None => value,
    };
    params
        .split(';')
        .skip(1)
        .find_map(|p| p.trim().strip_prefix("tag="))
}

/// The URI inside a name-addr (`"x" <sip:a@b>;p`) or an addr-spec without brackets.
pub fn uri_of(value: &str) -> &str {
    if let (Some(a), Some(b)) = (value.find('<'), value.find('>'))
        && a < b
    {
        return &value[a + 1..b];
    }
    value.split(';').next().unwrap_or(value).trim()
}

pub fn random_token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

pub fn branch() -> String {
    format!("z9hG4bK{}", random_token())
}

fn md5_hex(s: &str) -> String {
    let mut h = Md5::new();
    h.update(s.as_bytes());
    h.finalize().iter().fold(String::new(), |mut acc, b| {
        let _ = write!(acc, "{b:02x}");
        acc
    })
}

/// Parameters of a `Digest ...` challenge.
fn challenge_params(value: &str) -> Option<Vec<(String, String)>> {
    let rest = value.trim().strip_prefix("Digest")?;
    Some(
        split_list(rest)
            .into_iter()
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_string(),
                ))
            })
            .collect(),
    )
}

/// The Authorization (or Proxy-Authorization) value answering the first MD5 challenge of a
/// 401/407, or None when no challenge offers MD5.
pub fn answer_challenge(
    resp: &Msg,
    method: &str,
    uri: &str,
    user: &str,
    password: &str,
) -> Option<(&'static str, String)> {
    let (challenge_name, answer_name) = if resp.status() == Some(407) {
        ("Proxy-Authenticate", "Proxy-Authorization")
    } else {
        ("WWW-Authenticate", "Authorization")
    };
    let params = resp.all(challenge_name).find_map(|v| {
        let p = challenge_params(v)?;
        let alg = p
            .iter()
            .find(|(k, _)| k == "algorithm")
            .map(|(_, v)| v.as_str());
        matches!(alg, None | Some("MD5") | Some("md5")).then_some(p)
    })?;
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let realm = get("realm").unwrap_or("");
    let nonce = get("nonce").unwrap_or("");
    let ha1 = md5_hex(&format!("{user}:{realm}:{password}"));
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let qop_auth = get("qop").is_some_and(|q| q.split(',').any(|q| q.trim() == "auth"));
    let mut value =
        format!(r#"Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}""#);
    if qop_auth {
        let cnonce = random_token();
        let response = md5_hex(&format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
        let _ = write!(
            value,
            r#", response="{response}", qop=auth, nc=00000001, cnonce="{cnonce}""#
        );
    } else {
        let response = md5_hex(&format!("{ha1}:{nonce}:{ha2}"));
        let _ = write!(value, r#", response="{response}""#);
    }
    value.push_str(", algorithm=MD5");
    if let Some(opaque) = get("opaque") {
        let _ = write!(value, r#", opaque="{opaque}""#);
    }
    Some((answer_name, value))
}

/// The connection address and port of the first audio m-line of an SDP.
pub fn sdp_audio_addr(sdp: &str) -> Option<(std::net::IpAddr, u16, Vec<u8>)> {
    let mut session_c = None;
    let mut media_c = None;
    let mut audio: Option<(u16, Vec<u8>)> = None;
    let mut in_audio = false;
    for line in sdp.lines() {
        let line = line.trim();
        if let Some(m) = line.strip_prefix("m=") {
            if audio.is_some() {
                break;
            }
            let f: Vec<&str> = m.split_whitespace().collect();
            in_audio = f.first() == Some(&"audio");
            if in_audio {
                let port = f.get(1)?.parse().ok()?;
                let pts = f.iter().skip(3).filter_map(|p| p.parse().ok()).collect();
                audio = Some((port, pts));
            }
        } else if let Some(c) = line.strip_prefix("c=") {
            let ip = c.split_whitespace().nth(2)?.parse().ok()?;
            if in_audio {
                media_c = Some(ip);
            } else if audio.is_none() {
                session_c = Some(ip);
            }
        }
    }
    let (port, pts) = audio?;
    Some((media_c.or(session_c)?, port, pts))
}

/// The transport protocol of the first audio m-line (`RTP/AVP`, `RTP/SAVP`, ...).
pub fn sdp_audio_proto(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("m=audio "))
        .and_then(|m| m.split_whitespace().nth(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_rfc2617_example() {
        // RFC 2617 §3.5 (qop=auth) with its fixed cnonce recomputed by hand.
        let ha1 = md5_hex("Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = md5_hex("GET:/dir/index.html");
        let r = md5_hex(&format!(
            "{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:0a4f113b:auth:{ha2}"
        ));
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn parses_compact_headers_and_record_routes() {
        let text = "SIP/2.0 200 OK\r\nv: SIP/2.0/WS x.invalid;branch=z9hG4bK1\r\n\
            Record-Route: <sip:1.2.3.4;lr>, <sip:5.6.7.8;transport=ws;lr>\r\n\
            t: <sip:1002@example.com>;tag=abc\r\nl: 3\r\n\r\nv=0";
        let m = Msg::parse(text).unwrap_or_else(|| panic!("parse"));
        assert_eq!(m.status(), Some(200));
        assert_eq!(m.record_routes().len(), 2);
        assert_eq!(tag_of(m.header("To").unwrap_or("")), Some("abc"));
        assert_eq!(m.body, "v=0");
    }

    #[test]
    fn reads_audio_address() {
        let sdp = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0 8 101\r\n";
        let (ip, port, pts) = sdp_audio_addr(sdp).unwrap_or_else(|| panic!("sdp"));
        assert_eq!(
            (ip.to_string(), port, pts),
            ("127.0.0.1".into(), 4000, vec![0, 8, 101])
        );
        assert_eq!(sdp_audio_proto(sdp), Some("RTP/AVP"));
    }
}
