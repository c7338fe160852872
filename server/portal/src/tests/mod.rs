//! The portal's tests, on the fake backend (`crate::fake`) and a loopback listener.

mod ws;
