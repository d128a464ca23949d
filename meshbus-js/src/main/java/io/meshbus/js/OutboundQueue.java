package io.meshbus.js;

import io.meshbus.node.MemoryBudget;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The frames written to one browser that its socket has not taken yet, bounded (policy in PROTOCOL-JS.md): a full
 * queue drops a droppable frame (a publish) and refuses any other, which means the browser cannot keep up. A frame is
 * built only once it has a place. Its bytes are reserved from the host node's {@link MemoryBudget} until the socket
 * took them, so many slow browsers cannot add up past the budget either: a frame that does not fit is treated as a
 * full queue.
 *
 * <p>Threads: {@link #offer} from any thread (the connection's serial queue, the host's executor); the count is
 * atomic and Netty writes on the channel's event loop.
 */
final class OutboundQueue {
    /** What became of a frame offered. */
    enum Offer { WRITTEN, DROPPED, FULL }

    private final Channel channel;
    private final int limit;
    private final MemoryBudget budget;
    private final AtomicInteger waiting = new AtomicInteger();

    OutboundQueue(Channel channel, int limit, MemoryBudget budget) {
        this.channel = channel;
        this.limit = limit;
        this.budget = budget;
    }

    Offer offer(boolean droppable, Supplier<WebSocketFrame> frame) {
        if (waiting.get() >= limit) {
            return droppable ? Offer.DROPPED : Offer.FULL;
        }
        WebSocketFrame f = frame.get();
        int bytes = f.content().readableBytes();
        if (!budget.tryReserve(bytes)) {
            f.release();
            return droppable ? Offer.DROPPED : Offer.FULL;
        }
        waiting.incrementAndGet();
        channel.writeAndFlush(f).addListener(done -> {
            waiting.decrementAndGet();
            budget.release(bytes);
        });
        return Offer.WRITTEN;
    }

    /** Frames written and not yet flushed to the socket. */
    int waiting() {
        return waiting.get();
    }
}
