package io.meshbus.bus;

import io.meshbus.bus.directory.DirectoryReplication;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.protocol.LocalPeerIds;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.error.ClosedException;
import io.meshbus.error.PeerIdTakenException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.message.Message;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's peers: creating and removing them (each create or remove tells the directory once), and the
 * network-wide listing, one bounded page per host ({@code pl}/{@code pL}), so no answer grows with the network.
 * A peer that lost its id to one elsewhere (see {@code DirectoryReplication}) is removed here, told why, and what it
 * was still waiting for fails typed.
 *
 * <p>Threads: any. The map is the only state.
 */
final class LocalPeers implements LocalPeerIds {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPeers.class);
    private static final int MAX_PAGE = 100_000;

    private final BusContext ctx;
    private final Host host;
    private final Membership membership;
    private final HostCalls calls;
    private final PendingOps pending;
    private final ConcurrentHashMap<String, Peer> peers = new ConcurrentHashMap<>();
    private DirectoryReplication replication;

    LocalPeers(BusContext ctx, Host host, Membership membership, HostCalls calls, PendingOps pending) {
        this.ctx = ctx;
        this.host = host;
        this.membership = membership;
        this.calls = calls;
        this.pending = pending;
    }

    /** Set once, at construction of the host: the directory is built over these peers. */
    void replicateTo(DirectoryReplication replication) {
        this.replication = replication;
    }

    @Override
    public boolean has(String peerId) {
        return peers.containsKey(peerId);
    }

    @Override
    public long createdAt(String peerId) {
        Peer p = peers.get(peerId);
        return p == null ? -1 : p.createdAt();
    }

    @Override
    public Collection<String> ids() {
        return peers.keySet();
    }

    Peer get(String peerId) {
        return peers.get(peerId);
    }

    Collection<Peer> all() {
        return Collections.unmodifiableCollection(peers.values());
    }

    int size() {
        return peers.size();
    }

    Peer create(String peerId, ConsumerOptions queue) {
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(queue, "queue");
        if (ctx.isClosed()) {
            throw new ClosedException("host " + ctx.id() + " is closed");
        }
        if (peers.size() >= ctx.options().maxPeers()) {
            throw new IllegalStateException("host " + ctx.id() + " already has " + ctx.options().maxPeers()
                    + " peers");
        }
        String holder = replication.heldElsewhere(peerId);
        if (holder != null) {
            throw taken(peerId, holder);
        }
        Peer p = new Peer(peerId, host, queue, ctx.clock().currentTimeMillis());
        if (peers.putIfAbsent(peerId, p) != null) {
            throw new IllegalArgumentException("Id already exists (id: " + peerId + ")");
        }
        replication.registered(peerId);
        return p;
    }

    /** {@code Host.claim}: the network is asked first ({@code find}); a peer found elsewhere fails it typed. */
    CompletableFuture<Peer> claim(String peerId, ConsumerOptions queue,
                                  Function<String, CompletableFuture<String>> find) {
        Objects.requireNonNull(peerId, "peerId");
        if (peers.containsKey(peerId)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("Id already exists (id: " + peerId
                    + ")"));
        }
        return find.apply(peerId).handle((holder, e) -> {
            if (e == null && holder != null && !holder.equals(ctx.id())) {
                throw taken(peerId, holder);
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause != null && !(cause instanceof PeerNotFoundException)) {
                throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
            }
            return create(peerId, queue);
        });
    }

    private static PeerIdTakenException taken(String peerId, String holder) {
        return new PeerIdTakenException("Peer id taken (id: " + peerId + ", held by a peer on host " + holder + ")");
    }

    boolean remove(String peerId) {
        Peer p = peers.remove(peerId);
        if (p == null) {
            return false;
        }
        replication.unregistered(peerId);
        p.removed(null);
        return true;
    }

    boolean remove(Peer peer) {
        return peers.get(peer.id()) == peer && remove(peer.id());
    }

    /** The network gave this id to a peer on {@code winner}: the local one created at {@code createdAt} goes. */
    void lost(String peerId, long createdAt, String winner) {
        Peer p = peers.get(peerId);
        if (p == null || p.createdAt() != createdAt || !peers.remove(peerId, p)) {
            return;
        }
        ctx.metrics().peerIdsLost.increment();
        LOG.warn("host {}: peer {} lost its id to a peer on host {} (the network's peer id resolver chose it)",
                ctx.id(), peerId, winner);
        replication.unregistered(peerId);
        PeerIdTakenException why = taken(peerId, winner);
        pending.failWhere(x -> peerId.equals(x.from()), x -> why);
        p.removed(why);
    }

    // ------------------------------------------------------------------ listing

    CompletableFuture<List<String>> list(String afterId, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: must be at least 1");
        }
        List<CompletableFuture<List<String>>> parts = new ArrayList<>();
        parts.add(CompletableFuture.completedFuture(page(afterId, limit)));
        Map<String, String> q = new HashMap<>();
        q.put("after", afterId);
        q.put("limit", Integer.toString(limit));
        for (String m : membership.memberIds()) {
            parts.add(calls.ask(m, BusOps.LIST, q).thenApply(o -> {
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

    /** The first {@code limit} local ids after {@code after}, in order: a bounded heap, not a sort of all. */
    private List<String> page(String after, int limit) {
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

    /** The {@code p} family, from a member. */
    @SuppressWarnings("unchecked")
    void onListOp(String fromHost, Message m, String op) {
        if (op.startsWith(BusOps.LIST)) {
            Map<String, String> q = m.decode(Map.class);
            int limit = Math.max(1, Math.min(MAX_PAGE, Integer.parseInt(q.getOrDefault("limit", "1000"))));
            calls.answer(fromHost, op, page(q.get("after"), limit));
        } else if (!op.startsWith(BusOps.LIST_ANSWER) || !calls.onAnswer(op, m.decode(List.class))) {
            ctx.metrics().strangers.increment();
        }
    }
}
