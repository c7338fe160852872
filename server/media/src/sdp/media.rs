//! Questions the B2BUA and the relay ask of an SDP: direction, codecs, where to send.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use super::{Connection, MediaDescription, SessionDescription};

/// The media direction attribute (RFC 8866 §6.7, hold per RFC 6337).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn from_attribute(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The same direction with receiving taken away: what an RFC 2543 hold (`c=0.0.0.0`,
    /// "do not send to me") means in RFC 3264 terms.
    pub fn without_recv(self) -> Direction {
        match self {
            Direction::SendRecv | Direction::SendOnly => Direction::SendOnly,
            Direction::RecvOnly | Direction::Inactive => Direction::Inactive,
        }
    }

    /// The direction an answerer mirrors back (sendonly ↔ recvonly).
    pub fn reversed(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn find_direction(attributes: &[(String, Option<String>)]) -> Option<Direction> {
    attributes
        .iter()
        .find_map(|(name, _)| Direction::from_attribute(name))
}

/// Clock rates of the static payload types (RFC 3551 table 4) a phone may use without rtpmap.
fn static_payload_type(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        13 => ("CN", 8000),
        18 => ("G729", 8000),
        _ => return None,
    })
}

impl MediaDescription {
    /// The direction this m-line states itself; sendrecv when it states none (see
    /// [`SessionDescription::direction`] for the session-level fallback).
    pub fn direction(&self) -> Direction {
        find_direction(&self.attributes).unwrap_or(Direction::SendRecv)
    }

    /// Replaces any direction attribute with `d` (in place of the first one, else appended).
    pub fn set_direction(&mut self, d: Direction) {
        let mut placed = false;
        self.attributes.retain_mut(|(name, value)| {
            if Direction::from_attribute(name).is_none() {
                return true;
            }
            if placed {
                return false;
            }
            placed = true;
            *name = d.as_str().to_string();
            *value = None;
            true
        });
        if !placed {
            self.attributes.push((d.as_str().to_string(), None));
        }
    }

    /// First value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The numeric formats (RTP payload types) of this m-line, in preference order.
    pub fn payload_types(&self) -> Vec<u8> {
        self.formats
            .iter()
            .filter_map(|f| f.parse().ok())
            .filter(|pt| *pt < 128)
            .collect()
    }

    /// Encoding name and clock rate of `pt`: from `a=rtpmap`, else the RFC 3551 static table.
    pub fn rtpmap(&self, pt: u8) -> Option<(&str, u32)> {
        let found = self.attributes.iter().find_map(|(name, value)| {
            if name != "rtpmap" {
                return None;
            }
            let (num, rest) = value.as_deref()?.split_once(' ')?;
            if num.trim().parse::<u8>().ok()? != pt {
                return None;
            }
            let mut parts = rest.trim().split('/');
            let encoding = parts.next()?;
            let rate = parts.next()?.parse().ok()?;
            Some((encoding, rate))
        });
        found.or_else(|| static_payload_type(pt))
    }

    /// True for the ICE offers of WebRTC: their `c=0.0.0.0` / port 9 mean nothing.
    pub fn uses_ice(&self) -> bool {
        self.attributes
            .iter()
            .any(|(n, _)| n == "ice-ufrag" || n == "candidate")
    }
}

impl SessionDescription {
    /// The direction of m-line `index`: its own attribute, else the session-level one,
    /// else sendrecv.
    pub fn direction(&self, index: usize) -> Direction {
        let media = self
            .media
            .get(index)
            .map(|m| m.attributes.as_slice())
            .unwrap_or_default();
        find_direction(media)
            .or_else(|| find_direction(&self.attributes))
            .unwrap_or(Direction::SendRecv)
    }

    /// The `c=` that applies to m-line `index` (its own, else the session's).
    pub fn connection_of(&self, index: usize) -> Option<&Connection> {
        let media = self.media.get(index)?;
        media.connection.as_ref().or(self.connection.as_ref())
    }

    /// True when m-line `index` is an RFC 2543 hold: `c=0.0.0.0` outside ICE.
    pub fn is_old_hold(&self, index: usize) -> bool {
        let ice = self.media.get(index).is_some_and(|m| m.uses_ice());
        !ice && self
            .connection_of(index)
            .is_some_and(Connection::is_unspecified)
    }

    /// Where the peer wants RTP for m-line `index` (None: no IP address, e.g. a host name).
    /// Port 0 (stream rejected) and 0.0.0.0 (hold) come back as they are; the relay knows
    /// not to send there.
    pub fn remote_rtp(&self, index: usize) -> Option<SocketAddr> {
        let media = self.media.get(index)?;
        Some(SocketAddr::new(
            self.connection_of(index)?.ip()?,
            media.port,
        ))
    }

    /// Where the peer wants RTCP for m-line `index`: `a=rtcp:<port> [IN IP4 <addr>]`
    /// (RFC 3605), else the RTP port + 1 on the RTP address.
    pub fn remote_rtcp(&self, index: usize) -> Option<SocketAddr> {
        let rtp = self.remote_rtp(index)?;
        let media = self.media.get(index)?;
        let Some(value) = media.attribute("rtcp") else {
            return Some(SocketAddr::new(rtp.ip(), rtp.port().saturating_add(1)));
        };
        let mut f = value.split_whitespace();
        let port = f.next()?.parse().ok()?;
        let ip = match (f.next(), f.next(), f.next()) {
            (Some(_), Some(_), Some(addr)) => addr.parse::<IpAddr>().ok()?,
            _ => rtp.ip(),
        };
        Some(SocketAddr::new(ip, port))
    }
}
