package io.meshbus.node;

import io.meshbus.error.BackPressureException;
import io.meshbus.error.ClosedException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.internal.SerialExecutor;
import io.meshbus.message.Message;
import io.meshbus.transport.Listener;
import io.meshbus.transport.Transport;
import io.meshbus.transport.TransportResources;
import io.meshbus.wire.ControlFrameEncoder;
import io.meshbus.wire.Frame;
import io.meshbus.wire.FrameDecoder;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node: client and server at once, with an id. It listens, dials, and keeps exactly one link per remote node
 * whatever the order and timing of dials (the smaller id arbitrates every pair; see PROTOCOL.md). Messages are sent
 * by remote id; a kept link that breaks is re-dialled with a {@link Delay} until a give-up time; dead links are found
 * by heartbeats and an idle timeout.
 *
 * <p>Threads: I/O runs on Netty event loops; listeners run on the node's executor, in order per remote node. Every
 * method is thread-safe and none blocks: results come as {@link SendStatus} or {@link CompletableFuture}.
 */
public final class Node {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    final NodeOptions options;
    final NodeMetrics metrics = new NodeMetrics();
    /** The network secret, or null when links need none. */
    final Secret secret;
    /** Checks what remotes present, or null when any remote may link. */
    final Authenticator authenticator;
    /** What this node presents to the other side's authenticator (empty for none). */
    final byte[] credentials;
    private final String id;
    private final long incarnation;
    private final EventExecutorGroup scheduler = TransportResources.shared().network();
    private final ConcurrentHashMap<String, Remote> remotes = new ConcurrentHashMap<>();
    private final List<NodeListener> nodeListeners = new CopyOnWriteArrayList<>();
    private volatile MessageListener[] messageListeners = new MessageListener[0];
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final SerialExecutor nodeEvents;
    private final SendQueue.Evictions evictions = (item, future) -> {
        metrics.messagesDropped.increment();
        release(item);
        failLater(future, new BackPressureException(
                "dropped: the send queue overflowed and its policy drops the oldest"));
    };
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private volatile List<URI> addresses = List.of();
    private volatile String advertised = "";
    private volatile boolean started;
    private volatile boolean closed;

    Node(NodeOptions options) {
        this.options = options;
        this.id = options.id();
        // Changes on every start of the process (time-based, plus randomness for two starts in one millisecond).
        this.incarnation = (System.currentTimeMillis() << 16) | ThreadLocalRandom.current().nextInt(1 << 16);
        this.nodeEvents = new SerialExecutor(options.executor());
        this.secret = options.secret() == null ? null : new Secret(options.secret());
        this.authenticator = options.authenticator();
        this.credentials = options.credentials();
    }

    /** A builder of {@link NodeOptions} whose {@code build()} makes the node. */
    public static NodeOptions.Builder builder(String id) {
        return NodeOptions.builder(id);
    }

    public String id() {
        return id;
    }

    /** A number that differs between two runs of a node with the same id: a restarted node is a new incarnation. */
    public long incarnation() {
        return incarnation;
    }

    public NodeOptions options() {
        return options;
    }

    public NodeMetrics metrics() {
        return metrics;
    }

    /** The address other nodes dial to reach this one ({@code tcp://host:port}), or null before it listens. */
    public URI info() {
        List<URI> a = addresses;
        return a.isEmpty() ? null : a.get(0);
    }

    /** Every address this node listens on, the advertised one first. */
    public List<URI> addresses() {
        return addresses;
    }

    String advertisedText() {
        return advertised;
    }

    // ------------------------------------------------------------------ lifecycle

