use pbx::PortError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unsupported database_url {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("extension {0} already exists")]
    Duplicate(String),
    #[error("invalid extension number {0:?}: use 1-32 letters, digits, '.', '_' or '-'")]
    InvalidNumber(String),
    #[error("no extension {0}")]
    NoSuchExtension(String),
    #[error("a user named {0:?} already exists")]
    DuplicateUser(String),
    #[error("extension {0} already belongs to another user")]
    ExtensionTaken(String),
    #[error("invalid feature value: {0}")]
    InvalidFeature(String),
    #[error("invalid dial plan rule: {0}")]
    InvalidRule(String),
    #[error("trunk {0} already exists")]
    DuplicateTrunk(String),
    #[error("no trunk {0}")]
    NoSuchTrunk(String),
    #[error("invalid trunk: {0}")]
    InvalidTrunk(String),
    /// A trunk that DIDs or outbound routes still use is not removed (their calls would have
    /// nowhere to go); the admin removes or changes those first.
    #[error(
        "trunk {trunk} is still used by {}: remove those first",
        users(.dids, .routes)
    )]
    TrunkInUse {
        trunk: String,
        /// The DIDs that come in on it, by number.
        dids: Vec<String>,
        /// The outbound routes that go out through it, by id.
        routes: Vec<i64>,
    },
    #[error("DID {0} already exists")]
    DuplicateDid(String),
    #[error("invalid DID: {0}")]
    InvalidDid(String),
    #[error("invalid outbound route: {0}")]
    InvalidRoute(String),
    #[error("a binding of {binding_aor} in a change to {aor}")]
    ForeignBinding { aor: String, binding_aor: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<StoreError> for PortError {
    fn from(e: StoreError) -> PortError {
        match e {
            StoreError::Corrupt(what) => PortError::Corrupt(what),
            other => PortError::Backend(Box::new(other)),
        }
    }
}

/// "DID +15551230000, DIDs 1 and 2, route 3", for `TrunkInUse`.
fn users(dids: &[String], routes: &[i64]) -> String {
    let mut parts = Vec::new();
    if !dids.is_empty() {
        let word = if dids.len() == 1 { "DID" } else { "DIDs" };
        parts.push(format!("{word} {}", dids.join(", ")));
    }
    if !routes.is_empty() {
        let word = if routes.len() == 1 { "route" } else { "routes" };
        let ids: Vec<String> = routes.iter().map(i64::to_string).collect();
        parts.push(format!("{word} {}", ids.join(", ")));
    }
    if parts.is_empty() {
        // Whatever used it went away meanwhile; the next attempt will tell.
        return "DIDs or routes".into();
    }
    parts.join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_in_use_names_what_uses_it() {
        let e = StoreError::TrunkInUse {
            trunk: "acme".into(),
            dids: vec!["+15551230000".into(), "+15551230001".into()],
            routes: vec![3],
        };
        assert_eq!(
            e.to_string(),
            "trunk acme is still used by DIDs +15551230000, +15551230001 and route 3: \
             remove those first"
        );
        let e = StoreError::TrunkInUse {
            trunk: "acme".into(),
            dids: vec![],
            routes: vec![1, 2],
        };
        assert!(e.to_string().contains("used by routes 1, 2:"), "{e}");
    }
}
