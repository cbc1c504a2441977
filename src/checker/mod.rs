//! The model checker: every interleaving of records and watermarks inside a bounded scope.
//!
//! [`JoinModel`] is a stateright [`Model`](stateright::Model) whose actions are the trace alphabet: deliver a
//! record (any side, key and time of the scope, so out-of-order and late arrivals are all
//! covered), advance an input's watermark (models whose watermarks come from the trace), close
//! a micro-batch, advance the processing-time clock, take a snapshot (each when the scope
//! includes it), end the input. Its state is the engine under test plus a
//! [`Monitor`] (`crate::run::monitor`), which follows the run from the outside: what was delivered, which records the
//! spec calls late, what was emitted, what the engine holds. Every property of
//! [`crate::property`] is a function of the monitor, evaluated at every state; the ones about
//! quiescence look only at states after end of input, when every timer has fired.
//!
//! The search is joincheck's own (`checker/explore.rs`: depth first on several threads
//! for verdicts, shortest first (iterative deepening) for shortest counterexamples, over a lock-free set of 64-bit
//! fingerprints); stateright's checker is its differential test.
//!
//! Keys are interchangeable, so the model offers a new key only in order of first use (key 1
//! before key 2): one representative per relabelling of keys, which is exact for properties
//! that do not name keys (none do). [`Options::symmetry`] turns this off for the differential
//! test.

mod causes;
mod differential;
pub(crate) mod estimate;
mod explore;
mod grow;
pub(crate) mod limits;
mod model;
mod search;
mod visited;

pub(crate) use crate::run::{disagreement, new_violation, StateChecks};
pub use crate::run::{first_violation, monitor_run, Finding, Monitor, MonitoredRun, OuterProblem};
pub use crate::run::{Disagreement, Kind, Retraction, RowKind, Shape};
pub use causes::{explain_causes, Bugged, Configured};
pub use differential::{check_mutant, mutant_violations, MutantVerdict, Paired};
pub use grow::{check_grown, growth, Coverage, Partial};
pub use limits::{Limits, Stopped};
pub use model::{Action, CheckState, JoinModel, Options};
pub use search::{check_model, check_spec, enumerate_traces, Counterexample, ModelReport, Progress, Verdict};
