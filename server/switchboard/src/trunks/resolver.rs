//! Where a trunk's provider is: its host as typed (an address, or a name looked up through a
//! `Resolver`), the trunk's port or the one in the host text or the transport's default, in
//! the address family we send from. The lookup is a trait so that tests can give their own
//! answers: a test cannot change the machine's DNS.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use pbx::trunk::Trunk;
use pbx::trunk::provider::parse_host;

/// A DNS lookup that takes longer is given up (and retried later).
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

pub type Lookup<'a> = Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send + 'a>>;

/// Looks up host names.
pub trait Resolver: Send + Sync {
    /// The addresses `name` has now, each with `port`.
    fn lookup<'a>(&'a self, name: &'a str, port: u16) -> Lookup<'a>;
}

/// The system's resolver (getaddrinfo on tokio's blocking pool).
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn lookup<'a>(&'a self, name: &'a str, port: u16) -> Lookup<'a> {
        Box::pin(async move { Ok(tokio::net::lookup_host((name, port)).await?.collect()) })
    }
}

/// Whether the trunk's host is a name (something to look up again later), not an address.
pub fn host_is_name(trunk: &Trunk) -> bool {
    matches!(parse_host(&trunk.host), Ok((sip::Host::Name(_), _)))
}

/// Every address of the trunk's provider in the family of `family`, in the resolver's order.
pub async fn provider_addresses(
    trunk: &Trunk,
    family: SocketAddr,
    resolver: &dyn Resolver,
) -> Result<Vec<SocketAddr>, String> {
    let (host, port_in_host) =
        parse_host(&trunk.host).map_err(|e| format!("bad provider host: {e}"))?;
    let port = trunk
        .port
        .or(port_in_host)
        .unwrap_or(trunk.transport.default_port());
    let name = match host {
        sip::Host::V4(ip) => return in_family(vec![(ip, port).into()], &trunk.host, family),
        sip::Host::V6(ip) => return in_family(vec![(ip, port).into()], &trunk.host, family),
        sip::Host::Name(name) => name,
    };
    let addrs = match tokio::time::timeout(LOOKUP_TIMEOUT, resolver.lookup(&name, port)).await {
        Ok(Ok(addrs)) => addrs,
        Ok(Err(e)) => return Err(format!("cannot resolve {name}: {e}")),
        Err(_) => return Err(format!("cannot resolve {name}: timed out")),
    };
    in_family(addrs, &name, family)
}

fn in_family(
    addrs: Vec<SocketAddr>,
    name: &str,
    family: SocketAddr,
) -> Result<Vec<SocketAddr>, String> {
    let usable: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| a.is_ipv4() == family.is_ipv4())
        .collect();
    if usable.is_empty() {
        return Err(format!("{name} has no address reachable from {family}"));
    }
    Ok(usable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbx::trunk::TrunkTransport;

    /// Answers every name with the same addresses.
    struct Fixed(Vec<SocketAddr>);

    impl Resolver for Fixed {
        fn lookup<'a>(&'a self, _name: &'a str, port: u16) -> Lookup<'a> {
            let addrs = self
                .0
                .iter()
                .map(|a| SocketAddr::new(a.ip(), port))
                .collect();
            Box::pin(async move { Ok(addrs) })
        }
    }

    fn trunk(host: &str, port: Option<u16>, transport: TrunkTransport) -> Trunk {
        Trunk {
            id: 0,
            name: "t".into(),
            host: host.into(),
            port,
            transport,
            registration: None,
            allow: Vec::new(),
            codecs: Vec::new(),
            srtp: pbx::trunk::SrtpPolicy::Off,
            channels: None,
            options_interval: 0,
            caller_id: None,
            ca_file: None,
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[tokio::test]
    async fn names_are_looked_up_with_the_port_and_filtered_by_family() {
        let dns = Fixed(vec![addr("[2001:db8::1]:0"), addr("192.0.2.7:0")]);
        let v4 = addr("127.0.0.1:5060");
        let t = trunk("sip.example.net", None, TrunkTransport::Tls);
        assert!(host_is_name(&t));
        assert_eq!(
            provider_addresses(&t, v4, &dns).await,
            Ok(vec![addr("192.0.2.7:5061")]),
            "the transport's default port"
        );
        let t = trunk("sip.example.net:5070", Some(5080), TrunkTransport::Udp);
        assert_eq!(
            provider_addresses(&t, addr("[::1]:5060"), &dns).await,
            Ok(vec![addr("[2001:db8::1]:5080")]),
            "the trunk's port first"
        );
        let nothing = Fixed(Vec::new());
        let err = provider_addresses(&t, v4, &nothing).await.err();
        assert!(err.is_some_and(|e| e.contains("no address reachable")));
    }

    #[tokio::test]
    async fn addresses_are_taken_as_they_are() {
        let dns = Fixed(vec![addr("192.0.2.7:0")]);
        let t = trunk("198.51.100.4:5070", None, TrunkTransport::Udp);
        assert!(!host_is_name(&t));
        assert_eq!(
            provider_addresses(&t, addr("127.0.0.1:5060"), &dns).await,
            Ok(vec![addr("198.51.100.4:5070")])
        );
        let t = trunk("[::1]", None, TrunkTransport::Udp);
        assert!(
            provider_addresses(&t, addr("127.0.0.1:5060"), &dns)
                .await
                .is_err(),
            "an IPv6 provider is not reachable from an IPv4 listener"
        );
    }
}
