package io.meshbus.bus;

import io.meshbus.error.MeshbusException;
import io.meshbus.message.Message;
import io.meshbus.node.Registration;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A peer: an id on a host, addressable from any host of the network. Small on purpose (a host may hold millions):
 * its delivery queue is made on first delivery, bounded as {@link #queue()} says.
 */
public final class Peer {
    private static final PeerListener[] NONE = new PeerListener[0];

    private final String id;
    private final Host host;
    private final ConsumerOptions queue;
    private final long createdAt;
    private volatile PeerListener[] listeners = NONE;
    private volatile ConsumerQueue inbox;
    /** Made on first use: most peers are never watched for removal. Guarded by this. */
    private List<Consumer<MeshbusException>> removal;
    private boolean gone; // guarded by this
    private volatile MeshbusException removedBy;

    Peer(String id, Host host, ConsumerOptions queue, long createdAt) {
        this.id = id;
        this.host = host;
        this.queue = queue;
        this.createdAt = createdAt;
    }

    public String id() {
        return id;
    }

    public Host host() {
        return host;
    }

    /** When this peer was created (its host's wall clock, ms): its claim's age when two hosts hold one id. */
    public long createdAt() {
        return createdAt;
    }

    /**
     * Runs {@code listener} once, on the host's executor, when this peer is removed from its host: with null after
     * {@link #remove()}, or with a {@code PeerIdTakenException} when the network gave its id to a peer on another
     * host (two parts of a network that each had the id met; see {@link PeerIdResolver}). Messages it was still
     * waiting for (confirmations, replies) then fail with that exception too. Added after the removal, it runs at once.
     */
    public Registration onRemoved(Consumer<MeshbusException> listener) {
        Objects.requireNonNull(listener, "listener");
        boolean now;
        synchronized (this) {
            now = gone;
            if (!now) {
                if (removal == null) {
                    removal = new ArrayList<>(1);
                }
                removal.add(listener);
            }
        }
        if (now) {
            host.executor().execute(() -> listener.accept(removedBy));
        }
        return () -> {
            synchronized (Peer.this) {
                if (removal != null) {
                    removal.remove(listener);
                }
            }
        };
    }

    /** Whether this peer was removed from its host. */
    public synchronized boolean isRemoved() {
        return gone;
    }

    void removed(MeshbusException why) {
        List<Consumer<MeshbusException>> toRun;
        synchronized (this) {
            if (gone) {
                return;
            }
            gone = true;
            removedBy = why;
            toRun = removal;
            removal = null;
        }
        if (toRun != null) {
            for (Consumer<MeshbusException> l : toRun) {
                host.executor().execute(() -> l.accept(why));
            }
        }
    }

    /**
     * This peer's queue: how many messages may wait for its listeners and what happens when it is full (the host's
     * {@link HostOptions#peerQueue()} unless the peer was created with its own).
     */
    public ConsumerOptions queue() {
        return queue;
    }

    /** Adds a listener of this peer's messages; the registration removes it. */
    public Registration onMessage(PeerListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (this) {
            PeerListener[] l = Arrays.copyOf(listeners, listeners.length + 1);
            l[l.length - 1] = listener;
            listeners = l;
        }
        return () -> {
            synchronized (Peer.this) {
                PeerListener[] l = listeners;
                for (int i = 0; i < l.length; i++) {
                    if (l[i] == listener) {
                        PeerListener[] n = new PeerListener[l.length - 1];
                        System.arraycopy(l, 0, n, 0, i);
                        System.arraycopy(l, i + 1, n, i, l.length - i - 1);
                        listeners = n;
                        return;
                    }
                }
            }
        };
    }

    /**
     * Sends and completes once the message was handed to the target peer's listeners on its host; fails with
     * {@link io.meshbus.error.PeerNotFoundException}, {@link io.meshbus.error.PeerUnreachableException},
     * {@link io.meshbus.error.RequestTimeoutException} (after the host's request timeout),
     * {@link io.meshbus.error.BackPressureException} (the target's queue dropped or refused it: see
     * {@link SlowConsumerPolicy}) or {@link io.meshbus.error.ClosedException}. A {@link Message} payload is sent as it
     * is (its headers kept), anything else is encoded by the standard codec rule.
     */
    public CompletableFuture<Void> send(String to, Object payload) {
        return host.outbound().send(id, to, payload, host.options().requestTimeout());
    }

    /** {@link #send(String, Object)} with its own timeout. */
    public CompletableFuture<Void> send(String to, Object payload, Duration timeout) {
        return host.outbound().send(id, to, payload, timeout);
    }

    /**
     * At least once, de-duplicated: the host keeps the message until the target's host acknowledges it, sends it again
     * after a broken link comes back (and after a silence), and the target's host drops what it already took, so while
     * both hosts live the message arrives once and in order with this peer's other at-least-once messages. The future
     * completes once the message was handed to the target peer's listeners, or fails typed: see GUARANTEES.md.
     */
    public CompletableFuture<Void> sendAtLeastOnce(String to, Object payload) {
        return host.outbound().sendAtLeastOnce(id, to, payload, host.options().requestTimeout());
    }

    /** {@link #sendAtLeastOnce(String, Object)} with its own timeout (which ends the wait, not the delivery). */
    public CompletableFuture<Void> sendAtLeastOnce(String to, Object payload, Duration timeout) {
        return host.outbound().sendAtLeastOnce(id, to, payload, timeout);
    }

    /**
     * Fire and forget: no confirmation, no future; the fastest way. The status says whether the message was taken:
     * {@link SendStatus#QUEUED} while the target's location is being looked up (the message follows the lookup, and is
     * dropped and counted in the host's {@code dropped} metric if the peer does not exist) or when the target is
     * local; {@link SendStatus#BACK_PRESSURED} when the target is local and its full queue did not take the message
     * (see {@link SlowConsumerPolicy}). Losses on a failing link or at a slow consumer are possible and counted.
     */
    public SendStatus sendAndForget(String to, Object payload) {
        return host.outbound().sendAndForget(id, to, payload);
    }

    /** Sends a request and completes with the reply (see {@link #reply}), or fails typed, or times out. */
    public CompletableFuture<Message> request(String to, Object payload, Duration timeout) {
        return host.outbound().request(id, to, payload, timeout);
    }

    /** Answers a request received by this peer. */
    public CompletableFuture<Void> reply(Message request, Object payload) {
        return host.outbound().reply(id, request, payload);
    }

    /** Subscribes this peer to a subject pattern; see {@link Host#subscribe(String, PeerListener)}. */
    public CompletableFuture<Subscription> subscribe(String pattern, PeerListener listener) {
        return host.subscribe(this, pattern, null, listener, host.options().peerQueue());
    }

    /** Subscribes this peer in a queue group; see {@link Host#subscribe(String, String, PeerListener)}. */
    public CompletableFuture<Subscription> subscribe(String pattern, String queueGroup, PeerListener listener) {
        return host.subscribe(this, pattern, Objects.requireNonNull(queueGroup, "queueGroup"), listener,
                host.options().peerQueue());
    }

    /**
     * Subscribes this peer, in a queue group or not (null), with a queue of its own; see
     * {@link Host#subscribe(String, String, PeerListener, ConsumerOptions)}.
     */
    public CompletableFuture<Subscription> subscribe(String pattern, String queueGroup, PeerListener listener,
                                                     ConsumerOptions queue) {
        return host.subscribe(this, pattern, queueGroup, listener, Objects.requireNonNull(queue, "queue"));
    }

    /** Publishes on a subject with this peer as the sender (at most once, to the hosts with a matching interest). */
    public void publish(String subject, Object payload) {
        host.channels().publish(id, subject, payload, false);
    }

    /**
     * Publishes as {@link #publish} does, and completes once every host with a matching interest took the message.
     * Where a host's send queue is full the message waits for room instead of being refused, so a publisher that
     * waits on each future (or keeps a bounded number in flight) is held back as far as the slowest subscriber host,
     * and none of its publishes is refused at steady state. A host that goes away meanwhile is left out (counted in
     * the host's {@code publishesRefused}); the future does not fail for it. Still at most once: nothing is
     * acknowledged by the subscribers.
     */
    public CompletableFuture<Void> publishAsync(String subject, Object payload) {
        return host.channels().publishAsync(id, subject, payload);
    }

    /** Sends to every other peer on every host (at most once). */
    public void broadcast(Object payload) {
        host.broadcast(id, this, payload);
    }

    /** Sends to every peer whose id matches the pattern ({@code sensors.*}, {@code sensors.>}) on every host. */
    public void sendToPattern(String pattern, Object payload) {
        host.sendToPattern(id, pattern, payload);
    }

    /** Removes this peer from its host (and from the network's directory). */
    public void remove() {
        host.remove(this);
    }

    PeerListener[] listeners() {
        return listeners;
    }

    ConsumerQueue inbox() {
        ConsumerQueue s = inbox;
        if (s == null) {
            synchronized (this) {
                s = inbox;
                if (s == null) {
                    s = host.queues().create(queue, "peer " + id, () -> host.remove(this));
                    inbox = s;
                }
            }
        }
        return s;
    }

    @Override
    public String toString() {
        return "Peer{" + id + "@" + host.id() + "}";
    }
}
