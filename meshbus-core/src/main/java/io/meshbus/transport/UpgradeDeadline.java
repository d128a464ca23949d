package io.meshbus.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Closes an accepted connection that has not finished its WebSocket upgrade within a deadline from the accept. Netty's
 * upgrade handler times the handshake only once a request has arrived, so a connection that sends nothing, or
 * dribbles its request line and headers, would otherwise be held for ever. Put it first in the pipeline; it removes
 * itself once the upgrade completes.
 *
 * <p>Threads: event loop only.
 */
public final class UpgradeDeadline extends ChannelInboundHandlerAdapter {
    private final Duration timeout;
    private final LongAdder timeouts;
    private ScheduledFuture<?> timer;

    /** @param timeouts counts the connections closed by the deadline */
    public UpgradeDeadline(Duration timeout, LongAdder timeouts) {
        this.timeout = timeout;
        this.timeouts = timeouts;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> {
            timeouts.increment();
            ctx.close();
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timer.cancel(false);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        timer.cancel(false);
        ctx.fireChannelInactive();
    }
}
