package joincheck.harness;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The seed's function, corrected (docs/SEED-FLINK.md; joincheck's flink-keyed-fixed profile):
 * both sides buffered by record, one event-time cleanup per entry at the first watermark at
 * which nothing on time can match it, no clear on the first match, no processing-time TTL,
 * and a record is late (side output) only when it is behind the watermark.
 *
 * <pre>
 * processElement(x):  if x.ts < currentWatermark(): late side output; return
 *                     join x with every buffered partner of the other side in range
 *                     buffer[x.side].put(x); registerEventTimeTimer(cleanup(x))
 * onTimer(T):         remove every buffered x with cleanup(x) <= T; null-pad the unmatched
 *                     ones of a padded side (outer joins)
 * cleanup(left  l) = l.ts + highest + 1   (or l.ts + horizon + 1)
 * cleanup(right r) = r.ts - lowest + 1
 * </pre>
 *
 * The window is given exactly: a click at c joins an impression at i when lowest <= c - i <= highest.
 */
class ImpressionClickJoinFixed extends KeyedCoProcessFunction<String, Impression, Click, JoinedEvent> {
    static final OutputTag<String> LATE = new OutputTag<String>("late") {};

    private final long lowest;
    private final long highest;
    private final long horizon;
    private final boolean padLeft;
    private final boolean padRight;

    /** A buffered record: its time and whether it has matched. */
    public static class Entry {
        public long ts;
        public boolean matched;

        public Entry() {}

        Entry(long ts) {
            this.ts = ts;
        }
    }

    // record id -> entry, per side
    private MapState<String, Entry> impressions;
    private MapState<String, Entry> clicks;

    ImpressionClickJoinFixed(long lowest, long highest, long horizon, boolean padLeft, boolean padRight) {
        this.lowest = lowest;
        this.highest = highest;
        this.horizon = horizon;
        this.padLeft = padLeft;
        this.padRight = padRight;
    }

    @Override
    public void open(OpenContext openContext) {
        impressions = getRuntimeContext().getMapState(new MapStateDescriptor<>("impressions", String.class, Entry.class));
        clicks = getRuntimeContext().getMapState(new MapStateDescriptor<>("clicks", String.class, Entry.class));
    }

    private long cleanupLeft(long ts) {
        return ts + horizon + 1;
    }

    private long cleanupRight(long ts) {
        return ts - lowest + 1;
    }

    @Override
    public void processElement1(Impression imp, Context ctx, Collector<JoinedEvent> out) throws Exception {
        long ts = ctx.timestamp();
        if (ts < ctx.timerService().currentWatermark()) {
            ctx.output(LATE, "left:" + imp.recordId);
            return;
        }
        Entry mine = new Entry(ts);
        for (Map.Entry<String, Entry> c : clicks.entries()) {
            long offset = c.getValue().ts - ts;
            if (lowest <= offset && offset <= highest) {
                out.collect(new JoinedEvent(imp, new Click(imp.impressionId, c.getKey())));
                c.getValue().matched = true;
                clicks.put(c.getKey(), c.getValue());
                mine.matched = true;
            }
        }
        impressions.put(imp.recordId, mine);
        ctx.timerService().registerEventTimeTimer(cleanupLeft(ts));
    }

    @Override
    public void processElement2(Click click, Context ctx, Collector<JoinedEvent> out) throws Exception {
        long ts = ctx.timestamp();
        if (ts < ctx.timerService().currentWatermark()) {
            ctx.output(LATE, "right:" + click.recordId);
            return;
        }
        Entry mine = new Entry(ts);
        for (Map.Entry<String, Entry> i : impressions.entries()) {
            long offset = ts - i.getValue().ts;
            if (lowest <= offset && offset <= highest) {
                out.collect(new JoinedEvent(new Impression(click.clickId, i.getKey()), click));
                i.getValue().matched = true;
                impressions.put(i.getKey(), i.getValue());
                mine.matched = true;
            }
        }
        clicks.put(click.recordId, mine);
        ctx.timerService().registerEventTimeTimer(cleanupRight(ts));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<JoinedEvent> out) throws Exception {
        String key = ctx.getCurrentKey();
        List<String> due = new ArrayList<>();
        for (Map.Entry<String, Entry> i : impressions.entries()) {
            if (cleanupLeft(i.getValue().ts) <= timestamp) {
                due.add(i.getKey());
                if (!i.getValue().matched && padLeft) {
                    out.collect(new JoinedEvent(new Impression(key, i.getKey()), null));
                }
            }
        }
        for (String id : due) {
            impressions.remove(id);
        }
        due.clear();
        for (Map.Entry<String, Entry> c : clicks.entries()) {
            if (cleanupRight(c.getValue().ts) <= timestamp) {
                due.add(c.getKey());
                if (!c.getValue().matched && padRight) {
                    out.collect(new JoinedEvent(null, new Click(key, c.getKey())));
                }
            }
        }
        for (String id : due) {
            clicks.remove(id);
        }
    }

    /** Buffered records of the current key, both sides. */
    int buffered() throws Exception {
        int n = 0;
        for (Iterator<String> it = impressions.keys().iterator(); it.hasNext(); it.next()) {
            n++;
        }
        for (Iterator<String> it = clicks.keys().iterator(); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }
}
