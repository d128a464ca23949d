package io.meshbus.bus;

import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Confirmations of confirmed sends, batched per sending host ({@code a}: n x 8-byte sequence numbers): under load one
 * message confirms many sends. A batch leaves at the end of each inbound batch, or on its own when a confirmation
 * was added off the batch's thread.
 *
 * <p>Threads: any; each host's buffer is guarded by itself.
 */
final class AckBatcher {
    private static final int SHRINK_ABOVE = 4096;

    private final BusContext ctx;
    private final ConcurrentHashMap<String, Buffer> buffers = new ConcurrentHashMap<>();

    AckBatcher(BusContext ctx) {
        this.ctx = ctx;
    }

    /** Confirms send {@code s} of {@code host}; {@code flushSoon}: not on the batch's thread, so it flushes itself. */
    void ack(String host, long s, boolean flushSoon) {
        Buffer b = buffers.computeIfAbsent(host, Buffer::new);
        if (b.add(s) && flushSoon) {
            ctx.executor().execute(b::flush);
        }
    }

    /** The end of an inbound batch from {@code host}. */
    void flush(String host) {
        Buffer b = buffers.get(host);
        if (b != null) {
            b.flush();
        }
    }

    private final class Buffer {
        private final String host;
        private long[] seqs = new long[64]; // guarded by this
        private int n; // guarded by this

        Buffer(String host) {
            this.host = host;
        }

        /** Adds one; true when the buffer was empty (the caller schedules a flush). */
        synchronized boolean add(long s) {
            if (n == seqs.length) {
                seqs = Arrays.copyOf(seqs, n * 2);
            }
            seqs[n++] = s;
            return n == 1;
        }

        void flush() {
            ByteBuffer out;
            synchronized (this) {
                if (n == 0) {
                    return;
                }
                out = ByteBuffer.allocate(n * 8);
                for (int i = 0; i < n; i++) {
                    out.putLong(seqs[i]);
                }
                n = 0;
                if (seqs.length > SHRINK_ABOVE) {
                    seqs = new long[64];
                }
            }
            ctx.carrier().send(host, Message.ofBytes(Headers.of(BusOps.OP, BusOps.ACKS), ContentType.BYTES,
                    out.array()));
        }
    }
}
