package io.meshbus.js;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Peer;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.js.GatewayMetrics.Counter;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Registration;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One browser connection: checks, then a peer of the host. The way in is {@link GatewayHandshake}'s, the rate limit
 * a {@link TokenBucket}, frames towards the browser an {@link OutboundQueue}, requests it holds
 * {@link PendingReplies}, its subscriptions {@link BrowserSubscriptions}; this class is the connection's state and
 * its frames.
 *
 * <p>Threads: the handler methods run on the channel's event loop and only count, check and hand frames to
 * {@link #serial}; the rest runs there, in order, off the I/O threads.
 */
final class GatewayConnection extends SimpleChannelInboundHandler<WebSocketFrame>
        implements GatewayHandshake.Joining, BrowserSubscriptions.Owner {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayConnection.class);
    /** Inbound frames waiting for the executor before the connection stops reading. */
    private static final int INBOUND_PAUSE = 256;
    /** How long an error frame may take to reach the browser before the connection is closed anyway. */
    private static final long CLOSE_GRACE_MS = 1000;

    private enum State { HANDSHAKE, HELLO, AUTHENTICATING, OPEN, CLOSED }

    private final BrowserGateway gateway;
    private final Channel channel;
    private final SerialQueue serial;
    private final TokenBucket rate;
    private final OutboundQueue outbound;
    private final PendingReplies replies;
    private final CompletableFuture<Void> cleanedUp = new CompletableFuture<>();
    private final BrowserSubscriptions subscriptions;
    private volatile State state = State.HANDSHAKE;
    private volatile Peer peer;
    private volatile String resumeToken;
    private Registration listener; // guarded by the serial queue
    private String origin;
    private ScheduledFuture<?> helloTimer; // guarded by the event loop

    GatewayConnection(BrowserGateway gateway, Channel channel) {
        super(false);
        this.gateway = gateway;
        this.channel = channel;
        this.serial = new SerialQueue(gateway.executor);
        this.rate = new TokenBucket(gateway.options.maxMessagesPerSecond(), System.nanoTime());
        this.outbound = new OutboundQueue(channel, gateway.options.outboundQueue(),
                gateway.host.node().memoryBudget());
        this.replies = new PendingReplies(gateway.options.maxPendingReplies(),
                gateway.host.options().requestTimeout());
        this.subscriptions = new BrowserSubscriptions(this, gateway.options.maxSubscriptions());
    }

    CompletableFuture<Void> cleanedUp() {
        return cleanedUp;
    }

    String peerId() {
        Peer p = peer;
        return p == null ? null : p.id();
    }

    // ------------------------------------------------------------------ event loop side

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hc) {
            HttpHeaders h = hc.requestHeaders();
            origin = h.get(HttpHeaderNames.ORIGIN);
            state = State.HELLO;
            long ms = gateway.options.helloTimeout().toMillis();
            helloTimer = ctx.executor().schedule(() -> {
                if (state == State.HELLO || state == State.AUTHENTICATING) {
                    gateway.metrics.count(Counter.REFUSED);
                    fail(ErrorCode.HANDSHAKE_TIMEOUT, "no hello (or no authentication answer) within " + ms + " ms");
                }
            }, ms, TimeUnit.MILLISECONDS);
            gateway.handshake.checkOrigin(this, h.get(HttpHeaderNames.HOST));
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (state == State.CLOSED) {
            frame.release();
            return;
        }
        gateway.metrics.count(Counter.FRAMES_IN);
        int size = frame.content().readableBytes();
        if (size > gateway.options.maxMessageSize()) {
            frame.release();
            gateway.metrics.count(Counter.TOO_LARGE);
            fail(ErrorCode.FRAME_TOO_LARGE, "message of " + size + " bytes is larger than the limit of "
                    + gateway.options.maxMessageSize());
            return;
        }
        if (!rate.take(System.nanoTime())) {
            frame.release();
            gateway.metrics.count(Counter.RATE_LIMITED);
            fail(ErrorCode.BACK_PRESSURE, "rate limit of " + gateway.options.maxMessagesPerSecond()
                    + " messages per second exceeded");
            return;
        }
        int waiting = serial.execute(() -> {
            try {
                handle(Frames.parse(frame));
            } catch (MeshbusException e) {
                if (e.code() == ErrorCode.PROTOCOL_VIOLATION) {
                    gateway.metrics.count(Counter.PROTOCOL_ERRORS);
                }
                fail(e.code(), e.getMessage());
            } catch (RuntimeException e) {
                gateway.metrics.count(Counter.PROTOCOL_ERRORS);
                fail(ErrorCode.PROTOCOL_VIOLATION, e.toString());
            } finally {
                frame.release();
                resumeIfDrained();
            }
        });
        // The executor is behind: stop reading, so TCP pushes back on the browser instead of memory growing here.
        if (waiting >= INBOUND_PAUSE && channel.config().isAutoRead()) {
            channel.config().setAutoRead(false);
        }
    }

    private void resumeIfDrained() {
        if (!channel.config().isAutoRead() && serial.size() < INBOUND_PAUSE / 2 && state != State.CLOSED) {
            channel.config().setAutoRead(true);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof TooLongFrameException || c instanceof CorruptedWebSocketFrameException
                && c.getMessage() != null && c.getMessage().contains("length")) {
            gateway.metrics.count(Counter.TOO_LARGE);
            fail(ErrorCode.FRAME_TOO_LARGE, "message larger than " + gateway.options.maxMessageSize() + " bytes");
        } else if (c instanceof CorruptedFrameException) {
            gateway.metrics.count(Counter.PROTOCOL_ERRORS);
            fail(ErrorCode.PROTOCOL_VIOLATION, c.getMessage());
        } else {
            LOG.debug("browser connection {} failed: {}", channel.remoteAddress(), c.toString());
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        state = State.CLOSED;
        if (helloTimer != null) {
            helloTimer.cancel(false);
        }
        serial.execute(this::cleanUp);
        super.channelInactive(ctx);
    }

    // ------------------------------------------------------------------ executor side

    private void handle(Frames.Inbound f) {
        String t = f.text("t");
        switch (state) {
            case HELLO -> {
                if (!t.equals("hello")) {
                    throw new ProtocolViolationException("the first frame must be 'hello', got '" + t + "'");
                }
                gateway.handshake.hello(this, f);
            }
            case OPEN -> open(f, t);
            case AUTHENTICATING -> throw new ProtocolViolationException("frame '" + t + "' before the welcome");
            default -> {
            }
        }
    }

    @Override
    public String origin() {
        return origin;
    }

    @Override
    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    @Override
    public boolean gone() {
        return state == State.CLOSED || gateway.isClosed();
    }

    @Override
    public void authenticating() {
        state = State.AUTHENTICATING;
    }

    @Override
    public void later(Runnable task) {
        serial.execute(task);
    }

    /** Shown by this client's next connection to take its id over; null until welcomed. */
    String resumeToken() {
        return resumeToken;
    }

    @Override
    public void admitted(Peer p) {
        String id = p.id();
        gateway.byPeer.put(id, this);
        peer = p;
        listener = p.onMessage(this::onPeerMessage);
        state = State.OPEN;
        if (helloTimer != null) {
            helloTimer.cancel(false);
        }
        resumeToken = GatewayHandshake.newResumeToken();
        write(gateway.handshake.welcome(id, resumeToken), null, false);
        LOG.debug("browser peer {} connected from {}", id, channel.remoteAddress());
        if (!channel.isActive()) {
            // The channel closed while we admitted: its clean-up may have run before the peer existed.
            state = State.CLOSED;
            cleanUp();
        }
    }

    private void open(Frames.Inbound f, String t) {
        Peer p = peer;
        switch (t) {
            case "send" -> {
                long n = f.number("n", 0);
                Duration timeout = timeout(f);
                p.send(f.required("to"), f.toMessage(), timeout).whenComplete((v, e) -> answer(n, e, null));
            }
            case "req" -> {
                long n = f.number("n", 0);
                p.request(f.required("to"), f.toMessage(), timeout(f)).whenComplete((m, e) -> answer(n, e, m));
            }
            case "reply" -> {
                Message request = replies.take(f.number("r", -1));
                if (request != null) {
                    p.reply(request, f.toMessage());
                }
            }
            case "pub" -> p.publish(f.required("subject"), f.toMessage());
            case "sub" -> subscriptions.subscribe(p, f.required("subject"), f.number("n", 0));
            case "unsub" -> subscriptions.unsubscribe(f.required("subject"));
            default -> throw new ProtocolViolationException("unknown frame type '" + t + "'");
        }
    }

    private Duration timeout(Frames.Inbound f) {
        long ms = f.number("timeout", -1);
        Duration max = gateway.host.options().requestTimeout();
        return ms <= 0 || ms > max.toMillis() ? max : Duration.ofMillis(ms);
    }

    @Override
    public void answer(long n, Throwable failure) {
        answer(n, failure, null);
    }

    @Override
    public void publish(String pattern, String from, Message m) {
        write(Frames.header("pub").put("sub", pattern).put("subject", m.header(Headers.CHANNEL)).put("from", from), m,
                true);
    }

    @Override
    public void limitReached(int max) {
        gateway.metrics.count(Counter.SUBSCRIPTION_LIMIT);
        fail(ErrorCode.NOT_AUTHORIZED, "subscription limit of " + max + " subjects reached");
    }

    @Override
    public boolean closed() {
        return state == State.CLOSED;
    }

    /** Runs on the host's executor: hands a message for this browser to its connection. */
    private void onPeerMessage(String from, Message m) {
        ObjectNode h = Frames.header("msg").put("from", from);
        if (m.header(Headers.REPLY_TO) != null && m.header(Headers.CORRELATION_ID) != null) {
            long r = replies.add(m, System.nanoTime());
            if (r < 0) {
                // Thrown to the host, which fails the request at once for its sender.
                throw new BackPressureException("browser peer " + peerId() + " holds " + replies.size()
                        + " unanswered requests");
            }
            h.put("r", r);
        }
        write(h, m, false);
    }

    private void answer(long n, Throwable e, Message reply) {
        if (e == null) {
            write(reply == null ? Frames.header("ok").put("n", n) : Frames.header("res").put("n", n)
                    .put("from", reply.header(Headers.FROM)), reply, false);
            return;
        }
        Throwable c = e instanceof CompletionException || e instanceof ExecutionException ? e.getCause() : e;
        ErrorCode code = c instanceof MeshbusException m ? m.code()
                : c instanceof IllegalArgumentException ? ErrorCode.PROTOCOL_VIOLATION : ErrorCode.UNKNOWN;
        write(Frames.header("err").put("n", n).put("code", code.name()).put("message", String.valueOf(c.getMessage())),
                null, false);
    }

    /** Queues a frame for the browser; a full queue drops a publish, and closes the connection for anything else. */
    private void write(ObjectNode header, Message payload, boolean droppable) {
        if (state == State.CLOSED || !channel.isActive()) {
            return;
        }
        switch (outbound.offer(droppable, () -> payload == null ? Frames.text(header)
                : Frames.withPayload(header, payload, channel.alloc()))) {
            case WRITTEN -> gateway.metrics.count(Counter.FRAMES_OUT);
            case DROPPED -> gateway.metrics.count(Counter.DROPPED);
            case FULL -> {
                gateway.metrics.count(Counter.SLOW_CONSUMERS);
                fail(ErrorCode.BACK_PRESSURE, "slow consumer: " + outbound.waiting() + " frames wait for this browser");
            }
        }
    }

    /** Sends an error frame, then closes: the one way a connection is refused or ended for a violation. */
    @Override
    public void fail(ErrorCode code, String message) {
        if (state == State.CLOSED && !channel.isActive()) {
            return;
        }
        State was = state;
        state = State.CLOSED;
        LOG.info("browser connection {} (peer {}) closed: {} {}", channel.remoteAddress(), peerId(), code, message);
        if (!channel.isActive()) {
            return;
        }
        ObjectNode e = Frames.header("error").put("code", code.name()).put("message", message);
        WebSocketCloseStatus status = switch (code) {
            case FRAME_TOO_LARGE -> WebSocketCloseStatus.MESSAGE_TOO_BIG;
            case BACK_PRESSURE -> WebSocketCloseStatus.TRY_AGAIN_LATER;
            case CLOSED -> WebSocketCloseStatus.NORMAL_CLOSURE;
            default -> WebSocketCloseStatus.POLICY_VIOLATION;
        };
        if (was == State.HANDSHAKE) {
            channel.close();
            return;
        }
        channel.write(Frames.text(e));
        channel.writeAndFlush(new CloseWebSocketFrame(status, truncate(message)))
                .addListener(ChannelFutureListener.CLOSE);
        // A browser that does not read (a slow consumer) would never let that flush finish: close regardless.
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
    }

    private static String truncate(String s) {
        // A close frame's reason must fit in 123 bytes.
        return s == null ? "" : s.length() > 100 ? s.substring(0, 100) : s;
    }

    private void cleanUp() {
        if (cleanedUp.isDone()) {
            return;
        }
        Peer p = peer;
        if (p == null) {
            if (state == State.CLOSED) {
                cleanedUp.complete(null);
            }
            return;
        }
        subscriptions.closeAll();
        replies.clear();
        if (listener != null) {
            listener.close();
        }
        gateway.byPeer.remove(p.id(), this);
        if (gateway.host.get(p.id()) == p) {
            p.remove();
        }
        LOG.debug("browser peer {} left", p.id());
        cleanedUp.complete(null);
    }
}
