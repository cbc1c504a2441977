//! Seeded random workloads. Every random trace comes from one `u64` seed through ChaCha, so it
//! replays exactly, whatever else changes.

use crate::event::{Output, RecordId, Side};
use crate::model::JoinSpec;
use crate::time::{EventTime, Watermark};
use crate::trace::{Step, Trace};
use rand_chacha::rand_core::Rng;

/// A random trace from the scope's alphabet (up to twice the scope's records, its keys,
/// watermark steps, batch markers, processing times and snapshots, then the end), with event
/// times that do not share the scope's blind spots: a quarter of them from the scope's listed
/// times, half at one of the join's constants (see `model/domain.rs`) from an earlier record's
/// time, give or take up to 2 ms, and a quarter anywhere in a continuous range around them.
/// Explicit watermarks are drawn the same way. A 1 ms slip at any constant of the join is
/// then a few hundred traces away, whatever times the model's author listed.
pub fn random_trace(spec: &JoinSpec, rng: &mut impl Rng) -> Trace {
    let scope = spec.scope.as_ref().expect("a scope");
    let times = RandomTimes::new(spec);
    let mut t = Trace::new();
    let mut count = [0usize; 2];
    let mut wm = [None::<EventTime>; 2];
    let mut proc = 0usize;
    let mut seen: Vec<i64> = Vec::new();
    let records = 2 * (usize::from(scope.records[0]) + usize::from(scope.records[1]));
    let pick = |rng: &mut dyn Rng, n: usize| (rng.next_u32() as usize) % n.max(1);
    while count[0] + count[1] < records {
        match pick(rng, 10) {
            0 if !scope.watermarks.listed().is_empty() || scope.watermarks.is_derived() => {
                let side = if pick(rng, 2) == 0 { Side::Left } else { Side::Right };
                let w = times.draw(rng, scope.watermarks.listed(), &seen);
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
                let ts = times.draw(rng, scope.times.listed(), &seen);
                seen.push(ts.as_millis());
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

/// How [`random_trace`] draws event times.
struct RandomTimes {
    constants: Vec<i64>,
    /// The continuous range: the listed times (or 0) widened by the largest constant.
    range: (i64, i64),
    /// What the profile's engine can represent.
    limit: Option<std::ops::RangeInclusive<i64>>,
}

impl RandomTimes {
    fn new(spec: &JoinSpec) -> RandomTimes {
        let scope = spec.scope.as_ref().expect("a scope");
        let constants = crate::model::domain::constants(&spec.params);
        let span = constants.iter().map(|c| c.saturating_abs()).max().unwrap_or(0).max(1);
        let listed = scope.times.listed().iter().map(|t| t.as_millis());
        let lo = listed.clone().min().unwrap_or(0).min(0);
        let hi = listed.max().unwrap_or(0).max(0);
        RandomTimes {
            constants,
            range: (lo.saturating_sub(span), hi.saturating_add(span)),
            limit: {
                let engine = spec.params.profile.record_times().map(|(r, _)| r);
                match (engine, scope.time_range) {
                    (Some(r), Some((from, to))) => {
                        Some((*r.start()).max(from.as_millis())..=(*r.end()).min(to.as_millis()))
                    }
                    (None, Some((from, to))) => Some(from.as_millis()..=to.as_millis()),
                    (r, None) => r,
                }
            },
        }
    }

    fn draw(&self, rng: &mut impl Rng, listed: &[EventTime], seen: &[i64]) -> EventTime {
        let pick = |rng: &mut dyn Rng, n: usize| (rng.next_u32() as usize) % n.max(1);
        let ms = match pick(rng, 4) {
            0 if !listed.is_empty() => listed[pick(rng, listed.len())].as_millis(),
            0..=2 => {
                let from = match (seen.is_empty(), listed.is_empty()) {
                    (false, _) if pick(rng, 4) > 0 => seen[pick(rng, seen.len())],
                    (_, false) => listed[pick(rng, listed.len())].as_millis(),
                    _ => 0,
                };
                let jitter = [0, 0, -1, 1, -2, 2][pick(rng, 6)];
                from.saturating_add(self.constants[pick(rng, self.constants.len())])
                    .saturating_add(jitter)
            }
            _ => {
                let (lo, hi) = self.range;
                let width = (i128::from(hi) - i128::from(lo) + 1) as u128;
                let r = u128::from(rng.next_u64()) % width;
                i64::try_from(i128::from(lo) + r as i128).expect("inside the range")
            }
        };
        let ms = match &self.limit {
            Some(range) => ms.clamp(*range.start(), *range.end()),
            None => ms,
        };
        EventTime::from_millis(ms)
    }
}

/// A realistic impressions/clicks workload, generated lazily (see [`Workload::steps`]): the
/// model's `[workload]` or the default one (`crate::model::WorkloadSpec`).
pub use crate::model::WorkloadSpec as Workload;

/// A generated record before it is delivered: arrival time, then the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    arrival: i64,
    seq: u64,
    side: u8,
    key: u32,
    ts: i64,
}

/// The steps of a workload, in arrival order, generated on the fly with memory bounded by the
/// records in flight (those generated but not yet arrived); for a model whose watermarks come
/// from the trace, with the upstream generator's watermarks and processing times
/// (`UpstreamWatermarks`).
pub struct WorkloadSteps(UpstreamWatermarks<Generated>);

impl Iterator for WorkloadSteps {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        self.0.next()
    }
}

/// The records of a workload (and, for upstream watermarks, the processing-time readings at
/// which the generator emits them), in arrival order.
struct Generated {
    w: Workload,
    rng: rand_chacha::ChaCha8Rng,
    records: u64,
    emitted: u64,
    generated: u64,
    next_key: u32,
    clock_ms: f64,
    heap: std::collections::BinaryHeap<std::cmp::Reverse<Pending>>,
    since_batch: usize,
    ended: bool,
    /// Zipf weights' cumulative sums over the duplicate window.
    zipf: Vec<f64>,
    /// The key space's cumulative weights, when it is fixed.
    key_weights: Vec<f64>,
    /// The next processing time (arrival) at which to read the clock, when ticking.
    next_tick: Option<i64>,
    /// A record that arrived at a tick: delivered after the reading.
    held: Option<Step>,
}

impl Workload {
    /// The model's `[workload]`, or the default one; without a micro-batch size, batches of
    /// 10,000 records when `spec`'s engine works in batches and one unbroken stream otherwise.
    pub fn for_spec(spec: &JoinSpec) -> Workload {
        let batched = spec.params.profile.timing() == crate::model::Timing::PerBatch;
        let w = spec.workload.clone().unwrap_or_default();
        Workload {
            batch_records: Some(w.batch_records.unwrap_or(if batched { 10_000 } else { 0 })),
            upstream_watermarks: spec.params.watermark.source == crate::model::WatermarkSource::Trace,
            ..w
        }
    }

    /// The first `records` records of the workload for `seed`, then `end`.
    pub fn steps(&self, seed: u64, records: u64) -> WorkloadSteps {
        let mut acc = 0.0;
        let zipf = (1..=self.duplicate_window.max(1))
            .map(|k| {
                acc += 1.0 / (k as f64).powf(self.zipf_s);
                acc
            })
            .collect();
        let mut acc = 0.0;
        let key_weights = (1..=self.keys.unwrap_or(0))
            .map(|k| {
                acc += 1.0 / f64::from(k).powf(self.key_skew);
                acc
            })
            .collect();
        let generated = Generated {
            next_tick: self.upstream_watermarks.then_some(i64::MIN),
            held: None,
            key_weights,
            w: self.clone(),
            rng: <rand_chacha::ChaCha8Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(seed),
            records,
            emitted: 0,
            generated: 0,
            next_key: 0,
            clock_ms: self.start_ms as f64,
            heap: std::collections::BinaryHeap::new(),
            since_batch: 0,
            ended: false,
            zipf,
        };
        let delay = if self.upstream_watermarks {
            Some(self.watermark_delay.map(crate::time::Duration::from_millis))
        } else {
            None
        };
        WorkloadSteps(UpstreamWatermarks::new(generated, delay))
    }
}

impl Generated {
    fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn draw(&mut self, spread: &crate::model::Spread) -> i64 {
        spread.sample(&mut || self.uniform())
    }

    fn arrival(&mut self, side: Side, ts: i64) -> i64 {
        let spread = self.w.arrival[side.index()].clone();
        let mut disorder = self.draw(&spread);
        if self.uniform() < self.w.late_fraction {
            disorder = disorder.saturating_mul(self.w.late_factor);
        }
        ts.saturating_add(disorder)
    }

    fn push(&mut self, side: Side, key: u32, ts: i64) {
        if self.w.idle(side, ts) {
            return;
        }
        let arrival = self.arrival(side, ts);
        self.generated += 1;
        let seq = self.generated;
        self.heap.push(std::cmp::Reverse(Pending {
            arrival,
            seq,
            side: side.index() as u8,
            key,
            ts,
        }));
    }

    /// Generates one impression (and its clicks).
    fn generate(&mut self) {
        self.clock_ms += -self.uniform().max(f64::MIN_POSITIVE).ln() * 1000.0 / self.w.impressions_per_sec;
        let ts = self.clock_ms as i64;
        let key = if let Some(n) = self.w.keys {
            // A fixed key space, Zipf-skewed (or uniform at skew 0).
            let total = *self.key_weights.last().unwrap_or(&1.0);
            let x = self.uniform() * total;
            (self.key_weights.partition_point(|c| *c < x) as u32).min(n.saturating_sub(1))
        } else if self.next_key > 0 && self.uniform() < self.w.duplicate_fraction {
            let total = *self.zipf.last().expect("a window");
            let x = self.uniform() * total;
            let back = self.zipf.partition_point(|c| *c < x) as u32 + 1;
            self.next_key.saturating_sub(back.min(self.next_key))
        } else {
            self.next_key += 1;
            self.next_key - 1
        };
        self.push(Side::Left, key, ts);
        if self.uniform() < self.w.click_through {
            let mut clicks = 1;
            while self.uniform() < self.w.extra_clicks / (1.0 + self.w.extra_clicks) {
                clicks += 1;
            }
            for _ in 0..clicks {
                let spread = self.w.click_after.clone();
                let delay = self.draw(&spread);
                self.push(Side::Right, key, ts.saturating_add(delay));
            }
        }
    }
}

/// A generated record step, with its interned key and id (the id is the arrival number).
impl Iterator for Generated {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        if let Some(step) = self.held.take() {
            return Some(step);
        }
        if self.ended {
            return None;
        }
        let batch_records = self.w.batch_records.unwrap_or(0);
        if batch_records > 0 && self.since_batch >= batch_records {
            self.since_batch = 0;
            return Some(Step::Batch);
        }
        if self.emitted >= self.records {
            self.ended = true;
            return Some(Step::End);
        }
        // Deliver the earliest arrival once no later-generated record can arrive before it:
        // every future record has event time >= the clock, so arrives at or after it.
        loop {
            let ready = self.heap.peek().is_some_and(|p| p.0.arrival <= self.clock_ms as i64);
            if ready {
                break;
            }
            self.generate();
        }
        let p = self.heap.pop().expect("ready").0;
        self.emitted += 1;
        self.since_batch += 1;
        let side = if p.side == 0 { Side::Left } else { Side::Right };
        let id = crate::event::RecordId(u32::try_from(self.emitted - 1).expect("at most 2^32 records"));
        let record = Step::Record(crate::event::Record {
            side,
            key: crate::event::Key(p.key),
            ts: EventTime::from_millis(p.ts),
            id,
        });
        match self.next_tick {
            // The clock is read (and the upstream watermarks emitted) once an interval has
            // passed, before the record that arrives then.
            Some(tick) if p.arrival >= tick => {
                self.next_tick = Some(p.arrival.saturating_add(self.w.watermark_interval.max(1)));
                self.held = Some(record);
                Some(Step::ProcessingTime(crate::time::ProcessingTime::from_millis(
                    p.arrival,
                )))
            }
            _ => Some(record),
        }
    }
}

/// Flink's periodic `BoundedOutOfOrderness` watermark generator upstream of a join whose
/// watermarks come from the trace: after each `processing_time` step (the auto-watermark
/// interval's tick), each input's watermark becomes the largest event time it has carried
/// minus its delay minus 1 ms (`BoundedOutOfOrdernessWatermarks.onPeriodicEmit`), emitted when
/// it moves on; an input with no records yet emits none. `None` passes the steps through.
/// Existing watermark steps are dropped when a delay is given, so a trace can be re-watermarked
/// (`joincheck advise` sweeps the delay over one generated trace this way).
pub(crate) struct UpstreamWatermarks<I> {
    inner: I,
    delay: Option<[crate::time::Duration; 2]>,
    front: [Option<i64>; 2],
    sent: [Option<i64>; 2],
    queue: std::collections::VecDeque<Step>,
}

impl<I: Iterator<Item = Step>> UpstreamWatermarks<I> {
    /// `steps` with the watermarks of a generator of `delay` per side (none when `None`).
    pub fn new(steps: I, delay: Option<[crate::time::Duration; 2]>) -> UpstreamWatermarks<I> {
        UpstreamWatermarks {
            inner: steps,
            delay,
            front: [None; 2],
            sent: [None; 2],
            queue: std::collections::VecDeque::new(),
        }
    }
}

impl<I: Iterator<Item = Step>> Iterator for UpstreamWatermarks<I> {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        if let Some(step) = self.queue.pop_front() {
            return Some(step);
        }
        let Some(delay) = self.delay else {
            return self.inner.next();
        };
        loop {
            let step = self.inner.next()?;
            match step {
                Step::Watermark { .. } => continue,
                Step::Record(r) => {
                    let f = &mut self.front[r.side.index()];
                    *f = Some(f.map_or(r.ts.as_millis(), |f| f.max(r.ts.as_millis())));
                }
                Step::ProcessingTime(_) => {
                    for side in Side::BOTH {
                        let Some(front) = self.front[side.index()] else {
                            continue;
                        };
                        let wm = front.saturating_sub(delay[side.index()].as_millis()).saturating_sub(1);
                        if self.sent[side.index()].is_none_or(|old| wm > old) {
                            self.sent[side.index()] = Some(wm);
                            self.queue.push_back(Step::Watermark {
                                side: Some(side),
                                ts: Watermark::at(EventTime::from_millis(wm)),
                            });
                        }
                    }
                }
                _ => {}
            }
            return Some(step);
        }
    }
}

