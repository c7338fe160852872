use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use pbx::accounts::{ApiToken, CdrFilter, NewUser, User, UserUpdate, WebSession};
use pbx::dialplan::Rule;
use pbx::trunk::{Did, OutboundRoute, Trunk};
use pbx::{CallClass, CallRecord, Features};
use tokio::sync::mpsc;

/// A boxed future, so that `Backend` stays object-safe (`Arc<dyn Backend>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a backend call failed. `Invalid` and `Conflict` carry a message fit to show the user
/// (it names the field); `Failed` is an internal fault: log it, show a generic error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("internal error: {0}")]
    Failed(String),
}

pub type BackendResult<T> = Result<T, BackendError>;

/// What the portal needs from the rest of the server. Every write is all-or-nothing: a call
/// that returns an error changed nothing.
pub trait Backend: Send + Sync + 'static {
    /// Figures for the status page.
    fn status(&self) -> BoxFuture<'_, Status>;

    /// A SIP WebSocket was accepted. The portal forwards each WebSocket message from the
    /// client (one SIP message or keepalive each, RFC 7118 §5) into `from_client`, and writes
    /// whatever arrives on `to_client` to the client. Either side ends the connection by
    /// dropping its end: the portal drops `from_client` when the client went away, the
    /// binary drops `to_client` (or sends [`WsOutbound::Close`]) to close it.
    fn sip_socket(&self, peer: WsPeer) -> WsChannels;

    // --- users ------------------------------------------------------------------------------

    /// `name` is already normalized (`pbx::accounts::normalize_user_name`).
    fn user_by_name<'a>(&'a self, name: &'a str) -> BoxFuture<'a, BackendResult<Option<User>>>;
    fn user(&self, id: i64) -> BoxFuture<'_, BackendResult<Option<User>>>;
    /// Ordered by name.
    fn users(&self) -> BoxFuture<'_, BackendResult<Vec<User>>>;
    /// `Conflict` when the name is taken or the extension already belongs to another user;
    /// `Invalid` when the extension does not exist.
    fn create_user(&self, user: NewUser) -> BoxFuture<'_, BackendResult<User>>;
    /// `NotFound` when there is no such user; errors as `create_user`.
    fn update_user(&self, id: i64, update: UserUpdate) -> BoxFuture<'_, BackendResult<User>>;
    /// Deletes the user with their sessions and API tokens. False when there was none.
    fn delete_user(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>>;

    // --- sessions and API tokens ------------------------------------------------------------

    fn create_session(&self, session: WebSession) -> BoxFuture<'_, BackendResult<()>>;
    fn session<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<WebSession>>>;
    /// Sets `last_seen` (unix seconds).
    fn touch_session<'a>(
        &'a self,
        token_hash: &'a str,
        last_seen: i64,
    ) -> BoxFuture<'a, BackendResult<()>>;
    fn delete_session<'a>(&'a self, token_hash: &'a str) -> BoxFuture<'a, BackendResult<()>>;
    /// Every session of the user (password change, user deleted).
    fn delete_user_sessions(&self, user_id: i64) -> BoxFuture<'_, BackendResult<()>>;

    /// Stores a new API token (its hash) for the user; returns it with its id.
    fn create_api_token(
        &self,
        user_id: i64,
        token_hash: String,
        label: String,
        created_at: i64,
    ) -> BoxFuture<'_, BackendResult<ApiToken>>;
    /// Looks a token up by hash and records `used_at` as its last use.
    fn use_api_token<'a>(
        &'a self,
        token_hash: &'a str,
        used_at: i64,
    ) -> BoxFuture<'a, BackendResult<Option<ApiToken>>>;
    fn api_tokens(&self, user_id: i64) -> BoxFuture<'_, BackendResult<Vec<ApiToken>>>;
    /// Deletes the user's token `id`. False when that user has no such token.
    fn delete_api_token(&self, user_id: i64, id: i64) -> BoxFuture<'_, BackendResult<bool>>;

    // --- extensions -------------------------------------------------------------------------

    /// Ordered by number.
    fn extensions(&self) -> BoxFuture<'_, BackendResult<Vec<ExtensionInfo>>>;
    fn extension<'a>(
        &'a self,
        number: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<ExtensionInfo>>>;
    /// Creates an extension with a generated SIP secret and returns the secret (shown once).
    /// `Invalid` for a bad number or name, `Conflict` when the number exists.
    fn create_extension(
        &self,
        number: String,
        name: String,
    ) -> BoxFuture<'_, BackendResult<String>>;
    /// Applies every given field or none. `Invalid` names the field at fault.
    fn update_extension(
        &self,
        number: String,
        update: ExtensionUpdate,
    ) -> BoxFuture<'_, BackendResult<ExtensionInfo>>;
    /// A new generated SIP secret (returned, shown once); the old one stops working.
    fn reset_extension_secret(&self, number: String) -> BoxFuture<'_, BackendResult<String>>;
    /// Deletes the extension and its registrations; users linked to it are unlinked.
    fn delete_extension(&self, number: String) -> BoxFuture<'_, BackendResult<bool>>;
    /// What the softphone of the user who owns `number` registers with.
    fn sip_credentials<'a>(
        &'a self,
        number: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<SipCredentials>>>;

    // --- live state -------------------------------------------------------------------------

    /// Registered contacts now, ordered by extension.
    fn registrations(&self) -> BoxFuture<'_, BackendResult<Vec<Registration>>>;
    /// Calls up or ringing now.
    fn active_calls(&self) -> Vec<LiveCall>;
    /// Hangs up a live call (both legs get BYE or CANCEL). False when there is no such call.
    fn hang_up(&self, id: &str) -> bool;

    // --- call records and the dial plan -----------------------------------------------------

    fn call_records(&self, filter: CdrFilter) -> BoxFuture<'_, BackendResult<Vec<CallRecord>>>;
    /// In the order they are tried.
    fn dialplan_rules(&self) -> BoxFuture<'_, BackendResult<Vec<Rule>>>;
    /// Returns the new rule's id. `Invalid` for a bad pattern, target or status.
    fn add_dialplan_rule(&self, rule: NewRule) -> BoxFuture<'_, BackendResult<i64>>;
    fn delete_dialplan_rule(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>>;

    // --- SIP trunks, company numbers (DIDs), outbound routes --------------------------------

    /// Every trunk, ordered by name, with its live status. Passwords are never included.
    fn trunks(&self) -> BoxFuture<'_, BackendResult<Vec<TrunkInfo>>>;
    fn trunk<'a>(&'a self, name: &'a str) -> BoxFuture<'a, BackendResult<Option<TrunkInfo>>>;
    /// Adds a trunk (`id` is ignored). `Invalid` names the field at fault; `Conflict` when
    /// the name is taken.
    fn add_trunk(&self, trunk: Trunk) -> BoxFuture<'_, BackendResult<()>>;
    /// Replaces every setting of the trunk named `trunk.name`, except that a registration
    /// with an empty password keeps the stored password (forms never get it back to resend).
    /// `NotFound` when there is no such trunk; errors as `add_trunk`.
    fn update_trunk(&self, trunk: Trunk) -> BoxFuture<'_, BackendResult<()>>;
    /// False when there was none. `Conflict`, naming them, while DIDs or routes use it.
    fn remove_trunk(&self, name: String) -> BoxFuture<'_, BackendResult<bool>>;
    /// Ordered by number.
    fn dids(&self) -> BoxFuture<'_, BackendResult<Vec<Did>>>;
    /// `Invalid` for a malformed field or an unknown trunk or extension; `Conflict` when the
    /// number exists.
    fn add_did(&self, did: Did) -> BoxFuture<'_, BackendResult<()>>;
    /// Replaces the trunk, the extensions and the failover of the DID `did.number`.
    /// `NotFound` when there is no such number; errors as `add_did`.
    fn update_did(&self, did: Did) -> BoxFuture<'_, BackendResult<()>>;
    fn remove_did(&self, number: String) -> BoxFuture<'_, BackendResult<bool>>;
    /// In the order they are tried.
    fn outbound_routes(&self) -> BoxFuture<'_, BackendResult<Vec<OutboundRoute>>>;
    /// Returns the new route's id. `Invalid` for a bad pattern or digits or an unknown trunk.
    fn add_outbound_route(&self, route: NewRoute) -> BoxFuture<'_, BackendResult<i64>>;
    /// Replaces every setting of the route `route.id` (its position included). `NotFound`
    /// when there is no such route; errors as `add_outbound_route`.
    fn update_outbound_route(&self, route: OutboundRoute) -> BoxFuture<'_, BackendResult<()>>;
    fn remove_outbound_route(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>>;
}

/// A trunk as admins see it: its settings, with `registration.password` always empty (the
/// secret never leaves the server once saved), and what is known of it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkInfo {
    pub trunk: Trunk,
    pub status: TrunkStatus,
}

