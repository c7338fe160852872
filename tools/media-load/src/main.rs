//! media-load: N concurrent calls through a SIP server, ramping N until more than 1 % of
//! frames miss their 20 ms deadline. The scenario says what the two ends speak (`scenario`):
//! a browser-like caller (Opus, DTLS-SRTP, SIP over WebSocket) to a PCMU phone, a PCMU phone
//! to a G.729 phone, or an SDES-SRTP phone to a plain RTP phone. Per step it prints frames
//! missed, the latency through the server per packet (send to kernel arrival), the server's
//! CPU per call ("calls per core") and its memory per call (PSS delta / N). See
//! scripts/bench-media.sh for the side-by-side run against rtpengine.
//!
//! One current-thread tokio runtime drives every peer (run it pinned to a CPU of its own);
//! its own CPU use is printed too, and the ramp stops when it nears a whole core, since
//! past that the figures describe the generator rather than the server.
//! `MEDIA_LOAD_DEBUG=1` prints the first call's SDP offer and answer on stderr.

mod browser;
mod call;
mod caller;
mod phone;
mod phone_caller;
mod procfs;
mod ramp;
mod rtp_end;
mod rxtime;
mod scenario;
mod sip;
mod stats;
mod tone;
mod ua;

use std::net::SocketAddr;

use anyhow::{Result, anyhow};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    about = "Ramp calls (Opus <-> PCMU, PCMU <-> G.729 or SRTP <-> RTP) through a SIP server until frames miss their 20 ms deadline"
)]
pub struct Args {
    /// What the two ends speak, so what the server has to do between them.
    #[arg(long, value_enum, default_value = "opus-pcmu")]
    pub scenario: scenario::Scenario,
    /// The server's SIP WebSocket, e.g. ws://127.0.0.1:8080/sip (browser callers only).
    #[arg(long, default_value = "ws://127.0.0.1:8080/sip")]
    pub ws: String,
    /// The server's SIP UDP address, for the phones.
    #[arg(long)]
    pub sip: SocketAddr,
    /// SIP domain (realm of the AORs).
    #[arg(long, default_value = "example.com")]
    pub domain: String,
    /// Caller credentials USER:PASSWORD; every call calls as it (a browser registers too).
    #[arg(long, default_value = "1001:secret")]
    pub caller: String,
    /// Give every call a caller of its own: user BASE+i (the password of --caller), so no
    /// AOR collects hundreds of contacts. Without it every call registers as --caller's user.
    #[arg(long)]
    pub caller_base: Option<u32>,
    /// Callee (phone) credentials USER:PASSWORD; one registration answers every call.
    #[arg(long, default_value = "1002:secret")]
    pub callee: String,
    /// The process doing the media (PID or process name): its CPU and PSS are measured.
    #[arg(long)]
    pub pid: String,
    /// Count the CPU of the media process's descendants too.
    #[arg(long)]
    pub pid_tree: bool,
    /// Another process tree whose CPU is shown in its own column, NAME=PID|PROCESS-NAME
    /// (e.g. kamailio=kamailio when it does the signalling and rtpengine the media).
    #[arg(long)]
    pub also: Option<String>,
    /// Concurrent call counts to step through (default: the scenario's, with 20 and 85).
    #[arg(long, value_delimiter = ',')]
    pub steps: Option<Vec<usize>>,
    /// Seconds each step is measured.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Stop after this many calls even if no deadline is missed.
    #[arg(long, default_value_t = 1000)]
    pub max: usize,
    /// Miss ratio that ends the ramp.
    #[arg(long, default_value_t = 0.01)]
    pub miss_limit: f64,
    /// Share of one core the generator may use before the ramp stops (its figures would
    /// then describe the generator, not the server).
    #[arg(long, default_value_t = 0.9)]
    pub gen_limit: f64,
    /// Name of the server in the output.
    #[arg(long, default_value = "server")]
    pub label: String,
}

fn split_cred(s: &str) -> Result<(String, String)> {
    s.split_once(':')
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .ok_or_else(|| anyhow!("credentials must be USER:PASSWORD, got {s}"))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, ramp::run(args))
}
