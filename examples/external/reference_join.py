#!/usr/bin/env python3
"""A correct event-time interval join speaking joincheck's subprocess protocol.

It implements the `reference` profile of models/reference-impressions-clicks.toml:
impressions (left) join clicks (right) on key when 0 <= click.ts - impression.ts <= 1h;
each input's watermark is the largest time seen on it minus 10 minutes, the join's is the
smaller of the two (MIN until both inputs have one); a record with ts < watermark on arrival
is late; a stored record is evicted once no on-time record can match it; end of input flushes.
Standard library only. Run it under joincheck:

    joincheck drive --model models/reference-impressions-clicks.toml -- python3 examples/external/reference_join.py
"""
import json
import sys

LOWER, UPPER = 0, 3_600_000   # right.ts - left.ts in [LOWER, UPPER]
DELAY = 600_000               # 10 minutes on both inputs
MIN = -(2 ** 63)


class Join:
    def __init__(self):
        self.max_seen = {"left": None, "right": None}
        self.wm = MIN
        self.state = {"left": [], "right": []}   # records: dicts with side, key, ts, id
        self.ended = False

    def input_wm(self, side):
        m = self.max_seen[side]
        return MIN if m is None else m - DELAY

    def can_still_match(self, r):
        if self.ended:
            return False
        lo, hi = (r["ts"] + LOWER, r["ts"] + UPPER) if r["side"] == "left" else (r["ts"] - UPPER, r["ts"] - LOWER)
        return max(lo, self.wm) <= hi      # an on-time record has ts >= wm

    def evict(self):
        for side in ("left", "right"):
            self.state[side] = [r for r in self.state[side] if self.can_still_match(r)]

    def record(self, r, out):
        if r["ts"] < self.wm:
            out.append({"type": "late", "side": r["side"], "id": r["id"], "key": r["key"]})
        else:
            other = "right" if r["side"] == "left" else "left"
            for p in self.state[other]:
                left, right = (r, p) if r["side"] == "left" else (p, r)
                if p["key"] == r["key"] and LOWER <= right["ts"] - left["ts"] <= UPPER:
                    out.append({"type": "match", "left": left["id"], "right": right["id"], "key": r["key"]})
            if self.can_still_match(r):
                self.state[r["side"]].append(r)
        m = self.max_seen[r["side"]]
        self.max_seen[r["side"]] = r["ts"] if m is None else max(m, r["ts"])
        self.wm = max(self.wm, min(self.input_wm("left"), self.input_wm("right")))
        self.evict()

    def end(self):
        self.ended = True
        self.evict()

    def stored(self):
        return [r["id"] for side in ("left", "right") for r in self.state[side]]


def serve(make_join, opening=None, report=lambda join: {}):
    """Answers joincheck's protocol on standard input and output with a fresh `make_join()`
    per trace. `opening` is added to the answer of the opening reset (the one that carries
    "protocol"; protocol v2 programs say so there), `report(join)` to every done."""
    join = make_join()
    for line in sys.stdin:
        if not line.strip():
            continue
        step = json.loads(line)
        out = []
        done = {"type": "done"}
        kind = step["type"]
        if kind == "reset":
            join = make_join()
            if opening and "protocol" in step:
                done.update(opening)
        elif kind == "record":
            join.record(step, out)
        elif kind == "end":
            join.end()
        # watermark steps do not occur with derived watermarks; batch, processing_time and
        # snapshot do not affect this join.
        for o in out:
            print(json.dumps(o))
        done.update(stored=join.stored(), timers=0, **report(join))
        print(json.dumps(done), flush=True)


if __name__ == "__main__":
    serve(Join)
