//! Connections we open to trunk providers over TCP or TLS. Each is registered with the
//! `Connections` registry and read by `stream` like an accepted one, so responses and the
//! provider's requests (calls to our numbers come over the connection we registered over)
//! feed the endpoint, and `Flow::connection` sends over it. One connection per trunk,
//! reused while it is open and opened again on demand after it closed (the trunk driver
//! notices a close because the id leaves the registry, and opens the next one at once to
//! register over it; see `trunks::runner`). TLS verifies the
//! provider's certificate against the trunk's CA file, or else the system's trust store,
//! with the trunk's host as the server name (SNI and the name checked).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use pbx::trunk::{Trunk, TrunkTransport};
use pbx::{Flow, Transport};
use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::shutdown::Shutdown;
use crate::endpoint::Shared;

/// Connecting and the TLS handshake together get this long.
const CONNECT_DEADLINE: Duration = Duration::from_secs(5);

/// Where the system keeps its trusted CA bundle (Debian/Ubuntu, Fedora/RHEL, Alpine and
/// BSDs, openSUSE); `SSL_CERT_FILE` overrides, as for OpenSSL.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
];

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to {0}: {1}")]
    Connect(SocketAddr, std::io::Error),
    #[error("connecting to {0} timed out")]
    Timeout(SocketAddr),
    #[error("TLS with {0} failed: {1}")]
    Handshake(SocketAddr, std::io::Error),
    #[error("CA file {0}: {1}")]
    CaFile(String, String),
    #[error("no system CA certificates found (set the trunk's CA file)")]
    NoSystemRoots,
    #[error("bad TLS server name {0:?}")]
    ServerName(String),
    #[error("TLS setup: {0}")]
    Tls(#[from] rustls::Error),
    #[error("outbound connections are not enabled")]
    NotEnabled,
    #[error("{0} is not a stream transport")]
    NotStream(TrunkTransport),
}

/// What a trunk connects to; a change (host, port, CA file) opens a new connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub transport: TrunkTransport,
    pub remote: SocketAddr,
    /// The provider's host as configured: SNI and the name its certificate must carry.
    pub server_name: String,
    pub ca_file: Option<String>,
}

impl Target {
    pub fn for_trunk(trunk: &Trunk, remote: SocketAddr) -> Target {
        let name = pbx::trunk::provider::parse_host(&trunk.host)
            .map(|(host, _)| host.to_string())
            .unwrap_or_else(|_| trunk.host.clone());
        Target {
            transport: trunk.transport,
            remote,
            server_name: name.trim_matches(['[', ']']).to_owned(),
            ca_file: trunk.ca_file.clone(),
        }
    }
}

/// The open connection of each trunk, by trunk name.
#[derive(Default)]
pub struct TrunkStreams {
    shutdown: OnceLock<Shutdown>,
    /// One slot per trunk, locked while connecting so that the driver and a call do not
    /// both open one.
    slots: Mutex<HashMap<String, Slot>>,
}

type Slot = Arc<tokio::sync::Mutex<Option<(Target, Flow)>>>;

impl TrunkStreams {
    /// Connections opened from now on close at `shutdown`; none can be opened before.
    pub fn enable(&self, shutdown: Shutdown) {
        self.shutdown.set(shutdown).ok();
    }

    /// The trunk's connection to `target`, opened if it has none or its last one closed.
    pub async fn flow(
        &self,
        endpoint: &Shared,
        trunk: &str,
        target: &Target,
    ) -> Result<Flow, ConnectError> {
        let slot = self.slot(trunk);
        let mut open = slot.lock().await;
        if let Some((was, flow)) = open.as_ref() {
            let alive = flow
                .connection
                .is_some_and(|id| endpoint.connections().get(id).is_some());
            if alive && was == target {
                return Ok(flow.clone());
            }
            if let Some(id) = flow.connection {
                endpoint.connections().close(id);
            }
        }
        *open = None;
        let shutdown = self
            .shutdown
            .get()
            .cloned()
            .ok_or(ConnectError::NotEnabled)?;
        let flow = connect(endpoint, target, shutdown).await?;
        tracing::info!(%trunk, remote = %target.remote, transport = %target.transport, "trunk connection opened");
        *open = Some((target.clone(), flow.clone()));
        Ok(flow)
    }

    /// The trunk's connection if one is open now; None while one is being opened.
    pub fn live(&self, endpoint: &Shared, trunk: &str) -> Option<Flow> {
        let slot = self.slots.lock().ok()?.get(trunk)?.clone();
        let open = slot.try_lock().ok()?;
        let (_, flow) = open.as_ref()?;
        let id = flow.connection?;
        endpoint.connections().get(id).map(|_| flow.clone())
    }

    /// Closes the connections of trunks not in `names` (removed from the configuration).
    pub fn retain(&self, endpoint: &Shared, names: &[String]) {
        let gone: Vec<Slot> = match self.slots.lock() {
            Ok(mut slots) => {
                let names: Vec<String> = slots
                    .keys()
                    .filter(|k| !names.contains(k))
                    .cloned()
                    .collect();
                names.iter().filter_map(|n| slots.remove(n)).collect()
            }
            Err(_) => return,
        };
        for slot in gone {
            // A slot locked right now is connecting: its connection is left to the peer.
            if let Ok(open) = slot.try_lock()
                && let Some(id) = open.as_ref().and_then(|(_, f)| f.connection)
            {
                endpoint.connections().close(id);
            }
        }
    }

