package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** The authenticator's call alone: an executor and an event loop the test runs by hand. */
class AuthenticatorCallTest {
    final ArrayDeque<Runnable> executor = new ArrayDeque<>();
    final ArrayDeque<Runnable> loop = new ArrayDeque<>();
    final List<Authenticator.Verdict> verdicts = new ArrayList<>();
    static final Authenticator.Presented PRESENTED = new Authenticator.Presented("b-node", new byte[0], List.of(),
            null, true);

    private AuthenticatorCall call(Authenticator a) {
        return new AuthenticatorCall(a, executor::add, loop::add, "a-node");
    }

    private static void runAll(ArrayDeque<Runnable> q) {
        for (Runnable r; (r = q.poll()) != null; ) {
            r.run();
        }
    }

    @Test
    void shouldRunTheAuthenticatorOnTheExecutorAndTheVerdictOnTheLoop() {
        List<String> thread = new ArrayList<>();
        AuthenticatorCall call = call(p -> {
            thread.add("executor");
            return Authenticator.Verdict.accept("bob");
        });

        call.decide(PRESENTED, verdicts::add);

        assertThat(call.deciding()).isTrue();
        assertThat(thread).isEmpty();
        runAll(executor);
        assertThat(thread).containsExactly("executor");
        assertThat(verdicts).isEmpty();
        assertThat(call.deciding()).isTrue();
        runAll(loop);
        assertThat(call.deciding()).isFalse();
        assertThat(verdicts).singleElement().matches(Authenticator.Verdict::accepted)
                .matches(v -> v.identity().equals("bob"));
    }

    @Test
    void shouldHoldReadsInOrderUntilTheVerdict() {
        AuthenticatorCall call = call(p -> Authenticator.Verdict.accept());
        call.decide(PRESENTED, verdicts::add);
        call.defer("first");
        call.defer("second");

        assertThat(call.readsPaused()).isTrue();
        runAll(executor);
        runAll(loop);
        assertThat(call.takeDeferred()).containsExactly("first", "second");
        assertThat(call.takeDeferred()).isEmpty();
        assertThat(call.resumeReads()).isTrue();
        assertThat(call.readsPaused()).isFalse();
        assertThat(call.resumeReads()).isFalse();
    }

    @Test
    void shouldRefuseWhenTheAuthenticatorThrowsOrGivesNoVerdict() {
        call(p -> {
            throw new IllegalStateException("boom");
        }).decide(PRESENTED, verdicts::add);
        call(p -> null).decide(PRESENTED, verdicts::add);
        runAll(executor);
        runAll(loop);

        assertThat(verdicts).hasSize(2).noneMatch(Authenticator.Verdict::accepted);
        assertThat(verdicts.get(0).reason()).contains("the authenticator failed").contains("boom");
        assertThat(verdicts.get(1).reason()).contains("gave no verdict");
    }

    @Test
    void shouldRefuseAtOnceWhenTheExecutorRefusesTheTask() {
        AuthenticatorCall call = new AuthenticatorCall(p -> Authenticator.Verdict.accept(), task -> {
            throw new RejectedExecutionException("shut down");
        }, loop::add, "a-node");

        call.decide(PRESENTED, verdicts::add);

        assertThat(call.deciding()).isFalse();
        assertThat(verdicts).singleElement().matches(v -> !v.accepted())
                .matches(v -> v.reason().contains("the executor refused the authenticator"));
    }
}
