//! The bindings table: the `Locations` port.

use std::net::SocketAddr;

use pbx::{Binding, BindingChanges, Flow, Locations, PortError, Transport};

use crate::backend::{Store, with_pool};
use crate::error::StoreError;

const COLUMNS: &str = "aor, contact, instance, reg_id, q, call_id, cseq, expires_at, \
                       transport, remote_addr, local_addr, connection_id, user_agent";

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

impl Store {
    pub async fn lookup_bindings(
        &self,
        aor: &str,
        now_unix: u64,
    ) -> Result<Vec<Binding>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM bindings WHERE aor = $1 AND expires_at > $2 ORDER BY contact"
        );
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(aor)
                .bind(to_i64(now_unix))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(binding).collect()
    }

    pub async fn all_bindings(&self, now_unix: u64) -> Result<Vec<Binding>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM bindings WHERE expires_at > $1 ORDER BY aor, contact");
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(to_i64(now_unix))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(binding).collect()
    }

    /// Commits all removals and upserts of one REGISTER in a single transaction.
    pub async fn apply_bindings(&self, changes: &BindingChanges) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for contact in &changes.remove {
                sqlx::query("DELETE FROM bindings WHERE aor = $1 AND contact = $2")
                    .bind(&changes.aor)
                    .bind(contact)
                    .execute(&mut *tx)
                    .await?;
            }
            for b in &changes.upsert {
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
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn purge_expired_bindings(&self, now_unix: u64) -> Result<u64, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query("DELETE FROM bindings WHERE expires_at <= $1")
                .bind(to_i64(now_unix))
                .execute(pool)
                .await?
                .rows_affected()
        }))
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

impl Locations for Store {
    async fn lookup(&self, aor: &str, now_unix: u64) -> Result<Vec<Binding>, PortError> {
        Ok(self.lookup_bindings(aor, now_unix).await?)
    }

    async fn apply(&self, changes: &BindingChanges) -> Result<(), PortError> {
        Ok(self.apply_bindings(changes).await?)
    }

    async fn purge_expired(&self, now_unix: u64) -> Result<u64, PortError> {
        Ok(self.purge_expired_bindings(now_unix).await?)
    }

    async fn all(&self, now_unix: u64) -> Result<Vec<Binding>, PortError> {
        Ok(self.all_bindings(now_unix).await?)
    }
}
