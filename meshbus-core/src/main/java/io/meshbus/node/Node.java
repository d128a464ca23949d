package io.meshbus.node;

import io.meshbus.error.BackPressureException;
import io.meshbus.error.ClosedException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.internal.RateLimitedLog;
import io.meshbus.internal.BlockedThreadChecker;
import io.meshbus.internal.SerialExecutor;
import io.meshbus.message.Message;
import io.meshbus.transport.Listener;
import io.meshbus.transport.Transport;
import io.meshbus.transport.TransportResources;
import io.meshbus.wire.ControlFrameEncoder;
import io.meshbus.wire.Frame;
import io.meshbus.wire.FrameDecoder;
import io.meshbus.wire.Protocol;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * <p>This class is the facade: lifecycle, dialling and the public API. The work is done by rooms with one job each
 * (see ARCHITECTURE.md, "The node as rooms"): {@link Remotes} (who is known), {@link LinkArbiter} (which link is
 * active), {@link Reconnector} (losses, re-dials, give-ups), {@link ConnectionLimits}, {@link RemoteDrainer} (send
 * queues to links), {@link NodeEvents} (listeners) and, per channel, {@link NodeLink} with its handshake.
 *
 * <p>Threads: I/O runs on Netty event loops; listeners run on the node's executor, in order per remote node. Every
 * method is thread-safe and none blocks: results come as {@link SendStatus} or {@link CompletableFuture}.
 */
public final class Node {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    final NodeOptions options;
    final NodeMetrics metrics = new NodeMetrics();
    /** What this node's handshakes show of it and ask of the other side. */
    final LocalNode local;
    private final String id;
    private final long incarnation;
    private final EventExecutorGroup scheduler = TransportResources.shared().network();
    final Completions completions;
    /** Warnings about remotes, rate-limited per remote address. */
    final RateLimitedLog warnings = RateLimitedLog.perRemote(metrics.warningsSuppressed);
    final Remotes remotes;
    final NodeEvents events;
    final RemoteDrainer drainer;
    final ConnectionLimits limits;
    final LinkArbiter arbiter;
    final Reconnector reconnector;
    /** With deliverOnIoThread: reports listeners that hold an I/O thread too long; else null. */
    final BlockedThreadChecker blockedChecker;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
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
        this.local = new LocalNode(id, incarnation, () -> advertised, options.credentials(),
                options.secret() == null ? null : new Secret(options.secret()), options.authenticator(), this::isKept);
        Scheduler timer = (task, nanos) -> scheduler.schedule(task, nanos, TimeUnit.NANOSECONDS);
        this.completions = new Completions(options.executor());
        this.remotes = new Remotes(options);
        this.events = new NodeEvents(id, metrics, new SerialExecutor(options.executor()));
        this.drainer = new RemoteDrainer(options, metrics, remotes, completions);
        this.limits = new ConnectionLimits(id, options, metrics, warnings, () -> closed);
        Dialler dialler = this::dial;
        this.arbiter = new LinkArbiter(id, incarnation, options, metrics, remotes, events, drainer, timer,
                () -> advertised, () -> closed, dialler);
        this.reconnector = new Reconnector(id, options, metrics, remotes, events, drainer, timer, System::nanoTime,
                () -> closed, dialler);
        this.blockedChecker = options.deliverOnIoThread()
                ? new BlockedThreadChecker(options.blockedThreadBound(), "node " + id, metrics.ioThreadBlocked) : null;
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

