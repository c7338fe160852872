//! Which local address the routing table picks towards a peer, remembered for a while. A
//! listener on 0.0.0.0 (the default) does not know the address its Via and Contact must
//! name, and asking the kernel costs four system calls and a socket (bind, connect,
//! getsockname, close): a call asks several times, so a UDP call paid about 30 more system
//! calls than one on a listener bound to an address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an answer is trusted: a route that changes (a VPN coming up, a new DHCP lease)
/// is seen within this time.
const FRESH_FOR: Duration = Duration::from_secs(10);

/// Remote addresses remembered at most; beyond, the stale ones go, then all of them (a
/// scanner from many addresses must not grow it without end).
const MAX_REMOTES: usize = 4096;

#[derive(Debug, Default)]
pub struct SourceIps {
    known: Mutex<HashMap<IpAddr, (IpAddr, Instant)>>,
}

impl SourceIps {
    /// The local address towards `remote`, from the routing table.
    pub fn toward(&self, remote: SocketAddr) -> Option<IpAddr> {
        self.toward_with(remote, Instant::now(), ask_the_kernel)
    }

    fn toward_with(
        &self,
        remote: SocketAddr,
        now: Instant,
        ask: impl FnOnce(SocketAddr) -> Option<IpAddr>,
    ) -> Option<IpAddr> {
        let fresh = |at: Instant| now.saturating_duration_since(at) < FRESH_FOR;
        if let Ok(known) = self.known.lock()
            && let Some(&(local, at)) = known.get(&remote.ip())
            && fresh(at)
        {
            return Some(local);
        }
        let local = ask(remote)?;
        if let Ok(mut known) = self.known.lock() {
            if known.len() >= MAX_REMOTES {
                known.retain(|_, &mut (_, at)| fresh(at));
                if known.len() >= MAX_REMOTES {
                    known.clear();
                }
            }
            known.insert(remote.ip(), (local, now));
        }
        Some(local)
    }
}

/// A connect() on a UDP socket sends nothing; it only picks the route and so the source.
pub(crate) fn ask_the_kernel(remote: SocketAddr) -> Option<IpAddr> {
    let any: SocketAddr = if remote.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let probe = std::net::UdpSocket::bind(any).ok()?;
    probe.connect(remote).ok()?;
    probe.local_addr().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    const LAN: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 10));

    #[test]
    fn the_kernel_names_loopback_towards_loopback() {
        let remote: SocketAddr = ([127, 0, 0, 1], 5099).into();
        assert_eq!(SourceIps::default().toward(remote), Some(remote.ip()));
    }

    #[test]
    fn an_answer_is_reused_while_fresh_then_asked_again() {
        let ips = SourceIps::default();
        let asked = Cell::new(0);
        let ask = |_| {
            asked.set(asked.get() + 1);
            Some(LAN)
        };
        let t0 = Instant::now();
        let phone: SocketAddr = ([192, 0, 2, 50], 5060).into();
        let same_host_other_port: SocketAddr = ([192, 0, 2, 50], 5062).into();
        assert_eq!(ips.toward_with(phone, t0, ask), Some(LAN));
        assert_eq!(
            ips.toward_with(same_host_other_port, t0 + FRESH_FOR / 2, ask),
            Some(LAN)
        );
        assert_eq!(asked.get(), 1);
        assert_eq!(ips.toward_with(phone, t0 + FRESH_FOR, ask), Some(LAN));
        assert_eq!(asked.get(), 2);
    }

    #[test]
    fn no_route_is_not_remembered() {
        let ips = SourceIps::default();
        let asked = Cell::new(0);
        let t0 = Instant::now();
        let remote: SocketAddr = ([198, 51, 100, 7], 5060).into();
        for _ in 0..2 {
            let none = ips.toward_with(remote, t0, |_| {
                asked.set(asked.get() + 1);
                None
            });
            assert_eq!(none, None);
        }
        assert_eq!(asked.get(), 2);
    }

    #[test]
    fn many_remotes_do_not_grow_the_table_without_end() -> Result<(), String> {
        let ips = SourceIps::default();
        let t0 = Instant::now();
        for n in 0..(MAX_REMOTES as u32 + 10) {
            let remote = SocketAddr::new(IpAddr::V4(n.into()), 5060);
            ips.toward_with(remote, t0, |_| Some(LAN));
        }
        let len = ips.known.lock().map_err(|e| e.to_string())?.len();
        assert!(len <= MAX_REMOTES, "{len}");
        Ok(())
    }
}
