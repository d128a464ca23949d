package io.meshbus.bus.stream;

import io.meshbus.bus.protocol.BusOps;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** One sending stream; every field is guarded by the outbox itself. */
final class Outbox {
    private final AtLeastOnce streams;
    final String toHost;
    private final ArrayDeque<Entry> unacked = new ArrayDeque<>();
    private long epoch = AtLeastOnce.nextEpoch();
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
    private long backoff;
    /** No waiting future is due before this; see {@link #tick}. */
    private long nextDeadline = System.nanoTime();
    private boolean ended;
    /** When the sweeper first saw the host not a member (0: it is one); the sweeper's thread only. */
    long orphanSince;

    Outbox(AtLeastOnce streams, String toHost) {
        this.streams = streams;
        this.toHost = toHost;
        this.backoff = streams.retransmitNanos;
        this.incarnation = streams.incarnationOf.applyAsLong(toHost);
        this.prefix = prefix();
    }

    private String prefix() {
        return BusOps.STREAM_MESSAGE + epoch + ":" + incarnation + ":";
    }

    /** The link is up: learn the receiver's incarnation if the stream began before it was known. */
    synchronized void linkUp() {
        if (incarnation == 0) {
            incarnation = streams.incarnationOf.applyAsLong(toHost);
            prefix = prefix();
        }
        resend(true);
    }

    synchronized int size() {
        return unacked.size();
    }

    void add(String to, Message stamped, CompletableFuture<Void> f, long deadline, boolean cached,
             AtLeastOnce.Reroute reroute) {
        int size = stamped.payload().remaining() + 64;
        MeshbusException refusal = null;
        synchronized (this) {
            if (ended) {
                refusal = new PeerUnreachableException("at-least-once stream to host " + toHost + " ended");
            } else if (unacked.size() >= streams.maxMessages || bytes + size > streams.maxBytes) {
                refusal = new BackPressureException("at-least-once stream to host " + toHost + " holds "
                        + unacked.size() + " unacknowledged messages (" + bytes + " bytes), its bound");
            } else if (!streams.budget.tryReserve(size)) {
                refusal = new BackPressureException("at-least-once stream to host " + toHost + ": the memory "
                        + "budget of host " + streams.hostId() + " is full (" + streams.budget.limit() + " bytes)");
            } else {
                long seq = nextSeq++;
                Message out = stamped.withHeaders(stamped.headers().with(BusOps.OP, prefix + seq));
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
            streams.refused.increment();
            f.completeExceptionally(refusal);
        }
    }

    /** Caller holds the lock. */
    private void write(Entry e) {
        SendStatus st = streams.carrier.send(toHost, e.out);
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
            streams.retransmitted.add(n);
        }
    }

    void acked(long ackEpoch, long upTo) {
        List<Entry> done = new ArrayList<>();
        synchronized (this) {
            if (ackEpoch != epoch || ended) {
                return;
            }
            if (upTo == AtLeastOnce.UNKNOWN) {
                // The receiver has no such stream. Harmless while our first message is still unacknowledged
                // (it only met a later one first); otherwise it lost what it had taken: start over.
                if (unacked.isEmpty() || unacked.peekFirst().seq == 1) {
                    return;
                }
                streams.streamsReset.increment();
                restart(done);
            } else {
                while (!unacked.isEmpty() && unacked.peekFirst().seq <= upTo) {
                    Entry e = unacked.pollFirst();
                    bytes -= e.bytes;
                    streams.budget.release(e.bytes);
                    done.add(e);
                }
                if (written < upTo) {
                    written = upTo;
                }
                if (!done.isEmpty()) {
                    lastProgress = System.nanoTime();
                    backoff = streams.retransmitNanos;
                }
            }
        }
        if (upTo == AtLeastOnce.UNKNOWN) {
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
        streams.budget.release(bytes);
        bytes = 0;
        epoch = AtLeastOnce.nextEpoch();
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
                nextDeadline = any ? earliest : now + streams.maxRetransmitNanos;
            }
            if (blocked) {
                resend(false);
            } else if (now - lastProgress > backoff) {
                // Silence: a message or its acknowledgement was lost without a broken link (a broker's drop,
                // a stalled path). Go back to the oldest and back off while nothing moves.
                lastProgress = now;
                backoff = Math.min(backoff * 2, streams.maxRetransmitNanos);
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
            streams.budget.release(bytes);
            bytes = 0;
        }
        failAll(all, why);
    }

    /** Entries taken out under the outbox's lock; a refused one's future was answered or handed on already. */
    private static void failAll(List<Entry> entries, Throwable why) {
        for (Entry e : entries) {
            if (!e.refused) {
                e.future.completeExceptionally(why);
            }
        }
    }
}
