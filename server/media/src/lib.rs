//! The media plane of Switchboard, sans-IO: nothing here reads the clock, spawns or touches a
//! socket. The tokio driver (server/switchboard/src/media) owns the sockets and passes `now`.
//!
//! - [`sdp`]: parse and print SDP (liberal in, exact out) and rewrite it so media is anchored.
//! - [`rtp`] / [`rtcp`]: the header fields the relay needs; RTCP report blocks.
//! - [`stats`]: RFC 3550 receive statistics (loss, interarrival jitter).
//! - [`relay`]: the per-call anchored relay with strict latching and payload-type filtering.
//! - [`ports`]: the pool of even RTP ports (RTCP = RTP + 1).

pub mod bridge;
pub mod codec;
pub mod dtmf;
pub mod jitter;
pub mod ports;
pub mod relay;
pub mod resample;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod srtp;
pub mod stats;
pub mod transcode;
pub mod webrtc;

pub use relay::{DropReason, Drops, Kind, Relay, Side, Stats, Verdict};
