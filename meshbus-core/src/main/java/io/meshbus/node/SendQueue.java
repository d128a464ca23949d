package io.meshbus.node;

import java.util.concurrent.CompletableFuture;

/**
 * The bounded queue of messages waiting for a remote node's link: a ring of items (messages, or pre-encoded frames
 * shared by a multi-dispatch: a byte array when small, a buffer when large) with a parallel ring of optional futures, so a fire-and-forget send allocates nothing
 * here. Producers are any threads, the consumer is the one drainer the remote allows at a time; a plain monitor is
 * enough because the drainer takes a whole batch per acquisition.
 */
final class SendQueue {
    /** Result of {@link #offer}. */
    static final int OK_WAS_EMPTY = 0;
    static final int OK = 1;
    static final int FULL = 2;
    static final int DROPPED_OLDEST = 3;

    private Object[] items;
    private CompletableFuture<?>[] futures;
    private int mask;
    private final int capacity;
    private int head;
    private int size;

    /** Starts small and doubles up to {@code capacity}: a node may know thousands of remotes, most of them quiet. */
    SendQueue(int capacity) {
        this.capacity = capacity;
        int initial = Math.min(16, Integer.highestOneBit(Math.max(2, capacity - 1)) << 1);
        this.items = new Object[initial];
        this.futures = new CompletableFuture<?>[initial];
        this.mask = initial - 1;
    }

    private void grow() {
        int n = items.length * 2;
        Object[] ni = new Object[n];
        CompletableFuture<?>[] nf = new CompletableFuture<?>[n];
        for (int i = 0; i < size; i++) {
            ni[i] = items[(head + i) & mask];
            nf[i] = futures[(head + i) & mask];
        }
        items = ni;
        futures = nf;
        mask = n - 1;
        head = 0;
    }

    /** Receives the entry a full queue evicts under {@code DROP_OLDEST}; called inside the queue's lock. */
    interface Evictions {
        void evicted(Object item, CompletableFuture<?> future);
    }

    /**
     * Adds an item. With {@code dropOldest} a full queue evicts its oldest entry and hands it to {@code evictions}
     * (still under the lock, so it must be quick); otherwise a full queue refuses the item.
     */
    synchronized int offer(Object item, CompletableFuture<?> future, boolean dropOldest, Evictions evictions) {
        int result = size == 0 ? OK_WAS_EMPTY : OK;
        if (size == capacity) {
            if (!dropOldest) {
                return FULL;
            }
            evictions.evicted(items[head], futures[head]);
            items[head] = null;
            futures[head] = null;
            head = (head + 1) & mask;
            size--;
            result = DROPPED_OLDEST;
        }
        if (size == items.length) {
            grow();
        }
        int tail = (head + size) & mask;
        items[tail] = item;
        futures[tail] = future;
        size++;
        return result;
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
