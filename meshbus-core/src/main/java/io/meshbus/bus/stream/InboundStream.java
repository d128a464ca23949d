package io.meshbus.bus.stream;

import io.meshbus.bus.protocol.BusOps;
import io.meshbus.codec.ContentType;
import io.meshbus.error.ErrorCode;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One receiving stream. {@link #take} runs in the sending host's serial lane; {@link #done} and {@link #refuse}
 * in whichever thread delivered the message.
 */
public final class InboundStream {
    private final AtLeastOnce streams;
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
            return size() > AtLeastOnce.REFUSALS_KEPT;
        }
    };
    private final List<Message> refusalsToSend = new ArrayList<>(0);
    private boolean ackDue;
    private long unknownEpochAnswered;
    /** {@link #take}'s scratch, under the lock: nothing allocated per message. */
    private final long[] parsed = new long[3];
    private long unknownAnsweredAt;
    private boolean flushQueued;

    InboundStream(AtLeastOnce streams, String fromHost) {
        this.streams = streams;
        this.fromHost = fromHost;
    }

    /**
     * The message's number when it is the next one of the stream (the caller delivers it, then calls
     * {@link #done} or {@link #refuse} with {@link #epoch()}), else 0: a duplicate, a message after a gap, or a
     * copy from an ended stream, none of them delivered.
     */
    public synchronized long take(String op) {
        long[] es = parsed;
        if (!AtLeastOnce.parse(op, es)) {
            streams.strangers.increment();
            return 0;
        }
        long e = es[0];
        long s = es[1];
        if (es[2] != 0 && es[2] != streams.incarnation) {
            // Meant for an earlier incarnation of this host (copies queued while it restarted): not ours.
            streams.misaddressed.increment();
            return 0;
        }
        if (e != epoch) {
            if (e < epoch) {
                return 0;
            }
            if (s != 1) {
                // A stream we do not know, past its start: its first message may still come (it met a later
                // one first), or we lost the stream; the sender tells which, from what it still holds.
                streams.gaps.increment();
                long now = System.nanoTime();
                if (unknownEpochAnswered != e || now - unknownAnsweredAt > AtLeastOnce.UNKNOWN_ANSWER_GAP_NANOS) {
                    // Answered again now and then, not per message: the answer itself may be lost.
                    unknownEpochAnswered = e;
                    unknownAnsweredAt = now;
                    sendAck(e, AtLeastOnce.UNKNOWN);
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
            streams.duplicates.increment();
            Message r = recentRefusals.get(s);
            if (r != null) {
                refusalsToSend.add(r);
            }
            ackDue = true;
            return 0;
        }
        if (s > taken + 1) {
            streams.gaps.increment();
            return 0;
        }
        taken = s;
        return s;
    }

    public synchronized long epoch() {
        return epoch;
    }

    /** The message was handed to its listeners. {@code later}: not in the batch's thread, so flush on our own. */
    public void done(long e, long s, boolean later) {
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
    public void refuse(long e, long s, ErrorCode code, String text, boolean later) {
        synchronized (this) {
            if (e != epoch) {
                return;
            }
            Message r = Message.of(Headers.of(BusOps.OP, BusOps.STREAM_REFUSAL + e + ":" + s)
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
    public synchronized void untake(long e, long s) {
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
        streams.executor.execute(this::flush);
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
            streams.carrier.send(fromHost, r);
        }
        sendAck(e, upTo);
    }

    private void sendAck(long e, long upTo) {
        ByteBuffer b = ByteBuffer.allocate(16).putLong(e).putLong(upTo);
        streams.carrier.send(fromHost, Message.ofBytes(Headers.of(BusOps.OP, BusOps.STREAM_ACK), ContentType.BYTES, b.array()));
    }
}
