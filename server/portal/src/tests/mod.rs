//! The portal's tests, on the fake backend (`crate::fake`) and a loopback listener.

mod access;
mod api_admin;
mod api_extensions;
mod api_trunk_edits;
mod api_trunks;
mod api_users;
mod csrf;
mod headers;
mod login;
mod session;
mod ws;
