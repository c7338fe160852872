//! Storage for Switchboard: SQLite (default) and PostgreSQL, same schema in two dialects
//! (`migrations/sqlite`, `migrations/postgres`, run at connect). `Store` implements the pbx
//! ports `Directory` and `Locations`; the same SQL text serves both databases (`$1`
//! placeholders work in SQLite too), only the migrations differ.
//!
//! The registrar never waits for the database: `Store` serves the ports from in-memory copies
//! (`cache`) and writes binding changes behind, in batches (`write_behind`).

mod backend;
mod bindings;
mod cache;
mod error;
mod extensions;
mod migrations;
mod store;
mod write_behind;

pub use error::StoreError;
pub use store::Store;
