//! Header names: canonical spelling, compact forms (RFC 3261 §7.3.3 and the extensions that
//! registered one), case-insensitive lookup.

use std::fmt;
use std::hash::{Hash, Hasher};

/// A header name. Known names are stored in their canonical long form (compact forms such as
/// `v`, `f`, `i` are expanded at parse time); unknown names keep their original spelling and
/// compare case-insensitively.
#[derive(Debug, Clone, Eq)]
pub enum HeaderName {
    Via,
    From,
    To,
    CallId,
    CSeq,
    MaxForwards,
    Contact,
    ContentLength,
    ContentType,
    Expires,
    MinExpires,
    Authorization,
    WwwAuthenticate,
    ProxyAuthorization,
    ProxyAuthenticate,
    Route,
    RecordRoute,
    Require,
    ProxyRequire,
    Supported,
    Unsupported,
    Allow,
    Accept,
    UserAgent,
    Server,
    AcceptEncoding,
    AcceptLanguage,
    AlertInfo,
    AuthenticationInfo,
    CallInfo,
    ContentDisposition,
    ContentEncoding,
    ContentLanguage,
    Date,
    ErrorInfo,
    InReplyTo,
    MimeVersion,
    Organization,
    Priority,
    ReplyTo,
    RetryAfter,
    Subject,
    Timestamp,
    Warning,
    Event,
    AllowEvents,
    SubscriptionState,
    ReferTo,
    ReferredBy,
    SessionExpires,
    MinSe,
    RSeq,
    RAck,
    Path,
    ServiceRoute,
    AcceptContact,
    RejectContact,
    RequestDisposition,
    Identity,
    IdentityInfo,
    Reason,
    PAssertedIdentity,
    PPreferredIdentity,
    Privacy,
    SipEtag,
    SipIfMatch,
    Other(String),
}

impl HeaderName {
    /// Parse a header name as received: case-insensitive, compact forms expanded. Never
    /// fails; unknown names become `Other` with their original spelling.
    pub fn parse(name: &str) -> HeaderName {
        // Lower-case into a stack buffer and let the compiler build the matcher (length
        // switch, then memcmp): this runs for every header of every message.
        let mut buf = [0u8; 24];
        let Some(dst) = buf.get_mut(..name.len()) else {
            return HeaderName::Other(name.to_owned());
        };
        for (d, s) in dst.iter_mut().zip(name.bytes()) {
            *d = s.to_ascii_lowercase();
        }
        match &*dst {
            b"via" => HeaderName::Via,
            b"v" => HeaderName::Via,
            b"from" => HeaderName::From,
            b"f" => HeaderName::From,
            b"to" => HeaderName::To,
            b"t" => HeaderName::To,
            b"call-id" => HeaderName::CallId,
            b"i" => HeaderName::CallId,
            b"cseq" => HeaderName::CSeq,
            b"max-forwards" => HeaderName::MaxForwards,
            b"contact" => HeaderName::Contact,
            b"m" => HeaderName::Contact,
            b"content-length" => HeaderName::ContentLength,
            b"l" => HeaderName::ContentLength,
            b"content-type" => HeaderName::ContentType,
            b"c" => HeaderName::ContentType,
            b"expires" => HeaderName::Expires,
            b"min-expires" => HeaderName::MinExpires,
            b"authorization" => HeaderName::Authorization,
            b"www-authenticate" => HeaderName::WwwAuthenticate,
            b"proxy-authorization" => HeaderName::ProxyAuthorization,
            b"proxy-authenticate" => HeaderName::ProxyAuthenticate,
            b"route" => HeaderName::Route,
            b"record-route" => HeaderName::RecordRoute,
            b"require" => HeaderName::Require,
            b"proxy-require" => HeaderName::ProxyRequire,
            b"supported" => HeaderName::Supported,
            b"k" => HeaderName::Supported,
            b"unsupported" => HeaderName::Unsupported,
            b"allow" => HeaderName::Allow,
            b"accept" => HeaderName::Accept,
            b"user-agent" => HeaderName::UserAgent,
            b"server" => HeaderName::Server,
            b"accept-encoding" => HeaderName::AcceptEncoding,
            b"accept-language" => HeaderName::AcceptLanguage,
            b"alert-info" => HeaderName::AlertInfo,
            b"authentication-info" => HeaderName::AuthenticationInfo,
            b"call-info" => HeaderName::CallInfo,
            b"content-disposition" => HeaderName::ContentDisposition,
            b"content-encoding" => HeaderName::ContentEncoding,
            b"e" => HeaderName::ContentEncoding,
            b"content-language" => HeaderName::ContentLanguage,
            b"date" => HeaderName::Date,
            b"error-info" => HeaderName::ErrorInfo,
            b"in-reply-to" => HeaderName::InReplyTo,
            b"mime-version" => HeaderName::MimeVersion,
            b"organization" => HeaderName::Organization,
            b"priority" => HeaderName::Priority,
            b"reply-to" => HeaderName::ReplyTo,
            b"retry-after" => HeaderName::RetryAfter,
            b"subject" => HeaderName::Subject,
            b"s" => HeaderName::Subject,
            b"timestamp" => HeaderName::Timestamp,
            b"warning" => HeaderName::Warning,
            b"event" => HeaderName::Event,
            b"o" => HeaderName::Event,
            b"allow-events" => HeaderName::AllowEvents,
            b"u" => HeaderName::AllowEvents,
            b"subscription-state" => HeaderName::SubscriptionState,
            b"refer-to" => HeaderName::ReferTo,
            b"r" => HeaderName::ReferTo,
            b"referred-by" => HeaderName::ReferredBy,
            b"b" => HeaderName::ReferredBy,
            b"session-expires" => HeaderName::SessionExpires,
            b"x" => HeaderName::SessionExpires,
            b"min-se" => HeaderName::MinSe,
            b"rseq" => HeaderName::RSeq,
            b"rack" => HeaderName::RAck,
            b"path" => HeaderName::Path,
            b"service-route" => HeaderName::ServiceRoute,
            b"accept-contact" => HeaderName::AcceptContact,
            b"a" => HeaderName::AcceptContact,
            b"reject-contact" => HeaderName::RejectContact,
            b"j" => HeaderName::RejectContact,
            b"request-disposition" => HeaderName::RequestDisposition,
            b"d" => HeaderName::RequestDisposition,
            b"identity" => HeaderName::Identity,
            b"y" => HeaderName::Identity,
            b"identity-info" => HeaderName::IdentityInfo,
            b"n" => HeaderName::IdentityInfo,
            b"reason" => HeaderName::Reason,
            b"p-asserted-identity" => HeaderName::PAssertedIdentity,
            b"p-preferred-identity" => HeaderName::PPreferredIdentity,
            b"privacy" => HeaderName::Privacy,
            b"sip-etag" => HeaderName::SipEtag,
            b"sip-if-match" => HeaderName::SipIfMatch,
            _ => HeaderName::Other(name.to_owned()),
        }
    }