pub use crate::oracle::StreamingOracle;

/// A generated step as a trace line: ids `i<n>` / `c<n>` (n the arrival number), keys `k<n>`.
pub(crate) fn step_line(step: &Step) -> String {
    let mut buf = Vec::new();
    crate::format::write_step(&mut buf, step, |buf, r| {
        let id = format!("{}{}", if r.side == Side::Left { "i" } else { "c" }, r.id.0);
        crate::format::write_record(buf, r.side, &format!("k{}", r.key.0), r.ts, &id);
    });
    String::from_utf8(buf).expect("the writers write UTF-8")
}

/// What a simulation found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimReport {
    /// Records generated and run.
    pub records: u64,
    /// Pairs the streaming oracle expects.
    pub expected_matches: u64,
    /// Pairs the engine emitted.
    pub emitted_matches: u64,
    /// Expected pairs the engine never emitted where it called one of the two records late.
    pub lost_matches_late: u64,
    /// Expected pairs and semi rows never emitted, for any other reason.
    pub lost_matches_other: u64,
    /// Other expected rows (null rows, late rows) never emitted.
    pub missing_other_rows: u64,
    /// Rows the engine emitted that the semantics do not expect.
    pub extra_rows: u64,
    /// ... of which null rows (an `outer_exactly_once` matter: eager rows, rows for records
    /// with a match).
    pub extra_null_rows: u64,
    /// `late` rows the streaming oracle expects.
    pub late_expected: u64,
    /// `late` rows the engine emitted.
    pub late_emitted: u64,
    /// The engine's largest state size (records) among the samples, about a thousand per run.
    pub state_max: usize,
    /// The 99th percentile of the sampled state sizes (records).
    pub state_p99: usize,
    /// The median of the sampled state sizes (records).
    pub state_p50: usize,
    /// How far the join's watermark trailed the largest event time seen, in ms: the largest
    /// sample.
    pub watermark_lag_max_ms: i64,
    /// The 99th percentile of the sampled watermark lags, in ms.
    pub watermark_lag_p99_ms: i64,
    /// The live window of the streaming oracle at its largest (its memory bound).
    pub oracle_window_max: usize,
    /// Records per second of engine time (the engine's steps only).
    pub engine_records_per_sec: f64,
    /// Records per second of the whole run (generation, oracle and engine).
    pub run_records_per_sec: f64,
    /// Samples for pictures: (event time, state size, watermark lag).
    pub samples: Vec<(i64, usize, i64)>,
    /// What the run emits of the ideal join (every record admitted, state forever), and
    /// what it loses by cause (`crate::oracle::ideal`).
    pub loss: crate::oracle::ideal::Loss,
}

