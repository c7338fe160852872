//! Calls between extensions: Switchboard as a back-to-back user agent. Each call is one
//! tokio task that owns both legs' dialogs and the media relay; the endpoint routes every
//! message that belongs to a call into that task's queue (`router`). The task reads like the
//! call flow: authenticate, route, ring (forking to every registered phone), then relay
//! in-dialog requests until one side hangs up. Calls to and from SIP trunks run the same
//! way (`outbound`, `inbound`), with the trunk's media policy (`trunk_media`,
//! `trunk_answer`) and the public address on everything sent toward the trunk
//! (`Call::sent_by`). Decisions are pure functions of `pbx` or of these modules.

mod bridged;
pub mod context;
mod digit_info;
mod early;
pub mod events;
mod inbound;
mod leg;
mod nat;
mod outbound;
mod queue;
mod record;
mod ring;
pub mod router;
mod sdp;
mod sdp_memo;
mod session;
mod setup;
mod task;
mod transfer;
mod trunk_answer;
mod trunk_media;
pub mod trunk_sources;

pub use context::CallContext;
pub use events::CallEvent;
pub use record::now_ms;
pub use router::CallRouter;
pub use task::spawn_call;
