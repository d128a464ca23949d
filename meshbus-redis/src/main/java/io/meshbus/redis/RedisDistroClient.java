package io.meshbus.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.BrokerUnavailableException;
import io.meshbus.error.ClosedException;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.NoRespondersException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.message.Verb;
import io.meshbus.route.Client;
import io.meshbus.route.Exchange;
import io.meshbus.route.Response;
import io.meshbus.route.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * A distro client on Redis: one connection, opened at creation and reused by every send (distro-redis opened one per
 * send and leaked it), plus one subscriber connection for its reply channel, opened by the first confirmed send or
 * request. Publishes waiting for Redis are bounded; past the bound a send fails at once with
 * {@link BackPressureException}. While Redis is unreachable sends fail with {@link BrokerUnavailableException}.
 */
public final class RedisDistroClient implements Client {
    private final RedisDistroTransport.Target target;
    private final RedisDistroTransport.Options options;
    private final Logger logger;
    private final DistroChannels channels;
    private final String replyChannel;
    private final RedisClient client;
    private final InFlight inFlight;
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final String prefix = Long.toHexString(System.nanoTime()) + "-";
    private final LongAdder published = new LongAdder();
    private final LongAdder undelivered = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder connections = new LongAdder();
    private final Object lock = new Object();
    private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connection;
    private CompletableFuture<StatefulRedisPubSubConnection<byte[], byte[]>> replies;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** An exchange waiting for its answer; a request counts NOT_FOUNDs until every receiver has said so. */
    private static final class Pending {
        final CompletableFuture<Message> future = new CompletableFuture<>();
        final boolean request;
        int receivers = -1;
        int notFound;
        Message lastNotFound;

        Pending(boolean request) {
            this.request = request;
        }
    }

    RedisDistroClient(RedisDistroTransport.Target target, RedisDistroTransport.Options options, Logger logger) {
        this.target = target;
        this.options = options;
        this.logger = logger;
        this.channels = new DistroChannels(target.namespace());
        this.replyChannel = channels.reply(UUID.randomUUID().toString());
        this.inFlight = new InFlight(options.maxInFlight());
        this.client = RedisDistroTransport.newClient(target, options);
        connection();
    }

    private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connection() {
        synchronized (lock) {
            // Lettuce reconnects an open connection by itself; only a first connect that failed is tried again.
            if (connection == null || connection.isCompletedExceptionally()) {
                connections.increment();
                connection = client.connectAsync(ByteArrayCodec.INSTANCE, target.uri()).toCompletableFuture()
                        .exceptionallyCompose(e -> CompletableFuture.failedFuture(unreachable(e)));
            }
            return connection;
        }
    }

    private CompletableFuture<StatefulRedisPubSubConnection<byte[], byte[]>> replies() {
        synchronized (lock) {
            if (replies == null || replies.isCompletedExceptionally()) {
                connections.increment();
                replies = client.connectPubSubAsync(ByteArrayCodec.INSTANCE, target.uri()).toCompletableFuture()
                        .thenCompose(s -> {
                            s.addListener(new RedisPubSubAdapter<>() {
                                @Override
                                public void message(byte[] channel, byte[] message) {
                                    RedisDistroTransport.EXEC.execute(() -> onAnswer(message));
                                }
                            });
                            return s.async().subscribe(replyChannel.getBytes(StandardCharsets.UTF_8))
                                    .toCompletableFuture().thenApply(x -> s);
                        })
                        .exceptionallyCompose(e -> CompletableFuture.failedFuture(unreachable(e)));
            }
            return replies;
        }
    }

    private Throwable unreachable(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return new BrokerUnavailableException("redis distro client: Redis at " + target.display() + " unreachable: "
                + cause.getMessage(), cause);
    }

    /** A message ready to publish (its channel and record), or why it cannot be sent. */
    private record Outgoing(String channel, byte[] record, RuntimeException refused) {
    }

    /**
     * The route channel of a message (the unrouted one for a verb no route can have: the server says ERROR) and its
     * record; refused without a uri or above the size limit.
     */
    private Outgoing outgoing(Message m) {
        String uri = m.header(Headers.URI);
        if (uri == null) {
            return new Outgoing(null, null, new IllegalArgumentException("message " + m.id() + " has no uri header"));
        }
        String ch;
        try {
            ch = channels.route(Verb.parse(m.header(Headers.VERB)), uri);
        } catch (IllegalArgumentException e) {
            ch = channels.unrouted;
        }
        try {
            return new Outgoing(ch, RedisDistroTransport.encode(m, options.maxRecordSize()), null);
        } catch (IllegalArgumentException | FrameTooLargeException e) {
            return new Outgoing(null, null, e);
        }
    }

    @Override
    public CompletableFuture<Void> send(Message m) {
        Outgoing o = outgoing(m);
        if (o.refused() != null) {
            return CompletableFuture.failedFuture(o.refused());
        }
        return publishRouted(o.channel(), o.record()).thenAcceptAsync(n -> {
            if (n == 0) {
                undelivered.increment();
                logger.debug("redis distro client: {} reached no server in namespace {}", m.id(),
                        target.namespace());
            }
        }, RedisDistroTransport.EXEC);
    }

