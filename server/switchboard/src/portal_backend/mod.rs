//! The portal's view of the server: `portal::Backend` over the store, the registrar's
//! bindings and the live calls. Each method is one store call, so a failed write changed
//! nothing; store errors become messages fit for an admin (`Invalid`, `Conflict`) or an
//! internal fault (`Failed`, logged by the portal, never shown).

mod accounts;
mod directory;
mod live;
mod trunks;

use pbx::CallRecord;
use pbx::accounts::{ApiToken, CdrFilter, NewUser, User, UserUpdate, WebSession};
use pbx::dialplan::Rule;
use pbx::trunk::{Did, OutboundRoute, Trunk};
use portal::{
    Backend, BackendError, BackendResult, BoxFuture, ExtensionInfo, ExtensionUpdate, LiveCall,
    NewRoute, NewRule, Registration, SipCredentials, Status, StatusListener, TrunkInfo, WsChannels,
    WsPeer,
};
use store::{Store, StoreError};

use crate::endpoint::Shared;
use crate::transport::shutdown::Shutdown;

/// What the portal sees of the server.
pub struct PortalBackend {
    pub endpoint: Shared,
    pub shutdown: Shutdown,
    pub domain: String,
    pub listeners: Vec<StatusListener>,
}

impl PortalBackend {
    fn store(&self) -> &Store {
        self.endpoint.store()
    }
}

/// A store error as the portal shows it.
fn shown(e: StoreError) -> BackendError {
    match e {
        StoreError::Duplicate(_)
        | StoreError::DuplicateUser(_)
        | StoreError::ExtensionTaken(_)
        | StoreError::DuplicateTrunk(_)
        | StoreError::TrunkInUse { .. }
        | StoreError::DuplicateDid(_) => BackendError::Conflict(e.to_string()),
        StoreError::InvalidNumber(_)
        | StoreError::InvalidFeature(_)
        | StoreError::InvalidRule(_)
        | StoreError::NoSuchExtension(_)
        | StoreError::NoSuchTrunk(_)
        | StoreError::InvalidTrunk(_)
        | StoreError::InvalidDid(_)
        | StoreError::InvalidRoute(_) => BackendError::Invalid(e.to_string()),
        other => BackendError::Failed(other.to_string()),
    }
}

