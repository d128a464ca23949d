package io.meshbus.js;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.js.GatewayMetrics.Counter;
import io.meshbus.message.Message;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pure parts of a browser connection: its rate limit, its pending replies, the origin rule, the counters. */
class GatewayRoomsTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void shouldLetABurstUpToTheRatePassAndRefillAtTheRate() {
        TokenBucket b = new TokenBucket(5, 0);
        for (int i = 0; i < 5; i++) {
            assertThat(b.take(0)).as("frame %d of the burst", i).isTrue();
        }
        assertThat(b.take(0)).isFalse();
        assertThat(b.take(SECOND / 10)).as("half a token back").isFalse();
        assertThat(b.take(SECOND / 10 + SECOND / 10)).as("a whole one").isTrue();
        // a long silence refills up to the rate, never beyond
        long later = 100 * SECOND;
        for (int i = 0; i < 5; i++) {
            assertThat(b.take(later)).isTrue();
        }
        assertThat(b.take(later)).isFalse();
    }

    @Test
    void shouldHoldRepliesUpToTheBoundAndMakeRoomOnlyByExpiry() {
        PendingReplies p = new PendingReplies(2, Duration.ofSeconds(1));
        Message a = Message.of("a");
        Message b = Message.of("b");
        long ra = p.add(a, 0);
        long rb = p.add(b, 0);
        assertThat(ra).isPositive().isNotEqualTo(rb);
        assertThat(p.add(Message.of("c"), SECOND / 2)).as("full, nothing expired").isEqualTo(-1);
        assertThat(p.take(ra)).isSameAs(a);
        assertThat(p.take(ra)).as("answered once").isNull();
        assertThat(p.add(Message.of("d"), SECOND / 2)).isPositive();
        assertThat(p.add(Message.of("e"), 2 * SECOND)).as("the stale ones make room").isPositive();
        assertThat(p.take(rb)).isNull();
        assertThat(p.size()).isEqualTo(1);
        p.clear();
        assertThat(p.size()).isZero();
    }

    @Test
    void shouldAllowNoOriginTheListedOnesAnyWithAStarAndTheGatewaysOwn() {
        Set<String> listed = Set.of("https://app.example");
        assertThat(GatewayHandshake.originAllowed(null, "gw:1", listed)).isTrue();
        assertThat(GatewayHandshake.originAllowed("https://app.example", "gw:1", listed)).isTrue();
        assertThat(GatewayHandshake.originAllowed("http://gw:1", "gw:1", listed)).isTrue();
        assertThat(GatewayHandshake.originAllowed("https://GW:1", "gw:1", listed)).isTrue();
        assertThat(GatewayHandshake.originAllowed("https://evil.example", "gw:1", listed)).isFalse();
        assertThat(GatewayHandshake.originAllowed("https://evil.example", null, listed)).isFalse();
        assertThat(GatewayHandshake.originAllowed("https://evil.example", "gw:1", Set.of("*"))).isTrue();
    }

    @Test
    void shouldNameEachCounterAsTheMetricsMapDoes() {
        GatewayMetrics m = new GatewayMetrics();
        m.count(Counter.AUTH_FAILURES);
        m.count(Counter.AUTH_FAILURES);
        m.count(Counter.FRAMES_IN);
        Map<String, Long> out = new LinkedHashMap<>();
        m.putAll(out);
        assertThat(out.keySet()).containsExactly("accepted", "refused", "authFailures", "originRejected", "tooLarge",
                "rateLimited", "subscriptionLimit", "slowConsumers", "protocolErrors", "framesIn", "framesOut",
                "dropped", "upgradeTimeouts");
        assertThat(out).containsEntry("authFailures", 2L).containsEntry("framesIn", 1L).containsEntry("dropped", 0L);
    }
}
