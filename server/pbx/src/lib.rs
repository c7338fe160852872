//! Switchboard's call control. It reaches storage and the network only through the traits in
//! `ports`; decisions are pure functions of their inputs and an injected `now`.

pub mod binding;
pub mod flow;
pub mod options;
pub mod ports;
pub mod registrar;
pub mod tag;
pub mod testing;

pub use binding::Binding;
pub use flow::{Flow, Transport};
pub use ports::{BindingChanges, Directory, Extension, Locations, PortError};
pub use registrar::{Registrar, RegistrarConfig};