    fn slot(&self, trunk: &str) -> Slot {
        match self.slots.lock() {
            Ok(mut slots) => slots.entry(trunk.to_owned()).or_default().clone(),
            // A poisoned map: connect without sharing rather than not at all.
            Err(_) => Slot::default(),
        }
    }
}

/// The flow toward a trunk's provider at `dest`: the UDP listener's, or the trunk's own
/// connection for TCP and TLS.
pub async fn trunk_flow(
    endpoint: &Shared,
    trunk: &Trunk,
    dest: SocketAddr,
) -> Result<Flow, String> {
    if trunk.transport == TrunkTransport::Udp {
        return endpoint
            .udp_flow_to(dest)
            .ok_or_else(|| "no SIP UDP listener to reach the provider from".to_owned());
    }
    let target = Target::for_trunk(trunk, dest);
    endpoint
        .trunk_streams
        .flow(endpoint, &trunk.name, &target)
        .await
        .map_err(|e| e.to_string())
}

async fn connect(
    endpoint: &Shared,
    target: &Target,
    shutdown: Shutdown,
) -> Result<Flow, ConnectError> {
    let remote = target.remote;
    let tls = match target.transport {
        TrunkTransport::Tls => Some(tls_connector(target)?),
        TrunkTransport::Tcp => None,
        TrunkTransport::Udp => return Err(ConnectError::NotStream(target.transport)),
    };
    let server_name = ServerName::try_from(target.server_name.clone())
        .map_err(|_| ConnectError::ServerName(target.server_name.clone()))?;
    let opened = tokio::time::timeout(CONNECT_DEADLINE, async {
        let tcp = TcpStream::connect(remote)
            .await
            .map_err(|e| ConnectError::Connect(remote, e))?;
        let _ = tcp.set_nodelay(true);
        let local = tcp
            .local_addr()
            .map_err(|e| ConnectError::Connect(remote, e))?;
        let flow = |transport| Flow {
            transport,
            remote,
            local,
            connection: None,
        };
        Ok(match tls {
            None => {
                super::stream::spawn_outbound(tcp, flow(Transport::Tcp), endpoint.clone(), shutdown)
            }
            Some(connector) => {
                let stream = connector
                    .connect(server_name, tcp)
                    .await
                    .map_err(|e| ConnectError::Handshake(remote, e))?;
                super::stream::spawn_outbound(
                    stream,
                    flow(Transport::Tls),
                    endpoint.clone(),
                    shutdown,
                )
            }
        })
    })
    .await;
    opened.unwrap_or(Err(ConnectError::Timeout(remote)))
}

fn tls_connector(target: &Target) -> Result<TlsConnector, ConnectError> {
    let mut roots = rustls::RootCertStore::empty();
    let certs = match &target.ca_file {
        Some(path) => {
            read_pem(Path::new(path)).map_err(|e| ConnectError::CaFile(path.clone(), e))?
        }
        None => system_roots()?,
    };
    // Certificates a verifier cannot use (odd encodings in big system bundles) are skipped.
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(match &target.ca_file {
            Some(path) => ConnectError::CaFile(path.clone(), "no usable certificate".into()),
            None => ConnectError::NoSystemRoots,
        });
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

fn system_roots() -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
    let candidates = from_env
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(std::path::PathBuf::from));
    for path in candidates {
        if let Ok(certs) = read_pem(&path)
            && !certs.is_empty()
        {
            return Ok(certs);
        }
    }
    Err(ConnectError::NoSystemRoots)
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| e.to_string())?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in it".into());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trunk(host: &str, transport: TrunkTransport) -> Trunk {
        Trunk {
            id: 0,
            name: "t".into(),
            host: host.into(),
            port: None,
            transport,
            registration: None,
            allow: Vec::new(),
            codecs: Vec::new(),
            srtp: pbx::trunk::SrtpPolicy::Off,
            channels: None,
            options_interval: 0,
            caller_id: None,
            ca_file: Some("/nonexistent/ca.pem".into()),
        }
    }

    #[test]
    fn targets_name_the_host_without_port_or_brackets() {
        let remote: SocketAddr = ([127, 0, 0, 1], 5061).into();
        let t = Target::for_trunk(&trunk("sip.example.com:5062", TrunkTransport::Tls), remote);
        assert_eq!(t.server_name, "sip.example.com");
        let t = Target::for_trunk(&trunk("[::1]:5062", TrunkTransport::Tls), remote);
        assert_eq!(t.server_name, "::1");
        assert!(ServerName::try_from(t.server_name).is_ok());
    }

    #[test]
    fn a_missing_ca_file_is_named_in_the_error() {
        let remote: SocketAddr = ([127, 0, 0, 1], 5061).into();
        let t = Target::for_trunk(&trunk("127.0.0.1", TrunkTransport::Tls), remote);
        let err = tls_connector(&t)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }
}
