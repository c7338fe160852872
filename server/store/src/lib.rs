//! Storage for Switchboard: SQLite (default) and PostgreSQL, same schema in two dialects
//! (`migrations/sqlite`, `migrations/postgres`, run at connect). `Store` implements the pbx
//! ports `Directory`, `Locations`, `DialPlanSource` and `CallRecords`, and keeps the web
//! portal's users, sessions and API tokens and the SIP trunks with their DIDs and outbound
//! routes; the same SQL text serves both databases (`$1` placeholders work in SQLite too),
//! only the migrations differ.
//!
//! The registrar never waits for the database: `Store` serves the ports from in-memory copies
//! (`cache`) and writes binding changes behind, in batches (`write_behind`); call records go
//! the same way (`cdr_writer`).

mod api_tokens;
mod backend;
mod batching;
mod bindings;
mod cache;
mod cdr_writer;
mod cdrs;
mod dialplan;
mod dids;
mod error;
mod extensions;
mod features;
mod migrations;
mod routes;
mod store;
mod trunk_checks;
mod trunk_status;
mod trunks;
mod users;
mod web_sessions;
mod write_behind;

pub use cdrs::MAX_FILTERED_RECORDS;
pub use dialplan::POSITION_STEP;
pub use dids::DidUpdate;
pub use error::StoreError;
pub use features::{FeaturesUpdate, MAX_RING_TIMEOUT};
pub use routes::RouteUpdate;
pub use store::Store;
pub use trunk_checks::{EXPIRES_RANGE, MAX_DIGITS, MAX_OPTIONS_INTERVAL, TRUNK_CODECS};
pub use trunk_status::TrunkStatus;
