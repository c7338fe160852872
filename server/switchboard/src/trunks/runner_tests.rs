//! The runner's Contact, and how it follows its provider's address: a scripted resolver
//! stands in for DNS, time is passed by hand, and nothing is sent (the requests the runner
//! asks for are checked instead).

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use pbx::trunk::{SrtpPolicy, TrunkRegistration};
use sip::HeaderName;

use super::*;
use crate::endpoint::Endpoint;
use crate::trunks::resolver::Lookup;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn flow(transport: Transport, local: &str, remote: &str) -> Flow {
    Flow {
        transport,
        remote: addr(remote),
        local: addr(local),
        connection: None,
    }
}

fn local() -> Local {
    Local {
        udp: None,
        tcp: None,
        tls: None,
        public_ip: None,
        domain: "pbx.example".into(),
    }
}

#[test]
fn contacts_use_the_public_address_when_set() {
    let mut local = local();
    let f = flow(Transport::Udp, "127.0.0.1:5060", "127.0.0.1:5070");
    assert_eq!(contact("acme", &local, &f), "<sip:acme@127.0.0.1:5060>");
    local.public_ip = Some(IpAddr::from([198, 51, 100, 7]));
    assert_eq!(contact("a@b", &local, &f), "<sip:a%40b@198.51.100.7:5060>");
    local.public_ip = None;
    let any = flow(Transport::Udp, "0.0.0.0:5080", "127.0.0.1:5070");
    assert_eq!(contact("acme", &local, &any), "<sip:acme@127.0.0.1:5080>");
}

#[test]
fn stream_contacts_name_our_listener_not_the_connection() {
    let mut local = local();
    local.udp = Some(addr("127.0.0.1:5060"));
    local.tcp = Some(addr("127.0.0.1:5070"));
    local.tls = Some(addr("0.0.0.0:5071"));
    let tcp = flow(Transport::Tcp, "127.0.0.1:40001", "127.0.0.5:5060");
    assert_eq!(
        contact("acme", &local, &tcp),
        "<sip:acme@127.0.0.1:5070;transport=tcp>"
    );
    // A listener on every address: the connection's local address, the listener's port.
    let tls = flow(Transport::Tls, "127.0.0.9:40002", "127.0.0.5:5061");
    assert_eq!(
        contact("acme", &local, &tls),
        "<sip:acme@127.0.0.9:5071;transport=tls>"
    );
    local.public_ip = Some(IpAddr::from([198, 51, 100, 7]));
    assert_eq!(
        contact("acme", &local, &tls),
        "<sip:acme@198.51.100.7:5071;transport=tls>"
    );
    // No listener for the transport: only the connection we opened reaches us.
    local.public_ip = None;
    local.tcp = None;
    assert_eq!(
        contact("acme", &local, &tcp),
        "<sip:acme@127.0.0.1:40001;transport=tcp>"
    );
}

/// DNS as the test says it is now.
#[derive(Clone, Default)]
struct Script(Arc<Mutex<Vec<Ipv4Addr>>>);

impl Script {
    fn answer(&self, ips: &[[u8; 4]]) {
        if let Ok(mut now) = self.0.lock() {
            *now = ips.iter().map(|ip| Ipv4Addr::from(*ip)).collect();
        }
    }
}

impl Resolver for Script {
    fn lookup<'a>(&'a self, _name: &'a str, port: u16) -> Lookup<'a> {
        let addrs = self
            .0
            .lock()
            .map(|ips| ips.iter().map(|ip| SocketAddr::from((*ip, port))).collect())
            .unwrap_or_default();
        Box::pin(async move { Ok(addrs) })
    }
}

/// An endpoint with a UDP listener (nothing is sent through it) and its `Local`.
async fn endpoint(dir: &std::path::Path) -> (Shared, Local) {
    let url = crate::config::Config::sqlite_url_for(dir);
    let store = store::Store::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let registrar = pbx::registrar::Registrar::new(
        pbx::registrar::RegistrarConfig::new("pbx.example", [7; 32]),
        store.clone(),
        store.clone(),
    );
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut local = local();
    local.udp = udp.local_addr().ok();
    let endpoint = Endpoint::new(
        registrar,
        store,
        Arc::default(),
        Some(Arc::new(udp)),
        Duration::from_secs(60),
    );
    (Arc::new(endpoint), local)
}

fn registering_trunk(host: &str) -> Trunk {
    Trunk {
        id: 0,
        name: "acme".into(),
        host: host.into(),
        port: Some(5090),
        transport: TrunkTransport::Udp,
        registration: Some(TrunkRegistration {
            username: "acme".into(),
            password: "pw".into(),
            expires: 3600,
        }),
        allow: Vec::new(),
        codecs: vec!["PCMU".into()],
        srtp: SrtpPolicy::Off,
        channels: None,
        options_interval: 0,
        caller_id: None,
        ca_file: None,
    }
}

/// The REGISTER the runner asks for now, and the flow it goes on.
async fn register_sent(runner: &mut Runner, endpoint: &Shared, local: &Local) -> (Flow, Request) {
    assert!(runner.has_requests(), "a request to send");
    let flow = runner
        .current_flow(endpoint, local)
        .await
        .unwrap_or_else(|| panic!("no flow"));
    let mut requests = runner.poll_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let (role, req) = requests.remove(0);
    assert_eq!(role, Role::Register);
    (flow, req)
}

