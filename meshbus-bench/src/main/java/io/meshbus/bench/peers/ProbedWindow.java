package io.meshbus.bench.peers;

import io.meshbus.bench.Contender;
import io.meshbus.bench.TwoJvmContender;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The stream sender of a transport that does not push back on a fast sender (the Vert.x event bus, NATS core
 * publishes): at most {@link #WINDOW} messages sent and not yet counted by the receiver, since without a bound a run
 * would measure how fast messages queue up or get dropped. The sender learns the receiver's count from a probe over
 * the same transport (a request the receiving end answers with its count, after the messages before it), one every
 * {@link #PROBE_EVERY} messages, and another whenever the window is full; a full window refuses, and the send loop
 * backs off as for any back-pressure.
 *
 * <p>Threads: {@link #trySend} on the sending thread; probe replies complete on the transport's.
 */
final class ProbedWindow implements Contender.StreamSender {
    /** As the backplane scenarios' window. */
    static final int WINDOW = 16_384;
    private static final int PROBE_EVERY = 1_024;

    private final Supplier<CompletableFuture<Long>> probe;
    private final Runnable send;
    private final TwoJvmContender.Closer closer;
    private final AtomicLong counted = new AtomicLong();
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile Throwable failure;
    /** The sending thread's alone. */
    private long sent;

    /**
     * @param probe asks the receiver for its count so far; the future completes with it
     * @param send  sends one message
     */
    ProbedWindow(Supplier<CompletableFuture<Long>> probe, Runnable send, TwoJvmContender.Closer closer) {
        this.probe = probe;
        this.send = send;
        this.closer = closer;
    }

    @Override
    public void close() throws IOException {
        closer.close();
    }

    @Override
    public void flush() {
        // Both transports write on their own threads; the drain waits for what they took.
    }

    @Override
    public boolean trySend() throws IOException {
        Throwable f = failure;
        if (f != null) {
            throw new IOException("a count probe failed: " + f, f);
        }
        if (sent - counted.get() >= WINDOW) {
            ask();
            return false;
        }
        send.run();
        if (++sent % PROBE_EVERY == 0) {
            ask();
        }
        return true;
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
