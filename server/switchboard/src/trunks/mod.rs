//! SIP trunks at run time. `board` is the live state every part reads and writes: whether
//! each trunk is reachable and registered, and how many of its channels are in use.

pub mod board;

pub use board::{TrunkBoard, TrunkLive};
