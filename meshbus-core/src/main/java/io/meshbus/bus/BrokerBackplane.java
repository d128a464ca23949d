package io.meshbus.bus;

import io.meshbus.error.BrokerUnavailableException;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every broker backplane does alike: one encoding per message whatever the number of inboxes, the decoding and
 * hand-over of what arrives (malformed records dropped, counted and logged), liveness records, and the counters. A
 * subclass connects (through {@link #start(String, long, Events, String, Duration, Duration, Connect, Runnable)})
 * and moves bytes: {@link #toInbox}, {@link #toChannel} and the calls to {@link #fromInbox},
 * {@link #fromChannel} and {@link #fromLiveness} as records arrive.
 */
public abstract class BrokerBackplane implements Backplane {
    private final Logger log = LoggerFactory.getLogger(getClass());
    private final Duration livenessTimeout;
    protected final int maxFrameSize;
    protected final LongAdder published = new LongAdder();
    protected final LongAdder malformed = new LongAdder();
    protected final LongAdder rejected = new LongAdder();
    protected volatile String hostId;
    protected volatile long incarnation;
    protected volatile Events events;
    protected volatile HostLiveness liveness;
    protected volatile boolean closed;
    private volatile ScheduledExecutorService timer;

    protected BrokerBackplane(int maxFrameSize, Duration livenessTimeout) {
        this.maxFrameSize = maxFrameSize;
        this.livenessTimeout = livenessTimeout;
    }

    /** Connecting to a broker: blocking calls, run on the backplane's own thread. */
    @FunctionalInterface
    protected interface Connect {
        void run() throws Exception;
    }

    /**
     * Takes the host's identity, then on the backplane's own thread (never the caller's, never a broker I/O thread)
     * connects and starts the heartbeat. Completes {@code settle} after connecting (time for the other hosts to
     * answer), or fails with {@link BrokerUnavailableException} and closes.
     */
    protected final CompletableFuture<Void> start(String hostId, long incarnation, Events events, String where,
                                                  Duration heartbeat, Duration settle, Connect connect,
                                                  Runnable beat) {
        this.hostId = java.util.Objects.requireNonNull(hostId, "hostId");
        this.incarnation = incarnation;
        this.events = java.util.Objects.requireNonNull(events, "events");
        this.liveness = new HostLiveness(hostId, livenessTimeout, events);
        ScheduledExecutorService t = thread("meshbus-" + name() + "-" + hostId);
        timer = t;
        CompletableFuture<Void> started = new CompletableFuture<>();
        t.execute(() -> {
            try {
                connect.run();
                long every = heartbeat.toMillis();
                t.scheduleWithFixedDelay(beat, every, every, TimeUnit.MILLISECONDS);
                t.schedule(() -> started.complete(null), settle.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                close();
                started.completeExceptionally(e instanceof BrokerUnavailableException ? e
                        : new BrokerUnavailableException(name() + " at " + where + " unreachable: " + e, e));
            }
        });
        return started;
    }

    /** The backplane's own thread: connecting, heartbeats, and other blocking work. */
    protected final ScheduledExecutorService timer() {
        return timer;
    }

    /** Stops the heartbeat; a subclass's {@link #close} calls it first. */
    protected final void stopTimer() {
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
    }

    /** A single daemon thread, named for thread dumps. */
    protected static ScheduledExecutorService thread(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, name);
            th.setDaemon(true);
            return th;
        });
    }

    /** Hands a record to a live host's inbox. */
    protected abstract SendStatus toInbox(String host, byte[] record);

    /** Publishes a record on a subject's channel (for a backplane with {@link #nativeChannels()}). */
    protected SendStatus toChannel(String subject, byte[] record) {
        throw new UnsupportedOperationException(name() + " has no native channels");
    }

    @Override
    public final SendStatus send(String to, Message message) {
        byte[] record = encode(message);
        return liveness.isAlive(to) ? toInbox(to, record) : closed ? SendStatus.CLOSED : SendStatus.NOT_CONNECTED;
    }

    @Override
    public final int send(Collection<String> to, Message message) {
        if (to.isEmpty()) {
            return 0;
        }
        byte[] record = encode(message);
        int n = 0;
        for (String h : to) {
            if (liveness.isAlive(h) && toInbox(h, record).accepted()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public SendStatus publish(String subject, Message message) {
        return toChannel(subject, encode(message));
    }

    private byte[] encode(Message m) {
        try {
            return BackplaneFrames.encode(hostId, m, maxFrameSize);
        } catch (FrameTooLargeException e) {
            rejected.increment();
            throw e;
        }
    }

    private BackplaneFrames.Envelope decode(byte[] data, String where) {
        try {
            BackplaneFrames.Envelope e = BackplaneFrames.decode(data, maxFrameSize);
            liveness.heard(e.fromHost());
            return e;
        } catch (RuntimeException ex) {
            malformed.increment();
            log.warn("{} backplane {}: malformed record on {} dropped: {}", name(), hostId, where, ex.getMessage());
            return null;
        }
    }

    /** A record that arrived on this host's inbox. */
    protected final void fromInbox(byte[] data) {
        BackplaneFrames.Envelope e = closed ? null : decode(data, "its inbox");
        if (e != null) {
            events.onMessage(e.fromHost(), e.message());
        }
    }

    /** A publish that arrived through this host's subscription to {@code pattern} (in {@code group}, or null). */
    protected final void fromChannel(String pattern, String group, byte[] data) {
        BackplaneFrames.Envelope e = closed ? null : decode(data, pattern);
        if (e == null) {
            return;
        }
        if (group == null) {
            events.onPublish(e.fromHost(), pattern, e.message());
        } else {
            events.onGroupPublish(e.fromHost(), pattern, group, e.message());
        }
    }

    /** A liveness record; true when it announced a host this one did not know alive (a newcomer). */
    protected final boolean fromLiveness(String text) {
        BackplaneFrames.Liveness l = BackplaneFrames.parseLiveness(text);
        if (l == null) {
            malformed.increment();
            log.warn("{} backplane {}: malformed liveness record dropped", name(), hostId);
            return false;
        }
        if (closed || l.hostId().equals(hostId)) {
            return false;
        }
        if (!l.up()) {
            liveness.left(l.hostId());
            return false;
        }
        boolean known = liveness.isAlive(l.hostId());
        liveness.seen(l.hostId(), l.incarnation());
        return !known;
    }

    @Override
    public boolean isAlive(String host) {
        HostLiveness l = liveness;
        return l != null && l.isAlive(host);
    }

    /** Counters: published, malformed, rejected (too large), and the subclass's own. */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new HashMap<>();
        m.put("published", published.sum());
        m.put("malformed", malformed.sum());
        m.put("rejected", rejected.sum());
        return m;
    }

    /**
     * A bounded memo of subject to broker name (a channel, a NATS subject): building the name costs more than the
     * publish itself. Past {@code limit} distinct subjects it starts afresh rather than grow.
     */
    protected static final class Names<T> {
        private final java.util.concurrent.ConcurrentHashMap<String, T> names =
                new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.function.Function<String, T> make;
        private final int limit;

        public Names(java.util.function.Function<String, T> make, int limit) {
            this.make = make;
            this.limit = limit;
        }

        public T of(String subject) {
            T n = names.get(subject);
            if (n == null) {
                n = make.apply(subject);
                if (names.size() >= limit) {
                    names.clear();
                }
                names.put(subject, n);
            }
            return n;
        }
    }

    /** The settings every broker backplane has; a subclass's builder adds its own. */
    public abstract static class Builder<B extends Builder<B>> {
        protected String namespace = "meshbus";
        protected Duration heartbeat = Duration.ofSeconds(1);
        protected Duration livenessTimeout = Duration.ofSeconds(5);
        protected int maxFrameSize = io.meshbus.wire.Protocol.DEFAULT_MAX_FRAME_SIZE;

        protected Builder() {
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /** Prefix of every name on the broker: hosts with different namespaces never see each other. */
        public B namespace(String namespace) {
            if (namespace == null || namespace.isEmpty() || !namespace.equals(namespace.trim())) {
                throw new IllegalArgumentException("namespace: must not be empty or padded, was '" + namespace + "'");
            }
            this.namespace = namespace;
            return self();
        }

        /** How often a host announces itself and reads the others' announcements (default 1 s). */
        public B heartbeat(Duration every) {
            this.heartbeat = java.util.Objects.requireNonNull(every, "every");
            return self();
        }

        /** How long a host may stay silent before the others drop it and its peers (default 5 s). */
        public B livenessTimeout(Duration timeout) {
            this.livenessTimeout = java.util.Objects.requireNonNull(timeout, "timeout");
            return self();
        }

        public B maxFrameSize(int bytes) {
            this.maxFrameSize = bytes;
            return self();
        }

        /** Checks the common settings; a subclass's {@code build()} calls it first. */
        protected void check() {
            if (heartbeat.isNegative() || heartbeat.isZero()
                    || livenessTimeout.compareTo(heartbeat.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("heartbeat must be positive and livenessTimeout at least twice it");
            }
            if (maxFrameSize < io.meshbus.wire.Protocol.MIN_MAX_FRAME_SIZE) {
                throw new IllegalArgumentException("maxFrameSize: at least "
                        + io.meshbus.wire.Protocol.MIN_MAX_FRAME_SIZE);
            }
        }
    }
}
