package io.meshbus.bus;

import java.util.concurrent.CompletableFuture;

/**
 * A live subscription to a subject pattern, optionally in a queue group. Its listener runs one message at a time on
 * the host's executor and receives the publisher's id (a peer id, or a host id for host-level publishes). Messages
 * wait for it in a bounded queue: see {@link #queue()}.
 */
public final class Subscription {
    private final Channels channels;
    private final String pattern;
    private final String group;
    private final String owner;
    final PeerListener listener;
    private final ConsumerOptions queue;
    private volatile ConsumerQueue inbox;
    private volatile boolean closed;

    Subscription(Channels channels, String pattern, String group, String owner, PeerListener listener,
                 ConsumerOptions queue) {
        this.channels = channels;
        this.pattern = pattern;
        this.group = group;
        this.owner = owner;
        this.listener = listener;
        this.queue = queue;
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

    /** This subscription's queue: its bound and its policy when full (the host's default unless given its own). */
    public ConsumerOptions queue() {
        return queue;
    }

    /** False once unsubscribed, or cut off as a slow consumer ({@link SlowConsumerPolicy#FAIL}). */
    public boolean isActive() {
        return !closed;
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

    ConsumerQueue inbox() {
        ConsumerQueue s = inbox;
        if (s == null) {
            synchronized (this) {
                s = inbox;
                if (s == null) {
                    s = channels.queues.create(queue, "subscription " + pattern
                            + (group == null ? "" : " (group " + group + ")") + (owner == null ? "" : " of " + owner),
                            this::unsubscribe);
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
