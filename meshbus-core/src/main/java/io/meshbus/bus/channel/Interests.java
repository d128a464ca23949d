package io.meshbus.bus.channel;

import io.meshbus.bus.SubjectIndex;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.membership.MembershipListener;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.error.ErrorCode;
import io.meshbus.message.Message;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the other members want: their interests (pattern + queue group per host) in one token trie, kept by the
 * interest protocol: a snapshot on every admission ({@code cs}, replacing all that host had), additions
 * ({@code ca}, answered) and removals ({@code cr}).
 *
 * <p>Invariants: a member holds at most {@code maxSubscriptionsPerMember} interests here (the rest refused, counted,
 * logged); the authorizer sees every pattern before it is kept; a member that leaves leaves no interest behind.
 *
 * <p>Threads: ops on the executor, serially per member; {@link #match} from any thread (the index is thread-safe).
 * The index's own lock makes a snapshot replace atomically.
 */
public final class Interests implements MembershipListener {
    private static final Logger LOG = LoggerFactory.getLogger(Interests.class);

    /** What a member host is interested in. */
    public record Interest(String host, String pattern, String group) {
    }

    private final BusContext ctx;
    private final Membership membership;
    private final HostCalls calls;
    private final SubjectIndex<Interest> remote = new SubjectIndex<>();
    /** Interests held here per member, against {@code maxSubscriptionsPerMember}. */
    private final ConcurrentHashMap<String, AtomicInteger> interestsBy = new ConcurrentHashMap<>();

    public Interests(BusContext ctx, Membership membership, HostCalls calls) {
        this.ctx = ctx;
        this.membership = membership;
        this.calls = calls;
    }

    /** The members' interests that match a concrete subject's tokens. */
    public void match(String[] tokens, Consumer<Interest> into) {
        remote.match(tokens, into);
    }

    public int size() {
        return remote.size();
    }

    @Override
    public void removed(String host, String why) {
        remote.removeIf(i -> i.host().equals(host));
        interestsBy.remove(host);
    }

    /** The interest ops {@code cs}, {@code ca} and {@code cr} of a member. */
    @SuppressWarnings("unchecked")
    public void onOp(String fromHost, Message m, String op) {
        if (op.startsWith(BusOps.INTERESTS)) {
            onSnapshot(fromHost, m.decode(List.class));
        } else if (op.startsWith(BusOps.INTEREST_ADD)) {
            onAdd(fromHost, op, m.decode(List.class));
        } else if (op.startsWith(BusOps.INTEREST_REMOVE)) {
            List<String> k = m.decode(List.class);
            if (remote.remove(k.get(0), new Interest(fromHost, k.get(0), k.get(1)))) {
                AtomicInteger n = interestsBy.get(fromHost);
                if (n != null) {
                    n.decrementAndGet();
                }
            }
        } else {
            ctx.metrics().strangers.increment();
        }
    }

    private void onSnapshot(String fromHost, List<List<String>> all) {
        int limit = ctx.options().maxSubscriptionsPerMember();
        synchronized (remote) {
            remote.removeIf(i -> i.host().equals(fromHost));
            int kept = 0;
            for (List<String> k : all) {
                if (kept >= limit) {
                    ctx.metrics().limitRefusals.increment();
                } else if (ctx.options().authorizer().maySubscribe(fromHost, k.get(0))) {
                    remote.add(k.get(0), new Interest(fromHost, k.get(0), k.get(1)));
                    kept++;
                } else {
                    ctx.metrics().denied.increment();
                }
            }
            interestsBy.put(fromHost, new AtomicInteger(kept));
            if (kept < all.size()) {
                LOG.warn("host {}: kept {} of the {} subscriptions host {} announced", ctx.id(), kept, all.size(),
                        fromHost);
            }
        }
        membership.interestsKnown(fromHost);
    }

    private void onAdd(String fromHost, String op, List<String> k) {
        if (!ctx.options().authorizer().maySubscribe(fromHost, k.get(0))) {
            ctx.metrics().denied.increment();
            LOG.warn("host {}: denied host {} a subscription to {}", ctx.id(), fromHost, k.get(0));
            calls.answer(fromHost, op, ErrorCode.NOT_AUTHORIZED.wire() + ":host " + ctx.id()
                    + " does not allow a subscription to " + k.get(0));
            return;
        }
        AtomicInteger n = interestsBy.computeIfAbsent(fromHost, h -> new AtomicInteger());
        if (n.get() >= ctx.options().maxSubscriptionsPerMember()) {
            ctx.metrics().limitRefusals.increment();
            LOG.warn("host {}: host {} already has {} subscriptions here, the limit; refused {}", ctx.id(), fromHost,
                    n.get(), k.get(0));
            calls.answer(fromHost, op, ErrorCode.BACK_PRESSURE.wire() + ":host " + ctx.id() + " holds " + n.get()
                    + " subscriptions of host " + fromHost + ", its limit");
            return;
        }
        remote.add(k.get(0), new Interest(fromHost, k.get(0), k.get(1)));
        n.incrementAndGet();
        calls.answer(fromHost, op, "");
    }
}
