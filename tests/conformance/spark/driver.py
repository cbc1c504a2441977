#!/usr/bin/env python3
"""Feed joincheck traces through real Spark (pyspark 4.3.0) and record what it emits.

Usage:
    python driver.py --join inner [--join left_outer ...] --out DIR [--traces TRACES.jsonl] [TRACE.jsonl ...]
                     [--bounds "[0ms, 1h]"] [--left-delay 10m] [--right-delay 10m]

The traces are those of a traces file (--traces, a fixtures directory's traces.jsonl) and any
plain joincheck trace files, each named by its file name.  For every join kind this writes
DIR/<join>.jsonl (../fixtures.py), its lines in trace name order:
    {"run":{...}}                       versions, confs, the query's condition, the join kind
    {"trace":"NAME","meta":{...}}       Spark's own bookkeeping per Spark batch, the checkpoint's confs
    {"trace":"NAME",<row>}              the rows Spark emitted, in joincheck's output format,
                                        each with "batch": <trace batch index>

All traces and join kinds run in ONE SparkSession (one JVM), each (trace, join kind) as its own
streaming query with a fresh checkpoint directory.  See README.md next to this file.

The query is an impressions/clicks join, by default the seed's interval join:
    impressions = records with side "left"  (impressionKey, impressionId, impressionTime)
    clicks      = records with side "right" (clickKey, clickId, clickTime)
    impressions.withWatermark(.., LEFT_DELAY), clicks.withWatermark(.., RIGHT_DELAY)
    impressionKey = clickKey AND <time condition from --bounds>
--bounds takes joincheck's window syntax ("[0ms, 1h]" gives clickTime >= impressionTime AND
clickTime <= impressionTime + interval 3600000 milliseconds; "(" and ")" give > and <) or an
equality ("= 0ms" gives clickTime = impressionTime), see ../joinparams.py.

Determinism (real-engines.md section 1.4): both sides are filtered projections of ONE
MemoryStream of strings (filtered before withWatermark); every trace batch is one addData call
followed by processAllAvailable(), which returns only after Spark has also run any no-data batch.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fixtures import dumps, read_traces, trace_lines, trace_name_of, write_runs  # noqa: E402
from joinparams import Join  # noqa: E402

JOIN_KINDS = ("inner", "left_outer", "right_outer", "full_outer", "left_semi")
# The seed's query: the committed fixtures in fixtures/<join>.jsonl were recorded with these.
SEED_BOUNDS, SEED_DELAY = "[0ms, 1h]", "10m"
SEED_CONDITION = (
    "impressionKey = clickKey AND clickTime >= impressionTime "
    "AND clickTime <= impressionTime + interval 1 hour"
)
# Confs recorded in every run line (real-engines.md 1.2 and 4): the first two are stored in
# the checkpoint and change semantics; the third decides whether no-data batches run at all.
RECORDED_CONFS = (
    "spark.sql.streaming.statefulOperator.allowMultiple",
    "spark.sql.streaming.join.stateFormatVersion",
    "spark.sql.streaming.noDataMicroBatches.enabled",
    "spark.sql.shuffle.partitions",
    "spark.sql.session.timeZone",
)
REJECTED_STEPS = {
    "watermark": "Spark derives watermarks from the data itself; explicit watermark steps cannot be fed",
    "processing_time": "the Spark query here has no processing-time behaviour to drive",
    "snapshot": "snapshot steps (checkpoints/restore points) are not supported by this Spark driver",
}


class TraceError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Trace reading (no Spark needed)
# --------------------------------------------------------------------------------------------

def read_trace(lines, source):
    """Return the list of trace batches: each a list of record dicts.

    Records before the first `batch` marker are trace batch 0, every marker closes one batch
    (an empty one if no records came since the previous marker), and records after the last
    marker, if any, form one more final batch.  `end` adds nothing and nothing may follow it.
    """
    batches = []
    current = []
    ended = False
    seen_ids = {"left": set(), "right": set()}
    for lineno, line in enumerate(lines, 1):
        where = f"{source}:{lineno}"
        if not line.strip():
            continue
        try:
            step = json.loads(line)
        except json.JSONDecodeError as e:
            raise TraceError(f"{where}: not valid JSON: {e}")
        if not isinstance(step, dict) or not isinstance(step.get("type"), str):
            raise TraceError(f'{where}: a step must be a JSON object with a string "type"')
        if ended:
            raise TraceError(f"{where}: nothing may follow an end step")
        typ = step["type"]
        if typ in REJECTED_STEPS:
            raise TraceError(f'{where}: step type "{typ}" is not supported: {REJECTED_STEPS[typ]}')
        if typ == "record":
            extra = set(step) - {"type", "side", "key", "ts", "id"}
            if extra:
                raise TraceError(f"{where}: unknown field(s) {sorted(extra)} in record")
            side, key, ts, rid = step.get("side"), step.get("key"), step.get("ts"), step.get("id")
            if side not in ("left", "right"):
                raise TraceError(f'{where}: field "side" must be "left" or "right", got {side!r}')
            if not isinstance(key, str):
                raise TraceError(f'{where}: field "key" must be a string')
            if not isinstance(rid, str):
                raise TraceError(f'{where}: field "id" must be a string')
            if isinstance(ts, bool) or not isinstance(ts, int):
                raise TraceError(f'{where}: field "ts" must be an integer millisecond time')
            if not (-(2 ** 63) <= ts < 2 ** 63):
                raise TraceError(f'{where}: field "ts" does not fit in 64 bits')
            if rid in seen_ids[side]:
                raise TraceError(f'{where}: duplicate {side} id "{rid}"')
            seen_ids[side].add(rid)
            current.append({"side": side, "key": key, "ts": ts, "id": rid})
        elif typ == "batch":
            if len(step) != 1:
                raise TraceError(f"{where}: a batch step has no fields besides type")
            batches.append(current)
            current = []
        elif typ == "end":
            if len(step) != 1:
                raise TraceError(f"{where}: an end step has no fields besides type")
            ended = True
        else:
            raise TraceError(f'{where}: unknown step type "{typ}"')
    if current:
        batches.append(current)
    return batches


# --------------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------------

_NUM = re.compile(r"(\d+)")


def natural(s):
    """Sort key that orders i2 before i10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _NUM.split(s) if p != "")


