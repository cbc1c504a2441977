package joincheck.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
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
 * Runs joincheck traces (JSON lines, models/README.md) through a KStream-KStream join in Kafka
 * Streams' TopologyTestDriver, record by record, and writes for each trace NAME.out.jsonl
 * (the rows in joincheck's output format, each with the "step" after which it appeared), and
 * one meta.json for the run: Kafka Streams' version, the join, and per trace, after each step,
 * [records visible in the left join store, in the right join store, entries in the outer-join
 * store, dropped records (the task's dropped-records-total)].
 *
 * <pre>
 * Drive --kind inner|left_outer|full_outer --lowest MS --highest MS --grace MS --out DIR TRACE...
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
        if (out == null || traces.isEmpty()) {
            System.err.println("usage: Drive --kind K --lowest MS --highest MS --grace MS --out DIR TRACE...");
            System.exit(2);
        }
        Files.createDirectories(out);
        ObjectNode perTrace = JSON.createObjectNode();
        for (Path trace : traces) {
            String name = trace.getFileName().toString().replaceAll("\\.jsonl$", "");
            perTrace.set(name, run(trace, out.resolve(name + ".out.jsonl"), kind, lowest, highest, grace));
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
        meta.set("traces", perTrace);
        StringBuilder text = new StringBuilder("{\n");
        var fields = meta.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            text.append("  ").append(JSON.writeValueAsString(f.getKey())).append(": ");
            if (f.getKey().equals("traces")) {
                text.append("{\n");
                var ts = f.getValue().fields();
                while (ts.hasNext()) {
                    var t = ts.next();
                    text.append("    ").append(JSON.writeValueAsString(t.getKey())).append(": ")
                            .append(JSON.writeValueAsString(t.getValue())).append(ts.hasNext() ? ",\n" : "\n");
                }
                text.append("  }");
            } else {
                text.append(JSON.writeValueAsString(f.getValue()));
            }
            text.append(fields.hasNext() ? ",\n" : "\n");
        }
        Files.writeString(out.resolve("meta.json"), text.append("}\n").toString());
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

    private static ObjectNode run(Path trace, Path outFile, String kind, long lowest, long highest, long grace)
            throws Exception {
        List<JsonNode> steps = new ArrayList<>();
        for (String line : Files.readAllLines(trace, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                steps.add(JSON.readTree(line));
            }
        }
        ArrayNode perStep = JSON.createArrayNode();
        Properties props = props(Files.createTempDirectory("joincheck-kstreams"));
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(kind, lowest, highest, grace), props, Instant.EPOCH);
             BufferedWriter out = Files.newBufferedWriter(outFile, StandardCharsets.UTF_8)) {
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
                    ObjectNode row = row(kv);
                    row.put("step", i);
                    out.write(JSON.writeValueAsString(row));
                    out.newLine();
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
