package io.meshbus.bus;

import io.meshbus.codec.ContentType;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

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
final class AtLeastOnce {
    static final String OP_MESSAGE = "u";
    static final String OP_ACK = "k";
    static final String OP_REFUSAL = "n";
    static final int REFUSALS_KEPT = 1024;
    /** Acknowledgement meaning "no such stream here": the receiver lost its state (it restarted or forgot us). */
    private static final long UNKNOWN = -1;
    private static final AtomicLong EPOCHS = new AtomicLong();
    private static final long UNKNOWN_ANSWER_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long ORPHAN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Host host;
    private final int maxMessages;
    private final long maxBytes;
    private final long retransmitNanos;
    private final long maxRetransmitNanos;
    private final ConcurrentHashMap<String, Outbox> outboxes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Inbound> inbounds = new ConcurrentHashMap<>();

    final LongAdder refused = new LongAdder();
    final LongAdder retransmitted = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder gaps = new LongAdder();
    final LongAdder streamsReset = new LongAdder();
    final LongAdder misaddressed = new LongAdder();

    AtLeastOnce(Host host, int maxMessages, long maxBytes, long retransmitMillis) {
        this.host = host;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.retransmitNanos = TimeUnit.MILLISECONDS.toNanos(retransmitMillis);
        this.maxRetransmitNanos = retransmitNanos * 16;
    }

    /** A new epoch: above every earlier one of this process, and of an earlier process unless the clock went back. */
    static long nextEpoch() {
        long floor = System.currentTimeMillis() << 10;
        return EPOCHS.updateAndGet(e -> Math.max(e + 1, floor));
    }

    // ------------------------------------------------------------------ sending

    /** What a refused message does when its target was not found at a location taken from the cache. */
    interface Reroute {
        void again(String peerId, Message original, CompletableFuture<Void> f, long deadline);
    }

    /**
     * Queues a message for the peer {@code to} on host {@code to}, stamped by the caller with from and to, and sends it
     * if the stream is flowing. Refuses at once, typed, when the stream holds its bound of unacknowledged messages.
     */
    void send(String toHost, String to, Message stamped, CompletableFuture<Void> f, long deadline,
              boolean cached, Reroute reroute) {
        Outbox o = outboxes.computeIfAbsent(toHost, Outbox::new);
        o.add(to, stamped, f, deadline, cached, reroute);
    }

    void onAck(String fromHost, Message m) {
        ByteBuffer b = m.payload();
        if (b.remaining() < 16) {
            host.countStranger();
            return;
        }
        long epoch = b.getLong();
        long upTo = b.getLong();
        Outbox o = outboxes.get(fromHost);
        if (o != null) {
            o.acked(epoch, upTo);
        }
    }

    void onRefusal(String fromHost, Message m, String op) {
        long[] es = new long[3];
        Outbox o = outboxes.get(fromHost);
        if (!parse(op, es)) {
            host.countStranger();
            return;
        }
        if (o != null) {
            ErrorCode code = ErrorCode.ofWire(parseStatus(m.header(Headers.STATUS)));
            o.refused(es[0], es[1], MeshbusException.of(code, m.payloadText()));
        }
    }

