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
