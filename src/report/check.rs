//! The report of `joincheck check`: one verdict table per model and, for each violation, its
//! counterexample (where it was written, its timeline, why), as text or as one JSON object.

use crate::checker::{self, Counterexample, ModelReport, Verdict};
use crate::engine;
use crate::model::JoinSpec;
use crate::oracle::Analysis;
use crate::property::{Expected, Property};
use crate::run::StepReport;
use std::fmt::Write as _;
use std::path::PathBuf;

/// A counterexample as written to a file and explained for the report.
#[derive(Clone, Debug)]
pub struct WrittenCounterexample {
    /// The property it violates.
    pub property: Property,
    /// The known defect it demonstrates, if it came from a `[[defect]]` entry.
    pub defect: Option<String>,
    /// The file the trace was written to.
    pub path: PathBuf,
    /// How many steps the trace has.
    pub steps: usize,
    /// Whether no shorter counterexample exists in the scope ([`Counterexample::shortest`]).
    pub shortest: bool,
    /// Index of the step after which the property fails (into the run's reports).
    pub violated_after: usize,
    /// `step N` or `the implicit end of input`.
    pub violated_label: String,
    /// The model's engine's run on the trace, as a timeline table.
    pub timeline: String,
    /// Why the property fails, in words.
    pub explanation: String,
}

impl WrittenCounterexample {
    /// Explains `cx` (written to `path`) by replaying it through the same monitor that
    /// `joincheck replay` uses, so the report says what a replay shows.
    pub fn explain(
        spec: &JoinSpec,
        property: Property,
        defect: Option<String>,
        cx: &Counterexample,
        path: PathBuf,
    ) -> WrittenCounterexample {
        let reports = checker::monitor_run(&spec.params, engine::for_spec(spec), &cx.trace).reports;
        let analysis = Analysis::new(spec.params, &cx.trace);
        WrittenCounterexample {
            property,
            defect,
            path,
            steps: cx.trace.steps().len(),
            shortest: cx.shortest,
            violated_after: cx.step,
            violated_label: step_label(&reports[cx.step]),
            timeline: super::timeline(&cx.trace, &reports),
            explanation: super::explain(&analysis, &reports, &cx.finding),
        }
    }
}

/// Where a step's report sits in words: `step N`, or `the implicit end of input`.
pub fn step_label(r: &StepReport) -> String {
    r.index
        .map_or("the implicit end of input".to_owned(), |i| format!("step {i}"))
}

/// Every counterexample of `report`, each with the file stem it is written under:
/// `<property>` for a violated property, `defect-<name>` for a demonstrated defect.
pub fn counterexamples(report: &ModelReport) -> Vec<(Property, Option<String>, &Counterexample)> {
    let violations = report.verdicts.iter().filter_map(|(p, v, _)| match v {
        Verdict::Violated(cx) => Some((*p, None, cx.as_ref())),
        _ => None,
    });
    let defects = report
        .defects
        .iter()
        .filter_map(|(d, cx)| Some((d.property, Some(d.name.clone()), cx.as_ref()?)));
    violations.chain(defects).collect()
}

fn verdict_words(verdict: &Verdict, expected: Expected, complete: bool) -> String {
    match (verdict, expected) {
        // Not finding something in part of the scope proves nothing.
        (Verdict::Holds, _) if !complete => "no violation in the part explored (not exhaustive)".to_owned(),
        (Verdict::Missing, _) if !complete => "witness not reached in the part explored (not exhaustive)".to_owned(),
        (Verdict::Holds, Expected::Holds) => "holds".to_owned(),
        (Verdict::Violated(_), Expected::Violated) => "violated-as-expected".to_owned(),
        (Verdict::Reached, Expected::Reached) => "witness reached".to_owned(),
        (Verdict::Missing, Expected::Missing) => "witness missing, as expected".to_owned(),
        (Verdict::Holds, _) => "MISMATCH: holds, but the model expects it violated".to_owned(),
        (Verdict::Violated(_), _) => "MISMATCH: violated".to_owned(),
        (Verdict::Reached, _) => "MISMATCH: witness reached, but the model expects it missing".to_owned(),
        (Verdict::Missing, _) => "MISMATCH: witness missing (the scope never reaches it)".to_owned(),
    }
}

