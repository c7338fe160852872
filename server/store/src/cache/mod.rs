//! In-memory serving copies of what the registrar reads on every REGISTER. The database stays
//! the record: the locations are loaded from it once and written behind (`write_behind`),
//! the directory is reloaded when its change counter moves.

pub(crate) mod directory;
pub(crate) mod locations;
