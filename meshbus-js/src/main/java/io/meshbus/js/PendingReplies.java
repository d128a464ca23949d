package io.meshbus.js;

import io.meshbus.message.Message;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests a browser peer was handed and has not answered yet, each under the number the browser answers with.
 * Bounded: when full, those past their deadline (the sender has given up on them) are dropped first, and if it is
 * still full the new request is refused, so the host fails it at once for its sender.
 *
 * <p>Threads: any thread (requests arrive on the host's executor, replies on the connection's serial queue); the map
 * is concurrent.
 */
final class PendingReplies {
    private record Pending(Message request, long deadline) {
    }

    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong numbers = new AtomicLong();
    private final int max;
    private final long timeoutNanos;

    /** @param timeout how long a sender waits for a reply (the host's request timeout) */
    PendingReplies(int max, Duration timeout) {
        this.max = max;
        this.timeoutNanos = timeout.toNanos();
    }

    /** Keeps a request arriving at {@code now} (nanoseconds); its number, or -1 when full. */
    long add(Message request, long now) {
        if (pending.size() >= max) {
            expire(now);
            if (pending.size() >= max) {
                return -1;
            }
        }
        long r = numbers.incrementAndGet();
        pending.put(r, new Pending(request, now + timeoutNanos));
        return r;
    }

    /** The request the browser's reply {@code r} answers, or null (unknown, answered or expired). */
    Message take(long r) {
        Pending p = pending.remove(r);
        return p == null ? null : p.request();
    }

    int size() {
        return pending.size();
    }

    void clear() {
        pending.clear();
    }

    private void expire(long now) {
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            if (it.next().deadline() - now < 0) {
                it.remove();
            }
        }
    }
}
