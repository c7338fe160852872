//! `/api/dialplan…` (admins): the rules in the order they are tried; add one, delete one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx::CallClass;
use pbx::dialplan::{Rule, RuleAction};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::NewRule;
use crate::error::AppError;

/// The action's name and target as the API shows them.
pub(crate) fn action_parts(action: &RuleAction) -> (&'static str, Option<String>) {
    match action {
        RuleAction::Extension(n) => ("extension", Some(n.clone())),
        RuleAction::Route(r) => ("route", Some(r.clone())),
        RuleAction::Reject(code) => ("reject", Some(code.to_string())),
        RuleAction::Busy => ("busy", None),
    }
}

/// Builds an action from its name and target as typed (forms and the API alike).
pub(crate) fn parse_action(action: &str, target: Option<&str>) -> Result<RuleAction, AppError> {
    let target = target.map(str::trim).filter(|t| !t.is_empty());
    let needs = |what: &str| AppError::invalid(format!("target: give {what}"));
    match action.trim() {
        "extension" => Ok(RuleAction::Extension(
            target
                .ok_or_else(|| needs("the extension to ring"))?
                .to_owned(),
        )),
        "route" => Ok(RuleAction::Route(
            target
                .ok_or_else(|| needs("the outbound route's name"))?
                .to_owned(),
        )),
        "reject" => {
            let code = target
                .ok_or_else(|| needs("a SIP status from 400 to 699"))?
                .parse::<u16>()
                .ok()
                .filter(|c| (400..=699).contains(c))
                .ok_or_else(|| needs("a SIP status from 400 to 699"))?;
            Ok(RuleAction::Reject(code))
        }
        "busy" if target.is_none() => Ok(RuleAction::Busy),
        "busy" => Err(AppError::invalid("target: a busy rule takes no target")),
        other => Err(AppError::invalid(format!(
            "action: {other:?} is not one of extension, route, reject, busy"
        ))),
    }
}

fn rule_json(r: &Rule) -> Value {
    let (action, target) = action_parts(&r.action);
    json!({
        "id": r.id,
        "position": r.position,
        "pattern": r.pattern,
        "action": action,
        "target": target,
        "class": r.class.map(CallClass::as_str),
    })
}

pub(crate) async fn list(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Value>>, AppError> {
    let rules = state.backend.dialplan_rules().await?;
    Ok(Json(rules.iter().map(rule_json).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddBody {
    pattern: String,
    action: String,
    /// A string, or a number for `reject`.
    #[serde(default)]
    target: Option<Value>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    position: Option<i64>,
}

pub(crate) async fn add(
    State(state): State<AppState>,
    _: Admin,
    ApiJson(body): ApiJson<AddBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let target = match body.target {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(AppError::invalid("target: must be a string")),
    };
    let action = parse_action(&body.action, target.as_deref())?;
    let class = body
        .class
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::parse::<CallClass>)
        .transpose()
        .map_err(|e| AppError::invalid(format!("class: {e}")))?;
    if body.position.is_some_and(|p| p < 0) {
        return Err(AppError::invalid("position: must be 0 or more"));
    }
    let id = state
        .backend
        .add_dialplan_rule(NewRule {
            pattern: body.pattern.trim().to_owned(),
            action,
            class,
            position: body.position,
        })
        .await?;
    let rules = state.backend.dialplan_rules().await?;
    let added = rules
        .iter()
        .find(|r| r.id == id)
        .map_or_else(|| json!({ "id": id }), rule_json);
    Ok((StatusCode::CREATED, Json(added)))
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    _: Admin,
    path: ApiPath,
) -> Result<StatusCode, AppError> {
    if state.backend.delete_dialplan_rule(path.id()?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("No such rule."))
    }
}
