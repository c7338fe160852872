//! The pure parts of the back-to-back user agent: dialog state and the requests built from
//! it, authentication of callers, what a failed leg means for the caller, which headers may
//! cross from one leg to the other, session timers and transfer. The call tasks that drive a
//! call over the network live in the binary; every decision they take is made here.

pub mod auth;
pub mod dialog;
pub mod hiding;
pub mod outcome;
pub mod refer;
pub mod session_timer;

pub use auth::CallAuthenticator;
pub use dialog::Dialog;
pub use outcome::{Failure, best_final};
