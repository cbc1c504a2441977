//! The properties over one whole run, at the cost of the run: the first step at which each
//! invariant breaks, and the [`Finding`] the [`Monitor`](super::Monitor) would give there.
//!
//! The monitor rescans everything it has seen at every step (it is the checker's state, and
//! the checker's traces are short). Over a long run that is cubic. The judge instead keeps
//! indexes (records by key, side and time; outputs counted; per side, stored records by the
//! last partner time they wait for) and, at each step, looks only at what the step can have
//! broken. That is exact because of what only moves one way:
//!
//! - the spec's watermarks only rise, and end of input comes once, so whether a record "can
//!   still match" only goes from yes to no; records, their lateness, and emitted outputs are
//!   never taken back; whether a record has a valid partner only goes from no to yes;
//! - so for every invariant the set of offending items at a step is (a subset of) the items
//!   this step touched, as long as no earlier step had one (after its first violation an
//!   invariant is not evaluated again): a spurious pair is spurious when emitted, a semi row
//!   stops being spurious when a partner arrives; a null row becomes wrong when emitted, or
//!   when a partner of its record arrives; a record is evicted too early on the step it leaves
//!   state; a record's lateness disagrees when it arrives, leaves the input buffer, or gets a
//!   `late` row; a stored record becomes a leak once the other side's watermark passes the last
//!   time a partner could have (found by a heap of those times);
//! - where several items offend at the first violating step, the finding names the first in
//!   the monitor's order (outputs sorted, records by arrival), and its contents (a leak's
//!   records) are computed from the whole state, with the monitor's own predicates.
//!
//! `differential_judge_*` tests compare both on every bundled trace and on random ones.

use super::monitor::{Arrivals, Finding, Seen};
use super::StepReport;
use crate::event::{Key, Output, Record, RecordId, Side};
use crate::model::{JoinKind, JoinParams};
use crate::property::Property;
use crate::time::Watermark;
use crate::trace::Trace;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

/// What the judge keeps of a run so far.
pub(super) struct Judge {
    seen: Arrivals,
    /// Per key, per side: the records by `(time, id)`.
    by_key: HashMap<Key, [BTreeSet<(i64, RecordId)>; 2]>,
    /// Every output so far, counted.
    emitted: HashMap<Output, u32>,
    stored: BTreeSet<RecordId>,
    buffered: BTreeSet<RecordId>,
    timers: usize,
    /// Outputs spurious now; semi rows among them, by key, until a partner arrives.
    spurious: BTreeSet<Output>,
    spurious_semi: HashMap<Key, Vec<RecordId>>,
    duplicates: BTreeSet<Output>,
    /// Records with a null row and, so far, no valid partner, by key.
    padded: HashMap<Key, Vec<RecordId>>,
    /// Per side, stored records that can match for a while, by the last time a partner of
    /// theirs can have (earliest first; entries of records no longer stored are skipped).
    deadlines: [BinaryHeap<Reverse<(i128, RecordId)>>; 2],
    /// Stored records that could never match (late, or an empty partner range).
    hopeless: BTreeSet<RecordId>,
    violations: Vec<(Property, usize, Finding)>,
}

/// What one step touched, for the invariants to look at.
#[derive(Default)]
struct Touched<'r> {
    arrived: Option<RecordId>,
    gone: Vec<RecordId>,
    unbuffered: Vec<RecordId>,
    outputs: &'r [Output],
    /// Null rows whose record got a valid partner on this step.
    now_matched: Vec<RecordId>,
}

impl Judge {
    /// The first violation of every invariant in the run `reports` of an engine over `trace`,
    /// sorted by property, and what the engine stored at the end.
    pub(super) fn judge(
        params: &JoinParams,
        trace: &Trace,
        reports: &[StepReport],
    ) -> (Vec<(Property, usize, Finding)>, Vec<RecordId>) {
        let mut judge = Judge::new(*params);
        judge.seen.records.reserve(trace.records().len());
        judge.seen.late.reserve(trace.records().len());
        for (i, r) in reports.iter().enumerate() {
            let touched = judge.observe(r);
            judge.evaluate(i, &touched);
        }
        judge.violations.sort_by_key(|(p, _, _)| *p);
        (judge.violations, judge.stored.into_iter().collect())
    }

