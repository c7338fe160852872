//! The in-memory `Backend` behind [`FakeBackend`]: it keeps the store's rules that the
//! portal relies on (unique names, one user per extension, all-or-nothing updates).

use pbx::accounts::{ApiToken, CdrFilter, NewUser, User, UserUpdate, WebSession};
use pbx::dialplan::Rule;
use pbx::trunk::{Did, OutboundRoute, Trunk};
use pbx::{CallRecord, Features};
use tokio::sync::mpsc;

use super::{FakeBackend, FakeState};
use crate::backend::{
    BackendError, BackendResult, BoxFuture, ExtensionInfo, ExtensionUpdate, LiveCall, NewRoute,
    NewRule, Registration, SipCredentials, TrunkInfo,
};
use crate::{Backend, Status, StatusListener, WsChannels, WsOutbound, WsPeer};

fn ok<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, BackendResult<T>> {
    Box::pin(async move { Ok(value) })
}

fn done<'a, T: Send + 'a>(result: BackendResult<T>) -> BoxFuture<'a, BackendResult<T>> {
    Box::pin(async move { result })
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
        if st
            .users
            .values()
            .any(|u| u.name == name && Some(u.id) != id)
        {
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
        let extension = update
            .extension
            .clone()
            .unwrap_or(current.extension.clone());
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
            return err(BackendError::Conflict(format!("extension {number} exists")));
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
                filter
                    .party
                    .as_deref()
                    .is_none_or(|p| r.caller == p || r.callee == p || r.dialed == p)
            })
            .filter(|r| filter.disposition.is_none_or(|d| r.disposition == d))
            .cloned()
            .collect();
        list.sort_by_key(|r| std::cmp::Reverse(r.start_ms));
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

    fn trunks(&self) -> BoxFuture<'_, BackendResult<Vec<TrunkInfo>>> {
        ok(self.state().trunk_list())
    }

    fn trunk<'a>(&'a self, name: &'a str) -> BoxFuture<'a, BackendResult<Option<TrunkInfo>>> {
        ok(self.state().trunk_info(name))
    }

    fn add_trunk(&self, trunk: Trunk) -> BoxFuture<'_, BackendResult<()>> {
        done(self.state().add_trunk(trunk))
    }

    fn update_trunk(&self, trunk: Trunk) -> BoxFuture<'_, BackendResult<()>> {
        done(self.state().update_trunk(trunk))
    }

    fn remove_trunk(&self, name: String) -> BoxFuture<'_, BackendResult<bool>> {
        done(self.state().remove_trunk(&name))
    }

    fn dids(&self) -> BoxFuture<'_, BackendResult<Vec<Did>>> {
        ok(self.state().dids.values().cloned().collect())
    }

    fn add_did(&self, did: Did) -> BoxFuture<'_, BackendResult<()>> {
        done(self.state().add_did(did))
    }

    fn update_did(&self, did: Did) -> BoxFuture<'_, BackendResult<()>> {
        done(self.state().update_did(did))
    }

    fn remove_did(&self, number: String) -> BoxFuture<'_, BackendResult<bool>> {
        ok(self.state().dids.remove(&number).is_some())
    }

    fn outbound_routes(&self) -> BoxFuture<'_, BackendResult<Vec<OutboundRoute>>> {
        ok(self.state().routes.clone())
    }

    fn add_outbound_route(&self, route: NewRoute) -> BoxFuture<'_, BackendResult<i64>> {
        done(self.state().add_route(route))
    }

    fn update_outbound_route(&self, route: OutboundRoute) -> BoxFuture<'_, BackendResult<()>> {
        done(self.state().update_route(route))
    }

    fn remove_outbound_route(&self, id: i64) -> BoxFuture<'_, BackendResult<bool>> {
        let mut st = self.state();
        let before = st.routes.len();
        st.routes.retain(|r| r.id != id);
        ok(st.routes.len() != before)
    }
}
