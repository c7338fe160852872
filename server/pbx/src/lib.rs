//! Switchboard's call control. It reaches storage and the network only through the traits in
//! `ports`; decisions are pure functions of their inputs and an injected `now`.

pub mod accounts;
pub mod binding;
pub mod call;
pub mod cdr;
pub mod dialplan;
pub mod features;
pub mod flow;
pub mod options;
pub mod ports;
pub mod registrar;
pub mod tag;
pub mod testing;
pub mod trunk;

pub use binding::Binding;
pub use cdr::{CallRecord, Disposition, LegStats};
pub use features::{CallClass, Features};
pub use flow::{Flow, Transport};
pub use ports::{
    BindingChanges, CallRecords, DialPlanSource, Directory, Extension, Locations, PortError,
};
pub use registrar::{Registrar, RegistrarConfig};
