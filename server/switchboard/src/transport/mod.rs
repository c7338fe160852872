//! Tokio drivers for the SIP transports. Each turns bytes from its sockets into calls on the
//! shared `Endpoint` and writes what the endpoint sends back.

pub mod connections;
pub mod dscp;
pub mod http;
pub mod outbound;
pub mod shutdown;
pub mod stream;
pub mod tcp;
pub mod tls;
pub mod udp;
pub mod ws;
