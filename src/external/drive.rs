//! `drive`'s search: every trace the scope enumerates (shortest first) and seeded random ones,
//! each run on the program from a reset and judged against the model's profile; findings
//! grouped by [`Kind`], each shrunk to a minimal trace of its own kind, with the program's own
//! run on it as the timeline.

use super::answer::Replay;
use super::Session;
use super::{Answers, ExternalEngine, ProtocolError};
use crate::error::InputError;
use crate::event::Output;
use crate::model::JoinSpec;
use crate::run::monitor_run;
use crate::run::{disagreement, Disagreement, Kind, MonitoredRun};
use crate::trace::Trace;
use std::collections::BTreeMap;

/// One kind of disagreement with the model's profile, shown on its shortest trace.
#[derive(Clone, Debug)]
pub struct DriveFinding {
    /// The kind of disagreement.
    pub kind: Kind,
    /// Whether the allow-list names this kind (reported, not failing).
    pub allowed: bool,
    /// How many driven traces showed this kind.
    pub traces: usize,
    /// The counterexample, shrunk so that it still shows this kind.
    pub trace: Trace,
    /// Steps of the shortest trace that showed it, before shrinking.
    pub found_steps: usize,
    /// How the program disagrees on the shrunk trace, and after which step.
    pub disagreement: Disagreement,
    /// The program's own run on the shrunk trace, from a reset, judged.
    pub judged: Box<Judged>,
}

/// What `drive` found.
#[derive(Clone, Debug)]
pub struct DriveReport {
    /// How many enumerated traces of the scope were driven.
    pub enumerated: usize,
    /// Whether enumeration stopped at `max_traces` before the scope was exhausted.
    pub truncated: bool,
    /// Every trace of the scope with up to this many steps was driven (traces are
    /// enumerated shortest first).
    pub complete_up_to: usize,
    /// How many seeded random traces were driven.
    pub random: usize,
    /// How many varied random traces were driven (`external/vary.rs`): after a search that
    /// found nothing, traces whose key names, ids or times leave what the scope fixes.
    pub varied: usize,
    /// The state checks every run could take part in (by what the program reported).
    pub state_checks: crate::run::StateChecks,
    /// What the program chose in its answer to the opening reset.
    pub session: Option<Session>,
    /// Whether the search stopped at a finding before covering what it was asked to.
    pub stopped_early: bool,
    /// Every kind found: not allowed first, then shortest first.
    pub findings: Vec<DriveFinding>,
}

impl DriveReport {
    /// Whether a finding that is not allowed was made.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| !f.allowed)
    }
}

/// How `drive` explores.
#[derive(Clone, Debug, Default)]
pub struct DriveOptions {
    /// Seeded random traces (after the enumerated ones; before them when the scope derives its
    /// times).
    pub random: usize,
    /// Seed of the random traces: the same seed gives the same traces.
    pub seed: u64,
    /// Varied random traces per variation (confusable keys, shared ids, times at each 64-bit
    /// end), driven when the search before them found nothing.
    pub varied: usize,
    /// Stop enumerating after this many traces (the report says so).
    pub max_traces: Option<usize>,
    /// Run the whole scope and report every kind of finding, not only the first.
    pub keep_going: bool,
    /// Kinds of finding that are known profile differences: reported, never failing, and the
    /// search goes on past them.
    pub allow: AllowList,
}

/// How many enumerated traces `drive` runs when the scope derives its times and
/// [`DriveOptions::max_traces`] is not given.
pub const DERIVED_TRACES: usize = 20_000;

/// Known differences, by [`Kind`]: one kind per line as reports print it
/// (`profile: retracted unmatched`, `no_state_leak: leak at end`), optionally followed by
/// `# why`; blank lines and lines starting with `#` are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList {
    /// Each allowed kind with the reason its line gives (may be empty).
    pub entries: Vec<(Kind, String)>,
}

impl AllowList {
    /// Reads an allow-list; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<AllowList, InputError> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let (kind, why) = line.split_once('#').unwrap_or((line, ""));
            if kind.trim().is_empty() {
                continue;
            }
            let Some(k) = Kind::parse(kind) else {
                return Err(InputError::new(
                    file,
                    format!(
                        "{:?} is not a kind of finding; write one as drive prints it, such as \
                         \"profile: retracted unmatched\" or \"no_state_leak: leak at end\" \
                         (docs/PROTOCOL.md lists them)",
                        kind.trim()
                    ),
                )
                .at_line(i + 1));
            };
            entries.push((k, why.trim().to_owned()));
        }
        Ok(AllowList { entries })
    }

    /// Reads an allow-list file.
    pub fn load(path: &std::path::Path) -> Result<AllowList, InputError> {
        AllowList::parse(&crate::error::read_text(path)?, &path.display().to_string())
    }

    /// Whether `kind` is allowed.
    pub fn allows(&self, kind: Kind) -> bool {
        self.entries.iter().any(|(k, _)| *k == kind)
    }
}