    /** Listens on every configured URI; completes when all are bound (a node with none is a pure client). */
    public synchronized CompletableFuture<Node> start() {
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedException("node " + id + " is closed"));
        }
        if (started) {
            return CompletableFuture.completedFuture(this);
        }
        started = true;
        List<CompletableFuture<Listener>> bound = new ArrayList<>();
        for (URI uri : options.listen()) {
            Transport t;
            try {
                t = options.transports().forUri(uri);
            } catch (IllegalArgumentException e) {
                bound.add(CompletableFuture.failedFuture(e));
                continue;
            }
            bound.add(t.listen(uri, (ch, accepted) -> initChannel(ch, null)));
        }
        return onExecutor(CompletableFuture.allOf(bound.toArray(new CompletableFuture[0])).handle((v, err) -> {
            List<URI> uris = new ArrayList<>();
            if (options.advertise() != null) {
                uris.add(options.advertise());
            }
            for (CompletableFuture<Listener> f : bound) {
                if (!f.isCompletedExceptionally()) {
                    Listener l = f.join();
                    listeners.add(l);
                    uris.add(l.address());
                }
            }
            if (err != null) {
                listeners.forEach(Listener::close);
                throw new CompletionException(unwrap(err));
            }
            addresses = List.copyOf(uris);
            advertised = uris.isEmpty() ? "" : uris.get(0).toString();
            for (URI u : uris) {
                LOG.info("node {} listening on {}", id, u);
                nodeEvents.execute(() -> nodeListeners.forEach(l -> l.onListening(u)));
            }
            return this;
        }));
    }

    /**
     * Says goodbye on every link, stops listening, fails every queued message with {@link ClosedException}, and
     * completes when every link is closed (links that do not close within {@code closeTimeout} are cut).
     */
    public CompletableFuture<Void> close() {
        synchronized (this) {
            if (closed) {
                return closeFuture;
            }
            closed = true;
        }
        listeners.forEach(Listener::close);
        for (Remote r : remotes.values()) {
            boolean linked;
            synchronized (r) {
                forget(r);
                linked = r.active != null;
            }
            if (!linked) {
                failQueue(r, new ClosedException("node " + id + " closed"));
            }
            // A linked remote's queue is written out before the goodbye (the drain runs first on the event loop);
            // whatever is left fails when the goodbye takes the link down.
        }
        for (Channel ch : channels) {
            NodeLink l = ch.pipeline().get(NodeLink.class);
            if (l != null) {
                l.goodbye(ErrorCode.CLOSED, "node " + id + " is closing");
            } else {
                ch.close();
            }
        }
        scheduler.schedule(() -> channels.forEach(Channel::close), options.closeTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        checkClosed();
        return onExecutor(closeFuture);
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkClosed() {
        if (closed && channels.isEmpty()) {
            closeFuture.complete(null);
        }
    }

    // ------------------------------------------------------------------ listeners

    /** Adds a message listener; the returned registration removes it. */
    public synchronized Registration onMessage(MessageListener listener) {
        Objects.requireNonNull(listener, "listener");
        List<MessageListener> l = new ArrayList<>(List.of(messageListeners));
        l.add(listener);
        messageListeners = l.toArray(new MessageListener[0]);
        return () -> {
            synchronized (Node.this) {
                List<MessageListener> c = new ArrayList<>(List.of(messageListeners));
                c.remove(listener);
                messageListeners = c.toArray(new MessageListener[0]);
            }
        };
    }

    /** Adds a listener of link events; the returned registration removes it. */
    public Registration addListener(NodeListener listener) {
        nodeListeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> nodeListeners.remove(listener);
    }

    // ------------------------------------------------------------------ links

    /** Dials a node, keeps the link (it is re-dialled if it breaks), and completes with the remote node's id. */
    public CompletableFuture<String> connect(String uri) {
        return connect(URI.create(uri), true);
    }

    public CompletableFuture<String> connect(URI uri) {
        return connect(uri, true);
    }

    /**
     * Dials a node and completes with its id. With {@code keep} false the link is only re-dialled if the other side
     * keeps it, and may be reaped when idle. If a link to that node exists already, or the two nodes dial each other
     * at the same time, the node still ends with one link, and this future completes with the remote id all the same.
     */
    public CompletableFuture<String> connect(URI uri, boolean keep) {
        Objects.requireNonNull(uri, "uri");
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedException("node " + id + " is closed"));
        }
        return onExecutor(dial(uri, null, keep, false));
    }

    CompletableFuture<String> dial(URI uri, String expectedId, boolean keep, boolean replace) {
        DialContext ctx = new DialContext(uri, expectedId, keep, replace, new CompletableFuture<>());
        Transport t;
        try {
            t = options.transports().forUri(uri);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        t.connect(uri, (ch, accepted) -> initChannel(ch, ctx), options.connectTimeout()).whenComplete((ch, err) -> {
            if (err != null) {
                ctx.fail(unwrap(err));
            }
        });
        if (keep) {
            return ctx.result().thenApply(rid -> {
                try {
                    keep(rid, true);
                } catch (PeerNotFoundException gone) {
                    // The link was refused or closed right after its handshake; the dial itself succeeded.
                }
                return rid;
            });
        }
        return ctx.result();
    }

    private void initChannel(Channel ch, DialContext dial) {
        long idle = options.idleTimeout().toMillis();
        long beat = options.heartbeatInterval().toMillis();
        ch.pipeline()
                .addLast("frames", new FrameDecoder(options.maxFrameSize()))
                .addLast("control", ControlFrameEncoder.INSTANCE)
                .addLast("idle", new IdleStateHandler(idle, beat, 0, TimeUnit.MILLISECONDS))
                .addLast("link", new NodeLink(this, ch, dial));
    }

    /** Closes the link to a node and stops keeping it (the other side may still re-dial if it keeps this node). */
    public CompletableFuture<Void> disconnect(String remoteId) {
        Remote r = remotes.get(remoteId);
        if (r == null) {
            return CompletableFuture.failedFuture(new PeerNotFoundException("no node " + remoteId + " is connected"));
        }
        NodeLink l;
        synchronized (r) {
            r.keptLocal = false;
            l = r.active;
        }
        if (l == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        l.ch.closeFuture().addListener(f -> done.complete(null));
        // Say first that this side no longer keeps the link, so the other side re-dials only if it keeps it.
        l.ch.write(new Frame.Keep(false), l.ch.voidPromise());
        l.goodbye(ErrorCode.CLOSED, "node " + id + " disconnected");
        return onExecutor(done);
    }

    /** Keeps (re-dials when it breaks) or stops keeping the link to a connected node, and tells that node. */
    public void keep(String remoteId, boolean keep) {
        Remote r = remotes.get(remoteId);
        if (r == null) {
            throw new PeerNotFoundException("no node " + remoteId + " is connected");
        }
        NodeLink l;
        synchronized (r) {
            if (r.keptLocal == keep) {
                return;
            }
            r.keptLocal = keep;
            l = r.active;
        }
        if (l != null) {
            l.ch.writeAndFlush(new Frame.Keep(keep), l.ch.voidPromise());
        }
    }

    public boolean isKept(String remoteId) {
        Remote r = remotes.get(remoteId);
        if (r == null) {
            return false;
        }
        synchronized (r) {
            return r.keptLocal;
        }
    }

    /**
     * The identity the authenticator gave the node at the other end of the active link (a token's owner, a
     * certificate's name), or empty when there is no such link or no authenticator named it.
     */
    public java.util.Optional<String> identity(String remoteId) {
        Remote r = remotes.get(remoteId);
        NodeLink l = r == null ? null : r.active;
        return java.util.Optional.ofNullable(l == null ? null : l.identity());
    }

    /**
     * Stops reading from that node until {@link #resumeInbound}: TCP then pushes back on its sender, and nothing is
     * lost. It holds for a link that replaces the current one too; the link's own inbound limit still applies, and
     * neither resumes what the other paused. A link not read for longer than {@code idleTimeout} is not taken for
     * dead meanwhile. Not counted: the caller counts its reasons and pairs each pause with one resume.
     *
     * @return completes (on the executor) with true once nothing more is read, what was read before still being
     *         delivered; with false when no such node is known
     */
    public CompletableFuture<Boolean> pauseInbound(String remoteId) {
        return setInboundPaused(remoteId, true);
    }

    /**
     * Reads from that node again, unless its link's inbound limit still holds.
     *
     * @return completes (on the executor) with true once reading is allowed again; false when no such node is known
     */
    public CompletableFuture<Boolean> resumeInbound(String remoteId) {
        return setInboundPaused(remoteId, false);
    }

    private CompletableFuture<Boolean> setInboundPaused(String remoteId, boolean paused) {
        Remote r = remotes.get(remoteId);
        if (r == null) {
            return CompletableFuture.completedFuture(false);
        }
        r.inboundPaused = paused;
        NodeLink l = r.active;
        if (l == null) {
            return CompletableFuture.completedFuture(true);
        }
        CompletableFuture<Boolean> applied = new CompletableFuture<>();
        try {
            l.ch.eventLoop().execute(() -> {
                l.applyReadState();
                applied.complete(true);
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the event loop is shutting down with the node: there is nothing left to read
            return CompletableFuture.completedFuture(true);
        }
        return onExecutor(applied);
    }

    /** Whether a link to that node has completed its handshake and is up now. */
    public boolean isConnected(String remoteId) {
        Remote r = remotes.get(remoteId);
        return r != null && r.active != null;
    }

    /** The ids of nodes with a link whose handshake completed (not those still connecting). */
    public Set<String> connections() {
        Set<String> ids = new TreeSet<>();
        remotes.forEach((k, r) -> {
            if (r.active != null) {
                ids.add(k);
            }
        });
        return Collections.unmodifiableSet(ids);
    }

    // ------------------------------------------------------------------ sending

    /**
     * Sends without waiting: the status says whether the message was taken. Never blocks, allocates nothing beyond
     * the message. Messages to one node are written in the order they were sent.
     *
     * @throws FrameTooLargeException if the message cannot fit in a frame
     */
    public SendStatus send(String to, Message message) {
        if (closed) {
            return SendStatus.CLOSED;
        }
        checkSize(message);
        Remote r = remotes.get(to);
        if (r == null) {
            return SendStatus.NOT_CONNECTED;
        }
        return enqueue(r, message, null);
    }

    /**
     * Sends one message to many nodes: it is encoded once and the same bytes are written to every link. Returns how
     * many nodes took it.
     */
    public int send(Collection<String> to, Message message) {
        if (closed) {
            return 0;
        }
        if (message.payloadSize() <= SMALL_FRAME) {
            // Small frames are shared as a plain array: no reference counting, no pooled buffer freed on another
            // thread; each link copies the bytes into its batch anyway.
            byte[] frame = encodeSmall(message);
            int taken = 0;
            for (String t : to) {
                Remote r = remotes.get(t);
                if (r != null && enqueue(r, frame, null).accepted()) {
                    taken++;
                }
            }
            return taken;
        }
        ByteBuf frame = PooledByteBufAllocator.DEFAULT.heapBuffer(message.payloadSize() + 128);
        try {
            WireFormat.writeData(frame, message, options.maxFrameSize());
            int taken = 0;
            for (String t : to) {
                Remote r = remotes.get(t);
                if (r != null && enqueue(r, frame.retainedDuplicate(), null).accepted()) {
                    taken++;
                }
            }
            return taken;
        } finally {
            frame.release();
        }
    }

    /** Payloads up to this size are multi-dispatched as a byte array (copied per link), larger ones as one buffer. */
    private static final int SMALL_FRAME = 4096;
    private static final ThreadLocal<ByteBuf> SCRATCH = ThreadLocal.withInitial(
            () -> io.netty.buffer.Unpooled.buffer(SMALL_FRAME + 1024));
    private static final ThreadLocal<io.meshbus.wire.StringCache> SCRATCH_STRINGS =
            ThreadLocal.withInitial(io.meshbus.wire.StringCache::new);

    private byte[] encodeSmall(Message message) {
        ByteBuf scratch = SCRATCH.get().clear();
        WireFormat.writeData(scratch, message, options.maxFrameSize(), SCRATCH_STRINGS.get());
        byte[] frame = new byte[scratch.readableBytes()];
        scratch.readBytes(frame);
        if (scratch.capacity() > 4 * (SMALL_FRAME + 1024)) {
            SCRATCH.remove();
        }
        return frame;
    }

    /**
     * Sends and completes once the message has been written to the link, or fails: {@link PeerNotFoundException}
     * (no such node), {@link io.meshbus.error.BackPressureException} (queue full), {@link PeerUnreachableException}
     * (the node was given up), {@link ClosedException}.
     */
    public CompletableFuture<Void> sendAsync(String to, Message message) {
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedException("node " + id + " is closed"));
        }
        checkSize(message);
        Remote r = remotes.get(to);
        if (r == null) {
            return CompletableFuture.failedFuture(new PeerNotFoundException("no node " + to + " is connected"));
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        enqueue(r, message, f);
        return f;
    }

    private void checkSize(Message m) {
        if (m.payloadSize() > options.maxFrameSize()) {
            metrics.framesTooLarge.increment();
            throw new FrameTooLargeException("message of " + m.payloadSize() + " payload bytes is larger than the"
                    + " maximum frame size " + options.maxFrameSize());
        }
    }

    private SendStatus enqueue(Remote r, Object item, CompletableFuture<?> future) {
        int res = r.queue.offer(item, weight(item), future, options.overflowPolicy() == OverflowPolicy.DROP_OLDEST,
                evictions);
        if (res == SendQueue.FULL) {
            metrics.sendsBackPressured.increment();
            release(item);
            failLater(future, new BackPressureException("send queue to node " + r.id + " is full (at most "
                    + options.sendQueueCapacity() + " messages and " + options.maxQueuedBytes() + " bytes)"));
            return SendStatus.BACK_PRESSURED;
        }
        if (res == SendQueue.OK_WAS_EMPTY) {
            signalDrain(r);
        }
        if (r.gone) {
            // Lost a race with forget(): make sure nothing stays queued on a forgotten remote.
            failQueue(r, new PeerUnreachableException("node " + r.id + " was given up"));
        }
        return r.active != null ? SendStatus.SENT : SendStatus.QUEUED;
    }

    /** About the bytes an item will take on the wire: what the per-remote byte limit counts. */
    private static int weight(Object item) {
        if (item instanceof Message m) {
            io.meshbus.message.Headers h = m.headers();
            int n = 24 + m.payloadSize();
            for (int i = 0, c = h.size(); i < c; i++) {
                n += 3 + h.keyAt(i).length() + h.valueAt(i).length();
            }
            return n;
        }
        if (item instanceof byte[] frame) {
            return frame.length;
        }
        return ((ByteBuf) item).readableBytes();
    }

    /**
     * Makes sure one drainer moves the remote's queue to its active link. Producers call it only when the queue turns
     * non-empty, so a stream of sends costs no atomic per message; the drainer loops until nobody signalled again.
     */
    void signalDrain(Remote r) {
        if (r.wip.getAndIncrement() == 0) {
            NodeLink l = r.active;
            if (l != null) {
                l.ch.eventLoop().execute(() -> drainLoop(r));
            } else {
                drainLoop(r);
            }
        }
    }

    private void drainLoop(Remote r) {
        int missed = 1;
        for (;;) {
            NodeLink l = r.active;
            if (l != null) {
                l.writeFrom(r);
            }
            missed = r.wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    /** Releases a queued item that holds a buffer (messages and shared arrays need nothing). */
    private static void release(Object item) {
        if (item instanceof ByteBuf b) {
            b.release();
        }
    }

    private void failQueue(Remote r, MeshbusException cause) {
        Object[] items = new Object[Remote.DRAIN_BATCH];
        CompletableFuture<?>[] futures = new CompletableFuture<?>[Remote.DRAIN_BATCH];
        int n;
        while ((n = r.queue.drain(items, futures, items.length)) > 0) {
            metrics.messagesFailed.add(n);
            for (int i = 0; i < n; i++) {
                release(items[i]);
                failLater(futures[i], cause);
            }
        }
    }

    void failLater(CompletableFuture<?> f, Throwable t) {
        if (f != null) {
            options.executor().execute(() -> f.completeExceptionally(t));
        }
    }

    void completeLater(List<CompletableFuture<?>> futures, Throwable t) {
        options.executor().execute(() -> {
            for (CompletableFuture<?> f : futures) {
                if (t == null) {
                    f.complete(null);
                } else {
                    f.completeExceptionally(t);
                }
            }
        });
    }

    // ------------------------------------------------------------------ link decisions (called by NodeLink)

    private Remote remote(String remoteId) {
        return remotes.computeIfAbsent(remoteId,
                k -> new Remote(k, options.sendQueueCapacity(), options.maxQueuedBytes(),
                        new SerialExecutor(options.executor())));
    }

    /**
     * This node is the smaller id of the pair, so it decides: the new link wins when no live link exists, when the
     * other side restarted (new incarnation), or when it asks to replace a link it has lost; otherwise the new link
     * is refused as a duplicate and the existing one stays.
     */
    void arbitrate(NodeLink link, String remoteId, long inc, String address, boolean remoteKeeps, boolean replace) {
        for (;;) {
            Remote r = remote(remoteId);
            synchronized (r) {
                if (r.gone) {
                    continue;
                }
                NodeLink current = r.active;
                boolean accept = current == null || current.state != NodeLink.State.ACTIVE || r.incarnation != inc
                        || replace;
                if (!accept) {
                    metrics.duplicateLinks.increment();
                    link.state = NodeLink.State.CLOSING;
                    if (link.dial != null) {
                        link.dial.succeed(remoteId);
                    }
                    link.ch.writeAndFlush(new Frame.Reject(ErrorCode.DUPLICATE_LINK, "node " + id
                            + " already has a link to node " + remoteId, id))
                            .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                    return;
                }
                link.ch.write(new Frame.Accept(id, incarnation, advertised, r.keptLocal || keepFlag(link)));
                activateLocked(r, link, inc, address, remoteKeeps);
            }
            return;
        }
    }

    private static boolean keepFlag(NodeLink link) {
        return link.dial != null && link.dial.keep();
    }

    /** The other side arbitrated and kept this link: make it active, replacing any older one. */
    void activate(NodeLink link, String remoteId, long inc, String address, boolean remoteKeeps) {
        for (;;) {
            Remote r = remote(remoteId);
            synchronized (r) {
                if (r.gone) {
                    continue;
                }
                activateLocked(r, link, inc, address, remoteKeeps);
            }
            return;
        }
    }

    private void activateLocked(Remote r, NodeLink link, long inc, String address, boolean remoteKeeps) {
        NodeLink old = r.active;
        boolean restarted = r.incarnation != 0 && r.incarnation != inc;
        boolean reconnect = r.everConnected;
        if (closed) {
            link.goodbye(ErrorCode.CLOSED, "node " + id + " is closing");
            return;
        }
        r.incarnation = inc;
        if (link.dial != null) {
            r.address = link.dial.uri();
            r.keptLocal |= link.dial.keep();
        } else if (!address.isEmpty()) {
            try {
                r.address = URI.create(address);
            } catch (IllegalArgumentException e) {
                LOG.warn("node {} advertises an address that is not a URI: {}", r.id, address);
            }
        }
        r.keptRemote = remoteKeeps;
        r.downSince = 0;
        r.everConnected = true;
        if (r.reconnectTask != null) {
            r.reconnectTask.cancel(false);
            r.reconnectTask = null;
        }
        if (restarted) {
            r.queue.restartCount();
            r.received.set(0);
        } else if (reconnect) {
            // Behind what is still queued: the receiver learns exactly how many the broken link lost.
            r.queue.offerTally(true);
        }
        r.active = link;
        link.activated(r, reconnect && !restarted);
        link.ch.flush();
        if (old != null && old != link) {
            metrics.duplicateLinks.increment();
            old.goodbye(ErrorCode.DUPLICATE_LINK, "replaced by a newer link");
        }
        List<Runnable> waiting = new ArrayList<>(r.onActive);
        r.onActive.clear();
        waiting.forEach(Runnable::run);
        URI addr = r.address;
        NodeListener.ConnectEvent ev = new NodeListener.ConnectEvent(r.id, inc, addr, reconnect, restarted);
        LOG.debug("node {} linked to {} ({}{})", id, r.id, addr, restarted ? ", restarted" : "");
        r.inbound.execute(() -> nodeListeners.forEach(l -> l.onConnect(ev)));
        signalDrain(r);
    }

    /**
     * A dial was refused as a duplicate: the other side (the arbiter) has or is about to confirm another link. Wait
     * for it; if none becomes active within the handshake timeout, this side has lost its link while the other still
     * believes in it, so dial again asking to replace it.
     */
    void awaitDuplicate(DialContext d, String remoteId) {
        metrics.duplicateLinks.increment();
        Remote r = remote(remoteId);
        synchronized (r) {
            if (r.active != null && r.active.state == NodeLink.State.ACTIVE) {
                d.succeed(remoteId);
                return;
            }
            r.onActive.add(() -> d.succeed(remoteId));
        }
        scheduler.schedule(() -> {
            if (d.result().isDone() || closed) {
                return;
            }
            dial(d.uri(), remoteId, d.keep(), true).whenComplete((rid, err) -> {
                if (err != null) {
                    d.fail(unwrap(err));
                } else {
                    d.succeed(rid);
                }
            });
        }, options.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    void remoteKeep(NodeLink link, boolean keep) {
        Remote r = link.remote;
        synchronized (r) {
            r.keptRemote = keep;
        }
    }

    /** Counts the link and applies the connection limits to links dialled in (the offender alone is refused). */
    void linkOpened(NodeLink link) {
        channels.add(link.ch);
        metrics.linksOpened.increment();
        if (closed) {
            link.ch.close();
            return;
        }
        if (link.dial == null) {
            java.net.InetAddress from = remoteAddress(link);
            int fromThere = from == null ? 0 : perAddress.merge(from, 1, Integer::sum);
            link.countedAddress = from;
            if (channels.size() > options.maxConnections() || fromThere > options.maxConnectionsPerAddress()) {
                metrics.connectionsRefused.increment();
                LOG.warn("node {}: refusing a connection from {}: {} links ({} from that address) exceed the limits "
                        + "({} / {})", id, from, channels.size(), fromThere, options.maxConnections(),
                        options.maxConnectionsPerAddress());
                link.refuse(new io.meshbus.error.BackPressureException("node " + id + " has too many connections"
                        + (fromThere > options.maxConnectionsPerAddress() ? " from " + from : "")));
            }
        }
    }

    private final ConcurrentHashMap<java.net.InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

    private static java.net.InetAddress remoteAddress(NodeLink link) {
        return link.ch.remoteAddress() instanceof java.net.InetSocketAddress a ? a.getAddress() : null;
    }

    void linkClosed(NodeLink link, MeshbusException cause) {
        channels.remove(link.ch);
        if (link.countedAddress != null) {
            perAddress.computeIfPresent(link.countedAddress, (k, v) -> v == 1 ? null : v - 1);
        }
        metrics.linksClosed.increment();
        if (link.remote != null) {
            linkDown(link, cause);
        }
        checkClosed();
    }

    /** The link stopped carrying traffic (goodbye, failure, close). If it was its remote's active link, act on it. */
    void linkDown(NodeLink link, MeshbusException cause) {
        Remote r = link.remote;
        if (r == null) {
            return;
        }
        boolean reconnecting;
        long since;
        synchronized (r) {
            if (r.active != link) {
                return;
            }
            r.active = null;
            reconnecting = !closed && (r.keptLocal || r.keptRemote);
            since = System.nanoTime();
            if (reconnecting) {
                r.downSince = since;
                if (r.keptLocal) {
                    scheduleReconnect(r, 1);
                }
            } else {
                forget(r);
            }
        }
        RuntimeException why = cause;
        LOG.debug("node {} lost link to {}: {} (reconnecting: {})", id, r.id, cause.getMessage(), reconnecting);
        r.inbound.execute(() -> nodeListeners.forEach(l -> l.onDisconnect(
                new NodeListener.DisconnectEvent(r.id, why, reconnecting))));
        if (reconnecting) {
            scheduler.schedule(() -> giveUp(r, since), options.reconnectGiveUp().toMillis(), TimeUnit.MILLISECONDS);
        } else {
            failQueue(r, cause instanceof ClosedException ? cause
                    : new PeerUnreachableException("link to node " + r.id + " lost: " + cause.getMessage(), cause));
        }
    }

    private void forget(Remote r) {
        r.gone = true;
        remotes.remove(r.id, r);
        if (r.reconnectTask != null) {
            r.reconnectTask.cancel(false);
        }
    }

    private void scheduleReconnect(Remote r, int attempt) {
        long delay = options.reconnectDelay().delay(attempt).toNanos();
        r.reconnectTask = scheduler.schedule(() -> reconnect(r, attempt), delay, TimeUnit.NANOSECONDS);
    }

    private void reconnect(Remote r, int attempt) {
        URI addr;
        synchronized (r) {
            if (r.gone || r.active != null || closed || !r.keptLocal || r.address == null) {
                return;
            }
            addr = r.address;
        }
        metrics.reconnectAttempts.increment();
        dial(addr, r.id, true, false).whenComplete((rid, err) -> {
            if (err == null) {
                return;
            }
            synchronized (r) {
                if (!r.gone && r.active == null && !closed) {
                    LOG.debug("node {}: reconnect {} to {} failed: {}", id, attempt, r.id, err.getMessage());
                    scheduleReconnect(r, attempt + 1);
                }
            }
        });
    }

    private void giveUp(Remote r, long since) {
        synchronized (r) {
            if (r.gone || r.active != null || r.downSince != since) {
                return;
            }
            forget(r);
        }
        metrics.givenUp.increment();
        PeerUnreachableException cause = new PeerUnreachableException("gave up on node " + r.id + " after "
                + options.reconnectGiveUp().toMillis() + " ms without a link");
        LOG.info("node {}: {}", id, cause.getMessage());
        r.inbound.execute(() -> nodeListeners.forEach(l -> l.onDisconnect(
                new NodeListener.DisconnectEvent(r.id, cause, false))));
        failQueue(r, cause);
    }

    /** Closes a link neither side keeps once it carried no data for {@code reapIdleUnkept}. */
    void reapIfIdle(NodeLink link, long lastDataNanos) {
        Remote r = link.remote;
        if (r == null || System.nanoTime() - lastDataNanos < options.reapIdleUnkept().toNanos()) {
            return;
        }
        synchronized (r) {
            if (r.keptLocal || r.keptRemote || r.active != link) {
                return;
            }
        }
        LOG.debug("node {}: closing idle link to {} that nobody keeps", id, r.id);
        link.goodbye(ErrorCode.CLOSED, "idle link that nobody keeps");
    }

    // ------------------------------------------------------------------ delivery

    void deliver(String from, List<Message> batch, NodeLink link) {
        MessageListener[] ls = messageListeners;
        for (int i = 0, n = batch.size(); i < n; i++) {
            Message m = batch.get(i);
            for (MessageListener l : ls) {
                try {
                    l.onMessage(from, m);
                } catch (Throwable t) {
                    metrics.listenerErrors.increment();
                    LOG.warn("message listener of node {} failed on a message from {}", id, from, t);
                }
            }
        }
        for (MessageListener l : ls) {
            try {
                l.onBatchEnd(from);
            } catch (Throwable t) {
                metrics.listenerErrors.increment();
                LOG.warn("message listener of node {} failed at the end of a batch from {}", id, from, t);
            }
        }
        metrics.messagesReceived.add(batch.size());
        link.delivered(batch.size());
    }

    // ------------------------------------------------------------------ helpers

    /** Completes a copy of the future on the node's executor, so user callbacks never run on an event loop. */
    private <T> CompletableFuture<T> onExecutor(CompletableFuture<T> f) {
        CompletableFuture<T> out = new CompletableFuture<>();
        f.whenComplete((v, e) -> options.executor().execute(() -> {
            if (e != null) {
                out.completeExceptionally(unwrap(e));
            } else {
                out.complete(v);
            }
        }));
        return out;
    }

    static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public String toString() {
        return "Node{" + id + " " + addresses + "}";
    }
}
