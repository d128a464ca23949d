package io.meshbus.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.meshbus.bus.BackplaneFrames;
import io.meshbus.bus.BrokerBackplane;
import io.meshbus.node.SendStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p>The rooms: this class connects, subscribes, beats and closes; {@link RedisNames} makes every name,
 * {@link RedisPublisher} writes the publishes, {@link RedisDirectory} keeps the directory.
 *
 * <p>Threads: records arrive on Lettuce's I/O threads and are only decoded and handed to the host's lanes there;
 * connecting and heartbeats run on the backplane's own thread; sends come from any thread.
 */
public final class RedisBackplane extends BrokerBackplane {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBackplane.class);

    private final Options options;
    private final RedisNames names;
    private final Names<byte[]> channels;
    /** Redis glob -> the subject patterns it stands for. */
    private final ConcurrentHashMap<String, Set<String>> patterns = new ConcurrentHashMap<>();
    private volatile RedisClient client;
    private volatile RedisPublisher publisher;
    /** Heartbeats and the directory: never queued behind a burst of publishes, so liveness holds under load. */
    private volatile StatefulRedisConnection<byte[], byte[]> ctl;
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> sub;
    private volatile RedisDirectory directory;
    private volatile boolean reachable = true;
    private volatile boolean registered;

    private RedisBackplane(Options options) {
        super(options.maxFrameSize, options.livenessTimeout);
        this.options = options;
        this.names = new RedisNames(options.namespace);
        this.channels = new Names<>(names::channel, 10_000);
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
        return start(hostId, incarnation, events, options.uri, options.heartbeat, Duration.ZERO, () -> {
            connect();
            heartbeat();
        }, this::heartbeatQuietly);
    }

    private void connect() {
        RedisURI uri = RedisURI.create(options.uri);
        uri.setTimeout(options.commandTimeout);
        // Above our own in-flight bound, so ours trips first and a publish is never taken then dropped.
        RedisClient c = RedisClients.create(null, uri, options.maxInFlight + 4096);
        client = c;
        publisher = new RedisPublisher(c.connect(ByteArrayCodec.INSTANCE), options.maxInFlight,
                thread("meshbus-redis-flush-" + hostId), published);
        ctl = c.connect(ByteArrayCodec.INSTANCE);
        directory = new RedisDirectory(names, ctl, hostId, incarnation, liveness::incarnation, malformed);
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
        s.sync().subscribe(names.inbox(hostId), names.hostsChannel());
        ctl.sync().publish(names.hostsChannel(),
                RedisNames.bytes(BackplaneFrames.liveness(hostId, incarnation, true)));
    }

    /** Runs on a Lettuce I/O thread: decode and hand over, nothing more. */
    private void onRecord(byte[] channel, byte[] message) {
        String subject = names.subjectOf(channel);
        if (subject != null) {
            fromChannel(subject, null, message);
        } else if (names.isHostsChannel(channel)) {
            fromLiveness(new String(message, StandardCharsets.UTF_8));
        } else {
            fromInbox(message);
        }
    }

    @Override
    public boolean nativeChannels() {
        return true;
    }

    @Override
    public boolean nativeDirectory() {
        return true;
    }

    /**
     * A pattern without wildcards is an exact SUBSCRIBE to its channel; one with wildcards a PSUBSCRIBE whose literal
     * parts are glob-escaped. A glob's {@code *} also crosses dots, so it may match more than the pattern: the host
     * checks every subject against its subscriptions before delivering.
     */
    @Override
    public CompletableFuture<Void> subscribe(String pattern) {
        String glob = names.glob(pattern);
        if (glob == null) {
            return sub.async().subscribe(names.channel(pattern)).toCompletableFuture().thenApply(v -> null);
        }
        patterns.computeIfAbsent(glob, g -> ConcurrentHashMap.newKeySet()).add(pattern);
        return sub.async().psubscribe(RedisNames.bytes(glob)).toCompletableFuture().thenApply(v -> null);
    }

    @Override
    public void unsubscribe(String pattern) {
        String glob = names.glob(pattern);
        if (glob == null) {
            sub.async().unsubscribe(names.channel(pattern));
        } else {
            Set<String> left = patterns.computeIfPresent(glob, (g, s) -> {
                s.remove(pattern);
                return s.isEmpty() ? null : s;
            });
            if (left == null) {
                sub.async().punsubscribe(RedisNames.bytes(glob));
            }
        }
    }

    @Override
    public void register(String peerId) {
        directory.register(peerId);
    }

    @Override
    public void unregister(String peerId) {
        directory.unregister(peerId);
    }

    @Override
    public CompletableFuture<String> lookup(String peerId) {
        return directory.lookup(peerId);
    }

    @Override
    protected SendStatus toChannel(String subject, byte[] record) {
        return publish(channels.of(subject), record);
    }

    @Override
    protected SendStatus toInbox(String to, byte[] record) {
        return publish(names.inbox(to), record);
    }

    private SendStatus publish(byte[] channel, byte[] record) {
        RedisPublisher p = publisher;
        if (closed) {
            return SendStatus.CLOSED;
        }
        return p == null ? SendStatus.NOT_CONNECTED : p.publish(channel, record);
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
        byte[] before = r.setGet(names.hostKey(hostId), RedisNames.bytes(Long.toString(incarnation)),
                SetArgs.Builder.px(options.livenessTimeout.toMillis()));
        if (before == null && registered) {
            // Our key vanished without our goodbye: Redis restarted empty (or we were away past the timeout).
            events.onBrokerReset();
        }
        registered = true;
        List<byte[]> keys = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<byte[]> page = r.scan(cursor, ScanArgs.Builder.matches(names.hostKeys()).limit(500));
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        for (KeyValue<byte[], byte[]> kv : keys.isEmpty() ? List.<KeyValue<byte[], byte[]>>of()
                : r.mget(keys.toArray(new byte[0][]))) {
            if (kv.hasValue()) {
                try {
                    liveness.seen(names.hostOfKey(kv.getKey()),
                            Long.parseLong(new String(kv.getValue(), StandardCharsets.UTF_8)));
                } catch (NumberFormatException e) {
                    malformed.increment();
                }
            }
        }
        liveness.sweep();
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
            RedisPublisher p = publisher;
            StatefulRedisConnection<byte[], byte[]> c2 = ctl;
            try {
                if (p != null) {
                    p.close(); // what the host said last (its goodbyes) goes out first
                }
                if (c2 != null && c2.isOpen() && hostId != null) {
                    c2.sync().del(names.hostKey(hostId));
                    c2.sync().publish(names.hostsChannel(),
                            RedisNames.bytes(BackplaneFrames.liveness(hostId, incarnation, false)));
                }
            } catch (RuntimeException e) {
                LOG.debug("redis backplane {}: goodbye not delivered: {}", hostId, e.toString());
            }
            RedisClient c = client;
            if (c != null) {
                c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        });
    }

    /** Counters: published, publishFailures, directoryFailures, malformed, rejected (too large), inFlight. */
    @Override
    public Map<String, Long> metrics() {
        Map<String, Long> m = super.metrics();
        RedisPublisher p = publisher;
        RedisDirectory d = directory;
        m.put("publishFailures", p == null ? 0 : p.failures());
        m.put("directoryFailures", d == null ? 0 : d.failures());
        m.put("inFlight", p == null ? 0L : p.inFlight());
        return m;
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
        private final RedisClients.Plain client = new RedisClients.Plain();

        Builder() {
        }

        /**
         * {@code redis://[user:password@]host:port[/db]}, or {@code rediss://} for TLS (default local Redis); or
         * {@code redis-sentinel://host:port[,host:port...]#MASTER} to ask Sentinels for the primary named MASTER:
         * after a failover the host reconnects to the primary the Sentinels name then.
         */
        public Builder uri(String uri) {
            String scheme = Objects.requireNonNull(uri, "uri").contains("://") ? uri.substring(0, uri.indexOf("://"))
                    : "";
            if (!List.of("redis", "rediss", "redis-sentinel", "rediss-sentinel").contains(scheme)) {
                throw new IllegalArgumentException("uri: redis://, rediss:// or redis-sentinel://, was " + uri);
            }
            this.uri = uri;
            return this;
        }

        /** How long a Redis command may take (default 5 s). */
        public Builder commandTimeout(Duration timeout) {
            client.commandTimeout(timeout);
            return this;
        }

        /** Publishes not yet confirmed by Redis; past it sends answer BACK_PRESSURED (default 65,536). */
        public Builder maxInFlight(int publishes) {
            client.maxInFlight(publishes);
            return this;
        }

        public RedisBackplane build() {
            check();
            if (client.maxInFlight() < 1) {
                throw new IllegalArgumentException("maxInFlight: at least 1");
            }
            return new RedisBackplane(new Options(uri, namespace, heartbeat, livenessTimeout, client.commandTimeout(),
                    client.maxInFlight(), maxFrameSize));
        }
    }
}
