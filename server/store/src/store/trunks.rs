//! What `Store` keeps for SIP trunks: the trunks, the company numbers (DIDs) that come in on
//! them and the outbound routes that go out through them. Admin tools (CLI, portal) change
//! and list them in the database; the server reads them from the in-memory copy it keeps of
//! the extensions and the dial plan (one change counter), so a change made anywhere takes
//! effect within about a second, without a restart.

use std::sync::Arc;

use pbx::trunk::{Did, OutboundRoute, Trunk};

use super::Store;
use crate::dids::DidUpdate;
use crate::error::StoreError;
use crate::routes::RouteUpdate;

impl Store {
    // --- trunks --------------------------------------------------------------------------------

    /// Adds a trunk (`trunk.id` is ignored) and returns its id. `InvalidTrunk` names the
    /// field that cannot be used; `DuplicateTrunk` when the name is taken. Codec names are
    /// stored in upper case.
    pub async fn add_trunk(&self, trunk: &Trunk) -> Result<i64, StoreError> {
        let added = self.db.add_trunk(trunk).await;
        self.shared.directory.invalidate();
        added
    }

    /// Replaces every setting of the trunk named `trunk.name` (checked as for `add_trunk`;
    /// `id` is ignored). False when there is no such trunk.
    pub async fn update_trunk(&self, trunk: &Trunk) -> Result<bool, StoreError> {
        let done = self.db.update_trunk(trunk).await;
        self.shared.directory.invalidate();
        done
    }

    /// Every trunk, ordered by name (read from the database).
    pub async fn list_trunks(&self) -> Result<Vec<Trunk>, StoreError> {
        self.db.list_trunks().await
    }

    /// One trunk, read from the database.
    pub async fn get_trunk(&self, name: &str) -> Result<Option<Trunk>, StoreError> {
        self.db.get_trunk(name).await
    }

    /// Removes a trunk. False when there was none; `TrunkInUse` (nothing removed), naming
    /// them, while DIDs or outbound routes use it.
    pub async fn remove_trunk(&self, name: &str) -> Result<bool, StoreError> {
        let removed = self.db.remove_trunk(name).await;
        self.shared.directory.invalidate();
        removed
    }

    // --- DIDs ----------------------------------------------------------------------------------

    /// Adds a company number. `InvalidDid` for malformed fields, `NoSuchTrunk`,
    /// `NoSuchExtension` for a target that does not exist, `DuplicateDid` when the number
    /// is taken.
    pub async fn add_did(&self, did: &Did) -> Result<(), StoreError> {
        let added = self.db.add_did(did).await;
        self.shared.directory.invalidate();
        added
    }

    /// Changes the fields `change` gives of DID `number` (the others stay) and returns it as
    /// it is now; None when there is no such number. Errors as `add_did`, nothing changed.
    pub async fn update_did(
        &self,
        number: &str,
        change: &DidUpdate,
    ) -> Result<Option<Did>, StoreError> {
        let updated = self.db.update_did(number, change).await;
        self.shared.directory.invalidate();
        updated
    }

    /// Every DID, ordered by number (read from the database).
    pub async fn list_dids(&self) -> Result<Vec<Did>, StoreError> {
        self.db.list_dids().await
    }

    /// Removes a DID. False when there was none with that number.
    pub async fn remove_did(&self, number: &str) -> Result<bool, StoreError> {
        let removed = self.db.remove_did(number).await;
        self.shared.directory.invalidate();
        removed
    }

    // --- outbound routes -----------------------------------------------------------------------

    /// Adds a route and returns its id: numbers matching `pattern` (the dial plan's syntax)
    /// go out through `trunks` in that order, after `strip` leading digits are removed and
    /// `prepend` put in front. `position` None puts it last (highest + 10). `InvalidRoute`
    /// for a bad pattern, trunk list or digits; `NoSuchTrunk` (nothing added).
    pub async fn add_route(
        &self,
        pattern: &str,
        trunks: &[String],
        strip: u32,
        prepend: &str,
        position: Option<i64>,
    ) -> Result<i64, StoreError> {
        let added = self
            .db
            .add_route(pattern, trunks, strip, prepend, position)
            .await;
        self.shared.directory.invalidate();
        added
    }

    /// Changes the fields `change` gives of route `id` (the others stay; `trunks` replaces
    /// the whole list) and returns it as it is now; None when there is no such route.
    /// Errors as `add_route`, nothing changed.
    pub async fn update_route(
        &self,
        id: i64,
        change: &RouteUpdate,
    ) -> Result<Option<OutboundRoute>, StoreError> {
        let updated = self.db.update_route(id, change).await;
        self.shared.directory.invalidate();
        updated
    }

    /// Every route in the order they are tried (read from the database).
    pub async fn list_routes(&self) -> Result<Vec<OutboundRoute>, StoreError> {
        self.db.list_routes().await
    }

    /// Removes a route. False when there was none with that id.
    pub async fn remove_route(&self, id: i64) -> Result<bool, StoreError> {
        let removed = self.db.remove_route(id).await;
        self.shared.directory.invalidate();
        removed
    }

    // --- what the server reads -------------------------------------------------------------------

    /// The trunks from the in-memory copy, refreshed first when the change counter may have
    /// moved (at most once per `cache::directory::RECHECK`). Cheap: an `Arc` clone.
    pub async fn cached_trunks(&self) -> Result<Arc<Vec<Trunk>>, StoreError> {
        self.serve_from_copy(
            |directory, now| directory.trunks(now),
            || async { Ok(Arc::new(self.db.list_trunks().await?)) },
        )
        .await
    }

    /// The DIDs from the in-memory copy, as `cached_trunks`.
    pub async fn cached_dids(&self) -> Result<Arc<Vec<Did>>, StoreError> {
        self.serve_from_copy(
            |directory, now| directory.dids(now),
            || async { Ok(Arc::new(self.db.list_dids().await?)) },
        )
        .await
    }

    /// The outbound routes in order from the in-memory copy, as `cached_trunks`.
    pub async fn cached_routes(&self) -> Result<Arc<Vec<OutboundRoute>>, StoreError> {
        self.serve_from_copy(
            |directory, now| directory.routes(now),
            || async { Ok(Arc::new(self.db.list_routes().await?)) },
        )
        .await
    }
}
