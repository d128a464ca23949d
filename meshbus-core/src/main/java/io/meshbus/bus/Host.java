package io.meshbus.bus;

import io.meshbus.codec.ContentType;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.ClosedException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.NodeListener;
import io.meshbus.node.SendStatus;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host: a node that joins a network of hosts and carries peers. Hosts form a full mesh of node links; any member
 * can admit a new host, whose join makes it a member of the whole network. Peers are found through the
 * {@link Directory} (a bounded number of messages per lookup, whatever the number of hosts) and a bounded cache.
 *
 * <p>Bus messages are node messages whose {@code bus} header says what they are (see ARCHITECTURE.md). Listeners and
 * future callbacks run on the node's executor, never on an I/O thread.
 */
public final class Host {
    static final Logger LOG = LoggerFactory.getLogger(Host.class);
    /** Header carrying the bus operation (and its sequence number). */
    public static final String OP = "bus";
    private static final long SWEEP_MILLIS = 20;
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final int MAX_LOOKUP_ATTEMPTS = 4;
    private static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(5);
    private static final int REGISTRATION_CHUNK = 8192;
    private static final ScheduledExecutorService TIMER = timer();

    private final HostOptions options;
    private final Node node;
    /** Null on a mesh of direct links. */
    private final Backplane backplane;
    private final BackplaneLinks backplaneLinks;
    /** The backplane when it holds the directory, else null. */
    private final Backplane nativeDirectory;
    private final Directory directory;
    private final Channels channels = new Channels(this);
    /** The counters and link pauses of this host's peer and subscription queues. */
    final SlowConsumers slowConsumers = SlowConsumers.of(this);
    private final AtLeastOnce atLeastOnce;
    /** The incarnation each linked host last showed: at-least-once streams name their receiver's. */
    private final ConcurrentHashMap<String, Long> incarnations = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Peer> peers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Member> members = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<Member>> admitted = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Lookup> lookups = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AckBuffer> acks = new ConcurrentHashMap<>();
    private final Map<String, List<String>> registrations = new HashMap<>();
    private final Map<String, List<String>> unregistrations = new HashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder notFound = new LongAdder();
    private final LongAdder lookupMessages = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder strangers = new LongAdder();
    final LongAdder limitRefusals = new LongAdder();
    /** Directory entries held here per member, against {@code maxRegistrationsPerMember}. */
    private final ConcurrentHashMap<String, AtomicInteger> registeredBy = new ConcurrentHashMap<>();
    private final List<PeerResolver> resolvers = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Members that said they have resolvers: the only ones asked when the directory finds nothing. */
    private final Set<String> resolvingMembers = ConcurrentHashMap.newKeySet();
    final LongAdder denied = new LongAdder();
    private volatile String networkId;
    private volatile long membershipChanged = System.nanoTime();
    private volatile boolean closed;
    private boolean flushScheduled;
    private ScheduledFuture<?> sweeper;
    private ScheduledFuture<?> cleanup;

    Host(HostOptions options) {
        this.options = options;
        this.networkId = options.networkId();
        this.node = options.nodeBuilder().build();
        this.directory = new Directory(node.id(), options.directoryReplicas(), options.directoryCacheSize());
        this.backplane = options.backplane();
        this.backplaneLinks = backplane == null ? null : new BackplaneLinks(this, node.options().executor());
        this.nativeDirectory = backplane != null && backplane.nativeDirectory() ? backplane : null;
        this.atLeastOnce = new AtLeastOnce(this, options.unackedMessages(), options.unackedBytes(),
                options.retransmitAfter().toMillis());
        node.onMessage(new io.meshbus.node.MessageListener() {
            @Override
            public void onMessage(String from, Message message) {
                onLinkMessage(from, message);
            }

            @Override
            public void onBatchEnd(String from) {
                onLinkBatchEnd(from);
            }
        });
        node.addListener(new NodeListener() {
            @Override
            public void onConnect(ConnectEvent e) {
                onLinkUp(e);
            }

            @Override
            public void onDisconnect(DisconnectEvent e) {
                onLinkDown(e);
            }
        });
    }

    void onLinkBatchEnd(String from) {
        AckBuffer b = acks.get(from);
        if (b != null) {
            b.flush();
        }
        atLeastOnce.flush(from);
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
        return networkId;
    }

    /** The ids of the other hosts of the network this host is linked with. */
    public Set<String> members() {
        return Collections.unmodifiableSet(new TreeSet<>(members.keySet()));
    }

    Executor executor() {
        return node.options().executor();
    }

    // ------------------------------------------------------------------ lifecycle

