//! Comparing an implementation's outputs with the oracle's, as multisets: what is missing,
//! extra or duplicated, and why (as a [`Cause`]; the report module says it in words).

use super::Analysis;
use crate::event::{Emitted, Output};
use std::collections::BTreeMap;

impl Analysis<'_> {
    /// Compares `actual` outputs with the expected ones as multisets (positions ignored).
    pub fn diff(&self, actual: &[Emitted]) -> Diff {
        let expected: Vec<Emitted> = self
            .expected()
            .into_iter()
            .map(|output| Emitted {
                output,
                at: Default::default(),
            })
            .collect();
        self.diff_with(&expected, actual)
    }

    /// Compares `actual` outputs with `expected` ones (the oracle's, or a profile's
    /// batch-exact prediction) as multisets. Batch numbers are compared when both sides
    /// carry them on every row; step numbers never are.
    pub fn diff_with(&self, expected: &[Emitted], actual: &[Emitted]) -> Diff {
        let by_batch = !expected.is_empty() && expected.iter().chain(actual).all(|e| e.at.batch.is_some());
        let key = |e: &Emitted| (e.output, if by_batch { e.at.batch } else { None });
        let mut counts: BTreeMap<(Output, Option<usize>), (usize, usize)> = BTreeMap::new();
        for e in expected {
            counts.entry(key(e)).or_default().0 += 1;
        }
        for e in actual {
            counts.entry(key(e)).or_default().1 += 1;
        }
        let batches_of = |rows: &[Emitted], o: &Output| -> Vec<usize> {
            rows.iter()
                .filter(|e| e.output == *o)
                .filter_map(|e| e.at.batch)
                .collect()
        };
        let declared = self.expected();
        let mut diff = Diff::default();
        for ((output, batch), (want, got)) in counts {
            if got < want {
                let elsewhere = batches_of(actual, &output);
                let cause = if by_batch && !elsewhere.is_empty() {
                    Cause::EmittedInBatches(elsewhere)
                } else if declared.binary_search(&output).is_ok() {
                    Cause::Expected
                } else {
                    Cause::ProfileEmits
                };
                diff.missing.push(Difference {
                    output,
                    batch,
                    count: want - got,
                    cause,
                });
            } else if got > want && want == 0 {
                let elsewhere = batches_of(expected, &output);
                let cause = if by_batch && !elsewhere.is_empty() {
                    Cause::ExpectedInBatches(elsewhere)
                } else if declared.binary_search(&output).is_err() {
                    Cause::NotExpected
                } else {
                    Cause::ProfileSkips
                };
                diff.extra.push(Difference {
                    output,
                    batch,
                    count: got,
                    cause,
                });
            } else if got > want {
                diff.duplicated.push(Difference {
                    output,
                    batch,
                    count: got - want,
                    cause: Cause::Duplicated { want, got },
                });
            }
        }
        diff
    }
}

/// How an implementation's outputs differ from the oracle's.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Expected and not emitted (`count` copies short).
    pub missing: Vec<Difference>,
    /// Emitted and not expected at all.
    pub extra: Vec<Difference>,
    /// Expected, and emitted more often than expected (`count` surplus copies).
    pub duplicated: Vec<Difference>,
}

impl Diff {
    /// Whether nothing is missing, extra or duplicated.
    pub fn agrees(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.duplicated.is_empty()
    }
}

/// One differing row and why it differs (the report module's `words::reason` says it in words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The row.
    pub output: Output,
    /// The batch, when batches were compared.
    pub batch: Option<usize>,
    /// How many copies differ: copies short (missing), copies emitted (extra), or surplus
    /// copies (duplicated).
    pub count: usize,
    /// Why it differs.
    pub cause: Cause,
}

/// Why a row differs, as the oracle and the profile see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// Missing: the join's semantics expect it ([`Analysis::expected`]).
    Expected,
    /// Missing: not in the declarative outputs, but the profile's prediction emits it.
    ProfileEmits,
    /// Extra: the join's semantics do not allow it.
    NotExpected,
    /// Extra: valid by the join's semantics, but the profile's prediction does not emit it.
    ProfileSkips,
    /// Missing from its batch: emitted in these batches instead.
    EmittedInBatches(Vec<usize>),
    /// Extra in its batch: expected in these batches instead.
    ExpectedInBatches(Vec<usize>),
    /// Expected `want` times, emitted `got` times.
    Duplicated {
        /// How many copies are expected.
        want: usize,
        /// How many copies were emitted.
        got: usize,
    },
}
