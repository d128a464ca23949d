package io.meshbus.bus.stream;

import io.meshbus.message.Message;
import java.util.concurrent.CompletableFuture;

/** One message of a stream, kept until acknowledged. */
final class Entry {
    final long seq;
    final String to;
    final Message out;
    final Message original;
    final CompletableFuture<Void> future;
    final long deadline;
    final int bytes;
    final boolean cached;
    final AtLeastOnce.Reroute reroute;
    /** Guarded by the outbox. */
    boolean refused;

    Entry(long seq, String to, Message out, Message original, CompletableFuture<Void> future, long deadline,
          int bytes, boolean cached, AtLeastOnce.Reroute reroute) {
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