    /**
     * Publishes on the route channel and, when no one is subscribed there, on the unrouted channel, so a server
     * still answers (NOT_FOUND, as a server on the other carriers would). Completes with the number of receivers.
     */
    private CompletableFuture<Long> publishRouted(String ch, byte[] record) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new ClosedException("client closed"));
        }
        if (!inFlight.tryAcquire()) {
            return CompletableFuture.failedFuture(new BackPressureException(inFlight.max()
                    + " publishes are waiting for Redis at " + target.display()));
        }
        return connection().thenCompose(c -> publish(c, ch, record).thenCompose(n -> n > 0
                        || ch.equals(channels.unrouted) ? CompletableFuture.completedFuture(n)
                        : publish(c, channels.unrouted, record)))
                .whenComplete((n, e) -> inFlight.release());
    }

    private CompletableFuture<Long> publish(StatefulRedisConnection<byte[], byte[]> c, String ch, byte[] record) {
        return c.async().publish(ch.getBytes(StandardCharsets.UTF_8), record).toCompletableFuture()
                .handle((n, e) -> {
                    if (e != null) {
                        throw new CompletionException(unreachable(e));
                    }
                    published.increment();
                    return n;
                });
    }

    @Override
    public CompletableFuture<Message> sendConfirmed(Message m, Duration timeout) {
        return exchange(m, timeout, false);
    }

    @Override
    public CompletableFuture<Response> request(Message m, Duration timeout) {
        return exchange(m, timeout, true).thenApply(Exchange::toResponse);
    }

    private CompletableFuture<Message> exchange(Message m, Duration timeout, boolean request) {
        String corr = prefix + seq.incrementAndGet();
        Message out = request
                ? m.withHeaders(m.headers().withAll(Headers.CORRELATION_ID, corr, Headers.REPLY_TO, replyChannel))
                : m.withHeaders(m.headers().withAll(Headers.CORRELATION_ID, corr, Exchange.CONFIRM, "1",
                        RedisDistroTransport.CONFIRM_TO, replyChannel));
        Outgoing o = outgoing(out);
        if (o.refused() != null) {
            return CompletableFuture.failedFuture(o.refused());
        }
        Pending p = new Pending(request);
        pending.put(corr, p);
        replies().thenCompose(s -> publishRouted(o.channel(), o.record())).whenCompleteAsync((n, e) -> {
            if (e != null) {
                fail(corr, p, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            } else if (n == 0) {
                undelivered.increment();
                fail(corr, p, new NoRespondersException("no server in namespace " + target.namespace()
                        + " on Redis at " + target.display() + " received " + m.header(Headers.URI)));
            } else {
                receivers(corr, p, n.intValue());
            }
        }, RedisDistroTransport.EXEC);
        return p.future.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> pending.remove(corr, p))
                .exceptionallyCompose(e -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    return CompletableFuture.failedFuture(cause instanceof TimeoutException
                            ? new RequestTimeoutException("no answer to " + m.header(Headers.URI) + " within "
                            + timeout.toMillis() + " ms over Redis at " + target.display()) : cause);
                });
    }

    private void receivers(String corr, Pending p, int n) {
        Message done;
        synchronized (p) {
            p.receivers = n;
            done = p.notFound >= n ? p.lastNotFound : null;
        }
        if (done != null) {
            finish(corr, p, done);
        }
    }

    private void onAnswer(byte[] record) {
        Message m;
        try {
            if (record.length > options.maxRecordSize()) {
                throw new IllegalArgumentException("record of " + record.length + " bytes");
            }
            m = Message.parse(record);
        } catch (RuntimeException e) {
            malformed("not a message: " + e.getMessage());
            return;
        }
        String corr = m.header(Headers.CORRELATION_ID);
        Pending p = corr == null ? null : pending.get(corr);
        if (p == null) {
            // A late answer (after a timeout, or a second server's) or one for another client: nothing waits.
            return;
        }
        if (!p.request) {
            if (Exchange.RECEIVED.equals(m.header(Headers.URI))) {
                finish(corr, p, m);
            }
            return;
        }
        String status = m.header(Headers.STATUS);
        if (status == null) {
            return;
        }
        try {
            Integer.parseInt(status);
        } catch (NumberFormatException e) {
            malformed("status '" + status + "' is not a number");
            return;
        }
        if (Status.ofCode(Integer.parseInt(status)) != Status.NOT_FOUND) {
            finish(corr, p, m);
            return;
        }
        boolean all;
        synchronized (p) {
            p.notFound++;
            p.lastNotFound = m;
            all = p.receivers >= 0 && p.notFound >= p.receivers;
        }
        if (all) {
            finish(corr, p, m);
        }
    }

    private void finish(String corr, Pending p, Message m) {
        if (pending.remove(corr, p)) {
            p.future.complete(m);
        }
    }

    private void fail(String corr, Pending p, Throwable e) {
        if (pending.remove(corr, p)) {
            p.future.completeExceptionally(e);
        }
    }

    private void malformed(String why) {
        malformed.increment();
        RedisDistroTransport.logMalformed(logger, malformed.sum(), replyChannel, why);
    }

    /** Stops; exchanges still waiting fail at once with ClosedException rather than at their timeout. */
    @Override
    public CompletableFuture<Void> close() {
        if (!closed.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        pending.forEach((k, p) -> fail(k, p, new ClosedException("client closed")));
        return client.shutdownAsync(0, 2, TimeUnit.SECONDS);
    }

    /** Its reply channel, where confirmations and responses arrive. */
    public String replyChannel() {
        return replyChannel;
    }

    /** Counters: published, undelivered (no server took it), malformed answers, connections opened, inFlight. */
    public Map<String, Long> metrics() {
        return Map.of("published", published.sum(), "undelivered", undelivered.sum(), "malformed", malformed.sum(),
                "connections", connections.sum(), "inFlight", (long) inFlight.size());
    }

    @Override
    public String toString() {
        return "RedisDistroClient{" + target.display() + "}";
    }
}
