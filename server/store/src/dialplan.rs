//! The dial plan rules in SQL. The server reads them through the directory cache (one copy,
//! one change counter); the CLI adds, lists and removes them here.
//!
//! A rule's action is stored as `action` plus `target`: ('extension', number),
//! ('route', name), ('reject', status) or ('busy', NULL).

use pbx::CallClass;
use pbx::dialplan::{Pattern, Rule, RuleAction};

use crate::backend::{Backend, only, with_pool};
use crate::error::StoreError;
use crate::extensions::{unix_now, valid_number};

/// Gap left between rules added without a position, so one can go in between later.
pub const POSITION_STEP: i64 = 10;

type Row = (i64, i64, String, String, Option<String>, Option<String>);

const INSERT: &str = "INSERT INTO dialplan_rules (position, pattern, action, target, class, \
     created_at) VALUES (COALESCE($1, (SELECT COALESCE(MAX(position), 0) + $2 \
     FROM dialplan_rules)), $3, $4, $5, $6, $7) RETURNING id";

impl Backend {
    /// Adds a rule after the last one (position = highest + `POSITION_STEP`) unless
    /// `position` says where; returns its id. The pattern and the action are checked first.
    pub async fn add_rule(
        &self,
        pattern: &str,
        action: &RuleAction,
        class: Option<CallClass>,
        position: Option<i64>,
    ) -> Result<i64, StoreError> {
        check_pattern(pattern)?;
        let (action, target) = stored_action(action)?;
        let created_at = unix_now();
        let (id,): (i64,) = with_pool!(self, pool => {
            sqlx::query_as(INSERT)
                .bind(position)
                .bind(POSITION_STEP)
                .bind(pattern)
                .bind(action)
                .bind(target)
                .bind(class.map(CallClass::as_str))
                .bind(created_at)
                .fetch_all(pool)
                .await.and_then(only)?
        });
        Ok(id)
    }

    /// Every rule in the order they are tried: (position, id). A row that does not read
    /// back (edited by hand) is skipped with a warning rather than stopping all routing.
    pub async fn list_rules(&self) -> Result<Vec<Rule>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, position, pattern, action, target, class FROM dialplan_rules \
                 ORDER BY position, id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                rule(row)
                    .inspect_err(|e| tracing::warn!("skipping a dial plan rule: {e}"))
                    .ok()
            })
            .collect())
    }

    /// Removes one rule. False when there was none with that id.
    pub async fn remove_rule(&self, id: i64) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query("DELETE FROM dialplan_rules WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }
}

/// The dial plan's own parser decides what a pattern is, so what the CLI accepts is exactly
/// what routing can use.
fn check_pattern(pattern: &str) -> Result<(), StoreError> {
    Pattern::parse(pattern)
        .map(|_| ())
        .map_err(|e| StoreError::InvalidRule(format!("pattern {pattern:?}: {e}")))
}

fn stored_action(action: &RuleAction) -> Result<(&'static str, Option<String>), StoreError> {
    let invalid = |m: String| Err(StoreError::InvalidRule(m));
    match action {
        RuleAction::Extension(number) if !valid_number(number) => invalid(format!(
            "extension {number:?}: use 1-32 letters, digits, '.', '_' or '-'"
        )),
        RuleAction::Extension(number) => Ok(("extension", Some(number.clone()))),
        RuleAction::Route(name) if !valid_route(name) => invalid(format!(
            "route {name:?}: use 1-64 letters, digits, '.', '_' or '-'"
        )),
        RuleAction::Route(name) => Ok(("route", Some(name.clone()))),
        RuleAction::Reject(status) if !(400..=699).contains(status) => invalid(format!(
            "reject status {status}: use a SIP failure status, 400 to 699"
        )),
        RuleAction::Reject(status) => Ok(("reject", Some(status.to_string()))),
        RuleAction::Busy => Ok(("busy", None)),
    }
}

fn valid_route(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn rule((id, position, pattern, action, target, class): Row) -> Result<Rule, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("dial plan rule {id}: {what}"));
    let action = match (action.as_str(), target) {
        ("extension", Some(number)) => RuleAction::Extension(number),
        ("route", Some(name)) => RuleAction::Route(name),
        ("reject", Some(status)) => RuleAction::Reject(
            status
                .parse()
                .ok()
                .filter(|s| (400..=699).contains(s))
                .ok_or_else(|| corrupt("reject status"))?,
        ),
        ("busy", _) => RuleAction::Busy,
        _ => return Err(corrupt("action/target")),
    };
    let class = class
        .map(|c| c.parse::<CallClass>())
        .transpose()
        .map_err(|_| corrupt("class"))?;
    Ok(Rule {
        id,
        position,
        pattern,
        action,
        class,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_checked_and_read_back() {
        for action in [
            RuleAction::Extension("1001".into()),
            RuleAction::Route("trunk-1".into()),
            RuleAction::Reject(403),
            RuleAction::Busy,
        ] {
            let (kind, target) = stored_action(&action).unwrap_or(("?", None));
            let row = (
                1,
                10,
                "_X.".into(),
                kind.into(),
                target,
                Some("local".into()),
            );
            assert_eq!(rule(row).ok().map(|r| r.action), Some(action));
        }
        for bad in [
            RuleAction::Extension("10 01".into()),
            RuleAction::Route(String::new()),
            RuleAction::Reject(200),
            RuleAction::Reject(700),
        ] {
            assert!(stored_action(&bad).is_err(), "{bad:?}");
        }
        let unknown = (1, 10, "1".into(), "ring".into(), None, None);
        assert!(matches!(rule(unknown), Err(StoreError::Corrupt(_))));
        let bad_class = (
            1,
            10,
            "1".into(),
            "busy".into(),
            None,
            Some("premium".into()),
        );
        assert!(matches!(rule(bad_class), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn patterns_go_through_the_dial_plan_parser() {
        assert!(check_pattern("_1NXXNXXXXXX").is_ok());
        assert!(check_pattern("1001").is_ok());
        assert!(check_pattern("_1[5-").is_err());
        assert!(check_pattern("").is_err());
    }
}
