//! The registrar (RFC 3261 §10.3): authenticates a REGISTER, applies its binding changes
//! through the `Locations` port in one commit, and answers with the resulting bindings.
//!
//! The address of record is the extension number: the user part of the To URI, whatever
//! host the phone put there (phones configured with an IP, a hostname or the domain all
//! register the same extension). A user registers only their own AoR.

pub(crate) mod auth;
mod contacts;
mod expires;
mod plan;
pub(crate) mod reject;
pub(crate) mod replay;
mod response;
#[cfg(test)]
mod tests;

use sip::{HeaderName, Method, Request, Response, Uri};

use crate::flow::Flow;
use crate::ports::{Directory, Locations};

pub use plan::MAX_BINDINGS_PER_AOR;

use auth::Authenticator;
use reject::Reject;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// The digest realm (and our SIP domain).
    pub domain: String,
    /// Shorter non-zero requests get 423 with this Min-Expires.
    pub min_expires: u32,
    /// Longer requests are shortened to this.
    pub max_expires: u32,
    /// When neither the contact nor the request says.
    pub default_expires: u32,
    /// HMAC key of the nonces. Nodes sharing registrations must share it; a key that
    /// survives a restart keeps outstanding nonces valid.
    pub nonce_key: [u8; 32],
    /// Seconds a nonce is good for; after that a correct answer gets `stale=true`.
    pub nonce_max_age: u64,
    /// Offer SHA-256 before MD5 (RFC 8760). Some old phones pick the first challenge even
    /// when they cannot do it; those need false.
    pub sha256_first: bool,
    /// Offer SHA-256 at all. Off for phones that refuse a challenge set naming an algorithm
    /// they lack (libre/baresip 1.x) instead of answering the MD5 one.
    pub sha256: bool,
}

impl RegistrarConfig {
    /// Common defaults: 60 s minimum, 3600 s default, 7200 s maximum, 300 s nonces,
    /// SHA-256 first.
    pub fn new(domain: impl Into<String>, nonce_key: [u8; 32]) -> RegistrarConfig {
        RegistrarConfig {
            domain: domain.into(),
            min_expires: 60,
            max_expires: 7200,
            default_expires: 3600,
            nonce_key,
            nonce_max_age: 300,
            sha256_first: true,
            sha256: true,
        }
    }
}

#[derive(Debug)]
pub struct Registrar<D, L> {
    config: RegistrarConfig,
    directory: D,
    locations: L,
    auth: Authenticator,
}

impl<D: Directory, L: Locations> Registrar<D, L> {
    pub fn new(config: RegistrarConfig, directory: D, locations: L) -> Self {
        let auth = Authenticator::new(
            auth::Asker::Registrar,
            &config.domain,
            config.nonce_key,
            config.nonce_max_age,
            config.sha256_first,
            config.sha256,
        );
        Registrar {
            config,
            directory,
            locations,
            auth,
        }
    }

    pub fn config(&self) -> &RegistrarConfig {
        &self.config
    }

    pub fn directory(&self) -> &D {
        &self.directory
    }

    /// The location service, for routing requests to registered contacts.
    pub fn locations(&self) -> &L {
        &self.locations
    }

    /// Answers a REGISTER that arrived over `flow` at `now_unix` (seconds). Always a final
    /// response with a To tag; storage failures give 500 and change nothing. The request is
    /// expected to have passed `sip::validate::check_request` (Require, Content-Type...).
    pub async fn handle(&self, req: &Request, flow: &Flow, now_unix: u64) -> Response {
        let mut resp = match self.process(req, flow, now_unix).await {
            Ok(resp) => resp,
            Err(reject) => reject.into_response(req),
        };
        crate::tag::add_to_tag(&mut resp);
        resp
    }

    async fn process(&self, req: &Request, flow: &Flow, now: u64) -> Result<Response, Reject> {
        if req.method != Method::Register {
            return Err(Reject::new(405, "Method Not Allowed")
                .with(HeaderName::Allow, crate::options::ALLOW));
        }
        let to = req
            .to_header()
            .map_err(|_| Reject::bad_request("Malformed To"))?;
        let aor = address_of_record(&to.uri)?;
        let call_id = req
            .call_id()
            .map_err(|_| Reject::bad_request("Missing Call-ID"))?;
        let cseq = req
            .cseq()
            .map_err(|_| Reject::bad_request("Malformed CSeq"))?;
        if cseq.method != Method::Register {
            return Err(Reject::bad_request("CSeq Method Mismatch"));
        }

        let extension = self.auth.authenticate(req, &self.directory, now).await?;
        if extension.number != aor {
            // Authenticated, but for another extension's AoR.
            return Err(Reject::forbidden());
        }

        let set = contacts::read(req, &self.config)?;
        let existing = self.locations.lookup(&aor, now).await.map_err(storage)?;
        let info = plan::RequestInfo {
            aor: &aor,
            call_id,
            cseq: cseq.seq,
            flow,
            user_agent: req.headers.get(&HeaderName::UserAgent),
            now_unix: now,
        };
        let plan = plan::plan(&existing, set, info)?;
        if !plan.changes.is_empty() {
            self.locations.apply(&plan.changes).await.map_err(storage)?;
        }
        Ok(response::ok(req, &plan.current, now))
    }
}

/// The extension number from the To URI. RFC 4475 unksm2: a non-SIP AoR is a 400; a SIP URI
/// without a user part names no AoR we have (§10.3 step 5: 404).
fn address_of_record(uri: &Uri) -> Result<String, Reject> {
    match uri {
        Uri::Sip(sip) => match sip.user_unescaped() {
            Some(user) if !user.is_empty() => Ok(user.into_owned()),
            _ => Err(Reject::new(404, "Not Found")),
        },
        _ => Err(Reject::bad_request("AoR Must Be a SIP or SIPS URI")),
    }
}

fn storage(e: crate::ports::PortError) -> Reject {
    tracing::warn!(error = %e, "registrar: location service failed");
    Reject::server_error()
}
