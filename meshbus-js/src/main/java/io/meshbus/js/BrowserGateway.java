package io.meshbus.js;

import io.meshbus.bus.Host;
import io.meshbus.js.GatewayMetrics.Counter;
import io.meshbus.transport.TransportResources;
import io.meshbus.transport.UpgradeDeadline;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets browsers (and Node.js) join a {@link Host} as ordinary peers: serves the client at {@code GET /meshbus.js} and
 * a WebSocket endpoint (default {@code /meshbus}) on its own Netty server. Each connection that passes the origin and
 * token checks becomes {@code host.create(id)}, so any peer of the network sends to it by id, and its subscriptions
 * are that peer's subscriptions. Uses only the host's public API.
 *
 * <p>Netty I/O threads only frame, size-check and rate-limit; everything else (the authenticator, host calls, JSON
 * handling) runs per connection, in order, on the gateway's executor. See PROTOCOL-JS.md for the frames and the
 * limits, and what happens when one is exceeded.
 */
public final class BrowserGateway {
    private static final Logger LOG = LoggerFactory.getLogger(BrowserGateway.class);
    private static final byte[] CLIENT = load("meshbus.js");

    final Host host;
    final Options options;
    final Executor executor;
    private final Map<String, Resource> resources;
    private final ChannelGroup channels = new DefaultChannelGroup("meshbus-gateway", GlobalEventExecutor.INSTANCE);
    /** The connection holding each browser peer id, so a reconnect can take over its own id. */
    final Map<String, GatewayConnection> byPeer = new ConcurrentHashMap<>();
    final GatewayMetrics metrics = new GatewayMetrics();
    /** The way in of every connection: origin, hello, authentication, admission. */
    final GatewayHandshake handshake;
    private volatile Channel server;
    private volatile InetSocketAddress address;
    private volatile boolean closed;

    private BrowserGateway(Builder b) {
        this.host = b.host;
        this.options = new Options(b.bind, b.path, Set.copyOf(b.origins), b.authenticator,
                b.limit(Limit.MAX_MESSAGE_SIZE), b.limit(Limit.MAX_MESSAGES_PER_SECOND),
                b.limit(Limit.MAX_SUBSCRIPTIONS), b.limit(Limit.OUTBOUND_QUEUE), b.limit(Limit.MAX_PENDING_REPLIES),
                b.limit(Limit.MAX_CONNECTIONS), b.helloTimeout);
        this.handshake = new GatewayHandshake(host, options, metrics, byPeer);
        this.executor = b.executor != null ? b.executor : host.node().options().executor();
        Map<String, Resource> r = new HashMap<>(b.resources);
        r.put("/meshbus.js", new Resource("text/javascript; charset=utf-8", CLIENT));
        this.resources = Map.copyOf(r);
    }

    /** A gateway for a started host. */
    public static Builder builder(Host host) {
        return new Builder(host);
    }

    /** The client, as served at {@code /meshbus.js}. */
    public static String clientScript() {
        return new String(CLIENT, StandardCharsets.UTF_8);
    }

    /** The limits in force (defaults in {@link Builder}). */
    public record Options(InetSocketAddress bind, String path, Set<String> allowedOrigins, Authenticator authenticator,
                          int maxMessageSize, int maxMessagesPerSecond, int maxSubscriptions, int outboundQueue,
                          int maxPendingReplies, int maxConnections, Duration helloTimeout) {
    }

    private record Resource(String contentType, byte[] body) {
    }

