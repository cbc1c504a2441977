//! The executable meaning of the properties: a [`Monitor`] follows a run from outside the
//! engine (what was delivered, which records the spec calls late, what was emitted, what the
//! engine holds) and says, in each state, which invariant is broken and why ([`Finding`]) and
//! which witness is reached. The checker evaluates it at every state of its exploration;
//! [`super::monitor_run`] reaches the same verdicts over one whole run.

use crate::engine::Engine;
use crate::event::{Key, Output, Record, RecordId, Side};
use crate::model::{JoinKind, JoinParams, SpecWatermarks};
use crate::property::Property;
use crate::time::Watermark;
use crate::trace::Step;
use smallvec::SmallVec;

/// Everything the properties look at, gathered step by step from outside the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Monitor {
    seen: Arrivals,
    /// Every output so far, sorted.
    emitted: SmallVec<[Output; 8]>,
    /// What the engine holds after the last step: join state, and input not processed yet.
    stored: SmallVec<[RecordId; 8]>,
    buffered: SmallVec<[RecordId; 4]>,
    timers: usize,
    /// Keys of records that left state before end of input, sorted.
    evicted_keys: SmallVec<[Key; 4]>,
    key_reused: bool,
}

/// The model checker tells states apart by this hash alone, so it covers everything that
/// distinguishes one monitor from another within a check, except what is the same in every
/// state of a check (`params`) or a copy of the engine's own answers (`stored`, `buffered`,
/// `timers`), which the checker's state hashes with the engine.
impl std::hash::Hash for Monitor {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.seen.records.hash(h);
        self.seen.late.hash(h);
        self.seen.wm.hash(h);
        self.emitted.hash(h);
        self.seen.ended.hash(h);
        self.evicted_keys.hash(h);
        self.key_reused.hash(h);
    }
}

/// What breaks a property, precisely enough to explain it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A valid pair (or, for semi joins, a left record with a partner: `right` is `None`)
    /// was never emitted.
    Lost {
        /// The left record.
        left: RecordId,
        /// Its partner, or `None` for a semi row.
        right: Option<RecordId>,
    },
    /// An emitted pair or semi row that the join's semantics do not allow.
    Spurious(Output),
    /// An output emitted more than once.
    Duplicate(Output),
    /// A null row that should not be there (or should, when `missing`).
    Outer {
        /// The record the null row is for.
        id: RecordId,
        /// What is wrong with it.
        problem: OuterProblem,
    },
    /// An admitted record left state while it could still match.
    Premature(RecordId),
    /// More timers pending than records stored: timers that outlive the state they were
    /// registered to clean (each stored record needs at most one).
    OrphanTimers {
        /// Timers pending.
        timers: usize,
        /// Records stored.
        stored: usize,
    },
    /// State kept: records that can no longer match (or anything at quiescence), timers.
    Leak {
        /// The records kept: all of state at quiescence, else those past their last chance to
        /// match.
        stored: Vec<RecordId>,
        /// Timers pending.
        timers: usize,
        /// Whether this is at end of input, where nothing may be kept.
        quiescent: bool,
    },
    /// The engine's `late` rows disagree with the spec for this record.
    Lateness {
        /// The record.
        id: RecordId,
        /// Whether the spec judges it late (the engine's `late` rows say otherwise).
        spec_late: bool,
    },
}

/// What is wrong with a record's null row ([`Finding::Outer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OuterProblem {
    /// This side is not padded in this join kind.
    NotPadded,
    /// The record was late, so it produces nothing.
    NotAdmitted,
    /// The record has a valid match.
    HasMatch,
    /// Emitted while an on-time record could still match it.
    TooEarly,
    /// At quiescence, an unmatched record of a padded side has no null row.
    Missing,
}

impl Monitor {
    /// A monitor for a join with `params`, before the first step.
    pub fn new(params: JoinParams) -> Monitor {
        Monitor {
            seen: Arrivals::new(params),
            emitted: SmallVec::new(),
            stored: SmallVec::new(),
            buffered: SmallVec::new(),
            timers: 0,
            evicted_keys: SmallVec::new(),
            key_reused: false,
        }
    }