/// One trace run on the program and judged.
#[derive(Clone, Debug)]
pub struct Judged {
    /// The first disagreement with the profile, if any.
    pub disagreement: Option<Disagreement>,
    /// The program's answers.
    pub answers: Answers,
    /// The program's run (its net rows), as the monitor saw it.
    pub run: MonitoredRun,
    /// The profile engine's run on the same trace, as the program's was judged against it (for
    /// a program whose rows are a changelog, every row but `late` ones at the end of input).
    pub profile: MonitoredRun,
}

/// Runs `trace` on the program from a reset and judges its answers against `spec`'s profile:
/// rows (net of retractions) as multisets per step, the invariants the profile keeps (leak
/// checks only when the program reports its state after every step), retractions.
pub fn judge(spec: &JoinSpec, ext: &mut ExternalEngine, trace: &Trace) -> Result<Judged, ProtocolError> {
    let (answers, net) = ext.run(trace)?;
    let profile = monitor_run(&spec.params, crate::engine::for_spec(spec), trace);
    let changelog = ext.session().is_some_and(|s| s.retracts);
    let (disagreement, run, profile) = if !changelog {
        let run = monitor_run(&spec.params, Replay::new(&answers, net.rows), trace);
        let d = disagreement(&spec.params, trace, &profile, &run, answers.state_checks(), &[]);
        (d, run, profile)
    } else {
        // A program whose rows are a changelog is judged on its net rows as of the end of
        // input (when they will no longer be withdrawn), against every row the profile emits:
        // as multisets over the whole run, not step by step. `late` rows are final when
        // written and are compared at their step.
        let last = net.rows.len() - 1;
        let late = |o: &Output| matches!(o, Output::Late(_));
        let mut rows: Vec<Vec<Output>> = net
            .rows
            .iter()
            .map(|r| r.iter().copied().filter(late).collect())
            .collect();
        rows[last].extend(net.rows.iter().flatten().copied().filter(|o| !late(o)));
        let run = monitor_run(&spec.params, Replay::new(&answers, rows), trace);
        let mut whole = profile.clone();
        for e in whole.emitted.iter_mut().filter(|e| !late(&e.output)) {
            e.at.step = Some(last);
        }
        let d = disagreement(
            &spec.params,
            trace,
            &whole,
            &run,
            answers.state_checks(),
            &net.retractions,
        );
        (d, run, whole)
    };
    Ok(Judged {
        disagreement,
        answers,
        run,
        profile,
    })
}

/// What the search holds per kind: the shortest trace that showed it and how many did.
struct Seen {
    trace: Trace,
    traces: usize,
}

/// Drives `ext` through `spec`'s scope (see the module doc and docs/PROTOCOL.md) and returns
/// what it found. Without [`DriveOptions::keep_going`] it stops at the first finding that is
/// not allowed.
pub fn drive(
    spec: &JoinSpec,
    ext: &mut ExternalEngine,
    options: &DriveOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<DriveReport, ProtocolError> {
    let mut report = DriveReport {
        enumerated: 0,
        truncated: false,
        complete_up_to: 0,
        random: 0,
        varied: 0,
        state_checks: crate::checker::StateChecks::All,
        session: None,
        stopped_early: false,
        findings: Vec::new(),
    };
    let mut search = Search {
        spec,
        ext,
        options,
        seen: BTreeMap::new(),
    };
    // With derived times the scope's traces are far more than can be driven; seeded random
    // traces find a slip in hundreds, so they go first, and the enumeration (shortest traces
    // first) covers what it can after them.
    let derived = spec
        .scope
        .as_ref()
        .is_some_and(|s| s.times.is_derived() || s.watermarks.is_derived());
    let mut go_on = true;
    if derived {
        go_on = search.random(&mut report, progress)?;
    }
    if go_on {
        go_on = search.enumerate(&mut report, derived, progress)?;
    }
    if go_on && !derived {
        go_on = search.random(&mut report, progress)?;
    }
    // Where the scope's own traces found nothing, what they never vary.
    if go_on && search.seen.is_empty() {
        search.varied(&mut report, progress)?;
    }
    report.session = search.ext.session();
    report.findings = search.findings()?;
    Ok(report)
}

/// A search in progress: what it drives, and per kind the shortest trace that showed it.
struct Search<'a> {
    spec: &'a JoinSpec,
    ext: &'a mut ExternalEngine,
    options: &'a DriveOptions,
    seen: BTreeMap<Kind, Seen>,
}