    /** The link to a host is back: everything not yet acknowledged goes again, in order. */
    void linkUp(String toHost) {
        Outbox o = outboxes.get(toHost);
        if (o != null) {
            o.linkUp();
        }
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

    void close(Throwable why) {
        outboxes.values().forEach(o -> o.end(why));
        outboxes.clear();
        inbounds.clear();
    }

    /**
     * Called by the host's sweeper: deadlines, blocked writes and resends after a silence; and streams to a host that
     * has not been a member for {@link #ORPHAN_NANOS} end (a send may race the host's removal, or name a host that
     * never joins), so none holds messages for a host that is gone.
     */
    void tick(long now, Predicate<String> member) {
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

    int unacknowledged() {
        int n = 0;
        for (Outbox o : outboxes.values()) {
            n += o.size();
        }
        return n;
    }

    private static final class Entry {
        final long seq;
        final String to;
        final Message out;
        final Message original;
        final CompletableFuture<Void> future;
        final long deadline;
        final int bytes;
        final boolean cached;
        final Reroute reroute;
        /** Guarded by the outbox. */
        boolean refused;

        Entry(long seq, String to, Message out, Message original, CompletableFuture<Void> future, long deadline,
              int bytes, boolean cached, Reroute reroute) {
            this.seq = seq;
            this.to = to;
            this.out = out;
            this.original = original;
            this.future = future;
            this.deadline = deadline;
            this.bytes = bytes;
            this.cached = cached;
            this.reroute = reroute;
        }
    }

    /** One sending stream; every field is guarded by the outbox itself. */
    private final class Outbox {
        private final String toHost;
        private final ArrayDeque<Entry> unacked = new ArrayDeque<>();
        private long epoch = nextEpoch();
        /** The receiver's incarnation this stream is for: a new incarnation of its host refuses it. 0: not known. */
        private long incarnation;
        private String prefix;
        private long nextSeq = 1;
        private long bytes;
        /** The highest number written in the current pass; the next write must be the one after it. */
        private long written;
        /** A write was refused (queue full, no link): the rest waits for the next tick or link. */
        private boolean blocked;
        private long lastProgress = System.nanoTime();
        private long backoff = retransmitNanos;
        /** No waiting future is due before this; see {@link #tick}. */
        private long nextDeadline = System.nanoTime();
        private boolean ended;
        /** When the sweeper first saw the host not a member (0: it is one); the sweeper's thread only. */
        long orphanSince;

        Outbox(String toHost) {
            this.toHost = toHost;
            this.incarnation = host.incarnationOf(toHost);
            this.prefix = prefix();
        }

        private String prefix() {
            return OP_MESSAGE + epoch + ":" + incarnation + ":";
        }

        /** The link is up: learn the receiver's incarnation if the stream began before it was known. */
        synchronized void linkUp() {
            if (incarnation == 0) {
                incarnation = host.incarnationOf(toHost);
                prefix = prefix();
            }
            resend(true);
        }

        synchronized int size() {
            return unacked.size();
        }

        void add(String to, Message stamped, CompletableFuture<Void> f, long deadline, boolean cached,
                 Reroute reroute) {
            int size = stamped.payload().remaining() + 64;
            MeshbusException refusal = null;
            synchronized (this) {
                if (ended) {
                    refusal = new PeerUnreachableException("at-least-once stream to host " + toHost + " ended");
                } else if (unacked.size() >= maxMessages || bytes + size > maxBytes) {
                    refusal = new BackPressureException("at-least-once stream to host " + toHost + " holds "
                            + unacked.size() + " unacknowledged messages (" + bytes + " bytes), its bound");
                } else {
                    long seq = nextSeq++;
                    Message out = stamped.withHeaders(stamped.headers().with(Host.OP, prefix + seq));
                    Entry e = new Entry(seq, to, out, stamped, f, deadline, size, cached, reroute);
                    if (unacked.isEmpty()) {
                        lastProgress = System.nanoTime();
                        nextDeadline = deadline;
                    } else if (deadline - nextDeadline < 0) {
                        nextDeadline = deadline;
                    }
                    unacked.addLast(e);
                    bytes += size;
                    if (!blocked && written == seq - 1) {
                        write(e);
                    }
                }
            }
            if (refusal != null) {
                refused.increment();
                f.completeExceptionally(refusal);
            }
        }

        /** Caller holds the lock. */
        private void write(Entry e) {
            SendStatus st = host.link(toHost, e.out);
            if (st.accepted()) {
                written = e.seq;
            } else {
                blocked = true;
            }
        }

        /** Sends again from the oldest unacknowledged message (all of them), or from where a refused write stopped. */
        synchronized void resend(boolean all) {
            if (ended || unacked.isEmpty()) {
                return;
            }
            long from = all ? unacked.peekFirst().seq : written + 1;
            written = from - 1;
            blocked = false;
            int n = 0;
            for (Entry e : unacked) {
                if (e.seq < from) {
                    continue;
                }
                write(e);
                if (blocked) {
                    break;
                }
                n++;
            }
            if (all) {
                retransmitted.add(n);
            }
        }

        void acked(long ackEpoch, long upTo) {
            List<Entry> done = new ArrayList<>();
            synchronized (this) {
                if (ackEpoch != epoch || ended) {
                    return;
                }
                if (upTo == UNKNOWN) {
                    // The receiver has no such stream. Harmless while our first message is still unacknowledged
                    // (it only met a later one first); otherwise it lost what it had taken: start over.
                    if (unacked.isEmpty() || unacked.peekFirst().seq == 1) {
                        return;
                    }
                    streamsReset.increment();
                    restart(done);
                } else {
                    while (!unacked.isEmpty() && unacked.peekFirst().seq <= upTo) {
                        Entry e = unacked.pollFirst();
                        bytes -= e.bytes;
                        done.add(e);
                    }
                    if (written < upTo) {
                        written = upTo;
                    }
                    if (!done.isEmpty()) {
                        lastProgress = System.nanoTime();
                        backoff = retransmitNanos;
                    }
                }
            }
            if (upTo == UNKNOWN) {
                PeerUnreachableException why = new PeerUnreachableException("host " + toHost
                        + " lost the at-least-once stream's state: delivery unknown");
                failAll(done, why);
                return;
            }
            for (Entry e : done) {
                if (!e.refused) {
                    e.future.complete(null);
                }
            }
        }

        /** Caller holds the lock: moves every entry to {@code into} and starts a new epoch. */
        private void restart(List<Entry> into) {
            into.addAll(unacked);
            unacked.clear();
            bytes = 0;
            epoch = nextEpoch();
            prefix = prefix();
            nextSeq = 1;
            written = 0;
            blocked = false;
        }

        void refused(long refusalEpoch, long seq, MeshbusException why) {
            Entry found = null;
            synchronized (this) {
                if (refusalEpoch != epoch) {
                    return;
                }
                for (Entry e : unacked) {
                    if (e.seq == seq) {
                        found = e;
                        // Its acknowledgement follows: it must not complete what was refused or sent elsewhere.
                        e.refused = true;
                        break;
                    }
                }
            }
            if (found == null || found.future.isDone()) {
                return;
            }
            if (why.code() == ErrorCode.PEER_NOT_FOUND && found.cached && found.reroute != null) {
                // The cached location was stale: look the peer up again, once, as the confirmed mode does.
                found.reroute.again(found.to, found.original, found.future, found.deadline);
                return;
            }
            found.future.completeExceptionally(why);
        }

        void tick(long now) {
            List<Entry> late = null;
            synchronized (this) {
                if (ended || unacked.isEmpty()) {
                    return;
                }
                if (now - nextDeadline >= 0) {
                    // Only when the earliest wait is due: the stream may hold tens of thousands of messages.
                    boolean any = false;
                    long earliest = 0;
                    for (Entry e : unacked) {
                        if (e.future.isDone() || e.refused) {
                            continue;
                        }
                        if (now - e.deadline > 0) {
                            if (late == null) {
                                late = new ArrayList<>();
                            }
                            late.add(e);
                        } else if (!any || e.deadline - earliest < 0) {
                            any = true;
                            earliest = e.deadline;
                        }
                    }
                    nextDeadline = any ? earliest : now + maxRetransmitNanos;
                }
                if (blocked) {
                    resend(false);
                } else if (now - lastProgress > backoff) {
                    // Silence: a message or its acknowledgement was lost without a broken link (a broker's drop,
                    // a stalled path). Go back to the oldest and back off while nothing moves.
                    lastProgress = now;
                    backoff = Math.min(backoff * 2, maxRetransmitNanos);
                    resend(true);
                }
            }
            if (late != null) {
                for (Entry e : late) {
                    // The wait ends here; the message stays in the stream and may still arrive.
                    e.future.completeExceptionally(new RequestTimeoutException("no acknowledgement for peer " + e.to
                            + " on host " + toHost + " in time (the message stays queued for delivery)"));
                }
            }
        }

        void end(Throwable why) {
            List<Entry> all;
            synchronized (this) {
                ended = true;
                all = new ArrayList<>(unacked);
                unacked.clear();
                bytes = 0;
            }
            failAll(all, why);
        }
    }

    /** Entries taken out under the outbox's lock; a refused one's future was answered or handed on already. */
    private static void failAll(List<Entry> entries, Throwable why) {
        for (Entry e : entries) {
            if (!e.refused) {
                e.future.completeExceptionally(why);
            }
        }
    }

    // ------------------------------------------------------------------ receiving

    Inbound inbound(String fromHost) {
        return inbounds.computeIfAbsent(fromHost, Inbound::new);
    }

    /** Flushes a host's pending acknowledgement: at the end of each inbound batch. */
    void flush(String fromHost) {
        Inbound in = inbounds.get(fromHost);
        if (in != null) {
            in.flush();
        }
    }

    /**
     * One receiving stream. {@link #take} runs in the sending host's serial lane; {@link #done} and {@link #refuse}
     * in whichever thread delivered the message.
     */
    final class Inbound {
        private final String fromHost;
        private long epoch;
        /** The highest number taken for delivery: the next message must be the one after it. */
        private long taken;
        /** The highest number such that it and all before it were handled; what acknowledgements carry. */
        private long handled;
        private final TreeSet<Long> handledAhead = new TreeSet<>();
        private final LinkedHashMap<Long, Message> recentRefusals = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Message> eldest) {
                return size() > REFUSALS_KEPT;
            }
        };
        private final List<Message> refusalsToSend = new ArrayList<>(0);
        private boolean ackDue;
        private long unknownEpochAnswered;
        /** {@link #take}'s scratch, under the lock: nothing allocated per message. */
        private final long[] parsed = new long[3];
        private long unknownAnsweredAt;
        private boolean flushQueued;

        Inbound(String fromHost) {
            this.fromHost = fromHost;
        }

        /**
         * The message's number when it is the next one of the stream (the caller delivers it, then calls
         * {@link #done} or {@link #refuse} with {@link #epoch()}), else 0: a duplicate, a message after a gap, or a
         * copy from an ended stream, none of them delivered.
         */
        synchronized long take(String op) {
            long[] es = parsed;
            if (!parse(op, es)) {
                host.countStranger();
                return 0;
            }
            long e = es[0];
            long s = es[1];
            if (es[2] != 0 && es[2] != host.node().incarnation()) {
                // Meant for an earlier incarnation of this host (copies queued while it restarted): not ours.
                misaddressed.increment();
                return 0;
            }
            if (e != epoch) {
                if (e < epoch) {
                    return 0;
                }
                if (s != 1) {
                    // A stream we do not know, past its start: its first message may still come (it met a later
                    // one first), or we lost the stream; the sender tells which, from what it still holds.
                    gaps.increment();
                    long now = System.nanoTime();
                    if (unknownEpochAnswered != e || now - unknownAnsweredAt > UNKNOWN_ANSWER_GAP_NANOS) {
                        // Answered again now and then, not per message: the answer itself may be lost.
                        unknownEpochAnswered = e;
                        unknownAnsweredAt = now;
                        sendAck(e, UNKNOWN);
                    }
                    return 0;
                }
                epoch = e;
                taken = 0;
                handled = 0;
                handledAhead.clear();
                recentRefusals.clear();
                refusalsToSend.clear();
            }
            if (s <= taken) {
                duplicates.increment();
                Message r = recentRefusals.get(s);
                if (r != null) {
                    refusalsToSend.add(r);
                }
                ackDue = true;
                return 0;
            }
            if (s > taken + 1) {
                gaps.increment();
                return 0;
            }
            taken = s;
            return s;
        }

        synchronized long epoch() {
            return epoch;
        }

        /** The message was handed to its listeners. {@code later}: not in the batch's thread, so flush on our own. */
        void done(long e, long s, boolean later) {
            synchronized (this) {
                if (e != epoch) {
                    return;
                }
                handled(s);
            }
            if (later) {
                flushSoon();
            }
        }

        /** The message was not delivered and will not be: its sender learns why. */
        void refuse(long e, long s, ErrorCode code, String text, boolean later) {
            synchronized (this) {
                if (e != epoch) {
                    return;
                }
                Message r = Message.of(Headers.of(Host.OP, OP_REFUSAL + e + ":" + s)
                        .with(Headers.STATUS, Integer.toString(code.wire())), text);
                recentRefusals.put(s, r);
                refusalsToSend.add(r);
                handled(s);
            }
            if (later) {
                flushSoon();
            }
        }

        /** The message just taken could not be queued: the stream takes it again when it is sent again. */
        synchronized void untake(long e, long s) {
            if (e == epoch && taken == s) {
                taken = s - 1;
            }
        }

        private void handled(long s) {
            if (s == handled + 1) {
                handled = s;
                while (!handledAhead.isEmpty() && handledAhead.first() == handled + 1) {
                    handled = handledAhead.pollFirst();
                }
            } else if (s > handled) {
                handledAhead.add(s);
            }
            ackDue = true;
        }

        private void flushSoon() {
            synchronized (this) {
                if (flushQueued) {
                    return;
                }
                flushQueued = true;
            }
            host.executor().execute(this::flush);
        }

        void flush() {
            Message[] refusals;
            long e;
            long upTo;
            synchronized (this) {
                flushQueued = false;
                if (!ackDue && refusalsToSend.isEmpty()) {
                    return;
                }
                ackDue = false;
                refusals = refusalsToSend.toArray(new Message[0]);
                refusalsToSend.clear();
                e = epoch;
                upTo = handled;
            }
            // Refusals first, on the same link: an acknowledgement never overtakes the refusal it covers.
            for (Message r : refusals) {
                host.link(fromHost, r);
            }
            sendAck(e, upTo);
        }

        private void sendAck(long e, long upTo) {
            ByteBuffer b = ByteBuffer.allocate(16).putLong(e).putLong(upTo);
            host.link(fromHost, Message.ofBytes(Headers.of(Host.OP, OP_ACK), ContentType.BYTES, b.array()));
        }
    }

    /**
     * {@code u<epoch>:<incarnation>:<seq>} or {@code n<epoch>:<seq>} into epoch, number and incarnation (0 when
     * absent); false when malformed.
     */
    private static boolean parse(String op, long[] into) {
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
}