def line_sort_key(obj):
    type_rank = {"match": 0, "unmatched": 1, "late": 2}[obj["type"]]
    if obj["type"] == "match" and "right" not in obj:
        ids = (natural(obj["left"]), ())
    elif obj["type"] == "match":
        ids = (natural(obj["left"]), natural(obj["right"]))
    else:
        ids = (natural(obj["side"]), natural(obj["id"]))
    return (obj["batch"], type_rank, ids, obj["key"])


def iso_to_ms(s):
    """'2024-01-01T11:50:00.000Z' -> integer ms since the epoch, exactly."""
    if s is None:
        return None
    dt = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    delta = dt - epoch
    return (delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000)


def java_version():
    try:
        p = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=60)
        return (p.stderr or p.stdout).strip().splitlines()[0]
    except Exception as e:  # pragma: no cover
        return f"unknown ({e})"


# --------------------------------------------------------------------------------------------
# Spark
# --------------------------------------------------------------------------------------------

class SparkRunner:
    def __init__(self, checkpoint_root):
        from pyspark.sql import SparkSession

        self.checkpoint_root = checkpoint_root
        t0 = time.monotonic()
        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("joincheck-spark-conformance")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "1g")
            .config("spark.sql.streaming.numRecentProgressUpdates", "1000")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.jvm = self.spark._jvm
        self.session_seconds = time.monotonic() - t0
        self.counter = 0

    def conf(self, key):
        try:
            return self.spark.conf.get(key)
        except Exception:
            return None

    def run(self, trace_batches, join_kind, join):
        """Run one trace as one streaming query; return (rows_by_spark_batch, progress, calls, ckpt_confs)."""
        from pyspark.sql import functions as F
        from pyspark.sql.classic.dataframe import DataFrame
        from pyspark.sql.types import LongType, StringType, StructField, StructType

        jvm = self.jvm
        stream = jvm.org.apache.spark.sql.execution.streaming.runtime.MemoryStream.apply(
            self.spark._jsparkSession, jvm.org.apache.spark.sql.Encoders.STRING()
        )
        raw = DataFrame(stream.toDF(), self.spark)
        schema = StructType([
            StructField("side", StringType()),
            StructField("key", StringType()),
            StructField("id", StringType()),
            StructField("ts", LongType()),
        ])
        parsed = raw.select(F.from_json(F.col("value"), schema).alias("r")).select("r.*")
        # Filter into the two sides BEFORE withWatermark, so each side's max event time covers
        # only its own rows.  timestamp_millis is exact for integer milliseconds.
        impressions = (
            parsed.where(F.col("side") == "left")
            .select(
                F.col("key").alias("impressionKey"),
                F.col("id").alias("impressionId"),
                F.timestamp_millis(F.col("ts")).alias("impressionTime"),
            )
            .withWatermark("impressionTime", join.spark_delay(join.left_delay))
        )
        clicks = (
            parsed.where(F.col("side") == "right")
            .select(
                F.col("key").alias("clickKey"),
                F.col("id").alias("clickId"),
                F.timestamp_millis(F.col("ts")).alias("clickTime"),
            )
            .withWatermark("clickTime", join.spark_delay(join.right_delay))
        )
        joined = impressions.join(clicks, F.expr(condition_of(join)), join_kind)

        captured = {}  # spark batch id -> list of row tuples

        def sink(df, batch_id):
            # A left semi join's rows have the left columns only.
            rows = [
                (r["impressionId"], r["impressionKey"], *((None, None) if join_kind == "left_semi" else
                                                          (r["clickId"], r["clickKey"])))
                for r in df.collect()
            ]
            captured[int(batch_id)] = rows

        self.counter += 1
        ckpt = os.path.join(self.checkpoint_root, f"q{self.counter:05d}")
        query = (
            joined.writeStream.outputMode("append")
            .option("checkpointLocation", ckpt)
            .foreachBatch(sink)
            .start()
        )
        calls = []  # per trace batch: the spark batch ids that ran during addData+processAllAvailable
        ckpt_confs = {}
        try:
            for records in trace_batches:
                before = set(captured)
                payload = jvm.java.util.ArrayList()
                for r in records:
                    payload.add(dumps({"side": r["side"], "key": r["key"], "id": r["id"], "ts": r["ts"]}))
                stream.addData(jvm.org.apache.spark.api.python.PythonUtils.toSeq(payload))
                query.processAllAvailable()
                calls.append(sorted(set(captured) - before))
            progress = [json.loads(p.json()) for p in query._jsq.recentProgress()]
            ckpt_confs = read_checkpoint_confs(ckpt)
        finally:
            query.stop()
            shutil.rmtree(ckpt, ignore_errors=True)
        return captured, progress, calls, ckpt_confs


