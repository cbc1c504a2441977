package joincheck.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

/**
 * Runs the joincheck traces of a traces file (JSON lines, each step tagged with its trace:
 * {"trace":"NAME",...}, README.md) through a KStream-KStream join in Kafka Streams'
 * TopologyTestDriver, record by record, and writes one file for the run: a {"run":{...}} line
 * (Kafka Streams' version, the join), then per trace, in name order, a
 * {"trace":"NAME","meta":{...}} line with, after each step, [records visible in the left join
 * store, in the right join store, entries in the outer-join store, dropped records (the task's
 * dropped-records-total)], and the rows in joincheck's output format, tagged, each with the
 * "step" after which it appeared.
 *
 * <pre>
 * Drive --kind inner|left_outer|full_outer --lowest MS --highest MS --grace MS --out FILE TRACES
 * </pre>
 *
 * The join: impressions (left topic) join clicks (right topic) by key when
 * lowest <= click.ts - impression.ts <= highest: JoinWindows.ofTimeDifferenceAndGrace with
 * after = highest and before = -lowest, and the given grace; inner is join(), left_outer
 * leftJoin(), full_outer outerJoin(). Values are joincheck's record ids; both topics have one
 * partition, so one task and one stream time. A record step pipes the record with its event
 * time as the Kafka timestamp; other steps change nothing (Kafka Streams has no watermarks, no
 * end of input). The outer-join emit throttle (an internal config, 1 s of wall-clock time by
 * default) is set to 0 so that outer rows depend on stream time only.
 */
public final class Drive {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String STORE = "join";

