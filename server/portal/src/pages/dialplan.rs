//! `/admin/dialplan`: the dial plan rules in the order they are tried; add one, delete one.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use pbx::CallClass;
use pbx::dialplan::{Rule, RuleAction};

use super::submit::{removed, submit};
use super::{Done, Fields, PageCtx, PageError};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::NewRule;

#[derive(Template, WebTemplate)]
#[template(path = "dialplan.html")]
pub(crate) struct DialplanPage {
    page: PageCtx,
    rules: Vec<Rule>,
    form: RuleForm,
    error: Option<String>,
    notice: Option<&'static str>,
    classes: [CallClass; 5],
}

impl DialplanPage {
    fn target(&self, rule: &Rule) -> String {
        match &rule.action {
            RuleAction::Extension(t) | RuleAction::Route(t) => t.clone(),
            RuleAction::Reject(status) => status.to_string(),
            RuleAction::Busy => String::new(),
        }
    }
}

/// The add form as typed (kept on a refused submit).
#[derive(Debug, Default)]
pub(crate) struct RuleForm {
    pattern: String,
    action: String,
    target: String,
    class: String,
    position: String,
}

impl RuleForm {
    fn from_fields(f: &Fields) -> RuleForm {
        RuleForm {
            pattern: f.text("pattern"),
            action: f.text("action"),
            target: f.text("target"),
            class: f.text("class"),
            position: f.text("position"),
        }
    }

    fn to_rule(&self) -> Result<NewRule, String> {
        let pattern = self.pattern.trim();
        if pattern.is_empty() {
            return Err(
                "Enter a pattern: a number, or a pattern starting with _ such as _1XXX.".into(),
            );
        }
        let target = self.target.trim();
        let needs_target = |what: &str| {
            if target.is_empty() {
                Err(format!("Enter the {what} this rule sends calls to."))
            } else {
                Ok(target.to_owned())
            }
        };
        let action = match self.action.as_str() {
            "extension" => RuleAction::Extension(needs_target("extension")?),
            "route" => RuleAction::Route(needs_target("route")?),
            "reject" => match target.parse::<u16>() {
                Ok(status) if (400..=699).contains(&status) => RuleAction::Reject(status),
                _ => {
                    return Err(
                        "For reject, the target is a SIP failure status from 400 to 699.".into(),
                    );
                }
            },
            "busy" => RuleAction::Busy,
            _ => return Err("Choose an action: extension, route, reject or busy.".into()),
        };
        let class = match self.class.as_str() {
            "" => None,
            c => Some(
                c.parse::<CallClass>()
                    .map_err(|_| "Choose a class of service from the list.".to_owned())?,
            ),
        };
        let position = match self.position.trim() {
            "" => None,
            p => Some(p.parse::<i64>().ok().filter(|p| *p >= 0).ok_or_else(|| {
                "Position is a whole number, 0 or more (empty: last).".to_owned()
            })?),
        };
        Ok(NewRule {
            pattern: pattern.to_owned(),
            action,
            class,
            position,
        })
    }
}

async fn render(
    state: &AppState,
    page: PageCtx,
    form: RuleForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<DialplanPage, PageError> {
    let rules = state
        .backend
        .dialplan_rules()
        .await
        .map_err(|e| page.fail(e))?;
    Ok(DialplanPage {
        page,
        rules,
        form,
        error,
        notice,
        classes: CallClass::ALL,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<DialplanPage, PageError> {
    let notice = done.message(&[
        ("added", "Rule added."),
        ("deleted", "Rule deleted."),
        ("gone", "That rule had already been deleted."),
    ]);
    let form = RuleForm {
        action: "extension".into(),
        ..RuleForm::default()
    };
    render(
        &state,
        PageCtx::new(&viewer, "dialplan"),
        form,
        None,
        notice,
    )
    .await
}

pub(crate) async fn add(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    fields: Fields,
) -> Result<Response, PageError> {
    let form = RuleForm::from_fields(&fields);
    submit(
        PageCtx::new(&viewer, "dialplan"),
        form.to_rule(),
        |rule| state.backend.add_dialplan_rule(rule),
        "/admin/dialplan?done=added",
        |page, error| render(&state, page, form, Some(error), None),
    )
    .await
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "dialplan");
    removed(
        &page,
        state.backend.delete_dialplan_rule(id).await,
        "/admin/dialplan",
    )
}
