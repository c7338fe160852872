//! Header fields as they travel: a canonical name and the raw value text. Typed views (Via,
//! CSeq, name-addr, ...) are parsed from the value on demand, so a proxy path that only reads
//! a few headers never pays for the others.

/// A header name. Known names are stored in their canonical long form (compact forms such as
/// `v`, `f`, `i` are expanded at parse time); unknown names keep their original spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: HeaderName,
    pub value: String,
}

/// Header fields in wire order. Multi-value headers may appear as several fields or as one
/// comma-separated field; both forms are kept as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Header>);
