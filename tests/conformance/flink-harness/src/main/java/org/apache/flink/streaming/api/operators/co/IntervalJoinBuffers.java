package org.apache.flink.streaming.api.operators.co;

import java.util.List;
import java.util.Map;

/**
 * joincheck's harness driver: counts the elements IntervalJoinOperator buffers for the current
 * key. Its buffers are package-private (getLeftBuffer, getRightBuffer), hence this class in
 * Flink's package; it only reads them.
 */
public final class IntervalJoinBuffers {
    private IntervalJoinBuffers() {}

    /** Elements in both buffers of the operator's current key. */
    public static int count(IntervalJoinOperator<?, ?, ?, ?> op) throws Exception {
        int n = 0;
        for (Map.Entry<Long, ? extends List<?>> e : op.getLeftBuffer().entries()) {
            n += e.getValue().size();
        }
        for (Map.Entry<Long, ? extends List<?>> e : op.getRightBuffer().entries()) {
            n += e.getValue().size();
        }
        return n;
    }
}
