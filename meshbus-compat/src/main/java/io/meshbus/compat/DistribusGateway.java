package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.bus.Subscription;
import io.meshbus.error.ClosedException;
import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a Meshbus {@link Host} a member of a distribus 0.4.0 network (WebSocket text frames, the requestify
 * envelope, methods greeting, join, find, send, publish, goodbye, ping, hosts). It attaches to the host through its
 * public API only:
 * <ul>
 *   <li>the host's own peers are presented to the Node network: a Node host's {@code find} for one of them is
 *   answered with this gateway's url, and a Node {@code send} to one of them is delivered to it, from a proxy
 *   {@link Peer} named after the Node sender (created on the host when first needed), so the Java peer can answer
 *   with {@code peer.send(from, ...)};</li>
 *   <li>Node peers appear on the Java side as proxy peers: {@link #importPeer(String)} finds one in the Node network
 *   and creates its proxy; what Java peers send to a proxy is forwarded with a distribus {@code send};</li>
 *   <li>publishes cross both ways: a subscription to {@code >} forwards the host's publishes as distribus
 *   {@code publish} notifications, and Node publishes are published on the host by the gateway's own peer (never
 *   forwarded back).</li>
 * </ul>
 * Attach one gateway per Meshbus network (several gateways on hosts of one network would each forward the same
 * publishes). Error texts towards Node hosts are distribus's exact strings.
 */
public final class DistribusGateway {
    private static final Logger LOG = LoggerFactory.getLogger(DistribusGateway.class);

    private final Host host;
    private final InetSocketAddress bind;
    private final String advertisedHost;
    private final Duration requestTimeout;
    private final Duration reconnectDelay;
    private final double reconnectDecay;
    private final Duration reconnectTimeout;
    private final int maxFrame;
    private final Map<String, DistribusConnection> connections = new ConcurrentHashMap<>();
    private final Set<DistribusConnection> all = ConcurrentHashMap.newKeySet();
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final Map<String, String> proxies = new ConcurrentHashMap<>();
    private final Map<String, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();
    private final ExecutorService work;
    private final LongAdder protocolErrors = new LongAdder();
    private final LongAdder forwardFailures = new LongAdder();
    private volatile String networkId;
    private volatile String url;
    private volatile Channel server;
    private volatile boolean closed;
    private volatile io.meshbus.node.Registration resolver;
    private Peer publisher;
    private Subscription everything;

