#!/usr/bin/env python3
"""A `joincheck drive` program (protocol v1, docs/PROTOCOL.md) that runs Quix Streams'
interval join, `StreamingDataFrame.join_interval`, one record at a time, without a broker.

The join is built as an application builds it: two `StreamingDataFrame`s over topics
"left" and "right", joined with `join_interval(right, how, backward_ms, forward_ms,
grace_ms)`. What Quix's own unit tests mock is mocked here too: the Kafka producer and
consumer (nothing is produced or consumed), and the topics' broker settings (one
partition). The state is real: Quix's `StateStoreManager` with RocksDB stores in a fresh
temporary directory per trace. Each record goes through `StreamingDataFrame.test` with its
key and timestamp, and then the checkpoint is committed, as an application does with
`commit_every=1`: the commit is when the timestamped stores expire what is older than their
key's latest time minus `grace_ms` (as far as the store remembers that time: see
docs/REAL-ENGINES.md, finding 3; `--commit-every N` commits after every N records instead).

Per step, the answer is the join's rows (a match for each pair, a null-padded row where
`how` pads and nothing matched) and the ids both stores hold after the commit. Quix has no
watermark, drops nothing as late, and does not flush at end of input (a Kafka stream does
not end): watermark, batch, processing-time, snapshot and end steps change nothing.

Times must be non-negative (Quix packs them unsigned). Records are delivered in the trace's
order: an application reads its two topics time-aligned, so a trace whose records are not
in time order across topics shows what a real run shows only if the disorder is within one
topic.

    drive_quix.py --how inner --backward-ms 0 --forward-ms 3600000 --grace-ms 600000
"""

import argparse
import json
import shutil
import sys
import tempfile
import uuid
from unittest.mock import MagicMock

from quixstreams.dataframe import DataFrameRegistry
from quixstreams.dataframe.dataframe import StreamingDataFrame
from quixstreams.internal_consumer import InternalConsumer
from quixstreams.internal_producer import InternalProducer
from quixstreams.models import MessageContext
from quixstreams.models.topics import Topic, TopicConfig, TopicManager
from quixstreams.processing import ProcessingContext
from quixstreams.sinks import SinkManager
from quixstreams.state import StateStoreManager


def topic(name):
    config = TopicConfig(
        num_partitions=1,
        replication_factor=1,
        extra_config={"retention.ms": "-1", "retention.bytes": "-1"},
    )
    t = Topic(name=name, create_config=config)
    t.broker_config = config
    return t


class Join:
    """One trace's join: fresh stores, the two dataframes, the joined one."""

    def __init__(self, args):
        self.dir = tempfile.mkdtemp(prefix="joincheck-quix-")
        self.state = StateStoreManager(group_id=str(uuid.uuid4()), state_dir=self.dir, producer=None)
        self.state.init()
        registry = DataFrameRegistry()
        producer = MagicMock(spec_set=InternalProducer)
        producer.flush.return_value = 0  # nothing left unproduced at a commit
        self.ctx = ProcessingContext(
            commit_interval=0,
            producer=producer,
            consumer=MagicMock(spec_set=InternalConsumer),
            state_manager=self.state,
            sink_manager=SinkManager(),
            dataframe_registry=registry,
        )
        self.ctx.init_checkpoint()
        topics = MagicMock(spec=TopicManager)
        self.topics = {"left": topic("left"), "right": topic("right")}
        left, right = (
            StreamingDataFrame(self.topics[s], topic_manager=topics, registry=registry, processing_context=self.ctx, stream_id=s)
            for s in ("left", "right")
        )
        registry.register_root(left)
        registry.register_root(right)
        self.joined = left.join_interval(
            right,
            how=args.how,
            on_merge=lambda l, r: (l, r),
            grace_ms=args.grace_ms,
            backward_ms=args.backward_ms,
            forward_ms=args.forward_ms,
        )
        for s in ("left", "right"):
            self.state.on_partition_assign(stream_id=s, partition=0, committed_offsets={})
        self.offset = 0
        self.commit_every = args.commit_every

    def record(self, side, key, ts, rid):
        t = self.topics[side]
        context = MessageContext(topic=t.name, partition=0, offset=self.offset, size=0)
        results = self.joined.test(value={"id": rid}, key=key.encode(), timestamp=ts, topic=t, ctx=context)
        self.offset += 1
        self.ctx.store_offset(t.name, 0, self.offset)
        if self.offset % self.commit_every == 0:
            self.ctx.commit_checkpoint(force=True)
        rows = []
        for (left, right), _key, _ts, _headers in results:
            if left is not None and right is not None:
                rows.append({"type": "match", "left": left["id"], "right": right["id"], "key": key})
            elif left is not None:
                rows.append({"type": "unmatched", "side": "left", "id": left["id"], "key": key})
            else:
                rows.append({"type": "unmatched", "side": "right", "id": right["id"], "key": key})
        return rows

    def stored(self):
        """The ids both stores hold (their data keys are `key|ts|counter`)."""
        ids = []
        for stores in self.state._stores.values():
            for store in stores.values():
                for k, v in store.partitions[0].iter_items(lower_bound=b"", upper_bound=b"\xff" * 8):
                    if k.startswith(b"__"):
                        continue
                    ids.append(json.loads(v)["id"])
        return sorted(ids)

    def close(self):
        self.state.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def fix_retention():
    """Quix 3.28.1's `TimestampedPartitionTransaction._get_min_eligible_timestamp` with the
    read going to `cache.cf_name`, where `_set_min_eligible_timestamp` writes (finding 3)."""
    from quixstreams.state.rocksdb.timestamped import TimestampedPartitionTransaction
    from quixstreams.state.rocksdb.timestamped import ZERO

    def get(self, prefix):
        cache = self._min_eligible_timestamps
        cached = cache.values.get(prefix)
        if cached is not None:
            return cached
        stored = self.get_bytes(key=cache.key, prefix=prefix, default=ZERO, cf_name=cache.cf_name)
        cache.values[prefix] = stored
        return stored

    TimestampedPartitionTransaction._get_min_eligible_timestamp = get


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--how", choices=["inner", "left", "right", "outer"], default="inner")
    p.add_argument("--backward-ms", type=int, default=0)
    p.add_argument("--forward-ms", type=int, default=0)
    p.add_argument("--grace-ms", type=int, required=True)
    p.add_argument(
        "--commit-every",
        type=int,
        default=1,
        help="commit the checkpoint after every N records (default 1, as drive needs: "
        "the stores expire at a commit); larger values show that what is kept depends on it",
    )
    p.add_argument(
        "--fix-retention",
        action="store_true",
        help="read each key's minimum eligible time from the column family it is written to "
        "(the one-line fix of docs/REAL-ENGINES.md, finding 3), to show which disagreements "
        "that finding explains",
    )
    args = p.parse_args()
    if args.fix_retention:
        fix_retention()

    join = None
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        step = json.loads(line)
        rows = []
        if step["type"] == "reset":
            if join is not None:
                join.close()
            join = Join(args)
        elif step["type"] == "record":
            rows = join.record(step["side"], step["key"], step["ts"], step["id"])
        for row in rows:
            out.write(json.dumps(row) + "\n")
        out.write(json.dumps({"type": "done", "stored": join.stored(), "timers": 0}) + "\n")
        out.flush()
    if join is not None:
        join.close()


if __name__ == "__main__":
    main()
