//! The contract every judgement relies on: what an [`Engine`] reports after a step. The
//! monitor binary-searches `stored()`, so an engine that answers out of order would get false
//! verdicts silently; every run is checked here instead, and a breach stops it with a message
//! that names the engine and the step.
//!
//! After each step an engine's answers must satisfy:
//! - `stored()` and `buffered()` are strictly ascending (no id twice);
//! - `stored_len() == stored().len()`;
//! - every id in them and in the step's outputs names a record already delivered (ids are
//!   given in arrival order, so that is `id < delivered`).

use super::Engine;
use crate::event::{Output, RecordId};
use std::fmt;

/// What an engine holds after a step, read once and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Views {
    /// `stored()`: the ids of the records in the join's state, strictly ascending.
    pub stored: Vec<RecordId>,
    /// `buffered()`: the ids of the records received but not processed yet, strictly ascending.
    pub buffered: Vec<RecordId>,
    /// `pending_timers()`: how many timers are registered and have not fired.
    pub timers: usize,
}

/// A way an engine's answers break the contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Breach {
    /// `stored()` or `buffered()` (`list`) is not strictly ascending at `at`.
    Unordered {
        /// Which list: `"stored"` or `"buffered"`.
        list: &'static str,
        /// The first position whose id is not above the one before it.
        at: usize,
        /// The list as the engine gave it.
        ids: Vec<RecordId>,
    },
    /// `stored_len()` disagrees with `stored()`.
    StoredLen {
        /// What `stored_len()` answered.
        reported: usize,
        /// How many ids `stored()` lists.
        listed: usize,
    },
    /// An id in `list` names no record delivered so far.
    Unknown {
        /// Where the id appeared: `"stored"`, `"buffered"` or `"an output"`.
        list: &'static str,
        /// The unknown id.
        id: RecordId,
        /// How many records had been delivered (the valid ids are those below it).
        delivered: usize,
    },
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breach::Unordered { list, at, ids } => write!(
                f,
                "{list}() must list ids in strictly ascending order, but position {at} of {ids:?} is not above the one before"
            ),
            Breach::StoredLen { reported, listed } => {
                write!(f, "stored_len() is {reported} but stored() lists {listed} ids")
            }
            Breach::Unknown { list, id, delivered } => write!(
                f,
                "{list} names record id {} but only {delivered} records have been delivered",
                id.0
            ),
        }
    }
}

/// Reads what `engine` holds after a step that emitted `outputs`, with `delivered` records
/// delivered so far, and checks it.
pub(crate) fn views(engine: &dyn Engine, outputs: &[Output], delivered: usize) -> Result<Views, Breach> {
    let views = Views {
        stored: engine.stored(),
        buffered: engine.buffered(),
        timers: engine.pending_timers(),
    };
    for (list, ids) in [("stored", &views.stored), ("buffered", &views.buffered)] {
        if let Some(at) = (1..ids.len()).find(|&i| ids[i - 1] >= ids[i]) {
            return Err(Breach::Unordered {
                list,
                at,
                ids: ids.clone(),
            });
        }
        known(list, ids.iter().copied(), delivered)?;
    }
    let reported = engine.stored_len();
    if reported != views.stored.len() {
        return Err(Breach::StoredLen {
            reported,
            listed: views.stored.len(),
        });
    }
    known("an output", outputs.iter().flat_map(Output::records), delivered)?;
    Ok(views)
}

fn known(list: &'static str, mut ids: impl Iterator<Item = RecordId>, delivered: usize) -> Result<(), Breach> {
    match ids.find(|id| id.index() >= delivered) {
        Some(id) => Err(Breach::Unknown { list, id, delivered }),
        None => Ok(()),
    }
}

/// [`views`], or a panic naming the engine and the step: a breach is a bug in the engine
/// under test, and no verdict about it could be trusted.
pub(crate) fn expect_views(
    engine: &dyn Engine,
    step: &crate::trace::Step,
    outputs: &[Output],
    delivered: usize,
) -> Views {
    views(engine, outputs, delivered).unwrap_or_else(|breach| {
        panic!(
            "engine {} broke the Engine contract after the step {step:?}: {breach}",
            engine.name()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ReferenceEngine;
    use crate::event::Side;
    use crate::model::JoinSpec;
    use crate::run::run;
    use crate::trace::{Step, Trace};

    /// The reference engine with one answer broken.
    #[derive(Clone, Debug)]
    struct Liar {
        inner: ReferenceEngine,
        breach: &'static str,
    }

    impl Engine for Liar {
        fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
            self.inner.step(step, out);
            if self.breach == "output" {
                out.push(Output::Late(RecordId(7)));
            }
        }

        fn stored(&self) -> Vec<RecordId> {
            let mut ids = self.inner.stored();
            if self.breach == "unsorted" {
                ids.reverse();
            }
            ids
        }

        fn stored_len(&self) -> usize {
            self.inner.stored_len() + usize::from(self.breach == "len")
        }

        fn pending_timers(&self) -> usize {
            0
        }
    }

    fn spec() -> JoinSpec {
        let text = "profile = \"reference\"\n[join]\nkind = \"inner\"\nbounds = \"[0ms, 1h]\"\n\
                    [watermark]\nsource = \"derived\"\nleft_delay = \"10m\"\nright_delay = \"10m\"\n";
        JoinSpec::parse(text, "m.toml", "m").expect("a model")
    }

    fn panic_of(breach: &'static str) -> String {
        let params = spec().params;
        let mut trace = Trace::new();
        trace.push_record(Side::Left, "a", 0, "i1");
        trace.push_record(Side::Right, "a", 1, "c1");
        let err = std::panic::catch_unwind(move || {
            let mut e = Liar {
                inner: ReferenceEngine::new(params),
                breach,
            };
            run(&mut e, &trace);
        })
        .expect_err("a breach stops the run");
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn a_breach_stops_the_run_naming_the_engine_and_the_step() {
        let unsorted = panic_of("unsorted");
        assert!(unsorted.contains("Liar"), "{unsorted}");
        assert!(
            unsorted.contains("stored() must list ids in strictly ascending order"),
            "{unsorted}"
        );
        assert!(unsorted.contains("after the step Record"), "{unsorted}");
        let len = panic_of("len");
        assert!(len.contains("stored_len() is 2 but stored() lists 1 ids"), "{len}");
        let output = panic_of("output");
        assert!(
            output.contains("an output names record id 7 but only 1 records have been delivered"),
            "{output}"
        );
    }

    #[test]
    fn a_correct_engine_passes() {
        let mut e = ReferenceEngine::new(spec().params);
        let views = views(&e, &[], 0).expect("nothing stored yet");
        assert_eq!(views.stored, Vec::<RecordId>::new());
        let mut out = Vec::new();
        let mut trace = Trace::new();
        trace.push_record(Side::Left, "a", 0, "i1");
        e.step(&trace.steps()[0], &mut out);
        assert_eq!(super::views(&e, &out, 1).map(|v| v.stored), Ok(vec![RecordId(0)]));
        assert_eq!(
            super::views(&e, &out, 0),
            Err(Breach::Unknown {
                list: "stored",
                id: RecordId(0),
                delivered: 0
            })
        );
    }
}
