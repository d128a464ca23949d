package io.meshbus.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the status window, as a Netty pipeline: the codec, an 8 KiB request limit, a deadline for each
 * request and one for idleness, a cap on open connections, and a handler that computes responses on an executor.
 *
 * <p>Threads: the handlers run on the server's event loop; {@link Routes#respond} runs on the executor.
 */
final class StatusHttp {
    private static final Logger LOG = LoggerFactory.getLogger(StatusHttp.class);
    /** A status request is a request line and a few headers; nothing legitimate comes near this. */
    static final int MAX_REQUEST = 8 * 1024;

    private StatusHttp() {
    }

    /** A response body by path. */
    interface Routes {
        Response respond(String path);
    }

    record Response(int status, String contentType, String body) {
    }

    /** The bounds, shared by every connection of one server, and what they refused. */
    static final class Limits {
        final int maxConnections;
        final Duration requestTimeout;
        final Duration idleTimeout;
        final AtomicInteger open = new AtomicInteger();
        final LongAdder refused = new LongAdder();
        final LongAdder timedOut = new LongAdder();
        final LongAdder evicted = new LongAdder();
        /** Connections waiting for their (next) request, oldest first: the ones a newcomer may push out. */
        final ConcurrentLinkedDeque<Channel> waiting = new ConcurrentLinkedDeque<>();

        Limits(int maxConnections, Duration requestTimeout, Duration idleTimeout) {
            this.maxConnections = maxConnections;
            this.requestTimeout = requestTimeout;
            this.idleTimeout = idleTimeout;
        }

        Map<String, Long> snapshot() {
            return Map.of("open", (long) open.get(), "refused", refused.sum(), "timedOut", timedOut.sum(),
                    "evicted", evicted.sum());
        }

        /** The open connection that has waited longest without sending a request, taken out; null if none. */
        Channel oldestWaiting() {
            for (Channel c; (c = waiting.pollFirst()) != null; ) {
                if (c.isActive()) {
                    return c;
                }
            }
            return null;
        }
    }

    /**
     * At the cap, the newcomer takes the place of the connection that has waited longest without a request (it is
     * closed, counted in {@code evicted}): slow clients holding every place would otherwise keep the window away
     * from everyone for as long as they keep opening new ones. Only when every connection is busy with a request is
     * the newcomer refused.
     */
    static void configure(SocketChannel ch, Limits limits, Routes routes, Executor workers) {
        if (limits.open.incrementAndGet() > limits.maxConnections) {
            Channel victim = limits.oldestWaiting();
            if (victim == null) {
                limits.open.decrementAndGet();
                limits.refused.increment();
                ch.close();
                return;
            }
            limits.evicted.increment();
            victim.close();
        }
        limits.waiting.addLast(ch);
        ch.closeFuture().addListener(f -> {
            limits.open.decrementAndGet();
            limits.waiting.remove(ch);
        });
        ch.pipeline()
                .addLast(new IdleStateHandler(0, 0, limits.idleTimeout.toMillis(), TimeUnit.MILLISECONDS))
                .addLast(new HttpServerCodec(4096, MAX_REQUEST, MAX_REQUEST))
                .addLast(new HttpObjectAggregator(MAX_REQUEST))
                .addLast(new Handler(limits, routes, workers));
    }

    /**
     * Serves one request at a time per connection. A deadline runs from the moment the connection opens, or the last
     * response left, until a whole request has arrived: a client that trickles a request is closed.
     */
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Limits limits;
        private final Routes routes;
        private final Executor workers;
        private ScheduledFuture<?> deadline; // event loop only

        Handler(Limits limits, Routes routes, Executor workers) {
            this.limits = limits;
            this.routes = routes;
            this.workers = workers;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            armDeadline(ctx);
            ctx.fireChannelActive();
        }

        private void armDeadline(ChannelHandlerContext ctx) {
            deadline = ctx.executor().schedule(() -> {
                limits.timedOut.increment();
                ctx.close();
            }, limits.requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            deadline.cancel(false);
            limits.waiting.remove(ctx.channel());
            if (!req.decoderResult().isSuccess()) {
                write(ctx, new Response(400, "text/plain", "bad request"), false);
                return;
            }
            if (req.method() != HttpMethod.GET) {
                write(ctx, new Response(405, "text/plain", "method not allowed"), false);
                return;
            }
            String path = new QueryStringDecoder(req.uri()).path();
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            try {
                workers.execute(() -> {
                    Response r;
                    try {
                        r = routes.respond(path);
                    } catch (RuntimeException e) {
                        LOG.warn("status page {} failed", path, e);
                        r = new Response(500, "text/plain", "internal error");
                    }
                    Response done = r;
                    ctx.executor().execute(() -> write(ctx, done, keepAlive));
                });
            } catch (RejectedExecutionException e) {
                write(ctx, new Response(503, "text/plain", "closing"), false);
            }
        }

        private void write(ChannelHandlerContext ctx, Response r, boolean keepAlive) {
            ByteBuf body = Unpooled.wrappedBuffer(r.body().getBytes(StandardCharsets.UTF_8));
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(r.status()), body);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            if (keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(res);
                limits.waiting.addLast(ctx.channel());
                armDeadline(ctx);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                limits.timedOut.increment();
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset or a malformed request from one client: its connection ends, nothing else does.
            LOG.debug("status connection {} failed", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }
}
