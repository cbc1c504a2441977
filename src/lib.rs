//! joincheck: does an event-time stream-stream join lose matches or leak state?
//!
//! A join of two out-of-order streams (impressions and clicks, say) keeps records in state
//! until no future record can match them, and decides by watermarks which records are late.
//! Get either rule wrong by a millisecond and matches disappear silently, or state grows
//! forever. joincheck states the semantics once ([`oracle`]), runs engines against them
//! ([`engine`]), and explores every interleaving inside a bounded scope ([`checker`]).
//!
//! A complete check of a tiny join: a click exactly one hour after its impression matches,
//! one a millisecond later does not, and the reference engine agrees with the oracle.
//!
//! ```
//! use joincheck::engine::ReferenceEngine;
//! use joincheck::run::run;
//! use joincheck::event::{Output, Side};
//! use joincheck::oracle::Analysis;
//! use joincheck::spec::JoinSpec;
//! use joincheck::trace::Trace;
//!
//! let spec = JoinSpec::parse(r#"
//!     profile = "reference"
//!     [join]
//!     kind = "inner"
//!     bounds = "[0ms, 1h]"
//!     [watermark]
//!     source = "derived"
//!     left_delay = "10m"
//!     right_delay = "10m"
//! "#, "example.toml", "example").unwrap();
//!
//! let mut trace = Trace::new();
//! let i1 = trace.push_record(Side::Left, "a", 0, "i1");
//! let i2 = trace.push_record(Side::Left, "b", 0, "i2");
//! let c1 = trace.push_record(Side::Right, "a", 3_600_000, "c1"); // exactly 1h later
//! let _c2 = trace.push_record(Side::Right, "b", 3_600_001, "c2"); // 1 ms too late
//!
//! let analysis = Analysis::new(spec.params, &trace);
//! assert_eq!(analysis.expected(), vec![Output::Match { left: i1, right: c1 }]);
//!
//! let mut engine = ReferenceEngine::new(spec.params);
//! let (emitted, reports) = run(&mut engine, &trace);
//! assert!(analysis.diff(&emitted).agrees());
//! assert_eq!(reports.last().unwrap().stored_len, 0, "no state after end of input");
//! # let _ = i2;
//! ```
//!
//! When an engine is wrong, `joincheck check` prints a shortest counterexample and why; for
//! the bundled canary (which drops pairs exactly on the upper bound):
//!
//! ```text
//! step  event             wm left  wm right  wm join  stored left  stored right  timers  outputs
//! 0     left  i1 a@00:00  -00:10   -inf      -inf     i1           -             0       -
//! 1     right c1 a@01:00  -00:10   00:50     -00:10   i1           c1            0       -
//! 2     end               +inf     +inf      +inf     -            -             0       -
//! why: after step 2, the pair i1+c1 was never emitted. [...] When c1 arrived (step 1), i1
//! was in the engine's state, yet no pair was emitted.
//! replay: joincheck replay --model models/canary-impressions-clicks.toml \
//!         --trace target/joincheck/canary-impressions-clicks/no_lost_match.jsonl
//! ```
//!
//! Read next: [`oracle`] (the semantics), [`property`] (what is checked), [`checker`] (how),
//! [`harness`] (checking your own engine from `cargo test`), [`external`] (the subprocess
//! protocol for other languages), [`sim`] (seeded workloads and the streaming oracle), and
//! `models/README.md` (the model and trace formats).
//!
//! # How the crate is laid out
//!
//! One home per concept; imports point down this list, never up.
//!
//! | module | holds |
//! |---|---|
//! | [`time`], [`event`], [`error`] | time newtypes, records and outputs, the input error |
//! | [`trace`], [`format`](mod@format) | traces in memory; the public JSON-lines formats, read and written |
//! | [`model`] | a model file: the join, its watermarks, the profile table, scope, TOML |
//! | [`engine`] | the engines, one per profile, over one per-side store and one contract |
//! | [`oracle`] | the declarative oracle, whole-trace and streamed, and `diff` |
//! | [`property`] | the properties' names and expected verdicts |
//! | [`run`] | a run of an engine over a trace: stepping, what changed, the monitor, the judgement |
//! | [`checker`] | the stateright model, exhaustive search, differential comparison |
//! | [`sim`], [`external`], [`harness`] | seeded workloads; other programs; engine authors' tests |
//! | [`report`] | everything a person reads: timelines, explanations, each command's report |
//!
//! The command line lives in a hidden module (`src/cli/`, one file per command, behind the
//! default `cli` feature) that `src/main.rs` calls. Test machinery (fuzz bodies, the bug benchmark's
//! mutants and faults) is in a hidden `testing` module.

#![warn(missing_docs)]
// What only the command line uses (report renderings, streaming thresholds) is `pub(crate)`,
// so without the `cli` feature it is dead code by design.
#![cfg_attr(not(feature = "cli"), allow(dead_code))]
pub mod checker;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
pub mod engine;
pub mod error;
pub mod event;
pub mod external;
pub mod format;
pub mod harness;
mod hash;
pub mod model;
pub mod oracle;
pub mod property;
pub mod report;
pub mod run;
pub mod sim;
/// The model files' old home: `joincheck::spec` is [`model`].
#[doc(hidden)]
pub use model as spec;
#[doc(hidden)]
pub mod testing;
pub mod time;
pub mod trace;
