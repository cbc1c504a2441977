#!/usr/bin/env python3
"""Compare the recorded real-Spark fixtures with joincheck's `spark` profile prediction.

Usage (from anywhere; paths are relative to the repository root):
    python3 tests/conformance/spark/compare.py [--join KIND ...] [--joincheck BIN] [-v]

For every join kind with recorded fixtures in tests/conformance/spark/fixtures/<join>.jsonl and
every trace recorded there (its steps in fixtures/traces.jsonl; ../fixtures.py), this runs

    joincheck oracle --model models/spark-impressions-clicks<suffix>.toml --trace T

and compares, per trace:
  * rows:  the multiset of (type, ids, batch) of the `match` and `unmatched` lines, against the
           rows recorded for the trace;
  * late:  the number of `late` lines per trace batch, against the sum of Spark's
           numRowsDroppedByWatermark over the Spark batches of that trace batch (the trace's
           meta line), because Spark counts late rows but does not name them.
A trace agrees when both agree.  It prints "N/M agree" per join kind and lists disagreements.

By default joincheck is built once with `cargo build --release -q` and target/release/joincheck
is then run per trace (the same as `cargo run --release -q -- oracle ...`, without cargo's
per-call start-up).  --joincheck BIN (or the environment variable JOINCHECK_BIN) uses an
existing binary instead.  --fixtures DIR compares another recording laid out the same way.

Exit status: 0 when every compared trace agrees, or when there is nothing to compare (a model
file or the fixtures are missing: that is reported and skipped); 1 when some trace disagrees;
2 when joincheck cannot be built or run, or a fixture is malformed.
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
    "inner": "models/spark-impressions-clicks.toml",
    "left_outer": "models/spark-impressions-clicks-left-outer.toml",
    "right_outer": "models/spark-impressions-clicks-right-outer.toml",
    "full_outer": "models/spark-impressions-clicks-full-outer.toml",
}


def row_key(obj, where):
    t = obj.get("type")
    b = obj.get("batch")
    if t == "match":
        return ("match", obj.get("left"), obj.get("right"), b)
    if t == "unmatched":
        return ("unmatched", obj.get("side"), obj.get("id"), b)
    raise ValueError(f"{where}: unexpected output type {t!r}")


def fmt(k):
    if k[0] == "match":
        return f"match {k[1]}+{k[2]} @batch {k[3]}"
    return f"unmatched {k[1]} {k[2]} @batch {k[3]}"


def build_joincheck():
    if shutil.which("cargo") is None:
        return None, "cargo is not on PATH; pass --joincheck BIN"
    p = subprocess.run(["cargo", "build", "--release", "-q"], cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        tail = "\n".join((p.stderr or "").strip().splitlines()[-15:])
        return None, f"`cargo build --release` failed (exit {p.returncode}):\n{tail}"
    exe = os.path.join(REPO, "target", "release", "joincheck")
    if not os.path.exists(exe):
        return None, f"{exe} not found after cargo build"
    return exe, None


def compare_trace(exe, model, trace_path, rows, meta, where):
    """Return (rows_agree, late_counts_agree, problems) for the recorded `rows` and `meta` of a
    trace; raises RuntimeError if joincheck fails."""
    p = subprocess.run([exe, "oracle", "--model", model, "--trace", trace_path],
                       cwd=REPO, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"joincheck oracle exited {p.returncode}: {p.stderr.strip()[:500]}")
    predicted_rows = collections.Counter()
    predicted_late = collections.Counter()
    predicted_late_total = 0
    has_batch = True
    for n, line in enumerate(p.stdout.splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if "batch" not in obj:
            has_batch = False
        if obj.get("type") == "late":
            predicted_late[obj.get("batch")] += 1
            predicted_late_total += 1
        else:
            predicted_rows[row_key(obj, f"oracle output line {n}")] += 1
    recorded_rows = collections.Counter(row_key(o, where) for o in rows)
    dropped = meta["dropped_by_watermark_per_trace_batch"]
    recorded_late = collections.Counter({i: n for i, n in enumerate(dropped) if n})

    problems = []
    if not has_batch:
        problems.append("the oracle's lines carry no \"batch\"; compared without batch numbers")
        predicted_rows = collections.Counter({k[:3] + (None,): v for k, v in predicted_rows.items()})
        recorded_rows = collections.Counter({k[:3] + (None,): v for k, v in recorded_rows.items()})
        predicted_late = collections.Counter({None: predicted_late_total})
        recorded_late = collections.Counter({None: sum(dropped)})
    rows_ok = predicted_rows == recorded_rows
    if not rows_ok:
        for k in sorted(set(predicted_rows) | set(recorded_rows), key=lambda k: (str(k[3]), k)):
            a, b = recorded_rows.get(k, 0), predicted_rows.get(k, 0)
            if a != b:
                problems.append(f"{fmt(k)}: Spark emitted {a}, joincheck predicts {b}")
    late_ok = +predicted_late == +recorded_late
    if not late_ok:
        for b in sorted(set(predicted_late) | set(recorded_late), key=str):
            x, y = recorded_late.get(b, 0), predicted_late.get(b, 0)
            if x != y:
                problems.append(f"late rows in batch {b}: Spark dropped {x}, joincheck predicts {y}")
    return rows_ok, late_ok, problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--join", action="append", choices=sorted(MODELS), help="join kinds (default: all)")
    ap.add_argument("--joincheck", default=os.environ.get("JOINCHECK_BIN") or None,
                    help="an existing joincheck binary (default: $JOINCHECK_BIN, else cargo build --release)")
    ap.add_argument("--fixtures", default=FIXTURES,
                    help="fixtures directory with traces.jsonl and <join>.jsonl (default: the committed one)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list agreeing traces")
    args = ap.parse_args(argv)
    kinds = args.join or ["inner", "left_outer", "right_outer", "full_outer"]
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

    exe = args.joincheck
    if exe is not None and not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        print(f"compare.py: --joincheck {exe}: not an executable file")
        return 2
    if exe is not None:
        exe = os.path.abspath(exe)
    if exe is None:
        exe, err = build_joincheck()
        if exe is None:
            print(f"compare.py: cannot build joincheck: {err}")
            return 2
    status = 0
    summary = []
    # joincheck reads a trace from a file: each one goes to a file of its own here.
    scratch = tempfile.TemporaryDirectory(prefix="joincheck-spark-compare-")
    for kind, model, runs_file, runs in plan:
        agree = rows_agree = late_agree = 0
        disagreements = []
        names = list(runs)
        for name in names:
            if name not in traces:
                print(f"compare.py: {kind} {name}: no such trace in {traces_file}")
                status = 2
                continue
            trace = os.path.join(scratch.name, name + ".jsonl")
            with open(trace, "w", encoding="utf-8") as f:
                f.write("".join(step + "\n" for step in traces[name]))
            meta, rows = runs[name]
            try:
                rows_ok, late_ok, problems = compare_trace(exe, model, trace, rows, meta, f"{runs_file}, trace {name}")
            except (RuntimeError, ValueError, json.JSONDecodeError, KeyError) as e:
                print(f"compare.py: {kind} {name}: {e}")
                status = 2
                continue
            rows_agree += rows_ok
            late_agree += late_ok
            if rows_ok and late_ok:
                agree += 1
                if args.verbose:
                    print(f"  {kind} {name}: agrees")
            else:
                disagreements.append((name, problems))
        line = (f"{kind}: {agree}/{len(names)} agree "
                f"(rows {rows_agree}/{len(names)}, late counts {late_agree}/{len(names)})  [{model}]")
        print(line)
        summary.append(line)
        for name, problems in disagreements:
            print(f"  DISAGREE {name}:")
            for pr in problems:
                print(f"    {pr}")
        if disagreements and status == 0:
            status = 1
    if len(plan) > 1:
        print("summary:")
        for line in summary:
            print("  " + line)
    return status


if __name__ == "__main__":
    sys.exit(main())
