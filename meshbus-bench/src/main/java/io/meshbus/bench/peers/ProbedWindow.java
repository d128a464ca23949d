package io.meshbus.bench.peers;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * At most {@link #WINDOW} messages sent and not yet counted by the receiver, for a transport that does not push back
 * on a fast sender (the Vert.x event bus, NATS core publishes): without it a run would measure how fast messages
 * queue up or get dropped. The sender learns the receiver's count from a probe over the same transport (a request the
 * receiving end answers with its count, after the messages before it), one every {@link #PROBE_EVERY} messages, and
 * another whenever the window is full.
 *
 * <p>Threads: {@link #hasRoom} and {@link #sent} on the sending thread; probe replies complete on the transport's.
 */
final class ProbedWindow {
    /** As the backplane scenarios' window. */
    static final int WINDOW = 16_384;
    private static final int PROBE_EVERY = 1_024;

    private final Supplier<CompletableFuture<Long>> probe;
    private final AtomicLong counted = new AtomicLong();
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile Throwable failure;
    /** The sending thread's alone. */
    private long sent;

    /** @param probe asks the receiver for its count so far; the future completes with it */
    ProbedWindow(Supplier<CompletableFuture<Long>> probe) {
        this.probe = probe;
    }

    /** Whether another message may be sent now; when not, a probe is on its way. */
    boolean hasRoom() {
        if (sent - counted.get() < WINDOW) {
            return true;
        }
        ask();
        return false;
    }

    /** One more message was sent. */
    void sent() {
        if (++sent % PROBE_EVERY == 0) {
            ask();
        }
    }

    /** The first probe that failed, or null. */
    Throwable failure() {
        return failure;
    }

    private void ask() {
        if (!probing.compareAndSet(false, true)) {
            return;
        }
        probe.get().whenComplete((n, e) -> {
            if (e != null) {
                failure = e;
            } else {
                counted.accumulateAndGet(n, Math::max);
            }
            probing.set(false);
        });
    }
}
