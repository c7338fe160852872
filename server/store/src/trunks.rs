//! The trunks table in SQL: the CLI's and portal's add, list, get, update and remove, and
//! what the directory cache loads. Checks are in `trunk_checks`; the database refuses to
//! remove a trunk that DIDs or routes use (foreign keys), and this names them.
//!
//! Stored as: registration in `username`/`password`/`expires` (all NULL for none), `allow`
//! and `codecs` as comma-separated text, transport and SRTP policy by their names.

use pbx::trunk::{Cidr, SrtpPolicy, Trunk, TrunkRegistration, TrunkTransport};

use crate::backend::{Backend, first, only, with_pool};
use crate::cache::directory::Trunking;
use crate::error::StoreError;
use crate::extensions::unix_now;
use crate::trunk_checks::{check_trunk, codecs_text};

macro_rules! columns {
    () => {
        "id, name, host, port, transport, username, password, expires, allow, codecs, srtp, \
         channels, options_interval, caller_id, ca_file"
    };
}

type Row = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
    String,
    String,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
);

const INSERT: &str = "INSERT INTO trunks (name, host, port, transport, username, password, \
     expires, allow, codecs, srtp, channels, options_interval, caller_id, ca_file, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id";

/// Every field but the name (the key) and the creation time.
const UPDATE: &str = "UPDATE trunks SET host = $2, port = $3, transport = $4, username = $5, \
     password = $6, expires = $7, allow = $8, codecs = $9, srtp = $10, channels = $11, \
     options_interval = $12, caller_id = $13, ca_file = $14 WHERE name = $1";

const ALL: &str = concat!("SELECT ", columns!(), " FROM trunks ORDER BY name");
const BY_NAME: &str = concat!("SELECT ", columns!(), " FROM trunks WHERE name = $1");

/// The columns of a trunk as bound: `$2`..`$14` of INSERT and UPDATE, in order.
struct Stored<'a> {
    port: Option<i64>,
    username: Option<&'a str>,
    password: Option<&'a str>,
    expires: Option<i64>,
    allow: String,
    codecs: String,
    channels: Option<i64>,
}

impl<'a> Stored<'a> {
    fn of(t: &'a Trunk) -> Result<Stored<'a>, StoreError> {
        check_trunk(t)?;
        let reg = t.registration.as_ref();
        Ok(Stored {
            port: t.port.map(i64::from),
            username: reg.map(|r| r.username.as_str()),
            password: reg.map(|r| r.password.as_str()),
            expires: reg.map(|r| i64::from(r.expires)),
            allow: t
                .allow
                .iter()
                .map(Cidr::to_string)
                .collect::<Vec<_>>()
                .join(","),
            codecs: codecs_text(&t.codecs)?,
            channels: t.channels.map(i64::from),
        })
    }
}

/// Binds `$1` (the name) to `$14` of INSERT and UPDATE; a macro because the query type
/// differs per database.
macro_rules! bind_trunk {
    ($query:expr, $t:expr, $s:expr) => {
        $query
            .bind(&$t.name)
            .bind(&$t.host)
            .bind($s.port)
            .bind($t.transport.as_str())
            .bind($s.username)
            .bind($s.password)
            .bind($s.expires)
            .bind(&$s.allow)
            .bind(&$s.codecs)
            .bind($t.srtp.as_str())
            .bind($s.channels)
            .bind(i64::from($t.options_interval))
            .bind($t.caller_id.as_deref())
            .bind($t.ca_file.as_deref())
    };
}

impl Backend {
    /// Adds a trunk (its `id` is ignored) and returns the id given to it.
    pub async fn add_trunk(&self, t: &Trunk) -> Result<i64, StoreError> {
        let s = Stored::of(t)?;
        let created_at = unix_now();
        let result: Result<(i64,), sqlx::Error> = with_pool!(self, pool => {
            bind_trunk!(sqlx::query_as(INSERT), t, s)
                .bind(created_at)
                .fetch_all(pool)
                .await.and_then(only)
        });
        match result {
            Ok((id,)) => Ok(id),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::DuplicateTrunk(t.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces every setting of the trunk named `t.name` (`id` is ignored). False when there
    /// is no such trunk.
    pub async fn update_trunk(&self, t: &Trunk) -> Result<bool, StoreError> {
        let s = Stored::of(t)?;
        let done = with_pool!(self, pool => {
            bind_trunk!(sqlx::query(UPDATE), t, s)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Every trunk, by name. A row that does not read back (edited by hand) is skipped with
    /// a warning rather than stopping every other trunk.
    pub async fn list_trunks(&self) -> Result<Vec<Trunk>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(ALL).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                trunk(row)
                    .inspect_err(|e| tracing::warn!("skipping a trunk: {e}"))
                    .ok()
            })
            .collect())
    }

    pub async fn get_trunk(&self, name: &str) -> Result<Option<Trunk>, StoreError> {
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(BY_NAME).bind(name).fetch_all(pool).await.map(first)?
        });
        row.map(trunk).transpose()
    }

