#!/usr/bin/env python3
"""Feed joincheck traces through real Flink SQL (apache-flink 2.3.0) and record what it emits.

Usage:
    python driver.py --join inner [--join left_outer] --out DIR [--pace 0.1] [--repeat 2]
                     [--traces TRACES.jsonl] [TRACE.jsonl ...]
                     [--bounds "[0ms, 1h]"] [--left-delay 10m] [--right-delay 10m]

The traces are those of a traces file (--traces, a fixtures directory's traces.jsonl) and any
plain joincheck trace files, each named by its file name.  For every join kind this writes
DIR/<join>.jsonl (../fixtures.py), its lines in trace name order:
    {"run":{...}}                       versions, settings, the query and its plan, the join kind
    {"trace":"NAME","meta":{...}}       for every emitted row the trace step after which it appeared
    {"trace":"NAME",<row>}              the rows Flink emitted, in joincheck's output format
                                        (match / unmatched lines, no "step" or "batch" field),
                                        sorted deterministically

All traces and join kinds run in ONE Python process with ONE TableEnvironment (one MiniCluster
JVM); every (trace, join kind) is its own bounded Flink job.  See README.md next to this file.

The query is the seed's impressions/clicks join as a Flink SQL rowtime interval join:
    impressions = records with side "left"  (rid, k, t; ts = TO_TIMESTAMP_LTZ(t, 3))
    clicks      = records with side "right"
    both with   WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE
    SELECT ... FROM imp i [LEFT|RIGHT|FULL] JOIN clk c
      ON i.k = c.k AND c.ts BETWEEN i.ts AND i.ts + INTERVAL '1' HOUR
Other joins: --bounds takes joincheck's window syntax ("[-5m, 20m]" gives c.ts >= i.ts - INTERVAL
'5' MINUTE AND c.ts <= i.ts + INTERVAL '20' MINUTE; "(" ")" give > and <), --left-delay and
--right-delay each side's WATERMARK FOR delay (see ../joinparams.py).

The technique (real-engines.md section 2.3):
  * parallelism 1, pipeline.auto-watermark-interval 0 (a SQL watermark after every row that raises
    it), execution.buffer-timeout.interval 0, python.execution-mode thread;
  * ONE bounded source (from_collection) carries both sides in trace order; a Python map in the
    source task paces it (sleeps PACE before releasing each row, 3 x PACE before the first) and
    logs each release time; two Python filters split it into impressions and clicks; each half
    becomes a table with its own SQL WatermarkAssigner, so the join sees the min of two per-side
    watermarks exactly as with two real tables;
  * a trailing dummy row that both filters drop separates "emitted while processing the last real
    row" from "emitted at end of input" (the MAX watermark that a bounded source ends with);
  * a Python "tap" map after the join stamps each output row with the time it was emitted, and
    each output row is attributed to the last input row released before it.  That attribution is
    only meaningful because of pacing; it is stored in the metadata, not in the output lines.

Only `record` and `end` steps are accepted.  `batch`, `watermark`, `processing_time` and
`snapshot` steps are rejected: the SQL job derives its watermarks from the rows themselves, one
after every row, and has no batches, processing-time behaviour or snapshots to drive.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fixtures import dumps, read_traces, trace_lines, trace_name_of, write_runs  # noqa: E402
from joinparams import Join  # noqa: E402

JOIN_KINDS = ("inner", "left_outer", "right_outer", "full_outer")
SQL_JOIN = {"inner": "JOIN", "left_outer": "LEFT JOIN", "right_outer": "RIGHT JOIN", "full_outer": "FULL JOIN"}
# The seed's query: the committed fixtures in fixtures/<join>.jsonl were recorded with these texts.
SEED_BOUNDS, SEED_DELAY = "[0ms, 1h]", "10m"
WATERMARK_EXPR = "ts - INTERVAL '10' MINUTE"
CONDITION = "i.k = c.k AND c.ts BETWEEN i.ts AND i.ts + INTERVAL '1' HOUR"
DEFAULT_PACE = 0.1
FIRST_ROW_PACE_FACTOR = 3
REJECTED_STEPS = {
    "batch": "Flink has no micro-batches; the SQL job processes one row at a time",
    "watermark": "the SQL job derives its watermarks per row (WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE); "
                 "explicit watermark steps cannot be injected",
    "processing_time": "the SQL interval join has no processing-time behaviour to drive",
    "snapshot": "snapshot steps (checkpoints/restore points) are not supported by this Flink driver",
}
# Flink settings, applied to the execution environment's Configuration (plus python.executable).
FLINK_CONF = {
    "parallelism.default": "1",
    "pipeline.auto-watermark-interval": "0 ms",
    "execution.buffer-timeout.interval": "0 ms",
    "python.execution-mode": "thread",
    "python.fn-execution.bundle.size": "1",
    "table.local-time-zone": "UTC",
    "rest.bind-port": "0",
}
# Table settings whose effective value is read back and recorded in every run line.
RECORDED_TABLE_CONFS = ("table.exec.interval-join.min-cleanup-interval", "table.local-time-zone")


class TraceError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Trace reading (no Flink needed)
# --------------------------------------------------------------------------------------------

def read_trace(lines, source):
    """Return (records, steps, has_end): records as dicts with their step index."""
    records = []
    steps = 0
    has_end = False
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
        if has_end:
            raise TraceError(f"{where}: nothing may follow an end step")
        typ = step["type"]
        if typ in REJECTED_STEPS:
            raise TraceError(f'{where}: step type "{typ}" is not supported by the Flink SQL driver: '
                             f"{REJECTED_STEPS[typ]}")
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
            records.append({"step": steps, "side": side, "key": key, "ts": ts, "id": rid})
        elif typ == "end":
            if len(step) != 1:
                raise TraceError(f"{where}: an end step has no fields besides type")
            has_end = True
        else:
            raise TraceError(f'{where}: unknown step type "{typ}"')
        steps += 1
    return records, steps, has_end


# --------------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------------

_NUM = re.compile(r"(\d+)")


def natural(s):
    """Sort key that orders i2 before i10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _NUM.split(s) if p != "")


