package io.meshbus.bench.backplane;

import io.meshbus.bench.Contender;
import io.meshbus.bench.Contender.Received;
import io.meshbus.bench.TwoJvmContender;
import io.meshbus.bench.Waits;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Both ends of a stream through a broker, in this JVM, with at most {@link #WINDOW} messages sent and not yet
 * received. The window matters: neither broker slows a publisher down for a slow subscriber (Redis disconnects it
 * past its pub/sub output buffer limit, NATS drops it as a slow consumer, a host's backplane lane drops past 65,536),
 * so a run without one would measure how fast messages are lost. What the contender counts as refused or dropped
 * ({@link #lostSoFar}) will never arrive and frees the window; after a burst with a loss the sender pauses, so a
 * congested client is not turned into a stream of losses.
 *
 * <p>A contender gives how to send one message, what it lost, and how it closes; its receiving end counts with
 * {@link #hit}. Threads: the sender methods run on one thread at a time; {@link #hit} on the client's receiving
 * thread(s).
 */
final class LocalStream implements Contender.Stream, Contender.StreamSender {
    /** One send of the client. */
    @FunctionalInterface
    interface Offer {
        /** Offers one message; false when the client pushed back and took nothing. */
        boolean offer() throws IOException;
    }

    /** Messages sent and not yet received, at most; {@code -Dmeshbus.bench.backplane.window} changes it. */
    static final int WINDOW = Integer.getInteger("meshbus.bench.backplane.window", 16_384);

    /** How long one probe message may take before the next is sent, while the subscription settles. */
    private static final Duration PROBE = Duration.ofMillis(200);
    /** Sends between two looks at the losses: looking each time would cost more than sending. */
    private static final int BURST = 256;
    /** How often a full window asks the contender for messages that will never arrive. */
    private static final long LOST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long the sender pauses after a burst in which the contender lost messages. */
    private static final long LOSS_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    private final int size;
    private final Offer offer;
    /** Messages the contender counted as refused or dropped so far, cumulative. */
    private final LongSupplier lostSoFar;
    private final TwoJvmContender.Closer closer;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    /** What arrived and was lost before the measuring began (the probes), taken off every count. */
    private long receivedBase;
    private long malformedBase;
    private long lostBase;
    // The sending thread's alone:
    private long sent;
    private long lost;
    private long lostPolled;
    private int sinceLook;

    LocalStream(int size, Offer offer, LongSupplier lostSoFar, TwoJvmContender.Closer closer) {
        this.size = size;
        this.offer = offer;
        this.lostSoFar = lostSoFar;
        this.closer = closer;
    }

    /** The receiving end got one message of {@code length} bytes. */
    final void hit(int length) {
        (length == size ? received : malformed).incrementAndGet();
    }

    @Override
    public final Contender.StreamSender sender() {
        return this;
    }

    @Override
    public final boolean trySend() throws IOException {
        long now = System.nanoTime();
        long arrived = received.get() - receivedBase + malformed.get() - malformedBase;
        if (WINDOW - (sent - lost - arrived) <= 0) {
            // Refused or dropped messages never arrive: without this a loss would hold the window for good.
            if (now - lostPolled > LOST_POLL_NANOS) {
                lost = lost();
                lostPolled = now;
            }
            return false;
        }
        if (!offer.offer()) {
            return false;
        }
        sent++;
        if (++sinceLook >= BURST) {
            sinceLook = 0;
            long l = lost();
            if (l > lost) {
                lost = l;
                lostPolled = now;
                LockSupport.parkNanos(LOSS_PAUSE_NANOS);
            }
        }
        return true;
    }

    @Override
    public void flush() {
        // Both clients write on their own threads; the drain waits for what they took.
    }

    @Override
    public final Received received() {
        return new Received(received.get() - receivedBase, malformed.get() - malformedBase);
    }

    @Override
    public final long lost() {
        return lostSoFar.getAsLong() - lostBase;
    }

    /**
     * Sends single messages until one arrives: a subscription confirmed by the broker may still take a moment to
     * route, and what is lost before it does must not count against the measuring. Then waits until the other
     * probes arrived, or stopped arriving, and takes all that off the counts.
     */
    final void prime(String contender) throws Exception {
        long deadline = System.nanoTime() + Waits.LIFECYCLE.toNanos();
        long probes = 0;
        while (total() == 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException(contender + ": none of " + probes + " probe messages arrived in "
                        + Waits.LIFECYCLE.toSeconds() + " s");
            }
            if (offer.offer()) {
                probes++;
            }
            Waits.waitFor(() -> total() > 0, PROBE);
        }
        long seen = -1;
        while (total() < probes && total() != seen) {
            seen = total();
            Thread.sleep(PROBE.toMillis());
        }
        receivedBase = received.get();
        malformedBase = malformed.get();
        lostBase = lostSoFar.getAsLong();
    }

    private long total() {
        return received.get() + malformed.get();
    }

    @Override
    public void close() throws IOException {
        closer.close();
    }
}