/// Runs `engine` on `records` records of `workload` (seed `seed`) against the streaming
/// oracle; every step also goes to `sink` if given (to write the trace).
pub fn simulate(
    spec: &JoinSpec,
    engine: impl crate::engine::Engine,
    workload: &Workload,
    seed: u64,
    records: u64,
    sink: &mut dyn FnMut(&Step),
    progress: &mut dyn FnMut(u64),
) -> SimReport {
    run_steps(spec, engine, workload.steps(seed, records), records, sink, progress)
}

/// Runs `engine` on `steps` (holding `records` records) against the streaming oracle and the
/// ideal join: what [`simulate`] does with a generated workload, and `joincheck advise` with
/// one trace, generated or read once, for every setting it tries.
pub(crate) fn run_steps(
    spec: &JoinSpec,
    mut engine: impl crate::engine::Engine,
    steps: impl Iterator<Item = Step>,
    records: u64,
    sink: &mut dyn FnMut(&Step),
    progress: &mut dyn FnMut(u64),
) -> SimReport {
    let mut run = Run::new(spec, &engine, records, true);
    for step in steps {
        sink(&step);
        run.step(&mut engine, &step, &mut |_| {}, progress);
    }
    run.finish()
}

/// Runs `engine` on a trace read line by line from `input` (`file` names it in errors), with
/// memory bounded by what the engine and the streaming oracle hold, not by the trace: record
/// names are forgotten once neither holds the record (checked every 65,536 records), and the
/// state and lag samples are thinned as they grow. The ideal join keeps every record, so it
/// runs only when `ideal` is set.
pub(crate) fn run_stream<E: crate::engine::Engine>(
    spec: &JoinSpec,
    engine: E,
    input: impl std::io::BufRead,
    file: &str,
    ideal: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<(SimReport, StreamRun), crate::error::StreamError> {
    let mut streamed = Streamed {
        spec,
        run: Run::new(spec, &engine, 0, ideal),
        engine,
        // The tally and the ideal join name records after their names are gone.
        names: crate::format::StreamNames::new(crate::format::Ids::Unique),
        departed: Vec::new(),
        progress,
        names_max: 0,
    };
    let fed = crate::format::feed(input, file, &mut streamed)?;
    let stats = StreamRun {
        lines: fed.lines,
        names_max: streamed.names_max,
    };
    Ok((streamed.run.finish(), stats))
}

/// What [`run_stream`] read and held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StreamRun {
    /// Trace lines read.
    pub lines: u64,
    /// The most record names held at once.
    pub names_max: usize,
}

