use thiserror::Error;

/// Why bytes from the network are not a SIP message we accept. Each variant knows the status
/// a UAS answers with (when the bytes were a request) so transports can reply statelessly.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    #[error("message larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("more than {limit} header fields")]
    TooManyHeaders { limit: usize },
    #[error("incomplete message")]
    Incomplete,
    #[error("malformed start line: {0}")]
    StartLine(&'static str),
    #[error("unsupported SIP version {0}")]
    Version(String),
    #[error("malformed {header} header: {reason}")]
    Header { header: String, reason: &'static str },
    #[error("malformed URI: {0}")]
    Uri(&'static str),
}