    public static void main(String[] args) throws Exception {
        String kind = "inner";
        Path out = null;
        long lowest = 0;
        long highest = 0;
        long grace = 0;
        List<Path> traces = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--kind" -> kind = args[++i];
                case "--out" -> out = Paths.get(args[++i]);
                case "--lowest" -> lowest = Long.parseLong(args[++i]);
                case "--highest" -> highest = Long.parseLong(args[++i]);
                case "--grace" -> grace = Long.parseLong(args[++i]);
                default -> traces.add(Paths.get(args[i]));
            }
        }
        if (out == null || traces.size() != 1) {
            System.err.println("usage: Drive --kind K --lowest MS --highest MS --grace MS --out FILE TRACES");
            System.exit(2);
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, List<JsonNode>> trace : traces(traces.get(0)).entrySet()) {
            List<String> rows = new ArrayList<>();
            ObjectNode reported = run(trace.getKey(), trace.getValue(), rows, kind, lowest, highest, grace);
            ObjectNode line = JSON.createObjectNode();
            line.put("trace", trace.getKey());
            line.set("meta", reported);
            lines.add(JSON.writeValueAsString(line));
            lines.addAll(rows);
        }
        ObjectNode meta = JSON.createObjectNode();
        meta.put("engine", "Kafka Streams TopologyTestDriver");
        meta.put("kafka_streams_version", org.apache.kafka.common.utils.internals.AppInfoParser.getVersion());
        ObjectNode params = meta.putObject("join_params");
        params.put("kind", kind);
        params.put("lowest_ms", lowest);
        params.put("highest_ms", highest);
        params.put("grace_ms", grace);
        meta.put("after_step", "[left store records, right store records, outer store entries, dropped records] after each step");
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

    static Topology topology(String kind, long lowest, long highest, long grace) {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, String> left = builder.stream("left", Consumed.with(Serdes.String(), Serdes.String()));
        KStream<String, String> right = builder.stream("right", Consumed.with(Serdes.String(), Serdes.String()));
        JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(Duration.ZERO, Duration.ofMillis(grace));
        // after = highest, before = -lowest; the order keeps before + after >= 0 at each call.
        if (highest >= 0) {
            windows = windows.after(Duration.ofMillis(highest)).before(Duration.ofMillis(-lowest));
        } else {
            windows = windows.before(Duration.ofMillis(-lowest)).after(Duration.ofMillis(highest));
        }
        ValueJoiner<String, String, String> joiner = (l, r) -> (l == null ? "" : l) + "|" + (r == null ? "" : r);
        StreamJoined<String, String, String> joined = StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String())
                .withStoreName(STORE);
        KStream<String, String> result = switch (kind) {
            case "inner" -> left.join(right, joiner, windows, joined);
            case "left_outer" -> left.leftJoin(right, joiner, windows, joined);
            case "full_outer" -> left.outerJoin(right, joiner, windows, joined);
            default -> throw new IllegalArgumentException("Kafka Streams joins streams inner, left or outer, not " + kind);
        };
        result.to("out", Produced.with(Serdes.String(), Serdes.String()));
        return builder.build();
    }

    /** The driver's settings: one application, no broker, state under `stateDir`, and the
     *  outer-join emit throttle off, so that null rows depend on stream time only. */
    static Properties props(Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "joincheck");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX, 0L);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return props;
    }

    /** A joined value "l|r" (the joiner's) as joincheck's output row. */
    static ObjectNode row(KeyValue<String, String> kv) {
        String[] ids = kv.value.split("\\|", -1);
        ObjectNode row = JSON.createObjectNode();
        if (!ids[0].isEmpty() && !ids[1].isEmpty()) {
            row.put("type", "match");
            row.put("left", ids[0]);
            row.put("right", ids[1]);
        } else {
            row.put("type", "unmatched");
            row.put("side", ids[0].isEmpty() ? "right" : "left");
            row.put("id", ids[0].isEmpty() ? ids[1] : ids[0]);
        }
        row.put("key", kv.key);
        return row;
    }

    /** Runs one trace, adding its rows (tagged) to `rows`; returns its meta line's contents. */
    private static ObjectNode run(String trace, List<JsonNode> steps, List<String> rows, String kind, long lowest,
            long highest, long grace) throws Exception {
        ArrayNode perStep = JSON.createArrayNode();
        Properties props = props(Files.createTempDirectory("joincheck-kstreams"));
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(kind, lowest, highest, grace), props, Instant.EPOCH)) {
            TestInputTopic<String, String> left = driver.createInputTopic("left", new StringSerializer(), new StringSerializer());
            TestInputTopic<String, String> right = driver.createInputTopic("right", new StringSerializer(), new StringSerializer());
            TestOutputTopic<String, String> output = driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
            for (int i = 0; i < steps.size(); i++) {
                JsonNode s = steps.get(i);
                if (s.get("type").asText().equals("record")) {
                    TestInputTopic<String, String> topic = s.get("side").asText().equals("left") ? left : right;
                    topic.pipeInput(s.get("key").asText(), s.get("id").asText(), s.get("ts").asLong());
                }
                for (KeyValue<String, String> kv : output.readKeyValuesToList()) {
                    ObjectNode row = JSON.createObjectNode();
                    row.put("trace", trace);
                    row.setAll(row(kv));
                    row.put("step", i);
                    rows.add(JSON.writeValueAsString(row));
                }
                ArrayNode after = perStep.addArray();
                after.add(windowRecords(driver, "-this-join-store"));
                after.add(windowRecords(driver, "-other-join-store"));
                after.add(outerEntries(driver));
                after.add(dropped(driver));
            }
        }
        ObjectNode result = JSON.createObjectNode();
        result.set("after_step", perStep);
        return result;
    }

    /** Records the join store named `...suffix` returns over all time (fetch hides what
     *  retention expired); the left side's store is "this", the right side's "other". */
    @SuppressWarnings("unchecked")
    private static int windowRecords(TopologyTestDriver driver, String suffix) {
        StateStore store = driver.getAllStateStores().entrySet().stream()
                .filter(e -> e.getKey().endsWith(suffix))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no store *" + suffix + " in " + driver.getAllStateStores().keySet()));
        int n = 0;
        try (KeyValueIterator<?, ?> it = ((ReadOnlyWindowStore<String, Object>) store).all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    @SuppressWarnings("unchecked")
    private static int outerEntries(TopologyTestDriver driver) {
        for (Map.Entry<String, StateStore> e : driver.getAllStateStores().entrySet()) {
            if (e.getKey().endsWith("-shared-join-store")) {
                int n = 0;
                try (KeyValueIterator<?, ?> it = ((ReadOnlyKeyValueStore<Object, Object>) e.getValue()).all()) {
                    while (it.hasNext()) {
                        it.next();
                        n++;
                    }
                }
                return n;
            }
        }
        return 0;
    }

    private static long dropped(TopologyTestDriver driver) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : driver.metrics().entrySet()) {
            if (e.getKey().name().equals("dropped-records-total") && e.getKey().tags().containsKey("task-id")) {
                total += ((Number) e.getValue().metricValue()).doubleValue();
            }
        }
        return (long) total;
    }
}
