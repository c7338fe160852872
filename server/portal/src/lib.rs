//! The HTTP listener's routes: the portal pages and the SIP WebSocket at `/sip`.
