package io.meshbus.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.message.Message;
import io.meshbus.route.DistroTransport;
import io.meshbus.route.Info;
import io.meshbus.wire.Protocol;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import org.slf4j.Logger;

/**
 * The distro API over Redis pub/sub: distro-redis done right. {@code Distro.create("redis")} finds it through
 * {@code META-INF/services}; {@code Distro.create(RedisDistroTransport.builder()...build(), logger)} configures it.
 * <p>
 * Where Redis is comes from the {@link Info}: its address is either a host ({@code new Info("10.0.0.5", 6379)}, port 0
 * meaning 6379) or a whole URI, {@code redis://[user:password@]host:port[/db]} or {@code rediss://} for TLS, with an
 * optional {@code ?namespace=NAME} (servers and clients meet only within one namespace) and Lettuce's own parameters
 * ({@code timeout}, {@code clientName}, {@code verifyPeer}). A server's {@link io.meshbus.route.Server#info()} is the
 * same Info, so {@code client(server.info())} reaches it.
 * <p>
 * Each route is one channel per verb and URI (see {@link DistroChannels}): plain routes are exact SUBSCRIBEs, only
 * {@code {name}} and trailing-{@code *} routes are PSUBSCRIBEs, catch-all handlers one pattern over the namespace's
 * routes. Records are messages in distro's JSON form. Confirmations and responses follow the router protocol of the
 * other carriers (a server confirms what it received, then answers a request with the router's outcome) through the
 * client's reply channel. Pub/sub fans out: with several servers in one namespace every subscribed server handles a
 * message, the first RECEIVED confirms it, a request completes with the first answer that is not NOT_FOUND (or
 * NOT_FOUND once every receiver said so). Redis keeps nothing for absent subscribers: a message published while no
 * server is subscribed is lost, and a request then fails at once with {@code NoRespondersException}.
 */
public final class RedisDistroTransport implements DistroTransport {
    public static final String NAME = "redis";
    /** Where a confirmed message wants its RECEIVED: replyTo would also ask for a response. */
    static final String CONFIRM_TO = "confirmTo";
    static final Executor EXEC = new ForkJoinPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
            ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
    private static volatile ClientResources resources;

    private final Options options;

    /** With the defaults; what the service registration creates. */
    public RedisDistroTransport() {
        this(builder().options());
    }

    private RedisDistroTransport(Options options) {
        this.options = options;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return NAME;
    }

    public Options options() {
        return options;
    }

    @Override
    public RedisDistroServer server(Info info, Logger logger) {
        return new RedisDistroServer(target(info, options), options, logger);
    }

    @Override
    public RedisDistroClient client(Info info, Logger logger) {
        return new RedisDistroClient(target(info, options), options, logger);
    }

    /** Settings; see {@link Builder} for the defaults. */
    public record Options(String namespace, Duration commandTimeout, int maxInFlight, int maxRecordSize) {
    }

    /** Where Redis is, as Lettuce wants it, with the namespace, the Info given and a text without the password. */
    record Target(RedisURI uri, String namespace, Info info, String display) {
    }

