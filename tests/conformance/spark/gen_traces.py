#!/usr/bin/env python3
"""Generate joincheck traces for the real-Spark conformance harness.

Usage:
    python gen_traces.py --seed 20240101 --out DIR [--random 100]

Writes DIR/traces.jsonl (../fixtures.py): the traces edge-* (hand-made edge cases, the same
whatever the seed) and random-NNNN (seeded random traces; the same seed gives the same ones),
and DIR/traces.md describing each one.  Every trace uses the public JSON-lines format
(DESIGN.md): record, batch and end steps only.  Times are
integer milliseconds on 2024-01-01 UTC; left ids are i1, i2, ..., right ids c1, c2, ...

Notation in the comments below: "W" is Spark's global watermark, min over both inputs of
(max event time - 10 min), 0 until both inputs have had a row; it changes at the end of a batch
and is in force from the next batch on (the no-data batch that follows, then the next data
batch).  A row is late if ts <= W.  Impressions are evicted once ts <= W - 1h - 1ms, clicks once
ts <= W - 1ms (spark-join-semantics.md section 1).  "flush" is a final batch with a far-ahead
matched pair on key "z" that pushes W forward so that evictions (and outer null rows) happen.
"""

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fixtures import write_traces  # noqa: E402

DAY = 1704067200000  # 2024-01-01T00:00:00Z in ms
MIN = 60_000
HOUR = 60 * MIN


def at(h, m=0, s=0, ms=0):
    return DAY + ((h * 60 + m) * 60 + s) * 1000 + ms


class Trace:
    def __init__(self, name, doc):
        self.name = name
        self.doc = doc
        self.steps = []
        self.nl = 0
        self.nr = 0

    def L(self, key, ts):
        self.nl += 1
        self.steps.append({"type": "record", "side": "left", "key": key, "ts": ts, "id": f"i{self.nl}"})
        return self

    def R(self, key, ts):
        self.nr += 1
        self.steps.append({"type": "record", "side": "right", "key": key, "ts": ts, "id": f"c{self.nr}"})
        return self

    def B(self):
        self.steps.append({"type": "batch"})
        return self

    def flush(self, h, m=0, key="z"):
        """Close the current batch and add a far-ahead matched pair that moves W to h:m - 10 min."""
        return self.B().L(key, at(h, m)).R(key, at(h, m))

    def end(self):
        self.steps.append({"type": "end"})
        return self

    def text(self):
        for s in self.steps:
            if s["type"] == "record":
                assert s["ts"] > 0 and DAY <= s["ts"] < DAY + 24 * HOUR, s
        return "".join(json.dumps(s, separators=(",", ":")) + "\n" for s in self.steps)


