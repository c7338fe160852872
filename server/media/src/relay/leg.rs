//! The state of one side of the relay: negotiated remote, latched addresses, counters.

use std::net::SocketAddr;
use std::time::Instant;

use super::{DropReason, Drops, Kind, Stats, pt_allowed, pt_set, rtp_header};
use crate::rtcp;
use crate::rtp;
use crate::stats::ReceiveStats;

#[derive(Debug, Clone, Copy)]
struct Remote {
    rtp: SocketAddr,
    rtcp: SocketAddr,
    payload_types: u128,
    clock_rate: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Leg {
    remote: Option<Remote>,
    pub(crate) latched_rtp: Option<SocketAddr>,
    pub(crate) latched_rtcp: Option<SocketAddr>,
    /// SSRC of the stream this peer sends (the last one seen).
    pub(crate) ssrc: Option<u32>,
    receive: ReceiveStats,
    packets_in: u64,
    bytes_in: u64,
    pub(crate) packets_out: u64,
    rtcp_packets_in: u64,
    rtcp_lost: Option<u64>,
    rtcp_jitter_ms: Option<f64>,
    drops: Drops,
}

impl Leg {
    pub(crate) fn set_remote(
        &mut self,
        rtp: SocketAddr,
        rtcp: SocketAddr,
        pts: &[u8],
        clock_rate: u32,
    ) {
        self.remote = Some(Remote {
            rtp,
            rtcp,
            payload_types: pt_set(pts),
            clock_rate,
        });
        self.latched_rtp = None;
        self.latched_rtcp = None;
    }

    pub(crate) fn accept_rtp(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
    ) -> Result<(), DropReason> {
        let remote = self.remote.ok_or(DropReason::NoRemote)?;
        if self.latched_rtp.is_some_and(|latched| latched != from) {
            return Err(DropReason::Bleed);
        }
        let header = rtp_header(bytes)?;
        if !pt_allowed(remote.payload_types, header.payload_type) {
            return Err(DropReason::PayloadType(header.payload_type));
        }
        self.latched_rtp = Some(from);
        self.count_rtp(now, &header, remote.clock_rate);
        Ok(())
    }

    fn count_rtp(&mut self, now: Instant, header: &rtp::RtpHeader, clock_rate: u32) {
        if self.ssrc != Some(header.ssrc) {
            if self.ssrc.is_some() {
                self.receive.restart();
            }
            self.ssrc = Some(header.ssrc);
        }
        self.packets_in += 1;
        self.bytes_in += header.payload_len as u64;
        self.receive
            .on_packet(now, header.sequence, header.timestamp, clock_rate);
    }

    /// `other_ssrc`: the stream we send this peer, the one whose report block we want.
    pub(crate) fn accept_rtcp(
        &mut self,
        from: SocketAddr,
        bytes: &[u8],
        other_ssrc: Option<u32>,
    ) -> Result<(), DropReason> {
        let remote = self.remote.ok_or(DropReason::NoRemote)?;
        match (self.latched_rtcp, self.latched_rtp) {
            (Some(latched), _) if latched != from => return Err(DropReason::Bleed),
            (None, Some(rtp)) if rtp.ip() != from.ip() => return Err(DropReason::Bleed),
            _ => {}
        }
        if !rtp::is_rtcp(bytes) {
            return Err(DropReason::Malformed);
        }
        self.latched_rtcp = Some(from);
        self.rtcp_packets_in += 1;
        // A compound packet we cannot fully parse is still relayed: the peer may understand it.
        if let Ok(blocks) = rtcp::report_blocks(bytes) {
            let about_ours = blocks.iter().find(|b| Some(b.ssrc) == other_ssrc);
            if let Some(block) = about_ours.or(blocks.first()) {
                self.rtcp_lost = Some(u64::try_from(block.cumulative_lost).unwrap_or(0));
                self.rtcp_jitter_ms = Some(block.jitter_ms(remote.clock_rate));
            }
        }
        Ok(())
    }

    /// Where packets for this side's peer go (None: nowhere, see the module rules).
    pub(crate) fn destination(&self, kind: Kind) -> Option<SocketAddr> {
        let remote = self.remote?;
        let (sdp, latched) = match kind {
            Kind::Rtp => (remote.rtp, self.latched_rtp),
            Kind::Rtcp => (remote.rtcp, self.latched_rtcp),
        };
        if sdp.ip().is_unspecified() || sdp.port() == 0 {
            return None;
        }
        Some(latched.unwrap_or(sdp))
    }

    pub(crate) fn count_drop(&mut self, reason: DropReason) {
        let d = &mut self.drops;
        match reason {
            DropReason::NoRemote => d.no_remote += 1,
            DropReason::Malformed => d.malformed += 1,
            DropReason::PayloadType(_) => d.payload_type += 1,
            DropReason::Bleed => d.bleed += 1,
            DropReason::NoDestination => d.no_destination += 1,
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            packets_in: self.packets_in,
            bytes_in: self.bytes_in,
            packets_out: self.packets_out,
            lost: self.receive.lost(),
            jitter_ms: self.receive.jitter_ms(),
            rtcp_packets_in: self.rtcp_packets_in,
            rtcp_lost: self.rtcp_lost,
            rtcp_jitter_ms: self.rtcp_jitter_ms,
            drops: self.drops,
        }
    }
}
