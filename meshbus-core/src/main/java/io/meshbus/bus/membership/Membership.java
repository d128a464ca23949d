package io.meshbus.bus.membership;

import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.message.Message;
import io.meshbus.node.NodeListener;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is in the network, as this host knows it: joining, the hello both sides send on every new link (with the
 * network id check), the member lists that turn one join into a full mesh, goodbyes, lost links and restarted hosts.
 * The other rooms learn of each change through {@link MembershipListener}s.
 *
 * <p>Invariants: the network id is set at most once (configured, or adopted from the first hello); a host is a member
 * only once the network ids agreed; members keep each other's links.
 *
 * <p>Threads: link events and ops arrive on the executor, serially per remote host; the public queries are safe from
 * any thread. {@code networkLock} guards the adoption of the network id.
 */
public final class Membership {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final BusContext ctx;
    private final Supplier<URI> address;
    private final BooleanSupplier resolvesHere;
    private final Function<URI, CompletableFuture<String>> dialer;
    private final Duration handshakeTimeout;
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final ConcurrentHashMap<String, Member> members = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<Member>> admitted = new ConcurrentHashMap<>();
    /** The incarnation each linked host last showed: at-least-once streams name their receiver's. */
    private final ConcurrentHashMap<String, Long> incarnations = new ConcurrentHashMap<>();
    private final Object networkLock = new Object();
    private volatile String networkId; // guarded by networkLock for writes
    private volatile long lastChange;

    /**
     * @param address      this host's advertised address, or null when it does not listen (read at each hello)
     * @param resolvesHere whether this host has peer resolvers (said in each hello)
     * @param dialer       dials a host's address, completing with its id once linked
     */
    public Membership(BusContext ctx, String networkId, Duration handshakeTimeout, Supplier<URI> address,
                      BooleanSupplier resolvesHere, Function<URI, CompletableFuture<String>> dialer) {
        this.ctx = ctx;
        this.networkId = networkId;
        this.handshakeTimeout = handshakeTimeout;
        this.address = address;
        this.resolvesHere = resolvesHere;
        this.dialer = dialer;
        this.lastChange = ctx.clock().nanoTime();
    }

    public void addListener(MembershipListener l) {
        listeners.add(l);
    }

    // ------------------------------------------------------------------ queries

    /** The network id: the configured one, the one adopted on the first join, or null. Never changes once set. */
    public String networkId() {
        return networkId;
    }

    /** The ids of the members, sorted, as a copy. */
    public Set<String> members() {
        return Collections.unmodifiableSet(new TreeSet<>(members.keySet()));
    }

    /** A live view of the members' ids. */
    public Set<String> memberIds() {
        return members.keySet();
    }

    /** The member, or null. */
    public Member member(String host) {
        return members.get(host);
    }

    public boolean isMember(String host) {
        return members.containsKey(host);
    }

    public int size() {
        return members.size();
    }

    /** Where a member listens, or null. */
    public URI addressOf(String host) {
        Member m = members.get(host);
        return m == null ? null : m.address();
    }

    /** The incarnation a linked host last showed, or 0. */
    public long incarnationOf(String host) {
        return incarnations.getOrDefault(host, 0L);
    }

    /** When the member set last changed, on the bus clock: lookups retry while it settles. */
    public long lastChange() {
        return lastChange;
    }

    // ------------------------------------------------------------------ joining

