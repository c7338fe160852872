//! `/api/trunks…` (admins): SIP trunks with their live status. A trunk's password is accepted
//! on create and change, and never sent back. The numbers that come in on them are in
//! `dids.rs`, the routes that go out through them in `routes.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx::trunk::{Cidr, SrtpPolicy, Trunk, TrunkRegistration};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{ApiJson, ApiPath, present};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::{TrunkInfo, TrunkRegistrationState};
use crate::error::AppError;

fn trunk_json(info: &TrunkInfo) -> Value {
    let t = &info.trunk;
    let s = &info.status;
    let (registration, expires_in, retry_in, reason) = match &s.registration {
        None => (None, None, None, None),
        Some(TrunkRegistrationState::Registered { expires_in }) => {
            (Some("registered"), Some(*expires_in), None, None)
        }
        Some(TrunkRegistrationState::Registering) => (Some("registering"), None, None, None),
        Some(TrunkRegistrationState::Failed { reason, retry_in }) => {
            (Some("failed"), None, Some(*retry_in), Some(reason.clone()))
        }
        Some(TrunkRegistrationState::Off) => (Some("off"), None, None, None),
    };
    let reg = t.registration.as_ref();
    json!({
        "id": t.id,
        "name": t.name,
        "host": t.host,
        "port": t.port,
        "transport": t.transport.as_str(),
        "register": reg.is_some(),
        "username": reg.map(|r| r.username.clone()),
        "expires": reg.map(|r| r.expires),
        "allow": t.allow.iter().map(Cidr::to_string).collect::<Vec<_>>(),
        "codecs": t.codecs,
        "srtp": t.srtp.as_str(),
        "channels": t.channels,
        "options_interval": t.options_interval,
        "caller_id": t.caller_id,
        "ca_file": t.ca_file,
        "status": {
            "registration": registration,
            "registered_for": expires_in,
            "retry_in": retry_in,
            "registration_error": reason,
            "reachable": s.reachable,
            "last_error": s.last_error,
            "calls": s.calls,
        },
    })
}

fn no_trunk(name: &str) -> AppError {
    AppError::not_found(format!("No trunk {name}."))
}

async fn show_trunk(state: &AppState, name: &str) -> Result<Json<Value>, AppError> {
    let info = state
        .backend
        .trunk(name)
        .await?
        .ok_or_else(|| no_trunk(name))?;
    Ok(Json(trunk_json(&info)))
}

fn cidrs(list: &[String]) -> Result<Vec<Cidr>, AppError> {
    list.iter()
        .map(|a| {
            a.parse::<Cidr>()
                .map_err(|e| AppError::invalid(format!("allow: {e}")))
        })
        .collect()
}

fn srtp(text: &str) -> Result<SrtpPolicy, AppError> {
    text.parse()
        .map_err(|e| AppError::invalid(format!("srtp: {e}")))
}

pub(crate) async fn list_trunks(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Value>>, AppError> {
    let list = state.backend.trunks().await?;
    Ok(Json(list.iter().map(trunk_json).collect()))
}

pub(crate) async fn get_trunk(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(name): ApiPath,
) -> Result<Json<Value>, AppError> {
    show_trunk(&state, &name).await
}

/// A new trunk. It registers when `username` is given (then `password` too).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    name: String,
    host: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    transport: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    expires: Option<u32>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    codecs: Option<Vec<String>>,
    #[serde(default)]
    srtp: Option<String>,
    #[serde(default)]
    channels: Option<u32>,
    #[serde(default)]
    options_interval: Option<u32>,
    #[serde(default)]
    caller_id: Option<String>,
    #[serde(default)]
    ca_file: Option<String>,
}

