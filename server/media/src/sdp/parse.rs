//! The SDP parser. Liberal: LF or CRLF line ends, blank lines and trailing whitespace
//! ignored, unknown line types kept verbatim, a missing `s=` tolerated. Strict only where the
//! body would be meaningless: it must start with `v=0` and have an `o=` line, and the fields
//! we act on (`o=`, `c=`, `m=`) must be well formed.

use std::str::FromStr;

use super::{Connection, Line, MediaDescription, Origin, SdpError, SessionDescription};

impl FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<SessionDescription, SdpError> {
        SessionDescription::parse(s)
    }
}

impl SessionDescription {
    pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
        let mut lines = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches(['\r', ' ', '\t'])))
            .filter(|(_, l)| !l.is_empty());

        let (_, first) = lines.next().ok_or(SdpError::Empty)?;
        if first.trim() != "v=0" {
            return Err(SdpError::MissingVersion);
        }

        let mut origin = None;
        let mut session_name = None;
        let mut connection = None;
        let mut session_lines = Vec::new();
        let mut attributes = Vec::new();
        let mut media: Vec<MediaDescription> = Vec::new();

        for (n, line) in lines {
            let (kind, value) = split_line(n, line)?;
            if kind == 'm' {
                media.push(parse_media(n, value)?);
                continue;
            }
            if let Some(m) = media.last_mut() {
                match kind {
                    'c' => m.connection = Some(parse_connection(n, value)?),
                    'a' => m.attributes.push(parse_attribute(value)),
                    _ => m.lines.push(Line {
                        kind,
                        value: value.to_string(),
                    }),
                }
                continue;
            }
            match kind {
                'o' if origin.is_none() => origin = Some(parse_origin(n, value)?),
                's' if session_name.is_none() => session_name = Some(value.to_string()),
                'c' => connection = Some(parse_connection(n, value)?),
                'a' => attributes.push(parse_attribute(value)),
                // A second v=/o=/s= is damage; drop it rather than print it twice.
                'v' | 'o' | 's' => {}
                _ => session_lines.push(Line {
                    kind,
                    value: value.to_string(),
                }),
            }
        }

        Ok(SessionDescription {
            origin: origin.ok_or(SdpError::MissingOrigin)?,
            session_name: session_name.unwrap_or_else(|| "-".to_string()),
            connection,
            lines: session_lines,
            attributes,
            media,
        })
    }
}

fn split_line(n: usize, line: &str) -> Result<(char, &str), SdpError> {
    let mut chars = line.chars();
    match (chars.next(), chars.next()) {
        (Some(kind), Some('=')) if kind.is_ascii_alphabetic() => Ok((kind, chars.as_str())),
        _ => Err(SdpError::MalformedLine { line: n }),
    }
}

fn parse_origin(n: usize, value: &str) -> Result<Origin, SdpError> {
    let f: Vec<&str> = value.split_whitespace().collect();
    let [username, session_id, version, net_type, addr_type, address] = f.as_slice() else {
        return Err(SdpError::BadField {
            line: n,
            field: "o=",
        });
    };
    Ok(Origin {
        username: username.to_string(),
        session_id: session_id.to_string(),
        version: version.to_string(),
        net_type: net_type.to_string(),
        addr_type: addr_type.to_string(),
        address: address.to_string(),
    })
}

fn parse_connection(n: usize, value: &str) -> Result<Connection, SdpError> {
    let f: Vec<&str> = value.split_whitespace().collect();
    let [net_type, addr_type, address] = f.as_slice() else {
        return Err(SdpError::BadField {
            line: n,
            field: "c=",
        });
    };
    Ok(Connection {
        net_type: net_type.to_string(),
        addr_type: addr_type.to_string(),
        address: address.to_string(),
    })
}

fn parse_media(n: usize, value: &str) -> Result<MediaDescription, SdpError> {
    let mut f = value.split_whitespace();
    let bad = |field| SdpError::BadField { line: n, field };
    let kind = f.next().ok_or(bad("m= media"))?;
    let port_field = f.next().ok_or(bad("m= port"))?;
    let proto = f.next().ok_or(bad("m= proto"))?;
    let (port, port_count) = match port_field.split_once('/') {
        Some((p, c)) => (p, Some(c.parse().map_err(|_| bad("m= port count"))?)),
        None => (port_field, None),
    };
    Ok(MediaDescription {
        kind: kind.to_string(),
        port: port.parse().map_err(|_| bad("m= port"))?,
        port_count,
        proto: proto.to_string(),
        formats: f.map(str::to_string).collect(),
        connection: None,
        lines: Vec::new(),
        attributes: Vec::new(),
    })
}

fn parse_attribute(value: &str) -> (String, Option<String>) {
    match value.split_once(':') {
        Some((name, v)) => (name.to_string(), Some(v.to_string())),
        None => (value.to_string(), None),
    }
}