/// A verdict that is the engine's design ([`JoinSpec::design`]), in words: what the engine
/// does, why, and where it says so.
fn design_words(spec: &JoinSpec, verdict: &Verdict, d: &crate::model::Design, complete: bool) -> String {
    let joins = if d.outer_only { "outer join" } else { "join" };
    let every = format!("every {} {joins}", spec.params.profile.name());
    match verdict {
        Verdict::Violated(_) | Verdict::Missing => {
            let what = if matches!(verdict, Verdict::Missing) {
                "missing"
            } else {
                "violated"
            };
            format!("{what}: the engine's design ({every}): {} [{}]", d.why, d.source)
        }
        Verdict::Holds | Verdict::Reached if !complete => {
            format!(
                "not seen in the part explored; the engine's design ({every}) can show it: {}",
                d.why
            )
        }
        Verdict::Holds | Verdict::Reached => {
            format!(
                "not seen in this scope; the engine's design ({every}) can show it: {}",
                d.why
            )
        }
    }
}

/// A violation this configuration causes, in words: what the constants do, the change that
/// removes it, and how far the check with the change went.
/// The causes `checker/causes.rs` named for the violation of `p`, joined; empty if none.
fn cause_words(spec: &JoinSpec, report: &ModelReport, p: Property, v: &Verdict) -> String {
    let bugs = report.bugged(p).map(|b| bug_words(spec, b));
    let configured = report.configured(p).map(configuration_words);
    let mut causes: Vec<String> = bugs.chain(configured).collect();
    if let Some(d) = spec
        .design(p)
        .filter(|_| !causes.is_empty() && report.design_shown.contains(&p))
    {
        causes.push(design_words(spec, v, d, true));
    }
    causes.join("; also ")
}

fn bug_words(spec: &JoinSpec, b: &checker::Bugged) -> String {
    let verdict = if b.allowed {
        "allowed by the model".to_owned()
    } else {
        format!(
            "fails the check (a model that accepts it says [expect] allow = [\"{}\"])",
            b.bug.id
        )
    };
    format!(
        "violated: known bug {} of {} ({}): {}; checked: without it the property holds {}; {verdict} [{}]",
        b.bug.id,
        spec.params.profile.name(),
        b.bug.versions,
        b.bug.summary,
        if b.exhaustive {
            "in this scope"
        } else {
            "in the part explored"
        },
        b.bug.reference
    )
}

fn configuration_words(c: &checker::Configured) -> String {
    format!(
        "violated: this configuration: {}; change {}, checked: with it the property holds {} [{}]",
        c.problem.what,
        c.problem.change,
        if c.exhaustive {
            "in this scope"
        } else {
            "in the part explored"
        },
        c.problem.source
    )
}

/// How a scope that derives its times (or watermark values) derives them, in words; `None`
/// when it lists them.
fn derived_domain(spec: &JoinSpec) -> Option<String> {
    let scope = spec.scope.as_ref()?;
    if !scope.times.is_derived() && !scope.watermarks.is_derived() {
        return None;
    }
    let domain = crate::model::TimeDomain::new(&spec.params, scope.time_range, scope.origin());
    Some(format!(
        "derived: each new time at one of {} offsets from an earlier time{}: the join's bounds, delays, \
         their sums and differences {domain}, each ±1 ms",
        domain.offsets().len(),
        if domain.anchors_at_epoch() {
            " or from 0".to_owned()
        } else {
            let utc = if scope.origin().looks_like_wall_clock() {
                " UTC"
            } else {
                ""
            };
            format!(", the first at {}{utc}", scope.origin())
        }
    ))
}

/// What a configuration loses against the ideal join on a workload: the model's `[workload]`,
/// or the default one. A measure `check` reports beside the verdicts (which are relative to the
/// model's own rules), and judges only against the model's `max_loss`.
pub struct Measured {
    /// The workload's seed.
    pub seed: u64,
    /// Records simulated.
    pub records: u64,
    /// The model has no `[workload]`: the default one ran.
    pub default_workload: bool,
    /// The event time the records span.
    pub event_time: crate::time::Duration,
    /// The loss, by cause.
    pub loss: crate::oracle::ideal::Loss,
    /// The model's `max_loss`, as a share.
    pub budget: Option<f64>,
    /// Over the budget: the smallest delay of the ladder that keeps within it, with what it
    /// loses on the same records (`None` inside: none does).
    pub fix: Option<Option<Fix>>,
}

/// A change that keeps a workload's loss within the model's budget.
pub struct Fix {
    /// The change, as the model file writes it (`right_delay = "30m"`).
    pub change: String,
    /// What they lose on the same records.
    pub loss: crate::oracle::ideal::Loss,
}

impl Measured {
    /// Whether the configuration loses more than the model's `max_loss`.
    pub fn over_budget(&self) -> bool {
        self.fix.is_some()
    }

