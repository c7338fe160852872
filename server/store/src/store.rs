//! `Store`: the database plus the in-memory serving copies the registrar reads (see `cache`).
//! It implements the pbx ports: `Locations` from memory with the database written behind,
//! `Directory` (and `DialPlanSource`, in `calls`) from a copy of the extensions table and the
//! dial plan kept current by their change counter; `CallRecords` (in `calls`) writes behind.
//! Trunks, DIDs and outbound routes (in `trunks`) are served from the same copy.
//! The portal's users, sessions and API tokens (in `accounts`) go straight to the database.
//! The copies are made on first use, so a CLI command never loads the bindings.

mod accounts;
mod calls;
mod trunk_status;
mod trunks;

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use pbx::{Binding, BindingChanges, Directory, Extension, Locations, PortError};
use tokio::sync::OnceCell;

use crate::backend::Backend;
use crate::cache::directory::{Cached, DirectoryCache};
use crate::cache::locations::LocationCache;
use crate::cdr_writer::CdrWriter;
use crate::error::StoreError;
use crate::write_behind::WriteBehind;

/// A handle on the database and its caches; cheap to clone (all clones share them).
#[derive(Debug, Clone)]
pub struct Store {
    db: Backend,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    directory: DirectoryCache,
    locations: OnceCell<Located>,
    /// Started by the first call record.
    records: OnceLock<CdrWriter>,
}

#[derive(Debug)]
struct Located {
    cache: LocationCache,
    writer: WriteBehind,
}

