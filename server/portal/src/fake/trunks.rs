//! The fake's trunks, DIDs and outbound routes: the store's rules the portal relies on
//! (unique names and numbers, a trunk in use is not removed, references must exist, an empty
//! password on update keeps the stored one), with messages shaped like the store's.

use pbx::trunk::{Did, OutboundRoute, Trunk, TrunkRegistration, TrunkTransport};

use super::{FakeBackend, FakeState};
use crate::backend::{BackendError, BackendResult, NewRoute, TrunkInfo, TrunkStatus};

fn invalid<T>(message: String) -> BackendResult<T> {
    Err(BackendError::Invalid(message))
}

fn check_trunk(t: &Trunk) -> BackendResult<()> {
    let name_ok = !t.name.is_empty()
        && t.name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !name_ok {
        return invalid(format!("invalid trunk: name {:?}: use letters", t.name));
    }
    if t.host.is_empty() || t.host.contains([':', ' ', '<']) {
        return invalid(format!(
            "invalid trunk: host {:?}: give a host name",
            t.host
        ));
    }
    if let Some(reg) = &t.registration {
        if reg.username.is_empty() {
            return invalid("invalid trunk: username \"\": 1-128 characters".into());
        }
        if reg.password.is_empty() {
            return invalid("invalid trunk: password: 1-256 characters".into());
        }
    }
    if t.codecs.is_empty() {
        return invalid("invalid trunk: codecs: give at least one".into());
    }
    if t.channels == Some(0) {
        return invalid("invalid trunk: channels: must be at least 1".into());
    }
    Ok(())
}

/// What the portal gets back: never the password.
fn info(trunk: &Trunk, status: &TrunkStatus) -> TrunkInfo {
    let mut trunk = trunk.clone();
    if let Some(reg) = trunk.registration.as_mut() {
        reg.password.clear();
    }
    TrunkInfo {
        trunk,
        status: status.clone(),
    }
}

