//! Matching messages to transactions (RFC 3261 §17.1.3 and §17.2.3).
//!
//! A request whose top Via branch starts with the magic cookie `z9hG4bK` is matched by
//! branch + sent-by + method, with ACK matching the INVITE it acknowledges. Older (RFC 2543)
//! peers get the fallback key: Request-URI, To tag, From tag, Call-ID, CSeq number and the
//! whole top Via. Responses match client transactions by branch + CSeq method.

use super::TransactionError;
use crate::{Method, Request, Response, Via};

/// The RFC 3261 magic cookie that marks a branch as globally unique.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// Which end of the transaction we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Client,
    Server,
}

/// What identifies a transaction. `method` is the request method, except that an ACK is keyed
/// as the INVITE it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    pub side: Side,
    pub method: Method,
    pub id: KeyId,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyId {
    /// RFC 3261: the branch; on the server side also the top Via sent-by (`host[:port]`,
    /// host lower-cased), since only the branch *with* the sent-by is unique.
    Branch {
        branch: String,
        sent_by: Option<String>,
    },
    /// RFC 2543 fallback (server side only).
    Legacy(Box<LegacyKey>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LegacyKey {
    pub request_uri: String,
    pub to_tag: Option<String>,
    pub from_tag: Option<String>,
    pub call_id: String,
    pub cseq: u32,
    pub top_via: String,
}

pub(crate) fn has_magic_cookie(branch: &str) -> bool {
    branch
        .get(..MAGIC_COOKIE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(MAGIC_COOKIE))
}

/// The method a server transaction is keyed by: ACK belongs to the INVITE's transaction.
fn keyed_method(method: &Method) -> Method {
    match method {
        Method::Ack => Method::Invite,
        other => other.clone(),
    }
}

impl TransactionKey {
    /// The key of the server transaction an incoming request belongs to (or creates).
    pub fn for_incoming_request(req: &Request) -> Result<TransactionKey, TransactionError> {
        Self::for_incoming_request_via(req, &req.top_via()?)
    }

    /// [`Self::for_incoming_request`] with the top Via already parsed (a transport that
    /// stamped `received`/`rport` into it has; those parameters do not enter the key).
    pub fn for_incoming_request_via(
        req: &Request,
        via: &Via,
    ) -> Result<TransactionKey, TransactionError> {
        let method = keyed_method(&req.method);
        if let Some(branch) = via.branch().filter(|b| has_magic_cookie(b)) {
            let mut sent_by = String::with_capacity(via.host.len() + 6);
            sent_by.push_str(&via.host);
            sent_by.make_ascii_lowercase();
            if let Some(port) = via.port {
                sent_by.push(':');
                let _ = crate::scan::write_u16(&mut sent_by, port);
            }
            return Ok(TransactionKey {
                side: Side::Server,
                method,
                id: KeyId::Branch {
                    branch: branch.to_owned(),
                    sent_by: Some(sent_by),
                },
            });
        }
        let legacy = LegacyKey {
            request_uri: req.uri.to_string(),
            to_tag: req.to_header()?.tag().map(str::to_owned),
            from_tag: req.from_header()?.tag().map(str::to_owned),
            call_id: req.call_id()?.to_owned(),
            cseq: req.cseq()?.seq,
            top_via: via.to_string(),
        };
        Ok(TransactionKey {
            side: Side::Server,
            method,
            id: KeyId::Legacy(Box::new(legacy)),
        })
    }

    /// The key of a client transaction for a request we send; its branch must carry the magic
    /// cookie (we are an RFC 3261 element).
    pub fn for_outgoing_request(req: &Request) -> Result<TransactionKey, TransactionError> {
        let via = req.top_via()?;
        let branch = via.branch().ok_or(TransactionError::MissingBranch)?;
        if !has_magic_cookie(branch) {
            return Err(TransactionError::NoMagicCookie);
        }
        Ok(TransactionKey {
            side: Side::Client,
            method: req.method.clone(),
            id: KeyId::Branch {
                branch: branch.to_owned(),
                sent_by: None,
            },
        })
    }

    /// The key of the client transaction a response belongs to: top Via branch + CSeq method.
    pub fn for_response(resp: &Response) -> Result<TransactionKey, TransactionError> {
        let via = resp.top_via()?;
        let branch = via.branch().ok_or(TransactionError::MissingBranch)?;
        Ok(TransactionKey {
            side: Side::Client,
            method: resp.cseq()?.method,
            id: KeyId::Branch {
                branch: branch.to_owned(),
                sent_by: None,
            },
        })
    }

    /// The same key with another method: CANCEL -> the INVITE it cancels.
    pub fn with_method(&self, method: Method) -> TransactionKey {
        TransactionKey {
            side: self.side,
            method,
            id: self.id.clone(),
        }
    }

    /// For an RFC 2543 ACK: the key of the INVITE, whose To had no tag yet (the ACK carries
    /// the tag of our response). `None` for RFC 3261 keys or a To without tag.
    pub(crate) fn without_to_tag(&self) -> Option<TransactionKey> {
        match &self.id {
            KeyId::Legacy(l) if l.to_tag.is_some() => Some(TransactionKey {
                side: self.side,
                method: self.method.clone(),
                id: KeyId::Legacy(Box::new(LegacyKey {
                    to_tag: None,
                    ..(**l).clone()
                })),
            }),
            _ => None,
        }
    }

    /// The To tag of an RFC 2543 key.
    pub(crate) fn legacy_to_tag(&self) -> Option<&str> {
        match &self.id {
            KeyId::Legacy(l) => l.to_tag.as_deref(),
            KeyId::Branch { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_cookie_prefix() {
        assert!(has_magic_cookie("z9hG4bK776asdhds"));
        assert!(
            has_magic_cookie("Z9HG4BK776asdhds"),
            "tolerate case-mangling peers"
        );
        assert!(!has_magic_cookie("z9hG4b"));
        assert!(!has_magic_cookie("776asdhds"));
        assert!(!has_magic_cookie(""));
    }

    #[test]
    fn ack_is_keyed_as_invite_and_cancel_as_itself() {
        assert_eq!(keyed_method(&Method::Ack), Method::Invite);
        assert_eq!(keyed_method(&Method::Cancel), Method::Cancel);
    }
}
