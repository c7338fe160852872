//! Portal accounts: people who log in to the web portal (each may own an extension), their
//! browser sessions and admins' API tokens. Plain data shared by `store` (which keeps it) and
//! `portal` (which decides who may do what). Secrets never appear here in clear: passwords are
//! argon2id PHC strings, session ids and API tokens are stored as SHA-256 hex of the token.

use std::fmt;

use crate::cdr::Disposition;

/// A portal user. `name` is stored lower-case (log-ins are case-insensitive). `Debug` leaves
/// the password hash out, so a log line can never carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The extension this user's softphone registers as.
    pub extension: Option<String>,
    pub admin: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    pub password_hash: String,
    pub extension: Option<String>,
    pub admin: bool,
}

/// A change to some of a user's fields; `None` leaves a field as it is, `extension:
/// Some(None)` unlinks the extension.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub password_hash: Option<String>,
    pub extension: Option<Option<String>>,
    pub admin: Option<bool>,
}

/// A logged-in browser. The cookie holds the token; the database only its hash. `Debug`
/// shows neither hash nor CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct WebSession {
    /// SHA-256 hex of the session token.
    pub token_hash: String,
    pub user_id: i64,
    /// The CSRF token bound to this session (random, sent in forms and the X-CSRF-Token
    /// header).
    pub csrf: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last request (for the idle timeout).
    pub last_seen: i64,
}

/// A bearer token for the JSON API (admins' scripts). `Debug` leaves the hash out.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    /// SHA-256 hex of the token.
    pub token_hash: String,
    pub user_id: i64,
    pub label: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used: Option<i64>,
}

/// Which call records to list (all conditions must hold), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CdrFilter {
    /// Started at or after (unix ms).
    pub since_ms: Option<i64>,
    /// Started before (unix ms).
    pub until_ms: Option<i64>,
    /// Caller, callee or dialed number equals this.
    pub party: Option<String>,
    pub disposition: Option<Disposition>,
    /// At most this many; 0 or more than 10,000 means 10,000 (the store's cap).
    pub limit: u32,
    pub offset: u32,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("extension", &self.extension)
            .field("admin", &self.admin)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for WebSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSession")
            .field("user_id", &self.user_id)
            .field("created_at", &self.created_at)
            .field("last_seen", &self.last_seen)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("label", &self.label)
            .field("created_at", &self.created_at)
            .field("last_used", &self.last_used)
            .finish_non_exhaustive()
    }
}

/// User names: 1 to 64 of `a-z 0-9 . _ - @`, after lower-casing. Returns the normalized name.
pub fn normalize_user_name(name: &str) -> Result<String, String> {
    let lower = name.trim().to_ascii_lowercase();
    let valid = !lower.is_empty()
        && lower.len() <= 64
        && lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
    if valid {
        Ok(lower)
    } else {
        Err(format!(
            "user name {name:?} is not valid: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_lower_cased_and_checked() {
        assert_eq!(normalize_user_name(" Alice.B ").as_deref(), Ok("alice.b"));
        assert!(normalize_user_name("").is_err());
        assert!(normalize_user_name("a b").is_err());
        assert!(normalize_user_name("<script>").is_err());
        assert!(normalize_user_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn debug_output_carries_no_secrets() {
        let session = WebSession {
            token_hash: "tokenhash".into(),
            user_id: 1,
            csrf: "csrfvalue".into(),
            created_at: 0,
            last_seen: 0,
        };
        let user = User {
            id: 1,
            name: "alice".into(),
            password_hash: "$argon2id$secret".into(),
            extension: None,
            admin: false,
            created_at: 0,
        };
        let shown = format!("{session:?} {user:?}");
        assert!(!shown.contains("tokenhash") && !shown.contains("csrfvalue"));
        assert!(!shown.contains("argon2id") && shown.contains("alice"));
    }
}