/// The line feed's client in [`run_stream`]: the run, and the names of what it holds.
struct Streamed<'a, E> {
    spec: &'a JoinSpec,
    run: Run,
    engine: E,
    names: crate::format::StreamNames,
    /// Records the streaming oracle let go of whose names are still held: the engine may
    /// still hold them.
    departed: Vec<RecordId>,
    progress: &'a mut dyn FnMut(u64),
    names_max: usize,
}

impl<E: crate::engine::Engine> crate::format::Client for Streamed<'_, E> {
    fn names(&mut self) -> &mut crate::format::StreamNames {
        &mut self.names
    }

    fn check(&self, step: &Step, file: &str, line: usize) -> Result<(), crate::error::InputError> {
        self.spec.check_step(step, file, Some(line))
    }

    fn step(&mut self, step: &Step) -> Result<(), crate::error::StreamError> {
        let departed = &mut self.departed;
        self.run
            .step(&mut self.engine, step, &mut |r| departed.push(r.id), self.progress);
        if matches!(step, Step::Record(_)) && self.run.report.records % 65_536 == 0 {
            let mut held = self.engine.stored();
            held.extend(self.engine.buffered());
            held.sort_unstable();
            let names = &mut self.names;
            self.departed.retain(|&id| {
                let engine_holds = held.binary_search(&id).is_ok();
                if !engine_holds {
                    names.release(id);
                }
                engine_holds
            });
        }
        self.names_max = self.names_max.max(self.names.len());
        Ok(())
    }
}

