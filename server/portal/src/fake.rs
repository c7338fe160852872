//! Test helpers shared by the portal's tests (API and pages): an in-memory [`FakeBackend`],
//! a server on a loopback port ([`TestApp`]) and a small HTTP/1.1 client for it.
//!
//! Tests go through a real socket rather than calling the router directly so that
//! `ConnectInfo` (the login throttle's client address) and the middleware stack are exactly
//! what production runs.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pbx::accounts::{ApiToken, CdrFilter, NewUser, User, UserUpdate, WebSession};
use pbx::dialplan::Rule;
use pbx::{CallRecord, Disposition, Features, LegStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::backend::{
    BackendError, BackendResult, BoxFuture, ExtensionInfo, ExtensionUpdate, LiveCall, NewRule,
    Registration, SipCredentials,
};
use crate::{
    Backend, Clock, ListenerInfo, PeerAddr, PortalConfig, Status, StatusListener, WsChannels,
    WsOutbound, WsPeer,
};

/// Everything the fake keeps; public so tests can look inside (`backend.state()`).
#[derive(Default)]
pub(crate) struct FakeState {
    pub users: BTreeMap<i64, User>,
    pub sessions: HashMap<String, WebSession>,
    pub tokens: BTreeMap<i64, ApiToken>,
    /// number -> (extension, SIP secret)
    pub extensions: BTreeMap<String, (ExtensionInfo, String)>,
    pub registrations: Vec<Registration>,
    pub calls: Vec<LiveCall>,
    pub hung_up: Vec<String>,
    pub records: Vec<CallRecord>,
    pub rules: Vec<Rule>,
    /// The filters `call_records` was called with, newest last.
    pub cdr_queries: Vec<CdrFilter>,
    /// Peers of the SIP WebSockets opened.
    pub ws_peers: Vec<WsPeer>,
    next_id: i64,
}

impl FakeState {
    fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

/// An in-memory [`Backend`]. Seed it with the `with_*` builders, then wrap it in an `Arc`.
/// Its SIP WebSocket echoes every frame upper-cased and closes on the frame `bye`.
#[derive(Default)]
pub(crate) struct FakeBackend {
    state: Mutex<FakeState>,
}

impl FakeBackend {
    pub fn new() -> FakeBackend {
        FakeBackend::default()
    }

    /// Locks the state (tests read or change it directly).
    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        // A test that panicked while holding the lock has failed anyway; go on with the data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an extension with default features and the SIP secret `secret-<number>`.
    pub fn with_extension(self, number: &str, name: &str) -> FakeBackend {
        self.state().extensions.insert(
            number.to_owned(),
            (
                ExtensionInfo {
                    number: number.to_owned(),
                    name: name.to_owned(),
                    features: Features::default(),
                },
                format!("secret-{number}"),
            ),
        );
        self
    }

    /// Adds a user with a real argon2id hash of `password`. Creates the extension too when it
    /// does not exist yet (named after the user).
    pub fn with_user(
        self,
        name: &str,
        password: &str,
        admin: bool,
        extension: Option<&str>,
    ) -> FakeBackend {
        let hash = crate::auth::password::hash_blocking(password)
            .unwrap_or_else(|e| panic!("hashing a test password: {e}"));
        let backend = match extension {
            Some(n) if !self.state().extensions.contains_key(n) => self.with_extension(n, name),
            _ => self,
        };
        {
            let mut st = backend.state();
            let id = st.next_id();
            st.users.insert(
                id,
                User {
                    id,
                    name: name.to_owned(),
                    password_hash: hash,
                    extension: extension.map(str::to_owned),
                    admin,
                    created_at: 1_700_000_000,
                },
            );
        }
        backend
    }

    pub fn with_registration(self, extension: &str, contact: &str) -> FakeBackend {
        self.state().registrations.push(Registration {
            extension: extension.to_owned(),
            contact: contact.to_owned(),
            transport: "wss".into(),
            remote: "127.0.0.1:50000".into(),
            user_agent: Some("JsSIP 3.13".into()),
            expires_in: 300,
        });
        self
    }

    pub fn with_call(self, id: &str, caller: &str, callee: &str) -> FakeBackend {
        self.state().calls.push(LiveCall {
            id: id.to_owned(),
            caller: caller.to_owned(),
            callee: callee.to_owned(),
            answered: true,
            started_ms: 1_700_000_000_000,
        });
        self
    }

    /// Adds an answered call record of `secs` seconds starting at `start_ms`.
    pub fn with_record(self, caller: &str, callee: &str, start_ms: i64, secs: i64) -> FakeBackend {
        {
            let mut st = self.state();
            let id = st.next_id();
            st.records.push(answered_record(id, caller, callee, start_ms, secs));
        }
        self
    }

    pub fn with_rule(self, pattern: &str, action: pbx::dialplan::RuleAction) -> FakeBackend {
        {
            let mut st = self.state();
            let id = st.next_id();
            let position = i64::try_from(st.rules.len()).unwrap_or(i64::MAX);
            st.rules.push(Rule {
                id,
                position,
                pattern: pattern.to_owned(),
                action,
                class: None,
            });
        }
        self
    }

    /// The user called `name`, if any.
    pub fn user_named(&self, name: &str) -> Option<User> {
        self.state().users.values().find(|u| u.name == name).cloned()
    }
}

/// An answered call record (also used by tests that build records by hand).
pub(crate) fn answered_record(
    id: i64,
    caller: &str,
    callee: &str,
    start_ms: i64,
    secs: i64,
) -> CallRecord {
    CallRecord {
        id: format!("c{id}"),
        call_id: format!("call-{id}@test"),
        caller: caller.to_owned(),
        callee: callee.to_owned(),
        dialed: callee.to_owned(),
        start_ms,
        answer_ms: Some(start_ms + 2000),
        end_ms: Some(start_ms + 2000 + secs * 1000),
        disposition: Disposition::Answered,
        sip_cause: Some(200),
        codec_a: Some("opus".into()),
        codec_b: Some("PCMU".into()),
        leg_a: LegStats::default(),
        leg_b: LegStats::default(),
    }
}

fn ok<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, BackendResult<T>> {
    Box::pin(async move { Ok(value) })
}

fn err<'a, T: Send + 'a>(e: BackendError) -> BoxFuture<'a, BackendResult<T>> {
    Box::pin(async move { Err(e) })
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit())
}

