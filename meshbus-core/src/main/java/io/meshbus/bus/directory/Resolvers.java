package io.meshbus.bus.directory;

import io.meshbus.bus.PeerResolver;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.membership.MembershipListener;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.protocol.LocalPeerIds;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Registration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peer resolvers: what makes a peer exist on demand when the directory does not know it (a gateway's proxy for a
 * peer of another network, say). A host with resolvers says so in its hello ({@code z+} when its first one is
 * added); a lookup that finds nothing asks those hosts only ({@code zr}), in bounded time.
 *
 * <p>Threads: any; resolvers' futures complete wherever they like, and every wait is bounded by
 * {@link #RESOLVE_TIMEOUT}, so a resolver that hangs never holds a not-found answer for ever.
 */
public final class Resolvers implements MembershipListener {
    private static final Logger LOG = LoggerFactory.getLogger(Resolvers.class);
    static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(5);

    private final BusContext ctx;
    private final Membership membership;
    private final LocalPeerIds local;
    private final HostCalls calls;
    private final List<PeerResolver> resolvers = new CopyOnWriteArrayList<>();
    /** Members that said they have resolvers: the only ones asked when the directory finds nothing. */
    private final Set<String> resolvingMembers = ConcurrentHashMap.newKeySet();

    public Resolvers(BusContext ctx, Membership membership, LocalPeerIds local, HostCalls calls) {
        this.ctx = ctx;
        this.membership = membership;
        this.local = local;
        this.calls = calls;
    }

    /** Whether this host has any resolver (said in its hello). */
    public boolean any() {
        return !resolvers.isEmpty();
    }

    public Registration add(PeerResolver resolver) {
        resolvers.add(resolver);
        if (resolvers.size() == 1) {
            for (String m : membership.memberIds()) {
                calls.tell(m, BusOps.RESOLVES, "");
            }
        }
        return () -> resolvers.remove(resolver);
    }

    @Override
    public void resolves(String host) {
        resolvingMembers.add(host);
    }

    @Override
    public void removed(String host, String why) {
        resolvingMembers.remove(host);
    }

    /** This host's resolvers, one after the other, until one made the peer exist here. */
    private CompletableFuture<Boolean> resolveHere(String peerId) {
        CompletableFuture<Boolean> f = CompletableFuture.completedFuture(false);
        for (PeerResolver r : resolvers) {
            f = f.thenCompose(done -> {
                if (done || local.has(peerId)) {
                    return CompletableFuture.completedFuture(true);
                }
                try {
                    return r.resolve(peerId).exceptionally(e -> false)
                            .completeOnTimeout(false, RESOLVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RuntimeException e) {
                    LOG.warn("host {}: a resolver failed on {}", ctx.id(), peerId, e);
                    return CompletableFuture.completedFuture(false);
                }
            });
        }
        return f.thenApply(done -> local.has(peerId));
    }

    /** The host where some resolver made the peer exist, or null; asks only hosts that resolve, in bounded time. */
    public CompletableFuture<String> resolve(String peerId) {
        if (resolvers.isEmpty() && resolvingMembers.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return resolveHere(peerId).thenCompose(here -> {
            if (here) {
                return CompletableFuture.completedFuture(ctx.id());
            }
            List<CompletableFuture<Object>> answers = new ArrayList<>();
            CompletableFuture<String> found = new CompletableFuture<>();
            Duration timeout = ctx.options().requestTimeout();
            Duration bound = timeout.compareTo(RESOLVE_TIMEOUT) < 0 ? timeout : RESOLVE_TIMEOUT;
            for (String m : resolvingMembers) {
                CompletableFuture<Object> f = calls.ask(m, BusOps.RESOLVE, Headers.of(Headers.TO, peerId), "",
                        peerId, bound);
                f.thenAccept(h -> {
                    if (h instanceof String text && !text.isEmpty() && membership.isMember(text)) {
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

    /** The {@code z} family, from a member. */
    public void onOp(String fromHost, Message m, String op) {
        if (op.equals(BusOps.RESOLVES)) {
            resolvingMembers.add(fromHost);
        } else if (op.startsWith(BusOps.RESOLVE)) {
            String peerId = m.header(Headers.TO);
            if (peerId == null) {
                ctx.metrics().strangers.increment();
                return;
            }
            resolveHere(peerId).whenComplete((here, e) -> calls.answer(fromHost, op, Boolean.TRUE.equals(here)
                    ? ctx.id() : ""));
        } else if (!op.startsWith(BusOps.RESOLVE_ANSWER) || !calls.onAnswer(op, m.payloadText())) {
            ctx.metrics().strangers.increment();
        }
    }
}