/// A trunk's live state. All `None` / 0 until the trunk driver has reported on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrunkStatus {
    /// None for trunks that do not register (or before the first attempt).
    pub registration: Option<TrunkRegistrationState>,
    /// What the OPTIONS checks say; None: no verdict yet, or checks are off.
    pub reachable: Option<bool>,
    /// The last failure (a refused registration, unanswered checks, ...).
    pub last_error: Option<String>,
    /// Calls up on it now.
    pub calls: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrunkRegistrationState {
    /// The provider holds our registration for this many more seconds.
    Registered {
        expires_in: u64,
    },
    Registering,
    /// The last attempt failed for `reason`; the next goes in `retry_in` seconds.
    Failed {
        reason: String,
        retry_in: u64,
    },
    Off,
}

/// An outbound route to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRoute {
    /// An exact number or a pattern starting with '_' (the dial plan's syntax).
    pub pattern: String,
    /// Trunk names, tried in this order.
    pub trunks: Vec<String>,
    pub strip: u32,
    pub prepend: String,
    /// Default: after the last route.
    pub position: Option<i64>,
}

/// An extension as admins see it (never its SIP secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionInfo {
    pub number: String,
    pub name: String,
    pub features: Features,
}

/// A change to some of an extension's settings: `None` leaves a field; `Some(None)` clears a
/// clearable one (no forward, no call limit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtensionUpdate {
    pub name: Option<String>,
    pub class: Option<CallClass>,
    pub forward_always: Option<Option<String>>,
    pub forward_busy: Option<Option<String>>,
    pub forward_noanswer: Option<Option<String>>,
    pub ring_timeout: Option<u32>,
    pub dnd: Option<bool>,
    pub max_calls: Option<Option<u32>>,
}

