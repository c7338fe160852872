//! The printer: canonical header names, one field a line, Content-Length always recomputed
//! from the body (at the position of the first received Content-Length, else last).

use std::fmt::Write;

use crate::{HeaderName, Headers, Message, Request, Response};

fn write_headers(out: &mut String, headers: &Headers, body_len: usize) {
    let mut wrote_length = false;
    for h in headers.iter() {
        if h.name == HeaderName::ContentLength {
            if !wrote_length {
                let _ = write!(out, "Content-Length: {body_len}\r\n");
                wrote_length = true;
            }
            continue;
        }
        out.push_str(h.name.as_str());
        out.push_str(": ");
        out.push_str(&h.value);
        out.push_str("\r\n");
    }
    if !wrote_length {
        let _ = write!(out, "Content-Length: {body_len}\r\n");
    }
    out.push_str("\r\n");
}

fn head_capacity(headers: &Headers) -> usize {
    64 + headers
        .iter()
        .map(|h| h.name.as_str().len() + h.value.len() + 4)
        .sum::<usize>()
}

impl Request {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(head_capacity(&self.headers) + self.body.len());
        let _ = write!(out, "{} {} SIP/2.0\r\n", self.method, self.uri);
        write_headers(&mut out, &self.headers, self.body.len());
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

impl Response {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(head_capacity(&self.headers) + self.body.len());
        let _ = write!(out, "SIP/2.0 {} {}\r\n", self.status, self.reason);
        write_headers(&mut out, &self.headers, self.body.len());
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

impl Message {
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}
