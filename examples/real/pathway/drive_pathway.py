#!/usr/bin/env python3
"""A `joincheck drive` program (protocol v2, whole-trace mode with retractions,
docs/PROTOCOL.md) that runs Pathway's interval join, `pw.temporal.interval_join_<how>` with
`common_behavior(cutoff=...)`, on each trace.

Pathway computes over logical times, not step by step: each trace is one run, its records
entered as two streams (`pw.debug.table_from_rows(..., is_stream=True)`) with the record of
step k at Pathway time 2(k+1), so that what the join writes at time 2(k+1) is its answer to
step k. Rows come from `pw.io.subscribe`: an addition is a row, a deletion a retraction (an
outer join pads a record at once and withdraws the null row when a partner arrives).

Pathway drops a record that is too late silently. To report it as `late`, as the protocol
asks, each side also goes through Pathway's own join against an empty other side with the
same behavior: a left (right) outer interval join pads every record it takes, at once, so a
record it leaves without any row is one Pathway ignored. That is Pathway's rule applied by
Pathway, not one written here.

Pathway's state is not observable: the answer has no `stored`, and joincheck says that leak
and premature-eviction checks are skipped. Records only; the model's watermarks are derived.

    drive_pathway.py --how inner --lower-ms 0 --upper-ms 3600000 --cutoff-ms 600000
"""

import argparse
import json
import logging
import sys

import pathway as pw


class Record(pw.Schema):
    rid: str
    key: str
    ts: int


JOINS = {
    "inner": pw.temporal.interval_join_inner,
    "left": pw.temporal.interval_join_left,
    "right": pw.temporal.interval_join_right,
    "outer": pw.temporal.interval_join_outer,
}


def run(steps, args):
    """Runs the join over one trace; returns (step, row, is_addition) in order of step."""
    pw.internals.parse_graph.G.clear()
    rows = {"left": [], "right": []}
    for k, step in enumerate(steps):
        if step["type"] == "record":
            rows[step["side"]].append((step["id"], step["key"], step["ts"], 2 * (k + 1), 1))

    def table(side):
        # An empty list has no integer columns for pandas to type.
        if not rows[side]:
            return pw.Table.empty(rid=str, key=str, ts=int)
        return pw.debug.table_from_rows(Record, rows[side], is_stream=True)

    left, right = table("left"), table("right")

    def join(how, l, r):
        return JOINS[how](
            l,
            r,
            l.ts,
            r.ts,
            pw.temporal.interval(args.lower_ms, args.upper_ms),
            l.key == r.key,
            behavior=pw.temporal.common_behavior(cutoff=args.cutoff_ms),
        ).select(l=pw.left.rid, r=pw.right.rid, key=pw.coalesce(pw.left.key, pw.right.key))

    events = []

    def collect(tag):
        def on_change(key, row, time, is_addition):
            events.append((time // 2 - 1, tag, row["l"], row["r"], row["key"], is_addition))

        return on_change

    pw.io.subscribe(join(args.how, left, right), on_change=collect("join"))
    # The lateness probes: each side against nothing, padded, with the same behavior.
    nothing_right = right.filter(right.ts != right.ts)
    nothing_left = left.filter(left.ts != left.ts)
    pw.io.subscribe(join("left", left, nothing_right), on_change=collect("probe"))
    pw.io.subscribe(join("right", nothing_left, right), on_change=collect("probe"))
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    return events


def answer(steps, args, out):
    events = run(steps, args)
    taken = {e[2] or e[3] for e in events if e[1] == "probe" and e[5]}
    lines = []
    for k, step in enumerate(steps):
        if step["type"] == "record" and step["id"] not in taken:
            lines.append((k, 0, {"type": "late", "side": step["side"], "id": step["id"], "key": step["key"]}))
    for k, tag, l, r, key, added in events:
        if tag != "join":
            continue
        if l is not None and r is not None:
            row = {"type": "match", "left": l, "right": r, "key": key}
        elif l is not None:
            row = {"type": "unmatched", "side": "left", "id": l, "key": key}
        else:
            row = {"type": "unmatched", "side": "right", "id": r, "key": key}
        # Within a step, rows before the retractions that may withdraw them.
        lines.append((k, 0, row) if added else (k, 1, {"type": "retract", "row": row}))
    lines.sort(key=lambda line: (line[0], line[1]))
    for k, _, line in lines:
        line["step"] = k
        out.write(json.dumps(line) + "\n")
    out.write(json.dumps({"type": "done"}) + "\n")
    out.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--how", choices=sorted(JOINS), default="inner")
    p.add_argument("--lower-ms", type=int, required=True)
    p.add_argument("--upper-ms", type=int, required=True)
    p.add_argument("--cutoff-ms", type=int, required=True)
    args = p.parse_args()
    logging.disable(logging.INFO)

    out = sys.stdout
    steps = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        step = json.loads(line)
        if step["type"] == "reset":
            if step.get("protocol") == 2:
                out.write(json.dumps({"type": "done", "protocol": 2, "mode": "whole-trace", "retracts": True}) + "\n")
            else:
                out.write(json.dumps({"type": "done"}) + "\n")
            out.flush()
            steps = []
            continue
        steps.append(step)
        if step["type"] == "end":
            answer(steps, args, out)
            steps = None


if __name__ == "__main__":
    main()