pub(crate) async fn create_trunk(
    State(state): State<AppState>,
    _: Admin,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let transport = match body.transport.as_deref() {
        None => pbx::trunk::TrunkTransport::Udp,
        Some(t) => t
            .parse()
            .map_err(|e| AppError::invalid(format!("transport: {e}")))?,
    };
    let registration = match body.username {
        None if body.password.is_some() => {
            return Err(AppError::invalid(
                "username: give it with the password (or neither for IP authentication)",
            ));
        }
        None => None,
        Some(username) => Some(TrunkRegistration {
            username: username.trim().to_owned(),
            password: body
                .password
                .ok_or_else(|| AppError::invalid("password: required with username"))?,
            expires: body.expires.unwrap_or(3600),
        }),
    };
    let name = body.name.trim().to_owned();
    let trunk = Trunk {
        id: 0,
        name: name.clone(),
        host: body.host.trim().to_owned(),
        port: body.port,
        transport,
        registration,
        allow: cidrs(&body.allow)?,
        codecs: body
            .codecs
            .unwrap_or_else(|| vec!["PCMU".into(), "PCMA".into()]),
        srtp: body
            .srtp
            .as_deref()
            .map(srtp)
            .transpose()?
            .unwrap_or_default(),
        channels: body.channels,
        options_interval: body.options_interval.unwrap_or(30),
        caller_id: body.caller_id.filter(|c| !c.trim().is_empty()),
        ca_file: body.ca_file.filter(|c| !c.trim().is_empty()),
    };
    state.backend.add_trunk(trunk).await?;
    let shown = show_trunk(&state, &name).await?;
    Ok((StatusCode::CREATED, shown))
}

/// Changed fields; absent ones stay. `username: null` turns registration off (IP
/// authentication); an absent or empty `password` keeps the stored one. `port`, `channels`,
/// `caller_id` and `ca_file` take `null` to clear.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    #[serde(default)]
    host: Option<String>,
    #[serde(default, deserialize_with = "present")]
    port: Option<Option<u16>>,
    #[serde(default)]
    transport: Option<String>,
    #[serde(default, deserialize_with = "present")]
    username: Option<Option<String>>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    expires: Option<u32>,
    #[serde(default)]
    allow: Option<Vec<String>>,
    #[serde(default)]
    codecs: Option<Vec<String>>,
    #[serde(default)]
    srtp: Option<String>,
    #[serde(default, deserialize_with = "present")]
    channels: Option<Option<u32>>,
    #[serde(default)]
    options_interval: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    caller_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    ca_file: Option<Option<String>>,
}

pub(crate) async fn update_trunk(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(name): ApiPath,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, AppError> {
    let current = state
        .backend
        .trunk(&name)
        .await?
        .ok_or_else(|| no_trunk(&name))?;
    // The current settings come without the password: left empty, the backend keeps it.
    let mut t = current.trunk;
    if let Some(host) = body.host {
        t.host = host.trim().to_owned();
    }
    if let Some(port) = body.port {
        t.port = port;
    }
    if let Some(transport) = body.transport {
        t.transport = transport
            .parse()
            .map_err(|e| AppError::invalid(format!("transport: {e}")))?;
    }
    let expires = t.registration.as_ref().map_or(3600, |r| r.expires);
    match body.username {
        Some(None) => t.registration = None,
        Some(Some(username)) => {
            let reg = t.registration.get_or_insert(TrunkRegistration {
                username: String::new(),
                password: String::new(),
                expires,
            });
            reg.username = username.trim().to_owned();
        }
        None => {}
    }
    match t.registration.as_mut() {
        Some(reg) => {
            if let Some(password) = body.password {
                reg.password = password;
            }
            if let Some(expires) = body.expires {
                reg.expires = expires;
            }
        }
        None if body.password.is_some() || body.expires.is_some() => {
            return Err(AppError::invalid(
                "username: the trunk does not register; give a username to turn it on",
            ));
        }
        None => {}
    }
    if let Some(allow) = body.allow {
        t.allow = cidrs(&allow)?;
    }
    if let Some(codecs) = body.codecs {
        t.codecs = codecs;
    }
    if let Some(policy) = body.srtp {
        t.srtp = srtp(&policy)?;
    }
    if let Some(channels) = body.channels {
        t.channels = channels;
    }
    if let Some(interval) = body.options_interval {
        t.options_interval = interval;
    }
    if let Some(caller_id) = body.caller_id {
        t.caller_id = caller_id.filter(|c| !c.trim().is_empty());
    }
    if let Some(ca_file) = body.ca_file {
        t.ca_file = ca_file.filter(|c| !c.trim().is_empty());
    }
    state.backend.update_trunk(t).await?;
    show_trunk(&state, &name).await
}

pub(crate) async fn remove_trunk(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(name): ApiPath,
) -> Result<StatusCode, AppError> {
    if state.backend.remove_trunk(name.clone()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_trunk(&name))
    }
}
