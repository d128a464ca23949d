package io.meshbus.bus.directory;

import io.meshbus.bus.Backplane;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.LocalPeerIds;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.error.ClosedException;
import io.meshbus.error.RequestTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Where a peer is: this host, a cached location, or a lookup of its owners (see {@link Lookup}). Every send of every
 * mode routes through {@link #route}.
 *
 * <p>Invariants: at most one lookup in flight per peer id; the calls that wait for it run in the order they were made,
 * and a call never overtakes a lookup in flight for its peer through the cache, so a sender's order holds while its
 * target is being looked up; the cache is written only after the waiters ran.
 *
 * <p>Threads: any; the waiters run on the thread that completes the lookup (the executor, or the caller's for a
 * local or cached peer).
 */
public final class PeerLocator {
    final BusContext ctx;
    final Directory directory;
    final Membership membership;
    final LocalPeerIds local;
    final PendingOps pending;
    final Resolvers resolvers;
    /** The backplane when it holds the directory, else null. */
    final Backplane nativeDirectory;
    final ConcurrentHashMap<String, Lookup> lookups = new ConcurrentHashMap<>();

    PeerLocator(BusContext ctx, Directory directory, Membership membership, LocalPeerIds local, PendingOps pending,
                Resolvers resolvers, Backplane nativeDirectory) {
        this.ctx = ctx;
        this.directory = directory;
        this.membership = membership;
        this.local = local;
        this.pending = pending;
        this.resolvers = resolvers;
        this.nativeDirectory = nativeDirectory;
    }

    /** Where a peer lives: its host's id, or a failure ({@code PeerNotFoundException}). */
    public CompletableFuture<String> find(String peerId) {
        CompletableFuture<String> f = new CompletableFuture<>();
        route(peerId, (host, cached) -> f.complete(host), f::completeExceptionally);
        return f;
    }

    /**
     * Runs {@code onHost} with the host of a peer (and whether that came from the cache), or {@code onError}; true
     * when it ran at once (a local or cached peer). Calls for one peer id that wait for the same lookup run in the
     * order they were made, which keeps a sender's order.
     */
    public boolean route(String peerId, BiConsumer<String, Boolean> onHost, Consumer<Throwable> onError) {
        if (ctx.isClosed()) {
            onError.accept(new ClosedException("host " + ctx.id() + " is closed"));
            return true;
        }
        if (local.has(peerId)) {
            onHost.accept(ctx.id(), false);
            return true;
        }
        String cached = cachedRoute(peerId);
        if (cached != null) {
            onHost.accept(cached, true);
            return true;
        }
        for (;;) {
            Lookup l = lookups.computeIfAbsent(peerId, k -> new Lookup(this, k));
            if (l.enqueue(onHost, onError)) {
                return false;
            }
        }
    }

    /**
     * {@link #route} bounded by the call's own timeout: a lookup that outlasts it fails the call with
     * {@link RequestTimeoutException} (lookups themselves are bounded by the host's request timeout), and what it
     * finds later is not sent. A known or local peer is routed at once and costs no timer.
     */
    public void routeWithin(String to, Duration timeout, CompletableFuture<?> f, BiConsumer<String, Boolean> onHost) {
        boolean now = route(to, (host, cached) -> {
            if (!f.isDone()) {
                onHost.accept(host, cached);
            }
        }, f::completeExceptionally);
        if (!now) {
            ScheduledFuture<?> t = ctx.clock().schedule(() -> f.completeExceptionally(new RequestTimeoutException(
                    "no answer within " + timeout.toMillis() + " ms: the location of peer " + to
                    + " is still being looked up")), timeout.toMillis(), TimeUnit.MILLISECONDS);
            f.whenComplete((v, e) -> t.cancel(false));
        }
    }

    /**
     * The cached host of a remote peer when a message may go there at once: a member, and no lookup in flight for the
     * peer (the sends waiting on it were made first); else null.
     */
    public String cachedRoute(String peerId) {
        String cached = directory.cached(peerId);
        return cached != null && membership.isMember(cached) && !lookups.containsKey(peerId) ? cached : null;
    }

    /** The cached location was wrong (the peer moved, or its host said not found): forget it. */
    public void evict(String peerId) {
        directory.evict(peerId);
    }

    /** Fails every lookup in flight. */
    public void close(Throwable why) {
        lookups.values().forEach(l -> l.fail(why));
    }
}