def line_sort_key(obj):
    if obj["type"] == "match":
        return (0, natural(obj["left"]), natural(obj["right"]), obj["key"])
    return (1, natural(obj["side"]), natural(obj["id"]), obj["key"])


def java_version():
    try:
        p = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=60)
        return (p.stderr or p.stdout).strip().splitlines()[0]
    except Exception as e:  # pragma: no cover
        return f"unknown ({e})"


# --------------------------------------------------------------------------------------------
# Flink
# --------------------------------------------------------------------------------------------

def _site_packages():
    import pyflink
    return os.path.dirname(os.path.dirname(os.path.abspath(pyflink.__file__)))


class FlinkRunner:
    def __init__(self, pace, workdir, join):
        # Thread mode runs the Python functions in an interpreter embedded in the JVM (pemja); it
        # needs this environment's site-packages on PYTHONPATH (real-engines.md 2.7).  The JVM is
        # started by the first pyflink call below and inherits the environment.
        sp = _site_packages()
        pp = os.environ.get("PYTHONPATH", "")
        if sp not in pp.split(os.pathsep):
            os.environ["PYTHONPATH"] = sp + (os.pathsep + pp if pp else "")

        from pyflink.common import Configuration
        from pyflink.datastream import StreamExecutionEnvironment
        from pyflink.table import StreamTableEnvironment

        t0 = time.monotonic()
        conf = Configuration()
        for k, v in FLINK_CONF.items():
            conf.set_string(k, v)
        conf.set_string("python.executable", sys.executable)
        self.env = StreamExecutionEnvironment.get_execution_environment(conf)
        self.env.set_parallelism(1)
        self.t_env = StreamTableEnvironment.create(self.env)
        self.t_env.get_config().set("table.local-time-zone", "UTC")
        self.pace = pace
        self.join = join
        seed = (join.bounds(), join.left_delay, join.right_delay) == (SEED_BOUNDS, 600_000, 600_000)
        self.condition = CONDITION if seed else f"i.k = c.k AND {join.flink_condition()}"
        self.watermarks = ((WATERMARK_EXPR, WATERMARK_EXPR) if seed else
                           (join.flink_watermark(join.left_delay), join.flink_watermark(join.right_delay)))
        self.workdir = workdir
        self.counter = 0
        self.startup_seconds = time.monotonic() - t0
        self.plan_checked = {}

    def _gateway_call(self, cls, method):
        try:
            from pyflink.java_gateway import get_gateway
            jvm = get_gateway().jvm
            obj = jvm
            for part in cls.split("."):
                obj = getattr(obj, part)
            return str(getattr(obj, method)())
        except Exception as e:
            return f"unknown ({e})"

    def jvm_property(self, name):
        try:
            from pyflink.java_gateway import get_gateway
            return str(get_gateway().jvm.java.lang.System.getProperty(name))
        except Exception as e:
            return f"unknown ({e})"

    def table_conf(self, key):
        """The effective value of a table option: what was set, else the option's default."""
        try:
            from pyflink.java_gateway import get_gateway
            jvm = get_gateway().jvm
            opt = jvm.org.apache.flink.configuration.ConfigOptions.key(key).stringType().noDefaultValue()
            v = self.t_env.get_config()._j_table_config.getOptional(opt)
            if v.isPresent():
                return str(v.get())
            if key == "table.exec.interval-join.min-cleanup-interval":
                d = jvm.org.apache.flink.table.api.config.ExecutionConfigOptions \
                    .TABLE_EXEC_INTERVAL_JOIN_MIN_CLEAN_UP_INTERVAL.defaultValue()
                return f"{d.toMillis()} ms (default)"
            return None
        except Exception as e:
            return f"unknown ({e})"

    def query(self, join_kind):
        return (
            "SELECT i.rid AS l_id, i.k AS l_key, i.t AS l_t, c.rid AS r_id, c.k AS r_key, c.t AS r_t "
            f"FROM imp i {SQL_JOIN[join_kind]} clk c ON {self.condition}"
        )

    def run(self, records, join_kind):
        """Run one trace as one bounded job.

        Returns (rows, releases, wall_seconds): rows as (emit_ns, l_id, l_key, l_t, r_id, r_key, r_t),
        releases as {seq: release_ns} where seq len(records) is the trailing dummy row.
        """
        from pyflink.common import Row, Types
        from pyflink.table import Schema

        self.counter += 1
        log_path = os.path.join(self.workdir, f"release-{self.counter:05d}.log")
        pace = float(self.pace)
        first = FIRST_ROW_PACE_FACTOR * pace

        row_type = Types.ROW_NAMED(["seq", "side", "rid", "k", "t"],
                                   [Types.INT(), Types.STRING(), Types.STRING(), Types.STRING(), Types.LONG()])
        data = [Row(n, r["side"], r["id"], r["key"], r["ts"]) for n, r in enumerate(records)]
        # the trailing dummy row: a side that both filters drop
        data.append(Row(len(records), "end-of-trace", "-", "-", 0))

        def pacer(row):
            import time as _t
            _t.sleep(first if row[0] == 0 else pace)
            with open(log_path, "a", encoding="utf-8") as lf:
                lf.write(f"{row[0]} {_t.monotonic_ns()}\n")
            return row

        def tap(row):
            import json as _j
            import time as _t
            return _j.dumps([_t.monotonic_ns(), row[0], row[1], row[2], row[3], row[4], row[5]])

        src = self.env.from_collection(data, type_info=row_type)
        paced = src.map(pacer, output_type=row_type)
        left = paced.filter(lambda r: r[1] == "left")
        right = paced.filter(lambda r: r[1] == "right")

        def schema(watermark):
            return (Schema.new_builder()
                    .column_by_expression("ts", "TO_TIMESTAMP_LTZ(t, 3)")
                    .watermark("ts", watermark)
                    .build())

        for v in ("imp", "clk"):
            self.t_env.drop_temporary_view(v)
        self.t_env.create_temporary_view("imp", self.t_env.from_data_stream(left, schema(self.watermarks[0])))
        self.t_env.create_temporary_view("clk", self.t_env.from_data_stream(right, schema(self.watermarks[1])))
        table = self.t_env.sql_query(self.query(join_kind))
        if join_kind not in self.plan_checked:
            plan = table.explain()
            m = re.search(r"IntervalJoin\([^\n]*\)", plan)
            self.plan_checked[join_kind] = m.group(0) if m else None
        out = self.t_env.to_data_stream(table).map(tap, output_type=Types.STRING())

        t0 = time.monotonic()
        rows = []
        with out.execute_and_collect(f"joincheck-flink-{join_kind}-{self.counter}") as results:
            for s in results:
                rows.append(tuple(json.loads(s)))
        wall = time.monotonic() - t0
        releases = {}
        try:
            with open(log_path, encoding="utf-8") as lf:
                for line in lf:
                    seq, ns = line.split()
                    releases[int(seq)] = int(ns)
        finally:
            try:
                os.remove(log_path)
            except OSError:
                pass
        return rows, releases, wall


