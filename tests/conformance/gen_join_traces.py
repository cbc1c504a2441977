#!/usr/bin/env python3
"""Traces for any join: edge cases placed at the join's own constants, plus seeded random ones.

Usage:
    python gen_join_traces.py --engine spark|flink --bounds "[0ms, 1h]" \\
        --left-delay 10m --right-delay 10m --seed N --random 3 --out DIR

It writes DIR/traces.jsonl (fixtures.py) and DIR/traces.md, a line on each trace.

The seed's generators (spark/gen_traces.py, flink/gen_traces.py) hand-place times for the
seed's query ([0, 1h], 10-minute delays).  This one derives every time from the join it is
given (../joinparams.py): the window's smallest and largest offsets `lo` and `hi` (right.ts -
left.ts), the delays `dL` and `dR`, and the watermark they give, so that the same edge cases
land on the boundaries of whatever join is recorded:

* a right row at lo - 1, lo, hi and hi + 1 from a left row, in the same batch, a later one,
  and arriving first;
* an unmatched left row while the watermark steps to its eviction boundary (ts + hi) - 1, at,
  and + 1, then the same for a right row around ts - lo (and ts, where Spark's equality key
  evicts it), so that null rows and state sizes show the exact step of eviction;
* a row's last possible partner arriving after the watermark stepped to just short of the
  boundary (and, for a right row, to its own time, where Spark's equality key evicts it);
* rows exactly at the watermark and 1 ms after it on both sides;
* three left rows matching one right row, in the same batch and with the right row first (what
  a left semi join keeps in state);
* a key used again after its rows were evicted.

For Spark, `W` moves at the end of a micro-batch to min(max left ts - dL, max right ts - dR)
(0 until both sides had a row); the "set W" batches hold one row per side on key "z" placed to
give exactly the wanted W.  Flink traces are the same sequences without batch markers: Flink
SQL's watermark follows every row.  Random traces: 2-6 batches of 1-5 rows, 1-2 keys, times
drawn at the join's constants from earlier rows and from the running W, ±1 ms.
"""

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import write_traces  # noqa: E402
from joinparams import Join  # noqa: E402

DAY = 1704067200000  # 2024-01-01T00:00:00Z
MIN = 60_000


class Trace:
    def __init__(self, name, doc, join, batches):
        self.name, self.doc, self.join, self.batches = name, doc, join, batches
        self.steps, self.nl, self.nr, self.open = [], 0, 0, False
        self.max = {"left": None, "right": None}
        self.w = 0  # the W this trace's own rows give (Spark's rule); the generator's estimate

    def _rec(self, side, key, ts):
        if side == "left":
            self.nl += 1
            rid = f"i{self.nl}"
        else:
            self.nr += 1
            rid = f"c{self.nr}"
        self.steps.append({"type": "record", "side": side, "key": key, "ts": ts, "id": rid})
        self.open = True
        m = self.max[side]
        self.max[side] = ts if m is None else max(m, ts)
        return self

    def L(self, key, ts):
        return self._rec("left", key, ts)

    def R(self, key, ts):
        return self._rec("right", key, ts)

    def B(self):
        """Close the open batch (nothing happens if no row came since the last marker)."""
        if not self.open:
            return self
        self.open = False
        if self.batches:
            self.steps.append({"type": "batch"})
        if self.max["left"] is not None and self.max["right"] is not None:
            self.w = max(self.w, min(self.max["left"] - self.join.left_delay,
                                     self.max["right"] - self.join.right_delay))
        return self

    def set_w(self, w, key="z"):
        """Close the batch, then a batch whose two rows on `key` make the watermark exactly w."""
        self.B()
        self.L(key, w + self.join.left_delay).R(key, w + self.join.right_delay)
        return self.B()

    def flush(self):
        """A far-ahead pair that moves W past every row of the trace."""
        times = [s["ts"] for s in self.steps if s["type"] == "record"]
        far = max(times, default=DAY) + 2 * (abs(self.join.lower) + abs(self.join.upper)
                                             + self.join.left_delay + self.join.right_delay) + 60 * MIN
        return self.set_w(far)

    def text(self):
        return "".join(json.dumps(s, separators=(",", ":")) + "\n" for s in self.steps + [{"type": "end"}])