fn accept(runner: &mut Runner, now: Instant, req: &Request) {
    let mut ok = Response::for_request(req, 200, "OK");
    ok.headers.push(HeaderName::Expires, "3600");
    runner.handle_response(Role::Register, now, &ok);
    assert!(matches!(
        runner.report().registration,
        Some(RegistrationStatus::Registered { .. })
    ));
}

fn cseq(req: &Request) -> u32 {
    req.cseq().map(|c| c.seq).unwrap_or(0)
}

/// A runner registered with `provider.test` at 127.0.0.10.
async fn registered() -> (
    tempfile::TempDir,
    Shared,
    Local,
    Script,
    Runner,
    Request,
    Instant,
) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (endpoint, local) = endpoint(dir.path()).await;
    let dns = Script::default();
    dns.answer(&[[127, 0, 0, 10]]);
    let t0 = Instant::now();
    let mut runner = Runner::new(1, registering_trunk("provider.test"));
    runner.prepare(&endpoint, &local, &dns, t0).await;
    let (flow, first) = register_sent(&mut runner, &endpoint, &local).await;
    assert_eq!(flow.remote, addr("127.0.0.10:5090"));
    accept(&mut runner, t0, &first);
    (dir, endpoint, local, dns, runner, first, t0)
}

#[tokio::test]
async fn a_changed_answer_moves_the_flow_and_registers_there() {
    let (_dir, endpoint, local, dns, mut runner, first, t0) = registered().await;
    dns.answer(&[[127, 0, 0, 11]]);
    assert!(
        !runner.needs_resolve(t0 + Duration::from_secs(1)),
        "nothing due"
    );
    let t1 = t0 + RE_RESOLVE;
    assert!(runner.needs_resolve(t1), "looked up every RE_RESOLVE");
    assert!(runner.re_resolve(&local, &dns, t1).await, "moved");
    assert!(!runner.needs_resolve(t1));
    let (flow, again) = register_sent(&mut runner, &endpoint, &local).await;
    assert_eq!(flow.remote, addr("127.0.0.11:5090"), "the new address");
    assert_eq!(runner.flow().map(|f| f.remote), Some(flow.remote));
    assert_eq!(again.call_id().ok(), first.call_id().ok(), "one Call-ID");
    assert!(cseq(&again) > cseq(&first));
    assert_eq!(
        again.headers.get(&HeaderName::Contact),
        first.headers.get(&HeaderName::Contact),
        "our UDP listener either way"
    );
}

#[tokio::test]
async fn an_address_still_among_the_answers_is_kept() {
    let (_dir, endpoint, local, dns, mut runner, _first, t0) = registered().await;
    // Round-robin DNS: the other address first this time.
    dns.answer(&[[127, 0, 0, 11], [127, 0, 0, 10]]);
    let t1 = t0 + RE_RESOLVE;
    assert!(!runner.re_resolve(&local, &dns, t1).await);
    assert!(!runner.has_requests(), "no REGISTER");
    dns.answer(&[]);
    assert!(
        !runner.re_resolve(&local, &dns, t1 + RE_RESOLVE).await,
        "a failed lookup keeps the address"
    );
    let flow = runner.current_flow(&endpoint, &local).await;
    assert_eq!(flow.map(|f| f.remote), Some(addr("127.0.0.10:5090")));
}

#[tokio::test]
async fn failures_and_refreshes_look_the_host_up_first() {
    let (_dir, endpoint, local, dns, mut runner, _first, t0) = registered().await;
    let t1 = t0 + Duration::from_secs(1);
    runner.handle_failure(Role::Options, t1);
    assert!(runner.needs_resolve(t1), "after a failure");
    runner.re_resolve(&local, &dns, t1).await;
    assert!(!runner.needs_resolve(t1));

    let refresh = runner
        .poll_timeout()
        .unwrap_or_else(|| panic!("a refresh is planned"));
    // The periodic lookup just before: the next one is due after the refresh.
    let earlier = refresh - Duration::from_secs(200);
    assert!(runner.needs_resolve(earlier));
    assert!(!runner.re_resolve(&local, &dns, earlier).await);
    assert!(!runner.needs_resolve(refresh - Duration::from_secs(1)));
    assert!(runner.needs_resolve(refresh), "before the refresh goes");
    dns.answer(&[[127, 0, 0, 12]]);
    assert!(runner.re_resolve(&local, &dns, refresh).await);
    runner.handle_timeout(refresh);
    let (flow, _) = register_sent(&mut runner, &endpoint, &local).await;
    assert_eq!(
        flow.remote,
        addr("127.0.0.12:5090"),
        "the refresh goes to the new address"
    );
    assert!(
        !runner.needs_resolve(refresh),
        "once per refresh, not in a loop"
    );
}

#[tokio::test]
async fn addresses_typed_as_such_are_not_looked_up() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (endpoint, local) = endpoint(dir.path()).await;
    let dns = Script::default();
    let t0 = Instant::now();
    let mut runner = Runner::new(1, registering_trunk("127.0.0.10"));
    runner.prepare(&endpoint, &local, &dns, t0).await;
    let (flow, _) = register_sent(&mut runner, &endpoint, &local).await;
    assert_eq!(flow.remote, addr("127.0.0.10:5090"));
    runner.handle_failure(Role::Register, t0);
    assert!(!runner.needs_resolve(t0 + RE_RESOLVE));
}
