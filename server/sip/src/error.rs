use thiserror::Error;

/// Why bytes from the network are not a SIP message we accept. Each variant knows the status
/// a UAS answers with (when the bytes were a request) so transports can reply statelessly.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    #[error("message larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("more than {limit} header fields")]
    TooManyHeaders { limit: usize },
    /// A datagram whose body is shorter than its Content-Length (RFC 4475 clerr), or a head
    /// without its terminating blank line.
    #[error("incomplete message")]
    Incomplete,
    #[error("malformed start line: {0}")]
    StartLine(&'static str),
    #[error("unsupported SIP version {0}")]
    Version(String),
    #[error("malformed {header} header: {reason}")]
    Header {
        header: String,
        reason: &'static str,
    },
    #[error("malformed URI: {0}")]
    Uri(&'static str),
    /// Anything wrong with a response: RFC 3261 §18.1.2 says a malformed response is
    /// discarded, never answered, so `status_code()` is None for it.
    #[error("malformed response: {0}")]
    Response(Box<ParseError>),
}

impl ParseError {
    /// The status a UAS sends back for a request that failed with this error; None when the
    /// message must be dropped silently (a malformed response).
    pub fn status_code(&self) -> Option<u16> {
        match self {
            ParseError::TooLarge { .. } => Some(413),
            ParseError::Version(_) => Some(505),
            ParseError::Response(_) => None,
            _ => Some(400),
        }
    }

    pub(crate) fn header(name: &str, reason: &'static str) -> ParseError {
        ParseError::Header {
            header: name.to_owned(),
            reason,
        }
    }
}
