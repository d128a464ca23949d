package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.error.ClosedException;
import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.node.Delay;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway's WebSocket links in a distribus network, kept as distribus's {@code Host} keeps them: the listening
 * socket, one connection per other host by url (whichever side dialled), the greeting that opens an outgoing one and
 * adopts the network's id, the join broadcast that makes a full mesh, the goodbye that ends one, and the timers. An
 * outgoing link that broke is re-dialled after distribus's delay (1 s by default), then after delay × decay per failed
 * attempt (distribus divided by its decay, so its retries got faster), until {@code reconnectTimeout} has passed
 * since the break; then that host's peers are forgotten. A host whose incoming link broke has that long to come back
 * before its peers are forgotten.
 *
 * <p>Threads: connection events arrive on Netty event loops, requests' calls on the gateway's work thread, the
 * gateway's calls on the caller's; the maps are concurrent and a connection's url is volatile. Timers run on the
 * compat event loops; the map holds the latest one per url, which is what a greeting or goodbye cancels.
 */
final class DistribusLinks implements DistribusConnection.Owner {
    private static final Logger LOG = LoggerFactory.getLogger(DistribusLinks.class);

    /** Where requests and notifications from other hosts go (see {@link DistribusConnection.Owner#onRequest}). */
    @FunctionalInterface
    interface Requests {
        void onRequest(DistribusConnection c, JsonNode id, JsonNode message);
    }

    private final Requests requests;
    /** Told the url of a host gone for good, to forget where its peers were. */
    private final Consumer<String> forgetPeers;
    private final int maxFrame;
    private final Duration requestTimeout;
    private final Delay redial;
    private final Duration reconnectTimeout;
    /** The greeted links, by the url of the host at the other end. */
    private final Map<String, DistribusConnection> connections = new ConcurrentHashMap<>();
    /** Every open connection, greeted or not, so that close() closes them all. */
    private final Set<DistribusConnection> all = ConcurrentHashMap.newKeySet();
    /** Per url: the next re-dial, or when an absent host's peers are forgotten. */
    private final Map<String, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();
    private final LongAdder protocolErrors = new LongAdder();
    private volatile String networkId;
    private volatile String url;
    private volatile Channel server;
    private volatile boolean closed;

    /**
     * @param networkId the distribus network id, or null to adopt the first network joined
     * @param redial    the wait before re-dial attempt n of a broken outgoing link
     */
    DistribusLinks(Requests requests, Consumer<String> forgetPeers, int maxFrame, Duration requestTimeout, Delay redial,
                   Duration reconnectTimeout, String networkId) {
        this.requests = requests;
        this.forgetPeers = forgetPeers;
        this.maxFrame = maxFrame;
        this.requestTimeout = requestTimeout;
        this.redial = redial;
        this.reconnectTimeout = reconnectTimeout;
        this.networkId = networkId;
    }

    /** distribus's timing: delay, then delay × decay per failed attempt, never beyond the reconnect timeout. */
    static Delay redial(Duration delay, double decay, Duration timeout) {
        return Delay.exponential(delay, timeout.compareTo(delay) > 0 ? timeout : delay, decay);
    }

