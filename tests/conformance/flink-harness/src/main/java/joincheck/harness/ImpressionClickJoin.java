package joincheck.harness;

import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/*
 * The seed's function (shared/seed/impressions-clicks-join.md), verbatim but for the three
 * places where Flink 2.x moved its API, each marked in the code:
 *   1. open(Configuration parameters) became open(OpenContext openContext) (FLIP-344; the
 *      Configuration overload is gone from RichFunction in 2.0);
 *   2. StateTtlConfig.newBuilder takes a java.time.Duration (org.apache.flink.api.common.time.Time
 *      was removed in 2.0): Time.milliseconds(TTL_MS) became Duration.ofMillis(TTL_MS);
 *   3. processElement1/2 and onTimer declare `throws Exception`: ValueState.value() and update()
 *      throw IOException, so the seed as written compiles against no Flink version.
 * The logic, the comments and the empty orphan branch are the seed's; so is the package-private
 * class (the driver lives in the same package).
 */
class ImpressionClickJoin extends KeyedCoProcessFunction<String, Impression, Click, JoinedEvent> {

    // State to hold the Impression waiting for a click
    // We assume 1 impression per ID for simplicity
    private ValueState<Impression> impressionState;
    
    // Constant: How long do we wait?
    private final long TTL_MS = 24 * 60 * 60 * 1000; // 24 Hours

    @Override
    public void open(OpenContext openContext) { // Flink 2.x: was open(Configuration parameters)
        // OPTION 1: Native State TTL (The "Lazy" cleanup)
        // Flink will clean this up in the background if not accessed
        StateTtlConfig ttlConfig = StateTtlConfig
            .newBuilder(Duration.ofMillis(TTL_MS)) // Flink 2.x: was Time.milliseconds(TTL_MS)
            .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
            .cleanupFullSnapshot()
            .build();

        ValueStateDescriptor<Impression> desc = new ValueStateDescriptor<>("impression", Impression.class);
        desc.enableTimeToLive(ttlConfig);
        impressionState = getRuntimeContext().getState(desc);
    }

    // Handle Impression Stream
    @Override
    public void processElement1(Impression imp, Context ctx, Collector<JoinedEvent> out) throws Exception { // added: throws (see 3.)
        // 1. Store the impression
        impressionState.update(imp);
        
        // OPTION 2: Timer-based (The "Aggressive" cleanup)
        // Register a timer to wake us up in 24 hours to delete this if no click comes
        long timerTimestamp = ctx.timestamp() + TTL_MS;
        ctx.timerService().registerEventTimeTimer(timerTimestamp);
    }

    // Handle Click Stream
    @Override
    public void processElement2(Click click, Context ctx, Collector<JoinedEvent> out) throws Exception { // added: throws (see 3.)
        Impression imp = impressionState.value();
        
        if (imp != null) {
            // MATCH FOUND! Emit result
            out.collect(new JoinedEvent(imp, click));
            
            // CRITICAL: Clear the state immediately. Don't wait for TTL.
            impressionState.clear();
            
            // Optimization: You could delete the timer here to save overhead, 
            // but usually valid to let it fire and do nothing.
        } else {
            // ORPHAN CLICK: The impression expired or never arrived. 
            // Log to "Late Data" side output.
        }
    }

    // The Garbage Collector
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<JoinedEvent> out) throws Exception { // added: throws (see 3.)
        // If the state still exists when timer fires, it means no click arrived.
        if (impressionState.value() != null) {
            impressionState.clear(); // DELETE THE ZOMBIE
        }
    }
}
