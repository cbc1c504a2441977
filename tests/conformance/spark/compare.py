#!/usr/bin/env python3
"""Compare the recorded real-Spark fixtures with joincheck's `spark` profile prediction.

Usage (from anywhere; paths are relative to the repository root):
    python3 tests/conformance/spark/compare.py [--join KIND ...] [--joincheck BIN] [-v]

For every join kind with recorded fixtures under tests/conformance/spark/fixtures/<join>/ and
every trace in fixtures/traces/, this runs

    joincheck oracle --model models/spark-impressions-clicks<suffix>.toml --trace T

and compares, per trace:
  * rows:  the multiset of (type, ids, batch) of the `match` and `unmatched` lines, against the
           recorded <trace>.out.jsonl;
  * late:  the number of `late` lines per trace batch, against the sum of Spark's
           numRowsDroppedByWatermark over the Spark batches of that trace batch
           (<trace>.meta.json), because Spark counts late rows but does not name them.
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

HERE = os.path.dirname(os.path.abspath(__file__))
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


def load_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                out.append((json.loads(line), f"{path}:{n}"))
    return out


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


def compare_trace(exe, model, trace_path, out_path, meta_path):
    """Return (rows_agree, late_counts_agree, problems); raises RuntimeError if joincheck fails."""
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
    recorded_rows = collections.Counter(row_key(o, w) for o, w in load_jsonl(out_path))
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
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
                    help="fixtures directory with traces/ and <join>/ (default: the committed one)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list agreeing traces")
    args = ap.parse_args(argv)
    kinds = args.join or ["inner", "left_outer", "right_outer", "full_outer"]
    fixtures = os.path.abspath(args.fixtures)
    traces_dir = os.path.join(fixtures, "traces")

    if not os.path.isdir(traces_dir):
        print(f"compare.py: no traces in {traces_dir}; run record.sh first")
        return 0
    plan = []
    for kind in kinds:
        model = MODELS[kind]
        fixdir = os.path.join(fixtures, kind)
        if not os.path.exists(os.path.join(REPO, model)):
            print(f"compare.py: {kind}: model {model} is missing; skipping the comparison for {kind}")
            continue
        if not os.path.isdir(fixdir):
            print(f"compare.py: {kind}: no recorded fixtures in {fixdir}; skipping")
            continue
        names = sorted(f[: -len(".out.jsonl")] for f in os.listdir(fixdir) if f.endswith(".out.jsonl"))
        plan.append((kind, model, fixdir, names))
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
    for kind, model, fixdir, names in plan:
        agree = rows_agree = late_agree = 0
        disagreements = []
        for name in names:
            trace = os.path.join(traces_dir, name + ".jsonl")
            out = os.path.join(fixdir, name + ".out.jsonl")
            meta = os.path.join(fixdir, name + ".meta.json")
            if not os.path.exists(trace) or not os.path.exists(meta):
                print(f"compare.py: {kind} {name}: trace or metadata file missing")
                status = 2
                continue
            try:
                rows_ok, late_ok, problems = compare_trace(exe, model, trace, out, meta)
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