def edge_traces():
    T = []

    def t(name, doc):
        tr = Trace("edge-" + name, doc)
        T.append(tr)
        return tr

    # --- rows exactly at the watermark and 1 ms after -----------------------------------------
    t("wm-exact-left", "W = 11:50 after batch 0; impression at exactly W is late, one at W+1ms is kept and matches") \
        .L("a", at(12)).R("b", at(12, 20)).B() \
        .L("c", at(11, 50)).L("c", at(11, 50, 0, 1)).R("c", at(12)).flush(14).end()
    t("wm-exact-right", "W = 11:50 after batch 0; click at exactly W is late, one at W+1ms is kept and matches") \
        .L("a", at(12)).R("b", at(12, 20)).B() \
        .L("c", at(11, 50, 0, 1)).R("c", at(11, 50)).R("c", at(11, 50, 0, 1)).flush(14).end()
    t("wm-exact-after-move", "W moves to 12:20 after batch 1; rows at 12:20 are late on both sides, rows at 12:20+1ms join") \
        .L("a", at(12)).R("a", at(12, 5)).B() \
        .L("b", at(12, 30)).R("b", at(12, 40)).B() \
        .L("c", at(12, 20)).R("c", at(12, 20)).L("d", at(12, 20, 0, 1)).R("d", at(12, 20, 0, 1)) \
        .flush(15).end()
    t("wm-minus-1ms", "rows 1 ms before the watermark are late (both sides), as is everything older") \
        .L("a", at(12)).R("a", at(12, 30)).B() \
        .L("b", at(11, 49, 59, 999)).R("b", at(11, 49, 59, 999)).L("c", at(11, 0)).R("c", at(11, 30)) \
        .flush(14).end()

    # --- the one-hour upper bound ---------------------------------------------------------------
    t("hour-bound-same-batch", "click exactly 1 h after its impression joins, 1 h + 1 ms does not; same batch") \
        .L("a", at(12)).R("a", at(13)).L("b", at(12)).R("b", at(13, 0, 0, 1)).flush(14, 30).end()
    t("hour-bound-later-batch", "the same clicks arriving one batch after their impressions") \
        .L("a", at(12)).L("b", at(12)).R("x", at(12, 5)).B() \
        .R("a", at(13)).R("b", at(13, 0, 0, 1)).flush(14, 30).end()
    t("hour-bound-minus-1ms", "click 1 h - 1 ms after joins; click 1 h + 1 ms after, in a later batch, does not") \
        .L("a", at(12)).R("a", at(12, 59, 59, 999)).L("b", at(12)).B() \
        .R("b", at(13, 0, 0, 1)).flush(14, 30).end()

    # --- the lower bound: click at the impression time and 1 ms before ---------------------------
    t("click-equals-impression", "click at the impression's time joins, 1 ms before does not; same batch") \
        .L("a", at(12)).R("a", at(12)).L("b", at(12)).R("b", at(11, 59, 59, 999)).flush(14).end()
    t("click-equals-impression-later-batch", "the same clicks one batch after their impressions (W stays 0: clicks silent)") \
        .L("a", at(12)).L("b", at(12)).B() \
        .R("a", at(12)).R("b", at(11, 59, 59, 999)).flush(14).end()

    # --- clicks arriving before their impressions -------------------------------------------------
    t("click-arrives-first", "clicks arrive one batch before the impressions (W stays 0): c1 joins, c2 (before i2's time) does not") \
        .R("a", at(12, 30)).R("b", at(12, 5)).B() \
        .L("a", at(12, 10)).L("b", at(12, 10)).flush(14).end()
    t("click-arrives-first-same-batch", "click listed before its impression in the same batch") \
        .R("a", at(12, 30)).L("a", at(12, 10)).flush(14).end()
    t("click-arrives-first-wm-moving", "click arrives first, W has moved, impression arrives on time two batches later") \
        .L("x", at(12)).R("x", at(12)).B() \
        .R("a", at(12, 20)).B() \
        .L("y", at(12, 15)).B() \
        .L("a", at(12, 5)).flush(14).end()

    # --- several partners ---------------------------------------------------------------------------
    t("two-clicks-per-impression", "two clicks within the hour of one impression: two matches") \
        .L("a", at(12)).R("a", at(12, 10)).R("a", at(12, 50)).flush(14).end()
    t("two-clicks-across-batches", "the impression's clicks arrive in three batches; W stays at 11:50 (no impression moves it)") \
        .L("a", at(12)).R("a", at(12, 10)).B() \
        .R("a", at(12, 50)).B() \
        .R("a", at(13)).flush(14, 30).end()
    t("duplicate-impressions-same-key", "three impressions on one key (two with equal times), one click: three matches") \
        .L("a", at(12)).L("a", at(12)).L("a", at(12, 5)).R("a", at(12, 30)).flush(14).end()
    t("duplicate-impressions-across-batches", "equal impressions in two batches, one click in the second") \
        .L("a", at(12)).R("x", at(12)).B() \
        .L("a", at(12)).R("a", at(12, 30)).flush(14).end()
    t("equal-times-many", "two impressions and two clicks, all on one key and one time: four matches") \
        .L("a", at(12)).L("a", at(12)).R("a", at(12)).R("a", at(12)).flush(14).end()

    # --- key reuse after eviction -------------------------------------------------------------------
    t("key-reused-after-eviction", "key a matched, both rows evicted (W 13:30), key a used again; a late click on a is dropped") \
        .L("a", at(12)).R("a", at(12, 10)).B() \
        .L("z", at(13, 40)).R("z", at(13, 40)).B() \
        .L("a", at(13, 45)).R("a", at(13, 50)).R("a", at(12, 30)).flush(16).end()
    t("key-reused-unmatched-evicted", "unmatched impression on key a evicted (outer null row), then key a reused") \
        .L("a", at(12)).B() \
        .L("z", at(13, 40)).R("z", at(13, 40)).B() \
        .L("a", at(13, 45)).R("a", at(13, 46)).flush(16).end()

    # --- empty batches and batch framing ------------------------------------------------------------
    t("empty-batches", "a leading empty batch, empty batches after a watermark move, a trailing empty batch") \
        .B().L("a", at(12)).R("a", at(12, 10)).B().B().B() \
        .L("b", at(13, 30)).R("b", at(13, 40)).B().B().end()
    t("only-empty-batches", "three empty batches and nothing else") \
        .B().B().B().end()
    t("no-markers", "no batch markers: one batch with everything") \
        .L("a", at(12)).R("a", at(12, 10)).L("b", at(12, 20)).R("b", at(12, 30)).R("b", at(13, 30)).end()
    t("trailing-records-no-end", "records after the last marker and no end step: they form a final batch") \
        .L("a", at(12)).B().R("a", at(12, 10)).L("b", at(12, 15))

    # --- one side silent ------------------------------------------------------------------------------
    t("left-only-then-click", "impressions only for four batches (W stays 0), then a click: W jumps to 13:50, old impressions evicted") \
        .L("a", at(12)).B().L("b", at(12, 30)).B().L("c", at(13)).B().L("a", at(14)).B() \
        .R("a", at(14, 5)).flush(16).end()
    t("right-only-then-impression", "clicks only for three batches (W stays 0), then an impression that joins the first") \
        .R("a", at(12)).B().R("b", at(12, 30)).B().R("c", at(13)).B() \
        .L("a", at(11, 30)).flush(14).end()
    t("wm-follows-slow-side", "impressions run far ahead; W follows the clicks, so a click 30 min after W is on time") \
        .L("a", at(12)).R("a", at(12, 10)).B() \
        .L("b", at(15)).B() \
        .R("a", at(12, 30)).R("b", at(15, 5)).B() \
        .L("c", at(15, 10)).R("c", at(15, 20)).end()

    # --- later-batch partners -------------------------------------------------------------------------
    t("click-later-batch-within-window", "click arrives two batches after its impression, after two watermark moves, still within the window") \
        .L("a", at(12)).R("b", at(12, 5)).B() \
        .L("b", at(12, 10)).B() \
        .R("a", at(12, 40)).flush(15).end()

    # --- eviction and outer null rows -------------------------------------------------------------
    t("outer-rows-on-eviction", "unmatched rows on both sides are null-padded when a far batch moves W; matched ones vanish silently") \
        .L("a", at(12)).L("b", at(12, 10)).R("c", at(12, 20)).R("a", at(12, 30)).B() \
        .L("d", at(13, 30)).R("d", at(13, 35)).B() \
        .L("e", at(15)).R("e", at(15)).end()
    t("outer-staggered-eviction", "impressions evicted in different no-data batches as W moves in steps") \
        .L("a", at(12)).L("b", at(12, 30)).R("x", at(12)).B() \
        .L("y", at(13, 20)).R("y", at(13, 20)).B() \
        .L("w", at(13, 50)).R("w", at(13, 50)).B() \
        .L("v", at(16)).R("v", at(16)).end()
    t("outer-matched-later-not-padded", "an impression matched in a later batch is not null-padded; its unmatched twin is") \
        .L("a", at(12)).L("b", at(12)).R("x", at(12)).B() \
        .R("a", at(12, 40)).flush(14, 30).end()
    t("impression-evict-boundary", "W = impression + 1h keeps it; W = impression + 1h + 1ms evicts it (outer null row then)") \
        .L("a", at(12)).B() \
        .L("z", at(13, 10)).R("z", at(13, 10)).B() \
        .L("y", at(13, 10, 0, 1)).R("y", at(13, 10, 0, 1)) \
        .flush(15, 30, key="x").end()
    t("click-evict-boundary", "W = click time keeps the click; W = click + 1ms evicts it (right-outer null row then)") \
        .R("a", at(12)).L("z", at(12, 10)).B() \
        .L("y", at(12, 10)).R("y", at(12, 10)).B() \
        .L("a", at(12)).L("b", at(12, 0, 0, 1)).B() \
        .L("x", at(12, 10, 0, 1)).R("x", at(12, 10, 0, 1)) \
        .flush(15, key="w").end()
    t("big-jump-evicts-everything", "one batch far ahead evicts all earlier state at once, both sides, matched or not") \
        .L("a", at(12)).L("b", at(12, 5)).R("a", at(12, 20)).R("c", at(12, 25)).B() \
        .L("d", at(12, 30)).R("d", at(12, 31)).R("b", at(13, 6)).B() \
        .L("z", at(20)).R("z", at(20)).end()

    # --- late rows ------------------------------------------------------------------------------------
    t("late-several-points", "late rows on both sides in three different batches, at and behind the watermark") \
        .L("a", at(12)).R("a", at(12, 5)).B() \
        .L("b", at(12, 30)).R("b", at(12, 35)).B() \
        .L("c", at(12, 10)).R("a", at(12, 15)).L("d", at(12, 25)).R("d", at(12, 26)).B() \
        .L("e", at(13, 30)).R("e", at(13, 30)).B() \
        .R("d", at(13)).L("f", at(13, 20)).L("g", at(13, 25)).R("g", at(13, 25)).flush(16).end()
    t("late-click-would-match", "a click inside its impression's window but behind W is dropped; the impression is later null-padded") \
        .L("a", at(12)).R("x", at(12, 30)).B() \
        .L("y", at(12, 40)).R("y", at(12, 40)).B() \
        .R("a", at(12, 30)).R("a", at(12, 20)).flush(14).end()
    t("all-late-batch", "a batch whose rows are all late: dropped, W unchanged, no no-data batch") \
        .L("a", at(12)).R("a", at(12, 30)).B() \
        .L("b", at(11, 40)).R("b", at(11, 45)).B() \
        .L("c", at(12, 0, 0, 1)).R("c", at(12, 0, 0, 1)).flush(14).end()
    t("same-batch-not-late", "rows behind the watermark that their own batch creates are not late (W takes effect next batch)") \
        .L("a", at(12)).R("a", at(12)).B() \
        .L("b", at(13)).R("b", at(13)).L("c", at(11, 55)).R("c", at(11, 56)).flush(15).end()
    t("late-then-on-time-same-key", "a late impression and an on-time impression on the same key in one batch") \
        .L("x", at(12)).R("x", at(12, 30)).B() \
        .L("a", at(11, 45)).L("a", at(11, 55)).R("a", at(12, 10)).flush(14).end()
    return T


