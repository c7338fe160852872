//! What every call task shares: the caller authenticator, the store (directory, dial plan,
//! locations, call records), the media engine and the addresses we advertise.

use std::net::IpAddr;

use pbx::call::CallAuthenticator;
use store::Store;

use crate::media::MediaEngine;

pub struct CallContext {
    pub auth: CallAuthenticator,
    pub store: Store,
    pub media: MediaEngine,
    pub domain: String,
    /// Written into SDP instead of our own address when the server sits behind NAT.
    pub public_ip: Option<IpAddr>,
}
