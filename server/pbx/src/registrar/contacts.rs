//! Reading the Contact header fields of a REGISTER into what the UA asks for
//! (RFC 3261 §10.3 steps 6-7, RFC 5626 §6 for `+sip.instance` / `reg-id`).

use sip::{Contact, HeaderName, Request, Uri};

use super::RegistrarConfig;
use super::expires::{self, Granted, TooBrief};
use super::reject::Reject;

/// One contact the UA wants bound (or unbound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub uri: Uri,
    /// `uri` printed: the storage key.
    pub text: String,
    /// `+sip.instance` without quotes.
    pub instance: Option<String>,
    /// `reg-id`, kept only with an instance (RFC 5626 §6).
    pub reg_id: Option<u32>,
    pub q: Option<String>,
    pub granted: Granted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContactSet {
    /// No Contact: list the bindings.
    Query,
    /// `Contact: *` with `Expires: 0`.
    RemoveAll,
    Update(Vec<Wanted>),
}

pub(crate) fn read(req: &Request, config: &RegistrarConfig) -> Result<ContactSet, Reject> {
    let contacts = req
        .contacts()
        .map_err(|_| Reject::bad_request("Malformed Contact"))?;
    // A malformed Expires header counts as absent (be liberal); only `*` needs it exact.
    let header_expires = req.expires().ok().flatten();
    if contacts.iter().any(|c| matches!(c, Contact::Star)) {
        // RFC 3261 §10.3 step 6: `*` must be alone and come with Expires: 0.
        return if contacts.len() == 1 && header_expires == Some(0) {
            Ok(ContactSet::RemoveAll)
        } else {
            Err(Reject::bad_request("Invalid Contact *"))
        };
    }
    if contacts.is_empty() {
        return Ok(ContactSet::Query);
    }
    let mut wanted = Vec::with_capacity(contacts.len());
    let mut too_brief = false;
    for contact in contacts {
        let Contact::Addr(addr) = contact else {
            continue;
        };
        if !matches!(addr.uri, Uri::Sip(_)) {
            // We could never route a call to a mailto: or tel: contact.
            return Err(Reject::bad_request("Contact must be a SIP or SIPS URI"));
        }
        let requested = expires::requested(
            addr.param("expires"),
            header_expires,
            config.default_expires,
        );
        let granted = match expires::grant(requested, config.min_expires, config.max_expires) {
            Ok(g) => g,
            Err(TooBrief) => {
                too_brief = true;
                continue;
            }
        };
        let instance = addr
            .param("+sip.instance")
            .filter(|i| !i.is_empty())
            .map(str::to_owned);
        let reg_id = match (&instance, addr.param("reg-id")) {
            (Some(_), Some(id)) => Some(
                id.trim()
                    .parse::<u32>()
                    .map_err(|_| Reject::bad_request("Malformed reg-id"))?,
            ),
            _ => None,
        };
        let q = addr.param("q").filter(|q| is_qvalue(q)).map(str::to_owned);
        wanted.push(Wanted {
            text: addr.uri.to_string(),
            uri: addr.uri,
            instance,
            reg_id,
            q,
            granted,
        });
    }
    if too_brief {
        return Err(Reject::new(423, "Interval Too Brief")
            .with(HeaderName::MinExpires, config.min_expires.to_string()));
    }
    Ok(ContactSet::Update(wanted))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`; anything else is dropped.
fn is_qvalue(q: &str) -> bool {
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    frac.len() <= 3
        && match int {
            "0" => frac.bytes().all(|b| b.is_ascii_digit()),
            "1" => frac.bytes().all(|b| b == b'0'),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::is_qvalue;

    #[test]
    fn qvalues() {
        for ok in ["0", "1", "0.5", "0.123", "1.000", "1.", "0."] {
            assert!(is_qvalue(ok), "{ok}");
        }
        for bad in ["", "2", "1.5", "0.1234", "-0", "0,5", "a"] {
            assert!(!is_qvalue(bad), "{bad}");
        }
    }
}
