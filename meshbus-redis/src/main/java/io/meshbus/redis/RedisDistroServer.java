package io.meshbus.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.meshbus.error.BrokerUnavailableException;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.message.Verb;
import io.meshbus.route.Exchange;
import io.meshbus.route.Info;
import io.meshbus.route.RouteHandler;
import io.meshbus.route.Router;
import io.meshbus.route.Server;
import io.meshbus.route.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * A distro server on Redis: one dedicated pub/sub connection for its route channels and one connection for its
 * answers. Routes added through this server's methods subscribe (before or after start); a route added on
 * {@link #router()} directly has no channel of its own and is reached only through the namespace's unrouted channel,
 * that is when no other subscriber took the message.
 */
public final class RedisDistroServer implements Server {
    private final RedisDistroTransport.Target target;
    private final RedisDistroTransport.Options options;
    private final Logger logger;
    private final DistroChannels channels;
    private final Router router = new Router();
    private final Object lock = new Object();
    private final Set<String> wantedChannels = new LinkedHashSet<>();
    private final Set<String> wantedPatterns = new LinkedHashSet<>();
    private final InFlight inFlight;
    private final LongAdder received = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder answered = new LongAdder();
    private final LongAdder answersDropped = new LongAdder();
    private RedisClient client;
    private StatefulRedisPubSubConnection<byte[], byte[]> sub;
    private StatefulRedisConnection<byte[], byte[]> pub;
    private CompletableFuture<Server> started;
    private volatile boolean closed;
    // The run of deliveries of one PUBLISH (see duplicate()).
    private byte[] runChannel;
    private byte[] runRecord;
    private final Set<String> runVia = new HashSet<>();

    RedisDistroServer(RedisDistroTransport.Target target, RedisDistroTransport.Options options, Logger logger) {
        this.target = target;
        this.options = options;
        this.logger = logger;
        this.channels = new DistroChannels(target.namespace());
        this.inFlight = new InFlight(options.maxInFlight());
        wantedChannels.add(channels.unrouted);
    }

    @Override
    public Router router() {
        return router;
    }

    @Override
    public RedisDistroServer receive(RouteHandler h) {
        router.receive(h);
        want(List.of(), List.of(channels.catchAll()));
        return this;
    }

    /** A route for any verb, with its channel subscribed; the verb shortcuts of {@link Server} call it. */
    @Override
    public RedisDistroServer on(Verb verb, String uriPattern, RouteHandler h) {
        router.on(verb, uriPattern, h);
        DistroChannels.Subscriptions s = channels.forRoute(verb, uriPattern);
        want(s.channels(), s.patterns());
        return this;
    }

    private void want(List<String> chans, List<String> patterns) {
        List<String> newChannels = new ArrayList<>();
        List<String> newPatterns = new ArrayList<>();
        StatefulRedisPubSubConnection<byte[], byte[]> s;
        synchronized (lock) {
            for (String c : chans) {
                if (wantedChannels.add(c)) {
                    newChannels.add(c);
                }
            }
            for (String p : patterns) {
                if (wantedPatterns.add(p)) {
                    newPatterns.add(p);
                }
            }
            s = sub;
        }
        if (s != null) {
            subscribe(s, newChannels, newPatterns).exceptionally(e -> {
                logger.warn("redis distro server {}: subscribing {} {} failed: {}", target.display(), newChannels,
                        newPatterns, e.toString());
                return null;
            });
        }
    }

    private static CompletableFuture<Void> subscribe(StatefulRedisPubSubConnection<byte[], byte[]> s,
                                                     List<String> chans, List<String> patterns) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        if (!chans.isEmpty()) {
            all.add(s.async().subscribe(bytes(chans)).toCompletableFuture());
        }
        if (!patterns.isEmpty()) {
            all.add(s.async().psubscribe(bytes(patterns)).toCompletableFuture());
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
    }

    private static byte[][] bytes(List<String> names) {
        byte[][] out = new byte[names.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = names.get(i).getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    @Override
    public CompletableFuture<Server> start() {
        RedisClient c;
        CompletableFuture<Server> f = new CompletableFuture<>();
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("server closed"));
            }
            if (started != null && !started.isCompletedExceptionally()) {
                return started;
            }
            c = RedisDistroTransport.newClient(target, options);
            client = c;
            started = f;
        }
        CompletableFuture<StatefulRedisPubSubConnection<byte[], byte[]>> s =
                c.connectPubSubAsync(ByteArrayCodec.INSTANCE, target.uri()).toCompletableFuture();
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> p =
                c.connectAsync(ByteArrayCodec.INSTANCE, target.uri()).toCompletableFuture();
        s.thenCombine(p, (subConn, pubConn) -> {
            subConn.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] channel, byte[] message) {
                    deliver(null, channel, message);
                }

                @Override
                public void message(byte[] pattern, byte[] channel, byte[] message) {
                    deliver(pattern, channel, message);
                }
            });
            List<String> chans;
            List<String> patterns;
            synchronized (lock) {
                sub = subConn;
                pub = pubConn;
                chans = new ArrayList<>(wantedChannels);
                patterns = new ArrayList<>(wantedPatterns);
            }
            return subscribe(subConn, chans, patterns);
        }).thenCompose(x -> x).whenCompleteAsync((x, e) -> {
            if (e != null) {
                c.shutdownAsync(0, 2, TimeUnit.SECONDS);
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                f.completeExceptionally(new BrokerUnavailableException("redis distro server: Redis at "
                        + target.display() + " unreachable: " + cause.getMessage(), cause));
            } else {
                logger.info("redis distro server on {}", target.display());
                f.complete(this);
            }
        }, RedisDistroTransport.EXEC);
        return f;
    }

    /**
     * Redis delivers one PUBLISH once per matching subscription of a connection (an exact channel and patterns, or
     * overlapping patterns), and writes all of those copies in a row, within the one command. So a copy is a
     * duplicate when it carries the same channel and record as the run before it and came through a subscription
     * that run has not used yet; a subscription seen again starts the next PUBLISH's run.
     */
    private void deliver(byte[] pattern, byte[] channel, byte[] record) {
        if (closed) {
            return;
        }
        String via = pattern == null ? "=" : "~" + new String(pattern, StandardCharsets.ISO_8859_1);
        synchronized (runVia) {
            if (Arrays.equals(channel, runChannel) && Arrays.equals(record, runRecord) && runVia.add(via)) {
                duplicates.increment();
                return;
            }
            runChannel = channel;
            runRecord = record;
            runVia.clear();
            runVia.add(via);
        }
        received.increment();
        RedisDistroTransport.EXEC.execute(() -> handle(new String(channel, StandardCharsets.UTF_8), record));
    }

    private void handle(String channel, byte[] record) {
        if (record.length > options.maxRecordSize()) {
            malformed(channel, "record of " + record.length + " bytes, more than " + options.maxRecordSize());
            return;
        }
        Message m;
        try {
            m = Message.parse(record);
        } catch (RuntimeException e) {
            malformed(channel, "not a message: " + e.getMessage());
            return;
        }
        String uri = m.header(Headers.URI);
        if (uri == null) {
            malformed(channel, "message " + m.id() + " has no uri");
            return;
        }
        if (Exchange.isAnswer(m)) {
            logger.debug("redis distro server: answer {} on {} ignored", m.id(), channel);
            return;
        }
        if (!channel.equals(channels.unrouted)) {
            String expected;
            try {
                expected = channels.route(Verb.parse(m.header(Headers.VERB)), uri);
            } catch (IllegalArgumentException e) {
                malformed(channel, e.getMessage());
                return;
            }
            if (!channel.equals(expected)) {
                malformed(channel, "message " + m.id() + " belongs on " + expected);
                return;
            }
        }
        String corr = m.header(Headers.CORRELATION_ID);
        String confirmTo = "1".equals(m.header(Exchange.CONFIRM)) && corr != null
                ? m.header(RedisDistroTransport.CONFIRM_TO) : null;
        String replyTo = corr == null ? null : m.header(Headers.REPLY_TO);
        if (confirmTo != null && !channels.isReply(confirmTo) || replyTo != null && !channels.isReply(replyTo)) {
            malformed(channel, "message " + m.id() + " wants answers outside the namespace's reply channels");
            return;
        }
        if (confirmTo != null) {
            answer(confirmTo, Exchange.received(m));
        }
        Router.Outcome o = router.dispatch(m, replyTo != null ? replyTo : confirmTo != null ? confirmTo : channel);
        if (replyTo != null) {
            answer(replyTo, Exchange.response(o, corr));
        }
    }

    private void answer(String to, Message m) {
        StatefulRedisConnection<byte[], byte[]> p;
        synchronized (lock) {
            p = pub;
        }
        byte[] record;
        try {
            record = RedisDistroTransport.encode(m, options.maxRecordSize());
        } catch (FrameTooLargeException e) {
            // Too large a reply still deserves an answer, or the client would wait for its timeout.
            record = RedisDistroTransport.encode(Exchange.response(new Router.Outcome(Status.ERROR, null,
                    e.getMessage()), m.header(Headers.CORRELATION_ID)), options.maxRecordSize());
        }
        if (closed || p == null) {
            answersDropped.increment();
            return;
        }
        if (!inFlight.tryAcquire()) {
            answersDropped.increment();
            logger.warn("redis distro server: {} answers waiting for Redis; answer to {} dropped",
                    options.maxInFlight(), to);
            return;
        }
        p.async().publish(to.getBytes(StandardCharsets.UTF_8), record).whenComplete((n, e) -> {
            inFlight.release();
            if (e != null) {
                answersDropped.increment();
                logger.debug("redis distro server: answer to {} not published: {}", to, e.toString());
            } else {
                answered.increment();
            }
        });
    }

    private void malformed(String channel, String why) {
        malformed.increment();
        RedisDistroTransport.logMalformed(logger, malformed.sum(), channel, why);
    }

    @Override
    public Info info() {
        return target.info();
    }

    public String namespace() {
        return target.namespace();
    }

    @Override
    public CompletableFuture<Void> close() {
        RedisClient c;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
            c = client;
            sub = null;
            pub = null;
        }
        return c == null ? CompletableFuture.completedFuture(null) : c.shutdownAsync(0, 2, TimeUnit.SECONDS);
    }

    /** Counters: received, duplicates (one PUBLISH through overlapping subscriptions), malformed, answered, ... */
    public Map<String, Long> metrics() {
        return Map.of("received", received.sum(), "duplicates", duplicates.sum(), "malformed", malformed.sum(),
                "answered", answered.sum(), "answersDropped", answersDropped.sum(), "inFlight",
                (long) inFlight.size());
    }

    @Override
    public String toString() {
        return "RedisDistroServer{" + target.display() + "}";
    }
}