    /// Takes in one step and what the engine did with it.
    pub fn observe(
        &mut self,
        step: &Step,
        outputs: &[Output],
        stored: Vec<RecordId>,
        buffered: Vec<RecordId>,
        timers: usize,
    ) {
        if let Some(r) = self.seen.observe(step) {
            if self.evicted_keys.binary_search(&r.key).is_ok() {
                self.key_reused = true;
            }
        }
        if !self.seen.ended {
            for id in self.stored.iter().filter(|id| stored.binary_search(id).is_err()) {
                let key = self.seen.records[id.index()].key;
                if let Err(at) = self.evicted_keys.binary_search(&key) {
                    self.evicted_keys.insert(at, key);
                }
            }
        }
        self.stored = SmallVec::from_slice(&stored);
        self.buffered = SmallVec::from_slice(&buffered);
        self.timers = timers;
        if !outputs.is_empty() {
            self.emitted.extend_from_slice(outputs);
            self.emitted.sort_unstable();
        }
    }

    /// Takes in one step that `engine` has just taken and emitted `outputs` for, reading what
    /// it holds under the engine contract ([`crate::engine::contract`]).
    ///
    /// # Panics
    /// When the engine's answers break the contract, naming the engine and the step.
    pub fn observe_engine(&mut self, step: &Step, engine: &dyn Engine, outputs: &[Output]) {
        let delivered = self.seen.records.len() + usize::from(matches!(step, Step::Record(_)));
        let views = crate::engine::contract::expect_views(engine, step, outputs, delivered);
        self.observe(step, outputs, views.stored, views.buffered, views.timers);
    }

    /// Whether end of input has been observed.
    pub fn ended(&self) -> bool {
        self.seen.ended
    }

    /// Every record observed so far, indexed by [`RecordId`].
    pub fn records(&self) -> &[Record] {
        &self.seen.records
    }

    /// The spec's watermarks after the steps so far.
    pub fn spec_watermarks(&self) -> &SpecWatermarks {
        &self.seen.wm
    }

    fn sides(&self) -> impl Iterator<Item = (&Record, &Record)> {
        let lefts = self.seen.records.iter().filter(|r| r.side == Side::Left);
        lefts.flat_map(move |l| {
            self.seen
                .records
                .iter()
                .filter(|r| r.side == Side::Right)
                .map(move |r| (l, r))
        })
    }

    /// The first violation of invariant `p` in this state, if any.
    pub fn finding(&self, p: Property) -> Option<Finding> {
        match p {
            Property::NoLostMatch => self.lost_match(),
            Property::NoSpuriousOutput => self.spurious_output(),
            Property::NoDuplicateOutput => self
                .emitted
                .windows(2)
                .find(|w| w[0] == w[1])
                .map(|w| Finding::Duplicate(w[0])),
            Property::OuterExactlyOnce => self.outer_problem(),
            Property::NoPrematureEviction => self.premature_eviction(),
            Property::NoStateLeak => self.state_leak(),
            Property::LatenessAgrees => self
                .seen
                .records
                .iter()
                // A record waiting in an open micro-batch has not been judged yet.
                .filter(|x| self.buffered.binary_search(&x.id).is_err())
                .find(|x| self.seen.late[x.id.index()] != self.emitted(&Output::Late(x.id)))
                .map(|x| Finding::Lateness {
                    id: x.id,
                    spec_late: self.seen.late[x.id.index()],
                }),
            _ => panic!("{p} is a witness, not an invariant"),
        }
    }

    fn semi(&self) -> bool {
        self.seen.params.kind == JoinKind::LeftSemi
    }

    /// `no_lost_match`: at quiescence, a valid pair (or semi row) that was never emitted.
    fn lost_match(&self) -> Option<Finding> {
        if !self.seen.ended {
            return None;
        }
        self.sides().filter(|(l, r)| self.valid_pair(l, r)).find_map(|(l, r)| {
            let (want, right) = if self.semi() {
                (Output::Semi { left: l.id }, None)
            } else {
                (
                    Output::Match {
                        left: l.id,
                        right: r.id,
                    },
                    Some(r.id),
                )
            };
            (!self.emitted(&want)).then_some(Finding::Lost { left: l.id, right })
        })
    }

    /// `no_spurious_output`: an emitted pair or semi row that the spec does not allow.
    fn spurious_output(&self) -> Option<Finding> {
        let semi = self.semi();
        self.emitted
            .iter()
            .find(|o| match **o {
                Output::Match { left, right } => {
                    let (l, r) = (self.record(left), self.record(right));
                    semi || l.side != Side::Left || r.side != Side::Right || !self.valid_pair(l, r)
                }
                Output::Semi { left } => {
                    let l = self.record(left);
                    !semi || l.side != Side::Left || !self.has_valid_partner(l)
                }
                Output::Unmatched(_) | Output::Late(_) => false,
            })
            .map(|o| Finding::Spurious(*o))
    }

