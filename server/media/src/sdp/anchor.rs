//! Anchoring: the SDP one leg receives is the other leg's SDP with every address replaced by
//! ours, so both peers send their media to Switchboard (and learn nothing of each other).
//!
//! What changes: `o=` (our username, session id and version), `c=` (session and media) and
//! the `m=` ports; the ICE and RTCP-address attributes go (they name the other leg's
//! addresses, and our relay offers plain RTP with RTCP on port + 1). Codecs, `fmtp`, `ptime`,
//! `b=`, SDES `a=crypto` and the direction pass through: the relay is transparent.
//!
//! Old-style hold (RFC 2543 `c=0.0.0.0`, still sent by some phones) is kept as a *direction*,
//! not as an address: we always print our real IP (so RTCP keeps flowing and the far side never
//! sees a zero address it might reject), and mark the stream as not wanting to receive —
//! sendrecv becomes sendonly, recvonly becomes inactive (RFC 6337 §5.3 reading of 0.0.0.0).
//! WebRTC offers also carry `c=0.0.0.0`, but with ICE attributes: those are not a hold.

use std::net::IpAddr;

use super::{Connection, MediaDescription, Origin, SessionDescription};

/// Attributes that describe the other leg's transport addresses; never passed on.
const DROPPED: &[&str] = &[
    "rtcp",
    "rtcp-mux",
    "candidate",
    "end-of-candidates",
    "remote-candidates",
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-lite",
    "ice-mismatch",
    "ice-pacing",
];

/// Our SDP identity towards one leg: RFC 3264 §8 wants the same session id for the whole
/// dialog and a version that grows by one exactly when the body changes.
#[derive(Debug, Clone)]
pub struct Anchor {
    session_id: u64,
    version: u64,
    last: Option<SessionDescription>,
}

impl Anchor {
    /// `session_id` should be unpredictable (the caller draws it); the version starts at 1.
    pub fn new(session_id: u64) -> Anchor {
        Anchor {
            session_id,
            version: 1,
            last: None,
        }
    }

    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    /// The version of the last body returned by [`Anchor::rewrite`].
    pub fn version(&self) -> u64 {
        self.version
    }

    /// `remote` (the other leg's SDP) rewritten for this leg: our `o=`, `our_ip` in every
    /// `c=`, `ports[i]` as the port of m-line `i`. A port-0 m-line stays 0 (rejected stream),
    /// and so does one for which `ports` has no entry (we cannot anchor it, so refuse it).
    /// The result is kept (the next rewrite compares against it), and lent out from there.
    pub fn rewrite(
        &mut self,
        remote: &SessionDescription,
        our_ip: IpAddr,
        ports: &[u16],
    ) -> &SessionDescription {
        let ours = Connection::for_ip(our_ip);
        let mut sdp = remote.clone();
        sdp.origin = Origin {
            username: "switchboard".to_string(),
            session_id: self.session_id.to_string(),
            version: self.version.to_string(),
            net_type: ours.net_type.clone(),
            addr_type: ours.addr_type.clone(),
            address: ours.address.clone(),
        };
        sdp.attributes
            .retain(|(name, _)| !DROPPED.contains(&name.as_str()));

        let mut uncovered = false;
        for (i, media) in sdp.media.iter_mut().enumerate() {
            let hold = remote.is_old_hold(i);
            let direction = remote.direction(i);
            anchor_media(media, &ours, ports.get(i).copied());
            if hold {
                media.set_direction(direction.without_recv());
            }
            uncovered |= media.connection.is_none();
        }
        if sdp.connection.is_some() || uncovered {
            sdp.connection = Some(ours);
        }

        if self.last.as_ref().is_some_and(|last| *last != sdp) {
            self.version += 1;
            sdp.origin.version = self.version.to_string();
        }
        self.last.insert(sdp)
    }
}

fn anchor_media(media: &mut MediaDescription, ours: &Connection, port: Option<u16>) {
    media.port = match (media.port, port) {
        (0, _) | (_, None) => 0,
        (_, Some(p)) => p,
    };
    if media.connection.is_some() {
        media.connection = Some(ours.clone());
    }
    media
        .attributes
        .retain(|(name, _)| !DROPPED.contains(&name.as_str()));
}
