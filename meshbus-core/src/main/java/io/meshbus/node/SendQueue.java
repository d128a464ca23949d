package io.meshbus.node;

import java.util.concurrent.CompletableFuture;

/**
 * The bounded queue of messages waiting for a remote node's link: a ring of items (messages, or pre-encoded frames
 * shared by a multi-dispatch) with a parallel ring of optional futures, so a fire-and-forget send allocates nothing
 * here. Producers are any threads, the consumer is the one drainer the remote allows at a time; a plain monitor is
 * enough because the drainer takes a whole batch per acquisition.
 */
final class SendQueue {
    /** Result of {@link #offer}. */
    static final int OK_WAS_EMPTY = 0;
    static final int OK = 1;
    static final int FULL = 2;
    static final int DROPPED_OLDEST = 3;

    private final Object[] items;
    private final CompletableFuture<?>[] futures;
    private final int mask;
    private final int capacity;
    private int head;
    private int size;
    /** Set by {@link #offer} when the oldest entry was evicted; read by the caller under the same call. */
    private Object evictedItem;
    private CompletableFuture<?> evictedFuture;

    SendQueue(int capacity) {
        int pow2 = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
        this.items = new Object[pow2];
        this.futures = new CompletableFuture<?>[pow2];
        this.mask = pow2 - 1;
        this.capacity = capacity;
    }

    /**
     * Adds an item. With {@code dropOldest} a full queue evicts its oldest entry, which the caller then collects with
     * {@link #takeEvicted} (inside the same synchronized block the caller holds on this queue).
     */
    synchronized int offer(Object item, CompletableFuture<?> future, boolean dropOldest) {
        int result = size == 0 ? OK_WAS_EMPTY : OK;
        if (size == capacity) {
            if (!dropOldest) {
                return FULL;
            }
            evictedItem = items[head];
            evictedFuture = futures[head];
            items[head] = null;
            futures[head] = null;
            head = (head + 1) & mask;
            size--;
            result = DROPPED_OLDEST;
        }
        int tail = (head + size) & mask;
        items[tail] = item;
        futures[tail] = future;
        size++;
        return result;
    }

    /** The entry evicted by the last {@link #offer} that returned {@link #DROPPED_OLDEST}: {item, future}. */
    synchronized Object[] takeEvicted() {
        Object[] e = {evictedItem, evictedFuture};
        evictedItem = null;
        evictedFuture = null;
        return e;
    }

    /** Moves up to {@code max} entries into the arrays; returns how many. */
    synchronized int drain(Object[] outItems, CompletableFuture<?>[] outFutures, int max) {
        int n = Math.min(max, size);
        for (int i = 0; i < n; i++) {
            int at = (head + i) & mask;
            outItems[i] = items[at];
            outFutures[i] = futures[at];
            items[at] = null;
            futures[at] = null;
        }
        head = (head + n) & mask;
        size -= n;
        return n;
    }

    synchronized int size() {
        return size;
    }
}
