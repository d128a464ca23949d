package io.meshbus.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** The rate limit on a fake clock: what gets through per key and period, and what the next line says. */
class RateLimitedLogTest {
    long now;
    final LongAdder suppressed = new LongAdder();
    final RateLimitedLog log = new RateLimitedLog(Duration.ofSeconds(10), 3, 4, () -> now, suppressed);

    @Test
    void shouldLetABurstThroughPerKeyThenCountWhatItLeavesOut() {
        for (int i = 0; i < 3; i++) {
            assertThat(log.admit("10.0.0.1")).isZero();
        }
        for (int i = 0; i < 7; i++) {
            assertThat(log.admit("10.0.0.1")).isEqualTo(-1);
        }
        assertThat(log.admit("10.0.0.2")).as("another key has its own lines").isZero();
        assertThat(suppressed.sum()).isEqualTo(7);

        now += Duration.ofSeconds(10).toNanos();
        assertThat(log.admit("10.0.0.1")).as("the next line tells how many were left out").isEqualTo(7);
        assertThat(log.admit("10.0.0.1")).isZero();
    }

    @Test
    void shouldBoundItsMemoryBySharingOneWindowPastTheKeyLimit() {
        for (int k = 0; k < 4; k++) {
            assertThat(log.admit("key" + k)).isZero();
        }
        // Keys 4.. share a window: three lines between them, then silence.
        assertThat(log.admit("key4")).isZero();
        assertThat(log.admit("key5")).isZero();
        assertThat(log.admit("key6")).isZero();
        assertThat(log.admit("key7")).isEqualTo(-1);

        now += Duration.ofSeconds(10).toNanos();
        assertThat(log.admit("key8")).as("expired windows make room again").isZero();
    }

    @Test
    void shouldAddTheCountBeforeATrailingThrowable() {
        IllegalStateException e = new IllegalStateException("x");
        assertThat(RateLimitedLog.withCount(new Object[] {"a", e}, 5)).containsExactly("a", 5L, e);
        assertThat(RateLimitedLog.withCount(new Object[] {"a"}, 5)).containsExactly("a", 5L);
    }
}
