package io.meshbus.compat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.error.ClosedException;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.error.SelfConnectionException;
import io.meshbus.error.UnexpectedPeerException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node speaking masterless 0.4.1's wire ({@code masterless+tcp://host:port}): JSON records ended by CRLF over TCP,
 * the {@code {"id","info"}} / {@code {"id"}} / {@code {"priority"}} / {@code {"confirm":true}} handshake with its
 * random-priority race, {@code [keep]} flags and {@code true} heartbeats. It follows masterless's per-node state
 * machine, so a Java node and a Node.js masterless node that dial each other at once end with one link.
 *
 * <p>Fixes over the original: lines are bounded ({@link #maxLine}) and bad input closes only that link with a typed,
 * logged, counted error; the send queue of a node that is not linked yet is bounded; {@code connect(uri)} keeps the
 * node (masterless's README said it did, its code did not); {@link #connections()} lists linked nodes only; no crash
 * on a heartbeat before the first send. All state lives on one event loop, so the handshake needs no locks.
 */
public final class MasterlessNode {
    private static final Logger LOG = LoggerFactory.getLogger(MasterlessNode.class);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEARTBEAT = "true\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int NOT_CONNECTED = 0;
    private static final int CONNECTING = 1;
    private static final int CONNECTED = 2;

    private final String id;
    private final InetSocketAddress bind;
    private final int maxLine;
    private final int maxQueue;
    private final EventLoop loop = Loops.group().next();
    private final ExecutorService events;
    private final List<MasterlessListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Remote> nodes = new ConcurrentHashMap<>();
    private final Set<String> keep = ConcurrentHashMap.newKeySet();
    private final Set<Conn> busy = new HashSet<>();
    private final LongAdder protocolErrors = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private volatile Channel server;
    private volatile boolean closed;
    private ScheduledFuture<?> heartbeat;

    private MasterlessNode(String id, InetSocketAddress bind, int maxLine, int maxQueue) {
        this.id = Objects.requireNonNull(id, "id");
        this.bind = bind;
        this.maxLine = maxLine;
        this.maxQueue = maxQueue;
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
        loop.execute(() -> dial(u.getHost(), u.getPort(), f, keepIt));
        return f;
    }

    /** Keeps (or stops keeping) a node, and tells it so. */
    public void keep(String nodeId, boolean b) {
        loop.execute(() -> {
            if (b) {
                keep.add(nodeId);
            } else {
                keep.remove(nodeId);
            }
            Remote n = nodes.get(nodeId);
            if (n != null && n.stream != null) {
                n.send(record(b ? "[true]" : "[false]"));
            }
        });
    }

    public boolean isKept(String nodeId) {
        return keep.contains(nodeId);
    }

    /** The nodes with a link up (masterless also listed the ones still shaking hands). */
    public List<String> connections() {
        List<String> out = new ArrayList<>();
        nodes.forEach((k, n) -> {
            if (n.stream != null) {
                out.add(k);
            }
        });
        return out;
    }

    /**
     * Sends a packet (a JSON object: an ObjectNode, a Map or a bean); false when the node is unknown or its queue is
     * full. Queued while the link is being set up, written at once otherwise.
     */
    public boolean send(String to, Object packet) {
        ByteBuf bytes = encode(packet);
        try {
            return enqueue(to, bytes.retainedDuplicate());
        } finally {
            bytes.release();
        }
    }

    /** Sends one packet to several nodes, encoded once; returns how many nodes it was queued for. */
    public int send(Collection<String> to, Object packet) {
        ByteBuf bytes = encode(packet);
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
        Remote n = nodes.get(to);
        if (n == null || closed) {
            b.release();
            return false;
        }
        loop.execute(() -> {
            Remote now = nodes.get(to);
            if (now == null) {
                b.release();
                dropped.increment();
            } else {
                now.send(b);
            }
        });
        return true;
    }

    private static ByteBuf encode(Object packet) {
        JsonNode j = packet instanceof JsonNode n ? n : DistroJson.MAPPER.valueToTree(packet);
        if (j == null || !j.isObject()) {
            throw new IllegalArgumentException("expected object packet");
        }
        try {
            byte[] json = DistroJson.MAPPER.writeValueAsBytes(j);
            return Unpooled.buffer(json.length + 2).writeBytes(json).writeBytes(CRLF);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode packet: " + e.getMessage(), e);
        }
    }

    private static ByteBuf record(String json) {
        return Unpooled.copiedBuffer(json + "\r\n", StandardCharsets.UTF_8);
    }

    /** Drops the node now: no reconnect, its link is closed, queued packets are lost. */
    public void disconnect(String nodeId) {
        loop.execute(() -> disconnectNow(nodeId));
    }

    private void disconnectNow(String nodeId) {
        keep.remove(nodeId);
        Remote n = nodes.remove(nodeId);
        if (n != null) {
            if (n.stream != null) {
                n.stream.closing = true;
                n.stream.ch.close();
            }
            n.drop(new ClosedException("disconnected from " + nodeId));
            emit(l -> l.onDisconnect(nodeId));
        }
    }

    public CompletableFuture<Void> close() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        loop.execute(() -> {
            closed = true;
            keep.clear();
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
            for (Remote n : new ArrayList<>(nodes.values())) {
                if (n.stream != null) {
                    n.stream.closing = true;
                    n.stream.ch.close();
                }
                n.drop(new ClosedException("node " + id + " closed"));
            }
            nodes.clear();
            new ArrayList<>(busy).forEach(c -> c.ch.close());
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
        for (Remote n : nodes.values()) {
            if (n.stream != null && now - n.lastSend >= TimeUnit.SECONDS.toNanos(1)) {
                n.stream.ch.writeAndFlush(Unpooled.wrappedBuffer(HEARTBEAT));
            }
        }
    }

    private void emit(java.util.function.Consumer<MasterlessListener> e) {
        if (!listeners.isEmpty() && !events.isShutdown()) {
            try {
                events.execute(() -> listeners.forEach(l -> {
                    try {
                        e.accept(l);
                    } catch (RuntimeException x) {
                        LOG.warn("masterless {}: listener failed", id, x);
                    }
                }));
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // the node closed meanwhile: nobody is listening any more
            }
        }
    }

    private Remote node(String nodeId) {
        return nodes.computeIfAbsent(nodeId, Remote::new);
    }

    /** Forgets a node entry nothing refers to any more (masterless kept these forever). */
    private void tidy(Remote n) {
        if (n.localState == NOT_CONNECTED && n.remoteState == NOT_CONNECTED && n.stream == null && !n.reconnecting
                && n.queue.isEmpty() && n.waiters.isEmpty()) {
            nodes.remove(n.id, n);
        }
    }

    // ------------------------------------------------------------------ connections

    private void dial(String host, int port, CompletableFuture<String> done, boolean keepIt) {
        if (closed) {
            done.completeExceptionally(new ClosedException("node " + id + " closed"));
            return;
        }
        if (isSelf(host, port)) {
            // masterless only noticed after a round trip (its TODO); the address tells us up front.
            done.completeExceptionally(new SelfConnectionException("tcp://" + host + ":" + port + " is this node ("
                    + id + ")"));
            return;
        }
        new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        initOutgoing(ch, host, port, done, keepIt);
                    }
                }).connect(host, port).addListener((ChannelFutureListener) r -> {
                    if (!r.isSuccess()) {
                        done.completeExceptionally(new PeerUnreachableException("cannot connect to tcp://" + host
                                + ":" + port + ": " + r.cause().getMessage(), r.cause()));
                    }
                });
    }

    // The two pipelines are package-private so that the fuzz test drives exactly what a socket gets.

    void initIncoming(Channel ch) {
        ch.pipeline().addLast(new LineBasedFrameDecoder(maxLine, true, true), new Conn(ch, false, null, null, false));
    }

    void initOutgoing(Channel ch, String host, int port, CompletableFuture<String> done, boolean keepIt) {
        Conn c = new Conn(ch, true, host, port, keepIt);
        c.done = done;
        ch.pipeline().addLast(new IdleStateHandler(5, 0, 0), new LineBasedFrameDecoder(maxLine, true, true), c);
    }

    private boolean isSelf(String host, int port) {
        Channel s = server;
        if (s == null) {
            return false;
        }
        InetSocketAddress own = (InetSocketAddress) s.localAddress();
        if (own.getPort() != port) {
            return false;
        }
        try {
            java.net.InetAddress a = java.net.InetAddress.getByName(host);
            return a.equals(own.getAddress()) || own.getAddress().isAnyLocalAddress()
                    && (a.isLoopbackAddress() || java.net.NetworkInterface.getByInetAddress(a) != null);
        } catch (IOException e) {
            return false;
        }
    }

    /** The node a dial to host:port reached, when its own dial (incoming here) won the race. */
    private Remote byInfo(String host, Integer port) {
        if (host == null || port == null) {
            return null;
        }
        for (Remote r : nodes.values()) {
            if (port.equals(r.infoPort) && sameHost(host, r.infoHost)) {
                return r;
            }
        }
        return null;
    }

    private static boolean sameHost(String a, String b) {
        if (b == null) {
            return false;
        }
        if (a.equalsIgnoreCase(b)) {
            return true;
        }
        try {
            return java.net.InetAddress.getByName(a).equals(java.net.InetAddress.getByName(b));
        } catch (IOException e) {
            return false;
        }
    }

    /** masterless's reconnect(): one attempt to the stored address, for a kept node only. */
    private void reconnect(Remote n, Conn conn) {
        if (n.reconnecting || !keep.contains(n.id) || closed || conn.host == null) {
            disconnectNow(n.id);
            return;
        }
        LOG.debug("masterless {}: reconnecting to {}", id, n.id);
        n.reconnecting = true;
        CompletableFuture<String> f = new CompletableFuture<>();
        f.whenComplete((got, e) -> loop.execute(() -> {
            if (e != null || !n.id.equals(got)) {
                if (nodes.get(n.id) == n && n.stream == null) {
                    n.reconnecting = false;
                    disconnectNow(n.id);
                }
            }
        }));
        dial(conn.host, conn.port, f, true);
    }

    /** State per remote node id, as masterless's Node object. Touched on the event loop only. */
    private final class Remote {
        final String id;
        final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
        final List<CompletableFuture<String>> waiters = new ArrayList<>();
        volatile Conn stream;
        long lastSend = System.nanoTime();
        int localState;
        double localPriority;
        int remoteState;
        double remotePriority;
        boolean keeping = true;
        boolean reconnecting;
        String infoHost;
        int infoPort;

        Remote(String id) {
            this.id = id;
        }

        void send(ByteBuf b) {
            Conn s = stream;
            if (s != null) {
                lastSend = System.nanoTime();
                s.ch.writeAndFlush(b, s.ch.voidPromise());
            } else if (queue.size() >= maxQueue) {
                b.release();
                dropped.increment();
            } else {
                queue.add(b);
            }
        }

        void linked(Conn c) {
            stream = c;
            for (ByteBuf b; (b = queue.poll()) != null; ) {
                c.ch.write(b, c.ch.voidPromise());
            }
            c.ch.flush();
            lastSend = System.nanoTime();
            waiters.forEach(w -> w.complete(id));
            waiters.clear();
        }

        void drop(RuntimeException why) {
            for (ByteBuf b; (b = queue.poll()) != null; ) {
                b.release();
            }
            waiters.forEach(w -> w.completeExceptionally(why));
            waiters.clear();
        }
    }

    /** One TCP connection: its handshake (outgoing or incoming), then the link's records. */
    private final class Conn extends ChannelInboundHandlerAdapter {
        final Channel ch;
        final boolean outgoing;
        String host;
        Integer port;
        final boolean keepOnConnect;
        CompletableFuture<String> done;
        Remote node;
        boolean linked;
        boolean finished;
        boolean closing;

        Conn(Channel ch, boolean outgoing, String host, Integer port, boolean keepOnConnect) {
            this.ch = ch;
            this.outgoing = outgoing;
            this.host = host;
            this.port = port;
            this.keepOnConnect = keepOnConnect;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            busy.add(this);
            if (closed) {
                ch.close();
                return;
            }
            if (outgoing) {
                ObjectNode hello = DistroJson.MAPPER.createObjectNode().put("id", id).put("info", nodeInfo());
                ch.writeAndFlush(record(hello.toString()));
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            JsonNode data;
            try {
                byte[] bytes = ByteBufUtil.getBytes(b);
                data = bytes.length == 0 ? null : DistroJson.MAPPER.readTree(bytes);
            } catch (IOException e) {
                violation(new ProtocolViolationException("not a JSON record: " + e.getMessage(), e));
                return;
            } finally {
                b.release();
            }
            if (data == null || finished) {
                return;
            }
            if (linked) {
                onLinkRecord(data);
            } else if (outgoing) {
                onOutgoingRecord(data);
            } else {
                onIncomingRecord(data);
            }
        }

        private void violation(RuntimeException e) {
            protocolErrors.increment();
            String who = node == null ? String.valueOf(ch.remoteAddress()) : node.id;
            LOG.warn("masterless {}: closing the link with {}: {}", id, who, e.getMessage());
            emit(l -> l.onProtocolError(node == null ? null : node.id, e));
            abort(e);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable e) {
            if (e instanceof TooLongFrameException) {
                violation(new FrameTooLargeException("record longer than " + maxLine + " bytes"));
            } else {
                LOG.debug("masterless {}: connection error: {}", id, e.toString());
                abort(new PeerUnreachableException("connection error: " + e.getMessage(), e));
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                abort(new PeerUnreachableException("connection timed out"));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            busy.remove(this);
            if (finished) {
                return;
            }
            finished = true;
            if (linked) {
                onLinkEnd();
            } else {
                if (node != null) {
                    if (outgoing) {
                        node.localState = NOT_CONNECTED;
                        node.localPriority = 0;
                    } else {
                        node.remoteState = NOT_CONNECTED;
                        node.remotePriority = 0;
                    }
                }
                fail(new PeerUnreachableException("connection closed"));
            }
        }

        /** An error: masterless's onerror on each side (close, maybe reconnect). */
        private void abort(RuntimeException e) {
            if (finished) {
                ch.close();
                return;
            }
            finished = true;
            busy.remove(this);
            if (linked) {
                Remote n = node;
                n.stream = null;
                clearDirection(n);
                ch.close();
                if (!closed) {
                    reconnect(n, this);
                }
                return;
            }
            if (node != null) {
                if (outgoing) {
                    if (node.remoteState == NOT_CONNECTED && !closed) {
                        reconnect(node, this);
                    }
                    node.localState = NOT_CONNECTED;
                    node.localPriority = 0;
                } else {
                    if (node.localState == NOT_CONNECTED && !closed) {
                        reconnect(node, this);
                    }
                    node.remoteState = NOT_CONNECTED;
                    node.remotePriority = 0;
                }
            }
            ch.close();
            fail(e);
        }

        /** Ends a handshake that did not make a link; the dial still succeeds when another link to the node does. */
        private void fail(RuntimeException e) {
            CompletableFuture<String> d = done;
            done = null;
            Remote n = node;
            if (n == null && outgoing && d != null) {
                n = byInfo(host, port);
            }
            if (d != null) {
                if (n != null && n.stream != null) {
                    d.complete(n.id);
                } else if (n != null && (n.remoteState != NOT_CONNECTED || n.localState != NOT_CONNECTED
                        || n.reconnecting)) {
                    // another handshake with that node is still running: this dial succeeds if that one does
                    n.waiters.add(d);
                } else {
                    d.completeExceptionally(e);
                }
            }
            if (n != null) {
                if (n.stream == null && n.remoteState == NOT_CONNECTED && n.localState == NOT_CONNECTED
                        && !n.reconnecting && !n.waiters.isEmpty()) {
                    n.waiters.forEach(w -> w.completeExceptionally(e));
                    n.waiters.clear();
                }
                tidy(n);
            }
        }

        /** Closes a connection the handshake rejects (no reconnect). */
        private void end(RuntimeException why) {
            finished = true;
            busy.remove(this);
            ch.close();
            fail(why);
        }

        private void onOutgoingRecord(JsonNode data) {
            if (node == null && data.isObject() && data.hasNonNull("id")) {
                String rid = data.get("id").asText();
                if (rid.equals(id)) {
                    end(new SelfConnectionException("connected to itself (id " + id + ")"));
                    return;
                }
                node = node(rid);
                node.infoHost = host;
                node.infoPort = port;
                if (keepOnConnect) {
                    keep.add(rid);
                }
                if (node.localState != NOT_CONNECTED) {
                    ch.writeAndFlush(record("{\"priority\":0}"));
                    end(new UnexpectedPeerException("duplicate outgoing connection"));
                    return;
                }
                if (node.remoteState == CONNECTED) {
                    ch.writeAndFlush(record("{\"priority\":0}"));
                    end(new UnexpectedPeerException("duplicate connection"));
                    return;
                }
                node.localState = CONNECTING;
                node.localPriority = node.remoteState == CONNECTING ? random() : 1;
                ch.writeAndFlush(record("{\"priority\":" + node.localPriority + "}"));
            } else if (node != null && data.isObject() && data.path("confirm").asBoolean(false)) {
                node.localState = CONNECTED;
                node.localPriority = 1;
                handshake();
                CompletableFuture<String> d = done;
                done = null;
                if (d != null) {
                    d.complete(node.id);
                }
            } else if (!data.isBoolean() || !data.booleanValue()) {
                if (node != null) {
                    node.localState = NOT_CONNECTED;
                    node.localPriority = 0;
                }
                violation(new ProtocolViolationException("unexpected packet in the handshake: " + data));
            }
        }

        private void onIncomingRecord(JsonNode data) {
            if (node == null && data.isObject() && data.hasNonNull("id")) {
                String rid = data.get("id").asText();
                if (rid.equals(id)) {
                    end(new SelfConnectionException("incoming self-connection"));
                    return;
                }
                URI info;
                try {
                    info = URI.create(data.path("info").asText(""));
                } catch (IllegalArgumentException e) {
                    info = null;
                }
                if (info == null || info.getHost() == null || info.getPort() <= 0) {
                    violation(new ProtocolViolationException("bad info on incoming connection: " + data.get("info")));
                    return;
                }
                host = info.getHost();
                port = info.getPort();
                node = node(rid);
                node.infoHost = host;
                node.infoPort = port;
                if (node.remoteState != NOT_CONNECTED) {
                    Remote n = node;
                    node = null;
                    end(new UnexpectedPeerException("duplicate incoming connection"));
                    tidy(n);
                    return;
                }
                if (node.localState != NOT_CONNECTED) {
                    node.remoteState = NOT_CONNECTED;
                    node.remotePriority = 0;
                    end(new UnexpectedPeerException("duplicate connection"));
                    return;
                }
                node.remoteState = CONNECTING;
                ch.writeAndFlush(record(DistroJson.MAPPER.createObjectNode().put("id", id).toString()));
            } else if (node != null && data.isObject() && data.path("priority").isNumber()) {
                if (node.localState == CONNECTED) {
                    node.remoteState = NOT_CONNECTED;
                    node.remotePriority = 0;
                    end(new UnexpectedPeerException("duplicate connection"));
                    return;
                }
                node.remotePriority = data.get("priority").asDouble();
                if (node.localState == CONNECTING && node.remotePriority < node.localPriority) {
                    node.remoteState = NOT_CONNECTED;
                    node.remotePriority = 0;
                    end(new UnexpectedPeerException("lost the priority race"));
                    return;
                }
                node.remoteState = CONNECTED;
                node.remotePriority = 1;
                ch.writeAndFlush(record("{\"confirm\":true}"));
                handshake();
            } else if (!data.isBoolean() || !data.booleanValue()) {
                if (node != null) {
                    node.remoteState = NOT_CONNECTED;
                    node.remotePriority = 0;
                }
                violation(new ProtocolViolationException("unexpected packet in the handshake: " + data));
            }
        }

        /** masterless's onhandshake: the link is up. */
        private void handshake() {
            linked = true;
            busy.remove(this);
            Remote n = node;
            n.linked(this);
            String nid = n.id;
            URI info = host == null ? null : Dialect.MASTERLESS.wrap("tcp://" + host + ":" + port);
            if (n.reconnecting) {
                n.reconnecting = false;
            } else {
                emit(l -> l.onConnect(nid, info));
            }
            ch.writeAndFlush(record(keep.contains(nid) ? "[true]" : "[false]"));
        }

        private void onLinkRecord(JsonNode packet) {
            if (packet.isBoolean() && packet.booleanValue()) {
                return;
            }
            Remote n = node;
            if (packet.isArray()) {
                n.keeping = packet.path(0).asBoolean(false);
                if (!keep.contains(n.id) && !n.keeping) {
                    LOG.debug("masterless {}: discarding unwanted link to {}", id, n.id);
                    finished = true;
                    nodes.remove(n.id, n);
                    n.stream = null;
                    ch.close();
                    n.drop(new ClosedException("link to " + n.id + " discarded: neither side keeps it"));
                    emit(l -> l.onDisconnect(n.id));
                }
            } else if (packet.isObject()) {
                ObjectNode o = (ObjectNode) packet;
                emit(l -> l.onMessage(n.id, o));
            } else {
                violation(new ProtocolViolationException("packet is not an object: " + packet));
            }
        }

        private void onLinkEnd() {
            Remote n = node;
            if (closed) {
                return;
            }
            if (keep.contains(n.id)) {
                n.stream = null;
                clearDirection(n);
                reconnect(n, this);
            } else {
                nodes.remove(n.id, n);
                n.stream = null;
                n.drop(new ClosedException("link to " + n.id + " closed"));
                emit(l -> l.onDisconnect(n.id));
            }
        }

        private void clearDirection(Remote n) {
            if (n.remoteState == CONNECTED && !outgoing) {
                n.remoteState = NOT_CONNECTED;
                n.remotePriority = 0;
            } else {
                n.localState = NOT_CONNECTED;
                n.localPriority = 0;
            }
        }
    }

    private static double random() {
        double p;
        do {
            p = ThreadLocalRandom.current().nextDouble();
        } while (p == 0);
        return p;
    }

    @Override
    public String toString() {
        return "MasterlessNode[" + id + " " + info() + "]";
    }

    /** A snapshot of the handshake states, for tests and diagnostics. */
    Map<String, String> states() {
        CompletableFuture<Map<String, String>> f = new CompletableFuture<>();
        loop.execute(() -> {
            Map<String, String> m = new HashMap<>();
            nodes.forEach((k, n) -> m.put(k, n.localState + "/" + n.remoteState + (n.stream != null ? "+" : "")));
            f.complete(m);
        });
        return f.join();
    }
}
