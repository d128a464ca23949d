package io.meshbus.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.meshbus.bus.Backplane;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.nats.NatsBackplane;
import io.meshbus.node.SendStatus;
import io.meshbus.redis.RedisBackplane;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The bus over a broker ({@code meshbus-redis}, {@code meshbus-nats}) against the broker's own Java client moving the
 * same messages, once per broker. Everything runs in this JVM: the broker is the wire between the publishing and the
 * subscribing end, so a child JVM would add nothing but a second scheduler to the two cores.
 *
 * <p>Each contender sends for {@code --seconds} (after {@code --warmup}, measured the same way and discarded) with at
 * most {@link #WINDOW} messages sent and not yet received, then waits until every message arrived or
 * {@link #DRAIN} passed; the rate is messages received over the time from the first send to the last reception.
 * The window matters: neither broker slows a publisher down for a slow subscriber (Redis disconnects it past its
 * pub/sub output buffer limit, NATS drops as a slow consumer, a host's backplane lane drops past 65,536), so a run
 * without one would measure how fast messages are lost.
 */
final class BackplaneScenarios implements Scenario {
    /** Messages sent and not yet received, at most; {@code -Dmeshbus.bench.backplane.window} changes it. */
    static final int WINDOW = Integer.getInteger("meshbus.bench.backplane.window", 16_384);

    /** The time a contender may take after its last send to receive everything still on the way. */
    private static final Duration DRAIN = Duration.ofSeconds(10);
    private static final Duration LIFECYCLE_TIMEOUT = Duration.ofSeconds(30);
    /** How long one probe message may take before the next is sent, while the subscription settles. */
    private static final Duration PROBE = Duration.ofMillis(200);
    /** Sends between two looks at the window and the losses: looking each time would cost more than sending. */
    private static final int BURST = 256;
    /** How often the sender asks a full window's contender for messages that will never arrive. */
    private static final long LOST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long the sender pauses after a burst in which the contender lost messages. */
    private static final long LOSS_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    private static final String SUBJECT = "bench.data";
    private static final String SOURCE = "bench-source";
    private static final String TARGET = "bench-target";

    /** What the bus does with each message; the baselines publish and subscribe in both cases. */
    enum Workload {
        /** Host A publishes on a subject; a subscription on host B receives. */
        PUBLISH("backplane-publish", "a host publishes on a subject, a subscription on a second host receives"),
        /** A peer on host A sends and forgets to a peer on host B. */
        SEND("backplane-send", "a peer sends and forgets to a peer on a second host");

        final String scenario;
        final String what;

        Workload(String scenario, String what) {
            this.scenario = scenario;
            this.what = what;
        }
    }

    /** A broker, and where to find it. */
    enum Broker {
        REDIS("MESHBUS_REDIS_URI", "redis://127.0.0.1:6379", "lettuce"),
        NATS("MESHBUS_NATS_URI", "nats://127.0.0.1:4222", "jnats");

        final String env;
        final String fallback;
        final String client;

        Broker(String env, String fallback, String client) {
            this.env = env;
            this.fallback = fallback;
            this.client = client;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        String uri() {
            String u = System.getenv(env);
            return u == null || u.isBlank() ? fallback : u.strip();
        }
    }

    private final Workload workload;

    private BackplaneScenarios(Workload workload) {
        this.workload = workload;
    }

    /** The backplane scenarios, in the order {@code --list} shows them. */
    static List<Scenario> all() {
        return List.of(new BackplaneScenarios(Workload.PUBLISH), new BackplaneScenarios(Workload.SEND));
    }

    @Override
    public String name() {
        return workload.scenario;
    }

    @Override
    public String description() {
        return workload.what + ", over Redis and NATS (--backplane), counted on reception; baseline: the plain "
                + "Lettuce / jnats client publishing and subscribing";
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        List<Result> results = new ArrayList<>();
        for (Broker b : Broker.values()) {
            if (!o.backplane().equals("all") && !o.backplane().equals(b.label())) {
                continue;
            }
            Phase base = measure(b.client, () -> plainClient(b, o.size()), o);
            Phase subj = measure(b.label() + " backplane", () -> hosts(b, o.size()), o);
            List<String> warnings = new ArrayList<>(base.warnings(o.size()));
            warnings.addAll(subj.warnings(o.size()));
            results.add(new Result(name(), "throughput", subj.rate(), "msgs/s", base.rate(), warnings, b.label()));
        }
        return results;
    }

    private static Phase measure(String contender, Opener opener, Options o) throws Exception {
        try (Ends ends = opener.open()) {
            prime(contender, ends);
            if (!o.warmup().isZero()) {
                phase(contender, ends, o.warmup());
            }
            Phase p = phase(contender, ends, o.measure());
            System.err.printf("%s: %,d messages sent, %,d received in %.3f s (%,d refused and retried): %,.0f msgs/s%n",
                    contender, p.sent, p.received, p.nanos / 1e9, p.refused, p.rate());
            return p;
        }
    }

    /**
     * Sends single messages until one arrives: a subscription confirmed by the broker may still take a moment to
     * route, and what is lost before it does must not count against the measured phase. Then waits until the other
     * probes arrived, or stopped arriving.
     */
    private static void prime(String contender, Ends ends) throws Exception {
        Counter c = ends.counter();
        long deadline = System.nanoTime() + LIFECYCLE_TIMEOUT.toNanos();
        long sent = 0;
        while (c.total() == 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException(contender + ": none of " + sent + " probe messages arrived in "
                        + LIFECYCLE_TIMEOUT.toSeconds() + " s");
            }
            if (ends.trySend()) {
                sent++;
            }
            long wait = System.nanoTime() + PROBE.toNanos();
            while (c.total() == 0 && System.nanoTime() - wait < 0) {
                Thread.sleep(1);
            }
        }
        long seen = -1;
        while (c.total() < sent && c.total() != seen) {
            seen = c.total();
            Thread.sleep(PROBE.toMillis());
        }
    }

    /** One timed run: send for {@code length}, then wait for what is on the way. */
    private static Phase phase(String contender, Ends ends, Duration length) throws Exception {
        Counter c = ends.counter();
        long received0 = c.received();
        long malformed0 = c.malformed();
        long lost0 = ends.lost();
        long sent = 0;
        long refused = 0;
        long lost = 0;
        long lostPolled = 0;
        int waits = 0;
        long start = System.nanoTime();
        long end = start + length.toNanos();
        for (long now = start; now - end < 0; now = System.nanoTime()) {
            long room = WINDOW - (sent - lost - (c.total() - received0 - malformed0));
            if (room <= 0) {
                // Refused or dropped messages never arrive: without this a loss would hold the window for good.
                if (now - lostPolled > LOST_POLL_NANOS) {
                    lost = ends.lost() - lost0;
                    lostPolled = now;
                }
                backOff(++waits);
                continue;
            }
            waits = 0;
            for (long i = Math.min(room, BURST); i > 0; i--) {
                if (ends.trySend()) {
                    sent++;
                } else {
                    refused++;
                    backOff(++waits);
                    break;
                }
            }
            // A publish refused without a word frees the window at once: without a pause the sender would run
            // ahead of a congested client and turn most of what it sends into losses.
            long l = ends.lost() - lost0;
            if (l > lost) {
                lost = l;
                lostPolled = now;
                LockSupport.parkNanos(LOSS_PAUSE_NANOS);
            }
        }
        long drainEnd = System.nanoTime() + DRAIN.toNanos();
        while (c.total() - received0 - malformed0 + (lost = ends.lost() - lost0) < sent
                && System.nanoTime() - drainEnd < 0) {
            Thread.sleep(1);
        }
        long received = c.received() - received0;
        long last = c.lastNanos();
        return new Phase(contender, sent, refused, received, c.malformed() - malformed0, lost,
                received == 0 ? 0 : last - start);
    }

    /**
     * Spins only briefly: on a small machine the broker and the receiving threads need this core, so a waiting sender
     * soon yields, then sleeps.
     */
    private static void backOff(int waits) {
        if (waits <= 8) {
            Thread.onSpinWait();
        } else if (waits <= 16) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(1_000);
        }
    }

    /** Names unique to one run, so nothing left on a shared broker (or another run at the same time) is seen. */
    private static String namespace() {
        return "mbbench-" + Long.toString(System.currentTimeMillis(), 36) + "-"
                + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    // ------------------------------------------------------------------ baselines

    private static Ends plainClient(Broker b, int size) throws Exception {
        return b == Broker.REDIS ? lettuce(b.uri(), size) : jnats(b.uri(), size);
    }

    /** One Lettuce client: a connection that publishes, a pub/sub connection that subscribes; byte[] codec. */
    private static Ends lettuce(String uri, int size) throws Exception {
        RedisClient client = RedisClient.create(uri);
        try {
            byte[] channel = (namespace() + ":" + SUBJECT).getBytes(StandardCharsets.UTF_8);
            byte[] payload = Contender.payload(size);
            Counter c = new Counter(size);
            StatefulRedisPubSubConnection<byte[], byte[]> sub = client.connectPubSub(ByteArrayCodec.INSTANCE);
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] ch, byte[] message) {
                    c.hit(message.length);
                }
            });
            sub.sync().subscribe(channel);
            StatefulRedisConnection<byte[], byte[]> pub = client.connect(ByteArrayCodec.INSTANCE);
            RedisAsyncCommands<byte[], byte[]> async = pub.async();
            return new Ends() {
                @Override
                public boolean trySend() {
                    async.publish(channel, payload);
                    return true;
                }

                @Override
                public Counter counter() {
                    return c;
                }

                @Override
                public void close() {
                    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                }
            };
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw new IOException("Redis at " + uri + " (MESHBUS_REDIS_URI): " + e, e);
        }
    }

    /** Two jnats connections with default options, one publishing, one subscribed through a dispatcher. */
    private static Ends jnats(String uri, int size) throws Exception {
        io.nats.client.Options.Builder options = new io.nats.client.Options.Builder().server(uri)
                .connectionTimeout(LIFECYCLE_TIMEOUT);
        List<Connection> connections = new ArrayList<>();
        try {
            String subject = namespace() + "." + SUBJECT;
            byte[] payload = Contender.payload(size);
            Counter c = new Counter(size);
            Connection sub = Nats.connect(options.connectionName("bench-subscriber").build());
            connections.add(sub);
            Dispatcher d = sub.createDispatcher(m -> c.hit(m.getData().length));
            d.subscribe(subject);
            // The server has the subscription once it answered a ping sent after it.
            sub.flush(LIFECYCLE_TIMEOUT);
            Connection pub = Nats.connect(options.connectionName("bench-publisher").build());
            connections.add(pub);
            return new Ends() {
                @Override
                public boolean trySend() {
                    pub.publish(subject, payload);
                    return true;
                }

                @Override
                public long lost() {
                    return d.getDroppedCount();
                }

                @Override
                public Counter counter() {
                    return c;
                }

                @Override
                public void close() throws Exception {
                    closeNats(connections);
                }
            };
        } catch (Exception e) {
            closeNats(connections);
            if (e instanceof InterruptedException) {
                throw e;
            }
            throw new IOException("NATS at " + uri + " (MESHBUS_NATS_URI): " + e, e);
        }
    }

    private static void closeNats(List<Connection> connections) throws InterruptedException {
        for (Connection c : connections) {
            c.close();
        }
    }

    // ------------------------------------------------------------------ the bus

    /**
     * Two hosts on the broker with default options, under a namespace of their own: the publisher (host A, and
     * {@link #SOURCE} on it) and the subscriber (host B, with the subscription or {@link #TARGET}).
     */
    private Ends hosts(Broker b, int size) throws Exception {
        String ns = namespace();
        List<Host> hosts = new ArrayList<>();
        List<Supplier<Map<String, Long>>> counters = new ArrayList<>();
        try {
            Host a = start(b, ns, "bench-publisher", hosts, counters);
            Host h = start(b, ns, "bench-subscriber", hosts, counters);
            awaitMembers(a, h.id());
            awaitMembers(h, a.id());
            Counter c = new Counter(size);
            byte[] payload = Contender.payload(size);
            if (workload == Workload.PUBLISH) {
                await(h.subscribe(SUBJECT, (from, m) -> c.hit(m.payloadSize())));
                return new HostEnds(hosts, counters, c) {
                    @Override
                    public boolean trySend() {
                        // At most once and silent: a refusal shows only in the host's publishesRefused, see lost().
                        a.publish(SUBJECT, Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload));
                        return true;
                    }
                };
            }
            h.create(TARGET).onMessage((from, m) -> c.hit(m.payloadSize()));
            Peer source = a.create(SOURCE);
            // The first send to an unknown peer waits for the directory; that is not what is measured.
            await(a.find(TARGET));
            return new HostEnds(hosts, counters, c) {
                @Override
                public boolean trySend() throws IOException {
                    SendStatus s = source.sendAndForget(TARGET, Message.ofBytes(Headers.EMPTY, ContentType.BYTES,
                            payload));
                    if (s.accepted()) {
                        return true;
                    }
                    if (s == SendStatus.BACK_PRESSURED) {
                        return false;
                    }
                    throw new IOException("sendAndForget to " + TARGET + " returned " + s);
                }
            };
        } catch (Exception e) {
            closeHosts(hosts);
            throw e;
        }
    }

    private static Host start(Broker b, String ns, String id, List<Host> started,
                              List<Supplier<Map<String, Long>>> counters) throws Exception {
        Backplane backplane;
        if (b == Broker.REDIS) {
            RedisBackplane r = RedisBackplane.builder().uri(b.uri()).namespace(ns).build();
            counters.add(r::metrics);
            backplane = r;
        } else {
            NatsBackplane n = NatsBackplane.builder().uri(b.uri()).namespace(ns).build();
            counters.add(n::metrics);
            backplane = n;
        }
        Host host = Host.builder().id(id).backplane(backplane).build();
        counters.add(host::metrics);
        started.add(host);
        try {
            return await(host.start());
        } catch (Exception e) {
            throw new IOException(b.label() + " backplane at " + b.uri() + " (" + b.env + "): " + e, e);
        }
    }

    private static void awaitMembers(Host host, String other) throws Exception {
        long deadline = System.nanoTime() + LIFECYCLE_TIMEOUT.toNanos();
        while (!host.members().contains(other)) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("host " + host.id() + " did not see host " + other + " within "
                        + LIFECYCLE_TIMEOUT.toSeconds() + " s; it knows " + host.members());
            }
            Thread.sleep(10);
        }
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(LIFECYCLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static void closeHosts(List<Host> hosts) throws IOException {
        try {
            CompletableFuture.allOf(hosts.stream().map(Host::close).toArray(CompletableFuture[]::new))
                    .get(LIFECYCLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing hosts", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("closing hosts " + hosts + " failed: " + e, e);
        }
    }

    /**
     * The two hosts of a bus contender; what they or their backplanes refused or dropped is what will not arrive (a
     * Redis publish taken and then failed shows only in the backplane's publishFailures).
     */
    private abstract static class HostEnds implements Ends {
        private static final List<String> LOSSES = List.of("publishesRefused", "dropped", "backplaneDropped",
                "publishFailures");

        private final List<Host> hosts;
        private final List<Supplier<Map<String, Long>>> counters;
        private final Counter counter;

        HostEnds(List<Host> hosts, List<Supplier<Map<String, Long>>> counters, Counter counter) {
            this.hosts = hosts;
            this.counters = counters;
            this.counter = counter;
        }

        @Override
        public long lost() {
            long n = 0;
            for (Supplier<Map<String, Long>> s : counters) {
                Map<String, Long> m = s.get();
                for (String k : LOSSES) {
                    n += m.getOrDefault(k, 0L);
                }
            }
            return n;
        }

        @Override
        public Counter counter() {
            return counter;
        }

        @Override
        public void close() throws IOException {
            closeHosts(hosts);
        }
    }

    // ------------------------------------------------------------------ measuring

    /** Both ends of one contender, in this JVM. Sent to by one thread. */
    private interface Ends extends AutoCloseable {
        /** Offers one message; false when the client pushed back and took nothing. */
        boolean trySend() throws IOException;

        /** Messages that will never arrive, as far as the contender counts them (refused, dropped); cumulative. */
        default long lost() {
            return 0;
        }

        /** What the receiving end counted. */
        Counter counter();
    }

    @FunctionalInterface
    private interface Opener {
        Ends open() throws Exception;
    }

    /** The receiving end's count, and when it last moved; written by the client's receiving thread(s). */
    private static final class Counter {
        private final int size;
        private final AtomicLong received = new AtomicLong();
        private final AtomicLong malformed = new AtomicLong();
        private final AtomicLong lastNanos = new AtomicLong();

        Counter(int size) {
            this.size = size;
        }

        /** Stamps the time before counting, so whoever sees the count also sees a time at least as late. */
        void hit(int length) {
            lastNanos.lazySet(System.nanoTime());
            (length == size ? received : malformed).incrementAndGet();
        }

        long received() {
            return received.get();
        }

        long malformed() {
            return malformed.get();
        }

        /** Everything that arrived, well formed or not. */
        long total() {
            return received.get() + malformed.get();
        }

        long lastNanos() {
            return lastNanos.get();
        }
    }

    /**
     * One measured run of one contender.
     *
     * @param sent      messages the client took
     * @param refused   offers the client pushed back (sent again)
     * @param received  well-formed messages received
     * @param malformed messages received with another size
     * @param lost      messages the contender counted as refused or dropped on the way
     * @param nanos     from just before the first send to the last reception
     */
    private record Phase(String contender, long sent, long refused, long received, long malformed, long lost,
                         long nanos) {
        double rate() {
            return nanos <= 0 ? 0 : received * 1e9 / nanos;
        }

        List<String> warnings(int size) {
            List<String> w = new ArrayList<>();
            if (received == 0) {
                w.add(contender + ": no message was received");
            }
            if (lost > 0) {
                w.add(String.format("%s: %,d of %,d messages sent were refused or dropped on the way (counted by the "
                        + "contender)", contender, lost, sent));
            }
            if (received + malformed + lost < sent) {
                w.add(String.format("%s: %,d of %,d messages sent had not arrived %d s after the last send",
                        contender, sent - received - malformed - lost, sent, DRAIN.toSeconds()));
            } else if (received + malformed > sent) {
                w.add(String.format("%s: %,d messages received but only %,d sent: %,d duplicates", contender,
                        received + malformed, sent, received + malformed - sent));
            }
            if (malformed > 0) {
                w.add(String.format("%s: %,d messages arrived with a payload other than %d bytes", contender,
                        malformed, size));
            }
            return w;
        }
    }
}