    fn new(params: JoinParams) -> Judge {
        Judge {
            seen: Arrivals::new(params),
            by_key: HashMap::new(),
            emitted: HashMap::new(),
            stored: BTreeSet::new(),
            buffered: BTreeSet::new(),
            timers: 0,
            spurious: BTreeSet::new(),
            spurious_semi: HashMap::new(),
            duplicates: BTreeSet::new(),
            padded: HashMap::new(),
            deadlines: [BinaryHeap::new(), BinaryHeap::new()],
            hopeless: BTreeSet::new(),
            violations: Vec::new(),
        }
    }

    /// Takes in one step as the monitor does, and says what it touched.
    fn observe<'r>(&mut self, r: &'r StepReport) -> Touched<'r> {
        let mut touched = Touched::default();
        if let Some(x) = self.seen.observe(&r.step) {
            let sides = self.by_key.entry(x.key).or_default();
            sides[x.side.index()].insert((x.ts.as_millis(), x.id));
            touched.arrived = Some(x.id);
            self.partner_arrived(&x, &mut touched);
        }
        self.apply_state(r, &mut touched);
        for &o in &r.outputs {
            self.take_output(o);
        }
        touched.outputs = &r.outputs;
        touched
    }

    /// What an arriving record `y` settles: semi rows that were spurious for want of a
    /// partner, and null rows that now have a match.
    fn partner_arrived(&mut self, y: &Record, touched: &mut Touched<'_>) {
        if !self.admitted(y.id) {
            return;
        }
        if y.side == Side::Right {
            if let Some(lefts) = self.spurious_semi.get_mut(&y.key) {
                let records = &self.seen.records;
                let (params, late) = (&self.seen.params, &self.seen.late);
                let valid = |l: &RecordId| !late[l.index()] && params.matches(&records[l.index()], y);
                let settled: Vec<RecordId> = lefts.iter().copied().filter(|l| valid(l)).collect();
                lefts.retain(|l| !valid(l));
                for l in settled {
                    self.spurious.remove(&Output::Semi { left: l });
                }
            }
        }
        if let Some(waiting) = self.padded.get(&y.key) {
            let now: Vec<RecordId> = waiting
                .iter()
                .copied()
                .filter(|x| {
                    let x = &self.seen.records[x.index()];
                    x.side != y.side && self.valid_pair(x, y)
                })
                .collect();
            self.padded
                .get_mut(&y.key)
                .expect("looked up")
                .retain(|x| !now.contains(x));
            touched.now_matched = now;
        }
    }

    /// Applies what the step changed in the engine's state and input buffer.
    fn apply_state(&mut self, r: &StepReport, touched: &mut Touched<'_>) {
        for &id in &r.stored_out {
            self.stored.remove(&id);
            self.hopeless.remove(&id);
        }
        for &id in &r.buffered_out {
            self.buffered.remove(&id);
            touched.unbuffered.push(id);
        }
        for &id in &r.stored_in {
            self.stored.insert(id);
            self.add_deadline(id);
        }
        self.buffered.extend(r.buffered_in.iter().copied());
        self.timers = r.timers;
        let gone = r.stored_out.iter().chain(&r.buffered_out).chain(&touched.arrived);
        touched.gone = gone
            .copied()
            .filter(|id| !self.stored.contains(id) && !self.buffered.contains(id))
            .collect();
        touched.gone.sort_unstable();
        touched.gone.dedup();
    }

    fn add_deadline(&mut self, id: RecordId) {
        let x = self.seen.records[id.index()];
        let (lo, hi) = self.seen.params.bounds.partner_range(&x);
        let hi = hi.min(i128::from(i64::MAX));
        if !self.admitted(id) || lo > hi {
            self.hopeless.insert(id);
        } else {
            self.deadlines[x.side.index()].push(Reverse((hi, id)));
        }
    }

    fn take_output(&mut self, o: Output) {
        let n = self.emitted.entry(o).or_insert(0);
        *n += 1;
        if *n == 2 {
            self.duplicates.insert(o);
        }
        if self.is_spurious(&o) {
            self.spurious.insert(o);
            if let Output::Semi { left } = o {
                let l = self.seen.records[left.index()];
                if self.semi() && l.side == Side::Left {
                    self.spurious_semi.entry(l.key).or_default().push(left);
                }
            }
        }
        if let Output::Unmatched(id) = o {
            let x = self.seen.records[id.index()];
            if !self.has_valid_partner(&x) {
                self.padded.entry(x.key).or_default().push(id);
            }
        }
    }

    /// Evaluates every invariant not violated yet after step `i`.
    fn evaluate(&mut self, i: usize, touched: &Touched<'_>) {
        for p in Property::ALL.into_iter().filter(|p| !p.is_witness()) {
            if self.violations.iter().any(|(q, _, _)| *q == p) {
                continue;
            }
            if let Some(f) = self.finding(p, touched) {
                self.violations.push((p, i, f));
            }
        }
    }

    fn finding(&mut self, p: Property, touched: &Touched<'_>) -> Option<Finding> {
        match p {
            Property::NoLostMatch => self.lost_match(),
            Property::NoSpuriousOutput => self.spurious.first().map(|o| Finding::Spurious(*o)),
            Property::NoDuplicateOutput => self.duplicates.first().map(|o| Finding::Duplicate(*o)),
            Property::OuterExactlyOnce => self.outer_problem(touched),
            Property::NoPrematureEviction => touched
                .gone
                .iter()
                .copied()
                .find(|id| self.evicted_too_early(*id))
                .map(Finding::Premature),
            Property::NoStateLeak => self.state_leak(),
            Property::LatenessAgrees => self.lateness(touched),
            _ => panic!("{p} is a witness, not an invariant"),
        }
    }

    // The monitor's predicates, on the judge's indexes.

    fn semi(&self) -> bool {
        self.seen.params.kind == JoinKind::LeftSemi
    }

    /// The records of the other side whose time is in `x`'s partner range, by `(time, id)`.
    fn window<'a>(&'a self, x: &Record) -> impl Iterator<Item = RecordId> + 'a {
        let (lo, hi) = self.seen.params.bounds.partner_range(x);
        let clamp = |t: i128| t.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        let (lo, hi) = (clamp(lo), clamp(hi));
        let others = self.by_key.get(&x.key).map(|sides| &sides[x.side.other().index()]);
        let range = others
            .filter(|_| lo <= hi)
            .map(move |set| set.range((lo, RecordId(0))..=(hi, RecordId(u32::MAX))));
        range.into_iter().flatten().map(|(_, id)| *id)
    }

    fn is_spurious(&self, o: &Output) -> bool {
        let semi = self.semi();
        match *o {
            Output::Match { left, right } => {
                let (l, r) = (&self.seen.records[left.index()], &self.seen.records[right.index()]);
                semi || l.side != Side::Left || r.side != Side::Right || !self.valid_pair(l, r)
            }
            Output::Semi { left } => {
                let l = &self.seen.records[left.index()];
                !semi || l.side != Side::Left || !self.has_valid_partner(l)
            }
            Output::Unmatched(_) | Output::Late(_) => false,
        }
    }

    /// `no_lost_match`: at quiescence, the first valid pair (lefts by arrival, then their
    /// partners by arrival) never emitted.
    fn lost_match(&self) -> Option<Finding> {
        if !self.seen.ended {
            return None;
        }
        let semi = self.semi();
        self.seen
            .records
            .iter()
            .filter(|l| l.side == Side::Left && self.admitted(l.id))
            .find_map(|l| {
                let mut partners = self
                    .window(l)
                    .filter(|r| self.valid_pair(l, &self.seen.records[r.index()]));
                if semi {
                    let lost = !self.emitted(&Output::Semi { left: l.id }) && partners.next().is_some();
                    return lost.then_some(Finding::Lost {
                        left: l.id,
                        right: None,
                    });
                }
                partners
                    .filter(|r| !self.emitted(&Output::Match { left: l.id, right: *r }))
                    .min()
                    .map(|r| Finding::Lost {
                        left: l.id,
                        right: Some(r),
                    })
            })
    }

    /// `outer_exactly_once`: a null row emitted or matched on this step that is wrong, or (at
    /// quiescence) the first record owed a null row without one.
    fn outer_problem(&self, touched: &Touched<'_>) -> Option<Finding> {
        let emitted_now = touched.outputs.iter().filter_map(|o| match o {
            Output::Unmatched(id) => Some(*id),
            _ => None,
        });
        let wrong = emitted_now
            .chain(touched.now_matched.iter().copied())
            .filter_map(|id| self.null_row_problem(id).map(|problem| (id, problem)))
            .min_by_key(|(id, _)| *id);
        if let Some((id, problem)) = wrong {
            return Some(Finding::Outer { id, problem });
        }
        if !self.seen.ended {
            return None;
        }
        self.missing_null_row()
    }

    /// The watermark a stored record of `side` is held against for leaks: the one its partners
    /// are judged by, less the profile's cleanup slack.
    fn leak_watermark(&self, side: Side) -> Watermark {
        let slack = self.seen.params.profile.cleanup_slack();
        let wm = self.seen.wm.judge(&self.seen.params.watermark, side.other());
        Watermark::at(wm.time().saturating_sub(slack))
    }

    fn dead(&self, id: RecordId) -> bool {
        let x = &self.seen.records[id.index()];
        !self.admitted(id) || !self.seen.params.can_still_match(x, self.leak_watermark(x.side), false)
    }

    /// Whether some stored record is past its last chance: the earliest deadline per side
    /// against that side's watermark (stale entries dropped on the way).
    fn any_dead(&mut self) -> bool {
        if !self.hopeless.is_empty() {
            return true;
        }
        for side in Side::BOTH {
            let first_on_time = self
                .seen
                .params
                .watermark
                .lateness
                .first_on_time(self.leak_watermark(side));
            let heap = &mut self.deadlines[side.index()];
            while let Some(Reverse((hi, id))) = heap.peek().copied() {
                if !self.stored.contains(&id) {
                    heap.pop();
                    continue;
                }
                if first_on_time > hi {
                    return true;
                }
                break;
            }
        }
        false
    }

    /// `no_state_leak`, as the monitor has it.
    fn state_leak(&mut self) -> Option<Finding> {
        if self.seen.settled() {
            return (!self.stored.is_empty() || self.timers > 0).then(|| Finding::Leak {
                stored: self.stored.iter().copied().collect(),
                timers: self.timers,
                quiescent: true,
            });
        }
        if self.timers > self.stored.len() {
            return Some(Finding::OrphanTimers {
                timers: self.timers,
                stored: self.stored.len(),
            });
        }
        if !self.any_dead() {
            return None;
        }
        let dead: Vec<RecordId> = self.stored.iter().copied().filter(|id| self.dead(*id)).collect();
        debug_assert!(!dead.is_empty(), "a deadline passed, so some stored record is dead");
        (!dead.is_empty()).then_some(Finding::Leak {
            stored: dead,
            timers: self.timers,
            quiescent: false,
        })
    }

    /// `lateness_agrees`: among the records this step delivered, released from the input
    /// buffer or reported late, the first whose `late` row disagrees with the spec.
    fn lateness(&self, touched: &Touched<'_>) -> Option<Finding> {
        let reported_late = touched.outputs.iter().filter_map(|o| match o {
            Output::Late(id) => Some(*id),
            _ => None,
        });
        touched
            .arrived
            .into_iter()
            .chain(touched.unbuffered.iter().copied())
            .chain(reported_late)
            .filter(|id| !self.buffered.contains(id))
            .filter(|id| self.seen.late[id.index()] != self.emitted(&Output::Late(*id)))
            .min()
            .map(|id| Finding::Lateness {
                id,
                spec_late: self.seen.late[id.index()],
            })
    }
}

impl Seen for Judge {
    fn arrivals(&self) -> &Arrivals {
        &self.seen
    }

    fn emitted(&self, o: &Output) -> bool {
        self.emitted.contains_key(o)
    }

    fn has_valid_partner(&self, x: &Record) -> bool {
        self.window(x).any(|o| self.valid_pair(x, self.record(o)))
    }

    fn held(&self, id: RecordId) -> bool {
        self.stored.contains(&id) || self.buffered.contains(&id)
    }
}