impl Backend for PortalBackend {
    fn status(&self) -> BoxFuture<'_, Status> {
        Box::pin(live::status(self))
    }

    fn sip_socket(&self, peer: WsPeer) -> WsChannels {
        crate::transport::ws::attach(peer, self.endpoint.clone(), self.shutdown.clone())
    }

    fn user_by_name<'a>(&'a self, name: &'a str) -> BoxFuture<'a, BackendResult<Option<User>>> {
        Box::pin(async move { self.store().user_by_name(name).await.map_err(shown) })
    }

    fn user(&self, id: i64) -> BoxFuture<'_, BackendResult<Option<User>>> {
        Box::pin(async move { self.store().get_user(id).await.map_err(shown) })
    }

    fn users(&self) -> BoxFuture<'_, BackendResult<Vec<User>>> {
        Box::pin(async move { self.store().list_users().await.map_err(shown) })
    }

    fn create_user(&self, user: NewUser) -> BoxFuture<'_, BackendResult<User>> {
        Box::pin(accounts::create_user(self, user))
    }

    fn update_user(&self, id: i64, update: UserUpdate) -> BoxFuture<'_, BackendResult<User>> {
        Box::pin(accounts::update_user(self, id, update))
    }

    fn delete_user(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>> {
        Box::pin(async move { self.store().remove_user(id).await.map_err(shown) })
    }

    fn create_session(&self, session: WebSession) -> BoxFuture<'_, BackendResult<()>> {
        Box::pin(async move { self.store().add_session(&session).await.map_err(shown) })
    }

    fn session<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<WebSession>>> {
        Box::pin(async move { self.store().get_session(token_hash).await.map_err(shown) })
    }

    fn touch_session<'a>(
        &'a self,
        token_hash: &'a str,
        last_seen: i64,
    ) -> BoxFuture<'a, BackendResult<()>> {
        Box::pin(async move {
            self.store()
                .touch_session(token_hash, last_seen)
                .await
                .map_err(shown)
        })
    }

    fn delete_session<'a>(&'a self, token_hash: &'a str) -> BoxFuture<'a, BackendResult<()>> {
        Box::pin(async move {
            self.store()
                .remove_session(token_hash)
                .await
                .map(|_| ())
                .map_err(shown)
        })
    }

    fn delete_user_sessions(&self, user_id: i64) -> BoxFuture<'_, BackendResult<()>> {
        Box::pin(async move {
            self.store()
                .remove_user_sessions(user_id)
                .await
                .map(|_| ())
                .map_err(shown)
        })
    }

    fn create_api_token(
        &self,
        user_id: i64,
        token_hash: String,
        label: String,
        created_at: i64,
    ) -> BoxFuture<'_, BackendResult<ApiToken>> {
        Box::pin(async move {
            self.store()
                .add_api_token(user_id, &token_hash, &label, created_at)
                .await
                .map_err(shown)
        })
    }

    fn use_api_token<'a>(
        &'a self,
        token_hash: &'a str,
        used_at: i64,
    ) -> BoxFuture<'a, BackendResult<Option<ApiToken>>> {
        Box::pin(async move {
            self.store()
                .use_api_token(token_hash, used_at)
                .await
                .map_err(shown)
        })
    }

    fn api_tokens(&self, user_id: i64) -> BoxFuture<'_, BackendResult<Vec<ApiToken>>> {
        Box::pin(async move { self.store().list_api_tokens(user_id).await.map_err(shown) })
    }

    fn delete_api_token(&self, user_id: i64, id: i64) -> BoxFuture<'_, BackendResult<bool>> {
        Box::pin(async move {
            self.store()
                .remove_api_token(user_id, id)
                .await
                .map_err(shown)
        })
    }

    fn extensions(&self) -> BoxFuture<'_, BackendResult<Vec<ExtensionInfo>>> {
        Box::pin(directory::extensions(self))
    }

    fn extension<'a>(
        &'a self,
        number: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<ExtensionInfo>>> {
        Box::pin(directory::extension(self, number))
    }

    fn create_extension(
        &self,
        number: String,
        name: String,
    ) -> BoxFuture<'_, BackendResult<String>> {
        Box::pin(directory::create_extension(self, number, name))
    }

    fn update_extension(
        &self,
        number: String,
        update: ExtensionUpdate,
    ) -> BoxFuture<'_, BackendResult<ExtensionInfo>> {
        Box::pin(directory::update_extension(self, number, update))
    }

    fn reset_extension_secret(&self, number: String) -> BoxFuture<'_, BackendResult<String>> {
        Box::pin(directory::reset_secret(self, number))
    }

    fn delete_extension(&self, number: String) -> BoxFuture<'_, BackendResult<bool>> {
        Box::pin(async move { self.store().remove_extension(&number).await.map_err(shown) })
    }

    fn sip_credentials<'a>(
        &'a self,
        number: &'a str,
    ) -> BoxFuture<'a, BackendResult<Option<SipCredentials>>> {
        Box::pin(directory::sip_credentials(self, number))
    }

    fn registrations(&self) -> BoxFuture<'_, BackendResult<Vec<Registration>>> {
        Box::pin(live::registrations(self))
    }

    fn active_calls(&self) -> Vec<LiveCall> {
        live::active_calls(self)
    }

    fn hang_up(&self, id: &str) -> bool {
        self.endpoint.calls().hang_up(id)
    }

    fn call_records(&self, filter: CdrFilter) -> BoxFuture<'_, BackendResult<Vec<CallRecord>>> {
        Box::pin(async move {
            self.store()
                .list_records_filtered(&filter)
                .await
                .map_err(shown)
        })
    }

    fn dialplan_rules(&self) -> BoxFuture<'_, BackendResult<Vec<Rule>>> {
        Box::pin(async move { self.store().list_rules().await.map_err(shown) })
    }

    fn add_dialplan_rule(&self, rule: NewRule) -> BoxFuture<'_, BackendResult<i64>> {
        Box::pin(directory::add_rule(self, rule))
    }

    fn delete_dialplan_rule(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>> {
        Box::pin(async move { self.store().remove_rule(id).await.map_err(shown) })
    }

    fn trunks(&self) -> BoxFuture<'_, BackendResult<Vec<TrunkInfo>>> {
        Box::pin(trunks::trunks(self))
    }

    fn trunk<'a>(&'a self, name: &'a str) -> BoxFuture<'a, BackendResult<Option<TrunkInfo>>> {
        Box::pin(trunks::trunk(self, name))
    }

    fn add_trunk(&self, trunk: Trunk) -> BoxFuture<'_, BackendResult<()>> {
        Box::pin(trunks::add_trunk(self, trunk))
    }

    fn update_trunk(&self, trunk: Trunk) -> BoxFuture<'_, BackendResult<()>> {
        Box::pin(trunks::update_trunk(self, trunk))
    }

    fn remove_trunk(&self, name: String) -> BoxFuture<'_, BackendResult<bool>> {
        Box::pin(async move { self.store().remove_trunk(&name).await.map_err(shown) })
    }

    fn dids(&self) -> BoxFuture<'_, BackendResult<Vec<Did>>> {
        Box::pin(async move { self.store().list_dids().await.map_err(shown) })
    }

    fn add_did(&self, did: Did) -> BoxFuture<'_, BackendResult<()>> {
        Box::pin(async move { self.store().add_did(&did).await.map_err(shown) })
    }

    fn update_did(&self, did: Did) -> BoxFuture<'_, BackendResult<()>> {
        Box::pin(trunks::update_did(self, did))
    }

    fn remove_did(&self, number: String) -> BoxFuture<'_, BackendResult<bool>> {
        Box::pin(async move { self.store().remove_did(&number).await.map_err(shown) })
    }

    fn outbound_routes(&self) -> BoxFuture<'_, BackendResult<Vec<OutboundRoute>>> {
        Box::pin(async move { self.store().list_routes().await.map_err(shown) })
    }

    fn add_outbound_route(&self, route: NewRoute) -> BoxFuture<'_, BackendResult<i64>> {
        Box::pin(trunks::add_route(self, route))
    }

    fn update_outbound_route(&self, route: OutboundRoute) -> BoxFuture<'_, BackendResult<()>> {
        Box::pin(trunks::update_route(self, route))
    }

    fn remove_outbound_route(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>> {
        Box::pin(async move { self.store().remove_route(id).await.map_err(shown) })
    }
}
