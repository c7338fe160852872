//! Test helpers shared by the portal's tests (API and pages): an in-memory [`FakeBackend`]
//! (its `Backend` impl is in `fake/backend.rs`), a server on a loopback port ([`TestApp`])
//! and a small HTTP/1.1 client for it (`fake/client.rs`).
//!
//! Tests go through a real socket rather than calling the router directly so that
//! `ConnectInfo` (the login throttle's client address) and the middleware stack are exactly
//! what production runs.

mod backend;
mod client;
mod trunks;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use pbx::accounts::{ApiToken, CdrFilter, User, WebSession};
use pbx::dialplan::Rule;
use pbx::trunk::{Did, OutboundRoute, Trunk};
use pbx::{CallRecord, Disposition, Features, LegStats};

pub(crate) use client::{Session, TestApp, TestClock, TestResponse, app_state, login};

use crate::WsPeer;
use crate::backend::{ExtensionInfo, LiveCall, Registration, TrunkStatus};

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
    /// name -> (trunk with its password, live status)
    pub trunks: BTreeMap<String, (Trunk, TrunkStatus)>,
    /// number -> DID
    pub dids: BTreeMap<String, Did>,
    /// In the order they are tried.
    pub routes: Vec<OutboundRoute>,
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
            st.records
                .push(answered_record(id, caller, callee, start_ms, secs));
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
        self.state()
            .users
            .values()
            .find(|u| u.name == name)
            .cloned()
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
