package io.meshbus.node;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One bound on the bytes a process may hold queued for others: every send queue of a node reserves from it, and the
 * layers above (a host's at-least-once buffers, the gateways' outbound queues) reserve from the same one, so no
 * pattern of traffic (many slow or vanished receivers, each within its own per-queue bound) can add up to the heap.
 * A reservation that does not fit is refused; the caller applies its back-pressure policy (see GUARANTEES.md).
 *
 * <p>Threads: any; lock-free.
 */
public final class MemoryBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final LongAdder refusals = new LongAdder();

    public MemoryBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("memory budget: at least 1 byte, was " + limit);
        }
        this.limit = limit;
    }

    /** A quarter of the maximum heap, at least 16 MiB and at most 1 GiB. */
    public static long defaultLimit() {
        long quarter = Runtime.getRuntime().maxMemory() / 4;
        return Math.max(16L << 20, Math.min(1L << 30, quarter));
    }

    /** Takes {@code bytes} if they fit; false (counted) when they would pass the limit. */
    public boolean tryReserve(long bytes) {
        for (;;) {
            long u = used.get();
            if (u + bytes > limit) {
                refusals.increment();
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    /** Takes {@code bytes} whatever the limit: for the few bytes of control frames that must go. */
    public void force(long bytes) {
        used.addAndGet(bytes);
    }

    public void release(long bytes) {
        used.addAndGet(-bytes);
    }

    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }

    /** Reservations refused so far. */
    public long refusals() {
        return refusals.sum();
    }
}
