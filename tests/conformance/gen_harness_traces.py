#!/usr/bin/env python3
"""Traces for the JVM engines' own harnesses (flink-harness/run.sh, kafka-streams/run.sh): every
trace of a small scope, plus seeded random ones.

Usage:
    python3 gen_harness_traces.py --set keyed-ttl|keyed-fixed|interval|kafka --out DIR [--seed 7] [--random 120]
                                  [--add TRACE.jsonl...]

Writes DIR/traces.jsonl (fixtures.py): the traces scope-NNNN (every trace of the set's scope,
below, in a fixed order) and random-NNNN (seeded: the same seed gives the same traces), in
joincheck's trace format (models/README.md), with the trace files --add names as they are
(each named by its file name: the checker's counterexamples). Times are milliseconds from 0,
the scale of the bundled models' scopes.

The scopes, each the alphabet of a short interleaving, all orders of it:
- keyed-ttl (the seed's function, [0, 24h], TTL 24h): one key; one or two records, impressions
  at 0 and clicks at 1h, 24h or 24h1ms, in every order; with none, or one of these chains
  placed anywhere among them: a both-inputs watermark at 24h; a processing time of 24h (expires
  anything written at 0); that processing time then a snapshot (checkpoint and restore:
  cleanupFullSnapshot); the watermark then the processing time.
- keyed-fixed (the corrected function, [0, 24h]): the same alphabet.
- interval (IntervalJoinOperator, [0, 1h], BoundedOutOfOrderness 10m on both inputs, derived
  after every record by the driver): two keys; up to two impressions and two clicks at 0, 1h,
  1h1ms, 1h10m1ms (one or two records), in every order.
- kafka (a KStream-KStream join, recorded for [0, 1h] with 10m grace and [5m, 20m] with none):
  one key; impressions at 0 and 1h10m1ms, clicks at 0, 5m, 1h and 2h20m1ms (one to three
  records), in every order: times at 0 (Kafka clamps fetch ranges at 0), at the window's end,
  and past window plus grace.
Random traces draw 2 to 7 records over 1 to 3 keys at the join's constants (bound ends,
delays, TTL) from earlier times, give or take 1 ms, with per-input watermarks, processing
times and snapshots for the keyed sets.
"""

import argparse
import itertools
import json
import os
import random

from fixtures import trace_lines, trace_name_of, write_traces

H = 3_600_000
M = 60_000
D = 24 * H


def records(lefts, rights, keys, max_records):
    """Every multiset of records: (side, key, ts) with up to two per side, at most max_records."""
    out = []
    items = [("left", k, t) for k in keys for t in lefts] + [("right", k, t) for k in keys for t in rights]
    for n in range(1, max_records + 1):
        for combo in itertools.combinations_with_replacement(items, n):
            per_side = [sum(1 for c in combo if c[0] == s) for s in ("left", "right")]
            if max(per_side) <= 2:
                out.append(combo)
    return out


def interleavings(events):
    """Every distinct order of `events` (a tuple of hashable steps)."""
    seen = set()
    for perm in itertools.permutations(events):
        if perm not in seen:
            seen.add(perm)
            yield perm


def to_steps(order):
    steps, n = [], {"left": 0, "right": 0}
    for e in order:
        if e[0] in ("left", "right"):
            n[e[0]] += 1
            rid = ("i" if e[0] == "left" else "c") + str(n[e[0]])
            steps.append({"type": "record", "side": e[0], "key": e[1], "ts": e[2], "id": rid})
        elif e[0] == "wm":
            steps.append({"type": "watermark", "ts": e[1]})
        elif e[0] == "pt":
            steps.append({"type": "processing_time", "ts": e[1]})
        elif e[0] == "snap":
            steps.append({"type": "snapshot"})
    steps.append({"type": "end"})
    return steps