def attribute(rows, releases, records, join, join_kind):
    """Give every output row the trace step after which it appeared ("end" for end of input).
    Returns (lines, emissions, anomalies)."""
    anomalies = []
    n = len(records)
    missing = [s for s in range(n + 1) if s not in releases]
    if missing:
        anomalies.append(f"no release logged for input rows {missing}")
    order = sorted(releases.items(), key=lambda kv: kv[1])
    if [s for s, _ in order] != sorted(releases):
        anomalies.append("input rows were released out of order")
    left_by_id = {r["id"]: r for r in records if r["side"] == "left"}
    right_by_id = {r["id"]: r for r in records if r["side"] == "right"}
    lines = []
    emissions = []
    for (emit_ns, l_id, l_key, l_t, r_id, r_key, r_t) in rows:
        after = None
        for seq, ns in order:
            if ns <= emit_ns:
                after = seq
            else:
                break
        if after is None:
            anomalies.append(f"row {[l_id, r_id]} emitted before the first input row was released")
            step = None
        elif after >= n:
            step = "end"
        else:
            step = records[after]["step"]
        if l_id is not None and r_id is not None:
            line = {"type": "match", "left": l_id, "right": r_id, "key": l_key}
            lr, rr = left_by_id.get(l_id), right_by_id.get(r_id)
            if lr is None or rr is None:
                anomalies.append(f"match {l_id}+{r_id}: unknown id")
            else:
                if not (l_key == r_key == lr["key"] == rr["key"]) or l_t != lr["ts"] or r_t != rr["ts"]:
                    anomalies.append(f"match {l_id}+{r_id}: columns do not match the trace")
                if not join.matches(lr["ts"], rr["ts"]):
                    anomalies.append(f"match {l_id}+{r_id}: outside the join bounds")
                if after is not None and after < n and max(lr["step"], rr["step"]) > records[after]["step"]:
                    anomalies.append(f"match {l_id}+{r_id}: attributed to step {step}, before one of its rows "
                                     "was released (pacing too short?)")
        elif l_id is not None:
            line = {"type": "unmatched", "side": "left", "id": l_id, "key": l_key}
            lr = left_by_id.get(l_id)
            if join_kind not in ("left_outer", "full_outer"):
                anomalies.append(f"a left null-padded row {l_id} in a {join_kind} join")
            elif lr is None:
                anomalies.append(f"unmatched left {l_id}: unknown id")
            elif after is not None and after < n and lr["step"] > records[after]["step"]:
                anomalies.append(f"unmatched left {l_id}: attributed to step {step}, before the row was released "
                                 "(pacing too short?)")
        elif r_id is not None:
            line = {"type": "unmatched", "side": "right", "id": r_id, "key": r_key}
            rr = right_by_id.get(r_id)
            if join_kind not in ("right_outer", "full_outer"):
                anomalies.append(f"a right null-padded row {r_id} in a {join_kind} join")
            elif rr is None:
                anomalies.append(f"unmatched right {r_id}: unknown id")
            elif after is not None and after < n and rr["step"] > records[after]["step"]:
                anomalies.append(f"unmatched right {r_id}: attributed to step {step}, before the row was released "
                                 "(pacing too short?)")
        else:
            anomalies.append("a row with neither side present")
            continue
        lines.append(line)
        emissions.append((line, step, emit_ns))
    lines.sort(key=line_sort_key)
    return lines, emissions, anomalies


