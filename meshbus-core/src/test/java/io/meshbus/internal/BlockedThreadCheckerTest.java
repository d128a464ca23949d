package io.meshbus.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** The checker's rule on a clock the test gives it: one report per run held past the bound, none for short runs. */
class BlockedThreadCheckerTest {
    private final LongAdder blocked = new LongAdder();

    @Test
    void shouldReportEachRunHeldPastTheBoundOnce() {
        try (BlockedThreadChecker checker = new BlockedThreadChecker(Duration.ofHours(1), "test", blocked)) {
            long hour = Duration.ofHours(1).toNanos();
            assertThat(BlockedThreadChecker.onWatchedThread()).isFalse();
            BlockedThreadChecker.Slot run = checker.enter();
            assertThat(BlockedThreadChecker.onWatchedThread()).isTrue();
            long started = System.nanoTime();
            checker.check(started + hour / 2);
            assertThat(blocked.sum()).as("within the bound").isZero();
            checker.check(started + hour + 1);
            checker.check(started + 2 * hour);
            assertThat(blocked.sum()).as("one overrun, one report").isEqualTo(1);
            BlockedThreadChecker.exit(run);
            assertThat(BlockedThreadChecker.onWatchedThread()).isFalse();
            checker.check(started + 3 * hour);
            assertThat(blocked.sum()).as("an idle thread is never reported").isEqualTo(1);

            BlockedThreadChecker.Slot again = checker.enter();
            checker.check(System.nanoTime() + hour + 1);
            BlockedThreadChecker.exit(again);
            assertThat(blocked.sum()).as("the next overrun is a new report").isEqualTo(2);
        }
    }
}