    public CompletableFuture<Host> start() {
        if (backplane != null) {
            return startOnBackplane();
        }
        return node.start().thenApply(n -> {
            synchronized (this) {
                if (sweeper == null) {
                    sweeper = TIMER.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS,
                            TimeUnit.MILLISECONDS);
                }
            }
            return this;
        });
    }

    private CompletableFuture<Host> startOnBackplane() {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new ClosedException("host " + id() + " is closed"));
            }
            if (sweeper == null) {
                sweeper = TIMER.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS,
                        TimeUnit.MILLISECONDS);
            }
        }
        // Like a join: the hosts alive now are admitted (their interests known) before start completes.
        return backplane.start(id(), node.incarnation(), backplaneLinks).thenCompose(v -> {
            List<CompletableFuture<Member>> all = new ArrayList<>();
            for (String h : backplaneLinks.alive()) {
                all.add(admission(h).exceptionally(e -> null));
            }
            return CompletableFuture.allOf(all.toArray(new CompletableFuture[0]));
        }).thenApply(v -> this);
    }

    /**
     * Joins the network of the given hosts. Each seed may be a DNS name with several addresses; every address is
     * tried. Completes when at least one seed admitted this host and the members it named were dialled; fails with
     * the first seed's error when none did (for example {@link NetworkIdMismatchException}).
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
        if (backplane != null) {
            // The broker is the rendezvous: every host on it is a member already.
            return CompletableFuture.completedFuture(this);
        }
        List<CompletableFuture<Void>> tries = new ArrayList<>();
        for (URI seed : seeds) {
            for (URI u : expand(seed)) {
                tries.add(node.connect(u).thenCompose(this::admission).thenCompose(this::dialMembers));
            }
        }
        if (tries.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("seeds: none given"));
        }
        CompletableFuture<Host> result = new CompletableFuture<>();
        CompletableFuture.allOf(tries.toArray(new CompletableFuture[0])).whenComplete((v, err) -> {
            Throwable first = null;
            for (CompletableFuture<Void> t : tries) {
                if (!t.isCompletedExceptionally()) {
                    result.complete(this);
                    return;
                }
                if (first == null) {
                    first = unwrap(t.handle((x, e) -> e).join());
                }
            }
            result.completeExceptionally(first);
        });
        return result;
    }

    /** A tcp seed named by DNS becomes one URI per address (a seed list behind one name). */
    private static List<URI> expand(URI seed) {
        if (!"tcp".equalsIgnoreCase(seed.getScheme()) || seed.getHost() == null) {
            return List.of(seed);
        }
        try {
            List<URI> out = new ArrayList<>();
            for (InetAddress a : InetAddress.getAllByName(seed.getHost())) {
                String h = a.getHostAddress();
                out.add(URI.create("tcp://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + seed.getPort()));
            }
            return out;
        } catch (UnknownHostException e) {
            return List.of(seed);
        }
    }

    /** Completes once the host is admitted and its subscriptions known: a publish right after joining reaches them. */
    private CompletableFuture<Member> admission(String hostId) {
        CompletableFuture<Member> f = admitted.computeIfAbsent(hostId, k -> new CompletableFuture<>());
        Member m = members.get(hostId);
        if (m != null) {
            f.complete(m);
        }
        long ms = node.options().handshakeTimeout().toMillis() * 2;
        return f.orTimeout(ms, TimeUnit.MILLISECONDS)
                .thenCompose(member -> member.interests.orTimeout(ms, TimeUnit.MILLISECONDS).thenApply(v -> member));
    }

    void interestsKnown(String hostId) {
        Member m = members.get(hostId);
        if (m != null) {
            m.interests.complete(null);
        }
    }

    private CompletableFuture<Void> dialMembers(Member seed) {
        return seed.membersDialled.orTimeout(node.options().handshakeTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
    }

    private CompletableFuture<Void> dial(List<Map<String, String>> list) {
        List<CompletableFuture<?>> dials = new ArrayList<>();
        for (Map<String, String> m : list) {
            String hid = m.get("id");
            String addr = m.get("address");
            if (hid == null || hid.equals(id()) || members.containsKey(hid) || addr == null || addr.isEmpty()) {
                continue;
            }
            // A member that does not answer within the handshake timeout is left to its own dial back.
            dials.add(node.connect(URI.create(addr)).thenCompose(this::admission)
                    .orTimeout(node.options().handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionally(e -> {
                        LOG.debug("host {}: could not reach member {} at {}: {}", id(), hid, addr, e.toString());
                        return null;
                    }));
        }
        return CompletableFuture.allOf(dials.toArray(new CompletableFuture[0]));
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
            if (cleanup != null) {
                cleanup.cancel(false);
            }
        }
        for (String m : members.keySet()) {
            link(m, control("l", Headers.EMPTY, ""));
        }
        ClosedException c = new ClosedException("host " + id() + " closed");
        failPending(p -> true, p -> c);
        atLeastOnce.close(c);
        lookups.values().forEach(l -> l.fail(c));
        if (backplane != null) {
            return backplane.close().thenCompose(v -> node.close());
        }
        return node.close();
    }

    // ------------------------------------------------------------------ links: direct, or through a backplane

    SendStatus link(String host, Message m) {
        return backplane == null ? node.send(host, m) : backplane.send(host, m);
    }

    int link(Collection<String> hosts, Message m) {
        return backplane == null ? node.send(hosts, m) : backplane.send(hosts, m);
    }

    private boolean linked(String host) {
        return backplane == null ? node.isConnected(host) : backplane.isAlive(host);
    }

    /** Members keep each other's links; on a backplane the broker keeps them. */
    private void keepLink(String host, boolean keep) {
        if (backplane == null) {
            try {
                node.keep(host, keep);
            } catch (PeerNotFoundException ignored) {
                // the link is already gone
            }
        }
    }

    /** The backplane when it carries channels itself, else null. */
    Backplane nativeChannels() {
        return backplane != null && backplane.nativeChannels() ? backplane : null;
    }

    void reregisterPeers() {
        if (nativeDirectory != null && !closed) {
            LOG.info("host {}: the broker lost its directory; registering {} peers again", id(), peers.size());
            peers.keySet().forEach(nativeDirectory::register);
        }
    }

    void onNativeGroupPublish(String fromHost, String pattern, String group, Message m) {
        if (!fromHost.equals(id()) && !members.containsKey(fromHost)) {
            strangers.increment();
            return;
        }
        channels.onNativeGroupPublish(fromHost, pattern, group, m);
    }

    void onNativePublish(String fromHost, String pattern, Message m) {
        if (!members.containsKey(fromHost)) {
            strangers.increment();
            return;
        }
        channels.onNativePublish(fromHost, pattern, m);
    }

    private void dropLink(String host) {
        if (backplane == null) {
            node.disconnect(host);
        }
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
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(queue, "queue");
        if (closed) {
            throw new ClosedException("host " + id() + " is closed");
        }
        if (peers.size() >= options.maxPeers()) {
            throw new IllegalStateException("host " + id() + " already has " + options.maxPeers() + " peers");
        }
        Peer p = new Peer(peerId, this, queue);
        if (peers.putIfAbsent(peerId, p) != null) {
            throw new IllegalArgumentException("Id already exists (id: " + peerId + ")");
        }
        if (nativeDirectory != null) {
            nativeDirectory.register(peerId);
            return p;
        }
        for (String owner : directory.owners(peerId)) {
            if (!owner.equals(id())) {
                queue(registrations, owner, peerId);
            }
        }
        return p;
    }

    /** The local peer with that id, or null. */
    public Peer get(String peerId) {
        return peers.get(peerId);
    }

    /** This host's peers. */
    public Collection<Peer> peers() {
        return Collections.unmodifiableCollection(peers.values());
    }

    public boolean remove(String peerId) {
        Peer p = peers.remove(peerId);
        if (p == null) {
            return false;
        }
        if (nativeDirectory != null) {
            nativeDirectory.unregister(peerId);
            return true;
        }
        for (String owner : directory.owners(peerId)) {
            if (!owner.equals(id())) {
                queue(unregistrations, owner, peerId);
            }
        }
        return true;
    }

    public boolean remove(Peer peer) {
        return peers.get(peer.id()) == peer && remove(peer.id());
    }

    /**
     * One page of the ids of all peers in the network, in order, after {@code afterId} (null for the first page):
     * every host answers with at most {@code limit} ids, so no reply grows with the network.
     */
    public CompletableFuture<List<String>> listPeers(String afterId, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: must be at least 1");
        }
        List<CompletableFuture<List<String>>> parts = new ArrayList<>();
        parts.add(CompletableFuture.completedFuture(localPage(afterId, limit)));
        Map<String, String> q = new HashMap<>();
        q.put("after", afterId);
        q.put("limit", Integer.toString(limit));
        for (String m : members.keySet()) {
            CompletableFuture<Object> f = new CompletableFuture<>();
            long s = register(Pending.LIST, f, m, null, options.requestTimeout());
            if (!link(m, control("pl" + s, Headers.EMPTY, q)).accepted()) {
                failPending(s, new PeerUnreachableException("host " + m + " is unreachable"));
            }
            parts.add(f.thenApply(o -> {
                @SuppressWarnings("unchecked")
                List<String> l = (List<String>) o;
                return l;
            }));
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0])).thenApply(v -> {
            TreeSet<String> all = new TreeSet<>();
            parts.forEach(p -> all.addAll(p.join()));
            List<String> page = new ArrayList<>(limit);
            for (String s : all) {
                if (page.size() == limit) {
                    break;
                }
                page.add(s);
            }
            return page;
        });
    }

    private List<String> localPage(String after, int limit) {
        PriorityQueue<String> best = new PriorityQueue<>(Collections.reverseOrder());
        for (String p : peers.keySet()) {
            if (after != null && p.compareTo(after) <= 0) {
                continue;
            }
            if (best.size() < limit) {
                best.add(p);
            } else if (p.compareTo(best.peek()) < 0) {
                best.poll();
                best.add(p);
            }
        }
        List<String> out = new ArrayList<>(best);
        Collections.sort(out);
        return out;
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
        channels.publish(id(), subject, payload);
    }

    void publish(Peer from, String subject, Object payload) {
        channels.publish(from.id(), subject, payload);
    }

    /** Sends to every peer on every host (at most once), with this host's id as the sender. */
    public void broadcast(Object payload) {
        broadcast(id(), null, payload);
    }

    void broadcast(String from, Peer exclude, Object payload) {
        Message m = toMessage(payload);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, OP, "b"));
        link(memberIds(), out);
        deliverToAll(from, out, exclude, null);
    }

    /** Sends to every peer whose id matches a subject pattern ({@code sensors.*}) on every host (at most once). */
    void sendToPattern(String from, String pattern, Object payload) {
        String[] tokens = Subjects.tokens(pattern, true);
        Message m = toMessage(payload);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, pattern, OP, "g"));
        link(memberIds(), out);
        deliverToPattern(tokens, from, out, null);
    }

    private void deliverToAll(String from, Message m, Peer exclude, String via) {
        for (Peer p : peers.values()) {
            if (p != exclude) {
                deliverTo(p, from, m, via);
            }
        }
    }

    private void deliverToPattern(String[] pattern, String from, Message m, String via) {
        for (Peer p : peers.values()) {
            if (idMatches(pattern, p.id())) {
                deliverTo(p, from, m, via);
            }
        }
    }

    /** At most once: {@code via} is the remote host that brought it (null: sent here); a drop is counted there. */
    private void deliverTo(Peer p, String from, Message m, String via) {
        p.inbox().offer(() -> deliver(p, from, m), via, true, null, via != null);
    }

    /** Whether a peer id, read as a dotted subject, matches a pattern; ids that are not subjects never match. */
    static boolean idMatches(String[] pattern, String id) {
        int at = 0;
        for (int i = 0; i < pattern.length; i++) {
            if (at > id.length()) {
                return false;
            }
            int end = id.indexOf('.', at);
            if (end < 0) {
                end = id.length();
            }
            if (end == at) {
                return false;
            }
            String t = pattern[i];
            if (t.equals(">")) {
                return true;
            }
            if (!t.equals("*") && !id.regionMatches(at, t, 0, Math.max(t.length(), end - at))) {
                return false;
            }
            at = end + 1;
        }
        return at > id.length();
    }

    Set<String> memberIds() {
        return members.keySet();
    }

    /** Sends a control message that expects an answer (op + sequence number); completes with the answer. */
    CompletableFuture<Object> ask(String to, String op, Object payload) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        long s = register(Pending.LIST, f, to, null, options.requestTimeout());
        if (!link(to, control(op + s, Headers.EMPTY, payload)).accepted()) {
            failPending(s, new PeerUnreachableException("host " + to + " is unreachable"));
        }
        return f;
    }

    void tell(String to, String op, Object payload) {
        link(to, control(op, Headers.EMPTY, payload));
    }

    /** Answers an {@link #ask}: the op's second letter upper-cased, same sequence number. */
    void answer(String to, String op, Object payload) {
        String reply = op.charAt(0) + op.substring(1, 2).toUpperCase(java.util.Locale.ROOT) + op.substring(2);
        link(to, control(reply, Headers.EMPTY, payload));
    }

    void countDropped() {
        dropped.increment();
    }

    /** The incarnation a linked host last showed, or 0. */
    long incarnationOf(String host) {
        return incarnations.getOrDefault(host, 0L);
    }

    void countStranger() {
        strangers.increment();
    }

    // ------------------------------------------------------------------ resolvers

    /**
     * Adds a resolver of peer ids the directory does not know; every member learns that this host resolves, and asks
     * it when its own lookup finds nothing. The registration removes it.
     */
    public io.meshbus.node.Registration addResolver(PeerResolver resolver) {
        Objects.requireNonNull(resolver, "resolver");
        resolvers.add(resolver);
        if (resolvers.size() == 1) {
            for (String m : members.keySet()) {
                tell(m, "z+", "");
            }
        }
        return () -> resolvers.remove(resolver);
    }

    /** This host's resolvers, one after the other, until one made the peer exist here. */
    private CompletableFuture<Boolean> resolveHere(String peerId) {
        CompletableFuture<Boolean> f = CompletableFuture.completedFuture(false);
        for (PeerResolver r : resolvers) {
            f = f.thenCompose(done -> {
                if (done || peers.containsKey(peerId)) {
                    return CompletableFuture.completedFuture(true);
                }
                try {
                    // Bounded: a resolver that hangs must not hold a not-found answer for ever.
                    return r.resolve(peerId).exceptionally(e -> false)
                            .completeOnTimeout(false, RESOLVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RuntimeException e) {
                    LOG.warn("host {}: a resolver failed on {}", id(), peerId, e);
                    return CompletableFuture.completedFuture(false);
                }
            });
        }
        return f.thenApply(done -> peers.containsKey(peerId));
    }

    /** The host where some resolver made the peer exist, or null; asks only hosts that resolve, in bounded time. */
    private CompletableFuture<String> resolve(String peerId) {
        if (resolvers.isEmpty() && resolvingMembers.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return resolveHere(peerId).thenCompose(here -> {
            if (here) {
                return CompletableFuture.completedFuture(id());
            }
            List<CompletableFuture<Object>> answers = new ArrayList<>();
            CompletableFuture<String> found = new CompletableFuture<>();
            Duration bound = options.requestTimeout().compareTo(RESOLVE_TIMEOUT) < 0 ? options.requestTimeout()
                    : RESOLVE_TIMEOUT;
            for (String m : resolvingMembers) {
                CompletableFuture<Object> f = new CompletableFuture<>();
                long s = register(Pending.LIST, f, m, peerId, bound);
                if (!link(m, control("zr" + s, Headers.of(Headers.TO, peerId), "")).accepted()) {
                    failPending(s, new PeerUnreachableException("host " + m + " is unreachable"));
                }
                f.thenAccept(h -> {
                    if (h instanceof String text && !text.isEmpty() && members.containsKey(text)) {
                        found.complete(text);
                    }
                });
                answers.add(f);
            }
            CompletableFuture.allOf(answers.stream().map(a -> a.exceptionally(e -> null))
                    .toArray(CompletableFuture[]::new)).whenComplete((v, e) -> found.complete(null));
            return found;
        });
    }

    private void onResolve(String fromHost, Message m, String op) {
        if (op.equals("z+")) {
            resolvingMembers.add(fromHost);
        } else if (op.startsWith("zr")) {
            String peerId = m.header(Headers.TO);
            if (peerId == null) {
                strangers.increment();
                return;
            }
            resolveHere(peerId).whenComplete((here, e) -> answer(fromHost, op, Boolean.TRUE.equals(here) ? id()
                    : ""));
        } else if (op.startsWith("zR")) {
            Pending p = pending.remove(Long.parseLong(op, 2, op.length(), 10));
            if (p != null) {
                p.future.complete(m.payloadText());
            }
        } else {
            strangers.increment();
        }
    }

    // ------------------------------------------------------------------ find

    /** Where a peer lives; fails with {@link PeerNotFoundException} ("Peer not found (id: X)"). */
    public CompletableFuture<HostAddress> find(String peerId) {
        CompletableFuture<HostAddress> f = new CompletableFuture<>();
        route(peerId, (host, cached) -> f.complete(new HostAddress(host, addressOf(host))), f::completeExceptionally);
        return f;
    }

    private URI addressOf(String host) {
        if (host.equals(id())) {
            return info();
        }
        Member m = members.get(host);
        return m == null ? null : m.address;
    }

    /**
     * Runs {@code onHost} with the host of a peer (and whether that came from the cache), or {@code onError}. Calls
     * for one peer id that wait for the same lookup run in the order they were made, which keeps a sender's order.
     */
    private boolean route(String peerId, BiConsumer<String, Boolean> onHost, Consumer<Throwable> onError) {
        if (closed) {
            onError.accept(new ClosedException("host " + id() + " is closed"));
            return true;
        }
        if (peers.containsKey(peerId)) {
            onHost.accept(id(), false);
            return true;
        }
        String cached = directory.cached(peerId);
        // Not past a lookup still in flight for the peer: the sends waiting on it were made first.
        if (cached != null && members.containsKey(cached) && !lookups.containsKey(peerId)) {
            onHost.accept(cached, true);
            return true;
        }
        for (;;) {
            Lookup l = lookups.computeIfAbsent(peerId, k -> new Lookup(k));
            if (l.enqueue(onHost, onError)) {
                return false;
            }
        }
    }

    /** One lookup in flight for a peer id, with the calls waiting for it, in order. */
    private final class Lookup {
        private final String peerId;
        private final List<Object[]> waiters = new ArrayList<>(2);
        private boolean started;
        private boolean done;
        private String host;
        private Throwable error;
        private int attempt;
        private int outstanding;

        Lookup(String peerId) {
            this.peerId = peerId;
        }

        /** Adds a waiter; false if this lookup is finished and removed (the caller takes a new one). */
        boolean enqueue(BiConsumer<String, Boolean> onHost, Consumer<Throwable> onError) {
            boolean start;
            synchronized (this) {
                if (done) {
                    if (lookups.get(peerId) == this) {
                        deliverTo(onHost, onError);
                        return true;
                    }
                    return false;
                }
                waiters.add(new Object[] {onHost, onError});
                start = !started;
                started = true;
            }
            if (start) {
                ask();
            }
            return true;
        }

        private void deliverTo(BiConsumer<String, Boolean> onHost, Consumer<Throwable> onError) {
            if (error != null) {
                onError.accept(error);
            } else {
                onHost.accept(host, false);
            }
        }

        private void ask() {
            if (nativeDirectory != null) {
                synchronized (this) {
                    outstanding = 1;
                }
                lookupMessages.increment();
                // Broker client threads never run the waiters (user callbacks among them).
                nativeDirectory.lookup(peerId).whenCompleteAsync((h, e) -> answered(e == null ? h : null), executor());
                return;
            }
            String[] owners = directory.owners(peerId);
            List<String> remote = new ArrayList<>(owners.length);
            String found = peers.containsKey(peerId) ? id() : null;
            for (String o : owners) {
                if (o.equals(id())) {
                    String h = directory.owned.get(peerId);
                    if (h != null && members.containsKey(h)) {
                        found = h;
                    }
                } else {
                    remote.add(o);
                }
            }
            if (found != null) {
                complete(found, null);
                return;
            }
            synchronized (this) {
                outstanding = remote.size();
            }
            if (remote.isEmpty()) {
                answered(null);
                return;
            }
            for (String o : remote) {
                if (!linked(o)) {
                    // An owner whose link is down cannot answer now; the other owners can (distribus's find hung
                    // when any host failed to answer).
                    answered(null);
                    continue;
                }
                CompletableFuture<Object> f = new CompletableFuture<>();
                long s = register(Pending.LOOKUP, f, o, peerId, options.requestTimeout());
                f.whenComplete((h, e) -> answered(e == null ? (String) h : null));
                lookupMessages.increment();
                if (!link(o, control("dl" + s, Headers.of(Headers.TO, peerId), "")).accepted()) {
                    failPending(s, new PeerUnreachableException("owner " + o + " unreachable"));
                }
            }
        }

        private void answered(String h) {
            boolean retry = false;
            synchronized (this) {
                if (done) {
                    return;
                }
                if (h != null && !h.isEmpty() && (h.equals(id()) || members.containsKey(h))) {
                    outstanding = 0;
                } else if (--outstanding > 0) {
                    return;
                } else {
                    h = null;
                    retry = ++attempt < MAX_LOOKUP_ATTEMPTS && System.nanoTime() - membershipChanged < SETTLE_NANOS;
                }
            }
            if (h != null) {
                complete(h, null);
            } else if (retry) {
                // Owners change while hosts join or leave; registrations follow within moments.
                TIMER.schedule(this::ask, 100L * attempt, TimeUnit.MILLISECONDS);
            } else {
                resolve(peerId).whenCompleteAsync((found, e) -> {
                    if (found != null) {
                        complete(found, null);
                    } else {
                        notFound.increment();
                        complete(null, new PeerNotFoundException("Peer not found (id: " + peerId + ")"));
                    }
                }, executor());
            }
        }

        void fail(Throwable t) {
            complete(null, t);
        }

        private void complete(String h, Throwable e) {
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
                host = h;
                error = e;
                for (Object[] w : waiters) {
                    @SuppressWarnings("unchecked")
                    BiConsumer<String, Boolean> onHost = (BiConsumer<String, Boolean>) w[0];
                    @SuppressWarnings("unchecked")
                    Consumer<Throwable> onError = (Consumer<Throwable>) w[1];
                    try {
                        deliverTo(onHost, onError);
                    } catch (RuntimeException ex) {
                        LOG.warn("host {}: a lookup waiter failed", id(), ex);
                    }
                }
                waiters.clear();
                // Only now: a send that finds the location in the cache must not overtake the waiters above.
                if (h != null && !h.equals(id())) {
                    directory.cache(peerId, h);
                }
            }
            lookups.remove(peerId, this);
        }
    }

    // ------------------------------------------------------------------ sending

    static Message toMessage(Object payload) {
        return payload instanceof Message m ? m : Message.of(payload);
    }

    CompletableFuture<Void> send(Peer from, String to, Object payload, Duration timeout) {
        Message m = toMessage(payload);
        CompletableFuture<Void> f = new CompletableFuture<>();
        routeWithin(to, timeout, f, (host, cached) -> sendTo(host, cached, from.id(), to, m, f, timeout, false));
        return f;
    }

    /**
     * {@link #route} bounded by the call's own timeout: a lookup that outlasts it fails the call with
     * {@link RequestTimeoutException} (lookups themselves are bounded by the host's request timeout), and what it
     * finds later is not sent. A known or local peer is routed at once and costs no timer.
     */
    private void routeWithin(String to, Duration timeout, CompletableFuture<?> f,
                             BiConsumer<String, Boolean> onHost) {
        boolean now = route(to, (host, cached) -> {
            if (!f.isDone()) {
                onHost.accept(host, cached);
            }
        }, f::completeExceptionally);
        if (!now) {
            ScheduledFuture<?> t = TIMER.schedule(() -> f.completeExceptionally(new RequestTimeoutException(
                    "no answer within " + timeout.toMillis() + " ms: the location of peer " + to
                    + " is still being looked up")), timeout.toMillis(), TimeUnit.MILLISECONDS);
            f.whenComplete((v, e) -> t.cancel(false));
        }
    }

    private void sendTo(String host, boolean cached, String from, String to, Message m, CompletableFuture<Void> f,
                        Duration timeout, boolean retried) {
        if (host.equals(id())) {
            Peer target = peers.get(to);
            if (target == null) {
                f.completeExceptionally(new PeerNotFoundException("Peer not found (id: " + to + ")"));
                return;
            }
            Message stamped = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to));
            target.inbox().offer(() -> {
                deliver(target, from, stamped);
                f.complete(null);
            }, null, true, why -> f.completeExceptionally(new BackPressureException(why)), false);
            return;
        }
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Object> any = (CompletableFuture) f;
        Pending p = new Pending(Pending.SEND, any, host, to, System.nanoTime() + timeout.toNanos());
        p.message = m;
        p.from = from;
        p.cached = cached && !retried;
        long s = register(p);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to, OP, "s" + s));
        SendStatus st = link(host, out);
        if (!st.accepted()) {
            directory.evict(to);
            failPending(s, new PeerUnreachableException("Peer unreachable (id: " + to + ", host: " + host + "): "
                    + st));
        }
    }

    CompletableFuture<Void> sendAtLeastOnce(Peer from, String to, Object payload, Duration timeout) {
        Message m = toMessage(payload);
        Message stamped = m.withHeaders(m.headers().withAll(Headers.FROM, from.id(), Headers.TO, to));
        CompletableFuture<Void> f = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        routeWithin(to, timeout, f, (host, cached) -> sendAtLeastOnceTo(host, cached, to, stamped, f, deadline));
        return f;
    }

    private void sendAtLeastOnceTo(String host, boolean cached, String to, Message stamped, CompletableFuture<Void> f,
                                   long deadline) {
        if (host.equals(id())) {
            Peer target = peers.get(to);
            if (target == null) {
                f.completeExceptionally(new PeerNotFoundException("Peer not found (id: " + to + ")"));
                return;
            }
            target.inbox().offer(() -> {
                deliver(target, stamped.header(Headers.FROM), stamped);
                f.complete(null);
            }, null, true, why -> f.completeExceptionally(new BackPressureException(why)), false);
            return;
        }
        atLeastOnce.send(host, to, stamped, f, deadline, cached, (peerId, original, future, until) -> {
            directory.evict(peerId);
            route(peerId, (h, c) -> sendAtLeastOnceTo(h, false, peerId, original, future, until),
                    future::completeExceptionally);
        });

    }

    SendStatus sendAndForget(Peer from, String to, Object payload) {
        Message m = toMessage(payload);
        String cached = directory.cached(to);
        if (cached != null && members.containsKey(cached) && !peers.containsKey(to) && !lookups.containsKey(to)) {
            return link(cached, m.withHeaders(m.headers().withAll(Headers.FROM, from.id(), Headers.TO, to,
                    OP, "f")));
        }
        if (closed) {
            return SendStatus.CLOSED;
        }
        // A local target is routed at once, so its queue's answer is known before this returns.
        SendStatus[] status = {SendStatus.QUEUED};
        route(to, (host, c) -> {
            if (host.equals(id())) {
                Peer target = peers.get(to);
                if (target != null) {
                    Message stamped = m.withHeaders(m.headers().withAll(Headers.FROM, from.id(), Headers.TO, to));
                    if (!target.inbox().offer(() -> deliver(target, from.id(), stamped), null, true, null, false)) {
                        status[0] = SendStatus.BACK_PRESSURED;
                    }
                    return;
                }
                dropped.increment();
            } else if (!link(host, m.withHeaders(m.headers().withAll(Headers.FROM, from.id(), Headers.TO, to,
                    OP, "f"))).accepted()) {
                dropped.increment();
            }
        }, e -> {
            dropped.increment();
            LOG.debug("host {}: fire-and-forget message to {} dropped: {}", id(), to, e.getMessage());
        });
        return status[0];
    }

    CompletableFuture<Message> request(Peer from, String to, Object payload, Duration timeout) {
        Message m = toMessage(payload);
        CompletableFuture<Message> f = new CompletableFuture<>();
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Object> any = (CompletableFuture) f;
        routeWithin(to, timeout, f, (host, cached) -> {
            long s = register(Pending.REQUEST, any, host, to, timeout);
            Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from.id(), Headers.TO, to,
                    Headers.REPLY_TO, id(), Headers.CORRELATION_ID, Long.toString(s), OP, "q" + s));
            if (host.equals(id())) {
                Peer target = peers.get(to);
                if (target == null) {
                    failPending(s, new PeerNotFoundException("Peer not found (id: " + to + ")"));
                    return;
                }
                target.inbox().offer(() -> deliverRequest(target, from.id(), out, id(), s), null, true,
                        why -> failPending(s, new BackPressureException(why)), false);
                return;
            }
            SendStatus st = link(host, out);
            if (!st.accepted()) {
                directory.evict(to);
                failPending(s, new PeerUnreachableException("Peer unreachable (id: " + to + ", host: " + host
                        + "): " + st));
            }
        });
        return f;
    }

    CompletableFuture<Void> reply(Peer from, Message request, Object payload) {
        String host = request.header(Headers.REPLY_TO);
        String corr = request.header(Headers.CORRELATION_ID);
        String to = request.header(Headers.FROM);
        if (host == null || corr == null || to == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "request: not a request (it has no replyTo/correlationId/from headers)"));
        }
        Message m = toMessage(payload);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from.id(), Headers.TO, to,
                Headers.CORRELATION_ID, corr, OP, "r" + corr));
        if (host.equals(id())) {
            onReply(out, corr);
            return CompletableFuture.completedFuture(null);
        }
        SendStatus st = link(host, out);
        return st.accepted() ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(new PeerUnreachableException("host " + host + " of requester "
                + to + " is unreachable: " + st));
    }

    // ------------------------------------------------------------------ receiving

    void onLinkMessage(String fromHost, Message m) {
        String op = m.header(OP);
        if (op == null || op.isEmpty()) {
            strangers.increment();
            return;
        }
        if (op.equals("h")) {
            onHello(fromHost, m);
            return;
        }
        if (op.equals("x")) {
            onMismatch(fromHost, m);
            return;
        }
        if (!members.containsKey(fromHost)) {
            // Traffic from a host that has not passed the network check is not accepted.
            strangers.increment();
            return;
        }
        switch (op.charAt(0)) {
            case 's', 'f', 'q' -> onDeliver(fromHost, m, op);
            case 'u' -> onAtLeastOnce(fromHost, m, op);
            case 'k' -> atLeastOnce.onAck(fromHost, m);
            case 'n' -> atLeastOnce.onRefusal(fromHost, m, op);
            case 'a' -> onAcks(m);
            case 'r' -> onReply(m, op.substring(1));
            case 'e' -> onError(m, op);
            case 'm' -> onMembers(fromHost, m);
            case 'z' -> onResolve(fromHost, m, op);
            case 'l' -> onLeave(fromHost);
            case 'd' -> onDirectory(fromHost, m, op);
            case 'p' -> onList(fromHost, m, op);
            case 'c' -> {
                if (op.startsWith("cA")) {
                    Pending p = pending.remove(Long.parseLong(op, 2, op.length(), 10));
                    if (p != null) {
                        String refusal = m.payloadText();
                        if (refusal.isEmpty()) {
                            p.future.complete(m);
                        } else {
                            p.future.completeExceptionally(Channels.refusal(refusal));
                        }
                    }
                } else {
                    channels.onMessage(fromHost, m, op);
                }
            }
            case 'b' -> deliverToAll(m.header(Headers.FROM), m, null, fromHost);
            case 'g' -> deliverToPattern(Subjects.tokens(m.header(Headers.TO), true), m.header(Headers.FROM), m,
                    fromHost);
            default -> strangers.increment();
        }
    }

    private void onDeliver(String fromHost, Message m, String op) {
        String to = m.header(Headers.TO);
        Peer target = to == null ? null : peers.get(to);
        char kind = op.charAt(0);
        if (target != null && !options.authorizer().maySend(fromHost, m.header(Headers.FROM), to)) {
            denied.increment();
            LOG.warn("host {}: denied {} from {} on host {} to {}", id(), kind == 'q' ? "a request" : "a message",
                    m.header(Headers.FROM), fromHost, to);
            if (kind != 'f') {
                link(fromHost, error(op.substring(1), ErrorCode.NOT_AUTHORIZED, "host " + id()
                        + " does not allow " + m.header(Headers.FROM) + " to send to " + to));
            }
            return;
        }
        if (target == null) {
            notFound.increment();
            if (kind != 'f') {
                link(fromHost, error(op.substring(1), ErrorCode.PEER_NOT_FOUND,
                        "Peer not found (id: " + to + ")"));
            } else {
                dropped.increment();
            }
            return;
        }
        String from = m.header(Headers.FROM);
        // A confirmed send or a request its queue drops fails its sender typed (BackPressureException) at once.
        java.util.function.Consumer<String> refuse = kind == 'f' ? null
                : why -> link(fromHost, error(op.substring(1), ErrorCode.BACK_PRESSURE, why));
        if (kind == 'q') {
            long s = Long.parseLong(op, 1, op.length(), 10);
            target.inbox().offer(() -> deliverRequest(target, from, m, fromHost, s), fromHost, true, refuse, true);
        } else if (kind == 's') {
            long s = Long.parseLong(op, 1, op.length(), 10);
            Thread reader = Thread.currentThread();
            target.inbox().offer(() -> {
                deliver(target, from, m);
                // Run inline, the confirmation leaves with the batch's others at its end; run later, on its own.
                ack(fromHost, s, Thread.currentThread() != reader);
            }, fromHost, true, refuse, true);
        } else {
            target.inbox().offer(() -> deliver(target, from, m), fromHost, true, null, true);
        }
    }

    /** An at-least-once message: delivered only when it is the stream's next one (see {@link AtLeastOnce}). */
    private void onAtLeastOnce(String fromHost, Message m, String op) {
        AtLeastOnce.Inbound in = atLeastOnce.inbound(fromHost);
        long s = in.take(op);
        if (s == 0) {
            return;
        }
        long epoch = in.epoch();
        String to = m.header(Headers.TO);
        String from = m.header(Headers.FROM);
        Peer target = to == null ? null : peers.get(to);
        if (target != null && !options.authorizer().maySend(fromHost, from, to)) {
            denied.increment();
            LOG.warn("host {}: denied a message from {} on host {} to {}", id(), from, fromHost, to);
            in.refuse(epoch, s, ErrorCode.NOT_AUTHORIZED, "host " + id() + " does not allow " + from
                    + " to send to " + to, false);
            return;
        }
        if (target == null) {
            notFound.increment();
            in.refuse(epoch, s, ErrorCode.PEER_NOT_FOUND, "Peer not found (id: " + to + ")", false);
            return;
        }
        Thread reader = Thread.currentThread();
        boolean taken = target.inbox().offer(() -> {
            deliver(target, from, m);
            in.done(epoch, s, Thread.currentThread() != reader);
        }, fromHost, false, why -> in.refuse(epoch, s, ErrorCode.BACK_PRESSURE, why, Thread.currentThread() != reader),
                true);
        if (!taken) {
            // A full queue under a dropping policy: not taken, not acknowledged; the sender sends it again.
            in.untake(epoch, s);
        }
    }

    private void deliver(Peer target, String from, Message m) {
        delivered.increment();
        for (PeerListener l : target.listeners()) {
            try {
                l.onMessage(from, m);
            } catch (Throwable t) {
                LOG.warn("listener of peer {} failed on a message from {}", target.id(), from, t);
            }
        }
    }

    private void deliverRequest(Peer target, String from, Message m, String replyHost, long s) {
        delivered.increment();
        for (PeerListener l : target.listeners()) {
            try {
                l.onMessage(from, m);
            } catch (Throwable t) {
                LOG.warn("listener of peer {} failed on a request from {}", target.id(), from, t);
                String text = "handler of peer " + target.id() + " failed: " + t;
                if (replyHost.equals(id())) {
                    failPending(s, MeshbusException.of(ErrorCode.REMOTE_FAILURE, text));
                } else {
                    link(replyHost, error(Long.toString(s), ErrorCode.REMOTE_FAILURE, text));
                }
                return;
            }
        }
    }

    private Message error(String seqText, ErrorCode code, String text) {
        return control("e" + seqText, Headers.of(Headers.STATUS, Integer.toString(code.wire())), text);
    }

    private void ack(String host, long s, boolean flushSoon) {
        AckBuffer b = acks.computeIfAbsent(host, AckBuffer::new);
        if (b.add(s) && flushSoon) {
            executor().execute(b::flush);
        }
    }

    /** Confirmations for one host, sent in batches: under load one message confirms many sends. */
    private final class AckBuffer {
        private final String host;
        private long[] seqs = new long[64];
        private int n;

        AckBuffer(String host) {
            this.host = host;
        }

        /** Adds one; true when the buffer was empty (the caller schedules a flush). */
        synchronized boolean add(long s) {
            if (n == seqs.length) {
                seqs = Arrays.copyOf(seqs, n * 2);
            }
            seqs[n++] = s;
            return n == 1;
        }

        /** Sends what is buffered; called at the end of each inbound batch, and by a task for late additions. */
        void flush() {
            ByteBuffer out;
            synchronized (this) {
                if (n == 0) {
                    return;
                }
                out = ByteBuffer.allocate(n * 8);
                for (int i = 0; i < n; i++) {
                    out.putLong(seqs[i]);
                }
                n = 0;
                if (seqs.length > 4096) {
                    seqs = new long[64];
                }
            }
            link(host, Message.ofBytes(Headers.of(OP, "a"), ContentType.BYTES, out.array()));
        }
    }

    private void onAcks(Message m) {
        ByteBuffer b = m.payload();
        while (b.remaining() >= 8) {
            Pending p = pending.remove(b.getLong());
            if (p != null) {
                p.future.complete(null);
            }
        }
    }

    private void onReply(Message m, String seqText) {
        long s;
        try {
            s = Long.parseLong(seqText);
        } catch (NumberFormatException e) {
            strangers.increment();
            return;
        }
        Pending p = pending.remove(s);
        if (p != null) {
            p.future.complete(m);
        }
    }

    private void onError(Message m, String op) {
        long s = Long.parseLong(op, 1, op.length(), 10);
        Pending p = pending.remove(s);
        if (p == null) {
            return;
        }
        ErrorCode code = ErrorCode.ofWire(Integer.parseInt(Objects.requireNonNullElse(m.header(Headers.STATUS),
                "0")));
        MeshbusException e = MeshbusException.of(code, m.payloadText());
        if (code == ErrorCode.PEER_NOT_FOUND && p.peerId != null) {
            directory.evict(p.peerId);
            if (p.kind == Pending.SEND && p.cached) {
                // The cache was stale (the peer moved or went away): look it up again, once.
                @SuppressWarnings({"unchecked", "rawtypes"})
                CompletableFuture<Void> f = (CompletableFuture) p.future;
                Duration left = Duration.ofNanos(Math.max(1, p.deadline - System.nanoTime()));
                route(p.peerId, (h, c) -> sendTo(h, c, p.from, p.peerId, p.message, f, left, true),
                        f::completeExceptionally);
                return;
            }
        }
        p.future.completeExceptionally(e);
    }

    // ------------------------------------------------------------------ membership

    void onLinkUp(NodeListener.ConnectEvent e) {
        if (e.restarted()) {
            forgetHostState(e.id(), "host " + e.id() + " restarted");
            if (members.containsKey(e.id())) {
                registerOwnedBy(e.id(), directory.members());
            }
        }
        incarnations.put(e.id(), e.incarnation());
        Map<String, String> hello = new LinkedHashMap<>();
        hello.put("networkId", networkId);
        URI me = info();
        hello.put("address", me == null ? "" : me.toString());
        hello.put("resolves", resolvers.isEmpty() ? "" : "1");
        link(e.id(), control("h", Headers.EMPTY, hello));
        atLeastOnce.linkUp(e.id());
    }

    void onLinkDown(NodeListener.DisconnectEvent e) {
        if (e.reconnecting()) {
            // In flight on a broken link: their fate is unknown, so their futures fail rather than hang.
            failPending(p -> e.id().equals(p.host), p -> new PeerUnreachableException("Peer unreachable (id: "
                    + p.peerId + ", host: " + e.id() + "): link lost: " + e.cause().getMessage()));
        } else {
            removeMember(e.id(), "link lost for good: " + e.cause().getMessage());
        }
    }

    private void onHello(String from, Message m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> h = m.decode(Map.class);
        String theirs = (String) h.get("networkId");
        String address = (String) h.get("address");
        if ("1".equals(h.get("resolves"))) {
            resolvingMembers.add(from);
        }
        String mismatch = null;
        synchronized (this) {
            String mine = networkId;
            if (mine == null && theirs != null) {
                networkId = theirs;
            } else if (mine != null && theirs != null && !mine.equals(theirs)) {
                mismatch = "Network id mismatch (" + theirs + " !== " + mine + ")";
            }
        }
        if (mismatch != null) {
            LOG.warn("host {}: refusing host {}: {}", id(), from, mismatch);
            link(from, control("x", Headers.EMPTY, networkId));
            rejectHost(from, new NetworkIdMismatchException(mismatch));
            return;
        }
        URI addr = address == null || address.isEmpty() ? null : URI.create(address);
        // Members keep each other: whichever side loses a link re-dials it.
        if (backplane == null) {
            try {
                node.keep(from, true);
            } catch (PeerNotFoundException e) {
                return;
            }
        }
        Member member = new Member(from, addr);
        Member before = members.putIfAbsent(from, member);
        if (before != null) {
            member = before;
        } else {
            membershipChanged(from, true);
            if (addr != null) {
                // Tell the others too: a member that does not listen can only reach the newcomer by dialling it.
                List<Map<String, String>> newcomer = List.of(Map.of("id", from, "address", addr.toString()));
                for (String other : members.keySet()) {
                    if (!other.equals(from)) {
                        link(other, control("m", Headers.EMPTY, newcomer));
                    }
                }
            }
        }
        List<Map<String, String>> list = new ArrayList<>();
        for (Member other : members.values()) {
            if (!other.id.equals(from) && other.address != null) {
                list.add(Map.of("id", other.id, "address", other.address.toString()));
            }
        }
        link(from, control("m", Headers.EMPTY, list));
        channels.announceAll(from);
        Member admittedMember = member;
        admitted.compute(from, (k, f) -> {
            if (f == null || f.isCompletedExceptionally()) {
                return CompletableFuture.completedFuture(admittedMember);
            }
            f.complete(admittedMember);
            return f;
        });
    }

    private void rejectHost(String host, MeshbusException why) {
        admitted.compute(host, (k, f) -> {
            if (f == null || f.isDone()) {
                return CompletableFuture.failedFuture(why);
            }
            f.completeExceptionally(why);
            return f;
        });
        keepLink(host, false);
        dropLink(host);
    }

    /** The other side refused us; the text is built from this side's view, as our own check would build it. */
    private void onMismatch(String from, Message m) {
        rejectHost(from, new NetworkIdMismatchException("Network id mismatch (" + m.payloadText() + " !== "
                + networkId + ")"));
    }

    @SuppressWarnings("unchecked")
    private void onMembers(String from, Message m) {
        List<Map<String, String>> list = m.decode(List.class);
        Member seed = members.get(from);
        CompletableFuture<Void> dialled = dial(list);
        if (seed != null) {
            dialled.whenComplete((v, e) -> seed.membersDialled.complete(null));
        }
    }

    private void onLeave(String from) {
        keepLink(from, false);
        removeMember(from, "host left");
    }

    private void removeMember(String host, String why) {
        resolvingMembers.remove(host);
        Member gone = members.remove(host);
        if (gone == null) {
            return;
        }
        admitted.remove(host);
        incarnations.remove(host);
        LOG.debug("host {}: member {} removed: {}", id(), host, why);
        channels.forget(host);
        forgetHostState(host, why);
        membershipChanged(host, false);
    }

    private void forgetHostState(String host, String why) {
        directory.forgetHost(host);
        atLeastOnce.forget(host, why);
        registeredBy.remove(host);
        failPending(p -> host.equals(p.host), p -> new PeerUnreachableException("Peer unreachable (id: "
                + p.peerId + ", host: " + host + "): " + why));
    }

    /**
     * Members changed: publish the new list to the directory and register each local peer with the owners it gained
     * (a host that joined owns some peers now; when one leaves, its peers get a next owner). Entries this host no
     * longer owns are dropped a little later, once their peers' hosts have re-registered them elsewhere.
     */
    private void membershipChanged(String host, boolean added) {
        if (closed) {
            return;
        }
        String[] before;
        String[] after;
        synchronized (directory) {
            before = directory.members();
            TreeSet<String> ids = new TreeSet<>(members.keySet());
            ids.add(id());
            after = ids.toArray(new String[0]);
            directory.setMembers(after);
            membershipChanged = System.nanoTime();
        }
        if (added) {
            registerOwnedBy(host, after);
        } else {
            for (String p : peers.keySet()) {
                String[] was = directory.owners(p, before);
                for (String o : directory.owners(p, after)) {
                    if (!o.equals(id()) && !contains(was, o)) {
                        queue(registrations, o, p);
                    }
                }
            }
        }
        synchronized (this) {
            if (cleanup != null) {
                cleanup.cancel(false);
            }
            if (!closed) {
                cleanup = TIMER.schedule(this::dropUnowned, 10, TimeUnit.SECONDS);
            }
        }
    }

    /** Registers with {@code host} every local peer it owns (it joined, or restarted with an empty table). */
    private void registerOwnedBy(String host, String[] among) {
        for (String p : peers.keySet()) {
            if (directory.isOwner(p, host, among)) {
                queue(registrations, host, p);
            }
        }
    }

    private void dropUnowned() {
        String[] now = directory.members();
        directory.owned.entrySet().removeIf(e -> {
            if (directory.isOwner(e.getKey(), id(), now)) {
                return false;
            }
            unregistered(e.getValue());
            return true;
        });
    }

    private void unregistered(String host) {
        AtomicInteger c = host == null ? null : registeredBy.get(host);
        if (c != null) {
            c.decrementAndGet();
        }
    }

    private static boolean contains(String[] a, String s) {
        for (String x : a) {
            if (x.equals(s)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ directory messages

    private void queue(Map<String, List<String>> which, String owner, String peerId) {
        if (nativeDirectory != null) {
            return;
        }
        boolean schedule;
        synchronized (registrations) {
            which.computeIfAbsent(owner, k -> new ArrayList<>()).add(peerId);
            schedule = !flushScheduled;
            flushScheduled = true;
        }
        if (schedule) {
            executor().execute(this::flushRegistrations);
        }
    }

    private void flushRegistrations() {
        Map<String, List<String>> reg;
        Map<String, List<String>> unreg;
        synchronized (registrations) {
            reg = new HashMap<>(registrations);
            unreg = new HashMap<>(unregistrations);
            registrations.clear();
            unregistrations.clear();
            flushScheduled = false;
        }
        unreg.forEach((owner, ids) -> sendIds(owner, "du", ids));
        reg.forEach((owner, ids) -> sendIds(owner, "dr", ids));
    }

    private void sendIds(String owner, String op, List<String> ids) {
        for (int from = 0; from < ids.size(); from += REGISTRATION_CHUNK) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + REGISTRATION_CHUNK));
            link(owner, Message.ofBytes(Headers.of(OP, op), ContentType.BYTES, encodeIds(chunk)));
        }
    }

    static byte[] encodeIds(List<String> ids) {
        List<byte[]> raw = new ArrayList<>(ids.size());
        int size = 0;
        for (String s : ids) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            raw.add(b);
            size += 4 + b.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (byte[] b : raw) {
            out.putInt(b.length).put(b);
        }
        return out.array();
    }

    static List<String> decodeIds(ByteBuffer in) {
        List<String> ids = new ArrayList<>();
        while (in.remaining() >= 4) {
            int n = in.getInt();
            if (n < 0 || n > in.remaining()) {
                break;
            }
            byte[] b = new byte[n];
            in.get(b);
            ids.add(new String(b, StandardCharsets.UTF_8));
        }
        return ids;
    }

    private void onDirectory(String fromHost, Message m, String op) {
        if (op.startsWith("dr")) {
            Member member = members.get(fromHost);
            if (member == null) {
                return;
            }
            String host = member.id;
            AtomicInteger count = registeredBy.computeIfAbsent(host, k -> new AtomicInteger());
            int refused = 0;
            for (String p : decodeIds(m.payload())) {
                if (count.get() >= options.maxRegistrationsPerMember() && !host.equals(directory.owned.get(p))) {
                    refused++;
                    continue;
                }
                String before = directory.owned.put(p, host);
                if (!host.equals(before)) {
                    count.incrementAndGet();
                    unregistered(before);
                }
            }
            if (refused > 0) {
                limitRefusals.add(refused);
                LOG.warn("host {}: member {} holds {} directory entries here, the limit; {} more refused", id(), host,
                        count.get(), refused);
            }
        } else if (op.startsWith("du")) {
            for (String p : decodeIds(m.payload())) {
                if (directory.owned.remove(p, fromHost)) {
                    unregistered(fromHost);
                }
            }
        } else if (op.startsWith("dl")) {
            String peerId = m.header(Headers.TO);
            String h = peerId == null ? null : peers.containsKey(peerId) ? id() : directory.owned.get(peerId);
            link(fromHost, control("dL" + op.substring(2), Headers.EMPTY, h == null ? "" : h));
        } else if (op.startsWith("dL")) {
            Pending p = pending.remove(Long.parseLong(op, 2, op.length(), 10));
            if (p != null) {
                String h = m.payloadText();
                p.future.complete(h.isEmpty() ? null : h);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void onList(String fromHost, Message m, String op) {
        if (op.startsWith("pl")) {
            Map<String, String> q = m.decode(Map.class);
            int limit = Math.max(1, Math.min(100_000, Integer.parseInt(q.getOrDefault("limit", "1000"))));
            link(fromHost, control("pL" + op.substring(2), Headers.EMPTY, localPage(q.get("after"), limit)));
        } else if (op.startsWith("pL")) {
            Pending p = pending.remove(Long.parseLong(op, 2, op.length(), 10));
            if (p != null) {
                p.future.complete(m.decode(List.class));
            }
        }
    }

    // ------------------------------------------------------------------ pending operations

    private long register(int kind, CompletableFuture<Object> f, String host, String peerId, Duration timeout) {
        return register(new Pending(kind, f, host, peerId, System.nanoTime() + timeout.toNanos()));
    }

    /** Files an operation under a new sequence number (one map write: the hot path of confirmed sends). */
    private long register(Pending p) {
        long s = seq.incrementAndGet();
        pending.put(s, p);
        if (closed) {
            failPending(s, new ClosedException("host " + id() + " is closed"));
        }
        return s;
    }

    private void failPending(long s, Throwable t) {
        Pending p = pending.remove(s);
        if (p != null) {
            p.future.completeExceptionally(t);
        }
    }

    private void failPending(java.util.function.Predicate<Pending> which,
                             java.util.function.Function<Pending, Throwable> why) {
        pending.forEach((s, p) -> {
            if (which.test(p) && pending.remove(s, p)) {
                executor().execute(() -> p.future.completeExceptionally(why.apply(p)));
            }
        });
    }

    private void sweep() {
        long now = System.nanoTime();
        atLeastOnce.tick(now, members::containsKey);
        pending.forEach((s, p) -> {
            if (now - p.deadline > 0 && pending.remove(s, p)) {
                String what = switch (p.kind) {
                    case Pending.SEND -> "no confirmation from peer " + p.peerId;
                    case Pending.REQUEST -> "no reply from peer " + p.peerId;
                    case Pending.LOOKUP -> "no answer from directory host " + p.host;
                    default -> "no answer from host " + p.host;
                };
                executor().execute(() -> p.future.completeExceptionally(new RequestTimeoutException(what
                        + " in time")));
            }
        });
    }

    /** One operation waiting for an answer. */
    private static final class Pending {
        static final int SEND = 0;
        static final int REQUEST = 1;
        static final int LOOKUP = 2;
        static final int LIST = 3;

        final int kind;
        final CompletableFuture<Object> future;
        final String host;
        final String peerId;
        final long deadline;
        Message message;
        String from;
        boolean cached;

        Pending(int kind, CompletableFuture<Object> future, String host, String peerId, long deadline) {
            this.kind = kind;
            this.future = future;
            this.host = host;
            this.peerId = peerId;
            this.deadline = deadline;
        }
    }

    /** A host admitted to the network, as this host knows it. */
    private static final class Member {
        final String id;
        final URI address;
        /** Completes when the members this one named have been dialled (the list itself is not kept). */
        final CompletableFuture<Void> membersDialled = new CompletableFuture<>();
        /** Completes when the member's subscriptions are known here (its interest snapshot arrived). */
        final CompletableFuture<Void> interests = new CompletableFuture<>();

        Member(String id, URI address) {
            this.id = id;
            this.address = address;
        }
    }

    private static Message control(String op, Headers headers, Object payload) {
        return Message.of(headers.with(OP, op), payload);
    }

    /** Counters of the bus layer (the node's own are in {@code node().metrics()}). */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("peers", (long) peers.size());
        m.put("members", (long) members.size());
        m.put("delivered", delivered.sum());
        m.put("notFound", notFound.sum());
        m.put("lookupMessages", lookupMessages.sum());
        m.put("dropped", dropped.sum());
        m.put("strangers", strangers.sum());
        m.put("denied", denied.sum());
        m.put("limitRefusals", limitRefusals.sum());
        m.put("pending", (long) pending.size());
        m.put("atLeastOnceUnacknowledged", (long) atLeastOnce.unacknowledged());
        m.put("atLeastOnceRefused", atLeastOnce.refused.sum());
        m.put("atLeastOnceResent", atLeastOnce.retransmitted.sum());
        m.put("atLeastOnceDuplicates", atLeastOnce.duplicates.sum());
        m.put("atLeastOnceGaps", atLeastOnce.gaps.sum());
        m.put("atLeastOnceStreamsReset", atLeastOnce.streamsReset.sum());
        m.put("atLeastOnceMisaddressed", atLeastOnce.misaddressed.sum());
        m.put("directoryEntries", (long) directory.owned.size());
        m.put("directoryCache", (long) directory.cacheSize());
        m.put("published", channels.published.sum());
        m.put("deliveredToSubscribers", channels.deliveredToSubscribers.sum());
        m.put("publishesRefused", channels.refused.sum());
        m.put("subscriptions", (long) channels.localSubscriptions());
        m.put("remoteInterests", (long) channels.remoteInterests());
        m.put("slowConsumerDropped", slowConsumers.dropped.sum());
        m.put("slowConsumerRefused", slowConsumers.refused.sum());
        m.put("slowConsumersFailed", slowConsumers.failed.sum());
        m.put("inboundPauses", slowConsumers.pauses.sum());
        if (backplaneLinks != null) {
            m.put("backplaneDropped", backplaneLinks.dropped.sum());
        }
        return m;
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "meshbus-timer");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    @Override
    public String toString() {
        return "Host{" + id() + " " + info() + ", " + members.size() + " members, " + peers.size() + " peers}";
    }
}
