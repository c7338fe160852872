//! Storage for Switchboard: SQLite (default) and PostgreSQL, same schema in two dialects
//! (`migrations/sqlite`, `migrations/postgres`, run at connect). `Store` implements the pbx
//! ports `Directory` and `Locations`; the same SQL text serves both databases (`$1`
//! placeholders work in SQLite too), only the migrations differ.

mod backend;
mod bindings;
mod error;
mod extensions;
mod migrations;

pub use backend::Store;
pub use error::StoreError;
