package io.meshbus.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.meshbus.bus.BackplaneFrames;
import io.meshbus.bus.BrokerBackplane;
import io.meshbus.bus.Subjects;
import io.meshbus.node.SendStatus;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's backplane over Redis (Lettuce). Every name lives under a namespace (default {@code meshbus}):
 * <ul>
 * <li>{@code NS:inbox:HOST} — the pub/sub channel a host reads its messages from, one {@link BackplaneFrames} record
 *     per message; one publishing connection per host keeps each pair of hosts in order;</li>
 * <li>{@code NS:host:HOST} — a key holding the host's incarnation, refreshed every {@code heartbeat} with an expiry
 *     of {@code livenessTimeout}: a crashed host's key expires and every other host drops it (and its peers)
 *     without anyone's help;</li>
 * <li>{@code NS:ch:SUBJECT} — channels: a publish is one PUBLISH there; a host subscribes each of its patterns once
 *     (exact SUBSCRIBE, or PSUBSCRIBE for wildcards); queue groups are chosen by the hosts and go to inboxes;</li>
 * <li>{@code NS:dir} — the peer directory, a hash from peer id to {@code INCARNATION HOST}; an entry whose host
 *     crashed or restarted is never answered and is removed by the lookup that meets it;</li>
 * <li>{@code NS:hosts} — a channel where hosts announce arrival and departure, so joins and leaves are seen at once
 *     rather than at the next scan.</li>
 * </ul>
 * Redis pub/sub keeps nothing for a subscriber that is disconnected: messages published to a host while its
 * connection is down are lost (a confirmed send then fails by timeout, typed). While Redis itself is unreachable,
 * {@link #send} answers {@link SendStatus#NOT_CONNECTED} at once (commands are rejected, never queued without end);
 * Lettuce reconnects and re-subscribes by itself.
 */
public final class RedisBackplane extends BrokerBackplane {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBackplane.class);

    private final Options options;
    private final ConcurrentHashMap<String, byte[]> inboxNames = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder publishFailures = new LongAdder();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final Runnable flush = this::flushPublishes;
    private final java.util.function.BiConsumer<Long, Throwable> onPublished = (n, e) -> {
        inFlight.decrementAndGet();
        if (e != null) {
            publishFailures.increment();
            LOG.debug("redis backplane publish failed: {}", e.toString());
        } else {
            published.increment();
        }
    };
    private volatile ScheduledExecutorService flusher;
    private final byte[] hostsChannel;
    private final byte[] channelPrefix;
    private final Names<byte[]> channels = new Names<>(s -> bytes(options().namespace + ":ch:" + s), 10_000);
    private final byte[] directoryKey;
    private final LongAdder directoryFailures = new LongAdder();
    private static final String FORGET_IF_STILL = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
            + "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";
    /** Redis glob -> the subject patterns it stands for. */
    private final ConcurrentHashMap<String, Set<String>> patterns = new ConcurrentHashMap<>();
    private volatile RedisClient client;
    private volatile StatefulRedisConnection<byte[], byte[]> pub;
    /** Heartbeats and the directory: never queued behind a burst of publishes, so liveness holds under load. */
    private volatile StatefulRedisConnection<byte[], byte[]> ctl;
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> sub;
    private volatile boolean reachable = true;
    private volatile boolean registered;

    private RedisBackplane(Options options) {
        super(options.maxFrameSize, options.livenessTimeout);
        this.options = options;
        this.hostsChannel = bytes(options.namespace + ":hosts");
        this.channelPrefix = bytes(options.namespace + ":ch:");
        this.directoryKey = bytes(options.namespace + ":dir");
    }

    /** A backplane on the Redis at {@code uri} ({@code redis://[user:password@]host:port[/db]} or rediss://). */
    public static RedisBackplane create(String uri) {
        return builder().uri(uri).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "redis";
    }

    public Options options() {
        return options;
    }

    @Override
    public CompletableFuture<Void> start(String hostId, long incarnation, Events events) {
        flusher = thread("meshbus-redis-flush-" + hostId);
        return start(hostId, incarnation, events, options.uri, options.heartbeat, Duration.ZERO, () -> {
            connect();
            heartbeat();
        }, this::heartbeatQuietly);
    }

    private void connect() {
        RedisURI uri = RedisURI.create(options.uri);
        uri.setTimeout(options.commandTimeout);
        RedisClient c = RedisClient.create(uri);
        c.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                // Above our own in-flight bound, so ours trips first and a publish is never taken then dropped.
                .requestQueueSize(options.maxInFlight + 4096)
                .build());
        client = c;
        pub = c.connect(ByteArrayCodec.INSTANCE);
        // Publishes are written in batches by one flusher (one write for many commands, and replies read sooner)
        // instead of one write and flush per publish.
        pub.setAutoFlushCommands(false);
        ctl = c.connect(ByteArrayCodec.INSTANCE);
        StatefulRedisPubSubConnection<byte[], byte[]> s = c.connectPubSub(ByteArrayCodec.INSTANCE);
        s.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] channel, byte[] message) {
                onRecord(channel, message);
            }

            @Override
            public void message(byte[] glob, byte[] channel, byte[] message) {
                // Several patterns may share a glob (orders.* and orders.>): each gets its copy, the host filters.
                Set<String> all = patterns.get(new String(glob, StandardCharsets.UTF_8));
                if (all != null) {
                    for (String pattern : all) {
                        fromChannel(pattern, null, message);
                    }
                }
            }
        });
        sub = s;
        s.sync().subscribe(inbox(hostId), hostsChannel);
        ctl.sync().publish(hostsChannel,
                bytes(BackplaneFrames.liveness(hostId, incarnation, true)));
    }

    /** Runs on a Lettuce I/O thread: decode and hand over, nothing more. */
    private void onRecord(byte[] channel, byte[] message) {
        if (startsWith(channel, channelPrefix)) {
            fromChannel(new String(channel, channelPrefix.length, channel.length - channelPrefix.length,
                    StandardCharsets.UTF_8), null, message);
        } else if (Arrays.equals(channel, hostsChannel)) {
            fromLiveness(new String(message, StandardCharsets.UTF_8));
        } else {
            fromInbox(message);
        }
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public boolean nativeChannels() {
        return true;
    }

    /**
     * A pattern without wildcards is an exact SUBSCRIBE to its channel; one with wildcards a PSUBSCRIBE whose literal
     * parts are glob-escaped. A glob's {@code *} also crosses dots, so it may match more than the pattern: the host
     * checks every subject against its subscriptions before delivering.
     */
    @Override
    public CompletableFuture<Void> subscribe(String pattern) {
        String glob = glob(pattern);
        if (glob == null) {
            return sub.async().subscribe(bytes(options.namespace + ":ch:" + pattern)).toCompletableFuture()
                    .thenApply(v -> null);
        }
        patterns.computeIfAbsent(glob, g -> ConcurrentHashMap.newKeySet()).add(pattern);
        return sub.async().psubscribe(bytes(glob)).toCompletableFuture().thenApply(v -> null);
    }

    @Override
    public void unsubscribe(String pattern) {
        String glob = glob(pattern);
        if (glob == null) {
            sub.async().unsubscribe(bytes(options.namespace + ":ch:" + pattern));
        } else {
            Set<String> left = patterns.computeIfPresent(glob, (g, s) -> {
                s.remove(pattern);
                return s.isEmpty() ? null : s;
            });
            if (left == null) {
                sub.async().punsubscribe(bytes(glob));
            }
        }
    }

    /** The Redis glob of a pattern, or null when it has no wildcard. */
    private String glob(String pattern) {
        String[] tokens = Subjects.tokens(pattern, true);
        StringBuilder b = new StringBuilder(globEscape(options.namespace + ":ch:"));
        boolean wild = false;
        for (int i = 0; i < tokens.length; i++) {
            if (i > 0) {
                b.append('.');
            }
            if (tokens[i].equals("*") || tokens[i].equals(">")) {
                b.append('*');
                wild = true;
            } else {
                b.append(globEscape(tokens[i]));
            }
        }
        return wild ? b.toString() : null;
    }

    @Override
    public boolean nativeDirectory() {
        return true;
    }

    /** {@code NS:dir} maps a peer id to {@code INCARNATION HOST}; the incarnation marks a restarted host's entries. */
    @Override
    public void register(String peerId) {
        ctl.async().hset(directoryKey, bytes(peerId), bytes(incarnation + " " + hostId))
                .whenComplete((v, e) -> directoryFailure(e, "register", peerId));
    }

    @Override
    public void unregister(String peerId) {
        forgetIfStill(peerId, bytes(incarnation + " " + hostId)).whenComplete((v, e) ->
                directoryFailure(e, "unregister", peerId));
    }

    private void directoryFailure(Throwable e, String what, String peerId) {
        if (e != null) {
            directoryFailures.increment();
            LOG.warn("redis backplane {}: could not {} peer {}: {}", hostId, what, peerId, e.toString());
        }
    }

    /** Removes the entry only if it still says {@code value}: a peer re-created elsewhere since keeps its entry. */
    private CompletableFuture<Long> forgetIfStill(String peerId, byte[] value) {
        return ctl.async().<Long>eval(FORGET_IF_STILL, ScriptOutputType.INTEGER, new byte[][] {directoryKey},
                bytes(peerId), value).toCompletableFuture();
    }

    /**
     * Entries of a live host's current incarnation are answers. An entry of an older incarnation, or of a host whose
     * liveness key has expired (it crashed), is removed on the way: the directory cleans itself as it is read.
     */
    @Override
    public CompletableFuture<String> lookup(String peerId) {
        return ctl.async().hget(directoryKey, bytes(peerId)).toCompletableFuture().thenCompose(v -> {
            if (v == null) {
                return CompletableFuture.completedFuture(null);
            }
            String entry = new String(v, StandardCharsets.UTF_8);
            int sp = entry.indexOf(' ');
            long inc;
            try {
                inc = Long.parseLong(entry, 0, Math.max(sp, 0), 10);
            } catch (NumberFormatException e) {
                malformed.increment();
                return forgetIfStill(peerId, v).thenApply(n -> null);
            }
            String host = entry.substring(sp + 1);
            Long known = host.equals(hostId) ? Long.valueOf(incarnation) : liveness.incarnation(host);
            if (known != null) {
                return known == inc ? CompletableFuture.completedFuture(host)
                        : forgetIfStill(peerId, v).thenApply(n -> null);
            }
            return ctl.async().exists(bytes(options.namespace + ":host:" + host)).toCompletableFuture()
                    .thenCompose(n -> n != null && n > 0 ? CompletableFuture.completedFuture(host)
                            : forgetIfStill(peerId, v).thenApply(x -> null));
        });
    }

    @Override
    protected SendStatus toChannel(String subject, byte[] record) {
        return publishRaw(channels.of(subject), record);
    }

    private void heartbeatQuietly() {
        try {
            heartbeat();
            if (!reachable) {
                reachable = true;
                LOG.info("redis backplane {}: Redis at {} reachable again", hostId, options.uri);
            }
        } catch (RuntimeException e) {
            if (reachable) {
                reachable = false;
                LOG.warn("redis backplane {}: Redis at {} unreachable: {}", hostId, options.uri, e.toString());
            }
            liveness.brokerAway();
        }
    }

    /** Refreshes this host's key, then reads every host's key: new ones are up, expired ones down. */
    private void heartbeat() {
        if (closed) {
            return;
        }
        RedisCommands<byte[], byte[]> r = ctl.sync();
        byte[] before = r.setGet(bytes(options.namespace + ":host:" + hostId), bytes(Long.toString(incarnation)),
                SetArgs.Builder.px(options.livenessTimeout.toMillis()));
        if (before == null && registered) {
            // Our key vanished without our goodbye: Redis restarted empty (or we were away past the timeout).
            events.onBrokerReset();
        }
        registered = true;
        String prefix = options.namespace + ":host:";
        List<byte[]> keys = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<byte[]> page = r.scan(cursor, ScanArgs.Builder.matches(globEscape(prefix) + "*").limit(500));
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        for (KeyValue<byte[], byte[]> kv : keys.isEmpty() ? List.<KeyValue<byte[], byte[]>>of()
                : r.mget(keys.toArray(new byte[0][]))) {
            if (kv.hasValue()) {
                String id = new String(kv.getKey(), StandardCharsets.UTF_8).substring(prefix.length());
                try {
                    liveness.seen(id, Long.parseLong(new String(kv.getValue(), StandardCharsets.UTF_8)));
                } catch (NumberFormatException e) {
                    malformed.increment();
                }
            }
        }
        liveness.sweep();
    }

    @Override
    protected SendStatus toInbox(String to, byte[] record) {
        return publishRaw(inbox(to), record);
    }

    private SendStatus publishRaw(byte[] channel, byte[] record) {
        StatefulRedisConnection<byte[], byte[]> p = pub;
        if (closed) {
            return SendStatus.CLOSED;
        }
        if (p == null || !p.isOpen()) {
            return SendStatus.NOT_CONNECTED;
        }
        if (inFlight.incrementAndGet() > options.maxInFlight) {
            inFlight.decrementAndGet();
            return SendStatus.BACK_PRESSURED;
        }
        p.async().publish(channel, record).whenComplete(onPublished);
        if (flushScheduled.compareAndSet(false, true)) {
            try {
                flusher.execute(flush);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                p.flushCommands(); // closed meanwhile: write it here rather than leave it buffered
            }
        }
        return SendStatus.QUEUED;
    }

    /**
     * Writes every publish buffered so far in one go. Cleared before flushing: a publish buffered after the flush
     * began schedules the next one, so none is left behind.
     */
    private void flushPublishes() {
        flushScheduled.set(false);
        StatefulRedisConnection<byte[], byte[]> p = pub;
        if (p != null) {
            p.flushCommands();
        }
    }

    @Override
    public CompletableFuture<Void> close() {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
        }
        stopTimer();
        return CompletableFuture.runAsync(() -> {
            StatefulRedisConnection<byte[], byte[]> p = pub;
            StatefulRedisConnection<byte[], byte[]> c2 = ctl;
            try {
                if (p != null) {
                    p.flushCommands(); // what the host said last (its goodbyes) goes out first
                }
                if (c2 != null && c2.isOpen() && hostId != null) {
                    c2.sync().del(bytes(options.namespace + ":host:" + hostId));
                    c2.sync().publish(hostsChannel, bytes(BackplaneFrames.liveness(hostId, incarnation, false)));
                }
            } catch (RuntimeException e) {
                LOG.debug("redis backplane {}: goodbye not delivered: {}", hostId, e.toString());
            }
            ScheduledExecutorService f = flusher;
            if (f != null) {
                f.shutdown();
            }
            RedisClient c = client;
            if (c != null) {
                c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        });
    }

    /** Counters: published, publishFailures, malformed, rejected (too large), inFlight. */
    @Override
    public Map<String, Long> metrics() {
        Map<String, Long> m = super.metrics();
        m.put("publishFailures", publishFailures.sum());
        m.put("directoryFailures", directoryFailures.sum());
        m.put("inFlight", (long) inFlight.get());
        return m;
    }

    private byte[] inbox(String host) {
        return inboxNames.computeIfAbsent(host, h -> bytes(options.namespace + ":inbox:" + h));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A glob that matches the text literally: Redis's MATCH treats * ? [ ] and \ as pattern characters. */
    static String globEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "RedisBackplane{" + options.uri + ", namespace " + options.namespace + "}";
    }

    /** Settings; see {@link Builder} for the defaults. */
    public record Options(String uri, String namespace, Duration heartbeat, Duration livenessTimeout,
                          Duration commandTimeout, int maxInFlight, int maxFrameSize) {
    }

    /** Builds a {@link RedisBackplane}. */
    public static final class Builder extends BrokerBackplane.Builder<Builder> {
        private String uri = "redis://127.0.0.1:6379";
        private Duration commandTimeout = Duration.ofSeconds(5);
        private int maxInFlight = 65_536;

        Builder() {
        }

        /** {@code redis://[user:password@]host:port[/db]}, or {@code rediss://} for TLS (default local Redis). */
        public Builder uri(String uri) {
            URI u = URI.create(Objects.requireNonNull(uri, "uri"));
            if (!"redis".equals(u.getScheme()) && !"rediss".equals(u.getScheme())) {
                throw new IllegalArgumentException("uri: redis:// or rediss://, was " + uri);
            }
            this.uri = uri;
            return this;
        }

        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Publishes not yet confirmed by Redis; past it sends answer BACK_PRESSURED (default 65,536). */
        public Builder maxInFlight(int publishes) {
            this.maxInFlight = publishes;
            return this;
        }

        public RedisBackplane build() {
            check();
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight: at least 1");
            }
            return new RedisBackplane(new Options(uri, namespace, heartbeat, livenessTimeout, commandTimeout,
                    maxInFlight, maxFrameSize));
        }
    }
}
