package io.meshbus.netbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.meshbus.netbench.FaultResult.ModeFigures;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Joins what the senders tallied with what the receivers got, per flow, into one {@link ModeFigures} per mode. A
 * flow's sender key is {@code mode|phase|h1#1>p2} (publishes: {@code >*}), its receiver key {@code mode|phase|h1#1} in
 * the report of the host of {@code p2} (publishes: of every host).
 */
final class Figures {
    private final Map<Integer, JsonNode> reports;
    private final Set<Integer> killed;
    private final Set<Integer> frozen;
    private final int hosts;

    /**
     * @param reports each host's {@code REPORT} of the phase, from its live incarnation
     * @param killed  hosts that died in the phase: what they had received died with them
     * @param frozen  hosts that were stopped in the phase: their futures' lateness is not theirs
     */
    Figures(Map<Integer, JsonNode> reports, Set<Integer> killed, Set<Integer> frozen, int hosts) {
        this.reports = reports;
        this.killed = killed;
        this.frozen = frozen;
        this.hosts = hosts;
    }

    List<ModeFigures> all() {
        return List.of(directed("conf", FaultResult.CONFIRMED), directed("alo", FaultResult.AT_LEAST_ONCE),
                directed("ff", FaultResult.FORGET), directed("req", FaultResult.REQUESTS),
                published("pub", FaultResult.PUBLISHES), published("grp", FaultResult.QUEUE_GROUP));
    }

    private ModeFigures directed(String tag, String mode) {
        Acc a = new Acc();
        forEachSent(tag, (key, s) -> {
            int target = Integer.parseInt(key.substring(key.indexOf(">p") + 2));
            String receiverKey = key.substring(0, key.indexOf('>'));
            BitSet got = bits(received(target, receiverKey).path("received"));
            a.add(s, tag.equals("ff"));
            String sender = key.split("\\|")[2];
            if (!frozen.contains(Integer.parseInt(sender.substring(1, sender.indexOf('#'))))) {
                a.late += s.path("late").asLong();
            }
            if (tag.equals("ff")) {
                a.delivered += got.cardinality();
                return;
            }
            a.delivered += s.path("okCount").asLong();
            if (tag.equals("req")) {
                return;
            }
            if (killed.contains(target)) {
                a.excluded++;
                return;
            }
            // Confirmed: a completed future means it arrived. At least once: so does a timed-out one, while
            // both hosts live; a failure with the target unreachable leaves delivery unknown.
            BitSet owed = bits(s.path("ok"));
            if (tag.equals("alo")) {
                owed.or(bits(s.path("timedOut")));
            }
            owed.andNot(got);
            a.lost += owed.cardinality();
        });
        long[] dupReorder = duplicatesAndReorders(tag);
        return a.figures(mode, -1, tag.equals("ff") || tag.equals("req") ? -1 : a.lost, dupReorder[0],
                dupReorder[1]);
    }

    private ModeFigures published(String tag, String mode) {
        Acc a = new Acc();
        long[] spread = new long[1];
        forEachSent(tag, (key, s) -> {
            a.add(s, true);
            String receiverKey = key.substring(0, key.indexOf('>'));
            BitSet union = new BitSet();
            long total = 0;
            for (int r = 1; r <= hosts; r++) {
                BitSet got = bits(received(r, receiverKey).path("received"));
                total += got.cardinality();
                union.or(got);
            }
            if (tag.equals("grp")) {
                a.delivered += union.cardinality();
                spread[0] += total - union.cardinality();
            } else {
                a.delivered += total;
            }
        });
        long[] dupReorder = duplicatesAndReorders(tag);
        long expected = tag.equals("pub") ? a.sent * hosts : a.sent;
        return a.figures(mode, expected, -1, dupReorder[0] + spread[0], dupReorder[1]);
    }

    private interface SentFlow {
        void accept(String key, JsonNode tally);
    }

    private void forEachSent(String tag, SentFlow f) {
        for (JsonNode r : reports.values()) {
            for (Map.Entry<String, JsonNode> e : r.path("sent").properties()) {
                if (e.getKey().startsWith(tag + "|")) {
                    f.accept(e.getKey(), e.getValue());
                }
            }
        }
    }

    private JsonNode received(int host, String key) {
        JsonNode r = reports.get(host);
        return r == null ? MissingNode.getInstance() : r.path("received").path(key);
    }

    /** Over every receiver's flows of the mode, those of dead incarnations included. */
    private long[] duplicatesAndReorders(String tag) {
        long[] d = new long[2];
        for (JsonNode r : reports.values()) {
            for (Map.Entry<String, JsonNode> e : r.path("received").properties()) {
                if (e.getKey().startsWith(tag + "|")) {
                    d[0] += e.getValue().path("duplicates").asLong();
                    d[1] += e.getValue().path("reordered").asLong();
                }
            }
        }
        return d;
    }

    static BitSet bits(JsonNode words) {
        long[] w = new long[words.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = words.get(i).asLong();
        }
        return BitSet.valueOf(w);
    }

    /** Sums over flows. */
    private static final class Acc {
        long sent;
        long delivered;
        long timedOut;
        long hung;
        long late;
        long lost;
        int excluded;
        final Map<String, Long> failed = new TreeMap<>();

        void add(JsonNode s, boolean noFutures) {
            sent += s.path("sent").asLong();
            timedOut += s.path("timedOutCount").asLong();
            if (!noFutures) {
                hung += s.path("sent").asLong() - s.path("ended").asLong();
            }
            for (Map.Entry<String, JsonNode> e : s.path("failed").properties()) {
                failed.merge(e.getKey(), e.getValue().asLong(), Long::sum);
            }
        }

        ModeFigures figures(String mode, long expected, long lostOrNone, long duplicated, long reordered) {
            return new ModeFigures(mode, sent, delivered, expected, timedOut, failed, hung, late, lostOrNone,
                    duplicated, reordered, excluded);
        }
    }
}
