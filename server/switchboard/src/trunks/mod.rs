//! SIP trunks at run time. `board` is the live state every part reads and writes: whether
//! each trunk is reachable and registered, and how many of its channels are in use.
//! `driver` keeps the trunks registered and checked (`runner`: one trunk, following its
//! provider's address through `resolver` and its connection), sending through the
//! endpoint's transaction layer and getting answers back through `link`; `report` is what
//! it publishes. `border` shapes our requests toward trunks and `limits` bounds what
//! trunks may send us (session-border functions).

pub mod board;
pub mod border;
pub mod driver;
pub mod limits;
pub mod link;
pub mod report;
pub mod resolver;
pub mod runner;

pub use board::{TrunkBoard, TrunkLive};
