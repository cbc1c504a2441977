//! The canary: a deliberately broken engine that every layer of the harness must catch.
//!
//! It is the reference engine with one classic off-by-one: it treats the inclusive upper
//! bound as exclusive when it matches, so a click exactly `upper` after its impression is
//! never paired. If the checker, the property tests or the fuzzers ever pass this engine,
//! the harness has gone blind (TigerBeetle's canary fuzzer is the model for this).

use super::{Engine, ReferenceEngine, Watermarks};
use crate::event::{Output, RecordId};
use crate::model::JoinParams;
use crate::time::EventTime;
use crate::trace::Step;
use std::collections::BTreeMap;

/// The reference engine, minus every pair that sits exactly on the upper bound.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CanaryEngine {
    inner: ReferenceEngine,
    /// Times of the records seen, to recognise boundary pairs.
    seen: BTreeMap<RecordId, EventTime>,
}

impl CanaryEngine {
    /// The engine for `params`, before its first step.
    pub fn new(params: JoinParams) -> CanaryEngine {
        CanaryEngine {
            inner: ReferenceEngine::new(params),
            seen: BTreeMap::new(),
        }
    }
}

impl Engine for CanaryEngine {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        if let Step::Record(r) = step {
            self.seen.insert(r.id, r.ts);
        }
        let start = out.len();
        self.inner.step(step, out);
        let highest = self.inner.params().bounds.highest();
        let seen = &self.seen;
        let mut i = start;
        while i < out.len() {
            let on_bound = match out[i] {
                Output::Match { left, right } => seen[&left].offset_to(seen[&right]) == highest,
                _ => false,
            };
            if on_bound {
                out.remove(i);
            } else {
                i += 1;
            }
        }
    }

    fn stored(&self) -> Vec<RecordId> {
        self.inner.stored()
    }

    fn pending_timers(&self) -> usize {
        self.inner.pending_timers()
    }

    fn watermarks(&self) -> Option<Watermarks> {
        self.inner.watermarks()
    }
}