/// What a softphone needs to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipCredentials {
    /// The extension number: the SIP user and digest username.
    pub number: String,
    pub secret: String,
    /// The SIP domain (the realm and the host of AoRs).
    pub domain: String,
    pub display_name: String,
}

/// One registered contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub extension: String,
    pub contact: String,
    /// "udp", "tcp", "tls", "ws", "wss".
    pub transport: String,
    pub remote: String,
    pub user_agent: Option<String>,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// A call up or ringing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCall {
    pub id: String,
    pub caller: String,
    pub callee: String,
    pub answered: bool,
    /// Unix ms.
    pub started_ms: i64,
}

/// A dial plan rule to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    /// An exact number or a pattern starting with '_'.
    pub pattern: String,
    pub action: pbx::dialplan::RuleAction,
    pub class: Option<CallClass>,
    /// Default: after the last rule.
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsPeer {
    pub remote: SocketAddr,
    pub local: SocketAddr,
    /// Arrived over HTTPS (`wss`).
    pub secure: bool,
}

pub struct WsChannels {
    pub from_client: mpsc::Sender<Vec<u8>>,
    pub to_client: mpsc::Receiver<WsOutbound>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsOutbound {
    /// One SIP message (sent as a text frame when it is UTF-8, binary otherwise).
    Frame(Vec<u8>),
    Close,
}

/// The status page's content; the binary fills it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub server: String,
    pub version: String,
    pub domain: String,
    pub listeners: Vec<StatusListener>,
    /// Registered contacts, or why they could not be counted.
    pub bindings: Result<usize, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListener {
    /// e.g. "SIP UDP", "HTTPS".
    pub name: String,
    /// What a client points at, e.g. `sip:pbx.example.com:5060;transport=udp`, `wss://…/sip`.
    pub address: String,
}
