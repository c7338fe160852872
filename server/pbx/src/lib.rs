//! Switchboard's call control. It reaches storage and the network only through the traits in
//! `ports`; decisions are pure functions of their inputs and an injected `now`.
