//! Storage for Switchboard: SQLite (default) and PostgreSQL, same schema in two dialects.
