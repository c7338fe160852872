//! The only `unsafe` in Switchboard: bindings to C codec libraries, each wrapped in a safe
//! owner type at once so nothing outside this module handles a raw pointer.
#![allow(unsafe_code)]

pub(crate) mod bcg729;
