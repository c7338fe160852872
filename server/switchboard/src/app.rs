//! Booting the server: open the store, bind every configured listener, wire them to one SIP
//! endpoint, start the background loops. `start` is what `switchboard serve` runs, and what
//! integration tests call in-process with port 0 listeners.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pbx::registrar::{Registrar, RegistrarConfig};
use portal::{ChannelListener, StatusListener};
use store::Store;
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinSet;

use crate::calls::CallContext;
use crate::config::{Config, Listen};
use crate::endpoint::{Endpoint, now_unix};
use crate::media::MediaEngine;
use crate::portal_backend::PortalBackend;
use crate::transport::shutdown::{self, ShutdownTrigger};
use crate::transport::{connections::Connections, http, tcp, tls, udp};
use pbx::call::CallAuthenticator;

/// Seconds a digest nonce stays valid before the registrar answers `stale=true`.
const NONCE_MAX_AGE: u64 = 300;
/// How often expired bindings are deleted from the database.
const PURGE_EVERY: Duration = Duration::from_secs(60);
/// Below this open-file limit the server warns at start: a thousand calls need 4000 sockets.
const LOW_OPEN_FILES: u64 = 4096;

/// A started server: the addresses actually bound (real ports when 0 was configured).
pub struct RunningServer {
    pub sip_udp: Option<SocketAddr>,
    pub sip_tcp: Option<SocketAddr>,
    pub sip_tls: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub domain: String,
    /// The certificate the TLS listeners present (None when no TLS listener is on).
    pub cert_path: Option<PathBuf>,
    /// True when this start generated that certificate.
    pub cert_generated: bool,
    pub store: Store,
    endpoint: Arc<Endpoint>,
    trigger: ShutdownTrigger,
    tasks: JoinSet<()>,
}

pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("data_dir: cannot create {}", config.data_dir.display()))?;
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("database_url: cannot open {}", redact(&config.database_url)))?;

    let tls_on = config.sip.tls != Listen::Off || config.http.tls != Listen::Off;
    let tls = if tls_on {
        Some(crate::tls::load_or_generate(&config).context("tls")?)
    } else {
        None
    };

    let udp_socket = match config.sip.udp.addr() {
        Some(a) => Some(Arc::new(
            UdpSocket::bind(a)
                .await
                .with_context(|| bind_error("sip.udp", a))?,
        )),
        None => None,
    };
    let tcp_listener = bind_tcp("sip.tcp", config.sip.tcp).await?;
    let tls_listener = bind_tcp("sip.tls", config.sip.tls).await?;
    let http_listener = bind_tcp("http.listen", config.http.listen).await?;
    let https_listener = bind_tcp("http.tls", config.http.tls).await?;

    let registrar = Registrar::new(
        RegistrarConfig {
            domain: config.domain.clone(),
            min_expires: config.registrar.min_expires,
            max_expires: config.registrar.max_expires,
            default_expires: config.registrar.default_expires,
            nonce_key: rand::random(),
            nonce_max_age: NONCE_MAX_AGE,
            sha256_first: config.registrar.digest_sha256_first,
            sha256: config.registrar.digest_sha256,
        },
        store.clone(),
        store.clone(),
    );
    let connections = Arc::new(Connections::new());
    let endpoint = Arc::new(Endpoint::new(
        registrar,
        store.clone(),
        connections,
        udp_socket.clone(),
        stream_idle(&config),
    ));
    endpoint.set_border(config.sip.dscp, config.trunks);
    let closed = store
        .close_open_records(crate::calls::now_ms())
        .await
        .context("closing call records left open by the last run")?;
    if closed > 0 {
        tracing::info!("{closed} call record(s) left open by the last run were closed");
    }
    let open_files = crate::open_files::raise_limit();
    if let Some(limit) = open_files.filter(|&l| l < LOW_OPEN_FILES) {
        tracing::warn!(
            "the process may open {limit} files (ulimit -n): four a call, so about {} calls at once; raise the hard limit (LimitNOFILE=) for more",
            limit / 8
        );
    }
    endpoint.enable_calls(CallContext {
        auth: CallAuthenticator::new(
            &config.domain,
            rand::random(),
            NONCE_MAX_AGE,
            config.registrar.digest_sha256_first,
            config.registrar.digest_sha256,
        ),
        store: store.clone(),
        media: MediaEngine::new(media_bind_ip(&config), config.media.rtp_ports)
            .with_dscp(config.media.dscp)
            .with_idle_cap(crate::open_files::idle_pairs(open_files)),
        domain: config.domain.clone(),
        public_ip: config.media.public_ip,
    });
    let (trigger, shutdown) = shutdown::channel();
    // Connections to TCP/TLS trunk providers close with the server.
    endpoint.trunk_streams.enable(shutdown.clone());
    let mut tasks = JoinSet::new();

    let local = |l: &Option<TcpListener>| l.as_ref().and_then(|l| l.local_addr().ok());
    let mut server = RunningServer {
        sip_udp: udp_socket.as_ref().and_then(|s| s.local_addr().ok()),
        sip_tcp: local(&tcp_listener),
        sip_tls: local(&tls_listener),
        http: local(&http_listener),
        https: local(&https_listener),
        domain: config.domain.clone(),
        cert_path: tls.as_ref().map(|t| t.cert_path.clone()),
        cert_generated: tls.as_ref().is_some_and(|t| t.generated),
        store: store.clone(),
        endpoint: endpoint.clone(),
        trigger,
        tasks: JoinSet::new(),
    };

    tasks.spawn(crate::endpoint::run_timers(
        endpoint.clone(),
        shutdown.clone(),
    ));
    if let Some(socket) = udp_socket {
        tasks.spawn(udp::run(socket, endpoint.clone(), shutdown.clone()));
    }
    if let Some(l) = tcp_listener {
        tasks.spawn(tcp::run(l, endpoint.clone(), shutdown.clone()));
    }
    if let (Some(l), Some(t)) = (tls_listener, &tls) {
        tasks.spawn(tls::run_sip(
            l,
            t.sip.clone(),
            endpoint.clone(),
            shutdown.clone(),
        ));
    }
    let backend = Arc::new(PortalBackend {
        endpoint: endpoint.clone(),
        shutdown: shutdown.clone(),
        domain: config.domain.clone(),
        listeners: server.status_listeners(),
    });
    let portal_config = portal::PortalConfig {
        session_idle: Duration::from_secs(u64::from(config.portal.session_idle_minutes) * 60),
        session_max: Duration::from_secs(u64::from(config.portal.session_max_hours) * 3600),
        ..portal::PortalConfig::default()
    };
    if let Some(l) = http_listener {
        tasks.spawn(http::run_http(
            l,
            backend.clone(),
            portal_config.clone(),
            shutdown.clone(),
        ));
    }
    if let (Some(l), Some(t), Some(addr)) = (https_listener, &tls, server.https) {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tasks.spawn(tls::run_https(l, t.https.clone(), tx, shutdown.clone()));
        tasks.spawn(http::run_https(
            ChannelListener::new(rx, addr),
            addr,
            backend.clone(),
            portal_config.clone(),
            shutdown.clone(),
        ));
    }
    if config.registrar.qualify_interval > 0 {
        let interval = Duration::from_secs(u64::from(config.registrar.qualify_interval));
        let (ep, domain, mut stop) = (endpoint.clone(), config.domain.clone(), shutdown.clone());
        tasks.spawn(async move {
            tokio::select! {
                () = crate::qualify::run(ep, domain, interval) => {}
                () = stop.wait() => {}
            }
        });
    }
    let trunk_side = crate::trunks::runner::Local {
        udp: server.sip_udp,
        tcp: server.sip_tcp,
        tls: server.sip_tls,
        public_ip: config.media.public_ip,
        domain: config.domain.clone(),
    };
    tasks.spawn(crate::trunks::driver::run(
        endpoint.clone(),
        trunk_side,
        shutdown.clone(),
    ));
    let (purge_store, mut stop) = (store.clone(), shutdown.clone());
    let (idle, max) = (
        i64::from(config.portal.session_idle_minutes) * 60,
        i64::from(config.portal.session_max_hours) * 3600,
    );
    tasks.spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = purge_store.purge_expired_bindings(now_unix()).await {
                        tracing::warn!("purging expired bindings failed: {e}");
                    }
                    // Portal logins past their idle or absolute limit (the portal refuses
                    // them anyway; this keeps the table small).
                    let now = i64::try_from(now_unix()).unwrap_or(i64::MAX);
                    if let Err(e) = purge_store.purge_sessions(now - idle, now - max).await {
                        tracing::warn!("purging expired portal sessions failed: {e}");
                    }
                }
                () = stop.wait() => return,
            }
        }
    });
    server.tasks = tasks;
    Ok(server)
}

