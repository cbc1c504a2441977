#!/usr/bin/env python3
"""A left outer join that pads at once and retracts, speaking joincheck's protocol v2.

Like Pathway's outer joins, it emits an impression's null-padded row as soon as the impression
arrives on time, and retracts that row when a click matches it; the rows that stand at the end
are the left outer join of models/reference-impressions-clicks-left-outer.toml. It answers the
opening `{"type":"reset","protocol":2}` with `{"type":"done","protocol":2,"retracts":true}`, may then write
`{"type":"retract","row":{...}}` lines, and reports its watermark in every `done`.

    joincheck drive --model models/reference-impressions-clicks-left-outer.toml \\
        --allow examples/external/retracting.allow -- python3 examples/external/retracting_join.py

joincheck compares the rows that stand with the profile's, and reports each retraction as a
finding of its own kind (`profile: retracted unmatched`), allowed here by the allow-list.
"""
from reference_join import MIN, Join, serve


class RetractingLeftOuterJoin(Join):
    def __init__(self):
        super().__init__()
        self.padded = {}   # left id -> its standing null row

    def record(self, r, out):
        before = len(out)
        super().record(r, out)
        new = out[before:]
        for o in new:
            if o["type"] == "match" and o["left"] in self.padded:
                out.append({"type": "retract", "row": self.padded.pop(o["left"])})
        on_time = not any(o["type"] == "late" for o in new)
        matched = any(o["type"] == "match" for o in new)
        if r["side"] == "left" and on_time and not matched:
            row = {"type": "unmatched", "side": "left", "id": r["id"], "key": r["key"]}
            out.append(row)
            self.padded[r["id"]] = row


if __name__ == "__main__":
    serve(
        RetractingLeftOuterJoin,
        opening={"protocol": 2, "retracts": True},
        report=lambda join: {"watermark": None if join.wm == MIN else join.wm},
    )