    /// The measure in lines (the first is the heading).
    fn lines(&self, spec: &JoinSpec) -> Vec<String> {
        let on = if self.default_workload {
            format!(
                "on the default workload (the model has no [workload]: {}; state one for your data)",
                crate::model::WorkloadSpec::default().describe()
            )
        } else {
            "on the model's [workload]".to_owned()
        };
        let mut lines = vec![format!(
            "{on}, seed {}, {} records over {} of event time, against the ideal join ({}):",
            self.seed,
            self.records,
            self.event_time,
            match self.budget {
                Some(b) => format!("judged against the model's max_loss {}", percent(b)),
                None => "a measure, not a verdict: the model states no max_loss".to_owned(),
            }
        )];
        lines.extend(self.loss.text_for(spec).lines().map(str::to_owned));
        let delays = spec.params.watermark.delay;
        match &self.fix {
            None => {}
            Some(None) => lines.push(format!(
                "OVER BUDGET: this configuration loses {} (max_loss {}), and no watermark delay up to 24h keeps within it",
                percent(self.loss.lost_share()),
                percent(self.budget.unwrap_or(0.0))
            )),
            Some(Some(fix)) => {
                let w = &spec.params.watermark;
                let late = &self.loss.late;
                lines.push(format!(
                    "OVER BUDGET: this configuration loses {} of the ideal join (max_loss {}): with left_delay {} and \
                     right_delay {} combined by {}, a record at or behind the join's watermark (each input's latest \
                     event time minus its delay, {}) is dropped as late, and here that costs {} ideal \
                     rows by late right records and {} by late left ones ({} by both); change {}: on the same records \
                     it loses {}",
                    percent(self.loss.lost_share()),
                    percent(self.budget.unwrap_or(0.0)),
                    delays[0],
                    delays[1],
                    w.policy.name(),
                    match w.policy {
                        crate::model::Policy::Min => "the smaller of the two",
                        crate::model::Policy::Max => "the larger of the two",
                        crate::model::Policy::PerSide => "the record's own input's",
                    },
                    late.right,
                    late.left,
                    late.both,
                    fix.change,
                    percent(fix.loss.lost_share())
                ));
            }
        }
        lines
    }
}

/// A share as a percentage: `0.12%`.
fn percent(share: f64) -> String {
    format!("{:.3}%", 100.0 * share)
}

/// One model's report as text: header, the measured loss when there is one, verdicts, known
/// defects, then each counterexample.
pub fn text(
    spec: &JoinSpec,
    report: &ModelReport,
    written: &[WrittenCounterexample],
    measured: Option<&Measured>,
) -> String {
    let mut s = String::new();
    let scope = spec.scope.as_ref().expect("a checked model has a scope");
    let _ = writeln!(s, "model {} ({})", spec.name, spec.file);
    let _ = writeln!(s, "  join:   {}", spec.summary());
    let _ = writeln!(s, "  scope:  {scope}");
    if let Some(domain) = derived_domain(spec) {
        let _ = writeln!(s, "  times:  {domain}");
    }
    let coverage = match (&report.coverage, report.stopped) {
        (Some(grown), _) => grown.words(),
        (None, None) => "exhaustive within the scope".to_owned(),
        (None, Some(why)) => format!(
            "NOT exhaustive: {why}; traces of up to {} steps were explored, the scope's longest have {}; \
             the scope has at most {} states",
            report.max_depth.saturating_sub(1),
            scope.max_steps(),
            report.state_bound
        ),
    };
    let _ = writeln!(
        s,
        "  states: {} unique ({} visited), depth {}, {:.2}s; {coverage}",
        report.unique_states,
        report.states,
        report.max_depth,
        report.elapsed.as_secs_f64()
    );
    if let Some(m) = measured {
        for (i, line) in m.lines(spec).iter().enumerate() {
            let _ = writeln!(s, "{}{line}", if i == 0 { "  loss:   " } else { "          " });
        }
    }
    let mut rows = vec![["  property".to_owned(), "verdict".to_owned()]];
    for (p, v, e) in &report.verdicts {
        let causes = cause_words(spec, report, *p, v);
        let words = match (v, &report.coverage, spec.design(*p)) {
            (Verdict::Violated(_), _, _) if !causes.is_empty() => causes,
            (_, _, Some(d)) => design_words(spec, v, d, report.complete()),
            (Verdict::Missing, _, _) if report.complete() && report.unstated_witnesses.contains(p) => format!(
                "not reached in this scope: {} (a larger scope would test it)",
                p.untested().expect("a witness")
            ),
            // Grown scopes: what holds, holds in what the coverage line states.
            (Verdict::Holds, Some(_), _) if *e == Expected::Holds => "no violation in the scopes covered".to_owned(),
            (Verdict::Missing, Some(_), _) if *e == Expected::Missing => {
                "witness not reached in the scopes covered".to_owned()
            }
            _ => verdict_words(v, *e, report.complete()),
        };
        rows.push([format!("  {p}"), words]);
    }
    s.push_str(&super::table(&rows));
    if !report.defects.is_empty() {
        let mut rows = vec![["  known defect".to_owned(), "property".to_owned(), "verdict".to_owned()]];
        for (d, cx) in &report.defects {
            let verdict = match cx {
                Some(cx) => format!("caught ({} steps): {}", cx.trace.steps().len(), d.summary),
                None if !report.complete() => format!("not found in the part explored: {}", d.summary),
                None => format!("MISMATCH: not found in its scope: {}", d.summary),
            };
            rows.push([format!("  {}", d.name), d.property.name().to_owned(), verdict]);
        }
        s.push_str(&super::table(&rows));
    }
    for cx in written {
        counterexample_text(&mut s, spec, cx);
    }
    s.push('\n');
    s
}