impl Search<'_> {
    /// Judges one trace; `false` stops the search.
    fn visit(&mut self, trace: Trace, report: &mut DriveReport) -> Result<bool, ProtocolError> {
        let judged = judge(self.spec, self.ext, &trace)?;
        // A varied trace with shared ids leaves some states unknown by design (the protocol's
        // `stored` names ids without sides): not a shortcoming of the program's reports.
        if report.varied == 0 {
            report.state_checks = report.state_checks.min(judged.answers.state_checks());
        }
        let Some(d) = judged.disagreement else {
            return Ok(true);
        };
        let entry = self.seen.entry(d.kind).or_insert_with(|| Seen {
            trace: trace.clone(),
            traces: 0,
        });
        entry.traces += 1;
        if trace.steps().len() < entry.trace.steps().len() {
            entry.trace = trace;
        }
        let go_on = self.options.keep_going || self.options.allow.allows(d.kind);
        report.stopped_early |= !go_on;
        Ok(go_on)
    }

    /// The seeded random traces; `false` when the search stopped.
    fn random(&mut self, report: &mut DriveReport, progress: &mut dyn FnMut(usize)) -> Result<bool, ProtocolError> {
        let mut rng =
            <rand_chacha::ChaCha8Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(self.options.seed);
        for _ in 0..self.options.random {
            let trace = crate::sim::random_trace(self.spec, &mut rng);
            report.random += 1;
            progress(report.enumerated + report.random);
            if !self.visit(trace, report)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Random traces varied each way (`external/vary.rs`), from a seed of their own so that
    /// the plain random traces stay what the seed gives; `false` when the search stopped.
    fn varied(&mut self, report: &mut DriveReport, progress: &mut dyn FnMut(usize)) -> Result<bool, ProtocolError> {
        let seed = self.options.seed ^ 0x7661_7269_6564; // "varied"
        let mut rng = <rand_chacha::ChaCha8Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(seed);
        for variation in super::vary::Variation::ALL {
            for _ in 0..self.options.varied {
                let plain = crate::sim::random_trace(self.spec, &mut rng);
                let Some(trace) = super::vary::vary(self.spec, &plain, variation) else {
                    continue;
                };
                report.varied += 1;
                progress(report.enumerated + report.random + report.varied);
                if !self.visit(trace, report)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The scope's traces, shortest first, up to the cap (`--max-traces`, or
    /// [`DERIVED_TRACES`] with derived times); `false` when the search stopped.
    fn enumerate(
        &mut self,
        report: &mut DriveReport,
        derived: bool,
        progress: &mut dyn FnMut(usize),
    ) -> Result<bool, ProtocolError> {
        let mut error = None;
        let mut count = 0usize;
        let before = report.random;
        let cap = self.options.max_traces.or(derived.then_some(DERIVED_TRACES));
        let mut longest = 0;
        let mut truncated = false;
        let spec = self.spec;
        let mut each = |trace: Trace| -> bool {
            if cap.is_some_and(|m| count >= m) {
                truncated = true;
                return false;
            }
            count += 1;
            longest = trace.steps().len();
            progress(before + count);
            match self.visit(trace, report) {
                Err(e) => {
                    error = Some(e);
                    false
                }
                Ok(more) => more,
            }
        };
        crate::checker::enumerate_traces(spec, &mut each).map_err(|e| ProtocolError {
            step: None,
            message: e.to_string(),
            transcript: Vec::new(),
        })?;
        report.enumerated = count;
        report.truncated = truncated;
        let go_on = !report.stopped_early;
        // Traces come shortest first: every shorter one than the last was driven.
        report.complete_up_to = if truncated || !go_on {
            longest.saturating_sub(1)
        } else {
            longest
        };
        match error {
            Some(e) => Err(e),
            None => Ok(go_on),
        }
    }

    /// Each kind found, shrunk to a trace of its own and judged again there: not allowed
    /// first, then shortest first.
    fn findings(self) -> Result<Vec<DriveFinding>, ProtocolError> {
        let mut findings = Vec::new();
        for (kind, found) in self.seen {
            let found_steps = found.trace.steps().len();
            let small = shrink(self.spec, self.ext, found.trace, kind)?;
            // The timeline is the program's own run on the counterexample, from a reset like
            // every run: judge runs it so.
            let judged = judge(self.spec, self.ext, &small)?;
            let d = judged
                .disagreement
                .clone()
                .filter(|d| d.kind == kind)
                .expect("the shrunk trace shows its kind");
            findings.push(DriveFinding {
                kind,
                allowed: self.options.allow.allows(kind),
                traces: found.traces,
                trace: small,
                found_steps,
                disagreement: d,
                judged: Box::new(judged),
            });
        }
        findings.sort_by_key(|f| (f.allowed, f.trace.steps().len(), f.kind));
        Ok(findings)
    }
}

/// [`Trace::shrink`] while the trace still shows `kind`.
fn shrink(spec: &JoinSpec, ext: &mut ExternalEngine, trace: Trace, kind: Kind) -> Result<Trace, ProtocolError> {
    trace.shrink(|candidate| {
        Ok(judge(spec, ext, candidate)?
            .disagreement
            .is_some_and(|d| d.kind == kind))
    })
}
