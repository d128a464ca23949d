package io.meshbus.js;

import io.meshbus.bus.Peer;
import io.meshbus.bus.Subscription;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.message.Message;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A browser peer's subscriptions: at most {@code max} distinct patterns, each subscribed once on the host however
 * often the browser asks, answered when the host has it in place. An unsubscribe that overtakes its subscription
 * wins: the subscription is undone as soon as it settles.
 *
 * <p>Threads: {@link #subscribe} and {@link #unsubscribe} run on the connection's serial queue, which owns
 * {@link #patterns}; settled subscriptions come back to that queue before they are kept.
 */
final class BrowserSubscriptions {
    /** What the subscriptions need from their connection. */
    interface Owner {
        /** Answers the browser's frame {@code n}: ok, or the failure. */
        void answer(long n, Throwable failure);

        /** A publish for the browser, through its subscription to {@code pattern}. */
        void publish(String pattern, String from, Message m);

        /** The browser asked for more than {@code max} patterns: the connection ends. */
        void limitReached(int max);

        boolean closed();

        void later(Runnable task);
    }

    private final Owner owner;
    private final int max;
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    /** Patterns asked for, including those whose subscription is still settling. */
    private final Set<String> patterns = new HashSet<>(); // guarded by the serial queue

    BrowserSubscriptions(Owner owner, int max) {
        this.owner = owner;
        this.max = max;
    }

    void subscribe(Peer p, String pattern, long n) {
        if (patterns.contains(pattern)) {
            owner.answer(n, null);
            return;
        }
        if (patterns.size() >= max) {
            owner.limitReached(max);
            return;
        }
        CompletableFuture<Subscription> f;
        try {
            f = p.subscribe(pattern, (from, m) -> owner.publish(pattern, from, m));
        } catch (IllegalArgumentException e) {
            owner.answer(n, new ProtocolViolationException(e.getMessage()));
            return;
        }
        patterns.add(pattern);
        f.whenComplete((s, e) -> {
            if (e != null) {
                owner.later(() -> patterns.remove(pattern));
                owner.answer(n, e);
                return;
            }
            // Back on the connection's queue: an unsubscribe may have come meanwhile.
            owner.later(() -> {
                if (owner.closed() || !patterns.contains(pattern) || subscriptions.putIfAbsent(pattern, s) != null) {
                    s.unsubscribe();
                }
                owner.answer(n, null);
            });
        });
    }

    void unsubscribe(String pattern) {
        patterns.remove(pattern);
        Subscription s = subscriptions.remove(pattern);
        if (s != null) {
            s.unsubscribe();
        }
    }

    /** The connection is gone: every subscription is undone. */
    void closeAll() {
        for (Subscription s : subscriptions.values()) {
            s.unsubscribe();
        }
        subscriptions.clear();
    }
}
