package io.meshbus.bus;

import io.meshbus.internal.SerialExecutor;
import java.util.concurrent.CompletableFuture;

/**
 * A live subscription to a subject pattern, optionally in a queue group. Its listener runs one message at a time on
 * the host's executor and receives the publisher's id (a peer id, or a host id for host-level publishes).
 */
public final class Subscription {
    private final Channels channels;
    private final String pattern;
    private final String group;
    private final String owner;
    final PeerListener listener;
    private volatile SerialExecutor inbox;
    private volatile boolean closed;

    Subscription(Channels channels, String pattern, String group, String owner, PeerListener listener) {
        this.channels = channels;
        this.pattern = pattern;
        this.group = group;
        this.owner = owner;
        this.listener = listener;
    }

    public String subject() {
        return pattern;
    }

    /** The queue group, or null: each message of a group goes to one member of it in the whole network. */
    public String queueGroup() {
        return group;
    }

    /** The peer that subscribed, or null for a host-level subscription. */
    public String owner() {
        return owner;
    }

    /** Stops delivery here at once; other hosts learn it with the next message on each link. Idempotent. */
    public CompletableFuture<Void> unsubscribe() {
        if (!closed) {
            closed = true;
            channels.unsubscribe(this);
        }
        return CompletableFuture.completedFuture(null);
    }

    boolean isClosed() {
        return closed;
    }

    SerialExecutor inbox(java.util.concurrent.Executor executor) {
        SerialExecutor s = inbox;
        if (s == null) {
            synchronized (this) {
                s = inbox;
                if (s == null) {
                    s = new SerialExecutor(executor);
                    inbox = s;
                }
            }
        }
        return s;
    }

    @Override
    public String toString() {
        return "Subscription{" + pattern + (group == null ? "" : " group " + group) + "}";
    }
}
