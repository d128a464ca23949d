package io.meshbus.bus.directory;

import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.request.Pending;
import io.meshbus.error.BrokerUnavailableException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lookup in flight for a peer id, with the calls waiting for it, in order. It asks the peer's owners (at most
 * {@code directoryReplicas} messages, skipping owners whose link is down: distribus's find hung when any host failed
 * to answer), or the broker's directory; while membership settles ({@link #SETTLE_NANOS} after a change) a miss is
 * retried up to {@link #MAX_ATTEMPTS} times, since registrations follow an owner change within moments; then the
 * resolvers are asked; then it is not found.
 *
 * <p>Threads: {@code this} guards every field; waiters run outside no lock but this one, in order.
 */
final class Lookup {
    private static final Logger LOG = LoggerFactory.getLogger(Lookup.class);
    static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final int MAX_ATTEMPTS = 4;
    static final long BROKER_RETRY_MILLIS = 200;

    private final PeerLocator at;
    private final String peerId;
    private final List<Object[]> waiters = new ArrayList<>(2);
    private boolean started;
    private boolean done;
    private String host;
    private Throwable error;
    private int attempt;
    private int outstanding;
    /** When the broker's directory first failed to answer this lookup (bus clock), or 0. */
    private long brokerAwaySince;

    Lookup(PeerLocator at, String peerId) {
        this.at = at;
        this.peerId = peerId;
    }

    /** Adds a waiter; false if this lookup is finished and removed (the caller takes a new one). */
    boolean enqueue(BiConsumer<String, Boolean> onHost, Consumer<Throwable> onError) {
        boolean start;
        synchronized (this) {
            if (done) {
                if (at.lookups.get(peerId) == this) {
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
        if (at.nativeDirectory != null) {
            synchronized (this) {
                outstanding = 1;
            }
            at.ctx.metrics().lookupMessages.increment();
            // Broker client threads never run the waiters (user callbacks among them).
            at.nativeDirectory.lookup(peerId).whenCompleteAsync((h, e) -> {
                if (e == null) {
                    answered(h);
                } else {
                    brokerFailed(e);
                }
            }, at.ctx.executor());
            return;
        }
        String self = at.ctx.id();
        String[] owners = at.directory.owners(peerId);
        List<String> remote = new ArrayList<>(owners.length);
        String found = at.local.has(peerId) ? self : null;
        for (String o : owners) {
            if (o.equals(self)) {
                String h = at.directory.ownedHost(peerId);
                if (h != null && at.membership.isMember(h)) {
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
            if (!at.ctx.carrier().isLinked(o)) {
                // An owner whose link is down cannot answer now; the other owners can.
                answered(null);
                continue;
            }
            CompletableFuture<Object> f = new CompletableFuture<>();
            long s = at.pending.register(Pending.Kind.LOOKUP, f, o, peerId, at.ctx.options().requestTimeout());
            f.whenComplete((h, e) -> answered(e == null ? (String) h : null));
            at.ctx.metrics().lookupMessages.increment();
            if (!at.ctx.carrier().send(o, BusOps.control(BusOps.LOOKUP + s, Headers.of(Headers.TO, peerId), ""))
                    .accepted()) {
                at.pending.fail(s, new PeerUnreachableException("owner " + o + " unreachable"));
            }
        }
    }

    private void answered(String h) {
        boolean retry = false;
        synchronized (this) {
            if (done) {
                return;
            }
            if (h != null && !h.isEmpty() && (h.equals(at.ctx.id()) || at.membership.isMember(h))) {
                outstanding = 0;
            } else if (--outstanding > 0) {
                return;
            } else {
                h = null;
                retry = ++attempt < MAX_ATTEMPTS
                        && at.ctx.clock().nanoTime() - at.membership.lastChange() < SETTLE_NANOS;
            }
        }
        if (h != null) {
            complete(h, null);
        } else if (retry) {
            at.ctx.clock().schedule(this::ask, 100L * attempt, TimeUnit.MILLISECONDS);
        } else {
            at.resolvers.resolve(peerId).whenCompleteAsync((found, e) -> {
                if (found != null) {
                    complete(found, null);
                } else {
                    at.ctx.metrics().notFound.increment();
                    complete(null, new PeerNotFoundException("Peer not found (id: " + peerId + ")"));
                }
            }, at.ctx.executor());
        }
    }

    /**
     * The broker's directory could not be asked (it is away, or failing over): that says nothing of the peer, so the
     * lookup is asked again until the request timeout, then fails as the broker's unavailability, never as not found.
     */
    private void brokerFailed(Throwable e) {
        long now = at.ctx.clock().nanoTime();
        boolean again;
        synchronized (this) {
            if (brokerAwaySince == 0) {
                brokerAwaySince = now;
            }
            again = now - brokerAwaySince < at.ctx.options().requestTimeout().toNanos();
        }
        if (again) {
            at.ctx.clock().schedule(this::ask, BROKER_RETRY_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            complete(null, new BrokerUnavailableException("the broker's directory did not answer a lookup of peer "
                    + peerId + ": " + e, e));
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
                    LOG.warn("host {}: a lookup waiter failed", at.ctx.id(), ex);
                }
            }
            waiters.clear();
            // Only now: a send that finds the location in the cache must not overtake the waiters above.
            if (h != null && !h.equals(at.ctx.id())) {
                at.directory.cache(peerId, h);
            }
        }
        at.lookups.remove(peerId, this);
    }
}
