//! The trunk form shared by the add form (`/admin/trunks`) and the edit page
//! (`/admin/trunks/{name}`): every field as typed, so a refused submit comes back as it was,
//! except the password, which is never put back into a page (on the edit page an empty
//! password keeps the stored one).

use pbx::trunk::{Cidr, SrtpPolicy, Trunk, TrunkRegistration, TrunkTransport};

use super::Fields;
use super::fields::items;

/// Asked of a provider when the admin does not say (an hour, as the CLI does).
const DEFAULT_EXPIRES: &str = "3600";

#[derive(Debug)]
pub(crate) struct TrunkForm {
    pub name: String,
    pub host: String,
    pub port: String,
    pub transport: String,
    /// Authenticate by registering (else by source address).
    pub register: bool,
    pub username: String,
    /// As posted; never rendered.
    password: String,
    pub expires: String,
    pub allow: String,
    pub codecs: String,
    pub srtp: String,
    pub channels: String,
    pub options_interval: String,
    pub caller_id: String,
    pub ca_file: String,
}

impl Default for TrunkForm {
    /// The add form's starting values (the CLI's defaults).
    fn default() -> TrunkForm {
        TrunkForm {
            name: String::new(),
            host: String::new(),
            port: String::new(),
            transport: "udp".into(),
            register: true,
            username: String::new(),
            password: String::new(),
            expires: DEFAULT_EXPIRES.into(),
            allow: String::new(),
            codecs: "PCMU,PCMA".into(),
            srtp: "off".into(),
            channels: String::new(),
            options_interval: "30".into(),
            caller_id: String::new(),
            ca_file: String::new(),
        }
    }
}

/// A refused form: the field it is about (the `name` of its input, "" when unknown) and the
/// message.
pub(crate) struct Refusal(pub &'static str, pub String);

impl TrunkForm {
    pub(crate) fn from_fields(f: &Fields) -> TrunkForm {
        TrunkForm {
            name: f.text("name"),
            host: f.text("host"),
            port: f.text("port"),
            transport: f.text("transport"),
            register: f.checked("register"),
            username: f.text("username"),
            password: f.text("password"),
            expires: f.text("expires"),
            allow: f.text("allow"),
            codecs: f.text("codecs"),
            srtp: f.text("srtp"),
            channels: f.text("channels"),
            options_interval: f.text("options_interval"),
            caller_id: f.text("caller_id"),
            ca_file: f.text("ca_file"),
        }
    }

    /// The form for a stored trunk (its password is not known to the portal).
    pub(crate) fn from_trunk(t: &Trunk) -> TrunkForm {
        let reg = t.registration.as_ref();
        TrunkForm {
            name: t.name.clone(),
            host: t.host.clone(),
            port: t.port.map(|p| p.to_string()).unwrap_or_default(),
            transport: t.transport.as_str().into(),
            register: reg.is_some(),
            username: reg.map(|r| r.username.clone()).unwrap_or_default(),
            password: String::new(),
            expires: reg.map_or_else(|| DEFAULT_EXPIRES.into(), |r| r.expires.to_string()),
            allow: t
                .allow
                .iter()
                .map(Cidr::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            codecs: t.codecs.join(","),
            srtp: t.srtp.as_str().into(),
            channels: t.channels.map(|c| c.to_string()).unwrap_or_default(),
            options_interval: t.options_interval.to_string(),
            caller_id: t.caller_id.clone().unwrap_or_default(),
            ca_file: t.ca_file.clone().unwrap_or_default(),
        }
    }

    /// The trunk the form describes. `creating`: a password is required when registering
    /// (on an edit, empty keeps the stored one).
    pub(crate) fn to_trunk(&self, creating: bool) -> Result<Trunk, Refusal> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Refusal(
                "name",
                "Enter a name for the trunk, for example acme.".into(),
            ));
        }
        let host = self.host.trim();
        if host.is_empty() {
            return Err(Refusal(
                "host",
                "Enter the provider's host name or IP address.".into(),
            ));
        }
        let port = match self.port.trim() {
            "" => None,
            p => Some(p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                Refusal(
                    "port",
                    "Port is a number from 1 to 65535, or empty for the transport's default."
                        .into(),
                )
            })?),
        };
        let transport = self
            .transport
            .parse::<TrunkTransport>()
            .map_err(|_| Refusal("transport", "Choose UDP, TCP or TLS.".into()))?;
        let registration = if self.register {
            Some(self.registration(creating)?)
        } else {
            None
        };
        let allow = items(&self.allow)
            .map(|a| {
                a.parse::<Cidr>()
                    .map_err(|e| Refusal("allow", format!("Allowed sources: {e}.")))
            })
            .collect::<Result<Vec<Cidr>, Refusal>>()?;
        let codecs: Vec<String> = items(&self.codecs).map(str::to_owned).collect();
        let srtp = self
            .srtp
            .parse::<SrtpPolicy>()
            .map_err(|_| Refusal("srtp", "Choose an SRTP policy from the list.".into()))?;
        let channels = match self.channels.trim() {
            "" => None,
            c => Some(c.parse::<u32>().map_err(|_| {
                Refusal(
                    "channels",
                    "Channels is a whole number of calls, or empty for no limit.".into(),
                )
            })?),
        };
        let options_interval = match self.options_interval.trim() {
            "" => 0,
            s => s.parse::<u32>().map_err(|_| {
                Refusal(
                    "options_interval",
                    "The health check interval is a whole number of seconds (0: off).".into(),
                )
            })?,
        };
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Trunk {
            id: 0,
            name: name.to_owned(),
            host: host.to_owned(),
            port,
            transport,
            registration,
            allow,
            codecs,
            srtp,
            channels,
            options_interval,
            caller_id: optional(&self.caller_id),
            ca_file: optional(&self.ca_file),
        })
    }

    fn registration(&self, creating: bool) -> Result<TrunkRegistration, Refusal> {
        let username = self.username.trim();
        if username.is_empty() {
            return Err(Refusal(
                "username",
                "Enter the user name the provider gave you (or untick Register).".into(),
            ));
        }
        if creating && self.password.is_empty() {
            return Err(Refusal(
                "password",
                "Enter the password the provider gave you.".into(),
            ));
        }
        let expires = self.expires.trim().parse::<u32>().map_err(|_| {
            Refusal(
                "expires",
                "Registration interval is a whole number of seconds, for example 3600.".into(),
            )
        })?;
        Ok(TrunkRegistration {
            username: username.to_owned(),
            // Taken as typed: a password may begin or end with a space.
            password: self.password.clone(),
            expires,
        })
    }
}