impl FakeBackend {
    /// The store's rules for a user's name and extension, shared by create and update.
    fn check_user(
        st: &FakeState,
        id: Option<i64>,
        name: &str,
        extension: Option<&str>,
    ) -> BackendResult<()> {
        if st.users.values().any(|u| u.name == name && Some(u.id) != id) {
            return Err(BackendError::Conflict(format!(
                "the user name {name} is taken"
            )));
        }
        if let Some(n) = extension {
            if !st.extensions.contains_key(n) {
                return Err(BackendError::Invalid(format!("no extension {n}")));
            }
            if st
                .users
                .values()
                .any(|u| u.extension.as_deref() == Some(n) && Some(u.id) != id)
            {
                return Err(BackendError::Conflict(format!(
                    "extension {n} already belongs to another user"
                )));
            }
        }
        Ok(())
    }
}

impl Backend for FakeBackend {
    fn status(&self) -> BoxFuture<'_, Status> {
        Box::pin(async {
            Status {
                server: "Switchboard".into(),
                version: "9.9.9".into(),
                domain: "pbx.<test>".into(),
                listeners: vec![StatusListener {
                    name: "SIP UDP".into(),
                    address: "127.0.0.1:5060".into(),
                }],
                bindings: Ok(3),
            }
        })
    }

    fn sip_socket(&self, peer: WsPeer) -> WsChannels {
        self.state().ws_peers.push(peer);
        let (from_tx, mut from_rx) = mpsc::channel::<Vec<u8>>(8);
        let (to_tx, to_rx) = mpsc::channel(8);
        tokio::spawn(async move {
            while let Some(bytes) = from_rx.recv().await {
                if bytes == b"bye" {
                    let _ = to_tx.send(WsOutbound::Close).await;
                    break;
                }
                let _ = to_tx
                    .send(WsOutbound::Frame(bytes.to_ascii_uppercase()))
                    .await;
            }
        });
        WsChannels {
            from_client: from_tx,
            to_client: to_rx,
        }
    }

    fn user_by_name<'a>(&'a self, name: &'a str) -> BoxFuture<'a, BackendResult<Option<User>>> {
        ok(self.user_named(name))
    }

    fn user(&self, id: i64) -> BoxFuture<'_, BackendResult<Option<User>>> {
        ok(self.state().users.get(&id).cloned())
    }

    fn users(&self) -> BoxFuture<'_, BackendResult<Vec<User>>> {
        let mut users: Vec<User> = self.state().users.values().cloned().collect();
        users.sort_by(|a, b| a.name.cmp(&b.name));
        ok(users)
    }

    fn create_user(&self, user: NewUser) -> BoxFuture<'_, BackendResult<User>> {
        let mut st = self.state();
        if let Err(e) = Self::check_user(&st, None, &user.name, user.extension.as_deref()) {
            return err(e);
        }
        let id = st.next_id();
        let created = User {
            id,
            name: user.name,
            password_hash: user.password_hash,
            extension: user.extension,
            admin: user.admin,
            created_at: 1_700_000_000,
        };
        st.users.insert(id, created.clone());
        ok(created)
    }

    fn update_user(&self, id: i64, update: UserUpdate) -> BoxFuture<'_, BackendResult<User>> {
        let mut st = self.state();
        let Some(current) = st.users.get(&id).cloned() else {
            return err(BackendError::NotFound);
        };
        let extension = update.extension.clone().unwrap_or(current.extension.clone());
        if let Err(e) = Self::check_user(&st, Some(id), &current.name, extension.as_deref()) {
            return err(e);
        }
        let updated = User {
            password_hash: update.password_hash.unwrap_or(current.password_hash),
            extension,
            admin: update.admin.unwrap_or(current.admin),
            ..current
        };
        st.users.insert(id, updated.clone());
        ok(updated)
    }

    fn delete_user(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>> {
        let mut st = self.state();
        let existed = st.users.remove(&id).is_some();
        st.sessions.retain(|_, s| s.user_id != id);
        st.tokens.retain(|_, t| t.user_id != id);
        ok(existed)
    }

    fn create_session(&self, session: WebSession) -> BoxFuture<'_, BackendResult<()>> {
        self.state()
            .sessions
            .insert(session.token_hash.clone(), session);
        ok(())
    }

    fn session<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<WebSession>>> {
        ok(self.state().sessions.get(token_hash).cloned())
    }

    fn touch_session<'a>(
        &'a self,
        token_hash: &'a str,
        last_seen: i64,
    ) -> BoxFuture<'a, BackendResult<()>> {
        if let Some(s) = self.state().sessions.get_mut(token_hash) {
            s.last_seen = last_seen;
        }
        ok(())
    }

    fn delete_session<'a>(&'a self, token_hash: &'a str) -> BoxFuture<'a, BackendResult<()>> {
        self.state().sessions.remove(token_hash);
        ok(())
    }

    fn delete_user_sessions(&self, user_id: i64) -> BoxFuture<'_, BackendResult<()>> {
        self.state().sessions.retain(|_, s| s.user_id != user_id);
        ok(())
    }

    fn create_api_token(
        &self,
        user_id: i64,
        token_hash: String,
        label: String,
        created_at: i64,
    ) -> BoxFuture<'_, BackendResult<ApiToken>> {
        let mut st = self.state();
        let id = st.next_id();
        let token = ApiToken {
            id,
            token_hash,
            user_id,
            label,
            created_at,
            last_used: None,
        };
        st.tokens.insert(id, token.clone());
        ok(token)
    }

    fn use_api_token<'a>(
        &'a self,
        token_hash: &'a str,
        used_at: i64,
    ) -> BoxFuture<'a, BackendResult<Option<ApiToken>>> {
        let mut st = self.state();
        let found = st
            .tokens
            .values_mut()
            .find(|t| t.token_hash == token_hash)
            .map(|t| {
                t.last_used = Some(used_at);
                t.clone()
            });
        ok(found)
    }

    fn api_tokens(&self, user_id: i64) -> BoxFuture<'_, BackendResult<Vec<ApiToken>>> {
        let tokens = self
            .state()
            .tokens
            .values()
            .filter(|t| t.user_id == user_id)
            .cloned()
            .collect();
        ok(tokens)
    }

    fn delete_api_token(&self, user_id: i64, id: i64) -> BoxFuture<'_, BackendResult<bool>> {
        let mut st = self.state();
        let mine = st.tokens.get(&id).is_some_and(|t| t.user_id == user_id);
        if mine {
            st.tokens.remove(&id);
        }
        ok(mine)
    }

    fn extensions(&self) -> BoxFuture<'_, BackendResult<Vec<ExtensionInfo>>> {
        let list = self
            .state()
            .extensions
            .values()
            .map(|(e, _)| e.clone())
            .collect();
        ok(list)
    }

    fn extension<'a>(
        &'a self,
        number: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<ExtensionInfo>>> {
        ok(self.state().extensions.get(number).map(|(e, _)| e.clone()))
    }

    fn create_extension(
        &self,
        number: String,
        name: String,
    ) -> BoxFuture<'_, BackendResult<String>> {
        let mut st = self.state();
        if !is_number(&number) {
            return err(BackendError::Invalid(format!(
                "the number {number:?} is not valid: use digits only"
            )));
        }
        if name.trim().is_empty() {
            return err(BackendError::Invalid("the name is empty".into()));
        }
        if st.extensions.contains_key(&number) {
            return err(BackendError::Conflict(format!(
                "extension {number} exists"
            )));
        }
        let secret = format!("secret-{number}");
        let info = ExtensionInfo {
            number: number.clone(),
            name,
            features: Features::default(),
        };
        st.extensions.insert(number, (info, secret.clone()));
        ok(secret)
    }

    fn update_extension(
        &self,
        number: String,
        update: ExtensionUpdate,
    ) -> BoxFuture<'_, BackendResult<ExtensionInfo>> {
        let mut st = self.state();
        let Some((info, _)) = st.extensions.get_mut(&number) else {
            return err(BackendError::NotFound);
        };
        for target in [
            &update.forward_always,
            &update.forward_busy,
            &update.forward_noanswer,
        ]
        .into_iter()
        .flatten()
        .flatten()
        {
            if !is_number(target) {
                return err(BackendError::Invalid(format!(
                    "forward target {target:?} is not a number"
                )));
            }
        }
        let mut next = info.clone();
        if let Some(name) = update.name {
            if name.trim().is_empty() {
                return err(BackendError::Invalid("the name is empty".into()));
            }
            next.name = name;
        }
        let f = &mut next.features;
        if let Some(c) = update.class {
            f.class = c;
        }
        if let Some(v) = update.forward_always {
            f.forward_always = v;
        }
        if let Some(v) = update.forward_busy {
            f.forward_busy = v;
        }
        if let Some(v) = update.forward_noanswer {
            f.forward_noanswer = v;
        }
        if let Some(v) = update.ring_timeout {
            f.ring_timeout = v;
        }
        if let Some(v) = update.dnd {
            f.dnd = v;
        }
        if let Some(v) = update.max_calls {
            f.max_calls = v;
        }
        *info = next.clone();
        ok(next)
    }

    fn reset_extension_secret(&self, number: String) -> BoxFuture<'_, BackendResult<String>> {
        let mut st = self.state();
        let Some((_, secret)) = st.extensions.get_mut(&number) else {
            return err(BackendError::NotFound);
        };
        *secret = format!("{secret}-new");
        ok(secret.clone())
    }

    fn delete_extension(&self, number: String) -> BoxFuture<'_, BackendResult<bool>> {
        let mut st = self.state();
        let existed = st.extensions.remove(&number).is_some();
        for u in st.users.values_mut() {
            if u.extension.as_deref() == Some(number.as_str()) {
                u.extension = None;
            }
        }
        st.registrations.retain(|r| r.extension != number);
        ok(existed)
    }

    fn sip_credentials<'a>(
        &'a self,
        number: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<SipCredentials>>> {
        let creds = self
            .state()
            .extensions
            .get(number)
            .map(|(info, secret)| SipCredentials {
                number: info.number.clone(),
                secret: secret.clone(),
                domain: "pbx.test".into(),
                display_name: info.name.clone(),
            });
        ok(creds)
    }

    fn registrations(&self) -> BoxFuture<'_, BackendResult<Vec<Registration>>> {
        ok(self.state().registrations.clone())
    }

    fn active_calls(&self) -> Vec<LiveCall> {
        self.state().calls.clone()
    }

    fn hang_up(&self, id: &str) -> bool {
        let mut st = self.state();
        let before = st.calls.len();
        st.calls.retain(|c| c.id != id);
        let found = st.calls.len() != before;
        if found {
            st.hung_up.push(id.to_owned());
        }
        found
    }

    fn call_records(&self, filter: CdrFilter) -> BoxFuture<'_, BackendResult<Vec<CallRecord>>> {
        let mut st = self.state();
        let mut list: Vec<CallRecord> = st
            .records
            .iter()
            .filter(|r| filter.since_ms.is_none_or(|s| r.start_ms >= s))
            .filter(|r| filter.until_ms.is_none_or(|u| r.start_ms < u))
            .filter(|r| {
                filter.party.as_deref().is_none_or(|p| {
                    r.caller == p || r.callee == p || r.dialed == p
                })
            })
            .filter(|r| filter.disposition.is_none_or(|d| r.disposition == d))
            .cloned()
            .collect();
        list.sort_by(|a, b| b.start_ms.cmp(&a.start_ms));
        let offset = usize::try_from(filter.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(filter.limit.min(10_000)).unwrap_or(usize::MAX);
        let page = list.into_iter().skip(offset).take(limit).collect();
        st.cdr_queries.push(filter);
        ok(page)
    }

    fn dialplan_rules(&self) -> BoxFuture<'_, BackendResult<Vec<Rule>>> {
        ok(self.state().rules.clone())
    }

    fn add_dialplan_rule(&self, rule: NewRule) -> BoxFuture<'_, BackendResult<i64>> {
        let valid = rule.pattern.starts_with('_') || is_number(&rule.pattern);
        if !valid {
            return err(BackendError::Invalid(format!(
                "pattern {:?} is not a number or a pattern starting with '_'",
                rule.pattern
            )));
        }
        let mut st = self.state();
        let id = st.next_id();
        let len = i64::try_from(st.rules.len()).unwrap_or(i64::MAX);
        let position = rule.position.unwrap_or(len).clamp(0, len);
        let index = usize::try_from(position).unwrap_or(st.rules.len());
        st.rules.insert(
            index,
            Rule {
                id,
                position,
                pattern: rule.pattern,
                action: rule.action,
                class: rule.class,
            },
        );
        for (i, r) in st.rules.iter_mut().enumerate() {
            r.position = i64::try_from(i).unwrap_or(i64::MAX);
        }
        ok(id)
    }

    fn delete_dialplan_rule(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>> {
        let mut st = self.state();
        let before = st.rules.len();
        st.rules.retain(|r| r.id != id);
        ok(st.rules.len() != before)
    }
}

