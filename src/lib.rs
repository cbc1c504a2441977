//! joincheck: does an event-time stream-stream join lose matches or leak state?
//!
//! (The crate tutorial is written in `README.md` and below once the API settles.)

pub mod checker;
pub mod cli;
pub mod engine;
pub mod error;
pub mod event;
pub mod oracle;
pub mod property;
pub mod report;
pub mod spec;
pub mod time;
pub mod trace;
