package io.meshbus.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The soak's receiving bookkeeping on its own: a small window, so falling out of it takes a few numbers. */
class SequenceTrackerTest {
    private static final int WINDOW = 64;

    private final SequenceTracker tracker = new SequenceTracker(WINDOW, 4);

    @Test
    void shouldCountNumbersInOrderAsDeliveredOnly() {
        for (long s = 0; s < 10; s++) {
            tracker.received(s, 1_000);
        }
        SequenceTracker.Counts c = tracker.counts();
        assertThat(c.delivered()).isEqualTo(10);
        assertThat(c.arrivals()).isEqualTo(10);
        assertThat(c.duplicated()).isZero();
        assertThat(c.reordered()).isZero();
        assertThat(c.untracked()).isZero();
        assertThat(c.latency().getTotalCount()).isEqualTo(10);
    }

    @Test
    void shouldCountASecondArrivalAsDuplicateOnceAndNotAsDelivered() {
        tracker.received(0, 0);
        tracker.received(1, 0);
        tracker.received(1, 0);
        tracker.received(0, 0);
        SequenceTracker.Counts c = tracker.counts();
        assertThat(c.delivered()).isEqualTo(2);
        assertThat(c.duplicated()).isEqualTo(2);
        assertThat(c.arrivals()).isEqualTo(4);
        assertThat(c.latency().getTotalCount()).isEqualTo(2);
    }

    @Test
    void shouldCountALateArrivalAsReorderedAndItsRepeatAsDuplicate() {
        tracker.received(0, 0);
        tracker.received(2, 0);
        tracker.received(1, 0);
        tracker.received(1, 0);
        SequenceTracker.Counts c = tracker.counts();
        assertThat(c.delivered()).isEqualTo(3);
        assertThat(c.reordered()).isEqualTo(1);
        assertThat(c.duplicated()).isEqualTo(1);
    }

    @Test
    void shouldForgetWhatASkipOverLeftInTheRingFromARoundEarlier() {
        // 5 arrives; 5 + WINDOW reuses its bit, skipping everything between: 5 + WINDOW - 1 ... must read as unseen.
        tracker.received(5, 0);
        tracker.received(5 + 2L * WINDOW - 1, 0);
        tracker.received(5 + WINDOW, 0);
        SequenceTracker.Counts c = tracker.counts();
        assertThat(c.duplicated()).isZero();
        assertThat(c.reordered()).isEqualTo(1);
        assertThat(c.delivered()).isEqualTo(3);
    }

    @Test
    void shouldCountAnArrivalBeyondTheWindowAsUntrackedNotAsDuplicate() {
        tracker.received(0, 0);
        tracker.received(WINDOW + 10, 0);
        // 5 is more than WINDOW behind the highest: whether it came before cannot be known any more.
        tracker.received(5, 0);
        tracker.received(0, 0);
        SequenceTracker.Counts c = tracker.counts();
        assertThat(c.untracked()).isEqualTo(2);
        assertThat(c.duplicated()).isZero();
        assertThat(c.reordered()).isZero();
        assertThat(c.delivered()).isEqualTo(4);
        // Untracked arrivals have no latency: they are not first arrivals as far as the tracker knows.
        assertThat(c.latency().getTotalCount()).isEqualTo(2);
    }

    @Test
    void shouldKeepAConfirmedNumberUnverifiedUntilItsMessageArrives() {
        tracker.received(0, 0);
        tracker.confirmed(0);
        tracker.confirmed(1);
        assertThat(tracker.unverified()).isEqualTo(1);
        tracker.received(1, 0);
        assertThat(tracker.unverified()).isZero();
    }

    @Test
    void shouldTakeAConfirmedNumberBeyondTheWindowAsArrived() {
        tracker.received(WINDOW + 10, 0);
        tracker.confirmed(3);
        assertThat(tracker.unverified()).isZero();
    }

    @Test
    void shouldCountUnverifiedNumbersPastTheirLimitWithoutRememberingThem() {
        for (long s = 0; s < 6; s++) {
            tracker.confirmed(s);
        }
        assertThat(tracker.unverified()).isEqualTo(6);
        // Only the first 4 are remembered: the others stay counted even when their message comes.
        for (long s = 0; s < 6; s++) {
            tracker.received(s, 0);
        }
        assertThat(tracker.unverified()).isEqualTo(2);
    }

    @Test
    void shouldCapALatencyAboveTheHistogramsRange() {
        tracker.received(0, Long.MAX_VALUE);
        assertThat(tracker.counts().latency().getMaxValue())
                .isGreaterThanOrEqualTo(SequenceTracker.HIGHEST_LATENCY_MICROS);
    }

    @Test
    void shouldRefuseAWindowThatIsNotAPowerOfTwo() {
        assertThatThrownBy(() -> new SequenceTracker(100, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