/// One run in progress: the streaming oracle, the tally, the samples, and the ideal join.
struct Run {
    started: std::time::Instant,
    engine_time: std::time::Duration,
    oracle: StreamingOracle,
    report: SimReport,
    tally: Tally,
    samples: Samples,
    ideal: Option<crate::oracle::ideal::IdealJoin>,
    /// The model's watermarks before end of input, once it came.
    before_end: Option<crate::model::SpecWatermarks>,
    expected: Vec<Output>,
    actual: Vec<Output>,
}

impl Run {
    fn new(spec: &JoinSpec, engine: &impl crate::engine::Engine, records: u64, ideal: bool) -> Run {
        let oracle = StreamingOracle::new(spec.params);
        let initial = engine.watermarks().map_or(oracle.watermark(), |w| w.join);
        Run {
            started: std::time::Instant::now(),
            engine_time: std::time::Duration::ZERO,
            oracle,
            report: SimReport::default(),
            tally: Tally::default(),
            samples: Samples::new(records, initial),
            ideal: ideal.then(|| crate::oracle::ideal::IdealJoin::new(spec.params)),
            before_end: None,
            expected: Vec::new(),
            actual: Vec::new(),
        }
    }

    fn step(
        &mut self,
        engine: &mut impl crate::engine::Engine,
        step: &Step,
        departed: &mut dyn FnMut(crate::event::Record),
        progress: &mut dyn FnMut(u64),
    ) {
        self.expected.clear();
        self.actual.clear();
        if let (Step::Record(r), Some(ideal)) = (step, self.ideal.as_mut()) {
            ideal.record(r, self.oracle.watermark());
        }
        if *step == Step::End {
            self.before_end = Some(*self.oracle.watermarks());
        }
        self.oracle.step_departing(step, &mut self.expected, departed);
        let t = std::time::Instant::now();
        engine.step(step, &mut self.actual);
        self.engine_time += t.elapsed();
        self.tally.count(&mut self.report, &self.expected, &self.actual);
        if let Some(ideal) = self.ideal.as_mut() {
            self.actual.iter().for_each(|o| ideal.output(o));
        }
        self.report.oracle_window_max = self.report.oracle_window_max.max(self.oracle.live());
        if let Step::Record(r) = step {
            self.report.records += 1;
            let (oracle, engine_ref) = (&self.oracle, &*engine);
            let wm = || engine_ref.watermarks().map_or(oracle.watermark(), |w| w.join);
            self.samples
                .record(&mut self.report, r.ts.as_millis(), || engine_ref.stored_len(), wm);
            if self.samples.seen % 100_000 == 0 {
                progress(self.samples.seen);
            }
        }
    }