// --- a served router and a client for it ---------------------------------------------------

/// A test clock (unix seconds) that tests move by hand.
#[derive(Clone)]
pub(crate) struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn new(start: i64) -> TestClock {
        TestClock(Arc::new(AtomicI64::new(start)))
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    pub fn clock(&self) -> Clock {
        let now = self.0.clone();
        Clock::from_fn(move || now.load(Ordering::SeqCst))
    }
}

/// The portal served on a loopback port.
pub(crate) struct TestApp {
    pub addr: SocketAddr,
    pub backend: Arc<FakeBackend>,
    pub secure: bool,
}

impl TestApp {
    /// Serves `backend` over plain HTTP with the default config.
    pub async fn start(backend: FakeBackend) -> TestApp {
        TestApp::start_with(backend, false, PortalConfig::default()).await
    }

    /// `secure` makes the router believe it is on the HTTPS listener (the connection itself
    /// stays plain TCP: only the cookie names and flags and the `wss` URLs change).
    pub async fn start_with(backend: FakeBackend, secure: bool, config: PortalConfig) -> TestApp {
        let backend = Arc::new(backend);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let app = crate::router(
            backend.clone(),
            ListenerInfo {
                local: addr,
                secure,
            },
            config,
        );
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<PeerAddr>(),
            )
            .await;
        });
        TestApp {
            addr,
            backend,
            secure,
        }
    }

    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request("GET", path)
    }

    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request("POST", path)
    }

    pub fn patch(&self, path: &str) -> TestRequest<'_> {
        self.request("PATCH", path)
    }

    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.request("DELETE", path)
    }

    pub fn request(&self, method: &str, path: &str) -> TestRequest<'_> {
        TestRequest {
            app: self,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// A request being built; `send` it.
pub(crate) struct TestRequest<'a> {
    app: &'a TestApp,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl TestRequest<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Cookie: <cookie>` (as returned by [`login`]: `name=value`).
    pub fn cookie(self, cookie: &str) -> Self {
        self.header("Cookie", cookie)
    }

    /// A logged-in browser's request: its cookie and, for writes, its CSRF header.
    pub fn session(self, session: &Session) -> Self {
        self.cookie(&session.cookie)
            .header("X-CSRF-Token", &session.csrf)
    }

    pub fn json(mut self, value: &serde_json::Value) -> Self {
        self.body = value.to_string().into_bytes();
        self.header("Content-Type", "application/json")
    }

    /// An HTML form post; values are percent-encoded here.
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        let encoded: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        self.body = encoded.join("&").into_bytes();
        self.header("Content-Type", "application/x-www-form-urlencoded")
    }

    pub async fn send(self) -> TestResponse {
        let mut stream = tokio::net::TcpStream::connect(self.app.addr)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.method,
            self.path,
            self.app.addr,
            self.body.len()
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        stream
            .write_all(&bytes)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        TestResponse::parse(&raw)
    }
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A response as the client saw it.
#[derive(Debug)]
pub(crate) struct TestResponse {
    pub status: u16,
    /// Names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl TestResponse {
    fn parse(raw: &[u8]) -> TestResponse {
        let text = String::from_utf8_lossy(raw);
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {text:?}"));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        let body = if chunked {
            dechunk(rest)
        } else {
            rest.to_owned()
        };
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `name=value` of the first `Set-Cookie`, ready for a `Cookie` header.
    pub fn cookie(&self) -> Option<String> {
        self.set_cookies()
            .first()
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(after.get(..n).unwrap_or_default());
        rest = after.get(n..).unwrap_or_default().trim_start_matches("\r\n");
    }
    out
}