    /// The canonical spelling (long form) used when printing.
    pub fn as_str(&self) -> &str {
        match self {
            HeaderName::Via => "Via",
            HeaderName::From => "From",
            HeaderName::To => "To",
            HeaderName::CallId => "Call-ID",
            HeaderName::CSeq => "CSeq",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::Contact => "Contact",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::Expires => "Expires",
            HeaderName::MinExpires => "Min-Expires",
            HeaderName::Authorization => "Authorization",
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
            HeaderName::ProxyAuthorization => "Proxy-Authorization",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::Route => "Route",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::Require => "Require",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::Supported => "Supported",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::Allow => "Allow",
            HeaderName::Accept => "Accept",
            HeaderName::UserAgent => "User-Agent",
            HeaderName::Server => "Server",
            HeaderName::AcceptEncoding => "Accept-Encoding",
            HeaderName::AcceptLanguage => "Accept-Language",
            HeaderName::AlertInfo => "Alert-Info",
            HeaderName::AuthenticationInfo => "Authentication-Info",
            HeaderName::CallInfo => "Call-Info",
            HeaderName::ContentDisposition => "Content-Disposition",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::ContentLanguage => "Content-Language",
            HeaderName::Date => "Date",
            HeaderName::ErrorInfo => "Error-Info",
            HeaderName::InReplyTo => "In-Reply-To",
            HeaderName::MimeVersion => "MIME-Version",
            HeaderName::Organization => "Organization",
            HeaderName::Priority => "Priority",
            HeaderName::ReplyTo => "Reply-To",
            HeaderName::RetryAfter => "Retry-After",
            HeaderName::Subject => "Subject",
            HeaderName::Timestamp => "Timestamp",
            HeaderName::Warning => "Warning",
            HeaderName::Event => "Event",
            HeaderName::AllowEvents => "Allow-Events",
            HeaderName::SubscriptionState => "Subscription-State",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::ReferredBy => "Referred-By",
            HeaderName::SessionExpires => "Session-Expires",
            HeaderName::MinSe => "Min-SE",
            HeaderName::RSeq => "RSeq",
            HeaderName::RAck => "RAck",
            HeaderName::Path => "Path",
            HeaderName::ServiceRoute => "Service-Route",
            HeaderName::AcceptContact => "Accept-Contact",
            HeaderName::RejectContact => "Reject-Contact",
            HeaderName::RequestDisposition => "Request-Disposition",
            HeaderName::Identity => "Identity",
            HeaderName::IdentityInfo => "Identity-Info",
            HeaderName::Reason => "Reason",
            HeaderName::PAssertedIdentity => "P-Asserted-Identity",
            HeaderName::PPreferredIdentity => "P-Preferred-Identity",
            HeaderName::Privacy => "Privacy",
            HeaderName::SipEtag => "SIP-ETag",
            HeaderName::SipIfMatch => "SIP-If-Match",
            HeaderName::Other(s) => s,
        }
    }

