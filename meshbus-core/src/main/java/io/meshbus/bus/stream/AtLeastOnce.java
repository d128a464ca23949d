package io.meshbus.bus.stream;

import io.meshbus.bus.membership.MembershipListener;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.HostCarrier;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.MemoryBudget;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * The at-least-once mode's streams, one per pair of hosts and direction: the sender numbers its messages to a host
 * (op {@code u<epoch>:<incarnation>:<seq>}, the incarnation being the receiver's, 0 when not known yet), keeps each until the receiver's cumulative acknowledgement ({@code k}, epoch and the
 * highest number whose message and all before it were handed to their listeners) covers it, and after a link comes
 * back, or after a silence, sends everything unacknowledged again in order (go-back-N). The receiver takes only the
 * next number: an older one is a duplicate (dropped, acknowledged again), a later one follows a loss (dropped; the
 * sender resends the gap). So order per sending host, hence per sending peer, survives any number of broken links, and
 * the de-duplication window is the whole life of the stream, not a time.
 *
 * <p>A stream lives as long as both hosts do: a host that restarts or leaves ends the streams with it (their waiting
 * futures fail typed, delivery unknown) and the next message starts a new epoch. Epochs only grow in a process, and a
 * receiver never goes back to an older one, so a late copy from an ended stream can never be taken as new.
 *
 * <p>A refusal (peer not found, not authorized) counts as handled for the stream's order and travels as {@code n}
 * just before the acknowledgement that covers it; the receiver remembers its last {@value #REFUSALS_KEPT} refusals per
 * sending host to repeat one whose answer was lost with a link.
 */
public final class AtLeastOnce implements MembershipListener {
    static final int REFUSALS_KEPT = 1024;
    /** Acknowledgement meaning "no such stream here": the receiver lost its state (it restarted or forgot us). */
    static final long UNKNOWN = -1;
    private static final AtomicLong EPOCHS = new AtomicLong();
    static final long UNKNOWN_ANSWER_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long ORPHAN_NANOS = TimeUnit.SECONDS.toNanos(5);

    final HostCarrier carrier;
    final Executor executor;
    /** This host's incarnation: a message meant for another one is refused. */
    final long incarnation;
    final ToLongFunction<String> incarnationOf;
    final LongAdder strangers;
    final int maxMessages;
    final long maxBytes;
    /** The node's budget: unacknowledged messages count against it with everything else queued. */
    final MemoryBudget budget;
    private final String hostId;
    final long retransmitNanos;
    final long maxRetransmitNanos;
    private final ConcurrentHashMap<String, Outbox> outboxes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, InboundStream> inbounds = new ConcurrentHashMap<>();

    final LongAdder refused = new LongAdder();
    final LongAdder retransmitted = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder gaps = new LongAdder();
    final LongAdder streamsReset = new LongAdder();
    final LongAdder misaddressed = new LongAdder();

    /** @param incarnationOf the incarnation a linked host last showed, or 0 */
    public AtLeastOnce(BusContext ctx, ToLongFunction<String> incarnationOf, int maxMessages, long maxBytes,
                       MemoryBudget budget, long retransmitMillis) {
        this.budget = budget;
        this.hostId = ctx.id();
        this.carrier = ctx.carrier();
        this.executor = ctx.executor();
        this.incarnation = ctx.incarnation();
        this.incarnationOf = incarnationOf;
        this.strangers = ctx.metrics().strangers;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.retransmitNanos = TimeUnit.MILLISECONDS.toNanos(retransmitMillis);
        this.maxRetransmitNanos = retransmitNanos * 16;
    }

    String hostId() {
        return hostId;
    }

    /** A new epoch: above every earlier one of this process, and of an earlier process unless the clock went back. */
    public static long nextEpoch() {
        long floor = System.currentTimeMillis() << 10;
        return EPOCHS.updateAndGet(e -> Math.max(e + 1, floor));
    }

    // ------------------------------------------------------------------ sending

    /** What a refused message does when its target was not found at a location taken from the cache. */
    public interface Reroute {
        void again(String peerId, Message original, CompletableFuture<Void> f, long deadline);
    }

    /**
     * Queues a message for the peer {@code to} on host {@code to}, stamped by the caller with from and to, and sends it
     * if the stream is flowing. Refuses at once, typed, when the stream holds its bound of unacknowledged messages.
     */
    public void send(String toHost, String to, Message stamped, CompletableFuture<Void> f, long deadline,
              boolean cached, Reroute reroute) {
        Outbox o = outboxes.computeIfAbsent(toHost, h -> new Outbox(this, h));
        o.add(to, stamped, f, deadline, cached, reroute);
    }

    public void onAck(String fromHost, Message m) {
        ByteBuffer b = m.payload();
        if (b.remaining() < 16) {
            strangers.increment();
            return;
        }
        long epoch = b.getLong();
        long upTo = b.getLong();
        Outbox o = outboxes.get(fromHost);
        if (o != null) {
            o.acked(epoch, upTo);
        }
    }

    public void onRefusal(String fromHost, Message m, String op) {
        long[] es = new long[3];
        Outbox o = outboxes.get(fromHost);
        if (!parse(op, es)) {
            strangers.increment();
            return;
        }
        if (o != null) {
            ErrorCode code = ErrorCode.ofWire(parseStatus(m.header(Headers.STATUS)));
            o.refused(es[0], es[1], MeshbusException.of(code, m.payloadText()));
        }
    }

    /** The link to a host is back: everything not yet acknowledged goes again, in order. */
    @Override
    public void linkUp(String toHost) {
        Outbox o = outboxes.get(toHost);
        if (o != null) {
            o.linkUp();
        }
    }

    @Override
    public void gone(String host, String why) {
        forget(host, why);
    }

    /** A host restarted or is gone: its streams end both ways, their waiting futures fail typed. */
    void forget(String otherHost, String why) {
        Outbox o = outboxes.remove(otherHost);
        if (o != null) {
            o.end(new PeerUnreachableException("at-least-once stream to host " + otherHost + " ended (" + why
                    + "): delivery unknown"));
        }
        inbounds.remove(otherHost);
    }

    public void close(Throwable why) {
        outboxes.values().forEach(o -> o.end(why));
        outboxes.clear();
        inbounds.clear();
    }

    /**
     * Called by the host's sweeper: deadlines, blocked writes and resends after a silence; and streams to a host that
     * has not been a member for {@link #ORPHAN_NANOS} end (a send may race the host's removal, or name a host that
     * never joins), so none holds messages for a host that is gone.
     */
    public void tick(long now, Predicate<String> member) {
        for (Outbox o : outboxes.values()) {
            if (member.test(o.toHost)) {
                o.orphanSince = 0;
            } else if (o.orphanSince == 0) {
                o.orphanSince = now;
            } else if (now - o.orphanSince > ORPHAN_NANOS) {
                forget(o.toHost, "host " + o.toHost + " is not a member");
                continue;
            }
            o.tick(now);
        }
    }

    public int unacknowledged() {
        int n = 0;
        for (Outbox o : outboxes.values()) {
            n += o.size();
        }
        return n;
    }

    // ------------------------------------------------------------------ receiving

    public InboundStream inbound(String fromHost) {
        return inbounds.computeIfAbsent(fromHost, h -> new InboundStream(this, h));
    }

    /** Flushes a host's pending acknowledgement: at the end of each inbound batch. */
    public void flush(String fromHost) {
        InboundStream in = inbounds.get(fromHost);
        if (in != null) {
            in.flush();
        }
    }

    /**
     * {@code u<epoch>:<incarnation>:<seq>} or {@code n<epoch>:<seq>} into epoch, number and incarnation (0 when
     * absent); false when malformed.
     */
    static boolean parse(String op, long[] into) {
        int first = op.indexOf(':');
        int last = op.lastIndexOf(':');
        if (first < 2 || last == op.length() - 1) {
            return false;
        }
        try {
            into[0] = Long.parseLong(op, 1, first, 10);
            into[1] = Long.parseLong(op, last + 1, op.length(), 10);
            into[2] = first == last ? 0 : Long.parseLong(op, first + 1, last, 10);
        } catch (NumberFormatException x) {
            return false;
        }
        return into[0] > 0 && into[1] > 0;
    }

    private static int parseStatus(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The streams' counters, for the host's metrics. */
    public void metrics(Map<String, Long> into) {
        into.put("atLeastOnceUnacknowledged", (long) unacknowledged());
        into.put("atLeastOnceRefused", refused.sum());
        into.put("atLeastOnceResent", retransmitted.sum());
        into.put("atLeastOnceDuplicates", duplicates.sum());
        into.put("atLeastOnceGaps", gaps.sum());
        into.put("atLeastOnceStreamsReset", streamsReset.sum());
        into.put("atLeastOnceMisaddressed", misaddressed.sum());
    }
}