    fn finish(mut self) -> SimReport {
        self.tally.settle(&mut self.report);
        if let Some(ideal) = &self.ideal {
            let last = self.before_end.as_ref().unwrap_or(self.oracle.watermarks());
            self.report.loss = ideal.finish(last);
        }
        self.samples.finish(&mut self.report);
        let records = self.report.records as f64;
        self.report.engine_records_per_sec = records / self.engine_time.as_secs_f64().max(1e-9);
        self.report.run_records_per_sec = records / self.started.elapsed().as_secs_f64().max(1e-9);
        self.report
    }
}

/// Expected minus emitted, per row; settled rows are removed, so this stays small while the
/// engine agrees. Records the engine called late explain the pairs it lost with them.
#[derive(Default)]
struct Tally {
    balance: std::collections::HashMap<Output, i64>,
    engine_late: std::collections::HashSet<RecordId>,
}

impl Tally {
    fn count(&mut self, report: &mut SimReport, expected: &[Output], actual: &[Output]) {
        for o in expected {
            report.expected_matches += u64::from(matches!(o, Output::Match { .. }));
            report.late_expected += u64::from(matches!(o, Output::Late(_)));
            *self.balance.entry(*o).or_default() += 1;
        }
        for o in actual {
            report.emitted_matches += u64::from(matches!(o, Output::Match { .. }));
            if let Output::Late(id) = o {
                report.late_emitted += 1;
                self.engine_late.insert(*id);
            }
            *self.balance.entry(*o).or_default() -= 1;
        }
        for o in expected.iter().chain(actual) {
            if self.balance.get(o) == Some(&0) {
                self.balance.remove(o);
            }
        }
    }

