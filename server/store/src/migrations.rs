//! The schema, embedded at build time. sqlx's `migrate!` macro would need the heavy `macros`
//! feature, so the files are listed here by hand and handed to sqlx's runtime `Migrator`
//! (same `_sqlx_migrations` table and checksums as the sqlx CLI would use).
//! Add a migration: create the file in BOTH dialect folders and append it to both lists.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

type Entry = (i64, &'static str, &'static str);

const SQLITE: &[Entry] = &[
    (
        1,
        "registrar",
        include_str!("../../../migrations/sqlite/0001_registrar.sql"),
    ),
    (
        2,
        "directory version",
        include_str!("../../../migrations/sqlite/0002_directory_version.sql"),
    ),
    (
        3,
        "calls",
        include_str!("../../../migrations/sqlite/0003_calls.sql"),
    ),
    (
        4,
        "portal",
        include_str!("../../../migrations/sqlite/0004_portal.sql"),
    ),
    (
        5,
        "trunks",
        include_str!("../../../migrations/sqlite/0005_trunks.sql"),
    ),
    (
        6,
        "trunk status",
        include_str!("../../../migrations/sqlite/0006_trunk_status.sql"),
    ),
];

const POSTGRES: &[Entry] = &[
    (
        1,
        "registrar",
        include_str!("../../../migrations/postgres/0001_registrar.sql"),
    ),
    (
        2,
        "directory version",
        include_str!("../../../migrations/postgres/0002_directory_version.sql"),
    ),
    (
        3,
        "calls",
        include_str!("../../../migrations/postgres/0003_calls.sql"),
    ),
    (
        4,
        "portal",
        include_str!("../../../migrations/postgres/0004_portal.sql"),
    ),
    (
        5,
        "trunks",
        include_str!("../../../migrations/postgres/0005_trunks.sql"),
    ),
    (
        6,
        "trunk status",
        include_str!("../../../migrations/postgres/0006_trunk_status.sql"),
    ),
];

fn migrator(entries: &[Entry]) -> Migrator {
    Migrator::with_migrations(
        entries
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sqlx::SqlSafeStr::into_sql_str(sql),
                    false,
                )
            })
            .collect(),
    )
}

pub(crate) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

pub(crate) fn postgres() -> Migrator {
    migrator(POSTGRES)
}
