package io.meshbus.js;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Peer;
import io.meshbus.bus.Subscription;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Registration;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One browser connection: checks, then a peer of the host. The handler methods run on the channel's event loop and
 * only count, check and hand frames to {@link #serial}; the rest runs there, off the I/O threads.
 */
final class GatewayConnection extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayConnection.class);
    /** Inbound frames waiting for the executor before the connection stops reading. */
    private static final int INBOUND_PAUSE = 256;
    /** How long an error frame may take to reach the browser before the connection is closed anyway. */
    private static final long CLOSE_GRACE_MS = 1000;

    private enum State { HANDSHAKE, HELLO, AUTHENTICATING, OPEN, CLOSED }

    private final BrowserGateway gateway;
    private final Channel channel;
    private final SerialQueue serial;
    private final CompletableFuture<Void> cleanedUp = new CompletableFuture<>();
    private final AtomicInteger outbound = new AtomicInteger();
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    /** Patterns asked for, including those whose subscription is still settling; changed only on {@link #serial}. */
    private final java.util.Set<String> patterns = new java.util.HashSet<>();
    private final Map<Long, Pending> pendingReplies = new ConcurrentHashMap<>();
    private final AtomicLong replyIds = new AtomicLong();
    private volatile State state = State.HANDSHAKE;
    private volatile Peer peer;
    private Registration listener;
    private String origin;
    private String hostHeader;
    private ScheduledFuture<?> helloTimer;
    // Token bucket, touched only on the event loop.
    private double tokens;
    private long refilled;

    private record Pending(Message request, long deadline) {
    }

    GatewayConnection(BrowserGateway gateway, Channel channel) {
        super(false);
        this.gateway = gateway;
        this.channel = channel;
        this.serial = new SerialQueue(gateway.executor);
        this.tokens = gateway.options.maxMessagesPerSecond();
        this.refilled = System.nanoTime();
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
            hostHeader = h.get(HttpHeaderNames.HOST);
            state = State.HELLO;
            long ms = gateway.options.helloTimeout().toMillis();
            helloTimer = ctx.executor().schedule(() -> {
                if (state == State.HELLO || state == State.AUTHENTICATING) {
                    gateway.metrics.refused.increment();
                    fail(ErrorCode.HANDSHAKE_TIMEOUT, "no hello (or no authentication answer) within " + ms + " ms");
                }
            }, ms, TimeUnit.MILLISECONDS);
            if (!originAllowed()) {
                gateway.metrics.originRejected.increment();
                gateway.metrics.refused.increment();
                fail(ErrorCode.NOT_AUTHORIZED, "origin " + origin + " is not allowed here");
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private boolean originAllowed() {
        if (origin == null) {
            return true;
        }
        var allowed = gateway.options.allowedOrigins();
        if (allowed.contains("*") || allowed.contains(origin)) {
            return true;
        }
        // Same origin: the page came from this very server.
        String o = origin.replaceFirst("^https?://", "");
        return hostHeader != null && o.equalsIgnoreCase(hostHeader);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (state == State.CLOSED) {
            frame.release();
            return;
        }
        gateway.metrics.framesIn.increment();
        int size = frame.content().readableBytes();
        if (size > gateway.options.maxMessageSize()) {
            frame.release();
            gateway.metrics.tooLarge.increment();
            fail(ErrorCode.FRAME_TOO_LARGE, "message of " + size + " bytes is larger than the limit of "
                    + gateway.options.maxMessageSize());
            return;
        }
        if (!takeToken()) {
            frame.release();
            gateway.metrics.rateLimited.increment();
            fail(ErrorCode.BACK_PRESSURE, "rate limit of " + gateway.options.maxMessagesPerSecond()
                    + " messages per second exceeded");
            return;
        }
        int waiting = serial.execute(() -> {
            try {
                handle(Frames.parse(frame));
            } catch (MeshbusException e) {
                if (e.code() == ErrorCode.PROTOCOL_VIOLATION) {
                    gateway.metrics.protocolErrors.increment();
                }
                fail(e.code(), e.getMessage());
            } catch (RuntimeException e) {
                gateway.metrics.protocolErrors.increment();
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

    private boolean takeToken() {
        long now = System.nanoTime();
        int rate = gateway.options.maxMessagesPerSecond();
        tokens = Math.min(rate, tokens + (now - refilled) * rate / 1e9);
        refilled = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                ? cause.getCause() : cause;
        if (c instanceof TooLongFrameException || c instanceof CorruptedWebSocketFrameException
                && c.getMessage() != null && c.getMessage().contains("length")) {
            gateway.metrics.tooLarge.increment();
            fail(ErrorCode.FRAME_TOO_LARGE, "message larger than " + gateway.options.maxMessageSize() + " bytes");
        } else if (c instanceof CorruptedFrameException) {
            gateway.metrics.protocolErrors.increment();
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
                hello(f);
            }
            case OPEN -> open(f, t);
            case AUTHENTICATING -> throw new ProtocolViolationException("frame '" + t + "' before the welcome");
            default -> {
            }
        }
    }

    private void hello(Frames.Inbound f) {
        long v = f.number("v", -1);
        if (v != 1) {
            gateway.metrics.refused.increment();
            fail(ErrorCode.INCOMPATIBLE_VERSION, "this gateway speaks protocol version 1, the client " + v);
            return;
        }
        String id = f.required("id");
        if (id.length() > 256) {
            throw new ProtocolViolationException("peer id longer than 256 characters");
        }
        state = State.AUTHENTICATING;
        Authenticator auth = gateway.options.authenticator();
        if (auth != null) {
            boolean ok;
            String why = "invalid token";
            try {
                ok = auth.authenticate(new Authenticator.Credentials(id, f.text("token"), origin,
                        channel.remoteAddress()));
            } catch (Exception e) {
                ok = false;
                why = "authenticator failed: " + e.getMessage();
                LOG.warn("authenticator failed for peer {} from {}", id, channel.remoteAddress(), e);
            }
            if (!ok) {
                gateway.metrics.authFailures.increment();
                gateway.metrics.refused.increment();
                fail(ErrorCode.AUTHENTICATION_FAILED, "peer " + id + " refused: " + why);
                return;
            }
        }
        if (state == State.CLOSED || gateway.isClosed()) {
            return;
        }
        GatewayConnection old = gateway.byPeer.get(id);
        if (old == null) {
            admit(id);
            return;
        }
        // A reconnect takes over the id from its own older connection (never from another kind of peer); it waits
        // for that one's clean-up without holding an executor thread.
        old.fail(ErrorCode.CLOSED, "peer " + id + " connected again; this connection is replaced");
        old.cleanedUp.orTimeout(10, TimeUnit.SECONDS).whenComplete((done, e) -> serial.execute(() -> admit(id)));
    }

    private void admit(String id) {
        if (state == State.CLOSED || gateway.isClosed()) {
            return;
        }
        Peer p;
        try {
            p = gateway.host.create(id);
        } catch (IllegalArgumentException e) {
            gateway.metrics.refused.increment();
            fail(ErrorCode.NOT_AUTHORIZED, "peer id " + id + " is taken on host " + gateway.host.id());
            return;
        } catch (RuntimeException e) {
            gateway.metrics.refused.increment();
            fail(e instanceof MeshbusException m ? m.code() : ErrorCode.UNKNOWN, e.getMessage());
            return;
        }
        gateway.byPeer.put(id, this);
        peer = p;
        listener = p.onMessage(this::onPeerMessage);
        state = State.OPEN;
        if (helloTimer != null) {
            helloTimer.cancel(false);
        }
        gateway.metrics.accepted.increment();
        ObjectNode w = Frames.header("welcome");
        w.put("v", 1).put("id", id).put("host", gateway.host.id());
        ObjectNode limits = w.putObject("limits");
        limits.put("maxMessageSize", gateway.options.maxMessageSize())
                .put("maxMessagesPerSecond", gateway.options.maxMessagesPerSecond())
                .put("maxSubscriptions", gateway.options.maxSubscriptions());
        write(w, null, false);
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
                Pending r = pendingReplies.remove(f.number("r", -1));
                if (r != null) {
                    p.reply(r.request(), f.toMessage());
                }
            }
            case "pub" -> p.publish(f.required("subject"), f.toMessage());
            case "sub" -> subscribe(p, f.required("subject"), f.number("n", 0));
            case "unsub" -> {
                patterns.remove(f.required("subject"));
                Subscription s = subscriptions.remove(f.required("subject"));
                if (s != null) {
                    s.unsubscribe();
                }
            }
            default -> throw new ProtocolViolationException("unknown frame type '" + t + "'");
        }
    }

    private Duration timeout(Frames.Inbound f) {
        long ms = f.number("timeout", -1);
        Duration max = gateway.host.options().requestTimeout();
        return ms <= 0 || ms > max.toMillis() ? max : Duration.ofMillis(ms);
    }

    private void subscribe(Peer p, String subject, long n) {
        if (patterns.contains(subject)) {
            answer(n, null, null);
            return;
        }
        if (patterns.size() >= gateway.options.maxSubscriptions()) {
            gateway.metrics.subscriptionLimit.increment();
            fail(ErrorCode.NOT_AUTHORIZED, "subscription limit of " + gateway.options.maxSubscriptions()
                    + " subjects reached");
            return;
        }
        CompletableFuture<Subscription> f;
        try {
            f = p.subscribe(subject, (from, m) -> deliver(Frames.header("pub").put("sub", subject)
                    .put("subject", m.header(Headers.CHANNEL)).put("from", from), m, true));
        } catch (IllegalArgumentException e) {
            answer(n, new ProtocolViolationException(e.getMessage()), null);
            return;
        }
        patterns.add(subject);
        f.whenComplete((s, e) -> {
            if (e != null) {
                serial.execute(() -> patterns.remove(subject));
                answer(n, e, null);
                return;
            }
            // Back on this connection's queue: an unsubscribe may have come meanwhile.
            serial.execute(() -> {
                if (state == State.CLOSED || !patterns.contains(subject)
                        || subscriptions.putIfAbsent(subject, s) != null) {
                    s.unsubscribe();
                }
                answer(n, null, null);
            });
        });
    }

    /** Runs on the host's executor: hands a message for this browser to its connection. */
    private void onPeerMessage(String from, Message m) {
        ObjectNode h = Frames.header("msg").put("from", from);
        if (m.header(Headers.REPLY_TO) != null && m.header(Headers.CORRELATION_ID) != null) {
            if (pendingReplies.size() >= gateway.options.maxPendingReplies()) {
                expireReplies();
                if (pendingReplies.size() >= gateway.options.maxPendingReplies()) {
                    // Thrown to the host, which fails the request at once for its sender.
                    throw new BackPressureException("browser peer " + peerId() + " holds "
                            + pendingReplies.size() + " unanswered requests");
                }
            }
            long r = replyIds.incrementAndGet();
            long deadline = System.nanoTime() + gateway.host.options().requestTimeout().toNanos();
            pendingReplies.put(r, new Pending(m, deadline));
            h.put("r", r);
        }
        deliver(h, m, false);
    }

    private void expireReplies() {
        long now = System.nanoTime();
        for (Iterator<Pending> it = pendingReplies.values().iterator(); it.hasNext(); ) {
            if (it.next().deadline() - now < 0) {
                it.remove();
            }
        }
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

    private void deliver(ObjectNode header, Message m, boolean droppable) {
        write(header, m, droppable);
    }

    /**
     * Queues a frame for the browser. The queue is bounded: a droppable frame (a publish) that finds it full is
     * dropped and counted; anything else means the browser cannot keep up, and it is closed as a slow consumer.
     */
    private void write(ObjectNode header, Message payload, boolean droppable) {
        if (state == State.CLOSED || !channel.isActive()) {
            return;
        }
        if (outbound.get() >= gateway.options.outboundQueue()) {
            if (droppable) {
                gateway.metrics.dropped.increment();
                return;
            }
            gateway.metrics.slowConsumers.increment();
            fail(ErrorCode.BACK_PRESSURE, "slow consumer: " + outbound.get() + " frames wait for this browser");
            return;
        }
        WebSocketFrame frame = payload == null ? Frames.text(header)
                : Frames.withPayload(header, payload, channel.alloc());
        outbound.incrementAndGet();
        gateway.metrics.framesOut.increment();
        channel.writeAndFlush(frame).addListener(f -> outbound.decrementAndGet());
    }

    /** Sends an error frame, then closes: the one way a connection is refused or ended for a violation. */
    void fail(ErrorCode code, String message) {
        if (state == State.CLOSED && !channel.isActive()) {
            return;
        }
        State was = state;
        state = State.CLOSED;
        LOG.info("browser connection {} (peer {}) closed: {} {}", channel.remoteAddress(),
                peerId(), code, message);
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
        for (Subscription s : subscriptions.values()) {
            s.unsubscribe();
        }
        subscriptions.clear();
        pendingReplies.clear();
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