impl Store {
    /// Opens `sqlite://PATH?mode=rwc` (WAL, 5 s busy timeout, foreign keys on) or
    /// `postgres://user@host/db` (a `?options=-c%20search_path%3DNAME` query selects a
    /// schema) and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Ok(Store {
            db: Backend::connect(url).await?,
            shared: Arc::new(Shared::default()),
        })
    }

    /// "sqlite" or "postgres", for startup logs.
    pub fn kind(&self) -> &'static str {
        self.db.kind()
    }

    /// Writes every queued binding change and call record, then waits for in-flight queries
    /// and closes every connection (SQLite then checkpoints the WAL into the main file).
    pub async fn close(&self) {
        self.flush().await;
        self.db.close().await;
    }

    /// Returns once every binding change and call record queued so far is in the database.
    pub async fn flush(&self) {
        if let Some(located) = self.shared.locations.get() {
            located.writer.flush().await;
        }
        if let Some(records) = self.shared.records.get() {
            records.flush().await;
        }
    }

    // --- extensions ------------------------------------------------------------------------

    /// Adds an extension. `number` is what phones put in the user part of their AoR and
    /// their digest username.
    pub async fn add_extension(
        &self,
        number: &str,
        name: &str,
        secret: &str,
    ) -> Result<(), StoreError> {
        let added = self.db.add_extension(number, name, secret).await;
        self.shared.directory.invalidate();
        added
    }

    /// All extensions, ordered by number (read from the database).
    pub async fn list_extensions(&self) -> Result<Vec<Extension>, StoreError> {
        self.db.list_extensions().await
    }

    /// Removes an extension and (by cascade) its bindings. False when there was none.
    pub async fn remove_extension(&self, number: &str) -> Result<bool, StoreError> {
        let removed = self.db.remove_extension(number).await;
        self.shared.directory.invalidate();
        if let Some(located) = self.shared.locations.get() {
            located.cache.remove_aor(number);
        }
        removed
    }

    /// Changes an extension's display name. False when there is none. The server sees it at
    /// once (this process) or within a second (others).
    pub async fn rename_extension(&self, number: &str, name: &str) -> Result<bool, StoreError> {
        let done = self.db.rename_extension(number, name).await;
        self.shared.directory.invalidate();
        done
    }

    /// Replaces an extension's SIP secret: registrations and calls challenged from now on
    /// need the new one. False when there is no such extension.
    pub async fn set_extension_secret(
        &self,
        number: &str,
        secret: &str,
    ) -> Result<bool, StoreError> {
        let done = self.db.set_extension_secret(number, secret).await;
        self.shared.directory.invalidate();
        done
    }

    /// One extension, read from the database.
    pub async fn get_extension(&self, number: &str) -> Result<Option<Extension>, StoreError> {
        self.db.get_extension(number).await
    }

    /// One extension from the in-memory copy, refreshed first when its change counter may
    /// have moved (at most once per `cache::directory::RECHECK`).
    pub async fn cached_extension(&self, number: &str) -> Result<Option<Extension>, StoreError> {
        self.serve_from_copy(
            |directory, now| directory.get(number, now),
            || self.db.get_extension(number),
        )
        .await
    }

    /// What `read` finds in the in-memory copy, refreshed first when its change counter may
    /// have moved; `direct` reads the database when there is no copy to serve.
    async fn serve_from_copy<T, Fut>(
        &self,
        read: impl Fn(&DirectoryCache, Instant) -> Cached<T>,
        direct: impl FnOnce() -> Fut,
    ) -> Result<T, StoreError>
    where
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let directory = &self.shared.directory;
        let stale = match read(directory, Instant::now()) {
            Cached::Fresh(value) => return Ok(value),
            Cached::Stale(value) => Some(value),
            Cached::Empty => None,
        };
        let Some(_claim) = directory.claim() else {
            // Another request is refreshing: the copy we have will do meanwhile, unless this
            // process changed the table since it was read (then ask the database).
            return match stale {
                Some(value) if !directory.is_forced() => Ok(value),
                _ => direct().await,
            };
        };
        match (self.refresh_directory().await, stale) {
            (Ok(()), _) => {}
            (Err(e), Some(value)) => {
                tracing::warn!("extensions not reloaded, serving the last copy: {e}");
                return Ok(value);
            }
            (Err(e), None) => return Err(e),
        }
        match read(directory, Instant::now()) {
            Cached::Fresh(value) | Cached::Stale(value) => Ok(value),
            Cached::Empty => direct().await,
        }
    }

    /// Refreshes the copy of the extensions if it is due and nobody else is at it; a failure
    /// is logged (the last copy keeps serving).
    async fn recheck_directory(&self) {
        let directory = &self.shared.directory;
        if directory.needs_recheck(Instant::now())
            && let Some(_claim) = directory.claim()
            && let Err(e) = self.refresh_directory().await
        {
            tracing::warn!("extensions not reloaded: {e}");
        }
    }

    /// Reads the change counter and reloads the extensions, the dial plan and the trunk
    /// configuration if it moved;
    /// bindings of extensions that disappeared (removed by another process) are dropped from
    /// memory.
    async fn refresh_directory(&self) -> Result<(), StoreError> {
        let directory = &self.shared.directory;
        let seen = directory.generation();
        let version = self.db.directory_version().await?;
        if directory.version() == Some(version) {
            directory.confirm(version, Instant::now(), seen);
            return Ok(());
        }
        let rows = self.db.list_extensions().await?;
        let rules = self.db.list_rules().await?;
        let trunking = self.db.load_trunking().await?;
        let removed = directory.replace(version, rows, rules, trunking, Instant::now(), seen);
        if let Some(located) = self.shared.locations.get() {
            for number in removed {
                tracing::info!(extension = %number, "extension removed: its registrations are dropped");
                located.cache.remove_aor(&number);
            }
        }
        Ok(())
    }

    // --- bindings ----------------------------------------------------------------------------

    /// The in-memory location service, loaded from the database on first use.
    async fn located(&self) -> Result<&Located, StoreError> {
        self.shared
            .locations
            .get_or_try_init(|| async {
                let rows = self.db.load_bindings().await?;
                Ok::<_, StoreError>(Located {
                    cache: LocationCache::new(rows),
                    writer: WriteBehind::start(self.db.clone()),
                })
            })
            .await
    }

    /// The AoR's bindings that have not expired at `now_unix`, ordered by contact. Like
    /// `all_bindings`, it first rechecks the extensions when due, so the bindings of an
    /// extension another process removed are gone within about a second.
    pub async fn lookup_bindings(
        &self,
        aor: &str,
        now_unix: u64,
    ) -> Result<Vec<Binding>, StoreError> {
        let located = self.located().await?;
        self.recheck_directory().await;
        Ok(located.cache.lookup(aor, now_unix))
    }

    /// Every unexpired binding, ordered by AoR then contact.
    pub async fn all_bindings(&self, now_unix: u64) -> Result<Vec<Binding>, StoreError> {
        let located = self.located().await?;
        self.recheck_directory().await;
        Ok(located.cache.all(now_unix))
    }

    /// Applies one REGISTER's changes all or nothing: in memory at once, in the database
    /// within `write_behind::WINDOW`. Refused (nothing applied) when an upsert is for
    /// another AoR than `changes.aor` or the AoR is not an extension (the database's
    /// foreign key would refuse it later, out of sight).
    pub async fn apply_bindings(&self, changes: &BindingChanges) -> Result<(), StoreError> {
        if let Some(b) = changes.upsert.iter().find(|b| b.aor != changes.aor) {
            return Err(StoreError::ForeignBinding {
                aor: changes.aor.clone(),
                binding_aor: b.aor.clone(),
            });
        }
        if !changes.upsert.is_empty() && self.cached_extension(&changes.aor).await?.is_none() {
            return Err(StoreError::NoSuchExtension(changes.aor.clone()));
        }
        let located = self.located().await?;
        located
            .cache
            .apply(changes, || located.writer.changes(changes));
        Ok(())
    }

    /// Forgets bindings that expired at or before `now_unix` (in memory now, in the
    /// database with the next batch) and returns how many. Also rechecks the extensions.
    pub async fn purge_expired_bindings(&self, now_unix: u64) -> Result<u64, StoreError> {
        let located = self.located().await?;
        self.recheck_directory().await;
        Ok(located
            .cache
            .purge_expired(now_unix, || located.writer.purge(now_unix)))
    }
}

impl Directory for Store {
    async fn extension(&self, number: &str) -> Result<Option<Extension>, PortError> {
        Ok(self.cached_extension(number).await?)
    }
}

impl Locations for Store {
    async fn lookup(&self, aor: &str, now_unix: u64) -> Result<Vec<Binding>, PortError> {
        Ok(self.lookup_bindings(aor, now_unix).await?)
    }

    async fn apply(&self, changes: &BindingChanges) -> Result<(), PortError> {
        Ok(self.apply_bindings(changes).await?)
    }

    async fn purge_expired(&self, now_unix: u64) -> Result<u64, PortError> {
        Ok(self.purge_expired_bindings(now_unix).await?)
    }

    async fn all(&self, now_unix: u64) -> Result<Vec<Binding>, PortError> {
        Ok(self.all_bindings(now_unix).await?)
    }
}