/// How to run this joincheck again: `joincheck` when that name on `PATH` is this binary, else
/// this binary's path (after the README's set-up, `target/release/joincheck`).
fn joincheck_command() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "joincheck".to_owned();
    };
    if exe.file_stem().is_none_or(|s| s != "joincheck") {
        return "joincheck".to_owned();
    }
    let same = |candidate: std::path::PathBuf| {
        candidate
            .canonicalize()
            .ok()
            .zip(exe.canonicalize().ok())
            .is_some_and(|(a, b)| a == b)
    };
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| same(dir.join("joincheck"))));
    if on_path {
        return "joincheck".to_owned();
    }
    // Relative to the working directory when under it, as the model and trace paths are.
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| exe.strip_prefix(cwd).ok().map(std::path::Path::to_path_buf))
        .unwrap_or(exe);
    shown.display().to_string()
}

fn counterexample_text(s: &mut String, spec: &JoinSpec, cx: &WrittenCounterexample) {
    let what = match &cx.defect {
        Some(d) => format!("defect {d} ({})", cx.property),
        None => cx.property.name().to_owned(),
    };
    let _ = writeln!(
        s,
        "\n  counterexample for {what} ({} steps{}): {}",
        cx.steps,
        if cx.shortest {
            ""
        } else {
            "; the shortest found before the search stopped: a shorter one may exist"
        },
        cx.path.display()
    );
    let _ = writeln!(
        s,
        "  replay: {} replay --model {} --trace {}",
        joincheck_command(),
        spec.file,
        cx.path.display()
    );
    for line in cx.timeline.lines() {
        let _ = writeln!(s, "    {line}");
    }
    let _ = writeln!(s, "  why: after {}, {}", cx.violated_label, cx.explanation);
}

/// The closing line of a text report over `reports`.
pub fn closing_line(reports: &[ModelReport], over_budget: usize) -> String {
    let configured: usize = reports.iter().map(|r| r.configuration.len()).sum::<usize>() + over_budget;
    let bugs: usize = reports
        .iter()
        .map(|r| r.bugs.iter().filter(|b| !b.allowed).count())
        .sum();
    let bug_words = |n: usize| {
        format!(
            "{n} finding{} caused by a known bug of the engine the model does not allow (named above, with its reference)",
            if n == 1 { "" } else { "s" }
        )
    };
    let untested: usize = reports.iter().map(|r| r.untested().count()).sum();
    let configured_words = |n: usize| {
        format!(
            "{n} finding{} caused by the configuration (named above, each with the change that removes it)",
            if n == 1 { "" } else { "s" }
        )
    };
    if reports.iter().any(ModelReport::mismatches) {
        let mut s = "some verdicts differ from what the models expect (marked MISMATCH)".to_owned();
        if configured > 0 {
            s += &format!("; and {}", configured_words(configured));
        }
        if bugs > 0 {
            s += &format!("; and {}", bug_words(bugs));
        }
        s
    } else if configured > 0 || bugs > 0 {
        let configured = (configured > 0).then(|| configured_words(configured));
        let bugs = (bugs > 0).then(|| bug_words(bugs));
        configured.into_iter().chain(bugs).collect::<Vec<_>>().join("; and ")
    } else if let Some(r) = reports.iter().find(|r| !r.complete()) {
        let n = reports.iter().filter(|r| !r.complete()).count();
        format!(
            "no verdict contradicts the models, but {n} of {} models were not explored exhaustively ({})",
            reports.len(),
            r.stopped.expect("incomplete")
        )
    } else if untested > 0 {
        format!(
            "all {} models as expected; {untested} witness{} not reached (what each scope leaves untested is named above)",
            reports.len(),
            if untested == 1 { "" } else { "es" }
        )
    } else {
        format!("all {} models as expected", reports.len())
    }
}