    /** Listens; completes with the url other hosts know this one by ({@code ws://advertised:port}). */
    CompletableFuture<String> listen(InetSocketAddress bind, String advertisedHost) {
        CompletableFuture<Channel> bound = new CompletableFuture<>();
        new ServerBootstrap().group(Loops.group()).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        DistribusConnection c = new DistribusConnection(DistribusLinks.this, false, null,
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
        return bound.thenApply(ch -> {
            server = ch;
            url = "ws://" + advertisedHost + ":" + ((InetSocketAddress) ch.localAddress()).getPort();
            return url;
        });
    }

    /** This host's url, or null before {@link #listen}. */
    String url() {
        return url;
    }

    String networkId() {
        return networkId;
    }

    /** The urls of the hosts linked now, sorted. */
    Set<String> urls() {
        return new TreeSet<>(connections.keySet());
    }

    Collection<DistribusConnection> connected() {
        return connections.values();
    }

    /** The link to the host at that url, or null. */
    DistribusConnection get(String hostUrl) {
        return connections.get(hostUrl);
    }

    /** Frames and envelopes refused (each closed its connection). */
    long protocolErrors() {
        return protocolErrors.sum();
    }

    /**
     * distribus's join: dials the host at {@code target} ({@code distribus+ws://} or {@code ws://}) unless linked to
     * it already, greets it, then asks every other linked host to join it too.
     */
    CompletableFuture<Void> join(String target) {
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
                f.completeExceptionally(e instanceof CompletionException ? e.getCause() : e);
            }
        });
        return f;
    }

    /** Asks every linked host but the one at {@code joined} to join it; completes when all have answered. */
    CompletableFuture<Void> broadcastJoin(String joined) {
        List<CompletableFuture<?>> asked = new ArrayList<>();
        ObjectNode p = DistroJson.MAPPER.createObjectNode().put("url", joined);
        connections.forEach((u, c) -> {
            if (!u.equals(joined)) {
                asked.add(c.request("join", p).exceptionally(e -> null));
            }
        });
        return CompletableFuture.allOf(asked.toArray(new CompletableFuture<?>[0]));
    }

    /** Sends a notification to every linked host. */
    void notifyAll(String method, JsonNode params) {
        connections.values().forEach(c -> c.notify(method, params));
    }

    /** An incoming connection greeted with its host's url: true when that makes it the link to a new host. */
    boolean greeted(DistribusConnection c, String hostUrl) {
        if (connections.containsKey(hostUrl)) {
            return false;
        }
        c.url = hostUrl;
        connections.put(hostUrl, c);
        cancelTimer(hostUrl);
        return true;
    }

    /**
     * The other host said goodbye: the link is no longer one, and it closes once the other host has the answer.
     * distribus also sends a goodbye back first, which races that answer: the leaver could close before reading it
     * and then wait on it for ever.
     */
    void leftBy(DistribusConnection c) {
        String u = c.url;
        if (u != null && connections.remove(u, c)) {
            c.leaving = true;
        }
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
        return greet(c, u);
    }

    /** The greeting of an outgoing link: refused with distribus's text when the network ids differ. */
    private CompletableFuture<DistribusConnection> greet(DistribusConnection c, String u) {
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
                Throwable cause = e instanceof CompletionException ? e.getCause() : e;
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
            cancelTimer(u);
            LOG.debug("gateway {}: connected to {}", url, u);
            done.complete(c);
        });
        return done;
    }

    @Override
    public void accepted(DistribusConnection c) {
        LOG.debug("gateway {}: accepted a connection from {}", url, c.channel.remoteAddress());
    }

    @Override
    public void protocolError(DistribusConnection c, RuntimeException e) {
        protocolErrors.increment();
        LOG.warn("gateway {}: closing the connection with {}: {}: {}", url,
                c.url != null ? c.url : c.channel.remoteAddress(), e.getClass().getSimpleName(), e.getMessage());
    }

    @Override
    public void onRequest(DistribusConnection c, JsonNode id, JsonNode message) {
        requests.onRequest(c, id, message);
    }

    @Override
    public void closed(DistribusConnection c) {
        all.remove(c);
        String u = c.url;
        if (u == null || !connections.remove(u, c) || closed || c.leaving) {
            return;
        }
        if (c.outgoing() && c.opened.isDone() && !c.opened.isCompletedExceptionally()) {
            reconnect(u, System.nanoTime(), 1);
        } else {
            // distribus's acceptor only forgets the peers of a host that does not come back in time
            schedule(u, () -> {
                if (!connections.containsKey(u)) {
                    forgetPeers.accept(u);
                }
            }, reconnectTimeout.toMillis());
        }
    }

    private void reconnect(String u, long since, int attempt) {
        schedule(u, () -> {
            if (closed || connections.containsKey(u)) {
                return;
            }
            if (System.nanoTime() - since >= reconnectTimeout.toNanos()) {
                LOG.info("gateway {}: gave up reconnecting to {}", url, u);
                forgetPeers.accept(u);
                return;
            }
            connect(u).whenComplete((c, e) -> {
                if (e != null && !closed) {
                    reconnect(u, since, attempt + 1);
                }
            });
        }, redial.delay(attempt).toMillis());
    }

    /** Runs {@code task} for that url after the delay, in place of whatever timer it had. */
    private void schedule(String u, Runnable task, long delayMillis) {
        timers.put(u, Loops.group().schedule(() -> {
            timers.remove(u);
            task.run();
        }, delayMillis, TimeUnit.MILLISECONDS));
    }

    private void cancelTimer(String u) {
        ScheduledFuture<?> t = timers.remove(u);
        if (t != null) {
            t.cancel(false);
        }
    }

    /** Goodbye to every linked host (they forget this host's peers), then closes every connection and the socket. */
    CompletableFuture<Void> close() {
        closed = true;
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
        cancelTimer(u);
        return c.request("goodbye", null).orTimeout(5, TimeUnit.SECONDS).handle((r, e) -> {
            c.close();
            return null;
        });
    }
}
