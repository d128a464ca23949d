package io.meshbus.node;

import io.meshbus.internal.SerialExecutor;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The remote nodes this node knows, by id: created when a link to a new id is decided on, removed when forgotten
 * (given up, not kept, or the node closes). A forgotten {@link Remote} is marked {@code gone}, so whoever still holds
 * it (a link, a send racing with the removal) can tell and look again.
 *
 * <p>Threads: any. The map is concurrent; a remote's own state is guarded by its monitor.
 */
final class Remotes {
    /** How many forgotten remotes' receive counts are remembered, the least recently forgotten dropped first. */
    static final int FORGOTTEN_MAX = 4096;

    /** What a forgotten remote's incarnation had sent here, and what this node had taken for it. */
    record Forgotten(long incarnation, long received, long sent) {
    }

    private final ConcurrentHashMap<String, Remote> byId = new ConcurrentHashMap<>();
    /**
     * A remote that dials again after being forgotten may count its TALLY from the earlier meeting: what it had sent
     * then is kept here (bounded), so that its count still measures losses instead of being taken as a base.
     */
    private final Map<String, Forgotten> forgotten = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Forgotten> eldest) {
            return size() > FORGOTTEN_MAX;
        }
    };
    private final NodeOptions options;
    /** Shared by every remote's send queue. */
    final MemoryBudget budget;

    Remotes(NodeOptions options) {
        this.options = options;
        this.budget = new MemoryBudget(options.memoryBudget());
    }

    /** The remote with that id, or null when none is known. */
    Remote find(String id) {
        return byId.get(id);
    }

    /**
     * The remote with that id, created when unknown. It may be one that is being forgotten right now: callers check
     * {@code gone} under its monitor and ask again.
     */
    Remote obtain(String id) {
        return byId.computeIfAbsent(id, k -> new Remote(k, options.sendQueueCapacity(), options.maxQueuedBytes(), budget,
                new SerialExecutor(options.executor())));
    }

    /**
     * Runs {@code change} under the monitor of the live remote with that id, created when unknown: one that is being
     * forgotten meanwhile is replaced by a new one, so a decision is never made on a remote that is gone.
     */
    void underLive(String id, Consumer<Remote> change) {
        for (;;) {
            Remote r = obtain(id);
            synchronized (r) {
                if (!r.gone) {
                    change.accept(r);
                    return;
                }
            }
        }
    }

    /** Forgets a remote: no link will be made for it again, nor a reconnect tried. The caller holds its monitor. */
    void forget(Remote r) {
        assert Thread.holdsLock(r);
        r.gone = true;
        byId.remove(r.id, r);
        if (r.incarnation != 0) {
            synchronized (forgotten) {
                forgotten.remove(r.id);
                forgotten.put(r.id, new Forgotten(r.incarnation, r.received.get(), r.queue.taken()));
            }
        }
        if (r.reconnectTask != null) {
            r.reconnectTask.cancel(false);
        }
    }

    /** What the remote's forgotten incarnation had sent here, removed from memory, or null. */
    Forgotten recall(String id) {
        synchronized (forgotten) {
            return forgotten.remove(id);
        }
    }

    Collection<Remote> all() {
        return byId.values();
    }

    /** The ids of remotes with an active link, sorted. */
    Set<String> linked() {
        Set<String> ids = new TreeSet<>();
        byId.forEach((k, r) -> {
            if (r.active != null) {
                ids.add(k);
            }
        });
        return Collections.unmodifiableSet(ids);
    }
}
