#!/usr/bin/env python3
"""Generate joincheck traces for the real-Flink (SQL interval join) conformance harness.

Usage:
    python gen_traces.py --seed 20240101 --out DIR [--random 60]

Writes DIR/traces.jsonl (../fixtures.py): the traces edge-* (hand-made edge cases, the same
whatever the seed), doc-trace-* (the three traces recorded in real-engines.md section 2.4) and
random-NNNN (seeded random traces; the same seed gives the same ones), plus DIR/traces.md
describing each one.  Every trace uses the public JSON-lines format (DESIGN.md) with `record` and `end` steps only (no
`batch`: Flink processes one row at a time).  Times are integer milliseconds on 2024-01-01 UTC,
far above 0, so every SQL watermark is positive.  Left ids are i1, i2, ..., right ids c1, c2, ...

Notation in the comments below (flink-join-semantics.md sections 2 and 7): each side's SQL
watermark is (max event time of that side - 10 min), emitted right AFTER the row that raises it;
the join's watermark "W" is the min of the two, MIN until both sides have had a row.  A row is
processed under the W left by the rows before it.  Impressions (left) are cached while
W < ts + 1h, and their cleanup timer fires at W >= ts + 1h + 1 ms (one timer per side and key,
registered by the first cached row); clicks (right) are cached only while W < ts, timer at
ts + 1 ms.  Late rows are never dropped: they join what is still cached.  An unmatched impression
is null-padded (left outer) when its timer fires, when a click's scan removes it, at once if it
arrives with W >= ts + 1h, or at end of input (the MAX watermark).  "flush(h, m)" adds a matched
pair on a fresh key at h:m on both sides, which moves W to h:m - 10 min.
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
        self.nflush = 0

    def L(self, key, ts, rid=None):
        self.nl += 1
        self.steps.append({"type": "record", "side": "left", "key": key, "ts": ts, "id": rid or f"i{self.nl}"})
        return self

    def R(self, key, ts, rid=None):
        self.nr += 1
        self.steps.append({"type": "record", "side": "right", "key": key, "ts": ts, "id": rid or f"c{self.nr}"})
        return self

    def flush(self, h, m=0, s=0, ms=0, key=None):
        """A matched pair far ahead on a fresh key: W becomes h:m:s.ms - 10 min."""
        self.nflush += 1
        key = key or f"z{self.nflush}"
        return self.L(key, at(h, m, s, ms)).R(key, at(h, m, s, ms))

    def end(self):
        self.steps.append({"type": "end"})
        return self

    def text(self):
        for s in self.steps:
            assert s["type"] in ("record", "end"), s
            if s["type"] == "record":
                assert DAY <= s["ts"] < DAY + 24 * HOUR, s
        return "".join(json.dumps(s, separators=(",", ":")) + "\n" for s in self.steps)


def edge_traces():
    T = []

    def t(name, doc):
        tr = Trace("edge-" + name, doc)
        T.append(tr)
        return tr

    # --- the one-hour upper bound -------------------------------------------------------------
    t("hour-bound-exact", "click exactly 1 h after its impression joins") \
        .L("a", at(12)).R("a", at(13)).end()
    t("hour-bound-plus-1ms", "click 1 h + 1 ms after its impression does not join; the impression is padded at end of input") \
        .L("a", at(12)).R("a", at(13, 0, 0, 1)).end()
    t("hour-bound-both", "1 h joins and 1 h + 1 ms does not, on two keys; a flush then pads the unmatched impression by its timer") \
        .L("a", at(12)).L("b", at(12)).R("a", at(13)).R("b", at(13, 0, 0, 1)).flush(15).end()
    t("hour-bound-click-first", "clicks at 1 h and 1 h + 1 ms arrive before their impressions (W is MIN, both cached)") \
        .R("a", at(13)).R("b", at(13, 0, 0, 1)).L("a", at(12)).L("b", at(12)).flush(15).end()
    t("hour-bound-late-click-at-wm", "W = 13:00 = impression + 1 h; a click at exactly 13:00 (at W, not cached) still joins the cached impression") \
        .L("a", at(12)).flush(13, 10).R("a", at(13)).end()
    t("hour-bound-late-click-after-cleanup", "W = 13:00 + 1 ms fires the impression's timer; a click at 13:00 then finds nothing") \
        .L("a", at(12)).flush(13, 10, 0, 1).R("a", at(13)).end()
    t("hour-bound-minus-1ms", "click 1 h - 1 ms after joins; one 1 h + 1 ms after, arriving later, does not") \
        .L("a", at(12)).R("a", at(12, 59, 59, 999)).L("b", at(12)).R("b", at(13, 0, 0, 1)).flush(14, 30).end()

    # --- the lower bound: click at the impression time and 1 ms before ------------------------
    t("click-equals-impression", "click at the impression's time joins") \
        .L("a", at(12)).R("a", at(12)).end()
    t("click-1ms-before-impression", "click 1 ms before the impression does not join") \
        .L("a", at(12)).R("a", at(11, 59, 59, 999)).end()
    t("click-equals-impression-click-first", "the same two cases with the click arriving first") \
        .R("a", at(12)).L("a", at(12)).R("b", at(11, 59, 59, 999)).L("b", at(12)).flush(14).end()

    # --- clicks arriving before their impressions ---------------------------------------------
    t("click-arrives-first", "clicks arrive before the impressions (W MIN): c1 joins, c2 (before i2's time) does not") \
        .R("a", at(12, 30)).R("b", at(12, 5)).L("a", at(12, 10)).L("b", at(12, 10)).flush(14).end()
    t("click-arrives-first-wm-moving", "click cached ahead of W; its impression arrives later exactly at W (12:05) and joins") \
        .L("x", at(12)).R("x", at(12)).R("a", at(12, 20)).L("y", at(12, 15)).L("a", at(12, 5)).end()
    t("click-first-behind-wm-not-cached", "a click behind W is not cached, so its impression arriving later (also late) misses it") \
        .L("x", at(12)).R("x", at(12)).flush(12, 40).R("a", at(12, 25)).L("a", at(12, 10)).flush(14).end()

    # --- several partners -----------------------------------------------------------------------
    t("two-clicks-per-impression", "two clicks within the hour of one impression: two matches") \
        .L("a", at(12)).R("a", at(12, 10)).R("a", at(12, 50)).end()
    t("two-clicks-one-late", "the second click arrives behind W (12:50) but the impression is still cached: two matches") \
        .L("a", at(12)).R("a", at(12, 50)).flush(13).R("a", at(12, 10)).end()
    t("duplicate-impressions-same-key", "three impressions on one key (two with equal times), one click: three matches") \
        .L("a", at(12)).L("a", at(12)).L("a", at(12, 5)).R("a", at(12, 30)).end()
    t("duplicate-impressions-one-in-range", "two impressions of one key, the click is in range of the later one only; the earlier is padded by its timer") \
        .L("a", at(12)).L("a", at(12, 40)).R("a", at(13, 20)).flush(15).end()
    t("equal-times-many", "two impressions and two clicks, all on one key and one time: four matches") \
        .L("a", at(12)).L("a", at(12)).R("a", at(12)).R("a", at(12)).end()

    # --- rows at and behind the combined watermark --------------------------------------------
    t("left-at-wm-and-1ms-behind", "W = 12:20; impressions at exactly W and 1 ms behind it are late but join the cached clicks") \
        .L("x", at(12)).R("a", at(12, 30)).R("b", at(12, 30)).L("y", at(12, 40)) \
        .L("a", at(12, 20)).L("b", at(12, 19, 59, 999)).flush(14).end()
    t("right-at-wm-and-1ms-behind", "W = 12:20; clicks at exactly W and 1 ms behind it join the cached impression but are not cached themselves: a later impression misses them") \
        .L("a", at(12)).L("y", at(12, 30)).R("y", at(12, 30)) \
        .R("a", at(12, 20)).R("a", at(12, 19, 59, 999)).L("a", at(12, 15)).flush(14).end()
    t("right-1ms-ahead-of-wm", "W = 12:20; a click at W + 1 ms is cached, and a late impression arriving after it joins it") \
        .L("y", at(12, 30)).R("y", at(12, 30)).R("a", at(12, 20, 0, 1)).L("a", at(12, 15)).flush(14).end()
    t("left-window-closed", "W = 13:00: an impression at 12:00 (window closed: W = ts + 1h) is padded at once; one at 12:00 + 1 ms is cached and padded when W passes 13:00 + 1 ms") \
        .flush(13, 10).L("a", at(12)).L("b", at(12, 0, 0, 1)).R("q", at(12, 30)).flush(13, 10, 0, 2).end()
    t("late-left-joins-cached-click", "the click is cached while W is MIN; W moves to 12:25; an impression at 12:00 (late) joins it") \
        .R("a", at(12, 30)).flush(12, 35).L("a", at(12)).end()
    t("late-right-joins-cached-impression", "impression cached; W moves to 12:45; a click at 12:30 (late) joins it") \
        .L("a", at(12)).flush(12, 55).R("a", at(12, 30)).end()
    t("late-right-after-cleanup", "impression cleaned up (W 13:05); a late click at 12:50 finds nothing") \
        .L("a", at(12)).flush(13, 15).R("a", at(12, 50)).end()
    t("late-both-sides", "late rows on both sides, at several watermark positions, joining and not joining") \
        .L("a", at(12)).R("a", at(12, 5)).L("b", at(12, 30)).R("b", at(12, 35)) \
        .L("c", at(12, 10)).R("a", at(12, 15)).L("d", at(12, 24)).R("d", at(12, 26)) \
        .flush(13, 30).R("d", at(13)).L("f", at(13, 20)).L("g", at(13, 10)).R("g", at(13, 25)).flush(16).end()
    t("late-pair-same-key", "a late impression and its late click, both behind W: the click is not cached and arrives after the impression, so they join") \
        .flush(13).L("a", at(12)).R("a", at(12, 30)).end()
    t("late-pair-click-first", "the same late pair with the click first: the click is not cached, so they do not join") \
        .flush(13).R("a", at(12, 30)).L("a", at(12)).end()

    # --- null padding (left outer) --------------------------------------------------------------
    t("outer-pad-boundary", "W reaches exactly 13:00 (no padding), then 13:00 + 1 ms: the unmatched impression at 12:00 is padded then") \
        .L("a", at(12)).flush(13, 10).flush(13, 10, 0, 1).end()
    t("outer-pad-at-end-only", "W never reaches 13:00 + 1 ms; the unmatched impression is padded only at end of input") \
        .L("a", at(12)).R("b", at(12, 30)).L("c", at(12, 50)).R("c", at(12, 55)).end()
    t("outer-pad-raised-by-right", "the left side runs ahead; the click that finally raises W pads the impression") \
        .L("a", at(12)).R("x", at(12, 30)).L("y", at(15)).R("w", at(13, 5)).R("v", at(13, 10, 0, 1)).end()
    t("outer-matched-late-not-padded", "an impression matched by a late click is not padded later; its unmatched twin is") \
        .L("a", at(12)).L("b", at(12)).flush(12, 50).R("a", at(12, 30)).flush(15).end()
    t("outer-delayed-pad-pending-timer", "S20: L(12:30) then L(12:00) on one key: one timer at 13:30 + 1 ms; W passes 13:00 + 1 ms (no padding yet), then 13:30 + 1 ms pads both") \
        .L("a", at(12, 30)).L("a", at(12)).flush(13, 20).flush(13, 40, 0, 1).end()
    t("outer-eager-removal-by-click", "L(12:30), L(12:00) on one key; W = 13:10; an on-time click at 13:15 joins 12:30 and removes (pads) 12:00 before its timer") \
        .L("a", at(12, 30)).L("a", at(12)).flush(13, 20).R("a", at(13, 15)).flush(16).end()
    t("outer-pad-many-keys-same-wm", "four unmatched impressions on four keys, all padded by one watermark advance") \
        .L("a", at(12)).L("b", at(12, 10)).L("c", at(12, 20)).L("d", at(11, 55)).R("x", at(12, 30)).flush(14).end()
    t("outer-end-flush-matched-not-padded", "at end of input only the unmatched impressions are padded") \
        .L("a", at(12)).L("b", at(12, 10)).R("a", at(12, 20)).L("c", at(12, 30)).R("c", at(12, 40)).end()

    # --- one side silent ------------------------------------------------------------------------
    t("left-only", "impressions only: the click side has no watermark, W stays MIN, everything is padded at end of input") \
        .L("a", at(12)).L("b", at(14)).L("c", at(16)).L("a", at(18)).end()
    t("right-only", "clicks only: nothing is ever emitted") \
        .R("a", at(12)).R("b", at(14)).R("a", at(16)).end()
    t("right-silent-after-start", "one early click, then impressions only: W stays at 11:50, padding waits for end of input") \
        .R("x", at(12)).L("a", at(12)).L("b", at(13)).L("c", at(15)).L("d", at(17)).end()
    t("right-silent-then-click", "impressions only for a while (W MIN), then one click raises W to 13:50 and pads the old impressions") \
        .L("a", at(12)).L("b", at(12, 30)).L("c", at(13)).L("a", at(14)).R("a", at(14, 5)).end()
    t("wm-follows-slow-side", "impressions run far ahead; W follows the clicks, so a click 30 min behind the impressions' frontier still joins") \
        .L("a", at(12)).R("a", at(12, 10)).L("b", at(15)).R("a", at(12, 30)).R("b", at(15, 5)) \
        .L("c", at(15, 10)).R("c", at(15, 20)).end()

    # --- key reuse after cleanup ----------------------------------------------------------------
    t("key-reused-after-cleanup", "key a matched, both rows cleaned up (W 13:30), key a used again; a late click for the old impression finds nothing") \
        .L("a", at(12)).R("a", at(12, 10)).flush(13, 40).L("a", at(13, 45)).R("a", at(13, 50)).R("a", at(12, 30)) \
        .flush(16).end()
    t("key-reused-unmatched-padded", "unmatched impression on key a padded at cleanup, then key a reused and matched") \
        .L("a", at(12)).flush(13, 40).L("a", at(13, 45)).R("a", at(13, 46)).flush(16).end()
    t("key-reused-same-times", "after cleanup, the same key and the same times again (new ids): they join again") \
        .L("a", at(12)).R("a", at(12, 30)).flush(14).L("a", at(14, 10)).R("a", at(14, 10)).end()

    # --- the operator-wide scan gate (flink-join-semantics.md section 7, S19) ------------------
    t("gate-open-late-impression-joins-expired-click",
      "S19 without the other key: clicks 12:40 then 12:20 on key k (one timer at 12:40 + 1 ms); W = 12:30; a late impression at 11:25 joins the expired but cached click 12:20") \
        .R("k", at(12, 40)).R("k", at(12, 20)).L("x", at(12, 40)).L("k", at(11, 25)).flush(14).end()
    t("gate-closed-by-other-key",
      "S19 with the other key: as above, but an on-time impression of key y runs its scan first; the late impression at 11:25 then does not scan and joins nothing") \
        .R("k", at(12, 40)).R("k", at(12, 20)).L("x", at(12, 40)).L("y", at(12, 41)).L("k", at(11, 25)).flush(14).end()
    t("gate-open-late-click-joins-expired-impression",
      "mirror of S19: impressions 12:40 then 12:20 on key k (one timer at 13:40 + 1 ms); W = 13:30; a late click at 12:25 joins the expired but cached impression 12:20") \
        .L("k", at(12, 40)).L("k", at(12, 20)).R("x", at(13, 40)).L("y", at(13, 40)).R("k", at(12, 25)).end()
    t("gate-closed-by-other-key-click",
      "mirror of S19 with an on-time click of key z first: the late click at 12:25 does not scan; the impression 12:20 is padded later (left outer)") \
        .L("k", at(12, 40)).L("k", at(12, 20)).R("x", at(13, 40)).L("y", at(13, 40)).R("z", at(13, 41)) \
        .R("k", at(12, 25)).end()

    # --- timers shared between sides and keys -------------------------------------------------
    t("same-timer-both-sides", "impression 12:00 (timer 13:00 + 1 ms) and click 13:00 (timer 13:00 + 1 ms) on one key share one timer") \
        .L("a", at(12)).R("a", at(13)).L("b", at(12, 1)).flush(13, 10, 0, 1).R("a", at(12, 59)).end()
    t("timer-reregistered", "three impressions of one key at 12:00, 12:20, 12:40, one click per 20 min; cleanup in three steps as W advances") \
        .L("a", at(12)).L("a", at(12, 20)).L("a", at(12, 40)).R("a", at(13, 10)) \
        .flush(13, 10, 0, 1).flush(13, 30, 0, 1).R("a", at(13, 35)).flush(13, 50, 0, 1).flush(16).end()
    return T


def doc_traces():
    """The three traces recorded in real-engines.md section 2.4 (keys are the numbers there)."""
    T = []
    a = Trace("doc-trace-a", "real-engines.md 2.4 trace A: late i4 joins c4; c3 after i3's cleanup; pads of i3 and i8 (left outer)")
    for side, key, (h, m) in [("L", "1", (12, 0)), ("L", "2", (12, 5)), ("R", "1", (12, 10)), ("L", "3", (12, 20)),
                              ("R", "2", (12, 30)), ("L", "4", (12, 0)), ("R", "4", (12, 15)), ("R", "9", (11, 50)),
                              ("L", "6", (14, 0)), ("R", "7", (14, 5)), ("L", "8", (14, 10)), ("R", "3", (12, 40)),
                              ("R", "6", (14, 30)), ("L", "10", (16, 0)), ("R", "10", (16, 0))]:
        (a.L if side == "L" else a.R)(key, at(h, m), ("i" if side == "L" else "c") + key)
    T.append(a.end())
    b = Trace("doc-trace-b", "real-engines.md 2.4 trace B: inclusive bounds; i5 at W, i7 and c7 exactly at W join")
    for side, key, ts in [("L", "1", at(10)), ("L", "2", at(10)), ("L", "3", at(10)), ("L", "4", at(10)),
                          ("R", "1", at(10)), ("R", "2", at(11)), ("R", "3", at(11, 0, 1)), ("R", "4", at(9, 59)),
                          ("L", "5", at(9, 50)), ("R", "5", at(9, 55)), ("L", "6", at(12)), ("R", "6", at(12)),
                          ("L", "7", at(11, 50)), ("R", "7", at(11, 50))]:
        (b.L if side == "L" else b.R)(key, ts, ("i" if side == "L" else "c") + key)
    T.append(b.end())
    c = Trace("doc-trace-c", "real-engines.md 2.4 trace C (interleaving-sensitive): i2+c2 only; pads of i1, i98, and i96 at end of input")
    for side, key, ts, rid in [("L", "1", at(12), "i1"), ("R", "99", at(14), "c99"), ("L", "98", at(14), "i98"),
                               ("R", "1", at(12, 30), "c1"), ("L", "2", at(14, 5), "i2"), ("R", "97", at(16), "c97"),
                               ("R", "2", at(14, 10), "c2"), ("L", "96", at(16), "i96"), ("R", "2", at(14, 20), "c2b")]:
        (c.L if side == "L" else c.R)(key, ts, rid)
    T.append(c.end())
    return T


# ----------------------------------------------------------------------------------------------
# Random traces
# ----------------------------------------------------------------------------------------------

def random_trace(seed, idx):
    rng = random.Random(f"joincheck-flink:{seed}:{idx}")
    tr = Trace(f"random-{idx:04d}", f"random trace {idx} of seed {seed}")
    keys = ["a", "b", "c", "d"][: rng.randint(1, 3)]
    n = rng.randint(6, 18)
    frontier = at(rng.randint(8, 12), rng.choice([0, 10, 20, 30, 40, 50]))
    max_t = {"left": None, "right": None}
    lefts = []  # (key, ts) of earlier impressions, for clicks near their window bounds
    # a side may stay silent for a while (its watermark stays MIN, so W does too)
    silent_until = {"left": 0, "right": 0}
    if rng.random() < 0.25:
        silent_until[rng.choice(["left", "right"])] = rng.randint(2, n)
    p_left = rng.choice([0.35, 0.5, 0.5, 0.65])

    def wm():
        if max_t["left"] is None or max_t["right"] is None:
            return None
        return min(max_t["left"], max_t["right"]) - 10 * MIN

    def wiggle(ts):
        r = rng.random()
        if r < 0.08:
            return ts + 1
        if r < 0.16:
            return ts - 1
        return ts

    for i in range(n):
        if rng.random() < 0.35:
            frontier += rng.choice([5, 10, 15, 20, 30, 45, 60, 70, 90]) * MIN
        side = "left" if rng.random() < p_left else "right"
        if i < silent_until[side]:
            side = "right" if side == "left" else "left"
        key = rng.choice(keys)
        w = wm()
        r = rng.random()
        if w is not None and r < 0.12:
            # on the combined watermark: exactly at it, or 1 ms either side
            ts = w + rng.choice([0, 0, 1, -1])
        elif w is not None and r < 0.24:
            # behind the watermark: late, sometimes with the window still open
            ts = w - rng.choice([1, 5, 20, 40, 59, 60, 61, 90]) * MIN
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
        elif side == "left" and rng.random() < 0.15 and max_t["right"] is not None:
            # an impression exactly 1 h (+-1 ms) before the newest click: its window closes at W + 10 min
            ts = max_t["right"] - 60 * MIN + rng.choice([-1, 0, 0, 1])
        else:
            ts = wiggle(frontier - rng.choice([0, 0, 0, 1, 2, 5, 10, 15, 20, 30]) * MIN)
        ts = max(DAY + 1, min(DAY + 24 * HOUR - 1, ts))
        if side == "left":
            tr.L(key, ts)
            lefts.append((key, ts))
        else:
            tr.R(key, ts)
        max_t[side] = ts if max_t[side] is None else max(max_t[side], ts)
    # half of the traces push W far ahead at the end, so cleanup (and padding) happens by timers
    # before the end of input; the others leave it to the MAX watermark
    if rng.random() < 0.5:
        top = max(v for v in max_t.values() if v is not None)
        top += rng.choice([60, 70, 80, 120]) * MIN + rng.choice([0, 0, 1])
        top = min(top, DAY + 24 * HOUR - 1)
        if rng.random() < 0.5:
            tr.L("z", top).R("z", top)
        else:
            tr.R("z", top).L("z", top)
    tr.end()
    return tr


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--random", type=int, default=60, help="number of random traces (default 60)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    traces = edge_traces() + doc_traces() + [random_trace(args.seed, i) for i in range(args.random)]
    names = [t.name for t in traces]
    assert len(set(names)) == len(names), "duplicate trace names"
    write_traces(os.path.join(args.out, "traces.jsonl"), {t.name: t.text().splitlines() for t in traces})
    with open(os.path.join(args.out, "traces.md"), "w", encoding="utf-8") as f:
        f.write(f"# Traces (gen_traces.py --seed {args.seed} --random {args.random})\n\n")
        f.write("| trace | what it exercises |\n| --- | --- |\n")
        for t in traces:
            f.write(f"| `{t.name}` | {t.doc} |\n")
    n_edge = sum(1 for t in traces if t.name.startswith("edge-"))
    n_doc = sum(1 for t in traces if t.name.startswith("doc-"))
    print(f"gen_traces.py: wrote {n_edge} edge traces, {n_doc} doc traces and {args.random} random traces "
          f"to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