def scope(name):
    if name in ("keyed-ttl", "keyed-fixed"):
        recs = records([0], [H, D, D + 1], ["a"], 2)
        # Steps besides records, each chain in this order, placed anywhere among the records.
        chains = [(), (("wm", D),), (("pt", D),), (("pt", D), ("snap",)), (("wm", D), ("pt", D))]
    elif name == "kafka":
        recs = records([0, H + 10 * M + 1], [0, 5 * M, H, 2 * H + 20 * M + 1], ["a"], 3)
        chains = [()]
    else:
        recs = records([0, H], [H, H + 1, H + 10 * M + 1], ["a", "b"], 2)
        chains = [()]
    traces = []
    for rec in recs:
        for order in interleavings(tuple(rec)):
            for chain in chains:
                n = len(order) + len(chain)
                for slots in itertools.combinations(range(n), len(chain)):
                    merged, rest, extra = [], iter(order), iter(chain)
                    for i in range(n):
                        merged.append(next(extra) if i in slots else next(rest))
                    traces.append(to_steps(merged))
    return traces


def random_trace(name, rng):
    if name == "interval":
        constants = [0, H, 10 * M, H + 10 * M, 1, -1]
        keys = ["a", "b", "c"][: rng.randint(1, 3)]
    elif name == "kafka":
        constants = [0, H, 10 * M, H + 10 * M, 5 * M, 20 * M, 25 * M, 1, -1]
        keys = ["a", "b", "c"][: rng.randint(1, 3)]
    else:
        constants = [0, H, D, D - H, 1, -1]
        keys = ["a", "b"][: rng.randint(1, 2)]
    seen, steps, n = [0], [], {"left": 0, "right": 0}
    wm, pt = {"left": None, "right": None}, 0
    records_left = rng.randint(2, 7)
    while records_left > 0:
        r = rng.random()
        if name not in ("interval", "kafka") and r < 0.15:
            side = rng.choice(["left", "right"])
            w = rng.choice(seen) + rng.choice(constants) + rng.choice([-1, 0, 0, 1])
            if wm[side] is None or w > wm[side]:
                wm[side] = w
                steps.append({"type": "watermark", "side": side, "ts": w})
        elif name not in ("interval", "kafka") and r < 0.22:
            pt += rng.choice([H, D - 1, D, D + 1, 2 * D])
            steps.append({"type": "processing_time", "ts": pt})
        elif name not in ("interval", "kafka") and r < 0.27:
            steps.append({"type": "snapshot"})
        else:
            side = rng.choice(["left", "right"])
            ts = max(0, rng.choice(seen) + rng.choice(constants) + rng.choice([-1, 0, 0, 1]))
            seen.append(ts)
            n[side] += 1
            rid = ("i" if side == "left" else "c") + str(n[side])
            steps.append({"type": "record", "side": side, "key": rng.choice(keys), "ts": ts, "id": rid})
            records_left -= 1
    steps.append({"type": "end"})
    return steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", required=True, choices=["keyed-ttl", "keyed-fixed", "interval", "kafka"])
    ap.add_argument("--out", required=True, help="the directory that gets traces.jsonl")
    ap.add_argument("--add", nargs="*", default=[], metavar="TRACE.jsonl",
                    help="trace files to include as they are, named by their file names")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--random", type=int, default=120)
    ap.add_argument("--count", action="store_true", help="print how many scope traces there are")
    args = ap.parse_args()
    traces = scope(args.set)
    if args.count:
        print(len(traces))
        return
    lines = lambda steps: [json.dumps(s, separators=(",", ":")) for s in steps]
    out = {f"scope-{i:04}": lines(steps) for i, steps in enumerate(traces)}
    rng = random.Random(args.seed)
    for i in range(args.random):
        out[f"random-{i:04}"] = lines(random_trace(args.set, rng))
    for path in args.add:
        name = trace_name_of(path)
        if name in out:
            raise SystemExit(f"gen_harness_traces.py: --add {path}: there is a trace {name} already")
        out[name] = trace_lines(path)
    os.makedirs(args.out, exist_ok=True)
    write_traces(os.path.join(args.out, "traces.jsonl"), out)


if __name__ == "__main__":
    main()
