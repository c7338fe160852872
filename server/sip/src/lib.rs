//! SIP for Switchboard: messages (parse and print), URIs, headers, digest authentication and
//! the RFC 3261 transaction machines. Sans-IO: nothing here reads a clock or touches a socket.

pub mod cseq;
pub mod digest;
pub mod error;
pub mod framer;
pub mod header;
pub mod header_name;
pub mod hexfmt;
pub mod message;
pub mod method;
pub mod multipart;
pub mod name_addr;
pub mod parse;
mod print;
pub mod reason;
mod scan;
pub mod stateless;
pub mod transaction;
pub mod uri;
mod uri_eq;
mod uri_parse;
pub mod validate;
pub mod via;

pub use cseq::CSeq;
pub use error::ParseError;
pub use framer::{Framed, StreamFramer};
pub use header::{Header, HeaderName, Headers};
pub use message::{Message, Request, Response};
pub use method::Method;
pub use name_addr::{Contact, NameAddr};
pub use parse::{MAX_HEADERS, MAX_MESSAGE_SIZE, parse_message};
pub use reason::reason_phrase;
pub use scan::write_u16;
pub use stateless::error_response;
pub use uri::{Host, SipUri, TelUri, Uri};
pub use via::Via;
