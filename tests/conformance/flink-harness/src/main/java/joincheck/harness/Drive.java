package joincheck.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.operators.co.IntervalJoinBuffers;
import org.apache.flink.streaming.api.operators.co.IntervalJoinOperator;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/**
 * Runs the joincheck traces of a traces file (JSON lines, each step tagged with its trace:
 * {"trace":"NAME",...}, README.md) through one Flink operator in Flink's own
 * KeyedTwoInputStreamOperatorTestHarness, step by step, and writes one file for the run: a
 * {"run":{...}} line (the operator, Flink's version, the join's parameters), then per trace, in
 * name order, a {"trace":"NAME","meta":{...}} line with, after each step, [records the operator
 * holds, event-time timers, keyed state entries] (and, after a snapshot, the entries of an
 * operator restored from it), and the rows in joincheck's output format, tagged, each with the
 * "step" after which it appeared.
 *
 * <pre>
 * Drive --operator seed|fixed|interval --out FILE [--kind inner|left_outer|right_outer|full_outer]
 *       [--lowest MS --highest MS] [--horizon MS] [--left-delay MS --right-delay MS] TRACES
 * </pre>
 *
 * Steps: a record goes to processElement1 (left, an Impression) or processElement2 (right, a
 * Click) with its event time as the StreamRecord timestamp; a watermark to processWatermark1/2;
 * processing_time to setProcessingTime and setStateTtlProcessingTime (the TTL clock);
 * snapshot takes a checkpoint and restores a second operator from it to count the keyed state
 * entries the checkpoint holds (cleanupFullSnapshot shows there), while the running operator
 * goes on; end (or the end of the file) sends the MAX watermark on both inputs. With --left-delay/--right-delay (the interval join with derived
 * watermarks) each input's BoundedOutOfOrderness watermark, max - delay - 1, follows every
 * record of that input, as joincheck's flink-interval profile has it.
 */
public final class Drive {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final OutputTag<Impression> LEFT_LATE = new OutputTag<Impression>("left-late") {};
    private static final OutputTag<Click> RIGHT_LATE = new OutputTag<Click>("right-late") {};

    private final String operator;
    private final String kind;
    private final long lowest;
    private final long highest;
    private final long horizon;
    private final Long[] delay;

    private KeyedTwoInputStreamOperatorTestHarness<String, Impression, Click, JoinedEvent> harness;
    private TwoInputStreamOperator<Impression, Click, JoinedEvent> op;
    private ImpressionClickJoinFixed fixed;

    private Drive(String operator, String kind, long lowest, long highest, long horizon, Long[] delay) {
        this.operator = operator;
        this.kind = kind;
        this.lowest = lowest;
        this.highest = highest;
        this.horizon = horizon;
        this.delay = delay;
    }

