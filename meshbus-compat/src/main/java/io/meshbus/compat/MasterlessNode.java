package io.meshbus.compat;

import io.meshbus.error.ClosedException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node speaking masterless 0.4.1's wire ({@code masterless+tcp://host:port}): JSON records ended by CRLF over TCP,
 * the {@code {"id","info"}} / {@code {"id"}} / {@code {"priority"}} / {@code {"confirm":true}} handshake with its
 * random-priority race, {@code [keep]} flags and {@code true} heartbeats. It follows masterless's per-node state
 * machine ({@link MasterlessHandshake}), so a Java node and a Node.js masterless node that dial each other at once
 * end with one link.
 *
 * <p>Fixes over the original: lines are bounded ({@link #maxLine}) and bad input closes only that link with a typed,
 * logged, counted error; the send queue of a node that is not linked yet is bounded; {@code connect(uri)} keeps the
 * node (masterless's README said it did, its code did not); {@link #connections()} lists linked nodes only; no crash
 * on a heartbeat before the first send; {@link #disconnect} reports the disconnect once (masterless twice).
 *
 * <p>The rooms: this class is the API, the lifecycle and the heartbeat; {@link MasterlessRegistry} the nodes known
 * and kept, {@link MasterlessRemote} one of them, {@link MasterlessDialer} outgoing dials and re-dials,
 * {@link MasterlessConnection} one TCP connection, {@link MasterlessHandshake} the link-state table and
 * {@link MasterlessRecords} the bytes.
 *
 * <p>Threads: all state lives on one event loop ({@link #loop}), so the handshake needs no locks; the API may be called
 * from any thread and hands its work to that loop. Listeners run in order on the node's own event thread.
 */
public final class MasterlessNode {
    private static final Logger LOG = LoggerFactory.getLogger(MasterlessNode.class);

    private final String id;
    private final InetSocketAddress bind;
    private final int maxLine;
    private final EventLoop loop = Loops.group().next();
    private final ExecutorService events;
    private final List<MasterlessListener> listeners = new CopyOnWriteArrayList<>();
    private final LongAdder protocolErrors = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final MasterlessRegistry registry;
    private final Links links = new Links();
    private final MasterlessDialer dialer;
    /** Connections still shaking hands, closed with the node. */
    private final Set<MasterlessConnection> busy = new HashSet<>(); // guarded by the event loop
    private volatile Channel server;
    private volatile boolean closed;
    private ScheduledFuture<?> heartbeat; // guarded by the event loop

    private MasterlessNode(String id, InetSocketAddress bind, int maxLine, int maxQueue) {
        this.id = Objects.requireNonNull(id, "id");
        this.bind = bind;
        this.maxLine = maxLine;
        this.registry = new MasterlessRegistry(rid -> new MasterlessRemote(rid, new MasterlessHandshake(), maxQueue,
                dropped));
        this.dialer = new MasterlessDialer(id, loop, registry, links);
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "masterless-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /** A node listening on {@code masterless+tcp://host:port} (or {@code tcp://}); port 0 picks a free one. */
    public static MasterlessNode create(String id, String listen) {
        return create(id, listen, 1 << 20, 10_000);
    }

    /**
     * @param maxLine  the longest record accepted, in bytes (masterless had no limit)
     * @param maxQueue packets held for a node whose link is not up yet (masterless had no limit)
     */
    public static MasterlessNode create(String id, String listen, int maxLine, int maxQueue) {
        URI u = URI.create(listen);
        if (u.getHost() == null || u.getPort() < 0) {
            throw new IllegalArgumentException("listen: expected masterless+tcp://host:port, was " + listen);
        }
        return new MasterlessNode(id, new InetSocketAddress(u.getHost(), u.getPort()), maxLine, maxQueue);
    }

    public String id() {
        return id;
    }

    /** Records dropped for bad input (each closed its link). */
    public long protocolErrors() {
        return protocolErrors.sum();
    }

    /** Packets dropped because a node's queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    public void addListener(MasterlessListener l) {
        listeners.add(l);
    }

    /** Starts listening and sending heartbeats; completes with this node. */
    public CompletableFuture<MasterlessNode> start() {
        CompletableFuture<MasterlessNode> f = new CompletableFuture<>();
        new ServerBootstrap().group(loop, loop).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        initIncoming(ch);
                    }
                }).bind(bind).addListener((ChannelFutureListener) r -> {
                    if (!r.isSuccess()) {
                        f.completeExceptionally(r.cause());
                        return;
                    }
                    server = r.channel();
                    heartbeat = loop.scheduleAtFixedRate(this::heartbeat, 1, 1, TimeUnit.SECONDS);
                    URI info = info();
                    emit(l -> l.onListening(info));
                    f.complete(this);
                });
        return f;
    }

    /** Where this node listens, as {@code masterless+tcp://host:port}; null before {@link #start()}. */
    public URI info() {
        String t = nodeInfo();
        return t == null ? null : Dialect.MASTERLESS.wrap(t);
    }

    /** The {@code tcp://host:port} string masterless nodes exchange in their handshake. */
    public String nodeInfo() {
        Channel s = server;
        if (s == null) {
            return null;
        }
        InetSocketAddress a = (InetSocketAddress) s.localAddress();
        String h = a.getAddress().getHostAddress();
        return "tcp://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /** Connects and keeps the node (re-dialled once when its link breaks, as masterless does). */
    public CompletableFuture<String> connect(String uri) {
        return connect(uri, true);
    }

    /**
     * Connects to a masterless node; completes with its id once a link exists between the two nodes, whichever of
     * the crossing dials won. A link neither side keeps is closed after the handshake, as in masterless.
     */
    public CompletableFuture<String> connect(String uri, boolean keepIt) {
        URI u = Dialect.strip(URI.create(uri));
        if (u.getHost() == null || u.getPort() <= 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("expected valid transport uri"));
        }
        CompletableFuture<String> f = new CompletableFuture<>();
        loop.execute(() -> dialer.dial(u.getHost(), u.getPort(), f, keepIt));
        return f;
    }

    /** Keeps (or stops keeping) a node, and tells it so. */
    public void keep(String nodeId, boolean b) {
        loop.execute(() -> {
            registry.keep(nodeId, b);
            MasterlessRemote n = registry.get(nodeId);
            if (n != null && n.stream != null) {
                n.send(MasterlessRecords.keep(b));
            }
        });
    }

    public boolean isKept(String nodeId) {
        return registry.isKept(nodeId);
    }

    /** The nodes with a link up (masterless also listed the ones still shaking hands). */
    public List<String> connections() {
        return registry.linked();
    }

    /**
     * Sends a packet (a JSON object: an ObjectNode, a Map or a bean); false when the node is unknown or its queue is
     * full. Queued while the link is being set up, written at once otherwise.
     */
    public boolean send(String to, Object packet) {
        ByteBuf bytes = MasterlessRecords.packet(packet);
        try {
            return enqueue(to, bytes.retainedDuplicate());
        } finally {
            bytes.release();
        }
    }

    /** Sends one packet to several nodes, encoded once; returns how many nodes it was queued for. */
    public int send(Collection<String> to, Object packet) {
        ByteBuf bytes = MasterlessRecords.packet(packet);
        try {
            int n = 0;
            for (String t : to) {
                n += enqueue(t, bytes.retainedDuplicate()) ? 1 : 0;
            }
            return n;
        } finally {
            bytes.release();
        }
    }

    private boolean enqueue(String to, ByteBuf b) {
        if (registry.get(to) == null || closed) {
            b.release();
            return false;
        }
        loop.execute(() -> {
            MasterlessRemote now = registry.get(to);
            if (now == null) {
                b.release();
                dropped.increment();
            } else {
                now.send(b);
            }
        });
        return true;
    }

    /** Drops the node now: no reconnect, its link is closed, queued packets are lost. */
    public void disconnect(String nodeId) {
        loop.execute(() -> disconnectNow(nodeId));
    }

    private void disconnectNow(String nodeId) {
        registry.keep(nodeId, false);
        MasterlessRemote n = registry.remove(nodeId);
        if (n != null) {
            MasterlessConnection s = n.stream;
            if (s != null) {
                s.closeLink();
            }
            n.drop(new ClosedException("disconnected from " + nodeId));
            emit(l -> l.onDisconnect(nodeId));
        }
    }

    public CompletableFuture<Void> close() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        loop.execute(() -> {
            closed = true;
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
            for (MasterlessRemote n : registry.all()) {
                MasterlessConnection s = n.stream;
                if (s != null) {
                    s.closeLink();
                }
                n.drop(new ClosedException("node " + id + " closed"));
            }
            registry.clear();
            new ArrayList<>(busy).forEach(c -> c.channel().close());
            busy.clear();
            Channel s = server;
            if (s == null) {
                f.complete(null);
            } else {
                s.close().addListener(r -> f.complete(null));
            }
        });
        return f.whenComplete((v, e) -> events.shutdown());
    }

    private void heartbeat() {
        long now = System.nanoTime();
        for (MasterlessRemote n : registry.live()) {
            n.heartbeat(now);
        }
    }

    private void emit(Consumer<MasterlessListener> e) {
        if (!listeners.isEmpty() && !events.isShutdown()) {
            try {
                events.execute(() -> listeners.forEach(l -> {
                    try {
                        e.accept(l);
                    } catch (RuntimeException x) {
                        LOG.warn("masterless {}: listener failed", id, x);
                    }
                }));
            } catch (RejectedExecutionException closing) {
                // the node closed meanwhile: nobody is listening any more
            }
        }
    }

    // The two pipelines are package-private so that the fuzz test drives exactly what a socket gets.

    void initIncoming(Channel ch) {
        ch.pipeline().addLast(new LineBasedFrameDecoder(maxLine, true, true),
                new MasterlessConnection(links, registry, ch, maxLine, null));
    }

    void initOutgoing(Channel ch, String host, int port, CompletableFuture<String> done, boolean keepIt) {
        ch.pipeline().addLast(new IdleStateHandler(5, 0, 0), new LineBasedFrameDecoder(maxLine, true, true),
                new MasterlessConnection(links, registry, ch, maxLine,
                        new MasterlessConnection.Dial(host, port, done, keepIt)));
    }

    /** What the connections and the dialer may ask of the node, and no more. */
    private final class Links implements MasterlessConnection.Owner, MasterlessDialer.Owner {
        @Override
        public String id() {
            return id;
        }

        @Override
        public String nodeInfo() {
            return MasterlessNode.this.nodeInfo();
        }

        @Override
        public boolean closed() {
            return closed;
        }

        @Override
        public void handshaking(MasterlessConnection c, boolean b) {
            if (b) {
                busy.add(c);
            } else {
                busy.remove(c);
            }
        }

        @Override
        public void reconnect(MasterlessRemote n, String host, Integer port) {
            dialer.reconnect(n, host, port);
        }

        @Override
        public void emit(Consumer<MasterlessListener> event) {
            MasterlessNode.this.emit(event);
        }

        @Override
        public void countProtocolError() {
            protocolErrors.increment();
        }

        @Override
        public InetSocketAddress listening() {
            Channel s = server;
            return s == null ? null : (InetSocketAddress) s.localAddress();
        }

        @Override
        public void initOutgoing(Channel ch, String host, int port, CompletableFuture<String> done, boolean keepIt) {
            MasterlessNode.this.initOutgoing(ch, host, port, done, keepIt);
        }

        @Override
        public void disconnectNow(String nodeId) {
            MasterlessNode.this.disconnectNow(nodeId);
        }
    }

    @Override
    public String toString() {
        return "MasterlessNode[" + id + " " + info() + "]";
    }

    /** A snapshot of the handshake states, for tests and diagnostics. */
    Map<String, String> states() {
        CompletableFuture<Map<String, String>> f = new CompletableFuture<>();
        loop.execute(() -> f.complete(registry.states()));
        return f.join();
    }
}
