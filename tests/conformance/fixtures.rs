//! Reading the recorded fixtures (`fixtures.py` writes them; each engine directory's README.md
//! states the format). A directory of recordings holds `traces.jsonl`, every trace one step a
//! line, and one file per run over those traces (a join kind, or an operator and kind): a
//! `{"run":{...}}` line saying how the engine ran, then per trace a
//! `{"trace":"NAME","meta":{...}}` line and the rows the engine emitted. Every line but the run
//! line is tagged with its trace, `{"trace":"NAME",...}`, and traces come in name order, so a
//! re-recording diffs line by line and a changed line says which trace changed.
//!
//! [`load!`] builds a directory's files into the test binary, as the regex crate's `load!`
//! does its `testdata/`: a file that is not there is a compile error, not a test that checks
//! nothing.

use joincheck::event::Emitted;
use joincheck::trace::Trace;
use serde_json::Value;

/// One recorded run: its trace's name, the trace, what the engine emitted, and what the
/// recorder noted: the file's run line with the trace's meta line over it.
pub(crate) struct Recorded {
    pub name: String,
    pub trace: Trace,
    pub real: Vec<Emitted>,
    pub meta: Value,
}

/// Every run of one file, in trace name order.
pub(crate) struct Runs {
    /// The file, from `tests/conformance/`, for messages.
    pub file: &'static str,
    /// How the engine ran (versions, settings, the join): the run line.
    pub run: Value,
    pub runs: Vec<Recorded>,
}

/// One trace of a traces file: its name and its steps as joincheck reads them (untagged).
pub(crate) struct TraceText {
    pub name: String,
    pub text: String,
}

/// `load!("DIR")`: the traces of `tests/conformance/DIR/traces.jsonl`.
/// `load!("DIR", "RUNS")`: the runs of `DIR/RUNS.jsonl` on those traces.
/// `load!("DIR", ["RUNS", ...])`: several run files of one directory, each with its name.
macro_rules! load {
    ($dir:expr) => {
        $crate::conformance::fixtures::traces(
            concat!($dir, "/traces.jsonl"),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/", $dir, "/traces.jsonl")),
        )
    };
    ($dir:expr, [$($runs:literal),+ $(,)?]) => {
        [$(($runs, $crate::conformance::fixtures::load!($dir, $runs))),+]
    };
    ($dir:expr, $runs:expr) => {
        $crate::conformance::fixtures::runs(
            concat!($dir, "/", $runs, ".jsonl"),
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/", $dir, "/", $runs, ".jsonl")),
            &$crate::conformance::fixtures::load!($dir),
        )
    };
}
pub(crate) use load;

/// A tagged line's trace and the line without its tag. The recorders allow no quote in a
/// trace name, so the name ends at the first one.
fn untag<'a>(file: &str, line_no: usize, line: &'a str) -> (&'a str, String) {
    let split = line
        .strip_prefix("{\"trace\":\"")
        .and_then(|rest| rest.split_once('"'))
        .and_then(|(name, rest)| Some((name, rest.strip_prefix(',')?)));
    let Some((name, rest)) = split else {
        panic!("{file}:{line_no}: a line starts with {{\"trace\":\"NAME\",");
    };
    (name, format!("{{{rest}"))
}

/// The lines of `text` from `skip` on, grouped by trace: (name, untagged lines). Traces must
/// come in strictly ascending name order, each in one block, so that each is read whole and a
/// re-recording cannot reorder them.
fn grouped<'a>(file: &str, text: &'a str, skip: usize) -> Vec<(&'a str, Vec<String>)> {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for (i, line) in text.lines().enumerate().skip(skip) {
        let (name, rest) = untag(file, i + 1, line);
        match groups.last_mut() {
            Some((last, lines)) if *last == name => lines.push(rest),
            Some((last, _)) if *last > name => {
                panic!("{file}:{}: trace {name} after {last}: traces are sorted by name", i + 1)
            }
            _ => groups.push((name, vec![rest])),
        }
    }
    groups
}

/// The traces of a traces file, in name order.
pub(crate) fn traces(file: &str, text: &str) -> Vec<TraceText> {
    grouped(file, text, 0)
        .into_iter()
        .map(|(name, steps)| TraceText {
            name: name.to_owned(),
            text: steps.join("\n"),
        })
        .collect()
}

/// The runs of a run file on `traces`: each trace's rows read against the trace, each meta line
/// over the run line.
pub(crate) fn runs(file: &'static str, text: &str, traces: &[TraceText]) -> Runs {
    let head: Value = serde_json::from_str(text.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{file}:1: the run line is JSON: {e}"));
    let run = head
        .get("run")
        .filter(|_| head.as_object().is_some_and(|o| o.len() == 1))
        .unwrap_or_else(|| panic!("{file}:1: the first line is {{\"run\":{{...}}}}"))
        .clone();
    let runs = grouped(file, text, 1)
        .into_iter()
        .map(|(name, lines)| {
            let where_ = format!("{file}, trace {name}");
            let own: Value = serde_json::from_str(&lines[0]).unwrap_or_else(|e| panic!("{where_}: {e}"));
            let Some(Value::Object(own)) = own
                .get("meta")
                .filter(|_| own.as_object().is_some_and(|o| o.len() == 1))
            else {
                panic!("{where_}: the trace's first line is {{\"trace\":\"{name}\",\"meta\":{{...}}}}");
            };
            let mut meta = run.clone();
            let merged = meta
                .as_object_mut()
                .unwrap_or_else(|| panic!("{file}:1: the run is an object"));
            merged.extend(own.clone());
            let steps = traces
                .binary_search_by(|t| t.name.as_str().cmp(name))
                .map(|i| &traces[i])
                .unwrap_or_else(|_| panic!("{where_}: no such trace in traces.jsonl"));
            let dir = file.rsplit_once('/').map_or("", |(dir, _)| dir);
            let trace = Trace::parse(&steps.text, &format!("{dir}/traces.jsonl, trace {name}"))
                .unwrap_or_else(|e| panic!("{where_}: the trace reads: {e}"));
            let real = trace
                .parse_outputs(&lines[1..].join("\n"), &where_)
                .unwrap_or_else(|e| panic!("{where_}: the rows read: {e}"));
            Recorded {
                name: name.to_owned(),
                trace,
                real,
                meta,
            }
        })
        .collect();
    Runs { file, run, runs }
}