    /** Binds the server; completes with this gateway once it listens. */
    public CompletableFuture<BrowserGateway> start() {
        TransportResources io = TransportResources.shared();
        ServerBootstrap b = new ServerBootstrap().group(io.network())
                .channel(io.epoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (closed || channels.size() >= options.maxConnections()) {
                            metrics.count(Counter.REFUSED);
                            LOG.warn("browser gateway refused {}: {} connections already", ch.remoteAddress(),
                                    options.maxConnections());
                            ch.close();
                            return;
                        }
                        channels.add(ch);
                        // Netty's own limit is the hard bound on memory; frames between the two limits get our
                        // clear error frame (GatewayConnection), larger ones Netty's close 1009.
                        int max = (int) Math.min(Integer.MAX_VALUE - 1, 2L * options.maxMessageSize() + 1024);
                        // Until it upgrades, a connection (or an HTTP client fetching the script) has the hello
                        // timeout to finish: a silent one would otherwise hold its place for ever.
                        ch.pipeline().addLast(new UpgradeDeadline(options.helloTimeout(), metrics.adder(Counter.UPGRADE_TIMEOUTS)),
                                new HttpServerCodec(), new HttpObjectAggregator(16 * 1024),
                                new HttpResources(),
                                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                        .websocketPath(options.path()).checkStartsWith(false)
                                        .handshakeTimeoutMillis(10_000)
                                        .decoderConfig(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(max)
                                                .allowExtensions(false).closeOnProtocolViolation(false).build())
                                        .build()),
                                new WebSocketFrameAggregator(max),
                                new GatewayConnection(BrowserGateway.this, ch));
                    }
                });
        CompletableFuture<BrowserGateway> done = new CompletableFuture<>();
        b.bind(options.bind()).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                done.completeExceptionally(f.cause());
                return;
            }
            server = f.channel();
            address = (InetSocketAddress) f.channel().localAddress();
            LOG.info("browser gateway of host {} listening on {}", host.id(), url());
            done.complete(this);
        });
        return done;
    }

    /** The bound address (the real port when bound to port 0). */
    public InetSocketAddress address() {
        return address;
    }

    /** The WebSocket URL clients connect to, e.g. {@code ws://127.0.0.1:7480/meshbus}. */
    public URI url() {
        return URI.create("ws://" + hostPort() + options.path());
    }

    /** The URL of the client script. */
    public URI scriptUrl() {
        return URI.create("http://" + hostPort() + "/meshbus.js");
    }

    private String hostPort() {
        InetSocketAddress a = Objects.requireNonNull(address, "not started");
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    public Host host() {
        return host;
    }

    public Options options() {
        return options;
    }

    /** Open browser connections that have been admitted as peers. */
    public int connections() {
        return byPeer.size();
    }

    /**
     * Counters: {@code connections} (admitted now), {@code accepted}, {@code refused}, {@code authFailures},
     * {@code originRejected}, {@code tooLarge}, {@code rateLimited}, {@code subscriptionLimit}, {@code slowConsumers},
     * {@code protocolErrors}, {@code framesIn}, {@code framesOut}, {@code dropped}.
     */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("connections", (long) byPeer.size());
        metrics.putAll(m);
        return Collections.unmodifiableMap(m);
    }

    /** Stops listening and closes every connection (their peers leave the host); the host itself stays up. */
    public CompletableFuture<Void> close() {
        closed = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        Channel s = server;
        if (s != null) {
            s.close();
        }
        channels.close().addListener(f -> {
            // Peers are removed by each connection's clean-up; wait for those so a restart finds the ids free.
            CompletableFuture.allOf(byPeer.values().stream().map(GatewayConnection::cleanedUp)
                    .toArray(CompletableFuture[]::new)).whenComplete((v, e) -> done.complete(null));
        });
        return done;
    }

    boolean isClosed() {
        return closed;
    }

    private static byte[] load(String name) {
        try (InputStream in = BrowserGateway.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the meshbus-js jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves the client and the extra resources; passes the WebSocket upgrade on. Static bytes only, no blocking. */
    private final class HttpResources extends SimpleChannelInboundHandler<FullHttpRequest> {
        HttpResources() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).path();
            if (path.equals(options.path())) {
                ctx.fireChannelRead(req);
                return;
            }
            try {
                Resource r = resources.get(path);
                boolean readOnly = req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
                HttpResponseStatus status = !readOnly ? HttpResponseStatus.METHOD_NOT_ALLOWED
                        : r == null ? HttpResponseStatus.NOT_FOUND : HttpResponseStatus.OK;
                byte[] body = status == HttpResponseStatus.OK ? r.body()
                        : (status.reasonPhrase() + "\n").getBytes(StandardCharsets.UTF_8);
                FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                        req.method().equals(HttpMethod.HEAD) ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
                res.headers().set(HttpHeaderNames.CONTENT_TYPE,
                        status == HttpResponseStatus.OK ? r.contentType() : "text/plain; charset=utf-8");
                res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
                boolean keepAlive = HttpUtil.isKeepAlive(req);
                if (!keepAlive) {
                    res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                }
                var f = ctx.writeAndFlush(res);
                if (!keepAlive) {
                    f.addListener(ChannelFutureListener.CLOSE);
                }
            } finally {
                req.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("browser gateway HTTP error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** The per-connection limits a {@link Builder} sets: each positive, named as its setter, with its default. */
    private enum Limit {
        MAX_MESSAGE_SIZE("maxMessageSize", 1024 * 1024),
        MAX_MESSAGES_PER_SECOND("maxMessagesPerSecond", 1000),
        MAX_SUBSCRIPTIONS("maxSubscriptions", 100),
        OUTBOUND_QUEUE("outboundQueue", 1024),
        MAX_PENDING_REPLIES("maxPendingReplies", 1024),
        MAX_CONNECTIONS("maxConnections", 10_000);

        private final String setting;
        private final int byDefault;

        Limit(String setting, int byDefault) {
            this.setting = setting;
            this.byDefault = byDefault;
        }
    }

    /** Builder; every limit has a default fit for a public page. */
    public static final class Builder {
        private final Host host;
        private InetSocketAddress bind = new InetSocketAddress("127.0.0.1", 0);
        private String path = "/meshbus";
        private final java.util.Set<String> origins = new java.util.HashSet<>();
        private Authenticator authenticator;
        private final EnumMap<Limit, Integer> limits = new EnumMap<>(Limit.class);
        private Duration helloTimeout = Duration.ofSeconds(10);
        private Executor executor;
        private final Map<String, Resource> resources = new HashMap<>();

        private Builder(Host host) {
            this.host = Objects.requireNonNull(host, "host");
            for (Limit l : Limit.values()) {
                limits.put(l, l.byDefault);
            }
        }

        /** Where to listen; default 127.0.0.1 port 0 (a free port, see {@link #address()}). */
        public Builder bind(String hostName, int port) {
            this.bind = new InetSocketAddress(hostName, port);
            return this;
        }

        public Builder bind(InetSocketAddress address) {
            this.bind = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The WebSocket path; default {@code /meshbus}. */
        public Builder path(String path) {
            if (!path.startsWith("/") || path.equals("/meshbus.js")) {
                throw new IllegalArgumentException("path: must start with / and not be /meshbus.js, was " + path);
            }
            this.path = path;
            return this;
        }

        /**
         * Origins (e.g. {@code https://app.example.com}) whose pages may connect, besides the gateway's own origin
         * (always allowed); {@code "*"} allows any. Connections without an Origin header (Node.js, native apps) are
         * not browsers and pass this check; use an {@link Authenticator} to bound those.
         */
        public Builder allowedOrigins(String... allowed) {
            origins.addAll(List.of(allowed));
            return this;
        }

        /** Checks each connection's token; none by default (any id may connect, if not already taken). */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = authenticator;
            return this;
        }

        // The six limits share one rule, in limit(): each of their setters is a line of that table.

        /** Largest WebSocket message accepted from a browser, in bytes; default 1 MiB. */
        public Builder maxMessageSize(int bytes) { return limit(Limit.MAX_MESSAGE_SIZE, bytes); }

        /** Frames a connection may send per second (bursts up to as many); default 1,000. */
        public Builder maxMessagesPerSecond(int rate) { return limit(Limit.MAX_MESSAGES_PER_SECOND, rate); }

        /** Distinct subject patterns a connection may subscribe to; default 100. */
        public Builder maxSubscriptions(int n) { return limit(Limit.MAX_SUBSCRIPTIONS, n); }

        /** Frames queued for a browser that it has not read yet; default 1,024 (policy in PROTOCOL-JS.md). */
        public Builder outboundQueue(int frames) { return limit(Limit.OUTBOUND_QUEUE, frames); }

        /** Requests a browser may hold unanswered; default 1,024 (more fail at once for their senders). */
        public Builder maxPendingReplies(int n) { return limit(Limit.MAX_PENDING_REPLIES, n); }

        /** Browser connections at once; default 10,000 (more are refused). */
        public Builder maxConnections(int n) { return limit(Limit.MAX_CONNECTIONS, n); }

        /** How long a new connection may take to say hello (and be authenticated); default 10 s. */
        public Builder helloTimeout(Duration d) {
            this.helloTimeout = Objects.requireNonNull(d, "helloTimeout");
            return this;
        }

        /** Where connection work and the authenticator run; default the host's executor. */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** Serves extra static content, e.g. the application's page at {@code /index.html}. */
        public Builder resource(String path, String contentType, byte[] body) {
            resources.put(path, new Resource(contentType, body.clone()));
            return this;
        }

        public BrowserGateway build() {
            return new BrowserGateway(this);
        }

        private Builder limit(Limit l, int v) {
            if (v <= 0) {
                throw new IllegalArgumentException(l.setting + ": must be positive, was " + v);
            }
            limits.put(l, v);
            return this;
        }

        private int limit(Limit l) {
            return limits.get(l);
        }
    }
}