    public static void main(String[] args) throws Exception {
        String operator = null;
        String kind = "inner";
        Path out = null;
        long lowest = 0;
        long highest = 24L * 60 * 60 * 1000;
        Long horizon = null;
        Long[] delay = {null, null};
        List<Path> traces = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--operator" -> operator = args[++i];
                case "--kind" -> kind = args[++i];
                case "--out" -> out = Paths.get(args[++i]);
                case "--lowest" -> lowest = Long.parseLong(args[++i]);
                case "--highest" -> highest = Long.parseLong(args[++i]);
                case "--horizon" -> horizon = Long.parseLong(args[++i]);
                case "--left-delay" -> delay[0] = Long.parseLong(args[++i]);
                case "--right-delay" -> delay[1] = Long.parseLong(args[++i]);
                default -> traces.add(Paths.get(args[i]));
            }
        }
        if (operator == null || out == null || traces.size() != 1) {
            System.err.println("usage: Drive --operator seed|fixed|interval --out FILE [--kind K] [--lowest MS "
                    + "--highest MS] [--horizon MS] [--left-delay MS --right-delay MS] TRACES");
            System.exit(2);
        }
        Drive drive = new Drive(operator, kind, lowest, highest, horizon == null ? highest : horizon, delay);
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, List<JsonNode>> trace : traces(traces.get(0)).entrySet()) {
            List<String> rows = new ArrayList<>();
            ObjectNode reported = drive.run(trace.getKey(), trace.getValue(), rows);
            ObjectNode line = JSON.createObjectNode();
            line.put("trace", trace.getKey());
            line.set("meta", reported);
            lines.add(JSON.writeValueAsString(line));
            lines.addAll(rows);
        }
        ObjectNode meta = JSON.createObjectNode();
        meta.put("operator", operator);
        meta.put("operator_class", drive.op.getClass().getName());
        meta.put("harness", drive.harness.getClass().getName());
        meta.put("flink_version", org.apache.flink.runtime.util.EnvironmentInformation.getVersion());
        ObjectNode params = meta.putObject("join_params");
        params.put("kind", kind);
        params.put("lowest_ms", drive.lowest);
        params.put("highest_ms", drive.highest);
        params.put("horizon_ms", drive.horizon);
        if (delay[0] != null) {
            params.put("left_delay_ms", delay[0]);
            params.put("right_delay_ms", delay[1]);
        }
        meta.put("after_step", "[records held, event-time timers, keyed state entries] after each step, "
                + "and after a snapshot step the keyed state entries of an operator restored from it");
        ObjectNode head = JSON.createObjectNode();
        head.set("run", meta);
        lines.add(0, JSON.writeValueAsString(head));
        Files.writeString(out, String.join("\n", lines) + "\n");
    }

    /**
     * The traces of a traces file, by name (sorted, so that the run's file is in name order
     * whatever order the traces come in): each its steps with the tag taken off.
     */
    static Map<String, List<JsonNode>> traces(Path file) throws IOException {
        Map<String, List<JsonNode>> traces = new TreeMap<>();
        String last = null;
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode step = JSON.readTree(line);
            JsonNode name = step.isObject() ? ((ObjectNode) step).remove("trace") : null;
            if (name == null || !name.isTextual()) {
                throw new IllegalArgumentException(file + ":" + n + ": a step is tagged {\"trace\":\"NAME\",...}");
            }
            // A trace's steps are one block: lines of one name elsewhere would be merged into it.
            if (!name.asText().equals(last) && traces.containsKey(name.asText())) {
                throw new IllegalArgumentException(file + ":" + n + ": trace " + name.asText() + " is split");
            }
            last = name.asText();
            traces.computeIfAbsent(last, k -> new ArrayList<>()).add(step);
        }
        if (traces.isEmpty()) {
            throw new IllegalArgumentException(file + ": no traces");
        }
        return traces;
    }

    private void create() throws Exception {
        if (operator.equals("seed")) {
            op = new KeyedCoProcessOperator<>(new ImpressionClickJoin());
        } else if (operator.equals("fixed")) {
            boolean padLeft = kind.equals("left_outer") || kind.equals("full_outer");
            boolean padRight = kind.equals("right_outer") || kind.equals("full_outer");
            fixed = new ImpressionClickJoinFixed(lowest, highest, horizon, padLeft, padRight);
            op = new KeyedCoProcessOperator<>(fixed);
        } else if (operator.equals("interval")) {
            SerializerConfigImpl config = new SerializerConfigImpl();
            op = new IntervalJoinOperator<>(lowest, highest, true, true, LEFT_LATE, RIGHT_LATE,
                    TypeInformation.of(Impression.class).createSerializer(config),
                    TypeInformation.of(Click.class).createSerializer(config),
                    new ProcessJoinFunction<Impression, Click, JoinedEvent>() {
                        @Override
                        public void processElement(Impression l, Click r, Context ctx, org.apache.flink.util.Collector<JoinedEvent> o) {
                            o.collect(new JoinedEvent(l, r));
                        }
                    });
        } else {
            throw new IllegalArgumentException("unknown operator " + operator);
        }
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(op, imp -> imp.impressionId, click -> click.clickId, Types.STRING);
    }

    /** Runs one trace, adding its rows to `rows`; returns its meta line's contents. */
    private ObjectNode run(String trace, List<JsonNode> traceSteps, List<String> rows) throws Exception {
        List<JsonNode> steps = new ArrayList<>(traceSteps);
        boolean ends = !steps.isEmpty() && steps.get(steps.size() - 1).get("type").asText().equals("end");
        if (!ends) {
            steps.add(JSON.readTree("{\"type\":\"end\"}")); // end of file is end of input
        }
        create();
        harness.open();
        long now = 0;
        harness.setProcessingTime(now);
        harness.setStateTtlProcessingTime(now);
        long[] lastWm = {Long.MIN_VALUE, Long.MIN_VALUE};
        long[] front = {Long.MIN_VALUE, Long.MIN_VALUE};
        Set<String> keys = new LinkedHashSet<>();
        long checkpoint = 0;
        ArrayNode perStep = JSON.createArrayNode();
        for (int i = 0; i < steps.size(); i++) {
            JsonNode s = steps.get(i);
            String type = s.get("type").asText();
            int restored = -1;
            switch (type) {
                case "record" -> {
                    String key = s.get("key").asText();
                    String id = s.get("id").asText();
                    long ts = s.get("ts").asLong();
                    keys.add(key);
                    int side = s.get("side").asText().equals("left") ? 0 : 1;
                    if (side == 0) {
                        harness.processElement1(new Impression(key, id), ts);
                    } else {
                        harness.processElement2(new Click(key, id), ts);
                    }
                    if (delay[side] != null) {
                        front[side] = Math.max(front[side], ts);
                        watermark(side, front[side] - delay[side] - 1, lastWm);
                    }
                }
                case "watermark" -> {
                    long ts = s.get("ts").asLong();
                    JsonNode side = s.get("side");
                    if (side == null || side.asText().equals("left")) {
                        watermark(0, ts, lastWm);
                    }
                    if (side == null || side.asText().equals("right")) {
                        watermark(1, ts, lastWm);
                    }
                }
                case "processing_time" -> {
                    now = Math.max(now, s.get("ts").asLong());
                    harness.setProcessingTime(now);
                    harness.setStateTtlProcessingTime(now);
                }
                case "snapshot" -> {
                    // A checkpoint; a second operator restored from it says what it holds
                    // (cleanupFullSnapshot leaves expired entries out); the running one goes on.
                    checkpoint++;
                    OperatorSubtaskState snapshot = harness.snapshot(checkpoint, now);
                    var running = harness;
                    var runningOp = op;
                    var runningFixed = fixed;
                    create();
                    harness.initializeState(snapshot);
                    harness.open();
                    restored = harness.numKeyedStateEntries();
                    harness.close();
                    harness = running;
                    op = runningOp;
                    fixed = runningFixed;
                }
                case "end" -> {
                    watermark(0, Long.MAX_VALUE, lastWm);
                    watermark(1, Long.MAX_VALUE, lastWm);
                }
                case "batch" -> {}
                default -> throw new IllegalArgumentException(trace + ": step " + i + ": unknown type " + type);
            }
            drain(trace, rows, i);
            ArrayNode after = perStep.addArray();
            after.add(held(keys));
            after.add(harness.numEventTimeTimers());
            after.add(harness.numKeyedStateEntries());
            if (restored >= 0) {
                after.add(restored);
            }
        }
        harness.close();
        ObjectNode result = JSON.createObjectNode();
        result.put("implicit_end", !ends);
        result.set("after_step", perStep);
        return result;
    }

    private void watermark(int side, long ts, long[] lastWm) throws Exception {
        if (ts <= lastWm[side]) {
            return;
        }
        lastWm[side] = ts;
        if (side == 0) {
            harness.processWatermark1(new Watermark(ts));
        } else {
            harness.processWatermark2(new Watermark(ts));
        }
    }

    /** The records the operator holds: the seed's ValueState entries (one impression per key,
     *  read without touching the TTL state), the other operators' buffered elements. */
    private int held(Set<String> keys) throws Exception {
        if (operator.equals("seed")) {
            return harness.numKeyedStateEntries();
        }
        int n = 0;
        for (String key : keys) {
            ((org.apache.flink.streaming.api.operators.AbstractStreamOperator<?>) op).setCurrentKey(key);
            n += operator.equals("fixed") ? fixed.buffered() : IntervalJoinBuffers.count((IntervalJoinOperator<?, ?, ?, ?>) op);
        }
        return n;
    }

    /** Adds the rows that appeared since the last call, each tagged and with step `i`. */
    private void drain(String trace, List<String> out, int i) throws IOException {
        Object o;
        while ((o = harness.getOutput().poll()) != null) {
            if (!(o instanceof StreamRecord<?> r)) {
                continue; // watermarks the operator forwards
            }
            JoinedEvent e = (JoinedEvent) r.getValue();
            ObjectNode row = JSON.createObjectNode();
            row.put("trace", trace);
            if (e.impression != null && e.click != null) {
                row.put("type", "match");
                row.put("left", e.impression.recordId);
                row.put("right", e.click.recordId);
                row.put("key", e.impression.impressionId);
            } else if (e.impression != null) {
                row.put("type", "unmatched");
                row.put("side", "left");
                row.put("id", e.impression.recordId);
                row.put("key", e.impression.impressionId);
            } else {
                row.put("type", "unmatched");
                row.put("side", "right");
                row.put("id", e.click.recordId);
                row.put("key", e.click.clickId);
            }
            row.put("step", i);
            out.add(JSON.writeValueAsString(row));
        }
        if (operator.equals("fixed")) {
            var late = harness.getSideOutput(ImpressionClickJoinFixed.LATE);
            StreamRecord<String> r;
            while (late != null && (r = late.poll()) != null) {
                String[] sideId = r.getValue().split(":", 2);
                late(out, trace, sideId[0], sideId[1], i);
            }
        } else if (operator.equals("interval")) {
            var left = harness.getSideOutput(LEFT_LATE);
            StreamRecord<Impression> l;
            while (left != null && (l = left.poll()) != null) {
                late(out, trace, "left", l.getValue().recordId, i);
            }
            var right = harness.getSideOutput(RIGHT_LATE);
            StreamRecord<Click> c;
            while (right != null && (c = right.poll()) != null) {
                late(out, trace, "right", c.getValue().recordId, i);
            }
        }
    }

    private static void late(List<String> out, String trace, String side, String id, int i) throws IOException {
        ObjectNode row = JSON.createObjectNode();
        row.put("trace", trace);
        row.put("type", "late");
        row.put("side", side);
        row.put("id", id);
        row.put("step", i);
        out.add(JSON.writeValueAsString(row));
    }
}
