//! What `Store` keeps for the web portal: users, their browser sessions and API tokens.
//! None of it is cached: the portal reads a session per request and a user per login, which
//! the database answers from its indexes, and every node of a cluster sees a logout at once.

use pbx::accounts::{ApiToken, NewUser, User, UserUpdate, WebSession};

use super::Store;
use crate::error::StoreError;

impl Store {
    // --- users ---------------------------------------------------------------------------------

    /// Adds a user and returns it with its id and creation time. `name` is stored as given
    /// (the portal normalizes it first). `DuplicateUser` when the name is taken,
    /// `ExtensionTaken` when another user has the extension, `NoSuchExtension` when it does
    /// not exist.
    pub async fn add_user(&self, user: &NewUser) -> Result<User, StoreError> {
        self.db.add_user(user).await
    }

    pub async fn get_user(&self, id: i64) -> Result<Option<User>, StoreError> {
        self.db.get_user(id).await
    }

    /// The user with exactly this (normalized) name.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.db.user_by_name(name).await
    }

    /// Every user, ordered by name.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.db.list_users().await
    }

    /// Changes the fields `update` names and returns the user as changed; None when there is
    /// no such user. `ExtensionTaken` or `NoSuchExtension` as for `add_user` (then nothing
    /// changed).
    pub async fn update_user(
        &self,
        id: i64,
        update: &UserUpdate,
    ) -> Result<Option<User>, StoreError> {
        self.db.update_user(id, update).await
    }

    /// Removes the user with their sessions and API tokens. False when there was none.
    pub async fn remove_user(&self, id: i64) -> Result<bool, StoreError> {
        self.db.remove_user(id).await
    }

    // --- sessions ------------------------------------------------------------------------------

    pub async fn add_session(&self, session: &WebSession) -> Result<(), StoreError> {
        self.db.add_session(session).await
    }

    /// The session whose token hashes to `token_hash`, expired or not (the portal decides).
    pub async fn get_session(&self, token_hash: &str) -> Result<Option<WebSession>, StoreError> {
        self.db.get_session(token_hash).await
    }

    /// Records a request at `now` (unix seconds); `last_seen` never moves back.
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        self.db.touch_session(token_hash, now).await
    }

    /// False when there was no such session.
    pub async fn remove_session(&self, token_hash: &str) -> Result<bool, StoreError> {
        self.db.remove_session(token_hash).await
    }

    /// Every session of the user; returns how many there were.
    pub async fn remove_user_sessions(&self, user_id: i64) -> Result<u64, StoreError> {
        self.db.remove_user_sessions(user_id).await
    }

    /// Removes sessions last seen before `idle_before` or created before `created_before`
    /// (unix seconds); returns how many.
    pub async fn purge_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<u64, StoreError> {
        self.db.purge_sessions(idle_before, created_before).await
    }

    // --- API tokens ----------------------------------------------------------------------------

    /// Stores a token (its SHA-256 hex) for the user and returns it with its id.
    pub async fn add_api_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        created_at: i64,
    ) -> Result<ApiToken, StoreError> {
        self.db
            .add_api_token(user_id, token_hash, label, created_at)
            .await
    }

    /// The token with this hash, with `last_used` set to `used_at`; None when there is none.
    pub async fn use_api_token(
        &self,
        token_hash: &str,
        used_at: i64,
    ) -> Result<Option<ApiToken>, StoreError> {
        self.db.use_api_token(token_hash, used_at).await
    }

    /// The user's tokens, oldest first.
    pub async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        self.db.list_api_tokens(user_id).await
    }

    /// Revokes the user's token `id`. False when that user has no such token.
    pub async fn remove_api_token(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        self.db.remove_api_token(user_id, id).await
    }
}
