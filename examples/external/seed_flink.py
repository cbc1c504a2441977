#!/usr/bin/env python3
"""The seed's Flink KeyedCoProcessFunction design, speaking joincheck's subprocess protocol.

One impression per key in "state" (overwritten by a newer one), a cleanup timer at
impression.ts + 1h firing when the watermark reaches it, the first click joins and clears the
state, and a click that finds no impression is an "orphan" sent to the late output. Watermarks
are derived like the reference model's (largest time minus 10 minutes, the smaller of the two
inputs). joincheck drive catches it:

    joincheck drive --model models/reference-impressions-clicks.toml -- python3 examples/external/seed_flink.py
"""
import json
import sys

TTL = 3_600_000
DELAY = 600_000
MIN = -(2 ** 63)


class Seed:
    def __init__(self):
        self.state = {}       # key -> impression record
        self.timers = set()   # (ts, key)
        self.max_seen = {"left": None, "right": None}
        self.wm = MIN

    def advance(self, wm):
        if wm <= self.wm:
            return
        self.wm = wm
        for t in sorted(self.timers):
            if t[0] <= wm:
                self.timers.discard(t)
                self.state.pop(t[1], None)      # onTimer: clear whatever is there

    def record(self, r, out):
        if r["side"] == "left":
            self.state[r["key"]] = r
            self.timers.add((r["ts"] + TTL, r["key"]))
        else:
            imp = self.state.pop(r["key"], None)
            if imp is not None:
                out.append({"type": "match", "left": imp["id"], "right": r["id"], "key": r["key"]})
            else:
                out.append({"type": "late", "side": "right", "id": r["id"], "key": r["key"]})
        m = self.max_seen[r["side"]]
        self.max_seen[r["side"]] = r["ts"] if m is None else max(m, r["ts"])
        w = [MIN if v is None else v - DELAY for v in self.max_seen.values()]
        self.advance(min(w))


def main():
    seed = Seed()
    for line in sys.stdin:
        if not line.strip():
            continue
        step = json.loads(line)
        out = []
        if step["type"] == "reset":
            seed = Seed()
        elif step["type"] == "record":
            seed.record(step, out)
        elif step["type"] == "end":
            seed.advance(2 ** 63 - 1)
        for o in out:
            print(json.dumps(o))
        stored = [r["id"] for r in seed.state.values()]
        print(json.dumps({"type": "done", "stored": stored, "timers": len(seed.timers)}), flush=True)


if __name__ == "__main__":
    main()