    private DistribusGateway(Builder b) {
        this.host = b.host;
        URI l = Dialect.strip(URI.create(b.listen));
        this.bind = new InetSocketAddress(l.getHost(), Math.max(l.getPort(), 0));
        this.advertisedHost = b.advertise != null ? b.advertise : l.getHost();
        this.requestTimeout = b.requestTimeout;
        this.reconnectDelay = b.reconnectDelay;
        this.reconnectDecay = b.reconnectDecay;
        this.reconnectTimeout = b.reconnectTimeout;
        this.maxFrame = b.maxFrame;
        this.networkId = b.networkId != null ? b.networkId : host.networkId();
        this.work = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "distribus-gateway-" + host.id());
            t.setDaemon(true);
            return t;
        });
    }

    /** A gateway for a started host; listens on {@code distribus+ws://127.0.0.1:0} unless told otherwise. */
    public static Builder builder(Host host) {
        return new Builder(host);
    }

    public static final class Builder {
        private final Host host;
        private String listen = "distribus+ws://127.0.0.1:0";
        private String advertise;
        private String networkId;
        private Duration requestTimeout = Duration.ofSeconds(60);
        private Duration reconnectDelay = Duration.ofSeconds(1);
        private double reconnectDecay = 2;
        private Duration reconnectTimeout = Duration.ofMinutes(5);
        private int maxFrame = 1 << 20;

        private Builder(Host host) {
            this.host = Objects.requireNonNull(host, "host");
        }

        /** {@code distribus+ws://host:port} (or {@code ws://}); binds exactly that address, port 0 picks one. */
        public Builder listen(String uri) {
            this.listen = uri;
            return this;
        }

        /** The host name put in the announced url (default: the listen host). distribus compares urls as strings. */
        public Builder advertise(String hostName) {
            this.advertise = hostName;
            return this;
        }

        /** The distribus networkId (default: the Meshbus host's). */
        public Builder networkId(String id) {
            this.networkId = id;
            return this;
        }

        /** distribus's fixed 60 s, configurable. */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        /**
         * Re-dial settings for links this gateway opened, as distribus's {@code reconnectDelay},
         * {@code reconnectDecay} and {@code reconnectTimeout}; the delay is multiplied by the decay after each failed
         * attempt (distribus divided it, so its retries got faster).
         */
        public Builder reconnect(Duration delay, double decay, Duration timeout) {
            this.reconnectDelay = delay;
            this.reconnectDecay = decay;
            this.reconnectTimeout = timeout;
            return this;
        }

        /** The largest WebSocket message accepted (ws@0.4.32 had no limit). */
        public Builder maxFrame(int bytes) {
            this.maxFrame = bytes;
            return this;
        }

        public DistribusGateway build() {
            return new DistribusGateway(this);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    public CompletableFuture<DistribusGateway> start() {
        publisher = host.create("distribus-gateway." + host.id());
        // A Java peer anywhere in the Meshbus network sends to a Node peer by id: when the directory has no such
        // peer, the host asks this gateway, which finds it on the distribus side and makes its proxy here.
        resolver = host.addResolver(id -> closed ? CompletableFuture.completedFuture(false)
                : importPeer(id).handle((peer, e) -> e == null && peer != null));
        CompletableFuture<Channel> bound = new CompletableFuture<>();
        new ServerBootstrap().group(Loops.group()).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        DistribusConnection c = new DistribusConnection(DistribusGateway.this, false, null,
                                requestTimeout);
                        all.add(c);
                        WebSocketServerProtocolConfig cfg = WebSocketServerProtocolConfig.newBuilder()
                                .websocketPath("/").checkStartsWith(true).handleCloseFrames(true)
                                .decoderConfig(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(maxFrame)
                                        .allowMaskMismatch(true).build())
                                .build();
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024),
                                new WebSocketServerProtocolHandler(cfg), new WebSocketFrameAggregator(maxFrame), c);
                    }
                }).bind(bind).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        bound.complete(f.channel());
                    } else {
                        bound.completeExceptionally(f.cause());
                    }
                });
        return bound.thenCompose(ch -> {
            server = ch;
            int port = ((InetSocketAddress) ch.localAddress()).getPort();
            url = "ws://" + advertisedHost + ":" + port;
            return host.subscribe(">", this::onJavaPublish);
        }).thenApply(s -> {
            everything = s;
            LOG.info("host {}: distribus gateway at {}", host.id(), url);
            return this;
        });
    }

    /** The url Node hosts know this host by ({@code ws://host:port}), or null before start. */
    public String url() {
        return url;
    }

    /** The same as {@code distribus+ws://host:port}. */
    public URI info() {
        return url == null ? null : Dialect.DISTRIBUS.wrap(url);
    }

    public Host host() {
        return host;
    }

    public String networkId() {
        return networkId;
    }

    /** The urls of the distribus hosts this one is connected to. */
    public Set<String> connections() {
        return new TreeSet<>(connections.keySet());
    }

    /** Frames and envelopes refused (each closed its connection). */
    public long protocolErrors() {
        return protocolErrors.sum();
    }

    /** Java-to-Node sends that could not be delivered (the Java sender had already been confirmed). */
    public long forwardFailures() {
        return forwardFailures.sum();
    }

    /** Goodbye to every connected host (they forget this host's peers), then closes everything. */
    public CompletableFuture<Void> close() {
        closed = true;
        if (resolver != null) {
            resolver.close();
        }
        timers.values().forEach(t -> t.cancel(false));
        timers.clear();
        List<CompletableFuture<Void>> byes = new ArrayList<>();
        for (String u : new ArrayList<>(connections.keySet())) {
            byes.add(disconnect(u));
        }
        return CompletableFuture.allOf(byes.toArray(new CompletableFuture<?>[0])).handle((v, e) -> {
            all.forEach(DistribusConnection::close);
            Channel s = server;
            if (s != null) {
                s.close();
            }
            if (everything != null) {
                everything.unsubscribe();
            }
            proxies.keySet().forEach(host::remove);
            proxies.clear();
            addresses.clear();
            if (publisher != null) {
                publisher.remove();
            }
            work.shutdown();
            return null;
        });
    }

    /** distribus's _disconnect: goodbye request, then close whatever it answers. */
    private CompletableFuture<Void> disconnect(String u) {
        DistribusConnection c = connections.remove(u);
        if (c == null) {
            return CompletableFuture.completedFuture(null);
        }
        c.leaving = true;
        ScheduledFuture<?> t = timers.remove(u);
        if (t != null) {
            t.cancel(false);
        }
        return c.request("goodbye", null).orTimeout(5, TimeUnit.SECONDS).handle((r, e) -> {
            c.close();
            return null;
        });
    }

    // ------------------------------------------------------------------ joining

    /**
     * Joins the distribus network of the host at {@code target} ({@code distribus+ws://} or {@code ws://}): greeting
     * (fails with {@link NetworkIdMismatchException} carrying distribus's text), then asks the others to join it,
     * which ends in a full mesh.
     */
    public CompletableFuture<Void> join(String target) {
        String u = Dialect.strip(URI.create(target)).toString();
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedException("gateway closed"));
        }
        if (u.equals(url) || connections.containsKey(u)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        connect(u).thenCompose(c -> broadcastJoin(u)).whenComplete((v, e) -> {
            if (e == null) {
                f.complete(null);
            } else {
                f.completeExceptionally(e instanceof java.util.concurrent.CompletionException ? e.getCause() : e);
            }
        });
        return f;
    }

    /**
     * Joins by address, the dialect chosen by its scheme: {@code distribus+ws://} joins a distribus network through
     * this gateway, any other scheme ({@code tcp://}, {@code ws://}, ...) is a native Meshbus join of the host.
     */
    public CompletableFuture<Void> joinAny(String seed) {
        if (Dialect.of(URI.create(seed)) == Dialect.DISTRIBUS) {
            return join(seed);
        }
        return host.join(seed).thenApply(h -> null);
    }

    private CompletableFuture<DistribusConnection> connect(String u) {
        URI uri = URI.create(u);
        DistribusConnection c = new DistribusConnection(this, true, u, requestTimeout);
        connections.put(u, c);
        all.add(c);
        new Bootstrap().group(Loops.group()).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(16 * 1024),
                                new WebSocketClientProtocolHandler(WebSocketClientHandshakerFactory.newHandshaker(
                                        uri, WebSocketVersion.V13, null, false, new DefaultHttpHeaders(), maxFrame)),
                                new WebSocketFrameAggregator(maxFrame), c);
                    }
                }).connect(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort())
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        c.opened.completeExceptionally(new PeerUnreachableException("connect to " + u + " failed: "
                                + f.cause().getMessage(), f.cause()));
                    }
                });
        ObjectNode greeting = DistroJson.MAPPER.createObjectNode().put("url", url);
        if (networkId != null) {
            greeting.put("networkId", networkId);
        } else {
            greeting.putNull("networkId");
        }
        CompletableFuture<DistribusConnection> done = new CompletableFuture<>();
        c.request("greeting", greeting).whenComplete((r, e) -> {
            if (e != null) {
                connections.remove(u, c);
                c.close();
                Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                if (cause.getMessage() != null && cause.getMessage().startsWith("Network id mismatch")) {
                    cause = new NetworkIdMismatchException(cause.getMessage(), cause);
                }
                done.completeExceptionally(cause);
                return;
            }
            JsonNode nid = r == null ? null : r.get("networkId");
            if (networkId == null && nid != null && nid.isTextual()) {
                // adopt the network's id; unlike distribus, never replace one already set
                networkId = nid.asText();
            }
            ScheduledFuture<?> t = timers.remove(u);
            if (t != null) {
                t.cancel(false);
            }
            LOG.debug("gateway {}: connected to {}", url, u);
            done.complete(c);
        });
        return done;
    }

    private CompletableFuture<Void> broadcastJoin(String joined) {
        List<CompletableFuture<?>> all = new ArrayList<>();
        ObjectNode p = DistroJson.MAPPER.createObjectNode().put("url", joined);
        connections.forEach((u, c) -> {
            if (!u.equals(joined)) {
                all.add(c.request("join", p).exceptionally(e -> null));
            }
        });
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
    }

    void accepted(DistribusConnection c) {
        LOG.debug("gateway {}: accepted a connection from {}", url, c.channel.remoteAddress());
    }

    void protocolError(DistribusConnection c, RuntimeException e) {
        protocolErrors.increment();
        LOG.warn("gateway {}: closing the connection with {}: {}: {}", url,
                c.url != null ? c.url : c.channel.remoteAddress(), e.getClass().getSimpleName(), e.getMessage());
    }

    void closed(DistribusConnection c) {
        all.remove(c);
        String u = c.url;
        if (u == null || !connections.remove(u, c) || closed) {
            return;
        }
        if (c.leaving) {
            return;
        }
        if (c.outgoing() && c.opened.isDone() && !c.opened.isCompletedExceptionally()) {
            reconnect(u, System.nanoTime(), reconnectDelay.toMillis());
        } else {
            // distribus's acceptor only forgets the peers of a host that does not come back in time
            timers.put(u, Loops.group().schedule(() -> {
                timers.remove(u);
                if (!connections.containsKey(u)) {
                    forgetPeers(u);
                }
            }, reconnectTimeout.toMillis(), TimeUnit.MILLISECONDS));
        }
    }

    private void reconnect(String u, long since, long delayMillis) {
        timers.put(u, Loops.group().schedule(() -> {
            timers.remove(u);
            if (closed || connections.containsKey(u)) {
                return;
            }
            if (System.nanoTime() - since >= reconnectTimeout.toNanos()) {
                LOG.info("gateway {}: gave up reconnecting to {}", url, u);
                forgetPeers(u);
                return;
            }
            connect(u).whenComplete((c, e) -> {
                if (e != null && !closed) {
                    long next = (long) Math.min(Math.max(1, delayMillis * reconnectDecay),
                            Math.max(reconnectDelay.toMillis(), reconnectTimeout.toMillis()));
                    reconnect(u, since, next);
                }
            });
        }, delayMillis, TimeUnit.MILLISECONDS));
    }

    /** Forgets where peers of that host live, and removes their proxies from the Java host. */
    private void forgetPeers(String u) {
        addresses.entrySet().removeIf(e -> e.getValue().equals(u));
        proxies.entrySet().removeIf(e -> {
            if (e.getValue().equals(u)) {
                host.remove(e.getKey());
                return true;
            }
            return false;
        });
    }

    // ------------------------------------------------------------------ peers

    private boolean isLocal(String peerId) {
        return peerId != null && host.get(peerId) != null && !proxies.containsKey(peerId)
                && !peerId.equals(publisher.id());
    }

    /**
     * Where a peer lives, as distribus's {@code find}: this gateway's url for the host's own peers, else the url of
     * the Node-side host that has it (asked in parallel, first answer cached). Fails with
     * {@link PeerNotFoundException} "Peer not found (id: X)"; never hangs when a host fails to answer.
     */
    public CompletableFuture<String> find(String peerId) {
        if (isLocal(peerId)) {
            return CompletableFuture.completedFuture(url);
        }
        String cached = addresses.get(peerId);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        CompletableFuture<String> f = new CompletableFuture<>();
        List<DistribusConnection> targets = new ArrayList<>(connections.values());
        if (targets.isEmpty()) {
            f.completeExceptionally(notFound(peerId));
            return f;
        }
        AtomicInteger left = new AtomicInteger(targets.size());
        ObjectNode p = DistroJson.MAPPER.createObjectNode().put("id", peerId);
        for (DistribusConnection c : targets) {
            c.request("find", p).whenComplete((r, e) -> {
                if (e == null && r != null && r.isTextual() && !r.asText().isEmpty()) {
                    if (!f.isDone()) {
                        addresses.put(peerId, r.asText());
                    }
                    f.complete(r.asText());
                }
                if (left.decrementAndGet() == 0) {
                    f.completeExceptionally(notFound(peerId));
                }
            });
        }
        return f;
    }

    private static PeerNotFoundException notFound(String peerId) {
        return new PeerNotFoundException("Peer not found (id: " + peerId + ")");
    }

    /**
     * Makes a Node-side peer addressable from the Java side: finds it and creates a proxy peer with its id on the
     * host; Java peers then simply {@code send} to that id. Completes with the proxy (or the existing local peer).
     */
    public CompletableFuture<Peer> importPeer(String peerId) {
        Peer existing = host.get(peerId);
        if (existing != null) {
            return CompletableFuture.completedFuture(existing);
        }
        return find(peerId).thenApply(u -> proxy(peerId, u));
    }

    /** The proxy for a Node-side peer, created when missing; null when a real Java peer has that id. */
    private synchronized Peer proxy(String peerId, String at) {
        Peer p = host.get(peerId);
        if (p != null) {
            if (at != null && proxies.containsKey(peerId)) {
                proxies.put(peerId, at);
            }
            return proxies.containsKey(peerId) ? p : null;
        }
        p = host.create(peerId);
        proxies.put(peerId, at == null ? "" : at);
        Peer proxy = p;
        p.onMessage((from, m) -> forward(from, proxy.id(), m));
        return p;
    }

    /** A Java peer sent to a proxy: distribus {@code send} to the host that has the Node peer. */
    private void forward(String from, String to, Message m) {
        JsonNode payload = DistroJson.payload(m);
        find(to).thenCompose(u -> {
            DistribusConnection c = connections.get(u);
            if (c == null) {
                return CompletableFuture.failedFuture(new PeerUnreachableException("Peer unreachable (id: " + to
                        + ", url: " + u + ")"));
            }
            ObjectNode p = DistroJson.MAPPER.createObjectNode().put("from", from).put("to", to);
            p.set("message", payload);
            return c.request("send", p);
        }).whenComplete((r, e) -> {
            if (e != null) {
                forwardFailures.increment();
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (cause.getMessage() != null && cause.getMessage().contains("Peer not found")) {
                    addresses.remove(to);
                }
                LOG.warn("gateway {}: could not forward a message from {} to {}: {}", url, from, to,
                        cause.getMessage());
            }
        });
    }

    private static Object toJava(JsonNode message) {
        if (message == null || message.isNull() || message.isMissingNode()) {
            return null;
        }
        return message.isTextual() ? message.asText() : message;
    }

    // ------------------------------------------------------------------ publish

    private void onJavaPublish(String from, Message m) {
        if (publisher != null && publisher.id().equals(from)) {
            return;
        }
        String channel = m.header(Headers.CHANNEL);
        if (channel == null) {
            return;
        }
        ObjectNode p = DistroJson.MAPPER.createObjectNode().put("channel", channel);
        p.set("message", DistroJson.payload(m));
        // a notification to every host, as distribus does: receivers deliver locally only
        connections.values().forEach(c -> c.notify("publish", p));
    }

    private void onNodePublish(JsonNode params) {
        String channel = params.path("channel").asText(null);
        if (channel == null) {
            return;
        }
        try {
            publisher.publish(channel, toJava(params.get("message")));
        } catch (IllegalArgumentException e) {
            LOG.debug("gateway {}: channel '{}' is not a Meshbus subject: {}", url, channel, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ requests from Node hosts

    void onRequest(DistribusConnection c, JsonNode id, JsonNode message) {
        if (work.isShutdown()) {
            return;
        }
        try {
            work.execute(() -> handleRequest(c, id, message));
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closed meanwhile; the other host gets no answer, as from a host that went away
        }
    }

    private void handleRequest(DistribusConnection c, JsonNode id, JsonNode message) {
        {
            CompletableFuture<Reply> r;
            String method = message == null ? null : message.path("method").asText(null);
            try {
                r = handle(c, method, message == null ? null : message.get("params"));
            } catch (RuntimeException e) {
                r = CompletableFuture.failedFuture(e);
            }
            if (id == null) {
                return;
            }
            r.whenComplete((ok, e) -> {
                if (e != null) {
                    Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                    c.respond(id, null, true, cause.getMessage() == null ? cause.toString() : cause.getMessage());
                } else {
                    c.respond(id, ok.value, ok.present, null);
                }
            });
        }
    }

    private record Reply(JsonNode value, boolean present) {
        static CompletableFuture<Reply> of(JsonNode v) {
            return CompletableFuture.completedFuture(new Reply(v, true));
        }
    }

    /** An error whose text is exactly what distribus writes (no exception class prefix). */
    private static CompletableFuture<Reply> error(String text) {
        return CompletableFuture.failedFuture(new DistribusRemoteException(text));
    }

    private CompletableFuture<Reply> handle(DistribusConnection c, String method, JsonNode params) {
        JsonNode p = params == null ? DistroJson.MAPPER.nullNode() : params;
        switch (method == null ? "undefined" : method) {
            case "greeting": {
                String u = p.path("url").isTextual() ? p.get("url").asText() : null;
                JsonNode n = p.get("networkId");
                String theirs = n == null || n.isNull() || n.asText().isEmpty() ? null : n.asText();
                if (theirs != null && !theirs.equals(networkId)) {
                    return error("Network id mismatch (" + theirs + " !== "
                            + (networkId == null ? "undefined" : networkId) + ")");
                }
                ObjectNode answer = DistroJson.MAPPER.createObjectNode();
                if (networkId != null) {
                    answer.put("networkId", networkId);
                }
                if (u != null && !connections.containsKey(u)) {
                    c.url = u;
                    connections.put(u, c);
                    ScheduledFuture<?> t = timers.remove(u);
                    if (t != null) {
                        t.cancel(false);
                    }
                    // the others are told before the greeting is answered, as distribus does
                    return broadcastJoin(u).thenApply(v -> new Reply(answer, true));
                }
                return Reply.of(answer);
            }
            case "join": {
                String u = p.path("url").asText(null);
                if (u == null) {
                    return CompletableFuture.completedFuture(new Reply(null, false));
                }
                return join(u).thenApply(v -> new Reply(null, false));
            }
            case "goodbye": {
                String u = c.url;
                if (u != null && connections.get(u) == c) {
                    forgetPeers(u);
                    connections.remove(u);
                    // The leaver closes once it has our answer. distribus also sends a goodbye back first, which
                    // races that answer: the leaver could close before reading it and then wait on it for ever.
                    c.leaving = true;
                } else if (u != null) {
                    forgetPeers(u);
                }
                return Reply.of(DistroJson.MAPPER.getNodeFactory().textNode("goodbye"));
            }
            case "hosts": {
                if (p.path("urls").isArray()) {
                    p.get("urls").forEach(u -> join(u.asText()).exceptionally(e -> null));
                }
                ArrayNode a = DistroJson.MAPPER.createArrayNode();
                connections.keySet().forEach(a::add);
                return Reply.of(a);
            }
            case "find": {
                String pid = p.path("id").asText(null);
                return Reply.of(isLocal(pid) && url != null ? DistroJson.MAPPER.getNodeFactory().textNode(url)
                        : DistroJson.MAPPER.nullNode());
            }
            case "send":
                return send(c, p);
            case "publish":
                onNodePublish(p);
                return Reply.of(DistroJson.MAPPER.createObjectNode().putNull("result").putNull("error"));
            case "ping": {
                ObjectNode o = DistroJson.MAPPER.createObjectNode();
                o.set("result", params);
                o.putNull("error");
                if (params == null) {
                    o.remove("result");
                }
                return Reply.of(o);
            }
            default:
                return error("Unknown method \"" + (method == null ? "undefined" : method) + "\"");
        }
    }

    private CompletableFuture<Reply> send(DistribusConnection c, JsonNode p) {
        String from = p.path("from").asText(null);
        String to = p.path("to").asText(null);
        if (!isLocal(to)) {
            // distribus rejects with the Error's toString(), hence the "Error: " prefix on the wire
            return error("Error: Peer not found (id: " + to + ")");
        }
        Peer sender = from == null ? null : proxy(from, c.url);
        if (sender == null) {
            // the Node sender's id is taken by a Java peer here; say who it is through the gateway's own peer
            sender = publisher;
        }
        return sender.send(to, toJava(p.get("message")), requestTimeout).handle((v, e) -> {
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                if (cause instanceof PeerNotFoundException) {
                    throw new DistribusRemoteException("Error: Peer not found (id: " + to + ")");
                }
                throw new DistribusRemoteException(cause.getMessage());
            }
            return new Reply(DistroJson.MAPPER.nullNode(), true);
        });
    }

    @Override
    public String toString() {
        return "DistribusGateway[" + host.id() + " " + url + " " + connections.keySet() + "]";
    }
}
