package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.error.RequestTimeoutException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket connection speaking distribus's "requestify" envelope: requests {@code {"id","message"}}, responses
 * {@code {"id","message","error"}}, notifications {@code {"message"}}; text frames only, both ways. Unlike
 * distribus, pending requests fail at once when the connection closes.
 *
 * <p>Threads: the handler methods run on the channel's event loop; {@link #request}, {@link #notify} and
 * {@link #respond} may be called from any thread (Netty hands the writes to the loop).
 */
final class DistribusConnection extends SimpleChannelInboundHandler<WebSocketFrame> {
    /** What a connection reports to its host's links. */
    interface Owner {
        /** An incoming connection finished its WebSocket handshake. */
        void accepted(DistribusConnection c);

        /** The other host sent what distribus never sends; the connection is being closed. */
        void protocolError(DistribusConnection c, RuntimeException e);

        void closed(DistribusConnection c);

        /** A request ({@code id} set) or notification ({@code id} null) from the other host. */
        void onRequest(DistribusConnection c, JsonNode id, JsonNode message);
    }

    private final Owner owner;
    private final boolean outgoing;
    private final Duration requestTimeout;
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    final CompletableFuture<DistribusConnection> opened = new CompletableFuture<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    volatile Channel channel;
    /** The url the other host announced (incoming) or that we dialled (outgoing). */
    volatile String url;
    /** Set when the close was asked for (goodbye, close()), so no reconnect follows. */
    volatile boolean leaving;
    private boolean reported;

    DistribusConnection(Owner owner, boolean outgoing, String url, Duration requestTimeout) {
        this.owner = owner;
        this.outgoing = outgoing;
        this.url = url;
        this.requestTimeout = requestTimeout;
    }

    boolean outgoing() {
        return outgoing;
    }

    /** Sends a request; completes with the response's {@code message} (null when absent) or fails with its error. */
    CompletableFuture<JsonNode> request(String method, JsonNode params) {
        return opened.thenCompose(c -> {
            String id = UUID.randomUUID().toString();
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            pending.put(id, f);
            ObjectNode env = DistroJson.MAPPER.createObjectNode().put("id", id);
            ObjectNode m = env.putObject("message").put("method", method);
            if (params != null) {
                m.set("params", params);
            }
            channel.eventLoop().schedule(() -> {
                if (pending.remove(id, f)) {
                    f.completeExceptionally(new RequestTimeoutException("Timeout"));
                }
            }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
            write(env);
            if (!channel.isActive() && pending.remove(id, f)) {
                f.completeExceptionally(new PeerUnreachableException("connection to " + url + " is closed"));
            }
            return f;
        });
    }

    void notify(String method, JsonNode params) {
        ObjectNode env = DistroJson.MAPPER.createObjectNode();
        env.putObject("message").put("method", method).set("params", params);
        write(env);
    }

    /** Answers a request; {@code message == null} leaves the key out, as distribus does for an undefined result. */
    void respond(JsonNode id, JsonNode message, boolean hasMessage, String error) {
        ObjectNode env = DistroJson.MAPPER.createObjectNode();
        env.set("id", id);
        if (error != null) {
            env.putNull("message");
            env.put("error", error);
        } else {
            if (hasMessage) {
                env.set("message", message == null ? DistroJson.MAPPER.nullNode() : message);
            }
            env.putNull("error");
        }
        write(env);
    }

    private void write(ObjectNode env) {
        Channel ch = channel;
        if (ch != null) {
            // Text frames only: a binary frame crashes a distribus 0.4.0 host.
            ch.writeAndFlush(new TextWebSocketFrame(env.toString()));
        }
    }

    void close() {
        leaving = true;
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                    .addListener(f -> ch.close());
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE
                || evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            opened.complete(this);
            if (!outgoing) {
                owner.accepted(this);
            }
        } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            opened.completeExceptionally(new PeerUnreachableException("WebSocket handshake with " + url
                    + " timed out"));
            ctx.close();
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof BinaryWebSocketFrame) {
            violation(new ProtocolViolationException("binary frame from " + who() + ": distribus sends text only"),
                    WebSocketCloseStatus.INVALID_MESSAGE_TYPE);
            return;
        }
        if (!(frame instanceof TextWebSocketFrame t)) {
            return;
        }
        String text = t.text();
        JsonNode env;
        try {
            env = DistroJson.MAPPER.readTree(text);
        } catch (IOException e) {
            env = null;
        }
        if (env == null || !env.isObject()) {
            violation(new ProtocolViolationException("not a distribus envelope from " + who() + ": "
                    + abbreviate(text)), WebSocketCloseStatus.INVALID_PAYLOAD_DATA);
            return;
        }
        JsonNode id = env.get("id");
        CompletableFuture<JsonNode> f = id == null ? null : pending.remove(id.asText());
        if (f != null) {
            JsonNode err = env.get("error");
            if (err != null && !err.isNull() && !(err.isBoolean() && !err.booleanValue())
                    && !(err.isTextual() && err.asText().isEmpty())) {
                f.completeExceptionally(new DistribusRemoteException(err.isTextual() ? err.asText() : err.toString()));
            } else {
                JsonNode m = env.get("message");
                f.complete(m == null || m.isNull() ? null : m);
            }
            return;
        }
        owner.onRequest(this, id, env.get("message"));
    }

    private String who() {
        return url != null ? url : String.valueOf(channel == null ? null : channel.remoteAddress());
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "... (" + s.length() + " chars)";
    }

    private void violation(RuntimeException e, WebSocketCloseStatus status) {
        Channel ch = channel;
        if (!ch.isActive() || reported) {
            ch.close();
            return;
        }
        reported = true;
        owner.protocolError(this, e);
        ch.writeAndFlush(new CloseWebSocketFrame(status)).addListener(x -> ch.close());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        boolean tooBig = cause instanceof TooLongFrameException || cause instanceof CorruptedWebSocketFrameException c
                && c.closeStatus() != null && c.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
        if (tooBig) {
            violation(new FrameTooLargeException("frame from " + who() + " too large: " + cause.getMessage()),
                    WebSocketCloseStatus.MESSAGE_TOO_BIG);
        } else if (cause instanceof CorruptedWebSocketFrameException) {
            violation(new ProtocolViolationException("bad frame from " + who() + ": " + cause.getMessage(), cause),
                    WebSocketCloseStatus.PROTOCOL_ERROR);
        } else {
            opened.completeExceptionally(new PeerUnreachableException("connection to " + who() + " failed: "
                    + cause.getMessage(), cause));
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        PeerUnreachableException e = new PeerUnreachableException("connection to " + who() + " closed");
        opened.completeExceptionally(e);
        pending.values().forEach(f -> f.completeExceptionally(e));
        pending.clear();
        closed.complete(null);
        owner.closed(this);
        super.channelInactive(ctx);
    }
}
