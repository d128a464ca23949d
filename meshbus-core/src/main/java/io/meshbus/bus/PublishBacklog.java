package io.meshbus.bus;

import io.meshbus.bus.protocol.HostCarrier;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Publishes waiting for room at hosts whose send queue was full ({@code publishAsync}): one queue per host, sent in
 * publish order once the host's queue has room again, so a publisher's messages reach each host in the order it
 * published them. While a host has a backlog, later publishes to it join the backlog instead of overtaking it.
 *
 * <p>Bound: each waiting publish has a future its publisher holds; a publisher that waits on them (or keeps a bounded
 * number in flight) bounds the backlog. A host that goes away fails nobody: its backlog is dropped and counted.
 *
 * <p>Threads: any; each host's backlog is guarded by its own monitor, and one drain per host runs at a time.
 */
final class PublishBacklog {
    private record Waiting(Message message, CompletableFuture<Void> done) {
    }

    private static final class Backlog {
        final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
        /** A drain waits for room or runs: nobody else starts one. */
        boolean draining;
    }

    private final HostCarrier carrier;
    private final LongAdder refused;
    private final ConcurrentHashMap<String, Backlog> byHost = new ConcurrentHashMap<>();

    PublishBacklog(HostCarrier carrier, LongAdder refused) {
        this.carrier = carrier;
        this.refused = refused;
    }

    /** Whether publishes to the host must wait behind earlier ones. */
    boolean backlogged(String host) {
        Backlog b = byHost.get(host);
        if (b == null) {
            return false;
        }
        synchronized (b) {
            return !b.waiting.isEmpty();
        }
    }

    /** Queues a publish for the host, behind any it already waits for; completes once the host took it. */
    CompletableFuture<Void> add(String host, Message m) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Backlog b = byHost.computeIfAbsent(host, h -> new Backlog());
        boolean start;
        synchronized (b) {
            b.waiting.add(new Waiting(m, done));
            start = !b.draining;
            b.draining = true;
        }
        if (start) {
            awaitRoom(host, b);
        }
        return done;
    }

    private void awaitRoom(String host, Backlog b) {
        carrier.whenWritable(host).whenComplete((room, gone) -> {
            if (gone != null) {
                dropAll(host, b);
            } else {
                drain(host, b);
            }
        });
    }

    private void drain(String host, Backlog b) {
        for (;;) {
            Waiting w;
            synchronized (b) {
                w = b.waiting.peek();
                if (w == null) {
                    b.draining = false;
                    return;
                }
            }
            SendStatus s = carrier.send(host, w.message());
            if (s == SendStatus.BACK_PRESSURED) {
                awaitRoom(host, b);
                return;
            }
            if (!s.accepted()) {
                refused.increment();
            }
            synchronized (b) {
                b.waiting.poll();
            }
            w.done().complete(null);
        }
    }

    private void dropAll(String host, Backlog b) {
        for (;;) {
            Waiting w;
            synchronized (b) {
                w = b.waiting.poll();
                if (w == null) {
                    b.draining = false;
                    byHost.remove(host, b);
                    return;
                }
            }
            refused.increment();
            w.done().complete(null);
        }
    }
}
