//! The Switchboard server: configuration, CLI, SIP transports and the wiring of every crate.
//! A library as well as a binary so integration tests can boot the server in-process
//! (`app::start`).

pub mod app;
pub mod calls;
pub mod cli;
pub mod commands;
pub mod config;
pub mod endpoint;
pub mod media;
pub mod open_files;
mod portal_backend;
pub mod qualify;
pub mod random;
pub mod tls;
pub mod transport;
pub mod trunks;

pub use app::{RunningServer, start};
