package io.meshbus.bus;

import io.meshbus.bus.carrier.Carrier;
import io.meshbus.bus.carrier.LinkEvents;
import io.meshbus.bus.channel.Interests;
import io.meshbus.bus.directory.PeerDirectory;
import io.meshbus.bus.directory.PeerLocator;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.protocol.BusClock;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusMetrics;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.protocol.HostCarrier;
import io.meshbus.bus.protocol.OpHandler;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.bus.stream.AtLeastOnce;
import io.meshbus.error.ClosedException;
import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.NodeListener;
import io.meshbus.node.Registration;
import io.meshbus.node.SendStatus;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A host: a node that joins a network of hosts and carries peers. Hosts form a full mesh of node links (or meet on a
 * broker, see {@link Backplane}); any member can admit a new host, whose join makes it a member of the whole network.
 * Peers are found through the directory (a bounded number of messages per lookup, whatever the number of hosts) and a
 * bounded cache.
 *
 * <p>This class is the facade: the public API, the wiring of the rooms that do the work (ARCHITECTURE.md, "The bus as
 * rooms"), the order of start and close, and the table that hands each incoming op to its room. It keeps no protocol
 * state of its own. Listeners and future callbacks run on the node's executor, or with
 * {@link HostOptions.Builder#deliverOnIoThread} on the I/O thread that read the message.
 */
public final class Host {
    /** Header carrying the bus operation (and its sequence number). */
    public static final String OP = BusOps.OP;
    private static final long SWEEP_MILLIS = 20;

    private final HostOptions options;
    private final Node node;
    private final Carrier carrier;
    private final BusClock clock = BusClock.system();
    private final BusMetrics counters = new BusMetrics();
    private final BusContext ctx = new HostContext(this);
    private final PendingOps pending;
    private final Membership membership;
    private final LocalPeers peers;
    private final PeerDirectory directory;
    private final AtLeastOnce streams;
    /** The counters and link pauses of this host's peer and subscription queues. */
    final SlowConsumers slowConsumers;
    private final ConsumerQueue.Factory queues;
    private final Channels channels;
    private final Outbound outbound;
    private final Inbound inbound;
    /** Incoming ops by their first letter. */
    private final OpHandler[] handlers = new OpHandler[128];
    private volatile boolean closed;
    private ScheduledFuture<?> sweeper; // guarded by this

    Host(HostOptions options) {
        this.options = options;
        this.node = options.nodeBuilder().build();
        Executor executor = node.options().executor();
        this.carrier = Carrier.of(node, options.backplane(), executor);
        this.pending = new PendingOps(clock, executor);
        HostCalls calls = new HostCalls(carrier, pending, options.requestTimeout());
        this.membership = new Membership(ctx, options.networkId(), node.options().handshakeTimeout(), this::info,
                () -> directory().resolvers().any(), carrier::dial);
        this.peers = new LocalPeers(ctx, this, membership, calls, pending);
        this.directory = new PeerDirectory(ctx, membership, peers, pending, calls, peers::lost,
                carrier.nativeDirectory());
        peers.replicateTo(directory.replication());
        this.streams = new AtLeastOnce(ctx, membership::incarnationOf, options.unackedMessages(),
                options.unackedBytes(), node.memoryBudget(), options.retransmitAfter().toMillis());
        this.slowConsumers = SlowConsumers.of(node.id(), carrier);
        this.queues = new ConsumerQueue.Factory(executor, slowConsumers);
        Interests interests = new Interests(ctx, membership, calls);
        this.channels = new Channels(ctx, membership, calls, pending, interests, carrier.nativeChannels(), queues);
        PeerLocator locator = directory.locator();
        Delivery delivery = new Delivery(ctx, peers, pending);
        this.outbound = new Outbound(ctx, locator, membership, peers, delivery, pending, streams);
        this.inbound = new Inbound(ctx, peers, delivery, pending, streams, new AckBatcher(ctx), locator, outbound);
        membership.addListener(streams);
        membership.addListener(interests);
        membership.addListener(channels);
        membership.addListener(pending);
        dispatch();
        carrier.attach(new Events());
    }

    private PeerDirectory directory() {
        return directory;
    }

    /** Fills the op table: each family of ops goes to the room that owns it. */
    private void dispatch() {
        on("sfq", inbound::onDeliver);
        on(BusOps.STREAM_MESSAGE, inbound::onAtLeastOnce);
        on(BusOps.STREAM_ACK, (from, m, op) -> streams.onAck(from, m));
        on(BusOps.STREAM_REFUSAL, streams::onRefusal);
        on(BusOps.ACKS, (from, m, op) -> inbound.onAcks(m));
        on(BusOps.REPLY, (from, m, op) -> inbound.onReply(m, op));
        on(BusOps.ERROR, (from, m, op) -> inbound.onError(m, op));
        on(BusOps.MEMBERS, (from, m, op) -> membership.onMembers(from, m));
        on(BusOps.LEAVE, (from, m, op) -> membership.onLeave(from));
        on("z", directory.resolvers()::onOp);
        on("d", directory.replication()::onOp);
        on("p", peers::onListOp);
        on("c", channels::onOp);
        on(BusOps.BROADCAST, (from, m, op) -> inbound.onBroadcast(from, m));
        on(BusOps.PATTERN, (from, m, op) -> inbound.onPattern(from, m));
    }

    private void on(String firstLetters, OpHandler h) {
        for (char c : firstLetters.toCharArray()) {
            handlers[c] = h;
        }
    }

    /** One bus message from another host: hello and refusal from anyone, the rest from members only. */
    private void onLinkMessage(String fromHost, Message m) {
        String op = m.header(OP);
        if (op == null || op.isEmpty()) {
            counters.strangers.increment();
            return;
        }
        if (op.equals(BusOps.HELLO)) {
            membership.onHello(fromHost, m);
            return;
        }
        if (op.equals(BusOps.MISMATCH)) {
            membership.onMismatch(fromHost, m);
            return;
        }
        char c = op.charAt(0);
        OpHandler h = c < handlers.length ? handlers[c] : null;
        if (h == null || !membership.isMember(fromHost)) {
            // Traffic from a host that has not passed the network check is not accepted.
            counters.strangers.increment();
            return;
        }
        h.handle(fromHost, m, op);
    }

    public static HostOptions.Builder builder() {
        return HostOptions.builder();
    }

    public String id() {
        return node.id();
    }

    public HostOptions options() {
        return options;
    }

    /** The node underneath (its metrics, its links). */
    public Node node() {
        return node;
    }

    /** This host's advertised address, or null when it does not listen. */
    public URI info() {
        return node.info();
    }

    /** The network id: the configured one, the one adopted on the first join, or null. Never changes once set. */
    public String networkId() {
        return membership.networkId();
    }

    /** The ids of the other hosts of the network this host is linked with. */
    public Set<String> members() {
        return membership.members();
    }

    ConsumerQueue.Factory queues() {
        return queues;
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts the node (or connects to the broker, admitting the hosts alive there before it completes). */
    public CompletableFuture<Host> start() {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new ClosedException("host " + id() + " is closed"));
            }
            if (sweeper == null) {
                sweeper = clock.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
        }
        return carrier.start(id(), node.incarnation()).thenCompose(membership::admitAll).thenApply(v -> this);
    }

    /**
     * Joins the network of the given hosts. Each seed may be a DNS name with several addresses; every address is
     * tried. Completes when at least one seed admitted this host and the members it named were dialled; fails with
     * the first seed's error when none did (for example {@link NetworkIdMismatchException}). On a backplane the
     * broker is the rendezvous: every host on it is a member already.
     */
    public CompletableFuture<Host> join(String... seeds) {
        List<URI> uris = new ArrayList<>();
        for (String s : seeds) {
            uris.add(URI.create(s));
        }
        return join(uris);
    }

    public CompletableFuture<Host> join(Collection<URI> seeds) {
        if (closed) {
            return CompletableFuture.failedFuture(new ClosedException("host " + id() + " is closed"));
        }
        if (carrier.brokered()) {
            return CompletableFuture.completedFuture(this);
        }
        return membership.join(seeds).thenApply(v -> this);
    }

    /** Tells every member goodbye (they forget this host's peers at once), then closes the node. */
    public CompletableFuture<Void> close() {
        synchronized (this) {
            if (closed) {
                return node.close();
            }
            closed = true;
            if (sweeper != null) {
                sweeper.cancel(false);
            }
        }
        directory.replication().close();
        membership.leave();
        ClosedException c = new ClosedException("host " + id() + " closed");
        pending.close(id());
        streams.close(c);
        directory.locator().close(c);
        return carrier.close();
    }

    private void sweep() {
        long now = clock.nanoTime();
        streams.tick(now, membership::isMember);
        pending.sweep(now);
    }

    // ------------------------------------------------------------------ peers

    /** Creates a local peer; throws IllegalArgumentException when the id is taken on this host. */
    public Peer create(String peerId) {
        return create(peerId, options.peerQueue());
    }

    /**
     * Creates a local peer whose queue has its own bound and policy instead of the host's
     * {@link HostOptions#peerQueue()}; throws IllegalArgumentException when the id is taken on this host.
     */
    public Peer create(String peerId, ConsumerOptions queue) {
        return peers.create(peerId, queue);
    }

    /** The local peer with that id, or null. */
    /**
     * Creates a peer once the network confirms its id is free: fails with {@code PeerIdTakenException} when a
     * reachable host holds a peer of that id, which {@link #create} can only tell when this host is one of the id's
     * directory owners. A clash that no host could see (a partition) is settled when the parts meet: see
     * {@link PeerIdResolver} and {@link Peer#onRemoved}.
     */
    public CompletableFuture<Peer> claim(String peerId) {
        return claim(peerId, options.peerQueue());
    }

    public CompletableFuture<Peer> claim(String peerId, ConsumerOptions queue) {
        return peers.claim(peerId, queue, directory.locator()::find);
    }

    Executor executor() {
        return node.options().executor();
    }

    Carrier carrier() {
        return carrier;
    }

    BusClock clock() {
        return clock;
    }

    BusMetrics counters() {
        return counters;
    }

    boolean isClosed() {
        return closed;
    }

    public Peer get(String peerId) {
        return peers.get(peerId);
    }

    /** This host's peers. */
    public Collection<Peer> peers() {
        return peers.all();
    }

    public boolean remove(String peerId) {
        return peers.remove(peerId);
    }

    public boolean remove(Peer peer) {
        return peers.remove(peer);
    }

    /**
     * One page of the ids of all peers in the network, in order, after {@code afterId} (null for the first page):
     * every host answers with at most {@code limit} ids, so no reply grows with the network.
     */
    public CompletableFuture<List<String>> listPeers(String afterId, int limit) {
        return peers.list(afterId, limit);
    }

    /**
     * Adds a resolver of peer ids the directory does not know; every member learns that this host resolves, and asks
     * it when its own lookup finds nothing. The registration removes it.
     */
    public Registration addResolver(PeerResolver resolver) {
        return directory.resolvers().add(Objects.requireNonNull(resolver, "resolver"));
    }

    /** Where a peer lives; fails with {@link PeerNotFoundException} ("Peer not found (id: X)"). */
    public CompletableFuture<HostAddress> find(String peerId) {
        return directory.locator().find(peerId).thenApply(host -> new HostAddress(host, host.equals(id()) ? info()
                : membership.addressOf(host)));
    }

    // ------------------------------------------------------------------ channels, broadcast, peer patterns

    /**
     * Subscribes to a subject pattern ({@code orders.*}, {@code orders.>}); the future completes when every current
     * member knows of it, so publishes from anywhere reach it from then on. The listener gets the publisher's id.
     */
    public CompletableFuture<Subscription> subscribe(String pattern, PeerListener listener) {
        return channels.subscribe(pattern, null, null, listener, options.peerQueue());
    }

    /** Subscribes in a queue group: each message on the pattern goes to one member of the group network-wide. */
    public CompletableFuture<Subscription> subscribe(String pattern, String queueGroup, PeerListener listener) {
        return channels.subscribe(pattern, Objects.requireNonNull(queueGroup, "queueGroup"), null, listener,
                options.peerQueue());
    }

    /**
     * Subscribes, in a queue group or not (null), with a queue of its own instead of the host's
     * {@link HostOptions#peerQueue()}: its bound, and what happens to publishes when it is full.
     */
    public CompletableFuture<Subscription> subscribe(String pattern, String queueGroup, PeerListener listener,
                                                     ConsumerOptions queue) {
        return channels.subscribe(pattern, queueGroup, null, listener, Objects.requireNonNull(queue, "queue"));
    }

    CompletableFuture<Subscription> subscribe(Peer owner, String pattern, String group, PeerListener listener,
                                              ConsumerOptions queue) {
        return channels.subscribe(pattern, group, owner.id(), listener, queue);
    }

    /**
     * Publishes on a subject, with this host's id as the sender. At most once: it goes to the hosts that have a
     * matching subscription now, once each, and is not acknowledged.
     */
    public void publish(String subject, Object payload) {
        channels.publish(id(), subject, payload, false);
    }

    /**
     * Publishes and completes once every host with a matching subscription took it: a full send queue holds the
     * publisher back instead of dropping the message (see {@link Peer#publishAsync}).
     */
    public CompletableFuture<Void> publishAsync(String subject, Object payload) {
        return channels.publishAsync(id(), subject, payload);
    }

    /** Sends to every peer on every host (at most once), with this host's id as the sender. */
    public void broadcast(Object payload) {
        outbound.broadcast(id(), null, payload);
    }

    void broadcast(String from, Peer exclude, Object payload) {
        outbound.broadcast(from, exclude, payload);
    }

    /** Sends to every peer whose id matches a subject pattern ({@code sensors.*}) on every host (at most once). */
    void sendToPattern(String from, String pattern, Object payload) {
        outbound.sendToPattern(from, pattern, payload);
    }

    // ------------------------------------------------------------------ for Peer

    Outbound outbound() {
        return outbound;
    }

    Channels channels() {
        return channels;
    }

    // ------------------------------------------------------------------ metrics

    /** Counters of the bus layer (the node's own are in {@code node().metrics()}). */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("peers", (long) peers.size());
        m.put("members", (long) membership.size());
        counters.putAll(m);
        m.put("pending", (long) pending.size());
        streams.metrics(m);
        directory.replication().metrics(m);
        channels.metrics(m);
        slowConsumers.metrics(m);
        carrier.metrics(m);
        return m;
    }

    @Override
    public String toString() {
        return "Host{" + id() + " " + info() + ", " + membership.size() + " members, " + peers.size() + " peers}";
    }

    /** The carrier's events, into the rooms. */
    private final class Events implements LinkEvents {
        @Override
        public void onMessage(String fromHost, Message m) {
            onLinkMessage(fromHost, m);
        }

        @Override
        public void onBatchEnd(String fromHost) {
            inbound.onBatchEnd(fromHost);
        }

        @Override
        public void onLinkUp(NodeListener.ConnectEvent e) {
            membership.onLinkUp(e);
        }

        @Override
        public void onLinkDown(NodeListener.DisconnectEvent e) {
            membership.onLinkDown(e);
        }

        @Override
        public void onPublish(String fromHost, String pattern, Message m) {
            if (!membership.isMember(fromHost)) {
                counters.strangers.increment();
                return;
            }
            channels.onNativePublish(fromHost, pattern, m);
        }

        @Override
        public void onGroupPublish(String fromHost, String pattern, String group, Message m) {
            if (!fromHost.equals(id()) && !membership.isMember(fromHost)) {
                counters.strangers.increment();
                return;
            }
            channels.onNativeGroupPublish(fromHost, pattern, group, m);
        }

        @Override
        public void onBrokerReset() {
            directory.replication().reregister();
        }
    }
}