    /// `outer_exactly_once`: a null row that should not be there, or (at quiescence) one that
    /// is missing.
    fn outer_problem(&self) -> Option<Finding> {
        for o in &self.emitted {
            let Output::Unmatched(id) = *o else { continue };
            if let Some(problem) = self.null_row_problem(id) {
                return Some(Finding::Outer { id, problem });
            }
        }
        if !self.seen.ended {
            return None;
        }
        self.missing_null_row()
    }

    /// `no_premature_eviction`: an admitted record gone from state while it can still match.
    fn premature_eviction(&self) -> Option<Finding> {
        self.seen
            .records
            .iter()
            .find(|x| self.evicted_too_early(x.id))
            .map(|x| Finding::Premature(x.id))
    }

    /// `no_state_leak`: anything held at quiescence; before it, records kept past their last
    /// chance by more than the profile's cleanup slack, or more timers than records.
    fn state_leak(&self) -> Option<Finding> {
        if self.seen.settled() {
            return (!self.stored.is_empty() || self.timers > 0).then(|| Finding::Leak {
                stored: self.stored.to_vec(),
                timers: self.timers,
                quiescent: true,
            });
        }
        // The profile's cleanup slack: a record may outlive its last chance to match by this
        // much event time.
        let slack = self.seen.params.profile.cleanup_slack();
        let earlier = |side: Side| {
            let wm = self.seen.wm.judge(&self.seen.params.watermark, side.other());
            Watermark::at(wm.time().saturating_sub(slack))
        };
        let dead: Vec<RecordId> = self
            .stored
            .iter()
            .copied()
            .filter(|id| {
                let x = self.record(*id);
                !self.admitted(*id) || !self.seen.params.can_still_match(x, earlier(x.side), false)
            })
            .collect();
        if self.timers > self.stored.len() {
            return Some(Finding::OrphanTimers {
                timers: self.timers,
                stored: self.stored.len(),
            });
        }
        (!dead.is_empty()).then_some(Finding::Leak {
            stored: dead,
            timers: self.timers,
            quiescent: false,
        })
    }

    /// Whether witness `p` is reached in this state.
    pub fn witnessed(&self, p: Property) -> bool {
        match p {
            Property::WitnessMatch => self
                .emitted
                .iter()
                .any(|o| matches!(o, Output::Match { .. } | Output::Semi { .. })),
            Property::WitnessLateDrop => self.emitted.iter().any(|o| matches!(o, Output::Late(_))),
            Property::WitnessEviction => !self.evicted_keys.is_empty(),
            Property::WitnessStateTwo => self.stored.len() >= 2,
            Property::WitnessKeyReused => self.key_reused,
            Property::WitnessClickFirst => self
                .emitted
                .iter()
                .any(|o| matches!(*o, Output::Match { left, right } if right < left)),
            _ => panic!("{p} is an invariant, not a witness"),
        }
    }
}

/// What has arrived, as the spec judges it: the records in arrival order, whether each was late
/// when it arrived, the spec's watermarks, and whether input has ended. The monitor and the
/// run's judge each keep one, taken in by the same [`Arrivals::observe`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Arrivals {
    pub(super) params: JoinParams,
    /// Delivered records, indexed by [`RecordId`] (ids are given in arrival order).
    pub(super) records: SmallVec<[Record; 8]>,
    /// Per delivered record: late by the spec at its arrival.
    pub(super) late: SmallVec<[bool; 16]>,
    pub(super) wm: SpecWatermarks,
    pub(super) ended: bool,
}

impl Arrivals {
    pub(super) fn new(params: JoinParams) -> Arrivals {
        Arrivals {
            params,
            records: SmallVec::new(),
            late: SmallVec::new(),
            wm: SpecWatermarks::new(&params.watermark),
            ended: false,
        }
    }

    /// Takes in one step: a record is judged against the spec's watermark before the step
    /// moves it, and returned.
    pub(super) fn observe(&mut self, step: &Step) -> Option<Record> {
        let arrived = match step {
            Step::Record(r) => {
                assert_eq!(
                    r.id.index(),
                    self.records.len(),
                    "record ids are given in arrival order"
                );
                let judged_by = self.wm.judge(&self.params.watermark, r.side);
                self.late.push(self.params.watermark.lateness.is_late(r.ts, judged_by));
                self.records.push(*r);
                Some(*r)
            }
            _ => None,
        };
        // Under `end_of_input = "nothing"` the end moves no watermark: the state at end is
        // judged as between watermarks.
        if *step != Step::End || self.params.flushes_at_end() {
            self.wm.observe(&self.params.watermark, step);
        }
        if *step == Step::End {
            self.ended = true;
        }
        arrived
    }

