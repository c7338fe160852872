//! Outbound routes in SQL: `outbound_routes` holds the pattern and the digit manipulation,
//! `outbound_route_trunks` the trunks in the order they are tried (so the database refuses
//! a route to a trunk that does not exist, and the removal of a trunk a route uses).
//! Ordered like the dial plan: (position, id), new routes last unless placed.

use pbx::trunk::OutboundRoute;

use crate::backend::{Backend, with_pool};
use crate::dialplan::POSITION_STEP;
use crate::error::StoreError;
use crate::extensions::unix_now;
use crate::trunk_checks::check_route;

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

type Row = (i64, i64, String, i64, String, Option<String>);

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
                .fetch_one(&mut *tx)
                .await?;
            for (order, trunk) in (1_i64..).zip(trunks) {
                let inserted = sqlx::query(INSERT_TRUNK)
                    .bind(id)
                    .bind(order)
                    .bind(trunk)
                    .execute(&mut *tx)
                    .await;
                match inserted {
                    Ok(_) => {}
                    // Dropping the transaction rolls the route back.
                    Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                        return Err(StoreError::NoSuchTrunk(trunk.clone()));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            tx.commit().await?;
            Ok(id)
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
