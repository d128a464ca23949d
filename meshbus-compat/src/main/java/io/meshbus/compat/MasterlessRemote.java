package io.meshbus.compat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a node knows of one other node, as masterless's {@code Node} object: the handshake's two directions, the link
 * once one is up ({@link #stream}), the packets queued until then (bounded, unlike masterless's), the dials waiting
 * for a link, and where that node listens.
 *
 * <p>Threads: touched on the owning node's event loop only; {@link #stream} is volatile because
 * {@link MasterlessNode#connections()} reads it from the caller's thread.
 */
final class MasterlessRemote {
    private static final long HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(1);

    final String id;
    final MasterlessHandshake handshake;
    /** Dials that end when a link to this node is up (or fail when none can be). */
    final List<CompletableFuture<String>> waiters = new ArrayList<>();
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private final int maxQueue;
    private final LongAdder dropped;
    /** The link, null until a handshake completes and after it breaks. */
    volatile MasterlessConnection stream;
    private long lastSend = System.nanoTime();
    /** Whether the other node said it keeps the link. */
    boolean keeping = true;
    /** A re-dial after a broken link is running: its link up is not announced again. */
    boolean reconnecting;
    String infoHost;
    int infoPort;

    MasterlessRemote(String id, MasterlessHandshake handshake, int maxQueue, LongAdder dropped) {
        this.id = id;
        this.handshake = handshake;
        this.maxQueue = maxQueue;
        this.dropped = dropped;
    }

    /** Writes an encoded record at once when linked, else queues it (dropped and counted past the bound). */
    void send(ByteBuf b) {
        MasterlessConnection s = stream;
        if (s != null) {
            lastSend = System.nanoTime();
            Channel ch = s.channel();
            ch.writeAndFlush(b, ch.voidPromise());
        } else if (queue.size() >= maxQueue) {
            b.release();
            dropped.increment();
        } else {
            queue.add(b);
        }
    }

    /** masterless's {@code Node.to}: the link is up; flush the queue and release the dials waiting for it. */
    void linked(MasterlessConnection c) {
        stream = c;
        Channel ch = c.channel();
        for (ByteBuf b; (b = queue.poll()) != null; ) {
            ch.write(b, ch.voidPromise());
        }
        ch.flush();
        lastSend = System.nanoTime();
        waiters.forEach(w -> w.complete(id));
        waiters.clear();
    }

    /** A heartbeat when nothing was sent for a second (masterless's rule; a heartbeat does not count as a send). */
    void heartbeat(long now) {
        MasterlessConnection s = stream;
        if (s != null && now - lastSend >= HEARTBEAT_NANOS) {
            s.channel().writeAndFlush(MasterlessRecords.heartbeat());
        }
    }

    /** The node is gone: queued packets are lost and waiting dials fail. */
    void drop(RuntimeException why) {
        for (ByteBuf b; (b = queue.poll()) != null; ) {
            b.release();
        }
        waiters.forEach(w -> w.completeExceptionally(why));
        waiters.clear();
    }

    /** Nothing refers to this entry any more: no handshake, no link, no re-dial, nothing queued or waiting. */
    boolean unused() {
        return handshake.idle() && stream == null && !reconnecting && queue.isEmpty() && waiters.isEmpty();
    }
}
