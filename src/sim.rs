//! Seeded random workloads. Every random trace comes from one `u64` seed through ChaCha, so it
//! replays exactly, whatever else changes.

use crate::event::Side;
use crate::spec::JoinSpec;
use crate::time::{EventTime, Watermark};
use crate::trace::{Step, Trace};
use rand_chacha::rand_core::Rng;

/// A random trace from the scope's alphabet: up to twice the scope's records, its keys and
/// times, watermark steps, batch markers, processing times and snapshots, then the end.
pub fn random_trace(spec: &JoinSpec, rng: &mut impl Rng) -> Trace {
    let scope = spec.scope.as_ref().expect("a scope");
    let mut t = Trace::new();
    let mut count = [0usize; 2];
    let mut wm = [None::<EventTime>; 2];
    let mut proc = 0usize;
    let records = 2 * (usize::from(scope.records[0]) + usize::from(scope.records[1]));
    let pick = |rng: &mut dyn Rng, n: usize| (rng.next_u32() as usize) % n.max(1);
    while count[0] + count[1] < records {
        match pick(rng, 10) {
            0 if !scope.watermarks.is_empty() => {
                let side = if pick(rng, 2) == 0 { Side::Left } else { Side::Right };
                let w = scope.watermarks[pick(rng, scope.watermarks.len())];
                if wm[side.index()].is_none_or(|old| w > old) {
                    wm[side.index()] = Some(w);
                    t.push(Step::Watermark {
                        side: Some(side),
                        ts: Watermark::at(w),
                    });
                }
            }
            1 if scope.batches > 0 => t.push(Step::Batch),
            2 if proc < scope.processing_times.len() => {
                t.push(Step::ProcessingTime(scope.processing_times[proc]));
                proc += 1;
            }
            3 if scope.snapshots > 0 => t.push(Step::Snapshot),
            _ => {
                let side = if pick(rng, 2) == 0 { Side::Left } else { Side::Right };
                count[side.index()] += 1;
                let id = format!("{}{}", if side == Side::Left { "i" } else { "c" }, count[side.index()]);
                let key = &scope.keys[pick(rng, scope.keys.len())];
                let ts = scope.times[pick(rng, scope.times.len())];
                t.push_record(side, key, ts.as_millis(), &id);
            }
        }
    }
    if scope.batches > 0 {
        t.push(Step::Batch);
    }
    t.push(Step::End);
    t
}