fn is_dialable(pattern: &str) -> bool {
    let digits = pattern.strip_prefix('+').unwrap_or(pattern);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl FakeBackend {
    /// Adds a UDP trunk to `host`, registering as `user` with the password `pw-<name>`, or
    /// IP-authenticated when `user` is None.
    pub fn with_trunk(self, name: &str, host: &str, user: Option<&str>) -> FakeBackend {
        let trunk = Trunk {
            id: 0,
            name: name.to_owned(),
            host: host.to_owned(),
            port: None,
            transport: TrunkTransport::Udp,
            registration: user.map(|u| TrunkRegistration {
                username: u.to_owned(),
                password: format!("pw-{name}"),
                expires: 3600,
            }),
            allow: vec![],
            codecs: vec!["PCMU".into(), "PCMA".into()],
            srtp: Default::default(),
            channels: None,
            options_interval: 30,
            caller_id: None,
            ca_file: None,
        };
        if let Err(e) = self.state().add_trunk(trunk) {
            panic!("seeding trunk {name}: {e}");
        }
        self
    }

    pub fn with_did(self, number: &str, trunk: &str, to: &[&str]) -> FakeBackend {
        let did = Did {
            number: number.to_owned(),
            trunk: trunk.to_owned(),
            to: to.iter().map(|t| (*t).to_owned()).collect(),
            failover: None,
        };
        if let Err(e) = self.state().add_did(did) {
            panic!("seeding DID {number}: {e}");
        }
        self
    }

    pub fn with_route(self, pattern: &str, trunks: &[&str]) -> FakeBackend {
        let route = NewRoute {
            pattern: pattern.to_owned(),
            trunks: trunks.iter().map(|t| (*t).to_owned()).collect(),
            strip: 0,
            prepend: String::new(),
            position: None,
        };
        if let Err(e) = self.state().add_route(route) {
            panic!("seeding route {pattern}: {e}");
        }
        self
    }
}

impl FakeState {
    pub(super) fn trunk_list(&self) -> Vec<TrunkInfo> {
        self.trunks.values().map(|(t, s)| info(t, s)).collect()
    }

    pub(super) fn trunk_info(&self, name: &str) -> Option<TrunkInfo> {
        self.trunks.get(name).map(|(t, s)| info(t, s))
    }

    pub(super) fn add_trunk(&mut self, mut trunk: Trunk) -> BackendResult<()> {
        check_trunk(&trunk)?;
        if self.trunks.contains_key(&trunk.name) {
            return Err(BackendError::Conflict(format!(
                "trunk {} already exists",
                trunk.name
            )));
        }
        trunk.id = self.next_id();
        self.trunks
            .insert(trunk.name.clone(), (trunk, TrunkStatus::default()));
        Ok(())
    }

    pub(super) fn update_trunk(&mut self, mut trunk: Trunk) -> BackendResult<()> {
        let Some((current, _)) = self.trunks.get(&trunk.name) else {
            return Err(BackendError::NotFound);
        };
        if let (Some(new), Some(old)) = (trunk.registration.as_mut(), &current.registration)
            && new.password.is_empty()
        {
            new.password.clone_from(&old.password);
        }
        trunk.id = current.id;
        check_trunk(&trunk)?;
        if let Some((stored, _)) = self.trunks.get_mut(&trunk.name) {
            *stored = trunk;
        }
        Ok(())
    }

    pub(super) fn remove_trunk(&mut self, name: &str) -> BackendResult<bool> {
        let dids: Vec<&str> = self
            .dids
            .values()
            .filter(|d| d.trunk == name)
            .map(|d| d.number.as_str())
            .collect();
        let routes: Vec<String> = self
            .routes
            .iter()
            .filter(|r| r.trunks.iter().any(|t| t == name))
            .map(|r| r.id.to_string())
            .collect();
        if !dids.is_empty() || !routes.is_empty() {
            return Err(BackendError::Conflict(format!(
                "trunk {name} is still used by DIDs {} and routes {}: remove those first",
                dids.join(", "),
                routes.join(", ")
            )));
        }
        Ok(self.trunks.remove(name).is_some())
    }

    /// The store's checks of a DID's fields and references (not of its number's novelty).
    fn check_did(&self, did: &Did) -> BackendResult<()> {
        if !is_dialable(&did.number) {
            return invalid(format!("invalid DID: number {:?}: use digits", did.number));
        }
        if did.to.is_empty() {
            return invalid("invalid DID: give at least one extension to ring".into());
        }
        if !self.trunks.contains_key(&did.trunk) {
            return invalid(format!("no trunk {}", did.trunk));
        }
        if let Some(missing) = did.to.iter().find(|n| !self.extensions.contains_key(*n)) {
            return invalid(format!("no extension {missing}"));
        }
        Ok(())
    }

    pub(super) fn add_did(&mut self, did: Did) -> BackendResult<()> {
        self.check_did(&did)?;
        if self.dids.contains_key(&did.number) {
            return Err(BackendError::Conflict(format!(
                "DID {} already exists",
                did.number
            )));
        }
        self.dids.insert(did.number.clone(), did);
        Ok(())
    }

    pub(super) fn update_did(&mut self, did: Did) -> BackendResult<()> {
        if !self.dids.contains_key(&did.number) {
            return Err(BackendError::NotFound);
        }
        self.check_did(&did)?;
        self.dids.insert(did.number.clone(), did);
        Ok(())
    }

    /// The store's checks of a route's pattern and trunks.
    fn check_route(&self, pattern: &str, trunks: &[String]) -> BackendResult<()> {
        if !(pattern.starts_with('_') || is_dialable(pattern)) {
            return invalid(format!(
                "invalid outbound route: pattern {pattern:?}: not a number or a pattern"
            ));
        }
        if trunks.is_empty() {
            return invalid("invalid outbound route: give at least one trunk".into());
        }
        if let Some(missing) = trunks.iter().find(|t| !self.trunks.contains_key(*t)) {
            return invalid(format!("no trunk {missing}"));
        }
        Ok(())
    }

    pub(super) fn add_route(&mut self, route: NewRoute) -> BackendResult<i64> {
        self.check_route(&route.pattern, &route.trunks)?;
        let id = self.next_id();
        self.place_route(OutboundRoute {
            id,
            pattern: route.pattern,
            trunks: route.trunks,
            strip: route.strip,
            prepend: route.prepend,
            position: route.position.unwrap_or(i64::MAX),
        });
        Ok(id)
    }

    pub(super) fn update_route(&mut self, route: OutboundRoute) -> BackendResult<()> {
        let Some(index) = self.routes.iter().position(|r| r.id == route.id) else {
            return Err(BackendError::NotFound);
        };
        self.check_route(&route.pattern, &route.trunks)?;
        self.routes.remove(index);
        self.place_route(route);
        Ok(())
    }

    /// Puts the route at its position in the list (clamped to the list), positions being
    /// list indexes here.
    fn place_route(&mut self, route: OutboundRoute) {
        let len = i64::try_from(self.routes.len()).unwrap_or(i64::MAX);
        let index = usize::try_from(route.position.clamp(0, len)).unwrap_or(self.routes.len());
        self.routes.insert(index, route);
        for (i, r) in self.routes.iter_mut().enumerate() {
            r.position = i64::try_from(i).unwrap_or(i64::MAX);
        }
    }
}