    static Target target(Info info, Options options) {
        String a = info.address();
        String text;
        if (a.contains("://")) {
            text = a;
        } else {
            String host = a.contains(":") ? "[" + a + "]" : a;
            text = "redis://" + host + ":" + (info.port() == 0 ? RedisURI.DEFAULT_REDIS_PORT : info.port());
        }
        URI u;
        try {
            u = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a Redis URI: " + e.getMessage(), e);
        }
        if (!"redis".equals(u.getScheme()) && !"rediss".equals(u.getScheme())) {
            throw new IllegalArgumentException("address: a host or redis:// or rediss:// URI, was scheme "
                    + u.getScheme());
        }
        String namespace = options.namespace;
        boolean timeout = false;
        int q = text.indexOf('?');
        String lettuceText = text;
        if (q >= 0) {
            List<String> kept = new ArrayList<>();
            for (String p : text.substring(q + 1).split("&")) {
                if (p.startsWith("namespace=")) {
                    namespace = URLDecoder.decode(p.substring("namespace=".length()), StandardCharsets.UTF_8);
                } else if (!p.isEmpty()) {
                    timeout |= p.startsWith(RedisURI.PARAMETER_NAME_TIMEOUT + "=");
                    kept.add(p);
                }
            }
            lettuceText = text.substring(0, q) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
        }
        if (namespace.isEmpty()) {
            throw new IllegalArgumentException("namespace: must not be empty");
        }
        RedisURI r = RedisURI.create(lettuceText);
        if (!timeout) {
            r.setTimeout(options.commandTimeout);
        }
        if (r.getClientName() == null) {
            r.setClientName("meshbus-distro");
        }
        String display = u.getScheme() + "://" + u.getHost() + ":" + (u.getPort() < 0 ? RedisURI.DEFAULT_REDIS_PORT
                : u.getPort()) + "/" + r.getDatabase() + " namespace " + namespace;
        return new Target(r, namespace, info, display);
    }

    /** One Lettuce client per server or client, all on shared event loops (threads are costly, clients are not). */
    static RedisClient newClient(Target t, Options o) {
        return RedisClients.create(resources(), t.uri(), o.maxInFlight + 64);
    }

    private static ClientResources resources() {
        ClientResources r = resources;
        if (r == null) {
            synchronized (RedisDistroTransport.class) {
                r = resources;
                if (r == null) {
                    r = DefaultClientResources.create();
                    resources = r;
                }
            }
        }
        return r;
    }

    /** The JSON record of a message, refused above the size limit rather than sent for Redis to carry. */
    static byte[] encode(Message m, int limit) {
        byte[] b = m.toBytes();
        if (b.length > limit) {
            throw new FrameTooLargeException("message " + m.id() + " is " + b.length + " bytes as a record, more than "
                    + limit);
        }
        return b;
    }

    /** Garbage from the network is logged, but a flood of it must not flood the log. */
    static void logMalformed(Logger logger, long count, String what, String why) {
        if (count <= 10 || count % 1000 == 0) {
            logger.warn("redis distro: malformed record dropped ({} so far) on {}: {}", count, what, why);
        } else {
            logger.debug("redis distro: malformed record dropped on {}: {}", what, why);
        }
    }

    /**
     * Builds a {@link RedisDistroTransport}. {@code commandTimeout} is overridden by a {@code timeout} in the URI;
     * {@code maxInFlight} bounds each client's publishes and each server's answers.
     */
    public static final class Builder extends RedisClients.Settings<Builder> {
        private String namespace = "meshbus";
        private int maxRecordSize = Protocol.DEFAULT_MAX_FRAME_SIZE;

        Builder() {
        }

        /** Prefix of every channel, unless the URI names one with {@code ?namespace=} (default {@code meshbus}). */
        public Builder namespace(String namespace) {
            if (namespace == null || namespace.isEmpty()) {
                throw new IllegalArgumentException("namespace: must not be empty");
            }
            this.namespace = namespace;
            return this;
        }

        /** Largest record sent or accepted, in bytes of JSON (default 4 MiB, the node protocol's frame limit). */
        public Builder maxRecordSize(int bytes) {
            this.maxRecordSize = bytes;
            return this;
        }

        Options options() {
            if (maxInFlight() < 1 || maxRecordSize < Protocol.MIN_MAX_FRAME_SIZE) {
                throw new IllegalArgumentException("maxInFlight >= 1, maxRecordSize >= " + Protocol.MIN_MAX_FRAME_SIZE);
            }
            if (commandTimeout().isNegative() || commandTimeout().isZero()) {
                throw new IllegalArgumentException("commandTimeout: must be positive");
            }
            return new Options(namespace, commandTimeout(), maxInFlight(), maxRecordSize);
        }

        public RedisDistroTransport build() {
            return new RedisDistroTransport(options());
        }
    }
}
