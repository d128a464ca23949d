package io.meshbus.bus.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshbus.bus.protocol.FakeClock;
import io.meshbus.error.ClosedException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PendingOpsTest {
    private final FakeClock clock = new FakeClock();
    /** Completions posted to the executor wait here until the test runs them: none may run on the sweeping thread. */
    private final ArrayDeque<Runnable> posted = new ArrayDeque<>();
    private final Executor executor = posted::add;
    private final PendingOps ops = new PendingOps(clock, executor);

    private void runPosted() {
        for (Runnable r; (r = posted.poll()) != null; ) {
            r.run();
        }
    }

    @Test
    void shouldTimeOutOnlyWhatIsPastItsDeadlineAndOnTheExecutor() {
        CompletableFuture<Object> soon = new CompletableFuture<>();
        CompletableFuture<Object> later = new CompletableFuture<>();
        ops.register(Pending.Kind.REQUEST, soon, "h2", "alice", Duration.ofMillis(100));
        long s2 = ops.register(Pending.Kind.SEND, later, "h2", "bob", Duration.ofSeconds(5));

        clock.advance(101, TimeUnit.MILLISECONDS);
        ops.sweep(clock.nanoTime());
        assertThat(soon).isNotDone();
        runPosted();
        assertThatThrownBy(soon::join).hasCauseInstanceOf(RequestTimeoutException.class)
                .hasMessageContaining("no reply from peer alice");
        assertThat(later).isNotDone();
        assertThat(ops.size()).isEqualTo(1);

        assertThat(ops.complete(s2, "ok")).isTrue();
        assertThat(later).isCompletedWithValue("ok");
    }

    @Test
    void shouldCompleteEachOperationExactlyOnce() {
        CompletableFuture<Object> f = new CompletableFuture<>();
        long s = ops.register(Pending.Kind.LOOKUP, f, "h3", "carol", Duration.ofMillis(10));
        assertThat(ops.complete(s, "h9")).isTrue();
        clock.advance(1, TimeUnit.SECONDS);
        ops.sweep(clock.nanoTime());
        ops.fail(s, new IllegalStateException("late"));
        ops.linkLost("h3", "link reset");
        runPosted();
        assertThat(ops.complete(s, "other")).isFalse();
        assertThat(f).isCompletedWithValue("h9");
        assertThat(ops.size()).isZero();
    }

    @Test
    void shouldFailWhatWentToALostHostTypedAndKeepTheRest() {
        CompletableFuture<Object> toLost = new CompletableFuture<>();
        CompletableFuture<Object> toOther = new CompletableFuture<>();
        ops.register(Pending.Kind.SEND, toLost, "gone", "dave", Duration.ofSeconds(5));
        ops.register(Pending.Kind.SEND, toOther, "fine", "erin", Duration.ofSeconds(5));
        ops.removed("gone", "it left");
        runPosted();
        assertThatThrownBy(toLost::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(PeerUnreachableException.class).hasMessageContaining("dave")
                .hasMessageContaining("it left");
        assertThat(toOther).isNotDone();
    }

    @Test
    void shouldFailWhatIsFiledAfterClose() {
        CompletableFuture<Object> before = new CompletableFuture<>();
        ops.register(Pending.Kind.CALL, before, "h2", null, Duration.ofSeconds(5));
        ops.close("h1");
        CompletableFuture<Object> after = new CompletableFuture<>();
        ops.register(Pending.Kind.CALL, after, "h2", null, Duration.ofSeconds(5));
        runPosted();
        assertThatThrownBy(before::join).hasCauseInstanceOf(ClosedException.class);
        assertThatThrownBy(after::join).hasCauseInstanceOf(ClosedException.class);
        assertThat(ops.size()).isZero();
    }
}
