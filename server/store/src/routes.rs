//! Outbound routes in SQL: `outbound_routes` holds the pattern and the digit manipulation,
//! `outbound_route_trunks` the trunks in the order they are tried (so the database refuses
//! a route to a trunk that does not exist, and the removal of a trunk a route uses).
//! Ordered like the dial plan: (position, id), new routes last unless placed.

use pbx::trunk::OutboundRoute;

use crate::backend::{Backend, only, with_pool};
use crate::dialplan::POSITION_STEP;
use crate::error::StoreError;
use crate::extensions::unix_now;
use crate::trunk_checks::{check_route, check_route_fields};

const INSERT: &str = "INSERT INTO outbound_routes (position, pattern, strip, prepend, \
     created_at) VALUES (COALESCE($1, (SELECT COALESCE(MAX(position), 0) + $2 \
     FROM outbound_routes)), $3, $4, $5, $6) RETURNING id";

const INSERT_TRUNK: &str =
    "INSERT INTO outbound_route_trunks (route_id, position, trunk) VALUES ($1, $2, $3)";

/// One row per (route, trunk), routes in order and each route's trunks in order; a route
/// without trunks (edited by hand) comes as one row with `trunk` NULL.
const ALL: &str = "SELECT r.id, r.position, r.pattern, r.strip, r.prepend, t.trunk \
     FROM outbound_routes r LEFT JOIN outbound_route_trunks t ON t.route_id = r.id \
     ORDER BY r.position, r.id, t.position";

/// `ALL` for one route.
const ONE: &str = "SELECT r.id, r.position, r.pattern, r.strip, r.prepend, t.trunk \
     FROM outbound_routes r LEFT JOIN outbound_route_trunks t ON t.route_id = r.id \
     WHERE r.id = $1 ORDER BY t.position";

/// Only the fields given change, in the statement that also locks the row (no
/// read-modify-write that a concurrent edit could race).
const UPDATE: &str = "UPDATE outbound_routes SET pattern = COALESCE($1, pattern), \
     strip = COALESCE($2, strip), prepend = COALESCE($3, prepend), \
     position = COALESCE($4, position) WHERE id = $5";

type Row = (i64, i64, String, i64, String, Option<String>);

/// A change to some of a route's settings (`route set`, the portal's edit page): `None`
/// leaves a field as it is. Each given field is checked as `add_route` checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteUpdate {
    pub pattern: Option<String>,
    /// The whole list, in the new order.
    pub trunks: Option<Vec<String>>,
    pub strip: Option<u32>,
    pub prepend: Option<String>,
    /// Where it goes in the order (routes are tried by position, then id).
    pub position: Option<i64>,
}

impl RouteUpdate {
    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == RouteUpdate::default()
    }
}

/// Inserts the route's trunks in the order given, inside the transaction `$tx`. A trunk that
/// does not exist returns `NoSuchTrunk` from the enclosing function: dropping the
/// transaction rolls back everything it did.
macro_rules! insert_trunks {
    ($tx:expr, $id:expr, $trunks:expr) => {
        for (order, trunk) in (1_i64..).zip($trunks) {
            let inserted = sqlx::query(INSERT_TRUNK)
                .bind($id)
                .bind(order)
                .bind(trunk)
                .execute(&mut *$tx)
                .await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                    return Err(StoreError::NoSuchTrunk(trunk.clone()));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
}

impl Backend {
    /// Adds a route after the last one (position = highest + `POSITION_STEP`) unless
    /// `position` says where; returns its id. `InvalidRoute` for a bad pattern, trunk list
    /// or digits, `NoSuchTrunk` (nothing added) for a trunk that does not exist.
    pub async fn add_route(
        &self,
        pattern: &str,
        trunks: &[String],
        strip: u32,
        prepend: &str,
        position: Option<i64>,
    ) -> Result<i64, StoreError> {
        check_route(pattern, trunks, strip, prepend)?;
        let created_at = unix_now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let (id,): (i64,) = sqlx::query_as(INSERT)
                .bind(position)
                .bind(POSITION_STEP)
                .bind(pattern)
                .bind(i64::from(strip))
                .bind(prepend)
                .bind(created_at)
                .fetch_all(&mut *tx)
                .await.and_then(only)?;
            insert_trunks!(tx, id, trunks);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Changes the fields `change` gives of route `id` and returns the route as it is now;
    /// None (nothing changed) when there is no such route. Errors as `add_route`, with
    /// nothing changed.
    pub async fn update_route(
        &self,
        id: i64,
        change: &RouteUpdate,
    ) -> Result<Option<OutboundRoute>, StoreError> {
        check_route_fields(
            change.pattern.as_deref(),
            change.trunks.as_deref(),
            change.strip,
            change.prepend.as_deref(),
        )?;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(UPDATE)
                .bind(change.pattern.as_deref())
                .bind(change.strip.map(i64::from))
                .bind(change.prepend.as_deref())
                .bind(change.position)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if updated == 0 {
                return Ok(None);
            }
            if let Some(trunks) = &change.trunks {
                sqlx::query("DELETE FROM outbound_route_trunks WHERE route_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                insert_trunks!(tx, id, trunks);
            }
            let rows: Vec<Row> = sqlx::query_as(ONE).bind(id).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(routes(rows).pop())
        })
    }

    /// Every route in the order they are tried. A route without trunks (edited by hand) is
    /// skipped with a warning: it could only fail calls.
    pub async fn list_routes(&self) -> Result<Vec<OutboundRoute>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(ALL).fetch_all(pool).await?
        });
        Ok(routes(rows))
    }

    /// Removes a route (its trunk list goes with it). False when there was none with that id.
    pub async fn remove_route(&self, id: i64) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query("DELETE FROM outbound_routes WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }
}

/// Folds the joined rows (consecutive per route) into routes.
fn routes(rows: Vec<Row>) -> Vec<OutboundRoute> {
    let mut out: Vec<OutboundRoute> = Vec::new();
    for (id, position, pattern, strip, prepend, trunk) in rows {
        let Some(trunk) = trunk else {
            tracing::warn!("skipping outbound route {id}: it has no trunks");
            continue;
        };
        match out.last_mut() {
            Some(route) if route.id == id => route.trunks.push(trunk),
            _ => out.push(OutboundRoute {
                id,
                pattern,
                trunks: vec![trunk],
                // The CHECK keeps it non-negative; a huge value strips everything.
                strip: u32::try_from(strip.max(0)).unwrap_or(u32::MAX),
                prepend,
                position,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_rows_fold_into_routes() {
        let row = |id, trunk: Option<&str>| {
            (
                id,
                id * 10,
                "_X.".to_owned(),
                1,
                "+".to_owned(),
                trunk.map(str::to_owned),
            )
        };
        let got = routes(vec![
            row(2, Some("b")),
            row(2, Some("a")),
            row(3, None),
            row(1, Some("a")),
        ]);
        let summary: Vec<(i64, Vec<String>)> =
            got.iter().map(|r| (r.id, r.trunks.clone())).collect();
        assert_eq!(
            summary,
            [(2, vec!["b".into(), "a".into()]), (1, vec!["a".into()])]
        );
        assert_eq!((got[0].strip, got[0].prepend.as_str()), (1, "+"));
    }
}