    /// Whether end of input has settled everything: it has come, and it flushes state.
    pub(super) fn settled(&self) -> bool {
        self.ended && self.params.flushes_at_end()
    }
}

/// What the properties ask of a run seen so far, and the predicates written once on it: the
/// [`Monitor`] answers by scanning what it holds (the checker's states are small), the run's
/// judge by its indexes; both reach their findings through these predicates.
pub(super) trait Seen {
    /// What has arrived.
    fn arrivals(&self) -> &Arrivals;
    /// Whether `o` has been emitted.
    fn emitted(&self, o: &Output) -> bool;
    /// Whether some delivered record of the other side is a valid partner of `x`.
    fn has_valid_partner(&self, x: &Record) -> bool;
    /// Whether `id` is in the engine's state or its input buffer.
    fn held(&self, id: RecordId) -> bool;

    /// The join's parameters.
    fn params(&self) -> &JoinParams {
        &self.arrivals().params
    }

    /// The delivered record `id`.
    fn record(&self, id: RecordId) -> &Record {
        &self.arrivals().records[id.index()]
    }

    /// Whether `id` was on time by the spec at its arrival.
    fn admitted(&self, id: RecordId) -> bool {
        !self.arrivals().late[id.index()]
    }

    /// Whether `a` and `b` (one of each side, in either order) are a valid pair: both on time,
    /// same key, an offset inside the bounds.
    fn valid_pair(&self, a: &Record, b: &Record) -> bool {
        let (l, r) = if a.side == Side::Left { (a, b) } else { (b, a) };
        self.admitted(l.id) && self.admitted(r.id) && self.params().matches(l, r)
    }

    /// Whether a record arriving now could still be a partner of `x`.
    fn can_still_match(&self, x: &Record) -> bool {
        let seen = self.arrivals();
        seen.params.can_still_match_now(x, &seen.wm, seen.settled())
    }

    /// What is wrong with a null row of `id` now, in this order, or `None`.
    fn null_row_problem(&self, id: RecordId) -> Option<OuterProblem> {
        let x = self.record(id);
        if !self.params().kind.pads(x.side) {
            Some(OuterProblem::NotPadded)
        } else if !self.admitted(id) {
            Some(OuterProblem::NotAdmitted)
        } else if self.has_valid_partner(x) {
            Some(OuterProblem::HasMatch)
        } else if self.can_still_match(x) {
            Some(OuterProblem::TooEarly)
        } else {
            None
        }
    }

    /// At quiescence: the first record (by arrival) owed a null row that has none.
    fn missing_null_row(&self) -> Option<Finding> {
        debug_assert!(self.arrivals().ended, "null rows are owed at quiescence");
        self.arrivals()
            .records
            .iter()
            .find(|x| {
                self.params().kind.pads(x.side)
                    && self.admitted(x.id)
                    && !self.can_still_match(x)
                    && !self.has_valid_partner(x)
                    && !self.emitted(&Output::Unmatched(x.id))
            })
            .map(|x| Finding::Outer {
                id: x.id,
                problem: OuterProblem::Missing,
            })
    }

    /// Whether `id` is an admitted record gone from state while it can still match (a semi
    /// join's left record may go once its row is out).
    fn evicted_too_early(&self, id: RecordId) -> bool {
        let x = self.record(id);
        let semi_done = self.params().kind == JoinKind::LeftSemi
            && x.side == Side::Left
            && self.emitted(&Output::Semi { left: id });
        self.admitted(id) && !self.held(id) && self.can_still_match(x) && !semi_done
    }
}

impl Seen for Monitor {
    fn arrivals(&self) -> &Arrivals {
        &self.seen
    }

    fn emitted(&self, o: &Output) -> bool {
        self.emitted.binary_search(o).is_ok()
    }

    fn has_valid_partner(&self, x: &Record) -> bool {
        self.seen
            .records
            .iter()
            .filter(|o| o.side != x.side)
            .any(|o| match x.side {
                Side::Left => self.valid_pair(x, o),
                Side::Right => self.valid_pair(o, x),
            })
    }

    fn held(&self, id: RecordId) -> bool {
        self.stored.binary_search(&id).is_ok() || self.buffered.binary_search(&id).is_ok()
    }
}
