package io.meshbus.bench.soak;

import io.meshbus.bench.Waits;
import io.meshbus.bench.soak.SoakScenario.Mode;
import io.meshbus.bus.Peer;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One sender, one receiver, one mode: the sender's counters and the receiver's {@link SequenceTracker}. A message
 * carries the flow's index (1 byte), its sequence number (8) and its send time (8, nanoTime: one JVM, one clock),
 * so the receiver classifies it without any per-message state on the sender's side.
 *
 * <p>Threads: {@link #send} runs on the soak's sender thread only; futures complete on the hosts' threads, which
 * touch only the window, the failure counts and the tracker (all thread-safe).
 */
final class Flow {
    /** Flow index (1 byte), sequence number (8), send time (8); {@code --size} pads the rest. */
    static final int HEADER = 17;

    final int index;
    final Mode mode;
    final Peer from;
    final String to;
    final String subject;
    final SequenceTracker tracker = new SequenceTracker(SoakScenario.TRACKED, SoakScenario.MAX_UNVERIFIED);
    /** Futures not yet ended, at most {@link SoakScenario#WINDOW}. */
    final Semaphore window = new Semaphore(SoakScenario.WINDOW);
    final AtomicLong sent = new AtomicLong();
    final AtomicLong windowFull = new AtomicLong();
    final Map<String, LongAdder> failed = new ConcurrentHashMap<>();
    /** The sender thread's alone. */
    private long next;

    Flow(int index, Mode mode, Peer from, String to, String subject) {
        this.index = index;
        this.mode = mode;
        this.from = from;
        this.to = to;
        this.subject = subject;
    }

    /** Sends the flow's next message of {@code size} bytes, unless its window of futures is full. */
    void send(int size) {
        if (mode.hasFuture() && !window.tryAcquire()) {
            windowFull.incrementAndGet();
            return;
        }
        long seq = next++;
        byte[] payload = new byte[size];
        ByteBuffer.wrap(payload).put((byte) index).putLong(seq).putLong(System.nanoTime());
        Message m = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload);
        try {
            switch (mode) {
                case FIRE_AND_FORGET -> {
                    SendStatus s = from.sendAndForget(to, m);
                    if (s.accepted()) {
                        sent.incrementAndGet();
                    } else {
                        fail(s.name());
                    }
                }
                case PUBLISH -> {
                    // Nothing says whether it was taken: the hosts' publishesRefused and drops tell.
                    from.publish(subject, m);
                    sent.incrementAndGet();
                }
                case CONFIRMED -> {
                    sent.incrementAndGet();
                    ended(from.send(to, m, SoakScenario.SEND_TIMEOUT), seq);
                }
                case AT_LEAST_ONCE -> {
                    sent.incrementAndGet();
                    ended(from.sendAtLeastOnce(to, m, SoakScenario.SEND_TIMEOUT), seq);
                }
                default -> throw new IllegalStateException("unknown mode " + mode);
            }
        } catch (RuntimeException e) {
            // A send that throws instead of failing its future is a failure too, named by its type.
            fail(e.getClass().getSimpleName());
            if (mode.hasFuture()) {
                window.release();
            }
        }
    }

    private void ended(CompletableFuture<Void> f, long seq) {
        f.whenComplete((v, e) -> {
            if (e == null) {
                if (mode == Mode.CONFIRMED) {
                    tracker.confirmed(seq);
                }
            } else {
                fail(Waits.unwrap(e).getClass().getSimpleName());
            }
            window.release();
        });
    }

    private void fail(String type) {
        failed.computeIfAbsent(type, k -> new LongAdder()).increment();
    }

    /** Whether the receiver has all it must have: what it still lacks at the drain's end is lost. */
    boolean complete() {
        return switch (mode) {
            case CONFIRMED -> tracker.unverified() == 0;
            case AT_LEAST_ONCE -> tracker.delivered() >= sent.get() - failed("BackPressureException");
            default -> tracker.delivered() >= sent.get();
        };
    }

    long failed(String type) {
        LongAdder n = failed.get(type);
        return n == null ? 0 : n.sum();
    }
}
