package joincheck.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.ValueTimestampHeaders;
import org.apache.kafka.streams.state.internals.LeftOrRightValue;

/**
 * A {@code joincheck drive} adapter (docs/PROTOCOL.md, version 1): Kafka Streams' KStream-KStream
 * join in TopologyTestDriver, the same topology as {@link Drive}, answering joincheck's steps
 * on standard input line by line.
 *
 * <pre>
 * joincheck drive --model models/kafka-streams-impressions-clicks.toml -- \
 *     java -cp CLASSPATH joincheck.kstreams.DriveProtocol --kind inner --lowest 0 --highest 3600000 --grace 600000
 * </pre>
 *
 * Each reset starts a new driver (a new task, stream time unset). A record step pipes the
 * record; watermark, batch, processing-time and snapshot steps change nothing, and neither does
 * end (a stream does not end). Every answer's {@code stored} lists the ids the window stores
 * return and the ids waiting in the outer-join store.
 */
public final class DriveProtocol {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String kind;
    private final long lowest;
    private final long highest;
    private final long grace;
    private final PrintStream out;
    private TopologyTestDriver driver;
    private TestInputTopic<String, String> left;
    private TestInputTopic<String, String> right;
    private TestOutputTopic<String, String> output;
    private Path stateDir;

    private DriveProtocol(String kind, long lowest, long highest, long grace, PrintStream out) {
        this.kind = kind;
        this.lowest = lowest;
        this.highest = highest;
        this.grace = grace;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        String kind = "inner";
        long lowest = 0;
        long highest = 0;
        long grace = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--kind" -> kind = args[++i];
                case "--lowest" -> lowest = Long.parseLong(args[++i]);
                case "--highest" -> highest = Long.parseLong(args[++i]);
                case "--grace" -> grace = Long.parseLong(args[++i]);
                default -> {
                    System.err.println("usage: DriveProtocol --kind K --lowest MS --highest MS --grace MS");
                    System.exit(2);
                }
            }
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        DriveProtocol p = new DriveProtocol(kind, lowest, highest, grace, out);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (!line.isBlank()) {
                p.answer(JSON.readTree(line));
            }
        }
        p.close();
    }

    private void answer(JsonNode step) throws Exception {
        switch (step.get("type").asText()) {
            case "reset" -> reset();
            case "record" -> {
                TestInputTopic<String, String> topic = step.get("side").asText().equals("left") ? left : right;
                topic.pipeInput(step.get("key").asText(), step.get("id").asText(), step.get("ts").asLong());
                for (KeyValue<String, String> kv : output.readKeyValuesToList()) {
                    out.println(JSON.writeValueAsString(Drive.row(kv)));
                }
            }
            default -> { }
        }
        ObjectNode done = JSON.createObjectNode();
        done.put("type", "done");
        ArrayNode stored = done.putArray("stored");
        if (driver != null) {
            stored().forEach(stored::add);
        }
        done.put("timers", 0);
        out.println(JSON.writeValueAsString(done));
        out.flush();
    }

    private void reset() throws Exception {
        close();
        stateDir = Files.createTempDirectory("joincheck-kstreams-drive");
        driver = new TopologyTestDriver(Drive.topology(kind, lowest, highest, grace), Drive.props(stateDir), Instant.EPOCH);
        left = driver.createInputTopic("left", new StringSerializer(), new StringSerializer());
        right = driver.createInputTopic("right", new StringSerializer(), new StringSerializer());
        output = driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
    }

    private void close() throws Exception {
        if (driver != null) {
            driver.close();
            driver = null;
        }
        if (stateDir != null) {
            try (var paths = Files.walk(stateDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            stateDir = null;
        }
    }

    /** The ids the window stores return and the ids in the outer-join store. */
    @SuppressWarnings("unchecked")
    private TreeSet<String> stored() {
        TreeSet<String> ids = new TreeSet<>();
        for (Map.Entry<String, StateStore> e : driver.getAllStateStores().entrySet()) {
            if (e.getKey().endsWith("-shared-join-store")) {
                try (KeyValueIterator<?, ?> it = ((ReadOnlyKeyValueStore<Object, Object>) e.getValue()).all()) {
                    it.forEachRemaining(kv -> ids.add(idOf(kv.value)));
                }
            } else if (e.getKey().endsWith("-join-store")) {
                try (KeyValueIterator<?, ?> it = ((ReadOnlyWindowStore<String, Object>) e.getValue()).all()) {
                    it.forEachRemaining(kv -> ids.add(idOf(kv.value)));
                }
            }
        }
        return ids;
    }

    /** The record id a store value holds: the value itself, with a timestamp and headers
     *  (4.4's window stores), or one side of an outer-join entry. */
    private static String idOf(Object value) {
        if (value instanceof ValueTimestampHeaders<?> v) {
            return idOf(v.value());
        }
        if (value instanceof LeftOrRightValue<?, ?> v) {
            return idOf(v.leftValue() != null ? v.leftValue() : v.rightValue());
        }
        return (String) value;
    }
}
