package io.meshbus.bus.request;

import io.meshbus.bus.membership.MembershipListener;
import io.meshbus.bus.protocol.BusClock;
import io.meshbus.error.ClosedException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The operations of a host that wait for another host's answer, by sequence number: confirmed sends, requests,
 * directory lookups and control calls. Invariant: each completes exactly once, by its answer, its deadline
 * ({@link #sweep}), the loss of its host or link ({@link #failWhere}) or the host's close, and whoever takes an entry
 * out of the table is the only one to complete it.
 *
 * <p>Threads: any thread files and answers; {@link #sweep} runs on the timer. Failures found by a sweep or a lost link
 * are completed on the executor, never on the timer or an I/O thread; answers complete on the thread that handles
 * them (an I/O thread only on a host that delivers there, {@code deliverOnIoThread}).
 */
public final class PendingOps implements MembershipListener {
    private final BusClock clock;
    private final Executor executor;
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private volatile String closedBy;

    public PendingOps(BusClock clock, Executor executor) {
        this.clock = clock;
        this.executor = executor;
    }

    /** Files an operation due within {@code timeout}; its sequence number names it on the wire. */
    public long register(Pending.Kind kind, CompletableFuture<?> f, String host, String peerId, Duration timeout) {
        return register(kind, f, host, peerId, null, clock.nanoTime() + timeout.toNanos(), null);
    }

    /**
     * One map write: the hot path of confirmed sends.
     *
     * @param from the local peer that sends it, or null
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public long register(Pending.Kind kind, CompletableFuture<?> f, String host, String peerId, String from,
                         long deadline, Pending.Retry retry) {
        long s = seq.incrementAndGet();
        pending.put(s, new Pending(kind, (CompletableFuture) f, host, peerId, from, deadline, retry));
        String closer = closedBy;
        if (closer != null) {
            fail(s, new ClosedException("host " + closer + " is closed"));
        }
        return s;
    }

    /** Takes an operation out to answer it; null when it was answered, failed or timed out already. */
    public Pending take(long s) {
        return pending.remove(s);
    }

    /** Completes operation {@code s} with its answer; false when it is no longer waiting. */
    public boolean complete(long s, Object value) {
        Pending p = pending.remove(s);
        if (p == null) {
            return false;
        }
        p.future().complete(value);
        return true;
    }

    public void fail(long s, Throwable t) {
        Pending p = pending.remove(s);
        if (p != null) {
            p.future().completeExceptionally(t);
        }
    }

    /** Fails every waiting operation that {@code which} selects, with its own reason, on the executor. */
    public void failWhere(Predicate<Pending> which, Function<Pending, Throwable> why) {
        pending.forEach((s, p) -> {
            if (which.test(p) && pending.remove(s, p)) {
                executor.execute(() -> p.future().completeExceptionally(why.apply(p)));
            }
        });
    }

    /** Fails everything waiting now, and everything filed from now on, as closed by host {@code hostId}. */
    public void close(String hostId) {
        closedBy = hostId;
        ClosedException c = new ClosedException("host " + hostId + " closed");
        failWhere(p -> true, p -> c);
    }

    // What was in flight to a host whose link broke, that restarted or that is gone has an unknown fate: it fails
    // rather than hangs.
    @Override
    public void linkLost(String host, String why) {
        failTo(host, why);
    }

    @Override
    public void gone(String host, String why) {
        failTo(host, why);
    }

    private void failTo(String host, String why) {
        failWhere(p -> host.equals(p.host()), p -> new PeerUnreachableException("Peer unreachable (id: "
                + p.peerId() + ", host: " + host + "): " + why));
    }

    /** Fails what is past its deadline with {@link RequestTimeoutException}. */
    public void sweep(long now) {
        pending.forEach((s, p) -> {
            if (now - p.deadline() > 0 && pending.remove(s, p)) {
                executor.execute(() -> p.future().completeExceptionally(new RequestTimeoutException(p.timeoutText()
                        + " in time")));
            }
        });
    }

    public int size() {
        return pending.size();
    }
}