/// Which field a backend message is about: the store's messages name the field first
/// ("invalid trunk: host …").
pub(crate) fn field_of(message: &str) -> &'static str {
    const FIELDS: [(&str, &str); 12] = [
        ("name", "name"),
        ("host", "host"),
        ("port", "port"),
        ("username", "username"),
        ("password", "password"),
        ("expires", "expires"),
        ("codec", "codecs"),
        ("channels", "channels"),
        ("options_interval", "options_interval"),
        ("caller_id", "caller_id"),
        ("ca_file", "ca_file"),
        ("trunk ", "name"),
    ];
    let text = message.strip_prefix("invalid trunk: ").unwrap_or(message);
    FIELDS
        .into_iter()
        .find(|(prefix, _)| text.starts_with(prefix))
        .map_or("", |(_, field)| field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_trunk_comes_back_as_the_same_trunk_without_its_password() {
        let mut form = TrunkForm {
            name: "acme".into(),
            host: "sip.acme.example".into(),
            port: "5080".into(),
            username: "acct".into(),
            password: "s3cret pw".into(),
            allow: "192.0.2.0/24, 198.51.100.7".into(),
            channels: "4".into(),
            caller_id: "+15551230000".into(),
            ..TrunkForm::default()
        };
        let trunk = form.to_trunk(true).unwrap_or_else(|r| panic!("{}", r.1));
        assert_eq!(trunk.port, Some(5080));
        assert_eq!(trunk.allow.len(), 2);
        assert_eq!(trunk.codecs, ["PCMU", "PCMA"]);
        assert_eq!(
            trunk.registration.as_ref().map(|r| r.password.as_str()),
            Some("s3cret pw")
        );
        let back = TrunkForm::from_trunk(&trunk);
        assert!(back.password.is_empty());
        assert_eq!(back.allow, "192.0.2.0/24, 198.51.100.7/32");
        form.password.clear();
        assert!(
            form.to_trunk(true).is_err(),
            "a new trunk needs its password"
        );
        assert!(form.to_trunk(false).is_ok(), "an edit keeps the stored one");
    }

    #[test]
    fn backend_messages_point_at_their_field() {
        assert_eq!(field_of("invalid trunk: host \"a b\": give …"), "host");
        assert_eq!(field_of("invalid trunk: codec \"OPUS\": use …"), "codecs");
        assert_eq!(field_of("trunk acme already exists"), "name");
        assert_eq!(field_of("database is on fire"), "");
    }
}