    /// What is left unbalanced at the end, by cause.
    fn settle(self, report: &mut SimReport) {
        for (o, n) in self.balance {
            if n <= 0 {
                report.extra_rows += n.unsigned_abs();
                if matches!(o, Output::Unmatched(_)) {
                    report.extra_null_rows += n.unsigned_abs();
                }
                continue;
            }
            match o {
                Output::Match { left, right }
                    if self.engine_late.contains(&left) || self.engine_late.contains(&right) =>
                {
                    report.lost_matches_late += n as u64
                }
                Output::Match { .. } | Output::Semi { .. } => report.lost_matches_other += n as u64,
                _ => report.missing_other_rows += n as u64,
            }
        }
    }
}

/// State size and watermark lag, sampled about a thousand times over the run.
struct Samples {
    every: u64,
    seen: u64,
    max_ts: i64,
    states: Vec<usize>,
    lags: Vec<i64>,
    /// The engine's watermark before the first record: lag is measured only once the
    /// watermark has left it (Spark's starts at 0, which is not a lag of 55 years).
    initial: Watermark,
}

impl Samples {
    fn new(records: u64, initial: Watermark) -> Samples {
        Samples {
            // Unknown (streamed): start at every record and thin as the samples grow.
            every: (records / 1000).max(1),
            seen: 0,
            max_ts: i64::MIN,
            states: Vec::new(),
            lags: Vec::new(),
            initial,
        }
    }

    /// Counts a record at `ts`, and samples the engine's state and watermark lag when due.
    fn record(
        &mut self,
        report: &mut SimReport,
        ts: i64,
        state: impl FnOnce() -> usize,
        watermark: impl FnOnce() -> Watermark,
    ) {
        self.seen += 1;
        self.max_ts = self.max_ts.max(ts);
        if self.seen % self.every != 0 {
            return;
        }
        let state = state();
        let wm = watermark();
        // No lag before the watermark first moves: there is no watermark to lag yet.
        let lag = if wm == Watermark::MIN || wm == self.initial {
            0
        } else {
            let lag = self.max_ts.saturating_sub(wm.as_millis());
            self.lags.push(lag);
            lag
        };
        self.states.push(state);
        report.samples.push((ts, state, lag));
        // Memory stays bounded when the length was not known: keep every other sample and
        // sample half as often from here on.
        if report.samples.len() >= 4096 {
            fn half<T>(v: &mut Vec<T>) {
                let mut i = 0;
                v.retain(|_| {
                    i += 1;
                    i % 2 == 0
                })
            }
            half(&mut self.states);
            half(&mut self.lags);
            half(&mut report.samples);
            self.every *= 2;
        }
    }

    fn finish(mut self, report: &mut SimReport) {
        self.states.sort_unstable();
        self.lags.sort_unstable();
        let p99 = |n: usize| n.saturating_sub(1) * 99 / 100;
        report.state_max = self.states.last().copied().unwrap_or(0);
        report.state_p99 = self.states.get(p99(self.states.len())).copied().unwrap_or(0);
        report.state_p50 = self
            .states
            .get(self.states.len().saturating_sub(1) / 2)
            .copied()
            .unwrap_or(0);
        report.watermark_lag_max_ms = self.lags.last().copied().unwrap_or(0);
        report.watermark_lag_p99_ms = self.lags.get(p99(self.lags.len())).copied().unwrap_or(0);
    }
}
