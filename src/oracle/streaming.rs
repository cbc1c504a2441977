//! The declarative semantics evaluated as a stream, with memory bounded by the live window.

use crate::engine::store::SideStore;
use crate::event::{Side, Step};
use crate::time::Watermark;

/// The declarative semantics evaluated as a stream: the outputs `crate::oracle` would expect,
/// computed with memory bounded by the records that can still match (the live window), not
/// by the trace. Late records by the spec's watermark, every valid pair as soon as both
/// records are in, and for outer joins a null row when a record leaves the window unmatched.
#[derive(Clone, Debug)]
pub struct StreamingOracle {
    params: crate::model::JoinParams,
    wm: crate::model::SpecWatermarks,
    /// Per side: admitted records that can still match, with whether they have matched,
    /// leaving oldest first.
    window: SideStore,
    ended: bool,
}

impl StreamingOracle {
    /// The oracle for `params`, before the first step.
    pub fn new(params: crate::model::JoinParams) -> StreamingOracle {
        StreamingOracle {
            params,
            wm: crate::model::SpecWatermarks::new(&params.watermark),
            window: Default::default(),
            ended: false,
        }
    }

    /// Records still in the window.
    pub fn live(&self) -> usize {
        self.window.len()
    }

    /// The spec's join watermark now.
    pub fn watermark(&self) -> Watermark {
        self.wm.join(&self.params.watermark)
    }

    /// The model's watermarks now.
    pub fn watermarks(&self) -> &crate::model::SpecWatermarks {
        &self.wm
    }

    /// The expected outputs of one step.
    pub fn step(&mut self, step: &Step, out: &mut Vec<crate::event::Output>) {
        self.step_departing(step, out, &mut |_| {});
    }

    /// The expected outputs of one step; `departed` hears of every record that leaves the
    /// window, and of a record of this step that never enters it (late, or unable to match
    /// anything later), after the outputs that name it.
    pub fn step_departing(
        &mut self,
        step: &Step,
        out: &mut Vec<crate::event::Output>,
        departed: &mut dyn FnMut(crate::event::Record),
    ) {
        use crate::event::Output;
        use crate::model::JoinKind;
        if self.ended {
            if let Step::Record(r) = *step {
                departed(r);
            }
            return;
        }
        // Paired with the checks at the end: a step adds at most its own record to the window.
        let live_before = self.live();
        let semi = self.params.kind == JoinKind::LeftSemi;
        if *step == Step::End && !self.params.flushes_at_end() {
            // A stream that does not end: what is in the window stays, without null rows.
            self.ended = true;
            return;
        }
        if let Step::Record(r) = *step {
            if self
                .params
                .watermark
                .lateness
                .is_late(r.ts, self.wm.judge(&self.params.watermark, r.side))
            {
                out.push(Output::Late(r.id));
                departed(r);
            } else {
                let matched = self.window.join(&self.params, &r, out);
                if semi && matched && r.side == Side::Left {
                    out.push(Output::Semi { left: r.id });
                }
                if self.params.can_still_match_now(&r, &self.wm, false) {
                    self.window[r.side.index()].insert(r.key, r.ts, r.id, matched);
                } else {
                    if !matched && self.params.kind.pads(r.side) {
                        out.push(Output::Unmatched(r.id));
                    }
                    departed(r);
                }
            }
        }
        self.wm.observe(&self.params.watermark, step);
        self.ended |= *step == Step::End;
        let (params, ended) = (self.params, self.ended);
        for side in Side::BOTH {
            let wm = self.wm.judge(&params.watermark, side.other());
            self.window[side.index()].pop_oldest_while(
                |key, ts, id| {
                    let record = crate::event::Record { side, key, ts, id };
                    !params.can_still_match(&record, wm, ended)
                },
                |key, e| {
                    if !e.matched && params.kind.pads(side) {
                        out.push(Output::Unmatched(e.id));
                    }
                    departed(crate::event::Record {
                        side,
                        key,
                        ts: e.ts,
                        id: e.id,
                    });
                },
            );
        }
        let grown = self.live().saturating_sub(live_before);
        assert!(
            grown <= usize::from(matches!(step, Step::Record(_))),
            "a step adds at most its record"
        );
        // A flushing end leaves nothing: every record's last chance is over.
        assert!(
            !self.ended || self.live() == 0,
            "the window is empty after a flushing end"
        );
    }
}
