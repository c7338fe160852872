use thiserror::Error;

/// Why an SDP body could not be parsed. `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    #[error("empty SDP body")]
    Empty,
    #[error("SDP must start with v=0")]
    MissingVersion,
    #[error("SDP has no o= line")]
    MissingOrigin,
    #[error("line {line}: not of the form <letter>=<value>")]
    MalformedLine { line: usize },
    #[error("line {line}: bad {field}")]
    BadField { line: usize, field: &'static str },
}
