//! The bindings table in SQL: read once at start, then written behind the in-memory copy
//! (`cache::locations`, `write_behind`).

use std::net::SocketAddr;

use pbx::{Binding, Flow, Transport};

use crate::backend::{Backend, with_pool};
use crate::error::StoreError;
use crate::write_behind::Write;

const SELECT_ALL: &str = "SELECT aor, contact, instance, reg_id, q, call_id, cseq, expires_at, \
     transport, remote_addr, local_addr, connection_id, user_agent FROM bindings";

type Row = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
    i64,
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
);

const UPSERT: &str = "INSERT INTO bindings (aor, contact, instance, reg_id, q, call_id, cseq, \
     expires_at, transport, remote_addr, local_addr, connection_id, user_agent) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
     ON CONFLICT (aor, contact) DO UPDATE SET instance = excluded.instance, \
     reg_id = excluded.reg_id, q = excluded.q, call_id = excluded.call_id, \
     cseq = excluded.cseq, expires_at = excluded.expires_at, transport = excluded.transport, \
     remote_addr = excluded.remote_addr, local_addr = excluded.local_addr, \
     connection_id = excluded.connection_id, user_agent = excluded.user_agent";

const PURGE: &str = "DELETE FROM bindings WHERE expires_at <= $1";

impl Backend {
    /// Every stored binding, expired or not (the cache hides and purges those). A row that
    /// does not read back is skipped with a warning: one bad row must not keep the server
    /// from starting (the phone re-registers).
    pub async fn load_bindings(&self) -> Result<Vec<Binding>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(SELECT_ALL).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                binding(row)
                    .inspect_err(|e| tracing::warn!("skipping a stored binding: {e}"))
                    .ok()
            })
            .collect())
    }

    /// In one transaction: deletes rows expired at or before `purge_first`, applies the
    /// writes, deletes rows expired at or before `purge_last`.
    pub async fn write_bindings(
        &self,
        purge_first: Option<u64>,
        writes: &[Write],
        purge_last: Option<u64>,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(now) = purge_first {
                sqlx::query(PURGE).bind(to_i64(now)).execute(&mut *tx).await?;
            }
            for write in writes {
                match write {
                    Write::Remove { aor, contact } => {
                        sqlx::query("DELETE FROM bindings WHERE aor = $1 AND contact = $2")
                            .bind(aor)
                            .bind(contact)
                            .execute(&mut *tx)
                            .await?;
                    }
                    Write::Upsert(b) => {
                        sqlx::query(UPSERT)
                            .bind(&b.aor)
                            .bind(&b.contact)
                            .bind(b.instance.as_deref())
                            .bind(b.reg_id.map(i64::from))
                            .bind(b.q.as_deref())
                            .bind(&b.call_id)
                            .bind(i64::from(b.cseq))
                            .bind(to_i64(b.expires_at))
                            .bind(b.flow.transport.as_str())
                            .bind(b.flow.remote.to_string())
                            .bind(b.flow.local.to_string())
                            .bind(b.flow.connection.map(|c| i64::from_ne_bytes(c.to_ne_bytes())))
                            .bind(b.user_agent.as_deref())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            if let Some(now) = purge_last {
                sqlx::query(PURGE).bind(to_i64(now)).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// Unix seconds and the like: past i64::MAX is "forever".
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn binding(row: Row) -> Result<Binding, StoreError> {
    let (
        aor,
        contact,
        instance,
        reg_id,
        q,
        call_id,
        cseq,
        expires_at,
        transport,
        remote,
        local,
        connection,
        user_agent,
    ) = row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("binding {aor} {contact}: {what}"));
    let flow = Flow {
        transport: Transport::parse(&transport).ok_or_else(|| corrupt("transport"))?,
        remote: remote
            .parse::<SocketAddr>()
            .map_err(|_| corrupt("remote_addr"))?,
        local: local
            .parse::<SocketAddr>()
            .map_err(|_| corrupt("local_addr"))?,
        connection: connection.map(|c| u64::from_ne_bytes(c.to_ne_bytes())),
    };
    Ok(Binding {
        reg_id: reg_id
            .map(u32::try_from)
            .transpose()
            .map_err(|_| corrupt("reg_id"))?,
        cseq: u32::try_from(cseq).map_err(|_| corrupt("cseq"))?,
        expires_at: u64::try_from(expires_at).unwrap_or(0),
        aor,
        contact,
        instance,
        q,
        call_id,
        flow,
        user_agent,
    })
}
