package io.meshbus.redis;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bound on commands sent to Redis and not yet answered (the backplane's publishes, a distro client's, a distro
 * server's answers): past it a caller is refused at once rather than queued without end. Lettuce's own request queue
 * is set above it ({@link RedisClients#create}), so this bound trips first and a command Lettuce took is never
 * dropped.
 *
 * <p>Threads: lock-free; any thread.
 */
final class InFlight {
    private final AtomicInteger count = new AtomicInteger();
    private final int max;

    InFlight(int max) {
        this.max = max;
    }

    /** Takes a slot; false (and nothing taken) when all {@link #max()} are taken. */
    boolean tryAcquire() {
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back a slot taken by {@link #tryAcquire()}, once its command is answered or failed. */
    void release() {
        count.decrementAndGet();
    }

    int size() {
        return count.get();
    }

    int max() {
        return max;
    }
}
