//! The portal's users in SQL. Names arrive normalized (the portal lower-cases and checks them
//! with `pbx::accounts::normalize_user_name`) and are stored as given.
//!
//! The schema enforces the rules (unique names, one user per extension, the extension must
//! exist); the database's refusals are turned into errors the portal can show.

use pbx::accounts::{NewUser, User, UserUpdate};

use crate::backend::{Backend, first, only, with_pool};
use crate::error::StoreError;
use crate::extensions::unix_now;

macro_rules! columns {
    () => {
        "id, name, password_hash, extension, admin, created_at"
    };
}

type Row = (i64, String, String, Option<String>, bool, i64);

const INSERT: &str = concat!(
    "INSERT INTO users (name, password_hash, extension, admin, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING ",
    columns!()
);

/// Only the fields the update names change; `extension` can be set to NULL on purpose.
const UPDATE: &str = concat!(
    "UPDATE users SET password_hash = COALESCE($2, password_hash), \
     extension = CASE WHEN $3 THEN $4 ELSE extension END, \
     admin = COALESCE($5, admin) WHERE id = $1 RETURNING ",
    columns!()
);

const BY_ID: &str = concat!("SELECT ", columns!(), " FROM users WHERE id = $1");
const BY_NAME: &str = concat!("SELECT ", columns!(), " FROM users WHERE name = $1");
const ALL: &str = concat!("SELECT ", columns!(), " FROM users ORDER BY name");

impl Backend {
    /// `DuplicateUser` when the name is taken, `ExtensionTaken` when another user has the
    /// extension, `NoSuchExtension` when it does not exist.
    pub async fn add_user(&self, new: &NewUser) -> Result<User, StoreError> {
        let result: Result<Row, sqlx::Error> = with_pool!(self, pool => {
            sqlx::query_as(INSERT)
                .bind(&new.name)
                .bind(&new.password_hash)
                .bind(new.extension.as_deref())
                .bind(new.admin)
                .bind(unix_now())
                .fetch_all(pool)
                .await.and_then(only)
        });
        match result {
            Ok(row) => Ok(user(row)),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                // Two unique rules can refuse the row; SQLite does not say which by name,
                // so ask (a name that exists now is the likelier culprit, and checked first).
                if self.user_by_name(&new.name).await?.is_some() {
                    Err(StoreError::DuplicateUser(new.name.clone()))
                } else {
                    Err(taken(new.extension.as_deref()))
                }
            }
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                Err(no_such(new.extension.as_deref()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(BY_ID).bind(id).fetch_all(pool).await.map(first)?
        });
        Ok(row.map(user))
    }

    /// The exact stored name (no case folding here).
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(BY_NAME).bind(name).fetch_all(pool).await.map(first)?
        });
        Ok(row.map(user))
    }

    /// Every user, ordered by name.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(ALL).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(user).collect())
    }

    /// The user as changed; None when there is no such user. `ExtensionTaken` or
    /// `NoSuchExtension` (nothing changed) for an extension the user cannot have.
    pub async fn update_user(
        &self,
        id: i64,
        update: &UserUpdate,
    ) -> Result<Option<User>, StoreError> {
        let extension = update.extension.as_ref().and_then(|e| e.as_deref());
        let result: Result<Option<Row>, sqlx::Error> = with_pool!(self, pool => {
            sqlx::query_as(UPDATE)
                .bind(id)
                .bind(update.password_hash.as_deref())
                .bind(update.extension.is_some())
                .bind(extension)
                .bind(update.admin)
                .fetch_all(pool)
                .await.map(first)
        });
        match result {
            Ok(row) => Ok(row.map(user)),
            // The name does not change, so only the extension can clash.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(taken(extension)),
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                Err(no_such(extension))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the user; their sessions and API tokens go with them (ON DELETE CASCADE).
    /// False when there was none.
    pub async fn remove_user(&self, id: i64) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }
}

fn user(row: Row) -> User {
    let (id, name, password_hash, extension, admin, created_at) = row;
    User {
        id,
        name,
        password_hash,
        extension,
        admin,
        created_at,
    }
}

/// Only a row with an extension can break the one-user-per-extension rule or the foreign
/// key, so `extension` is always Some here; "" keeps the error total without a panic.
fn taken(extension: Option<&str>) -> StoreError {
    StoreError::ExtensionTaken(extension.unwrap_or_default().to_owned())
}

fn no_such(extension: Option<&str>) -> StoreError {
    StoreError::NoSuchExtension(extension.unwrap_or_default().to_owned())
}
