package io.meshbus.netbench;

import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a host received, per flow: which sequence numbers, how many arrived twice, how many after a later one. A flow
 * is named by its payload's first three fields ({@code mode|phase|sender}); the receiver is whoever keeps this
 * object, so the bench joins these with the senders' tallies to count what was lost.
 *
 * <p>Threads: peers' and subscriptions' listeners record, one message at a time per listener but several listeners at
 * once; the control thread reports. Each flow's figures are guarded by the flow's object.
 */
final class Receipts {
    private final Map<String, Flow> flows = new ConcurrentHashMap<>();

    /** Records a payload {@code mode|phase|sender|seq}; anything else is counted as a stranger. */
    void record(String payload) {
        int bar = payload.lastIndexOf('|');
        long seq;
        try {
            seq = bar < 0 ? -1 : Long.parseLong(payload.substring(bar + 1));
        } catch (NumberFormatException e) {
            seq = -1;
        }
        Flow f = flows.computeIfAbsent(seq < 0 ? "strangers" : payload.substring(0, bar), k -> new Flow());
        f.add(seq);
    }

    /** The flows of {@code phase}: {key: {received: [bitset words], count, duplicates, reordered}}. */
    Map<String, Object> report(String phase) {
        Map<String, Object> out = new LinkedHashMap<>();
        flows.forEach((key, f) -> {
            String[] parts = key.split("\\|");
            if (key.equals("strangers") || parts.length > 1 && parts[1].equals(phase)) {
                out.put(key, f.snapshot());
            }
        });
        return out;
    }

    private static final class Flow {
        private final BitSet received = new BitSet(); // guarded by this
        private long count; // guarded by this
        private long duplicates; // guarded by this
        private long reordered; // guarded by this
        private long highest = -1; // guarded by this

        synchronized void add(long seq) {
            count++;
            if (seq < 0) {
                return;
            }
            int s = (int) seq;
            if (received.get(s)) {
                duplicates++;
            } else {
                received.set(s);
                if (seq < highest) {
                    reordered++;
                }
            }
            highest = Math.max(highest, seq);
        }

        synchronized Map<String, Object> snapshot() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("received", received.toLongArray());
            m.put("count", count);
            m.put("duplicates", duplicates);
            m.put("reordered", reordered);
            return m;
        }
    }
}