def condition_of(join):
    """The whole Spark join condition; the seed's text, byte for byte, for the seed's join."""
    if (join.bounds(), join.left_delay, join.right_delay) == (SEED_BOUNDS, 600_000, 600_000):
        return SEED_CONDITION
    return f"impressionKey = clickKey AND {join.spark_condition()}"


def read_checkpoint_confs(ckpt):
    """The conf map Spark wrote into the offset log of batch 0 (what the query really ran with)."""
    path = os.path.join(ckpt, "offsets", "0")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    for line in lines[1:]:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "conf" in obj:
            return obj["conf"]
    return {}


def progress_by_batch(progress):
    """batchId -> progress dict, skipping idle-trigger entries (no durationMs.addBatch)."""
    out = {}
    for p in progress:
        if "addBatch" not in (p.get("durationMs") or {}):
            continue
        out[int(p["batchId"])] = p
    return out


def is_no_data(p):
    """A no-data batch reads no new offsets: every source's start offset equals its end offset."""
    sources = p.get("sources") or []
    if not sources:
        return None
    return all(json.dumps(s.get("startOffset"), sort_keys=True) == json.dumps(s.get("endOffset"), sort_keys=True)
               for s in sources)


def build_outputs(trace_batches, join_kind, captured, progress, calls, ckpt_confs):
    """The rows Spark emitted and the trace's meta line (the run line holds what every trace shares)."""
    prog = progress_by_batch(progress)
    spark_to_trace = {}
    anomalies = []
    for n, ids in enumerate(calls):
        for b in ids:
            spark_to_trace[b] = n
        if len(ids) == 0:
            anomalies.append(f"trace batch {n}: no Spark batch ran")
        elif len(ids) > 2:
            anomalies.append(f"trace batch {n}: {len(ids)} Spark batches ran: {ids}")
    for b in captured:
        if b not in spark_to_trace:
            anomalies.append(f"Spark batch {b} ran outside any addData/processAllAvailable call")

    lines = []
    batches_meta = []
    for b in sorted(captured):
        n = spark_to_trace.get(b)
        p = prog.get(b, {})
        ops = p.get("stateOperators") or []
        op = ops[0] if ops else {}
        no_data = is_no_data(p) if p else None
        ids_in_call = calls[n] if n is not None else []
        if n is not None and ids_in_call and b != ids_in_call[0] and no_data is False:
            anomalies.append(f"Spark batch {b} is a data batch but not the first batch of trace batch {n}")
        if n is not None and ids_in_call and b == ids_in_call[0] and no_data is True:
            anomalies.append(f"Spark batch {b} is the first batch of trace batch {n} but read no data")
        if not p:
            anomalies.append(f"no progress entry for Spark batch {b}")
        batches_meta.append({
            "spark_batch_id": b,
            "trace_batch": n,
            "no_data": no_data,
            "watermark_ms": iso_to_ms((p.get("eventTime") or {}).get("watermark")),
            "num_input_rows": p.get("numInputRows"),
            "num_output_rows": len(captured[b]),
            "numRowsTotal": op.get("numRowsTotal"),
            "numRowsDroppedByWatermark": op.get("numRowsDroppedByWatermark"),
            "numRowsRemoved": op.get("numRowsRemoved"),
            "numStateOperators": len(ops),
        })
        for (imp_id, imp_key, click_id, click_key) in captured[b]:
            if join_kind == "left_semi":
                lines.append({"type": "match", "left": imp_id, "key": imp_key, "batch": n})
            elif imp_id is not None and click_id is not None:
                lines.append({"type": "match", "left": imp_id, "right": click_id, "key": imp_key, "batch": n})
            elif imp_id is not None:
                lines.append({"type": "unmatched", "side": "left", "id": imp_id, "key": imp_key, "batch": n})
            elif click_id is not None:
                lines.append({"type": "unmatched", "side": "right", "id": click_id, "key": click_key, "batch": n})
            else:
                anomalies.append(f"Spark batch {b}: a row with neither side present")
    lines.sort(key=line_sort_key)

    dropped_per_trace_batch = [0] * len(trace_batches)
    for bm in batches_meta:
        if bm["trace_batch"] is not None and bm["numRowsDroppedByWatermark"]:
            dropped_per_trace_batch[bm["trace_batch"]] += bm["numRowsDroppedByWatermark"]

    meta = {
        "trace_batches": len(trace_batches),
        "records_per_trace_batch": [len(r) for r in trace_batches],
        "spark_batches_per_trace_batch": calls,
        "dropped_by_watermark_per_trace_batch": dropped_per_trace_batch,
        "checkpoint_confs": {k: ckpt_confs[k] for k in sorted(ckpt_confs)},
        "batches": batches_meta,
        "anomalies": anomalies,
    }
    return lines, meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--join", action="append", choices=JOIN_KINDS, required=True,
                    help="join kind; repeat to run several kinds in the same JVM")
    ap.add_argument("--out", required=True, help="output directory; each kind's runs go to OUT/<join>.jsonl")
    ap.add_argument("--bounds", default=SEED_BOUNDS,
                    help='the time condition right.ts - left.ts in joincheck syntax: a window "[0ms, 1h]" '
                         '("(" ")" exclusive) or an equality "= 0ms" (default: the seed\'s "[0ms, 1h]")')
    ap.add_argument("--left-delay", default=SEED_DELAY, help="impressions' watermark delay (default 10m)")
    ap.add_argument("--right-delay", default=SEED_DELAY, help="clicks' watermark delay (default 10m)")
    ap.add_argument("--checkpoint-root", default=None,
                    help="where the per-query checkpoint directories go (default: a fresh temp dir, deleted at the end)")
    ap.add_argument("--subset", action="append", default=[], metavar="JOIN=FILE",
                    help="for JOIN, run only the trace names listed in FILE (one per line)")
    ap.add_argument("--traces", help="a traces file (a fixtures directory's traces.jsonl)")
    ap.add_argument("trace_files", nargs="*", metavar="TRACE.jsonl",
                    help="plain trace files (JSON lines), each named by its file name")
    args = ap.parse_args(argv)
    try:
        join = Join(args.bounds, args.left_delay, args.right_delay)
    except ValueError as e:
        print(f"driver.py: error: {e}", file=sys.stderr)
        return 2

    # Parse everything first, so that a bad trace fails before the JVM starts.
    sources = [(name, lines, f"{args.traces} (trace {name})")
               for name, lines in (read_traces(args.traces) if args.traces else {}).items()]
    sources += [(trace_name_of(path), trace_lines(path), path) for path in args.trace_files]
    traces = []
    for name, lines, source in sources:
        try:
            traces.append((name, read_trace(lines, source)))
        except TraceError as e:
            print(f"driver.py: error: {e}", file=sys.stderr)
            return 2
    names = [n for n, _ in traces]
    if not names:
        print("driver.py: error: no traces (--traces FILE or trace files)", file=sys.stderr)
        return 2
    if len(set(names)) != len(names):
        print("driver.py: error: two traces have the same name", file=sys.stderr)
        return 2
    subsets = {}
    for spec in args.subset:
        kind, _, file = spec.partition("=")
        if kind not in JOIN_KINDS or not file:
            print(f"driver.py: error: bad --subset {spec!r}", file=sys.stderr)
            return 2
        with open(file, encoding="utf-8") as f:
            subsets[kind] = {l.strip() for l in f if l.strip() and not l.startswith("#")}

    import pyspark

    own_root = args.checkpoint_root is None
    ckpt_root = tempfile.mkdtemp(prefix="joincheck-spark-ckpt-") if own_root else args.checkpoint_root
    os.makedirs(ckpt_root, exist_ok=True)
    t_start = time.monotonic()
    runner = SparkRunner(ckpt_root)
    print(f"driver.py: SparkSession up in {runner.session_seconds:.1f}s", file=sys.stderr)
    static_meta = {
        "pyspark_version": pyspark.__version__,
        "spark_version": runner.spark.version,
        "java_version": java_version(),
        "python_version": sys.version.split()[0],
        "master": runner.spark.sparkContext.master,
        "confs": {k: runner.conf(k) for k in RECORDED_CONFS},
        "watermark_delay": "10 minutes",
        "condition": condition_of(join),
    }
    if condition_of(join) != SEED_CONDITION:
        # Only the fixtures of other joins carry their parameters (the seed's stay byte-identical).
        del static_meta["watermark_delay"]
        static_meta["join_params"] = join.describe()
        static_meta["watermark_delays"] = [join.spark_delay(join.left_delay), join.spark_delay(join.right_delay)]
    failures = 0
    os.makedirs(args.out, exist_ok=True)
    try:
        for kind in args.join:
            t_kind = time.monotonic()
            runs = {}
            for name, batches in traces:
                if kind in subsets and name not in subsets[kind]:
                    continue
                t0 = time.monotonic()
                try:
                    captured, progress, calls, ckpt_confs = runner.run(batches, kind, join)
                except Exception as e:
                    failures += 1
                    print(f"driver.py: {kind} {name}: Spark failed: {e}", file=sys.stderr)
                    continue
                lines, meta = build_outputs(batches, kind, captured, progress, calls, ckpt_confs)
                runs[name] = (meta, lines)
                note = f" ANOMALIES: {meta['anomalies']}" if meta["anomalies"] else ""
                print(f"driver.py: {kind} {name}: {len(batches)} trace batches, {len(captured)} Spark batches, "
                      f"{len(lines)} rows, {time.monotonic() - t0:.1f}s{note}", file=sys.stderr)
            # One file per kind, written when every trace has run: what the traces share goes in
            # its run line, what Spark did on each trace in that trace's lines.
            write_runs(os.path.join(args.out, f"{kind}.jsonl"), {**static_meta, "join": kind}, runs)
            print(f"driver.py: {kind}: {len(runs)} traces in {time.monotonic() - t_kind:.1f}s", file=sys.stderr)
    finally:
        runner.spark.stop()
        if own_root:
            shutil.rmtree(ckpt_root, ignore_errors=True)
    print(f"driver.py: total {time.monotonic() - t_start:.1f}s, {failures} failures", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