# ----------------------------------------------------------------------------------------------
# Random traces
# ----------------------------------------------------------------------------------------------

def random_trace(seed, idx):
    rng = random.Random(f"joincheck-spark:{seed}:{idx}")
    tr = Trace(f"random-{idx:04d}", f"random trace {idx} of seed {seed}")
    keys = ["a", "b", "c", "d"][: rng.randint(1, 3)]
    nbatches = rng.randint(2, 6)
    frontier = at(rng.randint(8, 12), rng.choice([0, 10, 20, 30, 40, 50]))
    max_l = max_r = None
    wm = 0  # the generator's estimate of Spark's W, only used to place rows near it
    lefts = []  # (key, ts) of earlier impressions, for clicks near their window bounds

    def wiggle(ts):
        r = rng.random()
        if r < 0.08:
            return ts + 1
        if r < 0.16:
            return ts - 1
        return ts

    for b in range(nbatches):
        if b:
            tr.B()
            frontier += rng.choice([0, 5, 10, 15, 20, 30, 45, 60, 90]) * MIN
        n = rng.randint(1, 5)
        batch = []
        for _ in range(n):
            side = rng.choice(["left", "right"])
            key = rng.choice(keys)
            r = rng.random()
            if wm > 0 and r < 0.12:
                # on the watermark: exactly at it (late) or 1 ms after (on time)
                ts = wm + rng.choice([0, 0, 1, -1])
            elif wm > 0 and r < 0.22:
                # behind the watermark: late
                ts = wm - rng.choice([1, 5, 20, 40]) * MIN
            elif side == "right" and lefts and r < 0.70:
                # a click near one of the impressions' window
                lk, lts = rng.choice(lefts)
                key = lk if rng.random() < 0.85 else key
                off = rng.choice([0, 0, 5, 10, 30, 45, 59, 60, 60, 61, -1]) * MIN
                ts = lts + off
                if off in (0, 60 * MIN) and rng.random() < 0.5:
                    ts += rng.choice([-1, 1])
                else:
                    ts = wiggle(ts)
            else:
                ts = wiggle(frontier - rng.choice([0, 0, 0, 1, 2, 5, 10, 15, 20]) * MIN)
            ts = max(DAY + 1, min(DAY + 24 * HOUR - 1, ts))
            batch.append((side, key, ts))
        rng.shuffle(batch)
        for side, key, ts in batch:
            if side == "left":
                tr.L(key, ts)
                lefts.append((key, ts))
                max_l = ts if max_l is None else max(max_l, ts)
            else:
                tr.R(key, ts)
                max_r = ts if max_r is None else max(max_r, ts)
        cand = min((max_l - 10 * MIN) if max_l is not None else 0,
                   (max_r - 10 * MIN) if max_r is not None else 0)
        wm = max(wm, cand)
    tr.end()
    return tr


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--random", type=int, default=100, help="number of random traces (default 100)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    traces = edge_traces() + [random_trace(args.seed, i) for i in range(args.random)]
    names = [t.name for t in traces]
    assert len(set(names)) == len(names)
    write_traces(os.path.join(args.out, "traces.jsonl"), {t.name: t.text().splitlines() for t in traces})
    with open(os.path.join(args.out, "traces.md"), "w", encoding="utf-8") as f:
        f.write(f"# Traces (gen_traces.py --seed {args.seed} --random {args.random})\n\n")
        f.write("| trace | what it exercises |\n| --- | --- |\n")
        for t in traces:
            f.write(f"| `{t.name}` | {t.doc} |\n")
    n_edge = sum(1 for t in traces if t.name.startswith("edge-"))
    print(f"gen_traces.py: wrote {n_edge} edge traces and {args.random} random traces to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