/// A logged-in browser: its `Cookie` value (`name=value`) and its CSRF token.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// Logs in through `POST /api/login`, panicking unless it works.
pub(crate) async fn login(app: &TestApp, name: &str, password: &str) -> Session {
    let resp = app
        .post("/api/login")
        .json(&serde_json::json!({"username": name, "password": password}))
        .send()
        .await;
    assert_eq!(resp.status, 200, "login of {name}: {}", resp.body);
    let cookie = resp
        .cookie()
        .unwrap_or_else(|| panic!("no cookie in {resp:?}"));
    let csrf = resp.json()["csrf"]
        .as_str()
        .unwrap_or_else(|| panic!("no csrf in {}", resp.body))
        .to_owned();
    Session { cookie, csrf }
}

/// A backend with an admin `admin` (extension 1000) and a user `alice` (extension 1001),
/// both with the password [`PASSWORD`], and a user `bob` (extension 1002, same password).
pub(crate) fn standard() -> FakeBackend {
    FakeBackend::new()
        .with_user("admin", PASSWORD, true, Some("1000"))
        .with_user("alice", PASSWORD, false, Some("1001"))
        .with_user("bob", PASSWORD, false, Some("1002"))
}

/// The password of the users of [`standard`].
pub(crate) const PASSWORD: &str = "correct horse battery";