    /// Removes a trunk. False when there was none; `TrunkInUse` (nothing removed) while DIDs
    /// or routes use it.
    pub async fn remove_trunk(&self, name: &str) -> Result<bool, StoreError> {
        let result = with_pool!(self, pool => {
            sqlx::query("DELETE FROM trunks WHERE name = $1")
                .bind(name)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        });
        match result {
            Ok(done) => Ok(done > 0),
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                let (dids, routes) = self.trunk_users(name).await?;
                Err(StoreError::TrunkInUse {
                    trunk: name.to_owned(),
                    dids,
                    routes,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The DIDs (numbers) and routes (ids) that use the trunk.
    async fn trunk_users(&self, name: &str) -> Result<(Vec<String>, Vec<i64>), StoreError> {
        let (dids, routes): (Vec<(String,)>, Vec<(i64,)>) = with_pool!(self, pool => {
            let dids = sqlx::query_as("SELECT number FROM dids WHERE trunk = $1 ORDER BY number")
                .bind(name)
                .fetch_all(pool)
                .await?;
            let routes = sqlx::query_as(
                "SELECT DISTINCT route_id FROM outbound_route_trunks WHERE trunk = $1 \
                 ORDER BY route_id",
            )
            .bind(name)
            .fetch_all(pool)
            .await?;
            (dids, routes)
        });
        Ok((
            dids.into_iter().map(|(n,)| n).collect(),
            routes.into_iter().map(|(id,)| id).collect(),
        ))
    }

    /// Trunks, DIDs and routes for the directory cache. Read one after the other, not in one
    /// snapshot: a change in between moves the change counter, so the copy is reloaded
    /// within a second, and readers skip a route's trunk they do not find meanwhile.
    pub async fn load_trunking(&self) -> Result<Trunking, StoreError> {
        Ok(Trunking::new(
            self.list_trunks().await?,
            self.list_dids().await?,
            self.list_routes().await?,
        ))
    }
}

fn trunk(row: Row) -> Result<Trunk, StoreError> {
    let (
        id,
        name,
        host,
        port,
        transport,
        username,
        password,
        expires,
        allow,
        codecs,
        srtp,
        channels,
        options_interval,
        caller_id,
        ca_file,
    ) = row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("trunk {name}: {what}"));
    let registration = match (username, password, expires) {
        (Some(username), Some(password), Some(expires)) => Some(TrunkRegistration {
            username,
            password,
            expires: u32::try_from(expires).map_err(|_| corrupt("expires"))?,
        }),
        (None, None, None) => None,
        _ => return Err(corrupt("username, password and expires go together")),
    };
    let allow = list(&allow)
        .map(|c| c.parse::<Cidr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt(&format!("allow: {e}")))?;
    Ok(Trunk {
        port: port
            .map(u16::try_from)
            .transpose()
            .map_err(|_| corrupt("port"))?,
        transport: transport
            .parse::<TrunkTransport>()
            .map_err(|e| corrupt(&e))?,
        registration,
        allow,
        codecs: list(&codecs).map(str::to_owned).collect(),
        srtp: srtp.parse::<SrtpPolicy>().map_err(|e| corrupt(&e))?,
        channels: channels
            .map(u32::try_from)
            .transpose()
            .map_err(|_| corrupt("channels"))?,
        options_interval: u32::try_from(options_interval)
            .map_err(|_| corrupt("options_interval"))?,
        id,
        name,
        host,
        caller_id,
        ca_file,
    })
}

/// The items of a stored comma-separated list ('' is none).
pub(crate) fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        (
            7,
            "acme".into(),
            "sip.acme.example".into(),
            Some(5080),
            "tcp".into(),
            Some("u".into()),
            Some("p".into()),
            Some(600),
            "192.0.2.0/24, 198.51.100.7/32".into(),
            "PCMU,G722".into(),
            "offer".into(),
            Some(4),
            30,
            Some("+15551230000".into()),
            None,
        )
    }

    #[test]
    fn rows_read_back() {
        let t = match trunk(row()) {
            Ok(t) => t,
            Err(e) => panic!("a good row: {e}"),
        };
        assert_eq!(
            (t.id, t.port, t.transport),
            (7, Some(5080), TrunkTransport::Tcp)
        );
        assert_eq!(t.registration.map(|r| r.expires), Some(600));
        assert_eq!(t.allow.len(), 2);
        assert_eq!(t.codecs, ["PCMU", "G722"]);
        assert_eq!((t.srtp, t.channels), (SrtpPolicy::Offer, Some(4)));
    }

    #[test]
    fn hand_edited_rows_are_corrupt() {
        let mut r = row();
        r.6 = None;
        assert!(matches!(trunk(r), Err(StoreError::Corrupt(_))));
        let mut r = row();
        r.3 = Some(70_000);
        assert!(matches!(trunk(r), Err(StoreError::Corrupt(_))));
        let mut r = row();
        r.8 = "not-an-address".into();
        assert!(matches!(trunk(r), Err(StoreError::Corrupt(_))));
        let mut r = row();
        r.10 = "always".into();
        assert!(matches!(trunk(r), Err(StoreError::Corrupt(_))));
    }
}
