//! How large a check will be, before it runs: the number of distinct action sequences the
//! scope allows (every prefix, from the empty one to the ones that end the input).
//!
//! Every state the checker visits is reached by at least one such sequence, so this bounds the
//! unique states from above. A state remembers every record delivered, in order, so two
//! sequences meet in one state only when they differ in steps the state does not record: the
//! bound is exact for the bundled models whose watermarks are derived (reference, canary,
//! flink-interval, flink-sql: 66,422, 27,922 and, at three records per side, 22,148,422), 2.6×
//! the states for Spark's batch markers, and thousands of times them where explicit watermark
//! steps and processing-time readings interleave with records in many orders that meet (the
//! keyed Flink models). It is shown before and during a check, and with a stopped one.
//! It is computed without running an engine, from what decides which actions are offered:
//! records delivered per side, keys used (keys are offered in order of first use under
//! symmetry), each input's latest explicit watermark, batch markers, the processing-time
//! reading, snapshots.

use super::model::Options;
use crate::model::{Scope, TimeDomain, Times, WatermarkSource};
use std::collections::HashMap;

/// What decides the actions offered in a state, as far as counting goes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Skeleton {
    records: [u8; 2],
    keys_used: u8,
    /// Per input: 0 before any explicit watermark, else 1 + the index of the latest listed
    /// value, or (derived values) the steps taken.
    watermark: [u8; 2],
    batches: u8,
    /// 0 before any reading, else 1 + the index of the latest one.
    processing_time: u8,
    snapshots: u8,
}

/// An upper bound on the unique states of checking `scope` (saturating at `u128::MAX`).
pub fn state_bound(scope: &Scope, domain: &TimeDomain, source: WatermarkSource, options: &Options) -> u128 {
    let counter = Counter {
        scope,
        domain,
        explicit_watermarks: source == WatermarkSource::Trace,
        symmetry: options.symmetry,
    };
    let start = Skeleton {
        records: [0, 0],
        keys_used: 0,
        watermark: [0, 0],
        batches: 0,
        processing_time: 0,
        snapshots: 0,
    };
    counter.paths(start, &mut HashMap::new())
}

struct Counter<'s> {
    scope: &'s Scope,
    domain: &'s TimeDomain,
    explicit_watermarks: bool,
    symmetry: bool,
}

impl Counter<'_> {
    /// The sequences from `s` on, the empty one included.
    fn paths(&self, s: Skeleton, memo: &mut HashMap<Skeleton, u128>) -> u128 {
        if let Some(&n) = memo.get(&s) {
            return n;
        }
        // Derived times: at most every offset from every earlier time (records, explicit
        // watermarks) and the epoch.
        let earlier =
            usize::from(s.records[0] + s.records[1]) + usize::from(s.watermark[0].min(1) + s.watermark[1].min(1));
        let times = match &self.scope.times {
            Times::Listed(v) => v.len() as u128,
            Times::Derived => self.domain.most_candidates(earlier) as u128,
        };
        // This state, and the one `end` leads to.
        let mut n: u128 = 2;
        for side in 0..2 {
            if s.records[side] < self.scope.records[side] {
                n = n.saturating_add(self.record_paths(s, side, times, memo));
            }
        }
        // The other steps: each leads to one skeleton, with one choice.
        for next in self.other_steps(s, earlier) {
            n = n.saturating_add(self.paths(next, memo));
        }
        memo.insert(s, n);
        n
    }

    /// The sequences from `s` on that begin with a record of `side`, at one of `times`.
    fn record_paths(&self, s: Skeleton, side: usize, times: u128, memo: &mut HashMap<Skeleton, u128>) -> u128 {
        let keys = self.scope.keys.len() as u8;
        let mut next = s;
        next.records[side] += 1;
        // A key already used, or (under symmetry, only the next) new one.
        let new_keys = if self.symmetry {
            u128::from(s.keys_used < keys)
        } else {
            u128::from(keys - s.keys_used)
        };
        let old = u128::from(s.keys_used) * times;
        let mut n = old.saturating_mul(self.paths(next, memo));
        if new_keys > 0 {
            let mut fresh = next;
            fresh.keys_used = if self.symmetry { s.keys_used + 1 } else { keys };
            // Without symmetry every key is offered from the start: count them as used.
            let choices = if self.symmetry { times } else { new_keys * times };
            n = n.saturating_add(choices.saturating_mul(self.paths(fresh, memo)));
        }
        n
    }

    /// The skeletons that the steps other than records lead `s` to, each as often as it has
    /// choices (`earlier`: how many times a derived value is placed relative to).
    fn other_steps(&self, s: Skeleton, earlier: usize) -> Vec<Skeleton> {
        let scope = self.scope;
        let mut others = Vec::new();
        if self.explicit_watermarks {
            for side in 0..2 {
                match &scope.watermarks {
                    Times::Listed(v) => {
                        for value in s.watermark[side]..v.len() as u8 {
                            let mut next = s;
                            next.watermark[side] = value + 1;
                            others.push(next);
                        }
                    }
                    // Each step one of at most this many values (counted as that many
                    // skeletons' worth of paths below).
                    Times::Derived if s.watermark[side] < scope.watermark_steps.unwrap_or(u8::MAX) => {
                        let mut next = s;
                        next.watermark[side] += 1;
                        for _ in 0..self.domain.most_candidates(earlier) {
                            others.push(next);
                        }
                    }
                    Times::Derived => {}
                }
            }
        }
        if s.batches < scope.batches {
            others.push(Skeleton {
                batches: s.batches + 1,
                ..s
            });
        }
        for value in s.processing_time..scope.processing_times.len() as u8 {
            others.push(Skeleton {
                processing_time: value + 1,
                ..s
            });
        }
        if s.snapshots < scope.snapshots {
            others.push(Skeleton {
                snapshots: s.snapshots + 1,
                ..s
            });
        }
        others
    }
}
