package io.meshbus.node;

import io.meshbus.internal.SerialExecutor;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a node knows about one remote node id: its active link (at most one), keep flags, the bounded queue of messages
 * waiting for it, reconnect state, and the serial executor that delivers its messages and events in order.
 * Link decisions are made under this object's monitor; they are rare and short (no I/O waits inside).
 */
final class Remote {
    static final int DRAIN_BATCH = 256;

    final String id;
    final SendQueue queue;
    final SerialExecutor inbound;
    /** Drainer state: one drainer at a time (see {@link Node#signalDrain}). */
    final AtomicInteger wip = new AtomicInteger();
    final Object[] drainItems = new Object[DRAIN_BATCH];
    final java.util.concurrent.CompletableFuture<?>[] drainFutures = new CompletableFuture<?>[DRAIN_BATCH];
    /** Encoded header strings, used only by the single drainer. */
    final io.meshbus.wire.StringCache strings = new io.meshbus.wire.StringCache();

    volatile NodeLink active;
    /**
     * Set by {@link Node#pauseInbound}: the active link, and any link that replaces it, reads nothing until
     * {@link Node#resumeInbound}. Volatile: paired with {@link #active} so a link activated while it is set reads it.
     */
    volatile boolean inboundPaused;
    /**
     * Data messages read from this remote's current incarnation, on any link; compared with its TALLY frames. Links
     * may overlap during a replacement, hence atomic.
     */
    final java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
    // guarded by this
    long incarnation;
    URI address;
    boolean keptLocal;
    boolean keptRemote;
    boolean everConnected;
    long downSince;
    Future<?> reconnectTask;
    boolean gone;
    final List<Runnable> onActive = new ArrayList<>();

    Remote(String id, int queueCapacity, long maxQueuedBytes, MemoryBudget budget, SerialExecutor inbound) {
        this.id = id;
        this.queue = new SendQueue(queueCapacity, maxQueuedBytes, budget);
        this.inbound = inbound;
    }

    @Override
    public String toString() {
        return "Remote{" + id + "}";
    }
}