    /**
     * Joins through the given seeds (each a DNS name may stand for several addresses, each tried). Completes when at
     * least one admitted this host and the members it named were dialled; else fails with the first seed's error.
     */
    public CompletableFuture<Void> join(Collection<URI> seeds) {
        List<CompletableFuture<Void>> tries = new ArrayList<>();
        for (URI seed : seeds) {
            for (URI u : expand(seed)) {
                tries.add(dialer.apply(u).thenCompose(this::admission).thenCompose(this::dialMembers));
            }
        }
        if (tries.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("seeds: none given"));
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        CompletableFuture.allOf(tries.toArray(new CompletableFuture[0])).whenComplete((v, err) -> {
            Throwable first = null;
            for (CompletableFuture<Void> t : tries) {
                if (!t.isCompletedExceptionally()) {
                    result.complete(null);
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

    /** Admits the hosts a broker reports alive at start: completes once each was admitted or failed to be. */
    public CompletableFuture<Void> admitAll(Collection<String> hosts) {
        List<CompletableFuture<Member>> all = new ArrayList<>();
        for (String h : hosts) {
            all.add(admission(h).exceptionally(e -> null));
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture[0]));
    }

    /** A tcp seed named by DNS becomes one URI per address (a seed list behind one name). */
    static List<URI> expand(URI seed) {
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
        long ms = handshakeTimeout.toMillis() * 2;
        return f.orTimeout(ms, TimeUnit.MILLISECONDS)
                .thenCompose(member -> member.interests.orTimeout(ms, TimeUnit.MILLISECONDS).thenApply(v -> member));
    }

    /** The member's interest snapshot arrived: its admission is complete. */
    public void interestsKnown(String hostId) {
        Member m = members.get(hostId);
        if (m != null) {
            m.interests.complete(null);
        }
    }

    private CompletableFuture<Void> dialMembers(Member seed) {
        return seed.membersDialled.orTimeout(handshakeTimeout.toMillis() * 4, TimeUnit.MILLISECONDS);
    }

    private CompletableFuture<Void> dial(List<Map<String, String>> list) {
        List<CompletableFuture<?>> dials = new ArrayList<>();
        for (Map<String, String> m : list) {
            String hid = m.get("id");
            String addr = m.get("address");
            if (hid == null || hid.equals(ctx.id()) || addr == null || addr.isEmpty()) {
                continue;
            }
            // A member may have dialled in first (the seed told it of us): it is admitted, but its interests may still
            // be on their way, and a publish right after the join must reach them, so it is waited for too.
            CompletableFuture<String> linked = members.containsKey(hid) ? CompletableFuture.completedFuture(hid)
                    : dialer.apply(URI.create(addr));
            // A member that does not answer within the handshake timeout is left to its own dial back.
            dials.add(linked.thenCompose(this::admission)
                    .orTimeout(handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionally(e -> {
                        LOG.debug("host {}: could not reach member {} at {}: {}", ctx.id(), hid, addr, e.toString());
                        return null;
                    }));
        }
        return CompletableFuture.allOf(dials.toArray(new CompletableFuture[0]));
    }

    /** Tells every member goodbye: they forget this host's peers at once. */
    public void leave() {
        for (String m : members.keySet()) {
            ctx.carrier().send(m, BusOps.control(BusOps.LEAVE, ""));
        }
    }

    // ------------------------------------------------------------------ link events

    public void onLinkUp(NodeListener.ConnectEvent e) {
        String host = e.id();
        if (e.restarted()) {
            boolean member = members.containsKey(host);
            for (MembershipListener l : listeners) {
                l.restarted(host, "host " + host + " restarted", member);
            }
        }
        incarnations.put(host, e.incarnation());
        Map<String, String> hello = new LinkedHashMap<>();
        hello.put("networkId", networkId);
        URI me = address.get();
        hello.put("address", me == null ? "" : me.toString());
        hello.put("resolves", resolvesHere.getAsBoolean() ? "1" : "");
        ctx.carrier().send(host, BusOps.control(BusOps.HELLO, hello));
        for (MembershipListener l : listeners) {
            l.linkUp(host);
        }
    }

    public void onLinkDown(NodeListener.DisconnectEvent e) {
        if (e.reconnecting()) {
            for (MembershipListener l : listeners) {
                l.linkLost(e.id(), "link lost: " + e.cause().getMessage());
            }
        } else {
            remove(e.id(), "link lost for good: " + e.cause().getMessage());
        }
    }

    // ------------------------------------------------------------------ ops

    public void onHello(String from, Message m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> h = m.decode(Map.class);
        String theirs = (String) h.get("networkId");
        String addressText = (String) h.get("address");
        String mismatch = null;
        synchronized (networkLock) {
            String mine = networkId;
            if (mine == null && theirs != null) {
                networkId = theirs;
            } else if (mine != null && theirs != null && !mine.equals(theirs)) {
                mismatch = "Network id mismatch (" + theirs + " !== " + mine + ")";
            }
        }
        if (mismatch != null) {
            LOG.warn("host {}: refusing host {}: {}", ctx.id(), from, mismatch);
            ctx.carrier().send(from, BusOps.control(BusOps.MISMATCH, networkId));
            reject(from, new NetworkIdMismatchException(mismatch));
            return;
        }
        if ("1".equals(h.get("resolves"))) {
            for (MembershipListener l : listeners) {
                l.resolves(from);
            }
        }
        URI addr = addressText == null || addressText.isEmpty() ? null : URI.create(addressText);
        // Members keep each other: whichever side loses a link re-dials it.
        if (!ctx.carrier().keep(from, true)) {
            return;
        }
        Member member = new Member(from, addr);
        Member before = members.putIfAbsent(from, member);
        if (before != null) {
            member = before;
        } else {
            lastChange = ctx.clock().nanoTime();
            for (MembershipListener l : listeners) {
                l.added(from);
            }
            if (addr != null) {
                // Tell the others too: a member that does not listen can only reach the newcomer by dialling it.
                List<Map<String, String>> newcomer = List.of(Map.of("id", from, "address", addr.toString()));
                for (String other : members.keySet()) {
                    if (!other.equals(from)) {
                        ctx.carrier().send(other, BusOps.control(BusOps.MEMBERS, newcomer));
                    }
                }
            }
        }
        List<Map<String, String>> list = new ArrayList<>();
        for (Member other : members.values()) {
            if (!other.id().equals(from) && other.address() != null) {
                list.add(Map.of("id", other.id(), "address", other.address().toString()));
            }
        }
        ctx.carrier().send(from, BusOps.control(BusOps.MEMBERS, list));
        for (MembershipListener l : listeners) {
            l.admitted(from);
        }
        Member admittedMember = member;
        admitted.compute(from, (k, f) -> {
            if (f == null || f.isCompletedExceptionally()) {
                return CompletableFuture.completedFuture(admittedMember);
            }
            f.complete(admittedMember);
            return f;
        });
    }

    /** The other side refused us; the text is built from this side's view, as our own check would build it. */
    public void onMismatch(String from, Message m) {
        reject(from, new NetworkIdMismatchException("Network id mismatch (" + m.payloadText() + " !== "
                + networkId + ")"));
    }

    @SuppressWarnings("unchecked")
    public void onMembers(String from, Message m) {
        List<Map<String, String>> list = m.decode(List.class);
        Member seed = members.get(from);
        CompletableFuture<Void> dialled = dial(list);
        if (seed != null) {
            dialled.whenComplete((v, e) -> seed.membersDialled.complete(null));
        }
    }

    public void onLeave(String from) {
        ctx.carrier().keep(from, false);
        remove(from, "host left");
    }

    private void reject(String host, MeshbusException why) {
        admitted.compute(host, (k, f) -> {
            if (f == null || f.isDone()) {
                return CompletableFuture.failedFuture(why);
            }
            f.completeExceptionally(why);
            return f;
        });
        ctx.carrier().keep(host, false);
        ctx.carrier().drop(host);
    }

    private void remove(String host, String why) {
        Member gone = members.remove(host);
        if (gone == null) {
            return;
        }
        admitted.remove(host);
        incarnations.remove(host);
        LOG.debug("host {}: member {} removed: {}", ctx.id(), host, why);
        lastChange = ctx.clock().nanoTime();
        for (MembershipListener l : listeners) {
            l.removed(host, why);
        }
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
