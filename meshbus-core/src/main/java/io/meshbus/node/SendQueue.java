package io.meshbus.node;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The bounded queue of messages waiting for a remote node's link: a ring of items (messages, or pre-encoded frames
 * shared by a multi-dispatch: a byte array when small, a buffer when large) with parallel rings of optional futures
 * and of sizes, so a fire-and-forget send allocates nothing here. Bounded in entries and in bytes; an empty queue
 * takes any one item, so a message that fits in a frame can always be sent. Producers are any threads, the consumer
 * is the one drainer the remote allows at a time; a plain monitor is enough because the drainer takes a whole batch
 * per acquisition.
 */
final class SendQueue {
    /** Result of {@link #offer}. */
    static final int OK_WAS_EMPTY = 0;
    static final int OK = 1;
    static final int FULL = 2;
    static final int DROPPED_OLDEST = 3;
    /** The node's memory budget is full (see {@link MemoryBudget}); nothing was queued. */
    static final int OVER_BUDGET = 4;

    private Object[] items;
    private CompletableFuture<?>[] futures;
    private int[] weights;
    private int mask;
    private final int capacity;
    private final long maxBytes;
    private final MemoryBudget budget;
    private int head;
    private int size;
    private long bytes;
    /** Messages taken since the remote's current incarnation was met (TALLY frames not counted). */
    private long counted;
    private long tallied;
    /** Senders waiting for room ({@link #room}); null while none waits. */
    private List<CompletableFuture<Void>> roomWaiters;
    /** Set by the drain that made room while someone waits: the drainer then hands them {@link #takeRoomWaiters}. */
    volatile boolean roomReady;

    /** Starts small and doubles up to {@code capacity}: a node may know thousands of remotes, most of them quiet. */
    SendQueue(int capacity, long maxBytes, MemoryBudget budget) {
        this.capacity = capacity;
        this.maxBytes = maxBytes;
        this.budget = budget;
        int initial = Math.min(16, Integer.highestOneBit(Math.max(2, capacity - 1)) << 1);
        this.items = new Object[initial];
        this.futures = new CompletableFuture<?>[initial];
        this.weights = new int[initial];
        this.mask = initial - 1;
    }

    private void grow() {
        int n = items.length * 2;
        Object[] ni = new Object[n];
        CompletableFuture<?>[] nf = new CompletableFuture<?>[n];
        int[] nw = new int[n];
        for (int i = 0; i < size; i++) {
            ni[i] = items[(head + i) & mask];
            nf[i] = futures[(head + i) & mask];
            nw[i] = weights[(head + i) & mask];
        }
        items = ni;
        futures = nf;
        weights = nw;
        mask = n - 1;
        head = 0;
    }

    /** Receives the entry a full queue evicts under {@code DROP_OLDEST}; called inside the queue's lock. */
    interface Evictions {
        void evicted(Object item, CompletableFuture<?> future);
    }

    /**
     * Adds an item of {@code weight} bytes. With {@code dropOldest} a full queue evicts its oldest entries until the
     * item fits and hands each to {@code evictions} (still under the lock, so it must be quick); otherwise a full
     * queue refuses the item.
     */
    synchronized int offer(Object item, int weight, CompletableFuture<?> future, boolean dropOldest,
                           Evictions evictions) {
        int result = size == 0 ? OK_WAS_EMPTY : OK;
        if (!fits(weight)) {
            if (!dropOldest) {
                return FULL;
            }
            while (!fits(weight)) {
                evictOldest(evictions);
            }
            result = DROPPED_OLDEST;
        }
        while (!budget.tryReserve(weight)) {
            if (!dropOldest || size == 0) {
                return OVER_BUDGET;
            }
            evictOldest(evictions);
            result = DROPPED_OLDEST;
        }
        if (size == items.length) {
            grow();
        }
        int tail = (head + size) & mask;
        items[tail] = item;
        futures[tail] = future;
        weights[tail] = weight;
        bytes += weight;
        size++;
        counted++;
        return result;
    }

    private void evictOldest(Evictions evictions) {
        if (!(items[head] instanceof io.meshbus.wire.Frame.Tally)) {
            // Never sent, counted as dropped: not a loss in flight too.
            counted--;
        }
        evictions.evicted(items[head], futures[head]);
        bytes -= weights[head];
        budget.release(weights[head]);
        items[head] = null;
        futures[head] = null;
        head = (head + 1) & mask;
        size--;
    }

    /**
     * Queues a TALLY of every message taken so far, unless nothing was taken since the last one and it is not
     * {@code forced} (after a broken link: the last one may have been lost with it); beyond the bounds, which it may
     * exceed by its few bytes. True when it was queued and the queue had been empty (signal a drain).
     */
    synchronized boolean offerTally(boolean forced) {
        if (counted == tallied && !forced) {
            return false;
        }
        tallied = counted;
        if (size == items.length) {
            grow();
        }
        int tail = (head + size) & mask;
        items[tail] = new io.meshbus.wire.Frame.Tally(counted);
        futures[tail] = null;
        weights[tail] = 13;
        bytes += 13;
        budget.force(13);
        size++;
        return size == 1;
    }

    /** A message taken but never written (too large): it must not read as lost on the way. */
    synchronized void uncount() {
        counted--;
    }

    /** Messages taken since the remote's current incarnation was met. */
    synchronized long taken() {
        return counted;
    }

    /** The remote was met again after this node forgot it: the count goes on from what was taken then. */
    synchronized void continueCount(long takenBefore) {
        counted += takenBefore;
        tallied += takenBefore;
    }

    /** The remote restarted: what is still queued goes to its new incarnation, counted from there. */
    synchronized void restartCount() {
        counted = 0;
        for (int i = 0; i < size; i++) {
            if (!(items[(head + i) & mask] instanceof io.meshbus.wire.Frame.Tally)) {
                counted++;
            }
        }
        tallied = -1;
    }

    private boolean fits(int weight) {
        return size == 0 || size < capacity && bytes + weight <= maxBytes;
    }

    /** Moves up to {@code max} entries into the arrays; returns how many. */
    synchronized int drain(Object[] outItems, CompletableFuture<?>[] outFutures, int max) {
        int n = Math.min(max, size);
        long freed = 0;
        for (int i = 0; i < n; i++) {
            int at = (head + i) & mask;
            outItems[i] = items[at];
            outFutures[i] = futures[at];
            freed += weights[at];
            items[at] = null;
            futures[at] = null;
        }
        bytes -= freed;
        budget.release(freed);
        head = (head + n) & mask;
        size -= n;
        if (roomWaiters != null && hasRoom()) {
            roomReady = true;
        }
        return n;
    }

    /** Room, for a sender that was refused: at most half full, in entries and in bytes (a low-water mark). */
    private boolean hasRoom() {
        return size <= capacity / 2 && bytes <= maxBytes / 2;
    }

    /** Completes once the queue has room (at once, when it has); the drainer completes it, via the executor. */
    synchronized CompletableFuture<Void> room() {
        if (hasRoom()) {
            return CompletableFuture.completedFuture(null);
        }
        if (roomWaiters == null) {
            roomWaiters = new ArrayList<>(2);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        roomWaiters.add(f);
        return f;
    }

    /** The senders waiting for room, now that it came (or the queue failed): each is the caller's to complete. */
    synchronized List<CompletableFuture<Void>> takeRoomWaiters() {
        List<CompletableFuture<Void>> w = roomWaiters == null ? List.of() : roomWaiters;
        roomWaiters = null;
        roomReady = false;
        return w;
    }

    synchronized int size() {
        return size;
    }

    synchronized long bytes() {
        return bytes;
    }
}
