//! A trunk's live status as the trunk pages show it: a badge (class and words) for its
//! registration and one for its reachability.

use crate::backend::{TrunkInfo, TrunkRegistrationState, TrunkStatus};

/// One badge: its CSS modifier (`badge-ok`, …), its text and a longer explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Badge {
    pub class: &'static str,
    pub text: String,
    pub detail: String,
}

fn badge(class: &'static str, text: &str, detail: String) -> Badge {
    Badge {
        class,
        text: text.to_owned(),
        detail,
    }
}

/// A trunk with its status badges, for the list and the edit page.
pub(crate) struct TrunkRow {
    pub info: TrunkInfo,
    pub registration: Badge,
    pub reachable: Badge,
}

impl TrunkRow {
    pub(crate) fn new(info: TrunkInfo) -> TrunkRow {
        TrunkRow {
            registration: registration(&info),
            reachable: reachable(&info.status),
            info,
        }
    }

    /// "2 / 10" or "2 / ∞".
    pub(crate) fn calls(&self) -> String {
        match self.info.trunk.channels {
            Some(max) => format!("{} / {max}", self.info.status.calls),
            None => format!("{} / ∞", self.info.status.calls),
        }
    }

    /// "sip.example.com:5060 (UDP)".
    pub(crate) fn provider(&self) -> String {
        let t = &self.info.trunk;
        let port = t.port.unwrap_or_else(|| t.transport.default_port());
        let host = if t.host.contains(':') {
            format!("[{}]", t.host)
        } else {
            t.host.clone()
        };
        format!("{host}:{port} ({})", t.transport.as_str().to_uppercase())
    }
}

fn registration(info: &TrunkInfo) -> Badge {
    if info.trunk.registration.is_none() {
        return badge(
            "badge-muted",
            "IP auth",
            "Does not register: calls are accepted from its allowed addresses.".into(),
        );
    }
    match &info.status.registration {
        None => badge(
            "badge-muted",
            "Pending",
            "No registration attempt reported yet.".into(),
        ),
        Some(TrunkRegistrationState::Registered { expires_in }) => badge(
            "badge-ok",
            "Registered",
            format!("Registration held for {expires_in} s more."),
        ),
        Some(TrunkRegistrationState::Registering) => badge(
            "badge-warn",
            "Registering",
            "A REGISTER is under way.".into(),
        ),
        Some(TrunkRegistrationState::Failed { reason, retry_in }) => badge(
            "badge-danger",
            "Failed",
            format!("{reason}; next attempt in {retry_in} s."),
        ),
        Some(TrunkRegistrationState::Off) => badge("badge-muted", "Off", "Not registering.".into()),
    }
}

fn reachable(status: &TrunkStatus) -> Badge {
    match status.reachable {
        Some(true) => badge(
            "badge-ok",
            "Up",
            "Answers the OPTIONS health checks.".into(),
        ),
        Some(false) => badge(
            "badge-danger",
            "Down",
            "The OPTIONS health checks go unanswered: calls skip this trunk.".into(),
        ),
        None => badge(
            "badge-muted",
            "Unknown",
            "No health check verdict yet (or checks are off).".into(),
        ),
    }
}
