//! SIP for Switchboard: messages (parse and print), URIs, headers, digest authentication and
//! the RFC 3261 transaction machines. Sans-IO: nothing here reads a clock or touches a socket.

pub mod error;
pub mod header;
pub mod message;
pub mod method;
pub mod uri;

pub use error::ParseError;
pub use header::{Header, HeaderName, Headers};
pub use message::{Message, Request, Response};
pub use method::Method;
pub use uri::Uri;