    /// The compact form, if the header has one.
    pub fn compact(&self) -> Option<char> {
        match self {
            HeaderName::Via => Some('v'),
            HeaderName::From => Some('f'),
            HeaderName::To => Some('t'),
            HeaderName::CallId => Some('i'),
            HeaderName::Contact => Some('m'),
            HeaderName::ContentLength => Some('l'),
            HeaderName::ContentType => Some('c'),
            HeaderName::Supported => Some('k'),
            HeaderName::ContentEncoding => Some('e'),
            HeaderName::Subject => Some('s'),
            HeaderName::Event => Some('o'),
            HeaderName::AllowEvents => Some('u'),
            HeaderName::ReferTo => Some('r'),
            HeaderName::ReferredBy => Some('b'),
            HeaderName::SessionExpires => Some('x'),
            HeaderName::AcceptContact => Some('a'),
            HeaderName::RejectContact => Some('j'),
            HeaderName::RequestDisposition => Some('d'),
            HeaderName::Identity => Some('y'),
            HeaderName::IdentityInfo => Some('n'),
            _ => None,
        }
    }

    /// Headers whose value is a comma-separated list (RFC 3261 §7.3.1). The others —
    /// notably the authentication headers, Date, Call-ID and free-text ones — may contain
    /// commas that do not separate values, so they are never split. Unknown headers are not
    /// split either: we cannot know their grammar.
    pub fn is_list(&self) -> bool {
        use HeaderName::*;
        matches!(
            self,
            Via | Contact
                | Route
                | RecordRoute
                | Require
                | ProxyRequire
                | Supported
                | Unsupported
                | Allow
                | Accept
                | AcceptEncoding
                | AcceptLanguage
                | AlertInfo
                | CallInfo
                | ContentEncoding
                | ContentLanguage
                | ErrorInfo
                | InReplyTo
                | Warning
                | AllowEvents
                | Path
                | ServiceRoute
                | AcceptContact
                | RejectContact
                | RequestDisposition
                | PAssertedIdentity
                | PPreferredIdentity
                | Privacy
                | Reason
        )
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl Hash for HeaderName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        if let HeaderName::Other(s) = self {
            for b in s.bytes() {
                state.write_u8(b.to_ascii_lowercase());
            }
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::HeaderName;

    #[test]
    fn compact_forms() {
        for (c, long) in [
            ("i", "Call-ID"),
            ("m", "Contact"),
            ("e", "Content-Encoding"),
            ("l", "Content-Length"),
            ("c", "Content-Type"),
            ("f", "From"),
            ("s", "Subject"),
            ("k", "Supported"),
            ("t", "To"),
            ("v", "Via"),
            ("o", "Event"),
            ("u", "Allow-Events"),
            ("r", "Refer-To"),
            ("b", "Referred-By"),
            ("x", "Session-Expires"),
            ("y", "Identity"),
            ("a", "Accept-Contact"),
            ("j", "Reject-Contact"),
            ("d", "Request-Disposition"),
            ("n", "Identity-Info"),
        ] {
            assert_eq!(HeaderName::parse(c).as_str(), long);
            assert_eq!(
                HeaderName::parse(&c.to_uppercase()),
                HeaderName::parse(long)
            );
            assert_eq!(HeaderName::parse(long).compact(), c.chars().next());
        }
    }

    #[test]
    fn case_insensitive() {
        assert_eq!(HeaderName::parse("MaX-fOrWaRdS"), HeaderName::MaxForwards);
        assert_eq!(HeaderName::parse("cseq"), HeaderName::CSeq);
        assert_eq!(HeaderName::parse("X-Foo"), HeaderName::parse("x-foo"));
        assert_eq!(HeaderName::parse("X-Foo").as_str(), "X-Foo");
        assert_eq!(HeaderName::parse("C%6Fntact").as_str(), "C%6Fntact");
    }
}