/// Media sockets bind where SIP over UDP listens (127.0.0.1 in tests, every address in
/// production), so RTP goes where signalling does.
fn media_bind_ip(config: &Config) -> std::net::IpAddr {
    config
        .sip
        .udp
        .addr()
        .or(config.sip.tcp.addr())
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip())
}

/// How long a TCP/TLS connection may stay silent. Phones keep their flows alive with CRLF
/// pings (RFC 5626: every 95-120 s) or re-REGISTER before the binding lapses, and they answer
/// our keepalive OPTIONS; a connection quiet for longer than a whole registration lifetime
/// plus slack serves nobody (or is a slow-loris).
fn stream_idle(config: &Config) -> Duration {
    let quiet = u64::from(
        config
            .registrar
            .max_expires
            .max(config.registrar.qualify_interval),
    );
    Duration::from_secs(quiet + 120)
}

async fn bind_tcp(key: &'static str, listen: Listen) -> anyhow::Result<Option<TcpListener>> {
    match listen.addr() {
        None => Ok(None),
        Some(a) => Ok(Some(
            TcpListener::bind(a)
                .await
                .with_context(|| bind_error(key, a))?,
        )),
    }
}

fn bind_error(key: &str, addr: SocketAddr) -> String {
    format!("{key}: cannot listen on {addr}")
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = url.get(s + 3..at).unwrap_or("");
            match creds.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    url.get(..s + 3).unwrap_or(""),
                    url.get(at..).unwrap_or("")
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl RunningServer {
    /// Every listener that is open, named as in the configuration, with what a client uses.
    pub fn status_listeners(&self) -> Vec<StatusListener> {
        let mut out = Vec::new();
        let mut add = |name: &str, address: String| {
            out.push(StatusListener {
                name: name.to_owned(),
                address,
            })
        };
        if let Some(a) = self.sip_udp {
            add("SIP UDP", format!("{a}"));
        }
        if let Some(a) = self.sip_tcp {
            add("SIP TCP", format!("{a}"));
        }
        if let Some(a) = self.sip_tls {
            add("SIP TLS", format!("{a}"));
        }
        if let Some(a) = self.http {
            add(
                "HTTP (SIP over WebSocket)",
                crate::transport::ws::url(a, false),
            );
        }
        if let Some(a) = self.https {
            add(
                "HTTPS (SIP over secure WebSocket)",
                crate::transport::ws::url(a, true),
            );
        }
        out
    }

    /// Where to open the portal: HTTPS when only that is on, else HTTP.
    pub fn portal_url(&self) -> Option<String> {
        let (scheme, addr) = match (self.http, self.https) {
            (Some(a), _) => ("http", a),
            (None, Some(a)) => ("https", a),
            (None, None) => return None,
        };
        let host = if addr.ip().is_unspecified() {
            "localhost".to_owned()
        } else {
            addr.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        Some(format!("{scheme}://{host}:{}/", addr.port()))
    }

    /// Open connections (TCP, TLS, WebSocket).
    pub fn connection_count(&self) -> usize {
        self.endpoint.connections().len()
    }

    /// Runs one round of keepalive OPTIONS now (tests; the timer does it otherwise).
    pub async fn qualify_now(&self) {
        crate::qualify::qualify_all(&self.endpoint, &self.domain).await;
    }

    /// Keepalive OPTIONS answered since start.
    pub fn qualify_answered(&self) -> u64 {
        self.endpoint
            .qualify
            .lock()
            .map(|q| q.answered_total())
            .unwrap_or(0)
    }

    /// The live state of the SIP trunks.
    pub fn trunks(&self) -> &crate::trunks::TrunkBoard {
        &self.endpoint.trunks
    }

    /// Calls that are up or ringing.
    pub fn active_calls(&self) -> Vec<crate::calls::router::ActiveCall> {
        self.endpoint.calls().active()
    }

    /// Hangs up every call (each writes its record), stops every listener and connection,
    /// then closes the database.
    pub async fn shutdown(mut self) {
        if self.endpoint.calls().shutdown_all() > 0 {
            let calls = async {
                while !self.endpoint.calls().is_empty() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            };
            tokio::time::timeout(Duration::from_secs(2), calls)
                .await
                .ok();
        }
        self.trigger.trigger();
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(2), drain)
            .await
            .is_err()
        {
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        self.store.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