    /**
     * The bound on bytes queued for others, shared by this node's send queues and by what the layers above queue on
     * its behalf (see {@link NodeOptions#memoryBudget()}).
     */
    public MemoryBudget memoryBudget() {
        return remotes.budget;
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
                events.listening(u);
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
        if (blockedChecker != null) {
            blockedChecker.close();
        }
        listeners.forEach(Listener::close);
        for (Remote r : remotes.all()) {
            boolean linked;
            synchronized (r) {
                remotes.forget(r);
                linked = r.active != null;
            }
            if (!linked) {
                drainer.failQueue(r, new ClosedException("node " + id + " closed"));
            }
            // A linked remote's queue is written out before the goodbye (the drain runs first on the event loop);
            // whatever is left fails when the goodbye takes the link down.
        }
        for (Channel ch : limits.channels()) {
            NodeLink l = ch.pipeline().get(NodeLink.class);
            if (l != null) {
                l.goodbye(ErrorCode.CLOSED, "node " + id + " is closing");
            } else {
                ch.close();
            }
        }
        scheduler.schedule(() -> limits.channels().forEach(Channel::close), options.closeTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        checkClosed();
        return onExecutor(closeFuture);
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkClosed() {
        if (closed && limits.channels().isEmpty()) {
            closeFuture.complete(null);
        }
    }

    // ------------------------------------------------------------------ listeners

    /** Adds a message listener; the returned registration removes it. */
    public Registration onMessage(MessageListener listener) {
        return events.onMessage(listener);
    }

    /** Adds a listener of link events; the returned registration removes it. */
    public Registration addListener(NodeListener listener) {
        return events.addListener(listener);
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
                .addLast("frames", new FrameDecoder(options.maxFrameSize(), Protocol.MAX_HANDSHAKE_FRAME, dial != null))
                .addLast("control", ControlFrameEncoder.INSTANCE)
                .addLast("idle", new IdleStateHandler(idle, beat, 0, TimeUnit.MILLISECONDS))
                .addLast("link", new NodeLink(this, ch, dial));
    }

    /** Closes the link to a node and stops keeping it (the other side may still re-dial if it keeps this node). */
    public CompletableFuture<Void> disconnect(String remoteId) {
        Remote r = remotes.find(remoteId);
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
        Remote r = remotes.find(remoteId);
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
        Remote r = remotes.find(remoteId);
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
    public Optional<String> identity(String remoteId) {
        Remote r = remotes.find(remoteId);
        NodeLink l = r == null ? null : r.active;
        return Optional.ofNullable(l == null ? null : l.identity());
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
        Remote r = remotes.find(remoteId);
        if (r == null) {
            return CompletableFuture.completedFuture(false);
        }
        r.inboundPaused = paused;
        NodeLink l = r.active;
        if (l == null) {
            return CompletableFuture.completedFuture(true);
        }
        return onExecutor(l.inbound.applyReadStateLater());
    }

    /** Whether a link to that node has completed its handshake and is up now. */
    public boolean isConnected(String remoteId) {
        Remote r = remotes.find(remoteId);
        return r != null && r.active != null;
    }

    /** The ids of nodes with a link whose handshake completed (not those still connecting). */
    public Set<String> connections() {
        return remotes.linked();
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
        drainer.checkSize(message);
        Remote r = remotes.find(to);
        if (r == null) {
            return SendStatus.NOT_CONNECTED;
        }
        return drainer.enqueue(r, message, null);
    }

    /**
     * Sends one message to many nodes: it is encoded once and the same bytes are written to every link. Returns how
     * many nodes took it.
     */
    public int send(Collection<String> to, Message message) {
        return send(to, message, null);
    }

    /**
     * As {@link #send(Collection, Message)}, adding to {@code backPressured} (when not null) the ids of the nodes
     * whose full queue refused it: the ones to try again once {@link #whenWritable} says they have room.
     */
    public int send(Collection<String> to, Message message, Collection<String> backPressured) {
        if (closed) {
            return 0;
        }
        return drainer.send(to, message, backPressured);
    }

    /**
     * Completes once the send queue to the node has room again (at most half full, in messages and in bytes): at
     * once when it has. A sender that was refused ({@link SendStatus#BACK_PRESSURED}) waits on it instead of
     * spinning. Fails as the queue's messages do when the node is given up or this node closes, and with
     * {@link PeerNotFoundException} when no such node is known. Completes on the executor.
     */
    public CompletableFuture<Void> whenWritable(String to) {
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedException("node " + id + " is closed"));
        }
        Remote r = remotes.find(to);
        if (r == null) {
            return CompletableFuture.failedFuture(new PeerNotFoundException("no node " + to + " is connected"));
        }
        CompletableFuture<Void> room = r.queue.room();
        if (!room.isDone()) {
            // The drain that makes the room may have run between the refusal and this call.
            drainer.signalDrain(r);
        }
        return room;
    }

    /**
     * Sends and completes once the message has been written to the link, or fails: {@link PeerNotFoundException}
     * (no such node), {@link BackPressureException} (queue full), {@link PeerUnreachableException} (the node was
     * given up), {@link ClosedException}.
     */
    public CompletableFuture<Void> sendAsync(String to, Message message) {
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedException("node " + id + " is closed"));
        }
        drainer.checkSize(message);
        Remote r = remotes.find(to);
        if (r == null) {
            return CompletableFuture.failedFuture(new PeerNotFoundException("no node " + to + " is connected"));
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        drainer.enqueue(r, message, f);
        return f;
    }

    // ------------------------------------------------------------------ links closing (by NodeLink)

    void linkClosed(NodeLink link, MeshbusException cause) {
        limits.closed(link);
        if (link.remote != null) {
            reconnector.linkDown(link, cause);
        }
        checkClosed();
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