def emission_table(emissions, end_index):
    """Metadata view: per output row, the step after which it appeared, in emission order."""
    out = []
    for line, step, _ns in sorted(emissions, key=lambda e: e[2]):
        item = dict(line)
        item["after_step"] = end_index if step == "end" else step
        if step == "end":
            item["at_end_of_input"] = True
        out.append(item)
    return out


def canonical_emissions(emissions):
    """What must be identical between repeated runs: the rows and the step each came after
    (order within one step is not meaningful)."""
    return sorted((dumps(l), str(s)) for l, s, _ in emissions)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--join", action="append", choices=JOIN_KINDS, required=True,
                    help="join kind; repeat to run several kinds in the same JVM")
    ap.add_argument("--out", required=True, help="output directory; each kind's runs go to OUT/<join>.jsonl")
    ap.add_argument("--bounds", default=SEED_BOUNDS,
                    help='the time condition c.ts - i.ts in joincheck syntax, e.g. "[-5m, 20m]" or "(0ms, 30m)" '
                         '(default: the seed\'s "[0ms, 1h]")')
    ap.add_argument("--left-delay", default=SEED_DELAY, help="impressions' watermark delay (default 10m)")
    ap.add_argument("--right-delay", default=SEED_DELAY, help="clicks' watermark delay (default 10m)")
    ap.add_argument("--pace", type=float, default=DEFAULT_PACE,
                    help=f"seconds slept before releasing each input row (default {DEFAULT_PACE}; "
                         f"{FIRST_ROW_PACE_FACTOR}x for the first row)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run every (trace, join) this many times in this process and flag any difference "
                         "(default 1)")
    ap.add_argument("--traces", help="a traces file (a fixtures directory's traces.jsonl)")
    ap.add_argument("trace_files", nargs="*", metavar="TRACE.jsonl",
                    help="plain trace files (JSON lines), each named by its file name")
    args = ap.parse_args(argv)
    if args.pace < 0 or args.repeat < 1:
        print("driver.py: error: --pace must be >= 0 and --repeat >= 1", file=sys.stderr)
        return 2
    try:
        join = Join(args.bounds, args.left_delay, args.right_delay)
        join.flink_condition(), join.flink_watermark(join.left_delay), join.flink_watermark(join.right_delay)
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

    from importlib.metadata import version as pkg_version

    workdir = tempfile.mkdtemp(prefix="joincheck-flink-")
    t_start = time.monotonic()
    runner = FlinkRunner(args.pace, workdir, join)
    print(f"driver.py: TableEnvironment up in {runner.startup_seconds:.1f}s", file=sys.stderr)
    failures = 0
    unstable = 0
    try:
        static_meta = {
            "apache_flink_version": pkg_version("apache-flink"),
            "flink_runtime_version": runner._gateway_call("org.apache.flink.runtime.util.EnvironmentInformation",
                                                          "getVersion"),
            "java_version": java_version(),
            "jvm_java_version": runner.jvm_property("java.version"),
            "python_version": sys.version.split()[0],
            "host": {"machine": platform.machine(), "system": platform.system(), "cpus": os.cpu_count()},
            "settings": {
                **FLINK_CONF,
                **{k: runner.table_conf(k) for k in RECORDED_TABLE_CONFS},
                "pace_seconds": args.pace,
                "first_row_pace_seconds": round(FIRST_ROW_PACE_FACTOR * args.pace, 6),
                "repeats_in_process": args.repeat,
                "source": "one bounded from_collection in trace order, paced by a Python map, "
                          "split by two Python filters, one SQL WatermarkAssigner per side",
            },
            "watermark": f"WATERMARK FOR ts AS {WATERMARK_EXPR} (ts = TO_TIMESTAMP_LTZ(t, 3)), per side",
        }
        if runner.condition != CONDITION:
            # Only the fixtures of other joins carry their parameters (the seed's stay byte-identical).
            static_meta["watermark"] = (f"impressions: WATERMARK FOR ts AS {runner.watermarks[0]}; clicks: WATERMARK "
                                        f"FOR ts AS {runner.watermarks[1]} (ts = TO_TIMESTAMP_LTZ(t, 3))")
            static_meta["join_params"] = join.describe()
        os.makedirs(args.out, exist_ok=True)
        for kind in args.join:
            t_kind = time.monotonic()
            recorded = {}
            for name, (records, n_steps, has_end) in traces:
                t0 = time.monotonic()
                runs = []
                try:
                    for _ in range(args.repeat):
                        rows, releases, wall = runner.run(records, kind)
                        runs.append((rows, releases, wall))
                except Exception as e:
                    failures += 1
                    print(f"driver.py: {kind} {name}: Flink failed: {e}", file=sys.stderr)
                    continue
                end_index = n_steps - 1 if has_end else n_steps
                results = [attribute(rows, releases, records, join, kind) for rows, releases, _ in runs]
                lines, emissions, anomalies = results[0]
                anomalies = list(anomalies)
                for i, (_l, em, an) in enumerate(results[1:], 2):
                    for a in an:
                        anomalies.append(f"run {i}: {a}")
                    if canonical_emissions(em) != canonical_emissions(emissions):
                        anomalies.append(f"run {i} differs from run 1: "
                                         f"{emission_table(em, end_index)} vs {emission_table(emissions, end_index)}")
                if any(a for a in anomalies if "differs from run" in a):
                    unstable += 1
                meta = {
                    "records": len(records),
                    "trace_steps": n_steps,
                    "end_of_input_step": end_index,
                    "emissions": emission_table(emissions, end_index),
                    "anomalies": anomalies,
                }
                recorded[name] = (meta, lines)
                note = f" ANOMALIES: {anomalies}" if anomalies else ""
                walls = ", ".join(f"{w:.1f}s" for _r, _rel, w in runs)
                print(f"driver.py: {kind} {name}: {len(records)} rows, {len(lines)} outputs, "
                      f"job {walls}, total {time.monotonic() - t0:.1f}s{note}", file=sys.stderr, flush=True)
            # One file per kind, written when every trace has run: what the traces share goes in
            # its run line (the plan was read at the kind's first run), what Flink did on each
            # trace in that trace's lines.
            run = {**static_meta, "join": kind, "query": runner.query(kind),
                   "plan_interval_join": runner.plan_checked.get(kind)}
            write_runs(os.path.join(args.out, f"{kind}.jsonl"), run, recorded)
            print(f"driver.py: {kind}: {len(recorded)} traces in {time.monotonic() - t_kind:.1f}s", file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"driver.py: total {time.monotonic() - t_start:.1f}s, {failures} failures, "
          f"{unstable} traces differed between repeats", file=sys.stderr)
    return 1 if failures or unstable else 0


if __name__ == "__main__":
    sys.exit(main())
