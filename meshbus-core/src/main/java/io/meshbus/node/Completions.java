package io.meshbus.node;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Completes send futures on the node's executor: whoever finishes a send (an event loop, a drainer, a thread holding
 * a remote's monitor) never runs the caller's callbacks itself.
 *
 * <p>Threads: any; it keeps no state.
 */
final class Completions {
    private final Executor executor;

    Completions(Executor executor) {
        this.executor = executor;
    }

    /** Fails {@code f} later, on the executor; a null future (fire and forget) needs nothing. */
    void fail(CompletableFuture<?> f, Throwable t) {
        if (f != null) {
            executor.execute(() -> f.completeExceptionally(t));
        }
    }

    /** Completes every future of one write later, on the executor: with {@code t} when it failed, else normally. */
    void complete(List<CompletableFuture<?>> futures, Throwable t) {
        executor.execute(() -> {
            for (CompletableFuture<?> f : futures) {
                if (t == null) {
                    f.complete(null);
                } else {
                    f.completeExceptionally(t);
                }
            }
        });
    }
}
