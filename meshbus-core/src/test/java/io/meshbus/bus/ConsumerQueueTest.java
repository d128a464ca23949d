package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The queue alone, on an executor the test runs by hand: nothing runs until {@link Manual#runAll()}, so every
 * decision of a policy is made against a queue whose content the test knows.
 */
class ConsumerQueueTest {

    /** Runs what it was given only when asked to. */
    static final class Manual implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        void runOne() {
            tasks.poll().run();
        }

        void runAll() {
            while (!tasks.isEmpty()) {
                runOne();
            }
        }
    }

    /** Records pauses and resumes; can be told links cannot be paused (a backplane). */
    static final class Links implements SlowConsumers.Pauser {
        final boolean pausable;
        final List<String> calls = new ArrayList<>();

        Links(boolean pausable) {
            this.pausable = pausable;
        }

        @Override
        public boolean canPause() {
            return pausable;
        }

        @Override
        public synchronized void pause(String remoteHost) {
            calls.add("pause " + remoteHost);
        }

        @Override
        public synchronized void resume(String remoteHost) {
            calls.add("resume " + remoteHost);
        }
    }

    private final Manual executor = new Manual();
    private final Links links = new Links(true);
    private final SlowConsumers host = new SlowConsumers(() -> "h", links);
    private final List<String> ran = new ArrayList<>();
    private final List<String> dropped = new ArrayList<>();
    private final AtomicInteger cutOffs = new AtomicInteger();

    private ConsumerQueue queue(int capacity, SlowConsumerPolicy policy) {
        return queue(capacity, policy, host);
    }

    private ConsumerQueue queue(int capacity, SlowConsumerPolicy policy, SlowConsumers on) {
        return new ConsumerQueue(executor, ConsumerOptions.of(capacity, policy), on, "peer p",
                cutOffs::incrementAndGet);
    }

    private boolean offer(ConsumerQueue q, String name, String via) {
        return q.offer(() -> ran.add(name), via, true, why -> dropped.add(name + ": " + why), false);
    }

    private List<String> droppedNames() {
        return dropped.stream().map(d -> d.substring(0, d.indexOf(':'))).toList();
    }

    @Test
    void shouldRunInOrderOneAtATimeAndInlineOnlyWhenIdle() {
        ConsumerQueue q = queue(100, SlowConsumerPolicy.DROP_NEWEST);
        assertThat(q.offer(() -> ran.add("inline"), "h2", true, null, true)).isTrue();
        assertThat(ran).containsExactly("inline");
        assertThat(executor.tasks).isEmpty();
        for (int i = 0; i < 5; i++) {
            assertThat(offer(q, "m" + i, null)).isTrue();
        }
        assertThat(q.offer(() -> ran.add("late inline"), "h2", true, null, true)).isTrue();
        // One run is scheduled for the whole backlog, and an inline offer behind it waits its turn.
        assertThat(executor.tasks).hasSize(1);
        assertThat(ran).containsExactly("inline");
        executor.runAll();
        assertThat(ran).containsExactly("inline", "m0", "m1", "m2", "m3", "m4", "late inline");
        assertThat(q.size()).isZero();
    }

    @Test
    void shouldGiveTheThreadBackAfterABoundedRunAndSurviveAFailingTask() {
        ConsumerQueue q = queue(1000, SlowConsumerPolicy.DROP_NEWEST);
        q.offer(() -> {
            throw new IllegalStateException("listener bug");
        }, null, true, null, false);
        for (int i = 0; i < 299; i++) {
            offer(q, "m" + i, null);
        }
        executor.runOne();
        assertThat(ran).hasSize(255);
        assertThat(executor.tasks).hasSize(1);
        executor.runAll();
        assertThat(ran).hasSize(299);
    }

    @Test
    void shouldDropTheNewestWhenFull() {
        ConsumerQueue q = queue(4, SlowConsumerPolicy.DROP_NEWEST);
        for (int i = 1; i <= 6; i++) {
            assertThat(offer(q, "m" + i, i % 2 == 0 ? "h2" : null)).isEqualTo(i <= 4);
        }
        assertThat(droppedNames()).containsExactly("m5", "m6");
        assertThat(dropped.get(0)).contains("peer p is a slow consumer", "capacity 4", "DROP_NEWEST");
        executor.runAll();
        assertThat(ran).containsExactly("m1", "m2", "m3", "m4");
        assertThat(host.dropped.sum()).isEqualTo(2);
        assertThat(host.refused.sum()).isZero();
        assertThat(links.calls).isEmpty();
    }

    @Test
    void shouldDropTheOldestDroppableWhenFull() {
        ConsumerQueue q = queue(4, SlowConsumerPolicy.DROP_OLDEST);
        offer(q, "m1", null);
        assertThat(q.offer(() -> ran.add("kept"), "h2", false, why -> dropped.add("kept: " + why), false))
                .isTrue();
        for (int i = 3; i <= 7; i++) {
            assertThat(offer(q, "m" + i, "h2")).isTrue();
        }
        // The protected entry stays however old it is; the droppable ones go oldest first.
        assertThat(droppedNames()).containsExactly("m1", "m3", "m4");
        executor.runAll();
        assertThat(ran).containsExactly("kept", "m5", "m6", "m7");
        assertThat(host.dropped.sum()).isEqualTo(3);
    }

    @Test
    void shouldNeverDropAProtectedEntryButSayItWasNotTaken() {
        ConsumerQueue q = queue(2, SlowConsumerPolicy.DROP_OLDEST);
        assertThat(q.offer(() -> ran.add("a"), null, false, why -> dropped.add("a: " + why), false)).isTrue();
        assertThat(q.offer(() -> ran.add("b"), null, false, why -> dropped.add("b: " + why), false)).isTrue();
        // Nothing droppable is queued: a protected arrival is refused quietly, a droppable one is dropped.
        assertThat(q.offer(() -> ran.add("c"), "h2", false, why -> dropped.add("c: " + why), false)).isFalse();
        assertThat(offer(q, "d", "h2")).isFalse();
        assertThat(droppedNames()).containsExactly("d");
        assertThat(host.dropped.sum()).isEqualTo(1);

        ConsumerQueue newest = queue(1, SlowConsumerPolicy.DROP_NEWEST);
        offer(newest, "x", null);
        assertThat(newest.offer(() -> ran.add("y"), null, false, why -> dropped.add("y: " + why), false))
                .isFalse();
        ConsumerQueue local = queue(1, SlowConsumerPolicy.BACK_PRESSURE);
        offer(local, "x", null);
        assertThat(local.offer(() -> ran.add("z"), null, false, why -> dropped.add("z: " + why), false))
                .isFalse();
        assertThat(droppedNames()).containsExactly("d");
        assertThat(host.dropped.sum()).isEqualTo(1);
        assertThat(host.refused.sum()).isZero();
        executor.runAll();
        assertThat(ran).containsExactly("a", "b", "x", "x");
    }

    @Test
    void shouldCutTheConsumerOffWhenFullUnderFail() {
        ConsumerQueue q = queue(3, SlowConsumerPolicy.FAIL);
        offer(q, "m1", null);
        assertThat(q.offer(() -> ran.add("m2"), "h2", false, why -> dropped.add("m2: " + why), false)).isTrue();
        offer(q, "m3", "h2");
        assertThat(offer(q, "m4", "h2")).isFalse();
        assertThat(cutOffs.get()).isEqualTo(1);
        assertThat(q.isCutOff()).isTrue();
        // Every queued entry is discarded, a protected one too (its owner hears of it), then the arrival.
        assertThat(droppedNames()).containsExactly("m1", "m2", "m3", "m4");
        assertThat(dropped.get(3)).contains("cut off");
        assertThat(offer(q, "m5", null)).isFalse();
        assertThat(q.offer(() -> ran.add("m6"), "h2", false, why -> dropped.add("m6: " + why), false)).isFalse();
        assertThat(droppedNames()).containsExactly("m1", "m2", "m3", "m4", "m5");
        executor.runAll();
        assertThat(ran).isEmpty();
        assertThat(cutOffs.get()).isEqualTo(1);
        assertThat(host.failed.sum()).isEqualTo(1);
        assertThat(host.dropped.sum()).isEqualTo(5);
    }

    @Test
    void shouldTakeWhatLinksBringAndPauseThemUntilHalfDrainedUnderBackPressure() {
        ConsumerQueue q = queue(4, SlowConsumerPolicy.BACK_PRESSURE);
        ConsumerQueue other = queue(4, SlowConsumerPolicy.BACK_PRESSURE);
        for (int i = 1; i <= 6; i++) {
            assertThat(offer(q, "m" + i, i <= 5 ? "h2" : "h3")).isTrue();
        }
        // Full at m4: h2's link is paused once; m5 was in flight and is taken; so is h3's m6, which pauses h3.
        assertThat(links.calls).containsExactly("pause h2", "pause h3");
        assertThat(q.size()).isEqualTo(6);
        assertThat(offer(q, "local", null)).isFalse();
        assertThat(droppedNames()).containsExactly("local");
        assertThat(dropped.get(0)).contains("refused", "BACK_PRESSURE");
        assertThat(host.refused.sum()).isEqualTo(1);
        assertThat(host.dropped.sum()).isZero();
        assertThat(host.pauses.sum()).isEqualTo(2);

        // A second queue holding h2 too: h2 resumes only when both have let go.
        for (int i = 0; i < 4; i++) {
            offer(other, "o" + i, "h2");
        }
        assertThat(host.held()).isEqualTo(2);
        executor.runOne();
        assertThat(links.calls).containsExactly("pause h2", "pause h3", "resume h3");
        executor.runAll();
        assertThat(links.calls).containsExactly("pause h2", "pause h3", "resume h3", "resume h2");
        assertThat(host.held()).isZero();
        assertThat(host.pauses.sum()).isEqualTo(2);
        assertThat(ran).containsExactly("m1", "m2", "m3", "m4", "m5", "m6", "o0", "o1", "o2", "o3");
    }

    @Test
    void shouldDropTheNewestForBackPressureWhereLinksCannotBePaused() {
        SlowConsumers onBackplane = new SlowConsumers(() -> "h", new Links(false));
        ConsumerQueue q = queue(2, SlowConsumerPolicy.BACK_PRESSURE, onBackplane);
        assertThat(offer(q, "m1", "h2")).isTrue();
        assertThat(offer(q, "m2", "h2")).isTrue();
        assertThat(offer(q, "m3", "h2")).isFalse();
        assertThat(offer(q, "m4", null)).isFalse();
        assertThat(droppedNames()).containsExactly("m3", "m4");
        assertThat(dropped.get(0)).contains("backplane");
        assertThat(onBackplane.dropped.sum()).isEqualTo(1);
        assertThat(onBackplane.refused.sum()).isEqualTo(1);
        assertThat(onBackplane.pauses.sum()).isZero();
        executor.runAll();
        assertThat(ran).containsExactly("m1", "m2");
    }

    @Test
    void shouldValidateItsOptions() {
        assertThatThrownBy(() -> ConsumerOptions.of(0, SlowConsumerPolicy.FAIL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("capacity");
        assertThatThrownBy(() -> ConsumerOptions.of(1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("policy");
        assertThatThrownBy(() -> Host.builder().peerQueue(-1, SlowConsumerPolicy.DROP_OLDEST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("capacity");
        assertThat(Host.builder().options().peerQueue())
                .isEqualTo(ConsumerOptions.of(65_536, SlowConsumerPolicy.BACK_PRESSURE));
    }
}
