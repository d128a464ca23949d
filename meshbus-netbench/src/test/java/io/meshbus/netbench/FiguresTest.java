package io.meshbus.netbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshbus.netbench.FaultResult.ModeFigures;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How the bench joins the senders' tallies with the receivers' receipts, on reports made up here. */
class FiguresTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anAtLeastOnceMessageCompletedOrTimedOutButNotReceivedIsLostOneFailedUnreachableIsNot() {
        // h1 sent 0..4 to p2: 0, 1 completed, 2 timed out, 3 failed unreachable, 4 timed out; p2 got 0, 1, 4.
        Map<Integer, JsonNode> reports = reports(
                sent("alo|f1|h1#1>p2", 5, 5, bits(0, 1), bits(2, 4), Map.of("PeerUnreachableException", 1L), 0),
                received(2, "alo|f1|h1#1", bits(0, 1, 4), 0, 0));

        ModeFigures alo = figures(reports, Set.of(), Set.of()).stream()
                .filter(m -> m.mode().equals(FaultResult.AT_LEAST_ONCE)).findFirst().orElseThrow();

        assertThat(alo.sent()).isEqualTo(5);
        assertThat(alo.delivered()).isEqualTo(2);
        assertThat(alo.timedOut()).isEqualTo(2);
        assertThat(alo.lost()).as("#2 was owed and never came; #3's delivery is unknown").isEqualTo(1);
        assertThat(alo.hung()).isZero();
    }

    @Test
    void flowsToAHostThatDiedAreLeftOutAndLatenessOfAStoppedSenderIsNotCounted() {
        Map<Integer, JsonNode> reports = reports(
                sent("conf|f1|h1#1>p2", 3, 2, bits(0, 1), bits(), Map.of(), 1),
                sent("conf|f1|h2#2>p1", 2, 2, bits(0, 1), bits(), Map.of(), 1),
                received(1, "conf|f1|h2#2", bits(0, 1), 1, 0));

        ModeFigures conf = figures(reports, Set.of(2), Set.of(2)).get(0);

        assertThat(conf.excluded()).as("h1 -> p2: p2's host died with what it had received").isEqualTo(1);
        assertThat(conf.lost()).isZero();
        assertThat(conf.hung()).as("h1's third future never ended").isEqualTo(1);
        assertThat(conf.late()).as("h1's late future; h2 was stopped, its late one is not counted").isEqualTo(1);
        assertThat(conf.duplicated()).isEqualTo(1);
    }

    @Test
    void aQueueGroupMessageTwoMembersGotIsADuplicate() {
        Map<Integer, JsonNode> reports = reports(sent("grp|f1|h1#1>*", 3, 0, bits(), bits(), Map.of(), 0),
                received(1, "grp|f1|h1#1", bits(0, 1), 0, 0), received(2, "grp|f1|h1#1", bits(1, 2), 0, 0));

        ModeFigures grp = figures(reports, Set.of(), Set.of()).get(5);

        assertThat(grp.mode()).isEqualTo(FaultResult.QUEUE_GROUP);
        assertThat(grp.delivered()).isEqualTo(3);
        assertThat(grp.duplicated()).isEqualTo(1);
    }

    @Test
    void detectionTimesEachExpectedPairsFirstDropAfterTheInjectionAndCountsTheOtherDrops() {
        Map<Integer, JsonNode> events = new LinkedHashMap<>();
        events.put(1, JSON.valueToTree(List.of(event("h2", "down", 900), event("h2", "down", 1500),
                event("h3", "down", 1200))));
        events.put(2, JSON.valueToTree(List.of(event("h1", "up", 1100), event("h1", "given-up", 3000),
                event("h3", "down", 1300))));
        events.put(3, JSON.valueToTree(List.of()));

        List<int[]> expected = List.of(new int[] {1, 2}, new int[] {2, 1}, new int[] {3, 1});
        FaultResult.Detection d = NetBench.detection(expected, List.of(new int[] {1, 2}, new int[] {2, 1},
                new int[] {3, 1}, new int[] {2, 3}), events, 1000);

        assertThat(d.expected()).isEqualTo(3);
        assertThat(d.detected()).as("h3 never saw h1 go").isEqualTo(2);
        assertThat(d.minMillis()).isEqualTo(500);
        assertThat(d.maxMillis()).isEqualTo(2000);
        assertThat(d.moreDrops()).as("h2 lost h3, a link the fault acts on but no detection expected").isEqualTo(1);
        assertThat(d.collateralDrops()).as("h1 lost h3, a link the fault does not act on").isEqualTo(1);
    }

    private static List<ModeFigures> figures(Map<Integer, JsonNode> reports, Set<Integer> killed,
                                             Set<Integer> frozen) {
        return new Figures(reports, killed, frozen, 2).all();
    }

    private static Map<String, Object> event(String remote, String what, long at) {
        return Map.of("remote", remote, "what", what, "at", at);
    }

    /** Each part: host index and a REPORT's "sent" or "received" entry. */
    @SafeVarargs
    private static Map<Integer, JsonNode> reports(Map.Entry<Integer, Map<String, Object>>... parts) {
        Map<Integer, Map<String, Map<String, Object>>> byHost = new LinkedHashMap<>();
        for (Map.Entry<Integer, Map<String, Object>> p : parts) {
            Map<String, Map<String, Object>> r = byHost.computeIfAbsent(p.getKey(), k -> new LinkedHashMap<>(
                    Map.of("sent", new LinkedHashMap<>(), "received", new LinkedHashMap<>())));
            String section = (String) p.getValue().get("section");
            r.get(section).put((String) p.getValue().get("key"), p.getValue().get("value"));
        }
        Map<Integer, JsonNode> out = new LinkedHashMap<>();
        byHost.forEach((h, r) -> out.put(h, JSON.valueToTree(r)));
        return out;
    }

    private static Map.Entry<Integer, Map<String, Object>> sent(String key, long sent, long ended, long[] ok,
                                                                long[] timedOut, Map<String, Long> failed,
                                                                long late) {
        int host = Integer.parseInt(key.split("\\|")[2].substring(1, key.split("\\|")[2].indexOf('#')));
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("sent", sent);
        v.put("ended", ended);
        v.put("okCount", (long) BitSet.valueOf(ok).cardinality());
        v.put("timedOutCount", (long) BitSet.valueOf(timedOut).cardinality());
        v.put("late", late);
        v.put("failed", failed);
        v.put("ok", ok);
        v.put("timedOut", timedOut);
        return Map.entry(host, Map.of("section", "sent", "key", key, "value", v));
    }

    private static Map.Entry<Integer, Map<String, Object>> received(int host, String key, long[] got, long duplicates,
                                                                    long reordered) {
        Map<String, Object> v = Map.of("received", got, "count", (long) BitSet.valueOf(got).cardinality(),
                "duplicates", duplicates, "reordered", reordered);
        return Map.entry(host, Map.of("section", "received", "key", key, "value", v));
    }

    private static long[] bits(int... seqs) {
        BitSet b = new BitSet();
        for (int s : seqs) {
            b.set(s);
        }
        return b.toLongArray();
    }
}
