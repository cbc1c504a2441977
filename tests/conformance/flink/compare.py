#!/usr/bin/env python3
"""Compare the recorded real-Flink fixtures with joincheck's `flink-sql-interval` profile.

Usage (from anywhere; paths are relative to the repository root):
    python3 tests/conformance/flink/compare.py [--join KIND ...] [--joincheck BIN] [--fixtures DIR] [-v]

For every join kind with recorded fixtures in tests/conformance/flink/fixtures/<join>.jsonl and
every trace recorded there (its steps in fixtures/traces.jsonl; ../fixtures.py), this runs

    target/release/joincheck oracle --model models/flink-sql-impressions-clicks[-left-outer].toml --trace T

and compares the multiset of output rows, (type, ids), with the rows recorded for the trace.
That is the agreement figure ("N/M agree").  As a second, stricter check it also runs

    target/release/joincheck replay --json --model M --trace T

and compares the multiset of (row, step) with the step after which real Flink emitted each row
(the "emissions" of the trace's meta line; the end step for rows emitted at end of input).  Flink's steps
come from paced wall-clock attribution (README.md), so they are reported separately as "emission
steps N/M agree" and do not count against the row agreement.  --no-steps skips this check.
`late` lines from joincheck are ignored (real Flink SQL never drops a row, so the recording has
none; the flink-sql profile emits none either, and any it did emit are counted and reported
separately, not as a disagreement).  It prints "N/M agree" per join kind and lists every
disagreement with both sides' rows; for recorded rows it also shows the trace step after which
Flink emitted them (from the trace's meta line).

joincheck: --joincheck BIN, else $JOINCHECK_BIN, else target/release/joincheck; only if that is
missing is it built with `cargo build --release`.

Exit status: 0 when the comparison ran, whether or not traces disagree (this is a report; the
counts say how many disagree); 2 when joincheck cannot be built or run, or a fixture is malformed.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from fixtures import read_runs, read_traces  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(HERE, "fixtures")
MODELS = {
    "inner": "models/flink-sql-impressions-clicks.toml",
    "left_outer": "models/flink-sql-impressions-clicks-left-outer.toml",
}


def row_key(obj, where):
    t = obj.get("type")
    if t == "match":
        return ("match", obj.get("left"), obj.get("right"))
    if t == "unmatched":
        return ("unmatched", obj.get("side"), obj.get("id"))
    raise ValueError(f"{where}: unexpected output type {t!r}")


def fmt(k):
    if k[0] == "match":
        return f"match {k[1]}+{k[2]}"
    return f"unmatched {k[1]} {k[2]}"


def find_joincheck(explicit):
    if explicit:
        exe = os.path.abspath(explicit)
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            return None, f"{explicit}: not an executable file"
        return exe, None
    exe = os.path.join(REPO, "target", "release", "joincheck")
    if os.path.isfile(exe) and os.access(exe, os.X_OK):
        return exe, None
    if shutil.which("cargo") is None:
        return None, "target/release/joincheck is missing and cargo is not on PATH; pass --joincheck BIN"
    print("compare.py: target/release/joincheck is missing; running cargo build --release", flush=True)
    p = subprocess.run(["cargo", "build", "--release", "-q"], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        tail = "\n".join((p.stderr or "").strip().splitlines()[-15:])
        return None, f"`cargo build --release` failed (exit {p.returncode}):\n{tail}"
    if not os.path.exists(exe):
        return None, f"{exe} not found after cargo build"
    return exe, None


def steps_of(meta, where):
    """row key -> list of the steps after which Flink emitted it ("end" for end of input)."""
    out = collections.defaultdict(list)
    for e in meta.get("emissions", []):
        k = row_key(e, where)
        out[k].append("end" if e.get("at_end_of_input") else e.get("after_step"))
    return out


def recorded_steps(meta, where):
    """Counter of (row key, step) from the metadata; None if the metadata has no emissions."""
    if "emissions" not in meta:
        return None
    return collections.Counter((row_key(e, where), e.get("after_step")) for e in meta["emissions"])


def compare_steps(exe, model, trace_path, meta, where):
    """Return (agree or None if not comparable, problems)."""
    rec = recorded_steps(meta, where)
    if rec is None:
        return None, ["no emission steps recorded"]
    p = subprocess.run([exe, "replay", "--json", "--model", model, "--trace", trace_path],
                       cwd=REPO, capture_output=True, text=True)
    pred = collections.Counter()
    try:
        for line in p.stdout.splitlines():
            if not line.strip():
                continue
            obj = json.loads(line)
            if obj.get("type") == "late":
                continue
            pred[(row_key(obj, "replay"), obj.get("step"))] += 1
    except (ValueError, json.JSONDecodeError) as e:
        return None, [f"joincheck replay --json gave no usable output (exit {p.returncode}): {e}"]
    if p.returncode not in (0, 1) or (not pred and rec):
        return None, [f"joincheck replay --json exited {p.returncode}: {p.stderr.strip()[:300]}"]
    if pred == rec:
        return True, []
    problems = []
    for k in sorted(set(pred) | set(rec), key=lambda k: (k[0], str(k[1]))):
        a, b = rec.get(k, 0), pred.get(k, 0)
        if a != b:
            problems.append(f"{fmt(k[0])} after step {k[1]}: Flink {a}, joincheck {b}")
    return False, problems


def compare_trace(exe, model, trace_path, rows, meta, where):
    """Return (agree, problems, n_late_predicted) for the recorded `rows` and `meta` of a trace;
    raises RuntimeError if joincheck fails."""
    p = subprocess.run([exe, "oracle", "--model", model, "--trace", trace_path],
                       cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"joincheck oracle exited {p.returncode}: {p.stderr.strip()[:500]}")
    predicted = collections.Counter()
    n_late = 0
    for n, line in enumerate(p.stdout.splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj.get("type") == "late":
            n_late += 1
            continue
        predicted[row_key(obj, f"oracle output line {n}")] += 1
    recorded = collections.Counter(row_key(o, where) for o in rows)
    if predicted == recorded:
        return True, [], n_late
    steps = steps_of(meta, where)
    problems = []
    for k in sorted(set(predicted) | set(recorded)):
        a, b = recorded.get(k, 0), predicted.get(k, 0)
        if a != b:
            where = (f" (Flink emitted it after step {', '.join(map(str, steps[k]))})"
                     if a and k in steps else "")
            problems.append(f"{fmt(k)}: Flink emitted {a}, joincheck predicts {b}{where}")

    def listing(c):
        return "  ".join(fmt(k) + (f" x{c[k]}" if c[k] > 1 else "") for k in sorted(c)) or "(nothing)"

    problems.append(f"Flink:     {listing(recorded)}")
    problems.append(f"joincheck: {listing(predicted)}")
    return False, problems, n_late


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--join", action="append", choices=sorted(MODELS), help="join kinds (default: all)")
    ap.add_argument("--joincheck", default=os.environ.get("JOINCHECK_BIN") or None,
                    help="an existing joincheck binary (default: $JOINCHECK_BIN, else target/release/joincheck)")
    ap.add_argument("--fixtures", default=FIXTURES,
                    help="fixtures directory with traces.jsonl and <join>.jsonl (default: the committed one)")
    ap.add_argument("--no-steps", action="store_true",
                    help="skip the second check (emission steps against joincheck replay --json)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list agreeing traces")
    args = ap.parse_args(argv)
    kinds = args.join or ["inner", "left_outer"]
    fixtures = os.path.abspath(args.fixtures)
    traces_file = os.path.join(fixtures, "traces.jsonl")

    if not os.path.isfile(traces_file):
        print(f"compare.py: no traces in {traces_file}; run record.sh first")
        return 0
    try:
        traces = read_traces(traces_file)
    except ValueError as e:
        print(f"compare.py: {e}")
        return 2
    plan = []
    for kind in kinds:
        model = MODELS[kind]
        runs_file = os.path.join(fixtures, kind + ".jsonl")
        if not os.path.exists(os.path.join(REPO, model)):
            print(f"compare.py: {kind}: model {model} is missing; skipping the comparison for {kind}")
            continue
        if not os.path.isfile(runs_file):
            print(f"compare.py: {kind}: no recorded fixtures in {runs_file}; skipping")
            continue
        try:
            _, runs = read_runs(runs_file)
        except (ValueError, json.JSONDecodeError) as e:
            print(f"compare.py: {e}")
            return 2
        plan.append((kind, model, runs_file, runs))
    if not plan:
        print("compare.py: nothing to compare")
        return 0

    exe, err = find_joincheck(args.joincheck)
    if exe is None:
        print(f"compare.py: cannot find or build joincheck: {err}")
        return 2
    status = 0
    summary = []
    # joincheck reads a trace from a file: each one goes to a file of its own here.
    scratch = tempfile.TemporaryDirectory(prefix="joincheck-flink-compare-")
    for kind, model, runs_file, runs in plan:
        names = list(runs)
        agree = 0
        late_lines = 0
        disagreements = []
        steps_agree = steps_compared = 0
        step_disagreements = []
        for name in names:
            if name not in traces:
                print(f"compare.py: {kind} {name}: no such trace in {traces_file}")
                status = 2
                continue
            trace = os.path.join(scratch.name, name + ".jsonl")
            with open(trace, "w", encoding="utf-8") as f:
                f.write("".join(step + "\n" for step in traces[name]))
            meta, rows = runs[name]
            where = f"{runs_file}, trace {name}"
            try:
                ok, problems, n_late = compare_trace(exe, model, trace, rows, meta, where)
            except (RuntimeError, ValueError, json.JSONDecodeError, KeyError) as e:
                print(f"compare.py: {kind} {name}: {e}")
                status = 2
                continue
            late_lines += n_late
            if not args.no_steps:
                sok, sprob = compare_steps(exe, model, trace, meta, where)
                if sok is not None:
                    steps_compared += 1
                    steps_agree += sok
                if not sok:
                    step_disagreements.append((name, sprob))
            if ok:
                agree += 1
                if args.verbose:
                    print(f"  {kind} {name}: agrees")
            else:
                disagreements.append((name, problems))
        line = (f"{kind}: {agree}/{len(names)} agree, {len(disagreements)} disagree  [{model}]"
                + (f"  ({late_lines} `late` lines from joincheck ignored)" if late_lines else ""))
        print(line)
        summary.append(line)
        for name, problems in disagreements:
            print(f"  DISAGREE {name}:")
            for pr in problems:
                print(f"    {pr}")
        if not args.no_steps:
            sline = (f"{kind}: emission steps {steps_agree}/{steps_compared} agree"
                     + (f" ({len(names) - steps_compared} not comparable)" if steps_compared < len(names) else ""))
            print(sline)
            summary.append(sline)
            for name, problems in step_disagreements:
                print(f"  STEPS DIFFER {name}:")
                for pr in problems:
                    print(f"    {pr}")
    if len(plan) > 1:
        print("summary:")
        for line in summary:
            print("  " + line)
    return status


if __name__ == "__main__":
    sys.exit(main())