fn counterexample_json(cx: &WrittenCounterexample) -> serde_json::Value {
    serde_json::json!({
        "trace": cx.path.display().to_string(),
        "steps": cx.steps,
        "shortest": cx.shortest,
        "violated_after_step": cx.violated_after,
        "explanation": cx.explanation,
    })
}

/// One model's report as one JSON object.
pub fn json(
    spec: &JoinSpec,
    report: &ModelReport,
    written: &[WrittenCounterexample],
    measured: Option<&Measured>,
) -> String {
    let properties: Vec<serde_json::Value> = report
        .verdicts
        .iter()
        .map(|(p, v, e)| {
            let mut o = serde_json::json!({
                "property": p.name(),
                "verdict": v.as_expected().name(),
                "expected": e.name(),
                "as_expected": report.verdict_as_expected(*p, v, *e),
            });
            if let Some(d) = spec.design(*p) {
                o["design"] = serde_json::json!({ "why": d.why, "source": d.source, "outer_only": d.outer_only });
            }
            if let Some(c) = report.configured(*p) {
                o["configuration"] = serde_json::json!({
                    "what": c.problem.what, "change": c.problem.change, "source": c.problem.source,
                    "exhaustive": c.exhaustive,
                });
            }
            let bugs: Vec<serde_json::Value> = report
                .bugged(*p)
                .map(|b| {
                    serde_json::json!({
                        "id": b.bug.id, "summary": b.bug.summary, "versions": b.bug.versions,
                        "reference": b.bug.reference, "allowed": b.allowed, "exhaustive": b.exhaustive,
                    })
                })
                .collect();
            if !bugs.is_empty() {
                o["known_bugs"] = serde_json::Value::Array(bugs);
            }
            if report.untested().any(|q| q == *p) {
                o["untested"] = serde_json::json!(p.untested());
            }
            if let Some(cx) = written.iter().find(|cx| cx.property == *p && cx.defect.is_none()) {
                o["counterexample"] = counterexample_json(cx);
            }
            o
        })
        .collect();
    let defects: Vec<serde_json::Value> = report
        .defects
        .iter()
        .map(|(d, _)| {
            let cx = written.iter().find(|cx| cx.defect.as_deref() == Some(d.name.as_str()));
            serde_json::json!({
                "defect": d.name,
                "property": d.property.name(),
                "summary": d.summary,
                "caught": cx.is_some(),
                "counterexample": cx.map(counterexample_json),
            })
        })
        .collect();
    serde_json::json!({
        "model": spec.name,
        "file": spec.file,
        "scope": spec.scope.as_ref().map(|s| s.to_string()),
        "time_domain": if derived_domain(spec).is_some() { "derived" } else { "listed" },
        "unique_states": report.unique_states,
        "states": report.states,
        "max_depth": report.max_depth,
        "elapsed_ms": report.elapsed.as_millis() as u64,
        "as_expected": report.as_expected(),
        "complete": report.complete(),
        "state_bound": report.state_bound.to_string(),
        "stopped": report.stopped.map(|s| s.to_string()),
        "coverage": report.coverage.as_ref().map(|c| serde_json::json!({
            "words": c.words(),
            "exhaustive_records": c.exhaustive,
            "partial_records": c.partial.as_ref().map(|p| p.records),
        })),
        "properties": properties,
        "defects": defects,
        "workload_loss": measured.map(|m| serde_json::json!({
            "seed": m.seed, "records": m.records, "ideal_join": m.loss, "lost_share": m.loss.lost_share(),
            "default_workload": m.default_workload,
            "event_time_ms": m.event_time.as_millis(),
            "max_loss": m.budget,
            "over_budget": m.over_budget(),
            "fix": m.fix.as_ref().and_then(|f| f.as_ref()).map(|f| serde_json::json!({
                "change": f.change,
                "lost_share": f.loss.lost_share(),
            })),
        })),
    })
    .to_string()
}