def edge_traces(join, batches):
    lo, hi = join.lowest, join.highest
    T0 = DAY + 60 * MIN
    out = []

    def t(name, doc):
        tr = Trace("edge-" + name, doc, join, batches)
        out.append(tr)
        return tr

    tr = t("window-ends-same-batch", "right rows at lo-1, lo, hi, hi+1 from a left row, one batch")
    tr.L("a", T0)
    for d in (lo - 1, lo, hi, hi + 1):
        tr.R("a", T0 + d)
    tr.flush()

    tr = t("window-ends-later-batch", "the same right rows one batch after the left row")
    tr.L("a", T0).B()
    for d in (lo - 1, lo, hi, hi + 1):
        tr.R("a", T0 + d)
    tr.flush()

    tr = t("right-first", "right rows at lo, hi and lo-1 from a left row that arrives a batch later")
    for d in (lo, hi, lo - 1):
        tr.R("a", T0 + d)
    tr.B().L("a", T0).flush()

    tr = t("left-eviction-steps", "an unmatched left row while W steps to ts+hi-1, ts+hi, ts+hi+1")
    tr.L("a", T0)
    for w in (T0 + hi - 1, T0 + hi, T0 + hi + 1):
        tr.set_w(w)
    tr.flush()

    tr = t("right-eviction-steps", "an unmatched right row while W steps to ts-lo-1, ts-lo, ts-lo+1, ts, ts+1")
    T1 = T0 + 30 * MIN
    tr.R("a", T1)
    for w in sorted({T1 - lo - 1, T1 - lo, T1 - lo + 1, T1, T1 + 1}):
        if w > tr.w:
            tr.set_w(w)
    tr.flush()

    tr = t("left-partner-after-steps", "a left row while W steps to ts+hi-1, then its last partner at ts+hi")
    tr.L("a", T0).set_w(T0 + hi - 1).R("a", T0 + hi).flush()

    tr = t("right-partner-after-steps", "a right row while W steps to ts and ts-lo-1, then its last partner at ts-lo")
    tr.R("a", T1)
    for w in sorted({T1, T1 - lo - 1}):
        if w > tr.w:
            tr.set_w(w)
    tr.L("a", T1 - lo).flush()

    tr = t("at-the-watermark", "rows exactly at W and 1 ms after it on both sides, with partners")
    X = T0 + 20 * MIN
    tr.set_w(X)
    tr.L("a", X).L("b", X + 1).R("a", X + lo).R("b", X + 1 + lo).R("c", X).B()
    tr.L("c", X + 1 - lo).flush()

    tr = t("three-left-one-right", "three left rows and a right row matching all, in one batch; a second right row later")
    tr.L("a", T0).L("a", T0).L("a", T0).R("a", T0 + lo).B().R("a", T0 + hi).flush()

    tr = t("three-left-right-first", "a right row, then three left rows it matches, a batch later")
    tr.R("a", T0 + hi).B().L("a", T0).L("a", T0).L("a", T0).flush()

    tr = t("key-reuse", "a pair on key a, evicted by a far watermark, then key a again")
    tr.L("a", T0).R("a", T0 + lo).flush()
    far = tr.w + 60 * MIN
    tr.L("a", far).R("a", far + hi).flush()
    return out


def random_trace(join, batches, rng, n):
    tr = Trace(f"random-{n:04d}", "seeded random", join, batches)
    lo, hi, dl, dr = join.lowest, join.highest, join.left_delay, join.right_delay
    consts = sorted({lo, hi, lo - 1, hi + 1, 0, dl, dr, -dl, -dr, hi + dl, lo - dr})
    base = DAY + 60 * MIN + rng.randrange(0, 60) * MIN
    keys = ["a", "b"][: rng.randint(1, 2)]
    for _ in range(rng.randint(2, 6)):
        for _ in range(rng.randint(1, 5)):
            side = rng.choice(("left", "right"))
            earlier = [s for s in tr.steps if s["type"] == "record"]
            pick = rng.random()
            if earlier and pick < 0.5:
                e = rng.choice(earlier)
                c = rng.choice(consts)
                ts = e["ts"] + (c if e["side"] == "left" else -c)
            elif pick < 0.7 and tr.w > 0:
                ts = tr.w + rng.choice((-1, 0, 1, 1 + lo, -lo))
            else:
                ts = base + rng.randrange(-20, 40) * MIN + rng.choice((0, 0, 0, 1, -1))
            tr._rec(side, rng.choice(keys), max(ts, DAY))
        tr.B()
    if rng.random() < 0.75:
        tr.flush()
    return tr


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", choices=("spark", "flink"), required=True)
    ap.add_argument("--bounds", required=True)
    ap.add_argument("--left-delay", required=True)
    ap.add_argument("--right-delay", required=True)
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--random", type=int, default=3, help="random traces (default 3)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    join = Join(args.bounds, args.left_delay, args.right_delay)
    batches = args.engine == "spark"
    rng = random.Random(f"joincheck-joins:{args.seed}:{join.bounds()}:{join.left_delay}:{join.right_delay}")
    traces = edge_traces(join, batches) + [random_trace(join, batches, rng, n) for n in range(args.random)]
    os.makedirs(args.out, exist_ok=True)
    index = [f"# Traces for {join.bounds()}, delays {args.left_delay} / {args.right_delay} ({args.engine})\n\n"]
    for tr in traces:
        index.append(f"* `{tr.name}`: {tr.doc}\n")
    write_traces(os.path.join(args.out, "traces.jsonl"), {tr.name: tr.text().splitlines() for tr in traces})
    with open(os.path.join(args.out, "traces.md"), "w", encoding="utf-8") as f:
        f.write("".join(index))
    print(f"gen_join_traces.py: {len(traces)} traces in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
