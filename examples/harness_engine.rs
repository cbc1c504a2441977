//! How a downstream engine uses joincheck: implement `Engine` for the operator, then call
//! `joincheck::harness::check_spec` (normally from a `#[test]`). Here the "operator" is a
//! deliberately simple nested-loop join that keeps everything until end of input; run it to
//! see the harness name what it gets wrong:
//!
//!     cargo run --release --example harness_engine
use joincheck::engine::Engine;
use joincheck::event::{Output, Record, RecordId, Side};
use joincheck::model::JoinParams;
use joincheck::trace::Step;

/// Joins every record with every earlier one of the other side; never evicts before the end.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct NestedLoop {
    params: JoinParams,
    seen: Vec<Record>,
    ended: bool,
}

impl Engine for NestedLoop {
    fn step(&mut self, step: &Step, out: &mut Vec<Output>) {
        match step {
            Step::Record(r) if !self.ended => {
                for p in self.seen.iter().filter(|p| p.side != r.side) {
                    let (l, rr) = if r.side == Side::Left { (r, p) } else { (p, r) };
                    if self.params.matches(l, rr) {
                        out.push(Output::Match {
                            left: l.id,
                            right: rr.id,
                        });
                    }
                }
                self.seen.push(*r);
            }
            Step::End => {
                self.ended = true;
                self.seen.clear();
            }
            _ => {}
        }
    }

    fn stored(&self) -> Vec<RecordId> {
        let mut ids: Vec<RecordId> = self.seen.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids
    }

    fn pending_timers(&self) -> usize {
        0
    }
}

fn main() {
    // The bundled models are compiled into the crate: load one by name from any crate.
    let spec = joincheck::model::JoinSpec::bundled("reference-impressions-clicks").expect("a bundled model");
    let build = |params| NestedLoop {
        params,
        seen: Vec::new(),
        ended: false,
    };
    match joincheck::harness::check_spec(&spec, build, 1_000, 1) {
        Ok(report) => println!("holds: {report:?}"),
        Err(why) => println!("caught:\n{why}"),
    }
}
