package io.meshbus.bus.directory;

import io.meshbus.bus.Backplane;
import io.meshbus.bus.PeerClaim;
import io.meshbus.bus.membership.Member;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.membership.MembershipListener;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.protocol.LocalPeerIds;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication side of the directory: a host registers each local peer with the peer's owner hosts (batched),
 * owners store those entries and answer lookups ({@code dr}, {@code du}, {@code dl}), and entries move when members
 * change: a host that joins gets the peers it now owns from each host, the peers a leaving host owned are registered
 * with their next owner, and an owner drops what it no longer owns once the moves had time to happen.
 *
 * <p>Invariants: an owner never stores entries for its own peers; a member holds at most
 * {@code maxRegistrationsPerMember} entries here (the rest refused, counted and logged; its peers stay reachable
 * through their own host, the other owner). On a broker that holds the directory, this room only registers.
 *
 * <p>Peer ids are unique across the network: a registration carries the peer's creation time, and an owner that
 * finds an id claimed by two hosts (both still holding it, which it checks with the older holder: a peer that moved
 * is not a clash) lets the host's {@link io.meshbus.bus.PeerIdResolver} choose, tells the loser's host
 * ({@code dx}) and keeps the winner. Both owners of an id see the same two claims, so they choose alike.
 *
 * <p>Threads: ops and membership events on the executor; {@link #registered}/{@link #unregistered} from any thread.
 * {@code queueLock} guards the registration batches and {@code flushScheduled}; {@code this} guards the cleanup timer.
 */
public final class DirectoryReplication implements MembershipListener {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryReplication.class);
    static final int REGISTRATION_CHUNK = 8192;
    private static final long CLEANUP_SECONDS = 10;

    private final BusContext ctx;
    private final Directory directory;
    private final Membership membership;
    private final LocalPeerIds local;
    private final PendingOps pending;
    private final HostCalls calls;
    private final IdLost lost;
    /** The backplane when it holds the directory, else null. */
    private final Backplane nativeDirectory;
    private final LongAdder clashes = new LongAdder();
    private final Object queueLock = new Object();
    private final Map<String, List<String>> registrations = new HashMap<>();
    private final Map<String, List<String>> unregistrations = new HashMap<>();
    private boolean flushScheduled;
    /** Directory entries held here per member, against {@code maxRegistrationsPerMember}. */
    private final ConcurrentHashMap<String, AtomicInteger> registeredBy = new ConcurrentHashMap<>();
    private ScheduledFuture<?> cleanup;

    /** Told when a local peer lost its id to a peer on another host. */
    public interface IdLost {
        /** @param createdAt the creation time of the local peer that lost (a newer one of that id keeps it) */
        void lost(String peerId, long createdAt, String winnerHost);
    }

    DirectoryReplication(BusContext ctx, Directory directory, Membership membership, LocalPeerIds local,
                         PendingOps pending, HostCalls calls, IdLost lost, Backplane nativeDirectory) {
        this.ctx = ctx;
        this.directory = directory;
        this.membership = membership;
        this.local = local;
        this.pending = pending;
        this.calls = calls;
        this.lost = lost;
        this.nativeDirectory = nativeDirectory;
    }

    /**
     * The host that holds a peer of this id according to this host's own directory entries (it is one of the id's
     * owners), or null: lets a create fail at once when the id is known to be taken.
     */
    public String heldElsewhere(String peerId) {
        String h = directory.ownedHost(peerId);
        return h != null && !h.equals(ctx.id()) && membership.isMember(h) ? h : null;
    }

    // ------------------------------------------------------------------ local peers

    /** A local peer was created: its owners (or the broker) learn where it is. */
    public void registered(String peerId) {
        if (nativeDirectory != null) {
            nativeDirectory.register(peerId);
            return;
        }
        for (String owner : directory.owners(peerId)) {
            if (!owner.equals(ctx.id())) {
                queue(registrations, owner, peerId);
            }
        }
    }

    public void unregistered(String peerId) {
        if (nativeDirectory != null) {
            nativeDirectory.unregister(peerId);
            return;
        }
        for (String owner : directory.owners(peerId)) {
            if (!owner.equals(ctx.id())) {
                queue(unregistrations, owner, peerId);
            }
        }
    }

    /** The broker lost the directory it held: every local peer is registered again. */
    public void reregister() {
        if (nativeDirectory != null && !ctx.isClosed()) {
            LOG.info("host {}: the broker lost its directory; registering {} peers again", ctx.id(),
                    local.ids().size());
            local.ids().forEach(nativeDirectory::register);
        }
    }

    // ------------------------------------------------------------------ membership

    @Override
    public void restarted(String host, String why, boolean member) {
        forgetHost(host);
        if (member) {
            registerOwnedBy(host, directory.members());
        }
    }

    @Override
    public void added(String host) {
        membershipChanged(host, true);
    }

    @Override
    public void removed(String host, String why) {
        forgetHost(host);
        membershipChanged(host, false);
    }

    private void forgetHost(String host) {
        directory.forgetHost(host);
        registeredBy.remove(host);
    }

    /**
     * Members changed: publish the new list to the directory and register each local peer with the owners it gained
     * (a host that joined owns some peers now; when one leaves, its peers get a next owner). Entries this host no
     * longer owns are dropped a little later, once their peers' hosts have re-registered them elsewhere.
     */
    private void membershipChanged(String host, boolean added) {
        if (ctx.isClosed()) {
            return;
        }
        String[] before;
        String[] after;
        synchronized (directory) {
            before = directory.members();
            TreeSet<String> ids = new TreeSet<>(membership.memberIds());
            ids.add(ctx.id());
            after = ids.toArray(new String[0]);
            directory.setMembers(after);
        }
        if (added) {
            registerOwnedBy(host, after);
        } else {
            for (String p : local.ids()) {
                String[] was = directory.owners(p, before);
                for (String o : directory.owners(p, after)) {
                    if (!o.equals(ctx.id()) && !contains(was, o)) {
                        queue(registrations, o, p);
                    }
                }
            }
        }
        synchronized (this) {
            if (cleanup != null) {
                cleanup.cancel(false);
            }
            if (!ctx.isClosed()) {
                cleanup = ctx.clock().schedule(this::dropUnowned, CLEANUP_SECONDS, TimeUnit.SECONDS);
            }
        }
    }

    /** Registers with {@code host} every local peer it owns (it joined, or restarted with an empty table). */
    private void registerOwnedBy(String host, String[] among) {
        for (String p : local.ids()) {
            if (directory.isOwner(p, host, among)) {
                queue(registrations, host, p);
            }
        }
    }

    private void dropUnowned() {
        String[] now = directory.members();
        directory.owned.entrySet().removeIf(e -> {
            if (directory.isOwner(e.getKey(), ctx.id(), now)) {
                return false;
            }
            uncount(e.getValue().host());
            return true;
        });
    }

    private void uncount(String host) {
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

    public synchronized void close() {
        if (cleanup != null) {
            cleanup.cancel(false);
        }
    }

    // ------------------------------------------------------------------ batching

    private void queue(Map<String, List<String>> which, String owner, String peerId) {
        if (nativeDirectory != null) {
            return;
        }
        boolean schedule;
        synchronized (queueLock) {
            which.computeIfAbsent(owner, k -> new ArrayList<>()).add(peerId);
            schedule = !flushScheduled;
            flushScheduled = true;
        }
        if (schedule) {
            ctx.executor().execute(this::flush);
        }
    }

    private void flush() {
        Map<String, List<String>> reg;
        Map<String, List<String>> unreg;
        synchronized (queueLock) {
            reg = new HashMap<>(registrations);
            unreg = new HashMap<>(unregistrations);
            registrations.clear();
            unregistrations.clear();
            flushScheduled = false;
        }
        unreg.forEach((owner, ids) -> {
            for (int from = 0; from < ids.size(); from += REGISTRATION_CHUNK) {
                ctx.carrier().send(owner, BusOps.ids(BusOps.UNREGISTER,
                        ids.subList(from, Math.min(ids.size(), from + REGISTRATION_CHUNK))));
            }
        });
        reg.forEach(this::sendClaims);
    }

    /** Registrations with their creation times; a peer removed since it was queued is left out. */
    private void sendClaims(String owner, List<String> ids) {
        List<String> chunk = new ArrayList<>(Math.min(ids.size(), REGISTRATION_CHUNK));
        long[] at = new long[Math.min(ids.size(), REGISTRATION_CHUNK)];
        for (String p : ids) {
            long t = local.createdAt(p);
            if (t < 0) {
                continue;
            }
            at[chunk.size()] = t;
            chunk.add(p);
            if (chunk.size() == at.length) {
                ctx.carrier().send(owner, BusOps.claims(BusOps.REGISTER, chunk, at));
                chunk.clear();
            }
        }
        if (!chunk.isEmpty()) {
            ctx.carrier().send(owner, BusOps.claims(BusOps.REGISTER, chunk, at));
        }
    }

    // ------------------------------------------------------------------ ops

    /** The {@code d} family, from a member. */
    public void onOp(String fromHost, Message m, String op) {
        if (op.startsWith(BusOps.REGISTER)) {
            onRegister(fromHost, m);
        } else if (op.startsWith(BusOps.UNREGISTER)) {
            for (String p : BusOps.ids(m.payload())) {
                Directory.Entry e = directory.owned.get(p);
                if (e != null && e.host().equals(fromHost) && directory.owned.remove(p, e)) {
                    uncount(fromHost);
                }
            }
        } else if (op.startsWith(BusOps.HOLDS_ANSWER)) {
            if (!calls.onAnswer(op, m.decode(Boolean.class))) {
                ctx.metrics().strangers.increment();
            }
        } else if (op.startsWith(BusOps.HOLDS)) {
            Map<?, ?> q = m.decode(Map.class);
            Object id = q.get("id");
            Object at = q.get("at");
            calls.answer(fromHost, op, id instanceof String p && at instanceof Number n
                    && local.createdAt(p) == n.longValue());
        } else if (op.startsWith(BusOps.TAKEN)) {
            Map<?, ?> q = m.decode(Map.class);
            if (q.get("id") instanceof String p && q.get("at") instanceof Number at
                    && q.get("winner") instanceof String winner) {
                lost.lost(p, at.longValue(), winner);
            }
        } else if (op.startsWith(BusOps.LOOKUP)) {
            String peerId = m.header(Headers.TO);
            String h = peerId == null ? null : local.has(peerId) ? ctx.id() : directory.ownedHost(peerId);
            ctx.carrier().send(fromHost, BusOps.control(BusOps.LOOKUP_ANSWER + op.substring(2), h == null ? "" : h));
        } else if (op.startsWith(BusOps.LOOKUP_ANSWER)) {
            long s = BusOps.seq(op, 2);
            if (s < 0) {
                ctx.metrics().strangers.increment();
                return;
            }
            String h = m.payloadText();
            pending.complete(s, h.isEmpty() ? null : h);
        } else {
            ctx.metrics().strangers.increment();
        }
    }

    private void onRegister(String from, Message m) {
        Member member = membership.member(from);
        if (member == null) {
            return;
        }
        // One id instance for all of a member's entries (there may be millions).
        String fromHost = member.id();
        AtomicInteger count = registeredBy.computeIfAbsent(fromHost, k -> new AtomicInteger());
        int[] refused = {0};
        int limit = ctx.options().maxRegistrationsPerMember();
        BusOps.claims(m.payload(), (p, at) -> {
            Directory.Entry before = directory.owned.get(p);
            boolean same = before != null && before.host().equals(fromHost);
            if (!same && count.get() >= limit) {
                refused[0]++;
                return;
            }
            long here = local.createdAt(p);
            if (here >= 0) {
                clashWithLocal(p, here, fromHost, at);
            } else if (before == null || same || !membership.isMember(before.host())) {
                store(p, new Directory.Entry(fromHost, at), before);
            } else {
                clash(p, before, new Directory.Entry(fromHost, at));
            }
        });
        if (refused[0] > 0) {
            ctx.metrics().limitRefusals.add(refused[0]);
            LOG.warn("host {}: member {} holds {} directory entries here, the limit; {} more refused", ctx.id(),
                    fromHost, count.get(), refused[0]);
        }
    }

    /** Puts an entry in place of {@code before} (null: none), keeping the per-member counts. */
    private boolean store(String p, Directory.Entry e, Directory.Entry before) {
        boolean done = before == null ? directory.owned.putIfAbsent(p, e) == null
                : directory.owned.replace(p, before, e);
        if (done && (before == null || !before.host().equals(e.host()))) {
            registeredBy.computeIfAbsent(e.host(), k -> new AtomicInteger()).incrementAndGet();
            if (before != null) {
                uncount(before.host());
            }
        }
        return done;
    }

    /** A member claims an id a peer of this host holds. */
    private void clashWithLocal(String p, long here, String other, long at) {
        clashes.increment();
        PeerClaim mine = new PeerClaim(p, ctx.id(), here);
        PeerClaim theirs = new PeerClaim(p, other, at);
        if (ctx.options().peerIdResolver().choose(mine, theirs) == mine) {
            tellLoser(theirs, ctx.id());
        } else {
            lost.lost(p, here, other);
            store(p, new Directory.Entry(other, at), directory.owned.get(p));
        }
    }

    /**
     * Two members claim one id. The older holder is asked first whether it still has that peer: a peer removed there
     * and created elsewhere is a move, not a clash, and the unregistration may simply not have arrived yet.
     */
    private void clash(String p, Directory.Entry held, Directory.Entry claim) {
        calls.ask(held.host(), BusOps.HOLDS, Map.of("id", p, "at", held.createdAt())).whenCompleteAsync((v, e) -> {
            if (!Boolean.TRUE.equals(v)) {
                store(p, claim, held);
                return;
            }
            clashes.increment();
            PeerClaim a = new PeerClaim(p, held.host(), held.createdAt());
            PeerClaim b = new PeerClaim(p, claim.host(), claim.createdAt());
            if (ctx.options().peerIdResolver().choose(a, b) == a) {
                tellLoser(b, a.hostId());
            } else if (store(p, claim, held)) {
                tellLoser(a, b.hostId());
            }
        }, ctx.executor());
    }

    private void tellLoser(PeerClaim loser, String winner) {
        LOG.info("host {}: peer id {} is claimed by hosts {} and {}; {} keeps it", ctx.id(), loser.peerId(),
                loser.hostId(), winner, winner);
        calls.tell(loser.hostId(), BusOps.TAKEN, Map.of("id", loser.peerId(), "at", loser.createdAtMillis(),
                "winner", winner));
    }

    public void metrics(Map<String, Long> into) {
        into.put("directoryEntries", (long) directory.owned.size());
        into.put("peerIdClashes", clashes.sum());
        into.put("directoryCache", (long) directory.cacheSize());
    }
}
